/**
 * Weight constraints as Keras applies them. Keras projects a weight onto its constraint
 * (`kernel_constraint=MaxNorm(2)`, `NonNeg()`, `UnitNorm()`, `MinMaxNorm(...)`) right after each
 * optimizer step (`optimizer.apply` assigns `constraint(variable)` to every trainable variable that
 * has one), and never when weights are set or loaded. tfjs-layers does the opposite: its `fit` and
 * `trainOnBatch` never project, while `LayerVariable.write` (setWeights, loading) does. So Layerloom
 * keeps constraints off its tfjs layers (the Keras call carries them; tfjsSpelling.ts drops them from
 * the tfjs config) and the trainer calls {@link applyConstraints} after every step, with Keras 3.15's
 * formulas and epsilon: the app's weights before and after training equal Keras's.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { KerasArg, LayerCall } from '../blocks/types.js';
import type { TF } from './tfTypes.js';

/** `keras.backend.epsilon()`, which Keras adds to the norms it divides by. */
const KERAS_EPSILON = 1e-7;

/** One of Keras's constraints with its numbers (Keras spelling). */
export interface WeightConstraint {
  readonly className: 'MaxNorm' | 'NonNeg' | 'UnitNorm' | 'MinMaxNorm';
  readonly maxValue: number;
  readonly minValue: number;
  readonly rate: number;
  /** Axes the norms run over (Keras's `axis`, non-negative). */
  readonly axis: readonly number[];
}

/** A constrained weight of a layer of the compiled model. */
export interface ConstrainedWeight {
  /** The layer's name in the model (its wrapper's, for a time-distributed or bidirectional layer). */
  readonly layer: string;
  /** The weight's own name, the end of its tfjs name (`kernel`, `bias`, `embeddings`, `depthwise_kernel`). */
  readonly weight: string;
  readonly constraint: WeightConstraint;
}

/** Keras's `<prefix>_constraint` argument → the weight it constrains. */
const CONSTRAINED_WEIGHT: Readonly<Record<string, string>> = {
  kernel_constraint: 'kernel',
  bias_constraint: 'bias',
  embeddings_constraint: 'embeddings',
  depthwise_constraint: 'depthwise_kernel',
  pointwise_constraint: 'pointwise_kernel',
  recurrent_constraint: 'recurrent_kernel',
};

function numberArg(args: readonly (readonly [string, KerasArg])[], name: string, fallback: number): number {
  const v = args.find(([k]) => k === name)?.[1];
  return typeof v === 'number' ? v : fallback;
}

function axisArg(args: readonly (readonly [string, KerasArg])[]): number[] {
  const v = args.find(([k]) => k === 'axis')?.[1];
  if (typeof v === 'number') return [v];
  if (v !== null && typeof v === 'object' && 'tuple' in v) return v.tuple.filter((a): a is number => typeof a === 'number');
  return [0];
}

/** The constraint a Keras argument value describes, or null for none (or another kind of value). */
function readConstraint(value: KerasArg): WeightConstraint | null {
  if (value === null || typeof value !== 'object' || !('module' in value) || value.module !== 'constraints') return null;
  const className = value.className;
  if (className !== 'MaxNorm' && className !== 'NonNeg' && className !== 'UnitNorm' && className !== 'MinMaxNorm') return null;
  const args = value.args;
  return {
    className,
    maxValue: numberArg(args, 'max_value', className === 'MaxNorm' ? 2 : 1),
    minValue: numberArg(args, 'min_value', 0),
    rate: numberArg(args, 'rate', 1),
    axis: axisArg(args),
  };
}

/** The constrained weights of one layer call (from its Keras arguments), under the layer's model name. */
export function callConstraints(call: Pick<LayerCall, 'kerasArgs'>, layer: string): ConstrainedWeight[] {
  const out: ConstrainedWeight[] = [];
  for (const [name, value] of call.kerasArgs) {
    const weight = CONSTRAINED_WEIGHT[name];
    const constraint = weight ? readConstraint(value) : null;
    if (weight && constraint) out.push({ layer, weight, constraint });
  }
  return out;
}

/**
 * `w` projected onto `c`, as Keras 3.15's constraint classes compute it (float32, the same
 * operations in the same order):
 * MaxNorm `w · clip(‖w‖, 0, max) / (ε + ‖w‖)`, NonNeg `max(w, 0)`, UnitNorm `w / (ε + ‖w‖)`,
 * MinMaxNorm `w · (rate · clip(‖w‖, min, max) + (1 − rate) · ‖w‖) / (ε + ‖w‖)`, with the norms
 * over `axis` (kept as size-1 axes).
 */
export function projectWeight(tf: TF, w: tfjs.Tensor, c: WeightConstraint): tfjs.Tensor {
  return tf.tidy(() => {
    if (c.className === 'NonNeg') return tf.maximum(w, 0);
    const norms = tf.sqrt(tf.sum(tf.square(w), [...c.axis], true));
    const denominator = tf.add(norms, KERAS_EPSILON);
    if (c.className === 'UnitNorm') return tf.div(w, denominator);
    const desired =
      c.className === 'MaxNorm'
        ? tf.clipByValue(norms, 0, c.maxValue)
        : tf.add(tf.mul(tf.clipByValue(norms, c.minValue, c.maxValue), c.rate), tf.mul(norms, 1 - c.rate));
    return tf.mul(w, tf.div(desired, denominator));
  });
}

/** A model as {@link applyConstraints} reads it. */
interface WithLayers {
  getLayer(name: string): { readonly trainable: boolean; readonly trainableWeights: readonly tfjs.LayerVariable[] };
}

/**
 * Projects every constrained trainable weight of `model`, as Keras does after each optimizer step.
 * A frozen layer's weights are left alone (Keras's optimizer only visits trainable variables).
 * `LayerVariable.write` assigns the projection; it projects nothing itself, since the tfjs layers
 * carry no constraint.
 */
export function applyConstraints(tf: TF, model: WithLayers, constrained: readonly ConstrainedWeight[]): void {
  for (const { layer, weight, constraint } of constrained) {
    const l = model.getLayer(layer);
    // A bidirectional layer has the weight twice (forward and backward): each is projected.
    for (const v of l.trainableWeights) {
      if (!v.originalName.endsWith(`/${weight}`)) continue;
      const projected = projectWeight(tf, v.read(), constraint);
      v.write(projected);
      projected.dispose();
    }
  }
}
