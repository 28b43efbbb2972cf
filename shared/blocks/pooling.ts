/**
 * Pooling and up-sampling blocks: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D,
 * GlobalAveragePooling1D/2D/3D, GlobalMaxPooling1D/2D/3D, UpSampling1D/2D/3D. Semantics and parameter names follow `keras.layers` (Keras 3,
 * channels last).
 *
 * `strides` left empty (null) means "same as pool_size", as in Keras; tfjs is given the resolved
 * value. UpSampling2D "bilinear" runs as Layerloom's own `LayerloomResize`: tfjs's bilinear
 * up-sampling uses the old corner alignment (TF 1 `half_pixel_centers=False`) while Keras 3 resizes
 * with half-pixel centres. The 3-D global poolings run as Layerloom's own global pooling layer
 * (tfjs-layers 4.22 has none for rank 5), and UpSampling1D/3D as Layerloom's own
 * `LayerloomUpSampling1D/3D` (tfjs has only 2-D up-sampling).
 */
import type { BlockDef, Dim, KerasArg, KerasCall, ParamSpec, Params, ShapeResult } from './types.js';
import { bool, intTuple, str, tuple } from './paramUtils.js';
import { fail, ok, rankError, shrinkError } from './results.js';
import { formatShape, poolOutputLength, upsampledLength } from './shapeUtils.js';
import { SINGLE_INPUT } from './core.js';
import { checkSpatialRank, type Spatial } from './conv.js';
import { defineBlock } from './define.js';
import { LAYERLOOM_TFJS_CLASSES, withArg } from './tfjsSpelling.js';

const NO_PARAMS = { trainable: 0, nonTrainable: 0 } as const;

/** Names of the pooled axes, for messages. */
const AXES: Readonly<Record<Spatial, readonly string[]>> = { 1: ['length'], 2: ['height', 'width'], 3: ['depth', 'height', 'width'] };

/** What to suggest on a rank mismatch: the same pooling for images or for sequences. */
function alternatives(spatial: Spatial, other: string): { image?: string; sequence?: string } {
  return spatial === 2 ? { sequence: other } : { image: other };
}

/** The pooling kinds: which reduction, how many spatial axes. */
interface PoolKind {
  readonly type: 'MaxPooling1D' | 'MaxPooling2D' | 'MaxPooling3D' | 'AveragePooling1D' | 'AveragePooling2D' | 'AveragePooling3D';
  readonly spatial: Spatial;
  /** The same pooling for the other rank, suggested on a rank mismatch. */
  readonly other: string;
  readonly description: string;
}

function poolParams(kind: PoolKind): ParamSpec[] {
  const what = kind.type.startsWith('Max') ? 'largest' : 'mean';
  const sizeHelp = `Window whose ${what} value is kept. 2 halves the size (with the default strides).`;
  const stridesHelp = 'Step between windows. Leave empty to use the pool size (non-overlapping windows, Keras’s default).';
  const size: ParamSpec =
    kind.spatial === 1
      ? { name: 'pool_size', label: 'Pool size', kind: 'int', default: 2, min: 1, help: sizeHelp }
      : { name: 'pool_size', label: 'Pool size', kind: 'ints', length: kind.spatial, default: new Array<number>(kind.spatial).fill(2), min: 1, help: sizeHelp };
  const strides: ParamSpec =
    kind.spatial === 1
      ? { name: 'strides', label: 'Strides', kind: 'int', default: null, min: 1, nullable: true, help: stridesHelp }
      : { name: 'strides', label: 'Strides', kind: 'ints', length: kind.spatial, default: null, min: 1, nullable: true, help: stridesHelp };
  return [
    size,
    strides,
    {
      name: 'padding',
      label: 'Padding',
      kind: 'enum',
      default: 'valid',
      options: ['valid', 'same'],
      help: '"valid": only whole windows, leftover edge positions are dropped. "same": pads so that the output has ceil(input / strides) positions.',
    },
  ];
}

/** Pool size and strides as one entry per spatial axis (strides fall back to the pool size). */
function poolWindow(params: Params, spatial: Spatial): { pool: number[]; strides: number[] } {
  const pool = intTuple(params, 'pool_size', spatial);
  const strides = params.strides === null || params.strides === undefined ? pool : intTuple(params, 'strides', spatial);
  return { pool, strides };
}

function spatialLiteral(values: readonly number[], spatial: Spatial): KerasArg {
  return spatial === 1 ? values[0] : tuple(values);
}

