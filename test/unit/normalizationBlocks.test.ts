import { describe, expect, it } from 'vitest';
import { runBlockCases } from '../helpers/blockTest.js';
import { getBlock } from '../../shared/blocks/registry.js';
import { checkParamValue, defaultParams } from '../../shared/blocks/paramUtils.js';

// Expected shapes and trainable / non-trainable counts measured with Keras 3.15.
describe('normalization blocks (Keras 3 semantics)', () => {
  runBlockCases([
    { name: 'BatchNormalization: gamma/beta trainable, moving mean/variance not', block: 'BatchNormalization', inputs: [[26, 26, 32]], shape: [26, 26, 32], count: { trainable: 64, nonTrainable: 64 } },
    { block: 'BatchNormalization', inputs: [[10]], shape: [10], count: { trainable: 20, nonTrainable: 20 } },
    { block: 'BatchNormalization', params: { momentum: 0.9, epsilon: 0.00001 }, inputs: [[null, 16]], shape: [null, 16], count: { trainable: 32, nonTrainable: 32 } },
    { block: 'BatchNormalization', inputs: [[5, 7]], shape: [5, 7], count: { trainable: 14, nonTrainable: 14 } },
    { block: 'BatchNormalization', inputs: [[10, null]], shape: null, codes: ['LL018'] },
    { block: 'BatchNormalization', inputs: [null], shape: null, codes: ['LL004'] },
    { block: 'LayerNormalization', inputs: [[10, 64]], shape: [10, 64], count: 128 },
    { block: 'LayerNormalization', inputs: [[null, 32]], shape: [null, 32], count: 64 },
    { block: 'LayerNormalization', params: { epsilon: 0.000001 }, inputs: [[6]], shape: [6], count: 12 },
    { block: 'LayerNormalization', inputs: [[4, 4, 3]], shape: [4, 4, 3], count: 6 },
    { block: 'LayerNormalization', inputs: [[10, null]], shape: null, codes: ['LL018'] },
    { block: 'LayerNormalization', inputs: [null], shape: null, codes: ['LL004'] },
    { name: 'BatchNormalization refuses rank 5 (LL007): tfjs has no batch norm beyond rank 4, though Keras builds it', block: 'BatchNormalization', inputs: [[2, 3, 4, 5]], shape: null, codes: ['LL007'] },
    { name: 'LayerNormalization refuses rank 5 (LL007): tfjs normalizes through the same kernels', block: 'LayerNormalization', inputs: [[2, 3, 4, 5]], shape: null, codes: ['LL007'] },
  ]);

  it('states Keras 3 defaults on both sides (epsilon 0.001, momentum 0.99, last axis, center and scale on)', () => {
    const bn = getBlock('BatchNormalization');
    const call = bn?.layerCall?.(defaultParams(bn.params), [[4]]);
    expect(call?.kerasArgs).toEqual([['axis', -1], ['momentum', 0.99], ['epsilon', 0.001], ['center', true], ['scale', true]]);
    expect(call?.tfjsArgs).toEqual([['axis', -1], ['momentum', 0.99], ['epsilon', 0.001], ['center', true], ['scale', true]]);
    const ln = getBlock('LayerNormalization');
    expect(ln?.layerCall?.(defaultParams(ln.params), [[4]]).kerasArgs).toEqual([['axis', -1], ['epsilon', 0.001], ['center', true], ['scale', true]]);
  });

  it('defaults are valid parameter values and ranges refuse nonsense', () => {
    for (const type of ['BatchNormalization', 'LayerNormalization']) {
      const def = getBlock(type);
      expect(def, type).toBeDefined();
      for (const spec of def?.params ?? []) expect(checkParamValue(spec, spec.default), `${type}.${spec.name}`).toBeNull();
    }
    const spec = (block: string, name: string) => getBlock(block)?.params.find((p) => p.name === name);
    const momentum = spec('BatchNormalization', 'momentum');
    const epsilon = spec('LayerNormalization', 'epsilon');
    if (!momentum || !epsilon) throw new Error('missing params');
    expect(checkParamValue(momentum, 1)).toMatch(/< 1/);
    expect(checkParamValue(epsilon, 0)).toMatch(/> 0/);
  });
});
