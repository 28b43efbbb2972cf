/**
 * Noise layers for regularization, active only while training (identity for prediction):
 * SpatialDropout1D/2D/3D (drop whole channels), GaussianNoise (add normal noise) and GaussianDropout
 * (multiply by normal noise of mean 1). Semantics and names follow `keras.layers` (Keras 3).
 *
 * tfjs-layers 4.22 has SpatialDropout1D; it has no SpatialDropout2D/3D, and its Gaussian layers draw
 * without a seed, so seeded trainings would not repeat: those four run as Layerloom's own layers,
 * which take a per-step seed like tfjs's Dropout (compile/stepRandomness.ts).
 */
import type { BlockDef, KerasCall, ShapeResult } from './types.js';
import { num } from './paramUtils.js';
import { fail, ok } from './results.js';
import { SINGLE_INPUT } from './core.js';
import { checkSpatialRank } from './conv.js';
import { defineBlock } from './define.js';
import { LAYERLOOM_TFJS_CLASSES } from './tfjsSpelling.js';

const NO_PARAMS = { trainable: 0, nonTrainable: 0 } as const;

/** What the others suggest on a rank mismatch. */
const OTHER_SPATIAL_DROPOUT = { 1: { image: 'SpatialDropout2D' }, 2: { sequence: 'SpatialDropout1D' }, 3: { image: 'SpatialDropout2D' } } as const;

function spatialDropout(spatial: 1 | 2 | 3): BlockDef {
  const type = `SpatialDropout${spatial}D`;
  return defineBlock({
    type,
    category: 'Regularization',
    description:
      spatial === 1
        ? 'Drops whole feature channels of a sequence while training (neighbouring steps are correlated, so single values would leak through).'
        : spatial === 2
          ? 'Drops whole channels of a feature map while training (neighbouring pixels are correlated, so single values would leak through).'
          : 'Drops whole channels of a volume or video clip while training (neighbouring voxels are correlated, so single values would leak through).',
    randomInTraining: (params) => num(params, 'rate') > 0,
    params: [
      { name: 'rate', label: 'Rate', kind: 'float', default: 0.5, min: 0, max: 1, maxExclusive: true, help: 'Fraction of channels set to zero while training (0 to just under 1).' },
    ],
    ports: () => SINGLE_INPUT,
    inferShape: ([input]): ShapeResult => {
      if (!input) return fail('LL004', `Connect an input to the ${type}.`);
      const rank = checkSpatialRank(type, input, spatial, OTHER_SPATIAL_DROPOUT[spatial]);
      return rank ?? ok(input);
    },
    paramCount: () => NO_PARAMS,
    keras: (params): KerasCall => ({ kerasClass: type, kerasArgs: [['rate', num(params, 'rate')]] }),
    ...(spatial === 2 ? { tfjs: { ownLayer: () => LAYERLOOM_TFJS_CLASSES.spatialDropout2d } } : {}),
    ...(spatial === 3 ? { tfjs: { ownLayer: () => LAYERLOOM_TFJS_CLASSES.spatialDropout3d } } : {}),
  });
}

/** Whole channels of a sequence dropped while training. */
export const SpatialDropout1DBlock = spatialDropout(1);
/** Whole channels of an image dropped while training. */
export const SpatialDropout2DBlock = spatialDropout(2);
/** Whole channels of a volume dropped while training. */
export const SpatialDropout3DBlock = spatialDropout(3);

/** Adds zero-mean normal noise while training. */
export const GaussianNoiseBlock: BlockDef = defineBlock({
  type: 'GaussianNoise',
  category: 'Regularization',
  description: 'Adds random normal noise while training (data augmentation for real-valued inputs).',
  randomInTraining: (params) => num(params, 'stddev') > 0,
  params: [{ name: 'stddev', label: 'Std. deviation', kind: 'float', default: 0.1, min: 0, help: 'Standard deviation of the noise added while training.' }],
  ports: () => SINGLE_INPUT,
  inferShape: ([input]) => (input ? ok(input) : fail('LL004', 'Connect an input to the GaussianNoise.')),
  paramCount: () => NO_PARAMS,
  keras: (params): KerasCall => ({ kerasClass: 'GaussianNoise', kerasArgs: [['stddev', num(params, 'stddev')]] }),
  tfjs: { ownLayer: () => LAYERLOOM_TFJS_CLASSES.gaussianNoise },
});

/** Multiplies by normal noise of mean 1 while training. */
export const GaussianDropoutBlock: BlockDef = defineBlock({
  type: 'GaussianDropout',
  category: 'Regularization',
  description: 'Multiplies values by random normal noise of mean 1 while training (a smooth dropout).',
  randomInTraining: (params) => num(params, 'rate') > 0,
  params: [
    { name: 'rate', label: 'Rate', kind: 'float', default: 0.5, min: 0, max: 1, maxExclusive: true, help: 'Like a dropout rate: the noise has standard deviation √(rate / (1 − rate)).' },
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input]) => (input ? ok(input) : fail('LL004', 'Connect an input to the GaussianDropout.')),
  paramCount: () => NO_PARAMS,
  keras: (params): KerasCall => ({ kerasClass: 'GaussianDropout', kerasArgs: [['rate', num(params, 'rate')]] }),
  tfjs: { ownLayer: () => LAYERLOOM_TFJS_CLASSES.gaussianDropout },
});

/** Blocks in this family, registry order. */
export const noiseBlocks: readonly BlockDef[] = [SpatialDropout1DBlock, SpatialDropout2DBlock, SpatialDropout3DBlock, GaussianNoiseBlock, GaussianDropoutBlock];
