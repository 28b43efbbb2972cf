/**
 * Normalization blocks: BatchNormalization and LayerNormalization, with Keras 3's defaults
 * (momentum 0.99, epsilon 0.001) and weight layout: a learned scale `gamma` and offset `beta`
 * (trainable; each can be switched off with `scale` / `center`); BatchNormalization also keeps
 * `moving_mean` and `moving_variance` (non-trainable, updated while training, used for prediction).
 *
 * BatchNormalization normalizes the last axis (channels last). LayerNormalization normalizes one
 * axis or several (`axis`, Keras numbering: -1 the last, `[1, 2, 3]` a whole image); its weights
 * have the sizes of those axes. With `center` or `scale` off, or several axes, they run as
 * Layerloom's own tfjs layers (tfjs 4.22 builds them but throws on the first training step).
 * Inputs are limited to rank 4 (None, height, width, channels): tfjs's batch-norm kernels, which
 * tfjs's own layers use, stop there.
 */
import type { BlockDef, KerasCall, ParamSpec, Params, Shape, ShapeResult } from './types.js';
import { dims, num, regularizerArgs, regularizerParams, tuple } from './paramUtils.js';
import { fail, ok, rankError } from './results.js';
import { formatShape } from './shapeUtils.js';
import { SINGLE_INPUT } from './core.js';
import { defineBlock } from './define.js';
import { LAYERLOOM_TFJS_CLASSES } from './tfjsSpelling.js';

const epsilonParam: ParamSpec = {
  name: 'epsilon',
  label: 'Epsilon',
  kind: 'float',
  default: 0.001,
  min: 0,
  minExclusive: true,
  help: 'Small number added to the variance before dividing, to avoid division by zero (Keras’s default 0.001).',
  advanced: true,
};

const centerParam: ParamSpec = {
  name: 'center',
  label: 'Center (beta)',
  kind: 'bool',
  default: true,
  help: 'Learns an offset beta added after normalizing. Turn off when the next layer adds its own bias anyway.',
  advanced: true,
};

const scaleParam: ParamSpec = {
  name: 'scale',
  label: 'Scale (gamma)',
  kind: 'bool',
  default: true,
  help: 'Learns a factor gamma multiplied after normalizing. Turn off when the next layer is linear (e.g. Dense, or ReLU followed by a layer that scales).',
  advanced: true,
};

/** Number of learned vectors (gamma, beta) the center/scale switches keep. */
function learnedVectors(params: Params): number {
  return (params.center === false ? 0 : 1) + (params.scale === false ? 0 : 1);
}

/** Axes per sample that tfjs can normalize: its batch-norm kernels stop at rank 4 (LayerNormalization uses them too). */
const MAX_SAMPLE_AXES = 3;

/** A shape with the leading axes merged so that at most {@link MAX_SAMPLE_AXES} remain. */
function reshapeHint(input: Shape): string {
  const keep = input.slice(input.length - (MAX_SAMPLE_AXES - 1));
  const merged = input.slice(0, input.length - keep.length);
  const size = merged.every((d) => d !== null) ? merged.reduce((a, b) => (a) * (b), 1) : -1;
  return `(${[size, ...keep].map((d) => (d === null ? -1 : d)).join(', ')})`;
}

/** Shape inference of both blocks: the shape is unchanged; the last axis must have a fixed size (unless another axis is normalized). */
function inferNormalized(block: string, input: Shape | null, lastMustBeFixed = true): ShapeResult {
  if (!input) return fail('LL004', `Connect an input to the ${block}.`);
  if (input.length === 0) return fail('LL007', `${block} needs a feature axis to normalize; got ${formatShape(input)}.`);
  if (input.length > MAX_SAMPLE_AXES) {
    return rankError(
      block,
      `at most rank ${MAX_SAMPLE_AXES + 1} (e.g. (None, height, width, channels))`,
      input,
      `TensorFlow.js normalizes tensors of up to ${MAX_SAMPLE_AXES + 1} axes only. Add a Reshape that merges leading axes first, e.g. to ${reshapeHint(input)}.`,
    );
  }
  const last = input[input.length - 1];
  if (last === null && lastMustBeFixed) {
    return fail(
      'LL018',
      `${block} needs a fixed size on the last axis (it learns one scale and offset per feature), got ${formatShape(input)}. Set that size on the Input or the layer before.`,
    );
  }
  return ok(input);
}

/** Normalizes each feature with batch statistics while training and moving averages for prediction. */
export const BatchNormalizationBlock: BlockDef = defineBlock({
  type: 'BatchNormalization',
  category: 'Normalization',
  description: 'Normalizes each channel over the batch, then scales and shifts it: faster, steadier training of deep CNNs.',
  params: [
    {
      name: 'momentum',
      label: 'Momentum',
      kind: 'float',
      default: 0.99,
      min: 0,
      max: 1,
      maxExclusive: true,
      help: 'How slowly the moving mean and variance (used for prediction) follow the batches: moving = moving · momentum + batch · (1 − momentum). Lower it (e.g. 0.9) for short trainings.',
      advanced: true,
    },
    epsilonParam,
    centerParam,
    scaleParam,
    ...regularizerParams('gamma'),
    ...regularizerParams('beta'),
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input]) => inferNormalized('BatchNormalization', input),
  paramCount: ([input], params) => {
    const f = input?.[input.length - 1] ?? 0;
    // gamma and beta learn; moving_mean and moving_variance are statistics (Keras: non-trainable).
    return { trainable: learnedVectors(params) * f, nonTrainable: 2 * f };
  },
  keras: (params): KerasCall => ({
    kerasClass: 'BatchNormalization',
    kerasArgs: [
      ['axis', -1],
      ['momentum', num(params, 'momentum')],
      ['epsilon', num(params, 'epsilon')],
      ['center', params.center !== false],
      ['scale', params.scale !== false],
      ...regularizerArgs(params, ['gamma', 'beta']),
    ],
  }),
  // A frozen BatchNormalization keeps its moving statistics (Keras's rule; tfjs's own layer does
  // not), and tfjs's own cannot train without gamma or beta: Layerloom's own layer then.
  tfjs: {
    ownLayer: (params) => (params.trainable === false || learnedVectors(params) < 2 ? LAYERLOOM_TFJS_CLASSES.batchNormalization : null),
  },
});