function poolBlock(kind: PoolKind): BlockDef {
  return defineBlock({
    type: kind.type,
    category: 'Pooling',
    description: kind.description,
    timeDistributable: kind.spatial !== 3,
    params: poolParams(kind),
    ports: () => SINGLE_INPUT,
    inferShape: ([input], params): ShapeResult => {
      if (!input) return fail('LL004', `Connect an input to the ${kind.type}.`);
      const rank = checkSpatialRank(kind.type, input, kind.spatial, alternatives(kind.spatial, kind.other));
      if (rank) return rank;
      const { pool, strides } = poolWindow(params, kind.spatial);
      const padding = str(params, 'padding') === 'same' ? 'same' : 'valid';
      const dims: Dim[] = [];
      for (let i = 0; i < kind.spatial; i++) {
        const n = input[i];
        const len = poolOutputLength(n, pool[i], padding, strides[i]);
        if (n !== null && len !== null && len <= 0) return shrinkError(kind.type, AXES[kind.spatial][i], n, pool[i], 'pool_size');
        dims.push(len);
      }
      return ok([...dims, input[input.length - 1]]);
    },
    paramCount: () => NO_PARAMS,
    keras: (params): KerasCall => {
      const { pool, strides } = poolWindow(params, kind.spatial);
      const explicit = params.strides === null || params.strides === undefined ? null : spatialLiteral(strides, kind.spatial);
      return {
        kerasClass: kind.type,
        kerasArgs: [
          ['pool_size', spatialLiteral(pool, kind.spatial)],
          ['strides', explicit],
          ['padding', str(params, 'padding')],
        ],
      };
    },
    // Keras's strides=None means "the pool size"; tfjs is given the resolved value.
    tfjs: { adjust: (call, params) => ({ ...call, args: withArg(call.args, 'strides', spatialLiteral(poolWindow(params, kind.spatial).strides, kind.spatial)) }) },
  });
}

/** Max over windows of a sequence. */
export const MaxPooling1DBlock = poolBlock({
  type: 'MaxPooling1D',
  spatial: 1,
  other: 'MaxPooling2D',
  description: 'Downsamples a sequence by keeping the largest value in each window.',
});

/** Max over windows of an image. */
export const MaxPooling2DBlock = poolBlock({
  type: 'MaxPooling2D',
  spatial: 2,
  other: 'MaxPooling1D',
  description: 'Downsamples an image by keeping the largest value in each window (usually 2×2).',
});

/** Max over windows of a volume. */
export const MaxPooling3DBlock = poolBlock({
  type: 'MaxPooling3D',
  spatial: 3,
  other: 'MaxPooling2D',
  description: 'Downsamples a volume or video (depth, height, width) by keeping the largest value in each window.',
});

/** Mean over windows of a sequence. */
export const AveragePooling1DBlock = poolBlock({
  type: 'AveragePooling1D',
  spatial: 1,
  other: 'AveragePooling2D',
  description: 'Downsamples a sequence by averaging each window.',
});

/** Mean over windows of an image. */
export const AveragePooling2DBlock = poolBlock({
  type: 'AveragePooling2D',
  spatial: 2,
  other: 'AveragePooling1D',
  description: 'Downsamples an image by averaging each window.',
});

/** Mean over windows of a volume. */
export const AveragePooling3DBlock = poolBlock({
  type: 'AveragePooling3D',
  spatial: 3,
  other: 'AveragePooling2D',
  description: 'Downsamples a volume or video (depth, height, width) by averaging each window.',
});

/** The global pooling kinds. */
interface GlobalKind {
  readonly type:
    | 'GlobalAveragePooling1D'
    | 'GlobalAveragePooling2D'
    | 'GlobalAveragePooling3D'
    | 'GlobalMaxPooling1D'
    | 'GlobalMaxPooling2D'
    | 'GlobalMaxPooling3D';
  readonly spatial: Spatial;
  readonly other: string;
  readonly description: string;
}

