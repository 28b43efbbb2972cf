/**
 * Keras applies a weight's constraint (`kernel_constraint=MaxNorm(2)`, `NonNeg()`, `UnitNorm()`)
 * right after each optimizer step (`optimizer.apply` assigns `constraint(variable)`). tfjs-layers
 * keeps the constraint on the layer's variable but applies it only when the variable is written
 * through the layer (`LayerVariable.write`), never after an optimizer step, so a model trains
 * unconstrained. The trainer calls {@link applyWeightConstraints} after every step instead.
 */
import type * as tfjs from '@tensorflow/tfjs';

/** A tfjs layer variable as read here: its constraint, and the tf.Variable tfjs keeps protected. */
interface ConstrainedVariable {
  readonly trainable: boolean;
  readonly constraint: { apply(w: tfjs.Tensor): tfjs.Tensor } | null | undefined;
  readonly val: tfjs.Variable;
}

/** A model as read here: its weights (tfjs's `LayersModel.weights`). */
interface WithWeights {
  readonly weights: readonly tfjs.LayerVariable[];
}

/**
 * Projects every trainable weight that has a constraint onto it, as Keras does after each step.
 * Assigns the variable directly: going through `LayerVariable.write` would apply the constraint a
 * second time, and MaxNorm is only idempotent up to its epsilon.
 */
export function applyWeightConstraints(model: WithWeights): void {
  for (const w of model.weights) {
    const v = w as unknown as ConstrainedVariable;
    if (!v.trainable || !v.constraint) continue;
    const projected = v.constraint.apply(v.val);
    v.val.assign(projected);
    projected.dispose();
  }
}

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
