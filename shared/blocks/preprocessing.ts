/**
 * Preprocessing inside the model: Rescaling (`x · scale + offset`) and Normalization
 * (`(x − mean) / √variance` per feature). Semantics, names and weights follow `keras.layers`
 * (Keras 3): Normalization holds `mean`, `variance` (one per entry of its axis) and `count` as
 * non-trainable weights, as EfficientNet's saved weights carry them. tfjs-layers 4.22 has no
 * Normalization; it runs as Layerloom's own `LayerloomNormalization`.
 */
import type { BlockDef, KerasCall, Shape, ShapeResult } from './types.js';
import { num } from './paramUtils.js';
import { fail, ok } from './results.js';
import { formatShape } from './shapeUtils.js';
import { SINGLE_INPUT } from './core.js';
import { defineBlock } from './define.js';
import { LAYERLOOM_TFJS_CLASSES } from './tfjsSpelling.js';

const NO_PARAMS = { trainable: 0, nonTrainable: 0 } as const;

/** `x · scale + offset`, e.g. pixels 0–255 to 0–1. */
export const RescalingBlock: BlockDef = defineBlock({
  type: 'Rescaling',
  category: 'Normalization',
  description: 'Multiplies by a scale and adds an offset, e.g. 1/255 turns pixels 0–255 into 0–1.',
  params: [
    { name: 'scale', label: 'Scale', kind: 'float', default: 1 / 255, help: 'Factor applied first: 1/255 ≈ 0.0039216 for pixels to 0–1; 1/127.5 with offset −1 for −1 to 1.' },
    { name: 'offset', label: 'Offset', kind: 'float', default: 0, help: 'Added after scaling.' },
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input]) => (input ? ok(input) : fail('LL004', 'Connect an input to the Rescaling.')),
  paramCount: () => NO_PARAMS,
  keras: (params): KerasCall => ({
    kerasClass: 'Rescaling',
    kerasArgs: [
      ['scale', num(params, 'scale')],
      ['offset', num(params, 'offset')],
    ],
  }),
});

/** The per-sample index of a Keras axis (batch = 0, negative from the end), or null when out of range. */
function normalizedAxis(axis: number, input: Shape): number | null {
  const rank = input.length + 1;
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 1 && a < rank ? a - 1 : null;
}

function inferNormalization(input: Shape | null, axis: number): ShapeResult {
  if (!input) return fail('LL004', 'Connect an input to the Normalization.');
  const i = normalizedAxis(axis, input);
  if (i === null || input.length === 0) {
    return fail('LL011', `Normalization: axis ${axis} does not exist on ${formatShape(input)}; use -1 (the last axis, one mean per feature) or 1 to ${input.length}.`, 'axis');
  }
  if (input[i] === null) {
    return fail('LL018', `Normalization keeps one mean and variance per entry of axis ${axis}, but its size is variable in ${formatShape(input)}. Fix that size, or normalize another axis.`, 'axis');
  }
  return ok(input);
}

/** Keras's Normalization with one kept axis: mean and variance are weights. */
export const NormalizationBlock: BlockDef = defineBlock({
  type: 'Normalization',
  category: 'Normalization',
  description: 'Standardizes each feature with a stored mean and variance (weights, not learned by training): (x − mean) / √variance.',
  params: [
    {
      name: 'axis',
      label: 'Axis',
      kind: 'int',
      default: -1,
      help: 'Axis with its own mean and variance per entry (Keras numbering: -1 the last axis, the features or channels).',
    },
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params) => inferNormalization(input, num(params, 'axis')),
  paramCount: ([input], params) => {
    const i = input ? normalizedAxis(num(params, 'axis'), input) : null;
    const n = input && i !== null ? input[i] ?? 0 : 0;
    // mean and variance per entry, plus Keras's sample count.
    return { trainable: 0, nonTrainable: 2 * n + 1 };
  },
  keras: (params): KerasCall => ({ kerasClass: 'Normalization', kerasArgs: [['axis', num(params, 'axis')]] }),
  tfjs: { ownLayer: () => LAYERLOOM_TFJS_CLASSES.normalization },
});

/** Blocks in this family, registry order. */
export const preprocessingBlocks: readonly BlockDef[] = [RescalingBlock, NormalizationBlock];
