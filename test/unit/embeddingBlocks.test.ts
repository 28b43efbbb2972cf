import { describe, expect, it } from 'vitest';
import { runBlockCases } from '../helpers/blockTest.js';
import { getBlock } from '../../shared/blocks/registry.js';
import { checkParamValue } from '../../shared/blocks/paramUtils.js';

// Expected shapes and counts measured with Keras 3.15 (keras.layers.Embedding); PositionEmbedding
// follows keras_hub.layers.PositionEmbedding: a (sequence_length, features) table.
describe('embedding blocks (Keras 3 semantics)', () => {
  runBlockCases([
    { block: 'Embedding', params: { input_dim: 10000, output_dim: 64 }, inputs: [[100]], shape: [100, 64], count: 640_000, dtype: 'int32' },
    { name: 'Embedding keeps a variable length variable', block: 'Embedding', params: { input_dim: 1000, output_dim: 32 }, inputs: [[null]], shape: [null, 32], count: 32_000, dtype: 'int32' },
    { name: 'Embedding appends one axis to any input shape', block: 'Embedding', params: { input_dim: 50, output_dim: 8 }, inputs: [[4, 6]], shape: [4, 6, 8], count: 400, dtype: 'int32' },
    { block: 'Embedding', params: { input_dim: 20, output_dim: 3, embeddings_initializer: 'normal' }, inputs: [[1]], shape: [1, 3], count: 60, dtype: 'int32' },
    { name: 'Embedding needs its input', block: 'Embedding', inputs: [null], shape: null, codes: ['LL004'] },
    { block: 'PositionEmbedding', params: { sequence_length: 64 }, inputs: [[64, 32]], shape: [64, 32], count: 2048 },
    { name: 'PositionEmbedding accepts shorter inputs', block: 'PositionEmbedding', params: { sequence_length: 100 }, inputs: [[20, 8]], shape: [20, 8], count: 800 },
    { name: 'PositionEmbedding on a variable length', block: 'PositionEmbedding', params: { sequence_length: 128 }, inputs: [[null, 16]], shape: [null, 16], count: 2048 },
    { name: 'PositionEmbedding input longer than the table', block: 'PositionEmbedding', params: { sequence_length: 10 }, inputs: [[20, 8]], shape: null, codes: ['LL011'] },
    { name: 'PositionEmbedding needs a sequence of vectors', block: 'PositionEmbedding', inputs: [[32]], shape: null, codes: ['LL007'] },
    { name: 'PositionEmbedding needs a fixed width', block: 'PositionEmbedding', inputs: [[10, null]], shape: null, codes: ['LL018'] },
  ]);

  it('defaults are valid parameter values', () => {
    for (const type of ['Embedding', 'PositionEmbedding']) {
      const def = getBlock(type);
      expect(def, type).toBeDefined();
      for (const spec of def?.params ?? []) expect([type, spec.name, checkParamValue(spec, spec.default)]).toEqual([type, spec.name, null]);
    }
  });
});