/** LayerNormalization's axes as stored (Keras numbering); [-1] when unset. */
function lnAxes(params: Params): number[] {
  const a = params.axis;
  if (typeof a === 'number') return [a];
  const list = dims(params, 'axis').filter((d): d is number => d !== null);
  return list.length ? list : [-1];
}

/** True for the plain form tfjs's own LayerNormalization runs: the last axis, gamma and beta on. */
function isPlainLayerNorm(params: Params): boolean {
  const axes = lnAxes(params);
  return axes.length === 1 && axes[0] === -1 && learnedVectors(params) === 2;
}

/**
 * The per-sample indices (0 = first axis after the batch) of LayerNormalization's axes on `input`,
 * sorted as Keras sorts them, or a message saying what is wrong.
 */
function lnSampleAxes(axes: readonly number[], input: Shape): number[] | string {
  const rank = input.length + 1;
  if (axes.some((a) => a < 0) && axes.some((a) => a > 0)) {
    return `write all axes from the front (e.g. [1, 2]) or all from the end (e.g. [-2, -1]), not mixed: Keras orders the weights by the numbers as written`;
  }
  const out: number[] = [];
  for (const a of [...axes].sort((x, y) => x - y)) {
    const i = a < 0 ? a + rank : a;
    if (a === 0 || i < 1 || i >= rank) return `axis ${a} does not exist on ${formatShape(input)}; use -1 (the features) or 1 to ${input.length}`;
    if (out.includes(i - 1)) return `axis ${a} is listed twice`;
    out.push(i - 1);
  }
  return out;
}

/** Shape inference of LayerNormalization: the rank rule, valid axes with fixed sizes. */
function inferLayerNorm(input: Shape | null, params: Params): ShapeResult {
  const base = inferNormalized('LayerNormalization', input, lnAxes(params).length === 1 && lnAxes(params)[0] === -1);
  if (!input || base.shape === null) return base;
  const axes = lnSampleAxes(lnAxes(params), input);
  if (typeof axes === 'string') return fail('LL011', `LayerNormalization: ${axes}.`, 'axis');
  const variable = axes.filter((i) => input[i] === null);
  if (variable.length) {
    return fail('LL018', `LayerNormalization learns one scale and offset per entry of its axes, but axis ${variable[0] + 1} has a variable size in ${formatShape(input)}. Fix that size, or normalize other axes.`, 'axis');
  }
  return ok(input);
}

/** Normalizes the features of each sample (each position of a sequence) on its own. */
export const LayerNormalizationBlock: BlockDef = defineBlock({
  type: 'LayerNormalization',
  category: 'Normalization',
  description: 'Normalizes the features of each sample (each token in a sequence) on its own, then scales and shifts: the Transformer normalization.',
  params: [
    {
      name: 'axis',
      label: 'Axes',
      kind: 'ints',
      default: [-1],
      min: -4,
      help: 'Axes normalized together (Keras numbering: -1 the last axis, the features; 1 the first after the batch). Several axes, e.g. -2, -1 or 1, 2, 3, normalize a whole matrix or image per sample and learn one scale and offset per entry.',
      advanced: true,
    },
    epsilonParam,
    centerParam,
    scaleParam,
    ...regularizerParams('gamma'),
    ...regularizerParams('beta'),
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params) => inferLayerNorm(input, params),
  paramCount: ([input], params) => {
    const axes = input ? lnSampleAxes(lnAxes(params), input) : [];
    const size = typeof axes === 'string' || !input ? 0 : axes.reduce((n, i) => n * (input[i] ?? 0), 1);
    return { trainable: learnedVectors(params) * size, nonTrainable: 0 };
  },
  keras: (params): KerasCall => {
    const axes = lnAxes(params);
    return {
      kerasClass: 'LayerNormalization',
      kerasArgs: [
        ['axis', axes.length === 1 ? axes[0] : tuple(axes)],
        ['epsilon', num(params, 'epsilon')],
        ['center', params.center !== false],
        ['scale', params.scale !== false],
        ...regularizerArgs(params, ['gamma', 'beta']),
      ],
    };
  },
  tfjs: { ownLayer: (params) => (isPlainLayerNorm(params) ? null : LAYERLOOM_TFJS_CLASSES.layerNormalization) },
});

/** Blocks in this family, registry order. */
export const normalizationBlocks: readonly BlockDef[] = [BatchNormalizationBlock, LayerNormalizationBlock];
