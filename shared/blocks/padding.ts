/**
 * Padding, cropping and axis rearranging: ZeroPadding1D/2D/3D, Cropping1D/2D/3D, RepeatVector, Permute.
 * Semantics and names follow `keras.layers` (Keras 3, channels last).
 *
 * Paddings and croppings are stored one entry per side — `(before, after)` for a sequence,
 * `(top, bottom, left, right)` for an image — and printed as Keras writes them
 * (`((top, bottom), (left, right))`). tfjs-layers 4.22 has no 1-D or 3-D padding and cropping: they
 * run as Layerloom's own `LayerloomZeroPadding1D/3D` / `LayerloomCropping1D/3D`.
 */
import type { BlockDef, Dim, KerasArg, KerasCall, ParamSpec, Params, ShapeResult } from './types.js';
import { dims, intTuple, num, tuple } from './paramUtils.js';
import { fail, ok, rankError } from './results.js';
import { formatShape } from './shapeUtils.js';
import { SINGLE_INPUT } from './core.js';
import { checkSpatialRank } from './conv.js';
import { defineBlock } from './define.js';
import { LAYERLOOM_TFJS_CLASSES } from './tfjsSpelling.js';

const NO_PARAMS = { trainable: 0, nonTrainable: 0 } as const;

type Spatial = 1 | 2 | 3;

const SIDES: Readonly<Record<Spatial, string>> = { 1: 'before, after', 2: 'top, bottom, left, right', 3: 'front, back, top, bottom, left, right' };
const AXES: Readonly<Record<Spatial, readonly string[]>> = { 1: ['length'], 2: ['height', 'width'], 3: ['depth', 'height', 'width'] };

/** `(before, after)` per spatial axis. */
function sides(params: Params, name: string, spatial: Spatial): [number, number][] {
  const v = intTuple(params, name, 2 * spatial);
  return Array.from({ length: spatial }, (_, i) => [v[2 * i], v[2 * i + 1]] as [number, number]);
}

/** The Keras literal: `(a, b)` for a sequence, `((top, bottom), (left, right))` for an image (and a third pair for a volume). */
function sidesLiteral(pairs: readonly [number, number][]): KerasArg {
  return pairs.length === 1 ? tuple(pairs[0]) : tuple(pairs.map((p) => tuple(p)));
}

function sidesParam(name: 'padding' | 'cropping', spatial: Spatial, def: number): ParamSpec {
  const what = name === 'padding' ? 'Zeros added' : 'Values removed';
  return {
    name,
    label: name === 'padding' ? 'Padding' : 'Cropping',
    kind: 'ints',
    length: 2 * spatial,
    min: 0,
    default: new Array<number>(2 * spatial).fill(def),
    help: `${what} at each side (${SIDES[spatial]}).`,
  };
}

interface PadKind {
  readonly type: 'ZeroPadding1D' | 'ZeroPadding2D' | 'ZeroPadding3D' | 'Cropping1D' | 'Cropping2D' | 'Cropping3D';
  readonly spatial: Spatial;
  readonly crop: boolean;
  readonly description: string;
}

function padBlock(kind: PadKind): BlockDef {
  const param = kind.crop ? 'cropping' : 'padding';
  return defineBlock({
    type: kind.type,
    category: 'Reshaping',
    description: kind.description,
    params: [sidesParam(param, kind.spatial, kind.crop && kind.spatial === 2 ? 0 : 1)],
    ports: () => SINGLE_INPUT,
    inferShape: ([input], params): ShapeResult => {
      if (!input) return fail('LL004', `Connect an input to the ${kind.type}.`);
      const rank = checkSpatialRank(kind.type, input, kind.spatial, {});
      if (rank) return rank;
      const out: Dim[] = [];
      const pairs = sides(params, param, kind.spatial);
      for (let i = 0; i < kind.spatial; i++) {
        const n = input[i];
        const [a, b] = pairs[i];
        if (n === null) {
          out.push(null);
        } else if (kind.crop && a + b >= n) {
          return fail(
            'LL009',
            `${kind.type}: cropping ${a} + ${b} from the ${AXES[kind.spatial][i]} of ${formatShape(input)} leaves nothing (Keras needs the cropping smaller than the size ${n}). Crop less.`,
            param,
          );
        } else {
          out.push(kind.crop ? n - a - b : n + a + b);
        }
      }
      return ok([...out, input[kind.spatial]]);
    },
    paramCount: () => NO_PARAMS,
    keras: (params): KerasCall => ({ kerasClass: kind.type, kerasArgs: [[param, sidesLiteral(sides(params, param, kind.spatial))]] }),
    tfjs:
      kind.spatial === 1
        ? { ownLayer: () => (kind.crop ? LAYERLOOM_TFJS_CLASSES.cropping1d : LAYERLOOM_TFJS_CLASSES.zeroPadding1d) }
        : kind.spatial === 3
          ? { ownLayer: () => (kind.crop ? LAYERLOOM_TFJS_CLASSES.cropping3d : LAYERLOOM_TFJS_CLASSES.zeroPadding3d) }
          : kind.crop
          ? { adjust: (call) => ({ ...call, factory: 'cropping2D' }) }
          : undefined,
  });
}

