import { describe, expect, it } from 'vitest';
import { runBlockCases } from '../helpers/blockTest.js';
import { getBlock } from '../../shared/blocks/registry.js';
import { checkParamValue, defaultParams } from '../../shared/blocks/paramUtils.js';

// Expected shapes and counts measured with Keras 3.15.
describe('recurrent blocks (Keras 3 semantics)', () => {
  runBlockCases([
    { block: 'LSTM', params: { units: 64 }, inputs: [[100, 64]], shape: [64], count: 33_024 },
    { block: 'LSTM', params: { units: 64, return_sequences: true }, inputs: [[100, 64]], shape: [100, 64], count: 33_024 },
    { name: 'LSTM on a variable length', block: 'LSTM', params: { units: 32, return_sequences: true }, inputs: [[null, 8]], shape: [null, 32], count: 5248 },
    { block: 'LSTM', params: { units: 16, use_bias: false }, inputs: [[10, 4]], shape: [16], count: 1280 },
    { name: 'Bidirectional LSTM, concat', block: 'LSTM', params: { units: 16, bidirectional: true }, inputs: [[20, 8]], shape: [32], count: 3200 },
    { name: 'Bidirectional LSTM, sum, sequences', block: 'LSTM', params: { units: 16, bidirectional: true, merge_mode: 'sum', return_sequences: true }, inputs: [[20, 8]], shape: [20, 16], count: 3200 },
    { name: 'GRU(32) on 16 features, reset_after=True (Keras 3 default)', block: 'GRU', params: { units: 32 }, inputs: [[10, 16]], shape: [32], count: 4800 },
    { name: 'GRU(32) on 16 features, reset_after=False', block: 'GRU', params: { units: 32, reset_after: false }, inputs: [[10, 16]], shape: [32], count: 4704 },
    { name: 'GRU, reset_after, no bias', block: 'GRU', params: { units: 32, use_bias: false }, inputs: [[10, 16]], shape: [32], count: 4608 },
    { name: 'Bidirectional GRU, ave', block: 'GRU', params: { units: 8, bidirectional: true, merge_mode: 'ave', return_sequences: true, reset_after: false }, inputs: [[5, 3]], shape: [5, 8], count: 576 },
    { name: 'Bidirectional GRU, reset_after, ave', block: 'GRU', params: { units: 8, bidirectional: true, merge_mode: 'ave', return_sequences: true }, inputs: [[5, 3]], shape: [5, 8], count: 624 },
    { name: 'Bidirectional GRU, concat, sequences', block: 'GRU', params: { units: 5, bidirectional: true, return_sequences: true, reset_after: false }, inputs: [[9, 4]], shape: [9, 10], count: 300 },
    { block: 'SimpleRNN', params: { units: 10 }, inputs: [[7, 5]], shape: [10], count: 160 },
    { block: 'SimpleRNN', params: { units: 10, go_backwards: true, dropout: 0.2, recurrent_dropout: 0.1 }, inputs: [[7, 5]], shape: [10], count: 160 },
    { name: 'Bidirectional SimpleRNN, mul, variable length', block: 'SimpleRNN', params: { units: 6, bidirectional: true, merge_mode: 'mul', return_sequences: true }, inputs: [[null, 5]], shape: [null, 6], count: 144 },
    { name: 'LSTM fed a flat vector (LL012)', block: 'LSTM', inputs: [[64]], shape: null, codes: ['LL012'] },
    { name: 'GRU fed an image (LL012)', block: 'GRU', inputs: [[8, 8, 3]], shape: null, codes: ['LL012'] },
    { name: 'SimpleRNN needs fixed features', block: 'SimpleRNN', inputs: [[10, null]], shape: null, codes: ['LL018'] },
    { name: 'Keras refuses go_backwards inside Bidirectional', block: 'LSTM', params: { bidirectional: true, go_backwards: true }, inputs: [[10, 4]], shape: null, codes: ['LL011'] },
  ]);

  it('defaults are valid parameter values', () => {
    for (const type of ['SimpleRNN', 'LSTM', 'GRU']) {
      const def = getBlock(type);
      expect(def, type).toBeDefined();
      for (const spec of def?.params ?? []) expect([type, spec.name, checkParamValue(spec, spec.default)]).toEqual([type, spec.name, null]);
    }
  });

  it('spells out the Keras 3 defaults tfjs lacks, on both sides', () => {
    const call = (type: string, params: Record<string, unknown> = {}) => {
      const def = getBlock(type);
      const c = def?.layerCall?.({ ...defaultParams(def.params), ...(params as Record<string, never>) }, [[10, 4]]);
      return { keras: Object.fromEntries(c?.kerasArgs ?? []), tfjs: Object.fromEntries(c?.tfjsArgs ?? []), bidirectional: c?.bidirectional };
    };
    const lstm = call('LSTM');
    expect(lstm.keras).toMatchObject({ recurrent_activation: 'sigmoid', unit_forget_bias: true, kernel_initializer: 'glorot_uniform', recurrent_initializer: 'orthogonal' });
    expect(lstm.tfjs).toMatchObject({ recurrentActivation: 'sigmoid', unitForgetBias: true, kernelInitializer: 'glorotUniform', recurrentInitializer: 'orthogonal' });
    const gru = call('GRU');
    expect(gru.keras.reset_after).toBe(true);
    expect(gru.tfjs).toMatchObject({ resetAfter: true, recurrentActivation: 'sigmoid' });
    expect(call('GRU', { reset_after: false }).tfjs).toMatchObject({ resetAfter: false });
    expect(call('SimpleRNN').keras).not.toHaveProperty('recurrent_activation');
    expect(call('GRU', { bidirectional: true, merge_mode: 'ave' }).bidirectional).toEqual({ mergeMode: 'ave' });
    expect(call('LSTM').bidirectional).toBeUndefined();
  });
});
