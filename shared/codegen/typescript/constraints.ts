/**
 * The weight constraints of train.ts: the model's constrained weights as a table and the projection
 * Layerloom's trainer applies after every step (shared/compile/constraints.ts, Keras 3.15's
 * formulas). model.ts builds its layers without constraints, as the app does: tfjs would project
 * weights whenever they are set or loaded, which Keras never does.
 */
import type { ConstrainedWeight } from '../../compile/constraints.js';
import type { ModelPlan } from '../plan.js';
import { callConstraints } from '../../compile/constraints.js';
import { tsString } from '../literals.js';

/** The constrained weights of a model plan, in plan order. */
export function planConstraints(plan: ModelPlan): ConstrainedWeight[] {
  return plan.steps.flatMap((s) => (s.kind === 'input' ? [] : callConstraints(s.call, s.name)));
}

/** train.ts's table of constrained weights and its projection; empty for a model without constraints. */
export function constraintsTs(constrained: readonly ConstrainedWeight[]): string {
  if (!constrained.length) return '';
  const rows = constrained.map(({ layer, weight, constraint: c }) =>
    `  { layer: ${tsString(layer)}, weight: ${tsString(weight)}, className: ${tsString(c.className)}, maxValue: ${c.maxValue}, minValue: ${c.minValue}, rate: ${c.rate}, axis: [${c.axis.join(', ')}] },`,
  );
  return `/** A weight constraint (Keras's MaxNorm, NonNeg, UnitNorm, MinMaxNorm) on one weight of a layer. */
interface Constrained {
  readonly layer: string;
  readonly weight: string;
  readonly className: 'MaxNorm' | 'NonNeg' | 'UnitNorm' | 'MinMaxNorm';
  readonly maxValue: number;
  readonly minValue: number;
  readonly rate: number;
  readonly axis: number[];
}

/**
 * The model's weight constraints. Keras projects these weights after every optimizer step and never
 * on load; tfjs's fit does not project at all, so main() does it after each batch (the layers in
 * model.ts carry no constraint: tfjs would also project weights when they are loaded).
 */
const CONSTRAINTS: readonly Constrained[] = [
${rows.join('\n')}
];

/** \`w\` projected onto its constraint, as Keras 3.15 computes it (ε = 1e-7, Keras's epsilon). */
function project(w: tf.Tensor, c: Constrained): tf.Tensor {
  return tf.tidy(() => {
    if (c.className === 'NonNeg') return tf.maximum(w, 0);
    const norms = tf.sqrt(tf.sum(tf.square(w), c.axis, true));
    const denominator = tf.add(norms, 1e-7);
    if (c.className === 'UnitNorm') return tf.div(w, denominator);
    const desired =
      c.className === 'MaxNorm'
        ? tf.clipByValue(norms, 0, c.maxValue)
        : tf.add(tf.mul(tf.clipByValue(norms, c.minValue, c.maxValue), c.rate), tf.mul(norms, 1 - c.rate));
    return tf.mul(w, tf.div(desired, denominator));
  });
}

/** Projects every constrained trainable weight (a frozen layer's stay as they are, as in Keras). */
function applyConstraints(model: tf.LayersModel): void {
  for (const c of CONSTRAINTS) {
    for (const v of model.getLayer(c.layer).trainableWeights) {
      if (!v.originalName.endsWith(\`/\${c.weight}\`)) continue;
      const projected = project(v.read(), c);
      v.write(projected);
      projected.dispose();
    }
  }
}

`;
}

/** The lines of main() that project after each batch; empty for a model without constraints. */
export function constraintsCallbackTs(constrained: readonly ConstrainedWeight[]): string {
  if (!constrained.length) return '';
  return `  // Keras projects constrained weights right after each optimizer step; tfjs's fit does not.
  callbacks.push(new tf.CustomCallback({ onBatchEnd: async () => applyConstraints(model) }));
`;
}