/** Zeros before and after a sequence. */
export const ZeroPadding1DBlock = padBlock({ type: 'ZeroPadding1D', spatial: 1, crop: false, description: 'Adds zero steps at the start and end of a sequence.' });
/** Zeros around an image. */
export const ZeroPadding2DBlock = padBlock({
  type: 'ZeroPadding2D',
  spatial: 2,
  crop: false,
  description: 'Adds rows and columns of zeros around an image (e.g. before a strided convolution, as MobileNet and ResNet do).',
});
/** Steps removed from both ends of a sequence. */
export const Cropping1DBlock = padBlock({ type: 'Cropping1D', spatial: 1, crop: true, description: 'Removes steps from the start and end of a sequence.' });
/** Rows and columns removed from the borders of an image. */
export const Cropping2DBlock = padBlock({ type: 'Cropping2D', spatial: 2, crop: true, description: 'Removes rows and columns at the borders of an image.' });

/** Zeros around a volume. */
export const ZeroPadding3DBlock = padBlock({
  type: 'ZeroPadding3D',
  spatial: 3,
  crop: false,
  description: 'Adds zero slices, rows and columns around a volume or video clip (depth, height, width).',
});
/** Slices, rows and columns removed from the borders of a volume. */
export const Cropping3DBlock = padBlock({ type: 'Cropping3D', spatial: 3, crop: true, description: 'Removes slices, rows and columns at the borders of a volume or video clip.' });

/** Repeats a vector n times: (features) → (n, features). */
export const RepeatVectorBlock: BlockDef = defineBlock({
  type: 'RepeatVector',
  category: 'Reshaping',
  description: 'Repeats a feature vector n times into a sequence (e.g. to feed a decoder RNN).',
  params: [{ name: 'n', label: 'Repeats', kind: 'int', default: 2, min: 1, warnAbove: 1_000_000, help: 'Length of the sequence made of copies of the input vector.' }],
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params): ShapeResult => {
    if (!input) return fail('LL004', 'Connect an input to the RepeatVector.');
    if (input.length !== 1) return rankError('RepeatVector', 'rank-2 (None, features)', input, 'Flatten or pool it to one vector per sample first.');
    return ok([num(params, 'n'), input[0]]);
  },
  paramCount: () => NO_PARAMS,
  keras: (params): KerasCall => ({ kerasClass: 'RepeatVector', kerasArgs: [['n', num(params, 'n')]] }),
});

/** Reorders the axes after the batch. */
export const PermuteBlock: BlockDef = defineBlock({
  type: 'Permute',
  category: 'Reshaping',
  description: 'Reorders the axes of each sample (e.g. 2, 1 swaps steps and features).',
  params: [
    {
      name: 'dims',
      label: 'Axis order',
      kind: 'ints',
      default: [2, 1],
      min: 1,
      help: 'The new order of the axes after the batch, numbered from 1: 2, 1 swaps the first two; for an image, 3, 1, 2 puts channels first.',
    },
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params): ShapeResult => {
    if (!input) return fail('LL004', 'Connect an input to the Permute.');
    const order = dims(params, 'dims');
    const wanted = Array.from({ length: input.length }, (_, i) => i + 1);
    if (order.length !== input.length || [...order].sort((a, b) => (a ?? 0) - (b ?? 0)).some((d, i) => d !== wanted[i])) {
      return fail(
        'LL011',
        `Permute: dims (${order.join(', ')}) must list each axis of ${formatShape(input)} once, numbered 1 to ${input.length} (e.g. (${[...wanted].reverse().join(', ')})).`,
        'dims',
      );
    }
    return ok(order.map((d) => input[(d ?? 1) - 1]));
  },
  paramCount: () => NO_PARAMS,
  keras: (params): KerasCall => ({ kerasClass: 'Permute', kerasArgs: [['dims', tuple(dims(params, 'dims'))]] }),
});

/** Blocks in this family, registry order. */
export const paddingBlocks: readonly BlockDef[] = [
  ZeroPadding1DBlock,
  ZeroPadding2DBlock,
  ZeroPadding3DBlock,
  Cropping1DBlock,
  Cropping2DBlock,
  Cropping3DBlock,
  RepeatVectorBlock,
  PermuteBlock,
];
