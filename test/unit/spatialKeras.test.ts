/**
 * Convolution, pooling, normalization and merge layers as the app builds them equal real Keras 3
 * numerically (same weights, same inputs), including the cases where tfjs needs help: causal Conv1D
 * and Subtract (Layerloom's own layers), Concatenate on a negative axis, "same" padding with odd
 * sizes and strides (TensorFlow pads more at the end), average pooling over padded windows. Then
 * every one of these layers takes a gradient step in tfjs, in training mode.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { describeKerasNumeric } from '../helpers/kerasNumeric.js';
import { SPATIAL_CASES as CASES } from '../helpers/kerasCases.js';
import { getBlock } from '../../shared/blocks/registry.js';
import { defaultParams } from '../../shared/blocks/paramUtils.js';
import { applyBlock } from '../../shared/compile/layerFactory.js';
import type { ParamValue } from '../../shared/blocks/types.js';


describeKerasNumeric('conv, pooling, normalization and merge layers equal Keras 3 numerically', CASES);

describe('the same layers train in tfjs', () => {
  for (const c of CASES) {
    it(`${c.id}: finite gradients in training mode`, () => {
      const def = getBlock(c.block);
      if (!def) throw new Error(`no ${c.block}`);
      const params = { ...defaultParams(def.params), ...(c.params ?? {}) };
      const symbolic = c.inputs.map((s) => tf.input({ shape: [...s] }));
      const model = tf.model({ inputs: symbolic, outputs: applyBlock(tf, def, symbolic, params, c.inputs, 'layer') });
      const xs = c.inputs.map((s) => tf.randomNormal([3, ...s]));
      try {
        const loss = (...inputs: tf.Tensor[]): tf.Scalar => tf.sum(tf.square(model.apply(inputs.length === 1 ? inputs[0] : inputs, { training: true }) as tf.Tensor));
        // Layers with weights: gradients for every weight; without: gradients reach every input.
        const grads = model.trainableWeights.length
          ? Object.values(tf.variableGrads(() => loss(...xs)).grads)
          : tf.grads((...inputs: tf.Tensor[]) => loss(...inputs))(xs);
        expect(grads.length).toBe(model.trainableWeights.length || xs.length);
        for (const g of grads) expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
        tf.dispose(grads);
      } finally {
        tf.dispose(xs);
        model.dispose();
      }
    });
  }
});

describe('Layerloom’s conv and subtract layers survive save and load', () => {
  it('a model with causal, dilated and separable convs and a Subtract reloads with the same outputs', async () => {
    const block = (type: string, params: Record<string, ParamValue>) => {
      const def = getBlock(type);
      if (!def) throw new Error(`no ${type}`);
      return { def, params: { ...defaultParams(def.params), ...params } };
    };
    const seq = tf.input({ shape: [12, 3] });
    const causal = block('Conv1D', { filters: 4, kernel_size: 3, padding: 'causal', dilation_rate: 2 });
    const a = applyBlock(tf, causal.def, [seq], causal.params, [[12, 3]], 'causal');
    const plain = block('Conv1D', { filters: 4, kernel_size: 3, padding: 'same' });
    const b = applyBlock(tf, plain.def, [seq], plain.params, [[12, 3]], 'plain');
    const sub = block('Subtract', {});
    const diff = applyBlock(tf, sub.def, [a, b], sub.params, [[12, 4], [12, 4]], 'diff');
    const image = tf.input({ shape: [9, 9, 2] });
    const dilated = block('Conv2D', { filters: 3, kernel_size: [3, 3], dilation_rate: [2, 2], padding: 'same' });
    const c = applyBlock(tf, dilated.def, [image], dilated.params, [[9, 9, 2]], 'dilated');
    const sep = block('SeparableConv2D', { filters: 2, kernel_size: [3, 3], dilation_rate: [1, 2] });
    const d = applyBlock(tf, sep.def, [c], sep.params, [[9, 9, 3]], 'separable');
    const model = tf.model({ inputs: [seq, image], outputs: [diff, d] });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (art) => {
      artifacts = art;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    if (!artifacts) throw new Error('nothing saved');
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const xs = [tf.randomNormal([2, 12, 3]), tf.randomNormal([2, 9, 9, 2])];
    const before = model.predict(xs) as tf.Tensor[];
    const after = loaded.predict(xs) as tf.Tensor[];
    expect(after.map((t) => t.shape)).toEqual([[2, 12, 4], [2, 7, 5, 2]]);
    before.forEach((t, i) => expect(Array.from(after[i].dataSync())).toEqual(Array.from(t.dataSync())));
    expect(loaded.getLayer('causal').getConfig()).toMatchObject({ padding: 'causal', dilationRate: [2] });
    tf.dispose([...xs, ...before, ...after]);
    model.dispose();
    loaded.dispose();
  });
});
