/**
 * Dense, activations, reshaping, global pooling and position embedding equal real Keras 3 (shapes,
 * parameter counts, outputs; test/helpers/kerasNumeric.ts), and every layer block of the catalog
 * is covered by some Keras case. The coverage check runs without Python: the case list is the
 * project's own.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { getBlock } from '../../shared/blocks/registry.js';
import { defaultParams } from '../../shared/blocks/paramUtils.js';
import { applyBlock } from '../../shared/compile/layerFactory.js';
import { BLOCKS } from '../../shared/blocks/registry.js';
import { describeKerasNumeric } from '../helpers/kerasNumeric.js';
import { CORE_CASES, SEQUENCE_CASES, SPATIAL_CASES } from '../helpers/kerasCases.js';

describeKerasNumeric('core layers equal Keras 3 (shape, parameter count, outputs)', CORE_CASES);

describe('the activation, preprocessing and noise layers train in tfjs', () => {
  // Layerloom's own layers among them (ReLU with slope/threshold, ELU, Softmax on axis 1,
  // Normalization, 1-D padding/cropping) must pass gradients back to their inputs.
  const types = new Set(['ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'Softmax', 'Rescaling', 'Normalization', 'RepeatVector', 'Permute', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'GaussianNoise', 'GaussianDropout']);
  for (const c of CORE_CASES.filter((x) => types.has(x.block))) {
    it(`${c.id}: finite gradients reach the input in training mode`, () => {
      const def = getBlock(c.block);
      if (!def) throw new Error(`no ${c.block}`);
      const params = { ...defaultParams(def.params), ...(c.params ?? {}) };
      const symbolic = c.inputs.map((s) => tf.input({ shape: [...s] }));
      const model = tf.model({ inputs: symbolic, outputs: applyBlock(tf, def, symbolic, params, c.inputs, 'layer') });
      const x = tf.randomNormal([3, ...c.inputs[0]]);
      try {
        const g = tf.grad((input: tf.Tensor) => tf.sum(tf.square(model.apply(input, { training: true }) as tf.Tensor)))(x);
        const values = Array.from(g.dataSync());
        expect(values.every(Number.isFinite)).toBe(true);
        expect(values.some((v) => v !== 0)).toBe(true);
        g.dispose();
      } finally {
        x.dispose();
        model.dispose();
      }
    });
  }
});

describe('Keras cases', () => {
  it('cover every layer block of the catalog', () => {
    const covered = new Set([...SPATIAL_CASES, ...SEQUENCE_CASES, ...CORE_CASES].map((c) => c.block));
    const layers = BLOCKS.filter((b) => b.role === 'layer').map((b) => b.type);
    expect(layers.filter((t) => !covered.has(t))).toEqual([]);
  });
});
