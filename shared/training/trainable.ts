/**
 * Whether a model has anything for training to change. tfjs answers a model without trainable
 * weights with "variableGrads() expects at least one trainable variable"; Layerloom says why and
 * what to do before any data is read.
 */
import type { ParamCount } from '../blocks/types.js';

/**
 * What to say when every layer with weights is frozen: `count` is the number of frozen weights as
 * it should read (the TypeScript export passes a placeholder its train.ts fills at run time), `fix`
 * how to unfreeze a layer where the message is read.
 */
export function everyLayerFrozen(count: string, fix: string): string {
  return `Every layer with weights is frozen (Trainable off), so training would change nothing: all ${count} weights are non-trainable. ${fix}`;
}

/**
 * Why a model with these weight totals (analysis `totals`, Keras's split) cannot be trained, or
 * null when it can: every layer with weights frozen, or no weights at all.
 */
export function nothingToTrain(totals: ParamCount): string | null {
  if (totals.trainable > 0) return null;
  if (totals.nonTrainable > 0) {
    return everyLayerFrozen(
      totals.nonTrainable.toLocaleString('en-US'),
      'Unfreeze at least one layer, e.g. the head: select it and choose Unfreeze (right-click or the command palette), or turn Trainable on in the inspector.',
    );
  }
  return 'This model has no weights to train. Add a layer with weights (e.g. Dense or Conv2D) between the Input and the Output.';
}
