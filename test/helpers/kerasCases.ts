/**
 * The layers checked against real Keras 3 (test/helpers/kerasNumeric.ts): shapes, parameter
 * counts and outputs. Every layer block of the catalog has at least one case (coreKeras.test.ts).
 */
import type { NumericCase } from './kerasNumeric.js';

/** Convolution, pooling, normalization and merge layers (spatialKeras.test.ts). */
export const SPATIAL_CASES: readonly NumericCase[] = [
  { id: 'conv1d valid, strides 2', block: 'Conv1D', params: { filters: 3, kernel_size: 3, strides: 2 }, inputs: [[9, 2]] },
  { id: 'conv1d same, dilation 2', block: 'Conv1D', params: { filters: 3, kernel_size: 3, dilation_rate: 2, padding: 'same' }, inputs: [[8, 2]] },
  { id: 'conv1d causal, dilation 2, relu', block: 'Conv1D', params: { filters: 3, kernel_size: 3, dilation_rate: 2, padding: 'causal', activation: 'relu' }, inputs: [[8, 2]] },
  { id: 'conv1d causal, strides 2, odd length', block: 'Conv1D', params: { filters: 2, kernel_size: 2, strides: 2, padding: 'causal' }, inputs: [[7, 3]] },
  { id: 'conv2d same, strides 2, odd size', block: 'Conv2D', params: { filters: 3, kernel_size: [3, 3], strides: [2, 2], padding: 'same' }, inputs: [[7, 6, 2]] },
  { id: 'conv2d valid, dilation 2, no bias', block: 'Conv2D', params: { filters: 2, kernel_size: [3, 2], dilation_rate: [2, 2], use_bias: false }, inputs: [[8, 7, 2]] },
  { id: 'conv2d transpose same, strides 2', block: 'Conv2DTranspose', params: { filters: 2, kernel_size: [3, 3], strides: [2, 2], padding: 'same' }, inputs: [[4, 5, 3]] },
  { id: 'conv2d transpose valid, strides 2', block: 'Conv2DTranspose', params: { filters: 2, kernel_size: [3, 3], strides: [2, 2] }, inputs: [[3, 4, 2]] },
  { id: 'conv2d transpose valid, strides > kernel', block: 'Conv2DTranspose', params: { filters: 2, kernel_size: [2, 2], strides: [3, 3] }, inputs: [[3, 3, 2]] },
  { id: 'depthwise same, strides 2, multiplier 2', block: 'DepthwiseConv2D', params: { kernel_size: [3, 3], strides: [2, 2], padding: 'same', depth_multiplier: 2 }, inputs: [[7, 7, 3]] },
  { id: 'separable same, dilation 2', block: 'SeparableConv2D', params: { filters: 4, kernel_size: [3, 3], dilation_rate: [2, 2], padding: 'same', depth_multiplier: 2 }, inputs: [[7, 8, 3]] },
  { id: 'separable valid, strides 2', block: 'SeparableConv2D', params: { filters: 4, kernel_size: [3, 3], strides: [2, 2] }, inputs: [[9, 9, 2]] },
  { id: 'max pool 3×3 same, strides 2', block: 'MaxPooling2D', params: { pool_size: [3, 3], strides: [2, 2], padding: 'same' }, inputs: [[7, 7, 2]] },
  { id: 'average pool 3×3 same, strides 2 (padding excluded)', block: 'AveragePooling2D', params: { pool_size: [3, 3], strides: [2, 2], padding: 'same' }, inputs: [[7, 6, 2]] },
  { id: 'average pool 1d same', block: 'AveragePooling1D', params: { pool_size: 4, strides: 3, padding: 'same' }, inputs: [[10, 2]] },
  { id: 'max pool 1d default', block: 'MaxPooling1D', inputs: [[9, 3]] },
  { id: 'global average pool 1d', block: 'GlobalAveragePooling1D', inputs: [[6, 4]] },
  { id: 'global max pool 2d', block: 'GlobalMaxPooling2D', inputs: [[4, 5, 3]] },
  { id: 'up-sampling 2×3 nearest', block: 'UpSampling2D', params: { size: [2, 3] }, inputs: [[3, 2, 2]] },
  { id: 'batch normalization (inference)', block: 'BatchNormalization', params: { epsilon: 0.01 }, inputs: [[4, 5]] },
  { id: 'layer normalization', block: 'LayerNormalization', inputs: [[3, 6]] },
  { id: 'add with a broadcast axis', block: 'Add', inputs: [[4, 1], [4, 3]] },
  { id: 'subtract', block: 'Subtract', inputs: [[3, 4], [3, 4]] },
  { id: 'multiply three', block: 'Multiply', params: { num_inputs: 3 }, inputs: [[5], [5], [5]] },
  { id: 'average', block: 'Average', inputs: [[2, 3], [2, 3]] },
  { id: 'maximum', block: 'Maximum', inputs: [[6], [6]] },
  { id: 'minimum', block: 'Minimum', inputs: [[6], [6]] },
  { id: 'concatenate three on axis -2', block: 'Concatenate', params: { num_inputs: 3, axis: -2 }, inputs: [[2, 3], [1, 3], [4, 3]] },
  { id: 'concatenate on axis 1', block: 'Concatenate', params: { axis: 1 }, inputs: [[2, 2, 3], [3, 2, 3]] },
];