function globalBlock(kind: GlobalKind): BlockDef {
  return defineBlock({
    type: kind.type,
    category: 'Pooling',
    description: kind.description,
    timeDistributable: kind.spatial !== 3,
    params: [
      {
        name: 'keepdims',
        label: 'Keep dims',
        kind: 'bool',
        default: false,
        help: 'Keep the pooled axes with size 1 ((1, 1, channels) for an image), e.g. to multiply the result back onto the feature map (squeeze-and-excitation).',
        advanced: true,
      },
    ],
    ports: () => SINGLE_INPUT,
    inferShape: ([input], params): ShapeResult => {
      if (!input) return fail('LL004', `Connect an input to the ${kind.type}.`);
      if (input.length === 1) {
        return rankError(
          kind.type,
          kind.spatial === 1 ? 'rank-3 (None, steps, features)' : kind.spatial === 2 ? 'rank-4 (None, height, width, channels)' : 'rank-5 (None, depth, height, width, channels)',
          input,
          'The input is already one vector per sample: remove this block, or Reshape it to add the axes to pool over.',
        );
      }
      const rank = checkSpatialRank(kind.type, input, kind.spatial, alternatives(kind.spatial, kind.other));
      if (rank) return rank;
      const channels = input[input.length - 1];
      return ok(bool(params, 'keepdims') ? [...new Array<number>(kind.spatial).fill(1), channels] : [channels]);
    },
    paramCount: () => NO_PARAMS,
    keras: (params): KerasCall => ({ kerasClass: kind.type, kerasArgs: [['keepdims', bool(params, 'keepdims')]] }),
    tfjs: {
      // tfjs's global pooling layers have no keepdims, none pools rank-5 inputs, and its
      // GlobalAveragePooling1D ignores a padding mask (Embedding mask_zero) that Keras's honours.
      ownLayer: (params) => (ownGlobal(kind, params) ? LAYERLOOM_TFJS_CLASSES.globalPooling : null),
      adjust: (call, params) =>
        ownGlobal(kind, params)
          ? { ...call, args: [['reduction', kind.type.startsWith('GlobalMax') ? 'max' : 'mean'], ...call.args] }
          : { ...call, args: call.args.filter(([k]) => k !== 'keepdims') },
    },
  });
}

/** True when the global pooling runs as Layerloom's own layer (see globalBlock). */
function ownGlobal(kind: GlobalKind, params: Params): boolean {
  return kind.spatial === 3 || bool(params, 'keepdims') || kind.type === 'GlobalAveragePooling1D';
}

/** Mean over all steps of a sequence. */
export const GlobalAveragePooling1DBlock = globalBlock({
  type: 'GlobalAveragePooling1D',
  spatial: 1,
  other: 'GlobalAveragePooling2D',
  description: 'Averages over all steps: one feature vector per sequence, whatever its length.',
});

/** Mean over the whole image. */
export const GlobalAveragePooling2DBlock = globalBlock({
  type: 'GlobalAveragePooling2D',
  spatial: 2,
  other: 'GlobalAveragePooling1D',
  description: 'Averages each channel over the whole image: a lighter alternative to Flatten before the classifier.',
});

/** Mean over a whole volume. */
export const GlobalAveragePooling3DBlock = globalBlock({
  type: 'GlobalAveragePooling3D',
  spatial: 3,
  other: 'GlobalAveragePooling2D',
  description: 'Averages each channel over a whole volume or video clip: one feature vector per sample.',
});

/** Max over all steps of a sequence. */
export const GlobalMaxPooling1DBlock = globalBlock({
  type: 'GlobalMaxPooling1D',
  spatial: 1,
  other: 'GlobalMaxPooling2D',
  description: 'Keeps the largest value of each feature over all steps of a sequence.',
});

/** Max over the whole image. */
export const GlobalMaxPooling2DBlock = globalBlock({
  type: 'GlobalMaxPooling2D',
  spatial: 2,
  other: 'GlobalMaxPooling1D',
  description: 'Keeps the largest value of each channel over the whole image.',
});

/** Max over a whole volume. */
export const GlobalMaxPooling3DBlock = globalBlock({
  type: 'GlobalMaxPooling3D',
  spatial: 3,
  other: 'GlobalMaxPooling2D',
  description: 'Keeps the largest value of each channel over a whole volume or video clip.',
});

