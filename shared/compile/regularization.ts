/**
 * Weight regularization as Keras counts it. Keras adds the penalties of `kernel_regularizer` and
 * friends to the loss of every training step and of `evaluate`; tfjs-layers adds them in
 * `fit`/`trainOnBatch` but leaves them out of `evaluate`, so the trainer adds them to evaluated losses.
 */
import type * as tfjs from '@tensorflow/tfjs';

/** A model as read by {@link regularizationPenalty}: tfjs's `Container.calculateLosses`. */
interface WithPenalties {
  calculateLosses(): tfjs.Scalar[];
}

/**
 * The weight regularization penalty of the model now (Σ l1·|w| + l2·w² over the regularized
 * weights). Keras's `evaluate` adds it to the loss as its training steps do; tfjs's `evaluate`
 * leaves it out (its `trainOnBatch` includes it), so the trainer adds it to evaluated losses.
 */
export function regularizationPenalty(model: WithPenalties): number {
  const penalties = model.calculateLosses();
  let sum = 0;
  for (const p of penalties) sum += p.dataSync()[0];
  for (const p of penalties) p.dispose();
  return sum;
}
