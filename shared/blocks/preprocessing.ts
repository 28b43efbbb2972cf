/**
 * Preprocessing inside the model: Rescaling (`x · scale + offset`), Normalization
 * (`(x − mean) / √variance` per feature), Resizing (bilinear or nearest, half-pixel centres as
 * Keras; Layerloom's own `LayerloomResize` in tfjs) and CenterCrop (tfjs's Cropping2D with the
 * sides worked out from the fixed input size). Semantics, names and weights follow `keras.layers`
 * (Keras 3): Normalization holds `mean`, `variance` (one per entry of its axis) and `count` as
 * non-trainable weights, as EfficientNet's saved weights carry them. tfjs-layers 4.22 has no
 * Normalization; it runs as Layerloom's own `LayerloomNormalization`.
 */
import type { BlockDef, KerasCall, Shape, ShapeResult } from './types.js';
import { num, str, tuple } from './paramUtils.js';
import { fail, ok } from './results.js';
import { formatShape } from './shapeUtils.js';
import { SINGLE_INPUT } from './core.js';
import { checkSpatialRank } from './conv.js';
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

/** Keras's Resizing: an image to a fixed height and width, with TensorFlow's half-pixel centres. */
export const ResizingBlock: BlockDef = defineBlock({
  type: 'Resizing',
  category: 'Reshaping',
  description: 'Resizes images to a fixed height and width (bilinear or nearest), e.g. to feed a model made for another size.',
  params: [
    { name: 'height', label: 'Height', kind: 'int', default: 32, min: 1, warnAbove: 16_384, help: 'Output height in pixels.' },
    { name: 'width', label: 'Width', kind: 'int', default: 32, min: 1, warnAbove: 16_384, help: 'Output width in pixels.' },
    {
      name: 'interpolation',
      label: 'Interpolation',
      kind: 'enum',
      default: 'bilinear',
      options: ['bilinear', 'nearest'],
      help: 'bilinear blends the four nearest pixels; nearest copies one. Pixel centres as in TensorFlow (half-pixel).',
    },
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params): ShapeResult => {
    if (!input) return fail('LL004', 'Connect an input to the Resizing.');
    const rank = checkSpatialRank('Resizing', input, 2, {});
    if (rank) return rank;
    if (input[0] === null || input[1] === null) {
      return fail('LL018', `Resizing needs a fixed input height and width in Layerloom, got ${formatShape(input)}. Fix the size on the Input.`);
    }
    return ok([num(params, 'height'), num(params, 'width'), input[2]]);
  },
  paramCount: () => NO_PARAMS,
  keras: (params): KerasCall => ({
    kerasClass: 'Resizing',
    kerasArgs: [
      ['height', num(params, 'height')],
      ['width', num(params, 'width')],
      ['interpolation', str(params, 'interpolation')],
    ],
  }),
  // tfjs's resizing layer aligns pixels differently from Keras (see shared/compile/customLayers.ts).
  tfjs: { ownLayer: () => LAYERLOOM_TFJS_CLASSES.resize },
});

/**
 * Rows and columns CenterCrop removes before (top, left) and after (bottom, right): the floor of
 * half the excess first, as Keras.
 */
export function centerCropSides(input: Shape, height: number, width: number): [[number, number], [number, number]] {
  const side = (n: number, keep: number): [number, number] => [Math.floor((n - keep) / 2), n - keep - Math.floor((n - keep) / 2)];
  return [side(input[0] ?? height, height), side(input[1] ?? width, width)];
}

/** Keras's CenterCrop: the central height × width window of an image. */
export const CenterCropBlock: BlockDef = defineBlock({
  type: 'CenterCrop',
  category: 'Reshaping',
  description: 'Keeps the central height × width window of each image (e.g. the middle 224 × 224 of a 256 × 256 image).',
  params: [
    { name: 'height', label: 'Height', kind: 'int', default: 24, min: 1, warnAbove: 16_384, help: 'Rows kept, from the middle (one row more is removed at the bottom than at the top when the excess is odd).' },
    { name: 'width', label: 'Width', kind: 'int', default: 24, min: 1, warnAbove: 16_384, help: 'Columns kept, from the middle (one more removed on the right when the excess is odd).' },
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params): ShapeResult => {
    if (!input) return fail('LL004', 'Connect an input to the CenterCrop.');
    const rank = checkSpatialRank('CenterCrop', input, 2, {});
    if (rank) return rank;
    if (input[0] === null || input[1] === null) {
      return fail('LL018', `CenterCrop needs a fixed input height and width in Layerloom, got ${formatShape(input)}. Fix the size on the Input.`);
    }
    const height = num(params, 'height');
    const width = num(params, 'width');
    if (height > input[0] || width > input[1]) {
      return fail(
        'LL009',
        `CenterCrop to ${height} × ${width} on ${formatShape(input)}: the input is smaller than the crop. Keras then resizes the image up instead of cropping, which Layerloom does not offer; crop at most ${input[0]} × ${input[1]}, or add a Resizing block before it.`,
        height > input[0] ? 'height' : 'width',
      );
    }
    return ok([height, width, input[2]]);
  },
  paramCount: () => NO_PARAMS,
  keras: (params): KerasCall => ({
    kerasClass: 'CenterCrop',
    kerasArgs: [
      ['height', num(params, 'height')],
      ['width', num(params, 'width')],
    ],
  }),
  // tfjs's own CenterCrop goes through cropAndResize (no gradient) and moves the window one column
  // right when the width is 1 too large; the fixed crop is tfjs's Cropping2D, sides worked out here.
  tfjs: {
    adjust: (call, params, [input]) => ({
      ...call,
      factory: 'cropping2D',
      args: [['cropping', tuple(centerCropSides(input ?? [null, null], num(params, 'height'), num(params, 'width')).map((p) => tuple(p)))]],
    }),
  },
});

/** Blocks in this family, registry order. */
export const preprocessingBlocks: readonly BlockDef[] = [RescalingBlock, NormalizationBlock, ResizingBlock, CenterCropBlock];