/** Repeats rows and columns to enlarge an image. */
export const UpSampling2DBlock: BlockDef = defineBlock({
  type: 'UpSampling2D',
  category: 'Pooling',
  description: 'Enlarges an image by repeating each row and column (no weights); the cheap alternative to Conv2DTranspose.',
  params: [
    { name: 'size', label: 'Size', kind: 'ints', length: 2, default: [2, 2], min: 1, help: 'Repeat factor for height and width: 2, 2 doubles both.' },
    {
      name: 'interpolation',
      label: 'Interpolation',
      kind: 'enum',
      default: 'nearest',
      options: ['nearest', 'bilinear'],
      help: 'How new pixels are filled: "nearest" copies the nearest pixel, "bilinear" blends the four nearest (smoother; needs a fixed input height and width).',
      advanced: true,
    },
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params): ShapeResult => {
    if (!input) return fail('LL004', 'Connect an input to the UpSampling2D.');
    const rank = checkSpatialRank('UpSampling2D', input, 2, {});
    if (rank) return rank;
    const size = intTuple(params, 'size', 2);
    if (str(params, 'interpolation') === 'bilinear' && (input[0] === null || input[1] === null)) {
      return fail('LL018', `UpSampling2D "bilinear" needs a fixed input height and width in Layerloom, got ${formatShape(input)}. Fix the size on the Input, or use "nearest".`, 'interpolation');
    }
    return ok([upsampledLength(input[0], size[0]), upsampledLength(input[1], size[1]), input[2]]);
  },
  paramCount: () => NO_PARAMS,
  keras: (params): KerasCall => ({
    kerasClass: 'UpSampling2D',
    kerasArgs: [
      ['size', tuple(intTuple(params, 'size', 2))],
      ['interpolation', str(params, 'interpolation')],
    ],
  }),
  tfjs: {
    ownLayer: (params) => (str(params, 'interpolation') === 'bilinear' ? LAYERLOOM_TFJS_CLASSES.resize : null),
    // Layerloom's resize layer takes the output size.
    adjust: (call, params, [input]) => {
      if (call.factory !== LAYERLOOM_TFJS_CLASSES.resize) return call;
      const size = intTuple(params, 'size', 2);
      return { ...call, args: [['height', (input?.[0] ?? 0) * size[0]], ['width', (input?.[1] ?? 0) * size[1]], ['interpolation', 'bilinear']] };
    },
  },
});

/** Repeats steps to lengthen a sequence. */
export const UpSampling1DBlock: BlockDef = defineBlock({
  type: 'UpSampling1D',
  category: 'Pooling',
  description: 'Lengthens a sequence by repeating each step (no weights); the cheap alternative to Conv1DTranspose.',
  params: [{ name: 'size', label: 'Size', kind: 'int', default: 2, min: 1, warnAbove: 1024, help: 'How many times each step is repeated: 2 doubles the length.' }],
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params): ShapeResult => {
    if (!input) return fail('LL004', 'Connect an input to the UpSampling1D.');
    const rank = checkSpatialRank('UpSampling1D', input, 1, { image: 'UpSampling2D' });
    if (rank) return rank;
    return ok([upsampledLength(input[0], intTuple(params, 'size', 1)[0]), input[1]]);
  },
  paramCount: () => NO_PARAMS,
  keras: (params): KerasCall => ({ kerasClass: 'UpSampling1D', kerasArgs: [['size', intTuple(params, 'size', 1)[0]]] }),
  tfjs: { ownLayer: () => LAYERLOOM_TFJS_CLASSES.upSampling1d },
});

/** Repeats slices, rows and columns to enlarge a volume. */
export const UpSampling3DBlock: BlockDef = defineBlock({
  type: 'UpSampling3D',
  category: 'Pooling',
  description: 'Enlarges a volume or video clip by repeating each slice, row and column (no weights); the cheap alternative to Conv3DTranspose.',
  params: [{ name: 'size', label: 'Size', kind: 'ints', length: 3, default: [2, 2, 2], min: 1, warnAbove: 64, help: 'Repeat factor for depth, height and width: 2, 2, 2 doubles all three.' }],
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params): ShapeResult => {
    if (!input) return fail('LL004', 'Connect an input to the UpSampling3D.');
    const rank = checkSpatialRank('UpSampling3D', input, 3, { image: 'UpSampling2D' });
    if (rank) return rank;
    const size = intTuple(params, 'size', 3);
    return ok([upsampledLength(input[0], size[0]), upsampledLength(input[1], size[1]), upsampledLength(input[2], size[2]), input[3]]);
  },
  paramCount: () => NO_PARAMS,
  keras: (params): KerasCall => ({ kerasClass: 'UpSampling3D', kerasArgs: [['size', tuple(intTuple(params, 'size', 3))]] }),
  tfjs: { ownLayer: () => LAYERLOOM_TFJS_CLASSES.upSampling3d },
});

/** Blocks in this family, registry order. */
export const poolingBlocks: readonly BlockDef[] = [
  MaxPooling1DBlock,
  MaxPooling2DBlock,
  MaxPooling3DBlock,
  AveragePooling1DBlock,
  AveragePooling2DBlock,
  AveragePooling3DBlock,
  GlobalAveragePooling1DBlock,
  GlobalAveragePooling2DBlock,
  GlobalAveragePooling3DBlock,
  GlobalMaxPooling1DBlock,
  GlobalMaxPooling2DBlock,
  GlobalMaxPooling3DBlock,
  UpSampling1DBlock,
  UpSampling2DBlock,
  UpSampling3DBlock,
];
