import { describe, expect, it } from 'vitest';
import { runBlockCases } from '../helpers/blockTest.js';
import { getBlock } from '../../shared/blocks/registry.js';
import { checkParamValue, defaultParams } from '../../shared/blocks/paramUtils.js';

// Expected shapes measured with Keras 3.15 (keras.Input + the layer its LayerCall prints).
describe('pooling and up-sampling blocks (Keras 3 semantics)', () => {
  runBlockCases([
    { block: 'MaxPooling2D', inputs: [[26, 26, 32]], shape: [13, 13, 32], count: 0 },
    { block: 'MaxPooling2D', inputs: [[5, 5, 3]], shape: [2, 2, 3], count: 0 },
    { block: 'MaxPooling2D', params: { pool_size: [3, 3], strides: [2, 2] }, inputs: [[7, 7, 1]], shape: [3, 3, 1], count: 0 },
    { block: 'MaxPooling2D', params: { pool_size: [3, 3], strides: [2, 2], padding: 'same' }, inputs: [[7, 7, 1]], shape: [4, 4, 1], count: 0 },
    { block: 'MaxPooling2D', params: { padding: 'same' }, inputs: [[5, 5, 3]], shape: [3, 3, 3], count: 0 },
    { block: 'MaxPooling2D', params: { pool_size: [2, 3], strides: [1, 2] }, inputs: [[6, 7, 2]], shape: [5, 3, 2], count: 0 },
    { block: 'MaxPooling2D', inputs: [[null, 7, 4]], shape: [null, 3, 4], count: 0 },
    { block: 'MaxPooling2D', inputs: [[7, 7, null]], shape: [3, 3, null], count: 0 },
    { block: 'MaxPooling2D', params: { pool_size: [3, 3] }, inputs: [[2, 2, 1]], shape: null, codes: ['LL009'] },
    { block: 'MaxPooling2D', inputs: [[28, 28]], shape: null, codes: ['LL007'] },
    { block: 'MaxPooling2D', inputs: [null], shape: null, codes: ['LL004'] },
    { block: 'AveragePooling2D', inputs: [[8, 8, 3]], shape: [4, 4, 3], count: 0 },
    { block: 'AveragePooling2D', params: { pool_size: [3, 3], strides: [1, 1], padding: 'same' }, inputs: [[5, 6, 2]], shape: [5, 6, 2], count: 0 },
    { block: 'AveragePooling2D', params: { pool_size: [2, 2], strides: [3, 3] }, inputs: [[10, 11, 2]], shape: [3, 4, 2], count: 0 },
    { block: 'AveragePooling2D', params: { pool_size: [4, 1] }, inputs: [[3, 5, 2]], shape: null, codes: ['LL009'] },
    { block: 'MaxPooling1D', inputs: [[100, 8]], shape: [50, 8], count: 0 },
    { block: 'MaxPooling1D', inputs: [[7, 8]], shape: [3, 8], count: 0 },
    { block: 'MaxPooling1D', params: { pool_size: 3, strides: 1, padding: 'same' }, inputs: [[10, 4]], shape: [10, 4], count: 0 },
    { block: 'MaxPooling1D', params: { pool_size: 3, strides: 2, padding: 'same' }, inputs: [[null, 4]], shape: [null, 4], count: 0 },
    { block: 'MaxPooling1D', params: { pool_size: 5 }, inputs: [[4, 2]], shape: null, codes: ['LL009'] },
    { block: 'MaxPooling1D', inputs: [[28, 28, 1]], shape: null, codes: ['LL007'] },
    { block: 'AveragePooling1D', params: { pool_size: 4, strides: 2 }, inputs: [[11, 3]], shape: [4, 3], count: 0 },
    { block: 'AveragePooling1D', params: { pool_size: 4, strides: 3, padding: 'same' }, inputs: [[10, 2]], shape: [4, 2], count: 0 },
    { block: 'AveragePooling1D', inputs: [[64]], shape: null, codes: ['LL007'] },
    { block: 'GlobalAveragePooling2D', inputs: [[7, 7, 64]], shape: [64], count: 0 },
    { block: 'GlobalAveragePooling2D', inputs: [[null, null, 3]], shape: [3], count: 0 },
    { block: 'GlobalAveragePooling2D', inputs: [[10, 16]], shape: null, codes: ['LL007'] },
    { block: 'GlobalAveragePooling1D', inputs: [[null, 16]], shape: [16], count: 0 },
    { block: 'GlobalAveragePooling1D', inputs: [[10, 4]], shape: [4], count: 0 },
    { block: 'GlobalAveragePooling1D', inputs: [[7, 7, 3]], shape: null, codes: ['LL007'] },
    { block: 'GlobalAveragePooling1D', inputs: [[64]], shape: null, codes: ['LL007'] },
    { block: 'GlobalMaxPooling2D', inputs: [[5, 6, 8]], shape: [8], count: 0 },
    { block: 'GlobalMaxPooling2D', inputs: [[64]], shape: null, codes: ['LL007'] },
    { block: 'GlobalMaxPooling1D', inputs: [[10, 4]], shape: [4], count: 0 },
    { block: 'GlobalMaxPooling1D', inputs: [[null, 12]], shape: [12], count: 0 },
    { block: 'GlobalMaxPooling1D', inputs: [null], shape: null, codes: ['LL004'] },
    { block: 'UpSampling2D', inputs: [[7, 7, 3]], shape: [14, 14, 3], count: 0 },
    { block: 'UpSampling2D', params: { size: [2, 3] }, inputs: [[null, 5, 2]], shape: [null, 15, 2], count: 0 },
    { block: 'UpSampling2D', params: { size: [1, 4] }, inputs: [[3, 3, 1]], shape: [3, 12, 1], count: 0 },
    { block: 'UpSampling2D', inputs: [[28, 28]], shape: null, codes: ['LL007'] },
    { block: 'CenterCrop', params: { height: 4, width: 3 }, inputs: [[7, 6, 2]], shape: [4, 3, 2], count: 0 },
    { name: 'CenterCrop refuses a crop larger than the image (Keras would resize it up)', block: 'CenterCrop', params: { height: 8, width: 3 }, inputs: [[7, 6, 2]], shape: null, codes: ['LL009'] },
    { block: 'CenterCrop', params: { height: 4, width: 3 }, inputs: [[null, 6, 2]], shape: null, codes: ['LL018'] },
    { block: 'CenterCrop', inputs: [[7, 6]], shape: null, codes: ['LL007'] },
    { block: 'UpSampling1D', inputs: [[5, 3]], shape: [10, 3], count: 0 },
    { block: 'UpSampling1D', params: { size: 3 }, inputs: [[null, 2]], shape: [null, 2], count: 0 },
    { block: 'UpSampling1D', inputs: [[5, 5, 3]], shape: null, codes: ['LL007'] },
    { block: 'UpSampling3D', inputs: [[2, 3, 4, 5]], shape: [4, 6, 8, 5], count: 0 },
    { block: 'UpSampling3D', params: { size: [1, 3, 2] }, inputs: [[null, 3, 4, 1]], shape: [null, 9, 8, 1], count: 0 },
    { block: 'UpSampling3D', inputs: [[7, 7, 3]], shape: null, codes: ['LL007'] },
    { block: 'ZeroPadding3D', inputs: [[2, 3, 4, 5]], shape: [4, 5, 6, 5], count: 0 },
    { block: 'ZeroPadding3D', params: { padding: [0, 1, 2, 0, 1, 1] }, inputs: [[2, null, 4, 1]], shape: [3, null, 6, 1], count: 0 },
    { block: 'Cropping3D', params: { cropping: [1, 0, 0, 2, 1, 1] }, inputs: [[3, 4, 4, 2]], shape: [2, 2, 2, 2], count: 0 },
    { name: 'Cropping3D refuses to crop a whole axis (LL009)', block: 'Cropping3D', params: { cropping: [0, 0, 2, 2, 0, 0] }, inputs: [[3, 4, 4, 2]], shape: null, codes: ['LL009'] },
    { block: 'Cropping3D', inputs: [[4, 4, 2]], shape: null, codes: ['LL007'] },
    { block: 'SpatialDropout3D', inputs: [[2, 3, 4, 5]], shape: [2, 3, 4, 5], count: 0 },
    { block: 'SpatialDropout3D', inputs: [[4, 5]], shape: null, codes: ['LL007'] },
  ]);

  it('strides left empty mean "same as pool_size", as in Keras, and tfjs gets the resolved value', () => {
    const def = getBlock('MaxPooling2D');
    const call = def?.layerCall?.({ ...defaultParams(def.params), pool_size: [3, 3] }, [[9, 9, 1]]);
    expect(call?.kerasArgs).toContainEqual(['strides', null]);
    expect(call?.tfjsArgs).toContainEqual(['strides', { tuple: [3, 3] }]);
    const one = getBlock('AveragePooling1D');
    const call1 = one?.layerCall?.({ ...defaultParams(one.params), pool_size: 4, strides: 2 }, [[9, 1]]);
    expect(call1?.kerasArgs).toEqual([['pool_size', 4], ['strides', 2], ['padding', 'valid']]);
  });

  it('UpSampling2D bilinear runs as Layerloom’s half-pixel resize (tfjs’s aligns pixels differently) and needs a fixed size', () => {
    const def = getBlock('UpSampling2D');
    expect(def?.params.find((p) => p.name === 'interpolation')?.options).toEqual(['nearest', 'bilinear']);
    const bilinear = { size: [2, 3], interpolation: 'bilinear' };
    const call = def?.layerCall?.(bilinear, [[4, 5, 2]]);
    expect(call?.custom).toBe(true);
    expect(call?.tfjsArgs).toEqual([['height', 8], ['width', 15], ['interpolation', 'bilinear']]);
    expect(def?.layerCall?.({ size: [2, 2], interpolation: 'nearest' }, [[4, 5, 2]]).custom).toBeUndefined();
    const variable = def?.inferShape([[null, 5, 2]], bilinear);
    expect(variable?.shape).toBeNull();
    expect(variable?.problems[0].code).toBe('LL018');
  });

  it('defaults are valid parameter values', () => {
    for (const type of ['MaxPooling1D', 'MaxPooling2D', 'AveragePooling1D', 'AveragePooling2D', 'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'UpSampling2D']) {
      const def = getBlock(type);
      expect(def, type).toBeDefined();
      for (const spec of def?.params ?? []) expect(checkParamValue(spec, spec.default), `${type}.${spec.name}`).toBeNull();
    }
  });
});
