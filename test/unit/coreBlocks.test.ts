import { describe } from 'vitest';
import { runBlockCases } from '../helpers/blockTest.js';

describe('core blocks (Keras 3 semantics)', () => {
  runBlockCases([
    { block: 'Dense', params: { units: 10 }, inputs: [[64]], shape: [10], count: 650 },
    { block: 'Dense', params: { units: 10, use_bias: false }, inputs: [[64]], shape: [10], count: 640 },
    { block: 'Dense', params: { units: 32 }, inputs: [[null, 16]], shape: [null, 32], count: 544 },
    { name: 'Dense on a rank-4 feature map warns (LL008) but is valid', block: 'Dense', params: { units: 8 }, inputs: [[5, 5, 64]], shape: [5, 5, 8], count: 520, codes: ['LL008'] },
    { name: 'Dense needs a fixed last axis', block: 'Dense', inputs: [[null]], shape: null, codes: ['LL018'] },
    { block: 'Activation', params: { activation: 'softmax' }, inputs: [[10]], shape: [10], count: 0 },
    { block: 'Activation', params: { activation: 'leaky_relu' }, inputs: [[3, 4]], shape: [3, 4], count: 0 },
    { block: 'Activation', params: { activation: 'gelu' }, inputs: [[7]], shape: [7], count: 0 },
    { block: 'Dropout', params: { rate: 0.25 }, inputs: [[12, 3]], shape: [12, 3], count: 0 },
    { block: 'Flatten', inputs: [[3, 3, 64]], shape: [576], count: 0 },
    // Keras 3.15: Flatten of a variable size is a variable length; Dense after it needs a fixed one.
    { name: 'Flatten of (None, 8) is (None,)', block: 'Flatten', inputs: [[null, 8]], shape: [null], count: 0 },
    { name: 'Flatten of (2, None) is (None,)', block: 'Flatten', inputs: [[2, null]], shape: [null], count: 0 },
    { name: 'Flatten of (None,) stays (None,)', block: 'Flatten', inputs: [[null]], shape: [null], count: 0 },
    { name: 'Dense after a variable flatten needs a fixed size', block: 'Dense', params: { units: 2 }, inputs: [[null]], shape: null, codes: ['LL018'] },
    // Keras builds a Reshape of a variable size without -1 and checks the size when it runs.
    { name: 'Reshape (None, 3) → (6,) warns it runs only on 6 values', block: 'Reshape', params: { target_shape: [6] }, inputs: [[null, 3]], shape: [6], codes: ['LL017'], noTfjs: true },
    { name: 'Reshape (None, 3) → (-1, 3, 1)', block: 'Reshape', params: { target_shape: [-1, 3, 1] }, inputs: [[null, 3]], shape: [null, 3, 1], count: 0 },
    { name: 'Reshape (2, None) → (-1,)', block: 'Reshape', params: { target_shape: [-1] }, inputs: [[2, null]], shape: [null], count: 0 },
    { block: 'Reshape', params: { target_shape: [28, 28, 1] }, inputs: [[784]], shape: [28, 28, 1], count: 0 },
    { block: 'Reshape', params: { target_shape: [-1, 4] }, inputs: [[6, 2]], shape: [3, 4], count: 0 },
    { name: 'Reshape size mismatch', block: 'Reshape', params: { target_shape: [10, 10] }, inputs: [[784]], shape: null, codes: ['LL017'] },
    { name: 'Reshape with two -1', block: 'Reshape', params: { target_shape: [-1, -1] }, inputs: [[784]], shape: null, codes: ['LL011'] },
  ]);
});
