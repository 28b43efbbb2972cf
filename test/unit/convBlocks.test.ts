import { describe, expect, it } from 'vitest';
import { runBlockCases } from '../helpers/blockTest.js';
import { getBlock } from '../../shared/blocks/registry.js';
import { checkParamValue, defaultParams } from '../../shared/blocks/paramUtils.js';
import type { ParamValue, Shape } from '../../shared/blocks/types.js';

// Expected shapes and counts measured with Keras 3.15 (keras.Input + the layer its LayerCall prints).
// Rows that expect an error are errors in Keras too, unless their name says Layerloom restricts it.
describe('convolution blocks (Keras 3 semantics)', () => {
  runBlockCases([
    { block: 'Conv1D', params: { filters: 32, kernel_size: 3 }, inputs: [[100, 16]], shape: [98, 32], count: 1568 },
    { block: 'Conv1D', params: { filters: 8, kernel_size: 5, strides: 2, padding: 'same' }, inputs: [[100, 16]], shape: [50, 8], count: 648 },
    { block: 'Conv1D', params: { filters: 8, kernel_size: 5, strides: 2, padding: 'same' }, inputs: [[101, 16]], shape: [51, 8], count: 648 },
    { block: 'Conv1D', params: { filters: 4, kernel_size: 4, strides: 3 }, inputs: [[17, 3]], shape: [5, 4], count: 52 },
    { block: 'Conv1D', params: { filters: 6, kernel_size: 3, dilation_rate: 3 }, inputs: [[20, 4]], shape: [14, 6], count: 78 },
    { block: 'Conv1D', params: { filters: 6, kernel_size: 3, dilation_rate: 2, padding: 'same' }, inputs: [[9, 4]], shape: [9, 6], count: 78 },
    { name: 'Conv1D causal keeps the length (Layerloom’s causal layer in tfjs)', block: 'Conv1D', params: { filters: 16, kernel_size: 3, padding: 'causal' }, inputs: [[50, 8]], shape: [50, 16], count: 400 },
    { block: 'Conv1D', params: { filters: 16, kernel_size: 2, padding: 'causal', dilation_rate: 4 }, inputs: [[50, 8]], shape: [50, 16], count: 272 },
    { name: 'Conv1D causal with strides 2 on an odd length: ceil(101 / 2)', block: 'Conv1D', params: { filters: 4, kernel_size: 3, padding: 'causal', strides: 2 }, inputs: [[101, 8]], shape: [51, 4], count: 100 },
    { name: 'Conv1D causal on a variable length', block: 'Conv1D', params: { filters: 32, kernel_size: 3, padding: 'causal' }, inputs: [[null, 16]], shape: [null, 32], count: 1568 },
    { block: 'Conv1D', params: { filters: 32, kernel_size: 3 }, inputs: [[null, 16]], shape: [null, 32], count: 1568 },
    { block: 'Conv1D', params: { filters: 10, kernel_size: 1, use_bias: false, activation: 'relu' }, inputs: [[7, 5]], shape: [7, 10], count: 50 },
    { block: 'Conv1D', params: { kernel_size: 3 }, inputs: [[3, 2]], shape: [1, 32], count: 224 },
    { block: 'Conv1D', params: { kernel_size: 7 }, inputs: [[5, 3]], shape: null, codes: ['LL009'] },
    { block: 'Conv1D', params: { kernel_size: 3, dilation_rate: 3 }, inputs: [[6, 3]], shape: null, codes: ['LL009'] },
    { block: 'Conv1D', params: { strides: 2, dilation_rate: 2 }, inputs: [[32, 3]], shape: null, codes: ['LL011'] },
    { block: 'Conv1D', inputs: [[28, 28, 1]], shape: null, codes: ['LL007'] },
    { block: 'Conv1D', inputs: [[784]], shape: null, codes: ['LL007'] },
    { block: 'Conv1D', inputs: [[100, null]], shape: null, codes: ['LL018'] },
    { block: 'Conv1D', inputs: [null], shape: null, codes: ['LL004'] },
    { name: 'Conv2D of the MNIST tutorial: 3×3×1×32 + 32', block: 'Conv2D', params: { filters: 32, kernel_size: [3, 3], activation: 'relu' }, inputs: [[28, 28, 1]], shape: [26, 26, 32], count: 320 },
    { block: 'Conv2D', params: { filters: 16, kernel_size: [3, 3], strides: [2, 2], padding: 'same' }, inputs: [[28, 28, 3]], shape: [14, 14, 16], count: 448 },
    { block: 'Conv2D', params: { filters: 16, kernel_size: [3, 3], strides: [2, 2], padding: 'same' }, inputs: [[7, 7, 4]], shape: [4, 4, 16], count: 592 },
    { block: 'Conv2D', params: { filters: 8, kernel_size: [3, 5], strides: [2, 3] }, inputs: [[15, 17, 3]], shape: [7, 5, 8], count: 368 },
    { block: 'Conv2D', params: { filters: 8, kernel_size: [3, 3], dilation_rate: [2, 2] }, inputs: [[32, 32, 3]], shape: [28, 28, 8], count: 224 },
    { block: 'Conv2D', params: { filters: 8, kernel_size: [3, 3], dilation_rate: [2, 1], padding: 'same' }, inputs: [[9, 10, 3]], shape: [9, 10, 8], count: 224 },
    { block: 'Conv2D', params: { filters: 8, kernel_size: 5 }, inputs: [[12, 12, 2]], shape: [8, 8, 8], count: 408 },
    { block: 'Conv2D', params: { filters: 8, kernel_size: [3, 3] }, inputs: [[null, null, 3]], shape: [null, null, 8], count: 224 },
    { block: 'Conv2D', params: { filters: 8, kernel_size: [3, 3], strides: [2, 2] }, inputs: [[null, 11, 3]], shape: [null, 5, 8], count: 224 },
    { block: 'Conv2D', params: { filters: 64, kernel_size: [1, 1], use_bias: false }, inputs: [[7, 7, 32]], shape: [7, 7, 64], count: 2048 },
    { block: 'Conv2D', params: { kernel_size: [5, 5] }, inputs: [[3, 3, 1]], shape: null, codes: ['LL009'] },
    { block: 'Conv2D', params: { kernel_size: [3, 3] }, inputs: [[8, 2, 1]], shape: null, codes: ['LL009'] },
    { block: 'Conv2D', params: { strides: [2, 2], dilation_rate: [2, 2] }, inputs: [[32, 32, 3]], shape: null, codes: ['LL011'] },
    { block: 'Conv2D', inputs: [[28, 28]], shape: null, codes: ['LL007'] },
    { block: 'Conv2D', inputs: [[784]], shape: null, codes: ['LL007'] },
    { block: 'Conv2D', inputs: [[4, 28, 28, 1]], shape: null, codes: ['LL007'] },
    { block: 'Conv2D', inputs: [[28, 28, null]], shape: null, codes: ['LL018'] },
    { block: 'Conv2D', inputs: [null], shape: null, codes: ['LL004'] },
    { name: 'Conv2DTranspose doubles with strides 2 and same padding', block: 'Conv2DTranspose', params: { filters: 16, kernel_size: [3, 3], strides: [2, 2], padding: 'same' }, inputs: [[7, 7, 32]], shape: [14, 14, 16], count: 4624 },
    { name: 'Conv2DTranspose valid: n · s + max(k − s, 0)', block: 'Conv2DTranspose', params: { filters: 16, kernel_size: [3, 3], strides: [2, 2] }, inputs: [[7, 7, 32]], shape: [15, 15, 16], count: 4624 },
    { name: 'Conv2DTranspose with strides larger than the kernel', block: 'Conv2DTranspose', params: { filters: 4, kernel_size: [2, 2], strides: [3, 3] }, inputs: [[5, 5, 4]], shape: [15, 15, 4], count: 68 },
    { block: 'Conv2DTranspose', params: { filters: 4, kernel_size: [3, 5], strides: [1, 2] }, inputs: [[6, 5, 2]], shape: [8, 13, 4], count: 124 },
    { block: 'Conv2DTranspose', params: { filters: 4, kernel_size: [4, 4], strides: [2, 2], padding: 'same', use_bias: false }, inputs: [[5, 3, 2]], shape: [10, 6, 4], count: 128 },
    { block: 'Conv2DTranspose', params: { filters: 4, kernel_size: [3, 3], strides: [2, 2] }, inputs: [[null, null, 3]], shape: [null, null, 4], count: 112 },
    { block: 'Conv2DTranspose', inputs: [[28, 28]], shape: null, codes: ['LL007'] },
    { block: 'Conv2DTranspose', inputs: [[7, 7, null]], shape: null, codes: ['LL018'] },
    // Keras 3.15 builds these and TensorFlow then fails on the first call (ceil(out / s) ≠ n with "same").
    { name: 'Conv2DTranspose refuses an even kernel with "same" and output padding 0 (TensorFlow cannot run it)', block: 'Conv2DTranspose', params: { filters: 2, kernel_size: [4, 4], strides: [2, 2], padding: 'same', output_padding: [0, 1] }, inputs: [[5, 5, 2]], shape: null, codes: ['LL011'] },
    { block: 'Conv2DTranspose', params: { filters: 2, kernel_size: [5, 4], strides: [3, 3], padding: 'same', output_padding: [0, 2] }, inputs: [[4, 4, 2]], shape: [10, 11, 2], count: 82 },
    { block: 'Conv1DTranspose', params: { filters: 4, kernel_size: 3, strides: 2, padding: 'same' }, inputs: [[7, 3]], shape: [14, 4], count: 40 },
    { block: 'Conv1DTranspose', params: { filters: 2, kernel_size: 2, strides: 3, output_padding: 2 }, inputs: [[null, 3]], shape: [null, 2], count: 14 },
    { block: 'Conv1DTranspose', params: { filters: 2, kernel_size: 2, strides: 3, output_padding: 2 }, inputs: [[4, 3]], shape: [13, 2], count: 14 },
    { block: 'Conv1DTranspose', params: { filters: 2, kernel_size: 4, strides: 2, padding: 'same', output_padding: 0 }, inputs: [[5, 2]], shape: null, codes: ['LL011'] },
    { block: 'Conv1DTranspose', params: { filters: 2, output_padding: 1 }, inputs: [[5, 2]], shape: null, codes: ['LL011'] },
    { block: 'Conv1DTranspose', inputs: [[5, 5, 2]], shape: null, codes: ['LL007'] },
    { block: 'DepthwiseConv1D', params: { kernel_size: 3, depth_multiplier: 2, strides: 2, padding: 'same' }, inputs: [[9, 4]], shape: [5, 8], count: 32 },
    { block: 'DepthwiseConv1D', params: { kernel_size: 3, dilation_rate: 2, use_bias: false }, inputs: [[null, 3]], shape: [null, 3], count: 9 },
    { block: 'DepthwiseConv1D', params: { kernel_size: 5 }, inputs: [[4, 3]], shape: null, codes: ['LL009'] },
    { block: 'DepthwiseConv1D', params: { strides: 2, dilation_rate: 2 }, inputs: [[9, 3]], shape: null, codes: ['LL011'] },
    { block: 'DepthwiseConv1D', inputs: [[9, 9, 3]], shape: null, codes: ['LL007'] },
    { block: 'SeparableConv1D', params: { filters: 8, kernel_size: 3, depth_multiplier: 2 }, inputs: [[10, 4]], shape: [8, 8], count: 24 + 64 + 8 },
    { block: 'SeparableConv1D', params: { filters: 4, kernel_size: 3, strides: 2, padding: 'same', use_bias: false }, inputs: [[7, 2]], shape: [4, 4], count: 14 },
    { block: 'SeparableConv1D', inputs: [[7, null]], shape: null, codes: ['LL018'] },
    { name: 'Conv3DTranspose doubles a volume with strides 2 and same padding', block: 'Conv3DTranspose', params: { filters: 4, kernel_size: [3, 3, 3], strides: [2, 2, 2], padding: 'same' }, inputs: [[4, 5, 6, 3]], shape: [8, 10, 12, 4], count: 328 },
    { block: 'Conv3DTranspose', params: { filters: 2, kernel_size: [2, 3, 2], strides: [3, 2, 1], use_bias: false }, inputs: [[2, 3, null, 2]], shape: [6, 7, null, 2], count: 48 },
    { block: 'Conv3DTranspose', params: { filters: 2, kernel_size: [2, 3, 2], strides: [2, 2, 3], output_padding: [0, 1, 2] }, inputs: [[2, 2, 2, 2]], shape: [4, 6, 7, 2], count: 50 },
    { block: 'Conv3DTranspose', params: { filters: 2, kernel_size: [3, 3, 3], strides: [2, 2, 2], output_padding: [0, 2, 0] }, inputs: [[2, 2, 2, 2]], shape: null, codes: ['LL011'] },
    { block: 'Conv3DTranspose', params: { filters: 2, kernel_size: [3, 2, 3], strides: [2, 2, 2], padding: 'same', output_padding: [1, 0, 1] }, inputs: [[2, 3, 2, 2]], shape: null, codes: ['LL011'] },
    { block: 'Conv3DTranspose', inputs: [[7, 7, 3]], shape: null, codes: ['LL007'] },
    { block: 'Conv3DTranspose', inputs: [[4, 7, 7, null]], shape: null, codes: ['LL018'] },
    { block: 'DepthwiseConv2D', params: { kernel_size: [3, 3] }, inputs: [[28, 28, 8]], shape: [26, 26, 8], count: 80 },
    { block: 'DepthwiseConv2D', params: { kernel_size: [3, 3], depth_multiplier: 2, strides: [2, 2], padding: 'same' }, inputs: [[28, 28, 8]], shape: [14, 14, 16], count: 160 },
    { block: 'DepthwiseConv2D', params: { kernel_size: [5, 3], use_bias: false }, inputs: [[null, 9, 3]], shape: [null, 7, 3], count: 45 },
    { block: 'DepthwiseConv2D', params: { kernel_size: [5, 5] }, inputs: [[4, 9, 3]], shape: null, codes: ['LL009'] },
    { block: 'DepthwiseConv2D', inputs: [[28, 28]], shape: null, codes: ['LL007'] },
    { name: 'DepthwiseConv2D with dilation (Layerloom\'s own layer) reloads from its saved topology', block: 'DepthwiseConv2D', params: { kernel_size: [3, 3], dilation_rate: [2, 2] }, inputs: [[9, 9, 2]], shape: [5, 5, 2], count: 20 },
    { block: 'DepthwiseConv2D', inputs: [[28, 28, null]], shape: null, codes: ['LL018'] },
    { block: 'SeparableConv2D', params: { filters: 16, kernel_size: [3, 3] }, inputs: [[28, 28, 8]], shape: [26, 26, 16], count: 216 },
    { block: 'SeparableConv2D', params: { filters: 16, kernel_size: [3, 3], depth_multiplier: 2, dilation_rate: [2, 2], padding: 'same' }, inputs: [[20, 20, 3]], shape: [20, 20, 16], count: 166 },
    { block: 'SeparableConv2D', params: { filters: 8, kernel_size: [3, 3], strides: [2, 2], padding: 'same', use_bias: false }, inputs: [[15, 16, 4]], shape: [8, 8, 8], count: 68 },
    { block: 'SeparableConv2D', params: { filters: 8, kernel_size: [3, 3] }, inputs: [[null, null, 4]], shape: [null, null, 8], count: 76 },
    { name: 'DepthwiseConv2D refuses unequal strides (LL011): TensorFlow\'s depthwise kernel runs only equal strides', block: 'DepthwiseConv2D', params: { strides: [2, 1] }, inputs: [[16, 16, 3]], shape: null, codes: ['LL011'] },
    { name: 'SeparableConv2D refuses unequal strides (LL011)', block: 'SeparableConv2D', params: { strides: [1, 2] }, inputs: [[16, 16, 3]], shape: null, codes: ['LL011'] },
    { name: 'SeparableConv2D refuses strides 2 with dilation 2 (LL011): tfjs cannot run it, though Keras 3.15 builds it', block: 'SeparableConv2D', params: { strides: [2, 2], dilation_rate: [2, 2] }, inputs: [[32, 32, 3]], shape: null, codes: ['LL011'] },
    { block: 'SeparableConv2D', inputs: [[64]], shape: null, codes: ['LL007'] },
  ]);

  const problem = (block: string, inputs: (Shape | null)[], params: Record<string, ParamValue> = {}): string => {
    const def = getBlock(block);
    if (!def) throw new Error(`no ${block}`);
    return def.inferShape(inputs, { ...defaultParams(def.params), ...params }).problems.map((p) => p.message).join(' ');
  };

  it('rank errors name the shape and the fix', () => {
    expect(problem('Conv2D', [[28, 28]])).toContain('Conv2D expects rank-4 (None, height, width, channels) input, got (None, 28, 28)');
    expect(problem('Conv2D', [[28, 28]])).toContain('Add a Reshape to (28, 28, 1) before it');
    expect(problem('Conv2D', [[784]])).toContain('Reshape to (28, 28, 1)');
    expect(problem('Conv1D', [[28, 28, 1]])).toMatch(/use Conv2D.*Reshape to \(28, 28\)/);
    expect(problem('Conv1D', [[784]])).toContain('Reshape to (784, 1)');
    expect(problem('Conv2D', [[3, 3, 1]], { kernel_size: [5, 5] })).toMatch(/height is 3 but the window is 5.*"same"/);
    expect(problem('Conv1D', [[6, 3]], { kernel_size: 3, dilation_rate: 3 })).toContain('the window is 7');
  });

  it('states every Keras-differing tfjs default (glorot uniform kernels) in the layer call', () => {
    for (const type of ['Conv1D', 'Conv2D', 'Conv2DTranspose']) {
      const def = getBlock(type);
      const call = def?.layerCall?.(defaultParams(def.params), [null]);
      expect(call?.tfjsArgs).toContainEqual(['kernelInitializer', 'glorotUniform']);
      expect(call?.kerasArgs.slice(0, 2).map(([k]) => k)).toEqual(['filters', 'kernel_size']);
    }
    const dw = getBlock('DepthwiseConv2D');
    expect(dw?.layerCall?.(defaultParams(dw.params), [null]).tfjsArgs).toContainEqual(['depthwiseInitializer', 'glorotUniform']);
    const sep = getBlock('SeparableConv2D');
    const sepCall = sep?.layerCall?.({ ...defaultParams(sep.params), depthwise_initializer: 'he_normal' }, [null]);
    // tfjs initializes the pointwise kernel with the depthwise initializer; Keras is told the same.
    expect(sepCall?.kerasArgs).toContainEqual(['pointwise_initializer', 'he_normal']);
    expect(sepCall?.tfjsArgs).toContainEqual(['pointwiseInitializer', 'heNormal']);
  });

  it('uses Layerloom’s subclass of the tfjs layer only where tfjs cannot run or train the conv', () => {
    const callOf = (type: string, params: Record<string, ParamValue>) => {
      const def = getBlock(type);
      if (!def?.layerCall) throw new Error(`no ${type}`);
      return def.layerCall({ ...defaultParams(def.params), ...params }, [null]);
    };
    const causal = callOf('Conv1D', { padding: 'causal' });
    expect([causal.custom, causal.tfjsFactory]).toEqual([true, 'LayerloomConv1D']);
    expect(causal.kerasArgs).toContainEqual(['padding', 'causal']);
    expect(causal.tfjsArgs).toContainEqual(['padding', 'causal']);
    const dilated = callOf('Conv2D', { dilation_rate: [2, 1] });
    expect([dilated.custom, dilated.tfjsFactory]).toEqual([true, 'LayerloomConv2D']);
    expect(callOf('SeparableConv2D', { dilation_rate: [2, 2] }).tfjsFactory).toBe('LayerloomSeparableConv2D');
    for (const [type, factory] of [['Conv1D', 'conv1d'], ['Conv2D', 'conv2d'], ['SeparableConv2D', 'separableConv2d']] as const) {
      const plain = callOf(type, { padding: 'same' });
      expect([plain.custom, plain.tfjsFactory]).toEqual([undefined, factory]);
    }
  });

  it('offers no dilation where tfjs has none, and only paddings tfjs runs; a dilated depthwise conv runs as Layerloom’s own layer', () => {
    expect(getBlock('Conv2DTranspose')?.params.map((p) => p.name)).not.toContain('dilation_rate');
    const dw = getBlock('DepthwiseConv2D');
    const dwParams = defaultParams(dw?.params ?? []);
    expect(dw?.tfjs?.ownLayer?.(dwParams, [[8, 8, 3]])).toBeNull();
    expect(dw?.tfjs?.ownLayer?.({ ...dwParams, dilation_rate: [2, 2] }, [[8, 8, 3]])).toBe('LayerloomDepthwiseConv2D');
    expect(getBlock('Conv2D')?.params.find((p) => p.name === 'padding')?.options).toEqual(['valid', 'same']);
    expect(getBlock('Conv1D')?.params.find((p) => p.name === 'padding')?.options).toEqual(['valid', 'same', 'causal']);
  });

  it('defaults are valid parameter values', () => {
    for (const type of ['Conv1D', 'Conv2D', 'Conv2DTranspose', 'DepthwiseConv2D', 'SeparableConv2D']) {
      const def = getBlock(type);
      expect(def, type).toBeDefined();
      for (const spec of def?.params ?? []) expect(checkParamValue(spec, spec.default), `${type}.${spec.name}`).toBeNull();
    }
  });
});
