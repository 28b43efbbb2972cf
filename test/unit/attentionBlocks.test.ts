import { describe, expect, it } from 'vitest';
import { runBlockCases } from '../helpers/blockTest.js';
import { getBlock } from '../../shared/blocks/registry.js';
import { checkParamValue, defaultParams } from '../../shared/blocks/paramUtils.js';

// Expected shapes and counts measured with Keras 3.15 (keras.layers.MultiHeadAttention); inputs are
// in port order: query, value, key (null = unconnected, key defaults to value).
describe('attention blocks (Keras 3 semantics)', () => {
  runBlockCases([
    { name: 'self-attention, 2 heads × 16 on width 32', block: 'MultiHeadAttention', params: { num_heads: 2, key_dim: 16 }, inputs: [[10, 32], [10, 32], null], shape: [10, 32], count: 4224 },
    {
      name: 'cross-attention with its own key and value_dim',
      block: 'MultiHeadAttention',
      params: { num_heads: 4, key_dim: 8, value_dim: 16 },
      inputs: [[10, 32], [12, 24], [12, 20]],
      shape: [10, 32],
      count: 5408,
    },
    { name: 'without biases', block: 'MultiHeadAttention', params: { num_heads: 2, key_dim: 16, use_bias: false }, inputs: [[10, 32], [10, 32], null], shape: [10, 32], count: 4096 },
    { name: 'causal, variable length', block: 'MultiHeadAttention', params: { num_heads: 2, key_dim: 8, use_causal_mask: true }, inputs: [[null, 16], [null, 16], null], shape: [null, 16], count: 1088 },
    { name: 'query and value of different lengths', block: 'MultiHeadAttention', params: { num_heads: 2, key_dim: 4, value_dim: 3 }, inputs: [[6, 8], [null, 8], null], shape: [6, 8], count: 254 },
    { name: 'heads × key_dim far below the width warns (LL013)', block: 'MultiHeadAttention', params: { num_heads: 1, key_dim: 8 }, inputs: [[10, 512], [10, 512], null], shape: [10, 512], count: 16_920, codes: ['LL013'] },
    { name: 'heads × key_dim far above the width warns (LL013)', block: 'MultiHeadAttention', params: { num_heads: 8, key_dim: 64 }, inputs: [[4, 16], [4, 16], null], shape: [4, 16], codes: ['LL013'] },
    { name: 'query must be a sequence (LL007)', block: 'MultiHeadAttention', inputs: [[32], [10, 32], null], shape: null, codes: ['LL007'] },
    { name: 'value must have the query’s rank (LL010)', block: 'MultiHeadAttention', inputs: [[10, 32], [4, 4, 32], null], shape: null, codes: ['LL010'] },
    // Rank 4–5 (Keras 3.15's attention_axes; counts as on sequences: the kernels see only the features).
    { name: 'rank 4, all axes', block: 'MultiHeadAttention', params: { num_heads: 2, key_dim: 4 }, inputs: [[3, 4, 8], [3, 4, 8], null], shape: [3, 4, 8], count: 288 },
    { name: 'rank 4, attention_axes (2,)', block: 'MultiHeadAttention', params: { num_heads: 2, key_dim: 4, attention_axes: [2] }, inputs: [[3, 4, 8], [3, 6, 8], null], shape: [3, 4, 8], count: 288 },
    { name: 'rank 5, attention_axes (1, 3)', block: 'MultiHeadAttention', params: { num_heads: 2, key_dim: 4, attention_axes: [1, 3] }, inputs: [[2, 3, 4, 8], [5, 3, 2, 8], null], shape: [2, 3, 4, 8], count: 288 },
    { name: 'attention_axes past the last spatial axis (LL011)', block: 'MultiHeadAttention', params: { attention_axes: [3] }, inputs: [[3, 4, 8], [3, 4, 8], null], shape: null, codes: ['LL011'] },
    { name: 'attention_axes out of order (LL011)', block: 'MultiHeadAttention', params: { attention_axes: [2, 1] }, inputs: [[3, 4, 8], [3, 4, 8], null], shape: null, codes: ['LL011'] },
    { name: 'a non-attention axis must match (LL010)', block: 'MultiHeadAttention', params: { attention_axes: [2] }, inputs: [[3, 4, 8], [2, 4, 8], null], shape: null, codes: ['LL010'] },
    { name: 'no causal mask on rank 4 (LL011)', block: 'MultiHeadAttention', params: { use_causal_mask: true }, inputs: [[3, 4, 8], [3, 4, 8], null], shape: null, codes: ['LL011'] },
    { name: 'rank 6 is refused (LL007)', block: 'MultiHeadAttention', inputs: [[2, 2, 2, 2, 8], [2, 2, 2, 2, 8], null], shape: null, codes: ['LL007'] },
    { name: 'key and value lengths must agree (LL010)', block: 'MultiHeadAttention', inputs: [[10, 32], [10, 32], [12, 32]], shape: null, codes: ['LL010'] },
    { name: 'value is required', block: 'MultiHeadAttention', inputs: [[10, 32], null, null], shape: null, codes: ['LL004'] },
    { name: 'query width must be fixed', block: 'MultiHeadAttention', inputs: [[10, null], [10, 32], null], shape: null, codes: ['LL018'] },
  ]);

  it('defaults are valid parameter values', () => {
    for (const type of ['MultiHeadAttention']) {
      const def = getBlock(type);
      expect(def, type).toBeDefined();
      for (const spec of def?.params ?? []) expect([type, spec.name, checkParamValue(spec, spec.default)]).toEqual([type, spec.name, null]);
    }
  });

  it('prints use_causal_mask as a call argument for Keras and keeps it in the tfjs layer config', () => {
    const def = getBlock('MultiHeadAttention');
    const call = def?.layerCall?.({ ...defaultParams(def.params), use_causal_mask: true }, []);
    expect(call?.callArgs).toEqual([['use_causal_mask', true]]);
    expect(call?.kerasArgs.map(([k]) => k)).not.toContain('use_causal_mask');
    expect(call?.tfjsArgs).toContainEqual(['useCausalMask', true]);
    expect(call?.custom).toBe(true);
  });
});
