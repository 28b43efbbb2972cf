/**
 * Normalization blocks: BatchNormalization and LayerNormalization over the last axis (features /
 * channels), with Keras 3's defaults (momentum 0.99, epsilon 0.001) and weight layout: a learned
 * scale `gamma` and offset `beta` per feature (trainable); BatchNormalization also keeps
 * `moving_mean` and `moving_variance` (non-trainable, updated while training, used for prediction).
 *
 * `center` and `scale` are always on: tfjs-layers 4.22 builds both layers with either switched off
 * but throws on the first training step (it reads the missing gamma/beta), so offering them would
 * give models that train in exported Keras code but not in the app. The calls still state
 * `center=True, scale=True` for readers. Normalizing over another axis is not offered either: the
 * last axis is what Keras users mean in almost every model (channels last). Inputs are limited to
 * rank 4 (None, height, width, channels): tfjs's batch-norm kernels, which both layers use, stop there.
 */
import type { BlockDef, KerasCall, ParamSpec, Shape, ShapeResult } from './types.js';
import { num } from './paramUtils.js';
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

/** Axes per sample that tfjs can normalize: its batch-norm kernels stop at rank 4 (LayerNormalization uses them too). */
const MAX_SAMPLE_AXES = 3;

/** A shape with the leading axes merged so that at most {@link MAX_SAMPLE_AXES} remain. */
function reshapeHint(input: Shape): string {
  const keep = input.slice(input.length - (MAX_SAMPLE_AXES - 1));
  const merged = input.slice(0, input.length - keep.length);
  const size = merged.every((d) => d !== null) ? merged.reduce((a, b) => (a) * (b), 1) : -1;
  return `(${[size, ...keep].map((d) => (d === null ? -1 : d)).join(', ')})`;
}

/** Shape inference of both blocks: the shape is unchanged; the last axis must have a fixed size. */
function inferNormalized(block: string, input: Shape | null): ShapeResult {
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
  if (last === null) {
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
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input]) => inferNormalized('BatchNormalization', input),
  paramCount: ([input]) => {
    const f = input?.[input.length - 1] ?? 0;
    // gamma and beta learn; moving_mean and moving_variance are statistics (Keras: non-trainable).
    return { trainable: 2 * f, nonTrainable: 2 * f };
  },
  keras: (params): KerasCall => ({
    kerasClass: 'BatchNormalization',
    kerasArgs: [
      ['axis', -1],
      ['momentum', num(params, 'momentum')],
      ['epsilon', num(params, 'epsilon')],
      ['center', true],
      ['scale', true],
    ],
  }),
  // A frozen BatchNormalization keeps its moving statistics (Keras's rule; tfjs's own layer does not).
  tfjs: { ownLayer: (params) => (params.trainable === false ? LAYERLOOM_TFJS_CLASSES.batchNormalization : null) },
});

/** Normalizes the features of each sample (each position of a sequence) on its own. */
export const LayerNormalizationBlock: BlockDef = defineBlock({
  type: 'LayerNormalization',
  category: 'Normalization',
  description: 'Normalizes the features of each sample (each token in a sequence) on its own, then scales and shifts: the Transformer normalization.',
  params: [epsilonParam],
  ports: () => SINGLE_INPUT,
  inferShape: ([input]) => inferNormalized('LayerNormalization', input),
  paramCount: ([input]) => ({ trainable: 2 * (input?.[input.length - 1] ?? 0), nonTrainable: 0 }),
  keras: (params): KerasCall => ({
    kerasClass: 'LayerNormalization',
    kerasArgs: [
      ['axis', -1],
      ['epsilon', num(params, 'epsilon')],
      ['center', true],
      ['scale', true],
    ],
  }),
});

/** Blocks in this family, registry order. */
export const normalizationBlocks: readonly BlockDef[] = [BatchNormalizationBlock, LayerNormalizationBlock];
