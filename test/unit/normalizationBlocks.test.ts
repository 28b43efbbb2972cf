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
    { name: 'BatchNormalization center off: gamma only', block: 'BatchNormalization', params: { center: false }, inputs: [[4, 4, 3]], shape: [4, 4, 3], count: { trainable: 3, nonTrainable: 6 } },
    { name: 'BatchNormalization center and scale off: statistics only', block: 'BatchNormalization', params: { center: false, scale: false }, inputs: [[8]], shape: [8], count: { trainable: 0, nonTrainable: 16 } },
    { name: 'LayerNormalization scale off', block: 'LayerNormalization', params: { scale: false }, inputs: [[10, 64]], shape: [10, 64], count: 64 },
    { name: 'LayerNormalization axes [1, 2, 3]: one gamma and beta per entry of the image', block: 'LayerNormalization', params: { axis: [1, 2, 3] }, inputs: [[4, 4, 3]], shape: [4, 4, 3], count: 96 },
    { name: 'LayerNormalization axes [-2, -1], center off', block: 'LayerNormalization', params: { axis: [-2, -1], center: false }, inputs: [[5, 6]], shape: [5, 6], count: 30 },
    { name: 'LayerNormalization axis [1] with a variable last axis', block: 'LayerNormalization', params: { axis: [1] }, inputs: [[5, null]], shape: [5, null], count: 10 },
    { name: 'LayerNormalization axis [1] of variable size (LL018)', block: 'LayerNormalization', params: { axis: [1] }, inputs: [[null, 4]], shape: null, codes: ['LL018'] },
    { name: 'LayerNormalization axis 3 on a sequence does not exist (LL011)', block: 'LayerNormalization', params: { axis: [3] }, inputs: [[5, 4]], shape: null, codes: ['LL011'] },
    { name: 'LayerNormalization axis 0 is the batch (LL011)', block: 'LayerNormalization', params: { axis: [0, 1] }, inputs: [[5, 4]], shape: null, codes: ['LL011'] },
    { name: 'LayerNormalization mixed signs (LL011): Keras would order the weights by the raw numbers', block: 'LayerNormalization', params: { axis: [1, -1] }, inputs: [[5, 4]], shape: null, codes: ['LL011'] },
    { name: 'LayerNormalization repeated axis (LL011)', block: 'LayerNormalization', params: { axis: [2, -1] }, inputs: [[5, 4]], shape: null, codes: ['LL011'] },
  ]);

  it('states Keras 3 defaults on both sides (epsilon 0.001, momentum 0.99, last axis, center and scale on)', () => {
    const bn = getBlock('BatchNormalization');
    const call = bn?.layerCall?.(defaultParams(bn.params), [[4]]);
    expect(call?.kerasArgs).toEqual([['axis', -1], ['momentum', 0.99], ['epsilon', 0.001], ['center', true], ['scale', true]]);
    expect(call?.tfjsArgs).toEqual([['axis', -1], ['momentum', 0.99], ['epsilon', 0.001], ['center', true], ['scale', true]]);
    const ln = getBlock('LayerNormalization');
    expect(ln?.layerCall?.(defaultParams(ln.params), [[4]]).kerasArgs).toEqual([['axis', -1], ['epsilon', 0.001], ['center', true], ['scale', true]]);
    expect(ln?.layerCall?.(defaultParams(ln.params), [[4]]).custom).toBeUndefined();
  });

  it('center/scale off and several axes print Keras’s arguments and run as Layerloom’s own layers (tfjs’s cannot train them)', () => {
    const bn = getBlock('BatchNormalization');
    const bnCall = bn?.layerCall?.({ ...defaultParams(bn.params), center: false }, [[4]]);
    expect(bnCall?.kerasArgs).toEqual([['axis', -1], ['momentum', 0.99], ['epsilon', 0.001], ['center', false], ['scale', true]]);
    expect(bnCall).toMatchObject({ custom: true, tfjsFactory: 'LayerloomBatchNormalization' });
    const ln = getBlock('LayerNormalization');
    const lnCall = ln?.layerCall?.({ ...defaultParams(ln.params), axis: [-2, -1], scale: false }, [[3, 4]]);
    expect(lnCall?.kerasArgs).toEqual([['axis', { tuple: [-2, -1] }], ['epsilon', 0.001], ['center', true], ['scale', false]]);
    expect(lnCall?.tfjsArgs).toEqual([['axis', { tuple: [-2, -1] }], ['epsilon', 0.001], ['center', true], ['scale', false]]);
    expect(lnCall).toMatchObject({ custom: true, tfjsFactory: 'LayerloomLayerNormalization' });
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