/** Attention, recurrent layers and Embedding (attentionKeras.test.ts). */
export const SEQUENCE_CASES: readonly NumericCase[] = [
  { id: 'mha self-attention', block: 'MultiHeadAttention', params: { num_heads: 2, key_dim: 4 }, inputs: [[5, 8], [5, 8]] },
  { id: 'mha causal', block: 'MultiHeadAttention', params: { num_heads: 2, key_dim: 4, use_causal_mask: true }, inputs: [[5, 8], [5, 8]] },
  { id: 'mha key ≠ value, value_dim', block: 'MultiHeadAttention', params: { num_heads: 3, key_dim: 2, value_dim: 4 }, inputs: [[4, 6], [7, 5], [7, 3]] },
  { id: 'mha causal T≠S, no bias', block: 'MultiHeadAttention', params: { num_heads: 2, key_dim: 3, use_bias: false, use_causal_mask: true }, inputs: [[3, 6], [5, 6]] },
  { id: 'mha dropout inactive at inference', block: 'MultiHeadAttention', params: { num_heads: 2, key_dim: 4, dropout: 0.3 }, inputs: [[5, 8], [5, 8]] },
  { id: 'lstm', block: 'LSTM', params: { units: 5 }, inputs: [[6, 3]] },
  { id: 'lstm sequences backwards', block: 'LSTM', params: { units: 5, return_sequences: true, go_backwards: true }, inputs: [[6, 3]] },
  { id: 'gru reset_after=False sequences', block: 'GRU', params: { units: 4, return_sequences: true }, inputs: [[6, 3]] },
  { id: 'gru backwards', block: 'GRU', params: { units: 4, go_backwards: true }, inputs: [[6, 3]] },
  { id: 'simple rnn sequences', block: 'SimpleRNN', params: { units: 4, return_sequences: true }, inputs: [[6, 3]] },
  { id: 'bidirectional lstm concat sequences', block: 'LSTM', params: { units: 4, bidirectional: true, return_sequences: true }, inputs: [[6, 3]] },
  { id: 'bidirectional lstm ave', block: 'LSTM', params: { units: 4, bidirectional: true, merge_mode: 'ave' }, inputs: [[6, 3]] },
  { id: 'bidirectional gru sum sequences', block: 'GRU', params: { units: 3, bidirectional: true, merge_mode: 'sum', return_sequences: true }, inputs: [[6, 3]] },
  { id: 'bidirectional simple rnn mul', block: 'SimpleRNN', params: { units: 3, bidirectional: true, merge_mode: 'mul' }, inputs: [[6, 3]] },
  { id: 'embedding', block: 'Embedding', params: { input_dim: 7, output_dim: 3 }, inputs: [[5]], ids: 7 },
];

/** Dense, activations, reshaping, global pooling and position embedding (coreKeras.test.ts). */
export const CORE_CASES: readonly NumericCase[] = [
  { id: 'dense relu', block: 'Dense', params: { units: 5, activation: 'relu' }, inputs: [[4]] },
  { id: 'dense on a sequence, no bias', block: 'Dense', params: { units: 3, use_bias: false }, inputs: [[6, 4]] },
  { id: 'activation gelu', block: 'Activation', params: { activation: 'gelu' }, inputs: [[7]] },
  { id: 'activation softmax', block: 'Activation', params: { activation: 'softmax' }, inputs: [[2, 5]] },
  { id: 'dropout inactive at inference', block: 'Dropout', params: { rate: 0.4 }, inputs: [[9]] },
  { id: 'flatten', block: 'Flatten', inputs: [[3, 2, 4]] },
  { id: 'reshape with -1', block: 'Reshape', params: { target_shape: [-1, 3] }, inputs: [[4, 6]] },
  { id: 'global average pool 2d', block: 'GlobalAveragePooling2D', inputs: [[4, 5, 3]] },
  { id: 'global max pool 1d', block: 'GlobalMaxPooling1D', inputs: [[6, 4]] },
  { id: 'position embedding', block: 'PositionEmbedding', params: { sequence_length: 8 }, inputs: [[5, 3]] },
];
