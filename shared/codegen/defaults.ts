/**
 * Default argument values of Keras 3 layers and tfjs-layers 4.22 layer configs, so generated code
 * can leave out what the library would do anyway (readable code) while printing everything where the
 * two libraries differ (so the Keras model equals the tfjs one).
 *
 * Keras values are checked against `inspect.signature` of the installed Keras by the export tests;
 * tfjs values by comparing the exported TS model's config with the app's compiled model.
 */
import type { KerasArg } from '../blocks/types.js';
import { sameArg } from './literals.js';

type Defaults = Readonly<Record<string, Readonly<Record<string, KerasArg>>>>;

const t = (...xs: KerasArg[]): KerasArg => ({ tuple: xs });

const CONV_COMMON: Record<string, KerasArg> = {
  padding: 'valid',
  activation: 'linear',
  use_bias: true,
  kernel_initializer: 'glorot_uniform',
  bias_initializer: 'zeros',
  groups: 1,
};
const CONV_TRANSPOSE_COMMON: Record<string, KerasArg> = {
  padding: 'valid',
  activation: 'linear',
  use_bias: true,
  kernel_initializer: 'glorot_uniform',
  bias_initializer: 'zeros',
  output_padding: null,
};
const RNN_COMMON: Record<string, KerasArg> = {
  activation: 'tanh',
  use_bias: true,
  kernel_initializer: 'glorot_uniform',
  recurrent_initializer: 'orthogonal',
  bias_initializer: 'zeros',
  dropout: 0,
  recurrent_dropout: 0,
  return_sequences: false,
  return_state: false,
  go_backwards: false,
  stateful: false,
  unroll: false,
};
const POOL_COMMON: Record<string, KerasArg> = { strides: null, padding: 'valid' };
const NORM_COMMON: Record<string, KerasArg> = {
  axis: -1,
  epsilon: 0.001,
  center: true,
  scale: true,
  beta_initializer: 'zeros',
  gamma_initializer: 'ones',
};

/**
 * Keras 3 constructor defaults, by class. `activation: 'linear'` stands for Keras's `None`
 * (identical behaviour). Only arguments whose omission is safe are listed.
 */
export const KERAS_DEFAULTS: Defaults = {
  Dense: { activation: 'linear', use_bias: true, kernel_initializer: 'glorot_uniform', bias_initializer: 'zeros' },
  EinsumDense: { activation: 'linear', kernel_initializer: 'glorot_uniform', bias_initializer: 'zeros' },
  LeakyReLU: { negative_slope: 0.3 },
  ReLU: { max_value: null, negative_slope: 0, threshold: 0 },
  ELU: { alpha: 1 },
  Softmax: { axis: -1 },
  PReLU: { shared_axes: null },
  Rescaling: { offset: 0 },
  Normalization: { axis: -1, mean: null, variance: null, invert: false },
  Resizing: { interpolation: 'bilinear', crop_to_aspect_ratio: false, pad_to_aspect_ratio: false, fill_mode: 'constant', fill_value: 0, antialias: false },
  Flatten: {},
  Conv1D: { ...CONV_COMMON, strides: 1, dilation_rate: 1 },
  Conv2D: { ...CONV_COMMON, strides: t(1, 1), dilation_rate: t(1, 1) },
  Conv3D: { ...CONV_COMMON, strides: t(1, 1, 1), dilation_rate: t(1, 1, 1) },
  Conv1DTranspose: { ...CONV_TRANSPOSE_COMMON, strides: 1, dilation_rate: 1 },
  Conv2DTranspose: { ...CONV_TRANSPOSE_COMMON, strides: t(1, 1), dilation_rate: t(1, 1) },
  Conv3DTranspose: { ...CONV_TRANSPOSE_COMMON, strides: t(1, 1, 1), dilation_rate: t(1, 1, 1) },
  SeparableConv1D: {
    padding: 'valid', activation: 'linear', use_bias: true, strides: 1, dilation_rate: 1, depth_multiplier: 1,
    depthwise_initializer: 'glorot_uniform', pointwise_initializer: 'glorot_uniform', bias_initializer: 'zeros',
  },
  SeparableConv2D: {
    padding: 'valid', activation: 'linear', use_bias: true, strides: t(1, 1), dilation_rate: t(1, 1), depth_multiplier: 1,
    depthwise_initializer: 'glorot_uniform', pointwise_initializer: 'glorot_uniform', bias_initializer: 'zeros',
  },
  DepthwiseConv1D: {
    padding: 'valid', activation: 'linear', use_bias: true, strides: 1, dilation_rate: 1, depth_multiplier: 1,
    depthwise_initializer: 'glorot_uniform', bias_initializer: 'zeros',
  },
  DepthwiseConv2D: {
    padding: 'valid', activation: 'linear', use_bias: true, strides: t(1, 1), dilation_rate: t(1, 1), depth_multiplier: 1,
    depthwise_initializer: 'glorot_uniform', bias_initializer: 'zeros',
  },
  MaxPooling1D: { ...POOL_COMMON, pool_size: 2 },
  MaxPooling2D: { ...POOL_COMMON, pool_size: t(2, 2) },
  MaxPooling3D: { ...POOL_COMMON, pool_size: t(2, 2, 2) },
  AveragePooling1D: { ...POOL_COMMON },
  AveragePooling2D: { ...POOL_COMMON },
  AveragePooling3D: { ...POOL_COMMON },
  GlobalAveragePooling1D: { keepdims: false },
  GlobalAveragePooling2D: { keepdims: false },
  GlobalAveragePooling3D: { keepdims: false },
  GlobalMaxPooling1D: { keepdims: false },
  GlobalMaxPooling2D: { keepdims: false },
  GlobalMaxPooling3D: { keepdims: false },
  BatchNormalization: {
    ...NORM_COMMON,
    momentum: 0.99,
    moving_mean_initializer: 'zeros',
    moving_variance_initializer: 'ones',
  },
  LayerNormalization: { ...NORM_COMMON },
  Concatenate: { axis: -1 },
  Embedding: { embeddings_initializer: 'uniform', mask_zero: false },
  Masking: { mask_value: 0 },
  LSTM: { ...RNN_COMMON, unit_forget_bias: true },
  GRU: { ...RNN_COMMON, reset_after: true },
  SimpleRNN: { ...RNN_COMMON },
  Bidirectional: { merge_mode: 'concat' },
  MultiHeadAttention: {
    value_dim: null,
    dropout: 0,
    use_bias: true,
    output_shape: null,
    attention_axes: null,
    kernel_initializer: 'glorot_uniform',
    bias_initializer: 'zeros',
  },
  UpSampling1D: { size: 2 },
  UpSampling2D: { size: t(2, 2), interpolation: 'nearest' },
  ZeroPadding1D: { padding: 1 },
  ZeroPadding2D: { padding: t(1, 1) },
  Cropping1D: { cropping: t(1, 1) },
  UpSampling3D: { size: t(2, 2, 2) },
  ZeroPadding3D: { padding: t(t(1, 1), t(1, 1), t(1, 1)) },
  Cropping3D: { cropping: t(t(1, 1), t(1, 1), t(1, 1)) },
  SpatialDropout3D: {},
  CenterCrop: {},
  GaussianNoise: {},
  GaussianDropout: {},
  SpatialDropout1D: {},
  SpatialDropout2D: {},
  Dropout: { noise_shape: null },
  Activation: {},
  Reshape: {},
  Permute: {},
  RepeatVector: {},
  Add: {},
  Subtract: {},
  Multiply: {},
  Average: {},
  Maximum: {},
  Minimum: {},
};

/**
 * Arguments printed even when they equal the Keras default, because tfjs's default differs and a
 * reader comparing the two exports should see the value both use.
 */
export const KERAS_ALWAYS_PRINT: Readonly<Record<string, readonly string[]>> = {
  LSTM: ['recurrent_activation'],
  GRU: ['recurrent_activation', 'reset_after'],
};

/** True when `name=value` can be left out of a Keras constructor call. */
export function isKerasDefault(kerasClass: string, name: string, value: KerasArg): boolean {
  if (KERAS_ALWAYS_PRINT[kerasClass]?.includes(name)) return false;
  const defaults = KERAS_DEFAULTS[kerasClass];
  if (!defaults || !(name in defaults)) return false;
  return sameArg(defaults[name], value);
}

const TFJS_CONV: Record<string, KerasArg> = { padding: 'valid', activation: 'linear', useBias: true, biasInitializer: 'zeros' };
const TFJS_RNN: Record<string, KerasArg> = {
  activation: 'tanh',
  useBias: true,
  recurrentInitializer: 'orthogonal',
  biasInitializer: 'zeros',
  dropout: 0,
  recurrentDropout: 0,
  returnSequences: false,
  returnState: false,
  goBackwards: false,
  stateful: false,
  unroll: false,
};

/**
 * tfjs-layers 4.22 config defaults, by factory, limited to values that are also Keras's default
 * (kernel initializers are absent on purpose: tfjs uses glorotNormal, Keras glorot_uniform).
 */
export const TFJS_DEFAULTS: Defaults = {
  dense: { activation: 'linear', useBias: true, biasInitializer: 'zeros' },
  conv1d: { ...TFJS_CONV, strides: 1, dilationRate: 1 },
  conv2d: { ...TFJS_CONV, strides: t(1, 1), dilationRate: t(1, 1) },
  conv2dTranspose: { ...TFJS_CONV, strides: t(1, 1) },
  separableConv2d: { ...TFJS_CONV, strides: t(1, 1), dilationRate: t(1, 1), depthMultiplier: 1 },
  depthwiseConv2d: { ...TFJS_CONV, strides: t(1, 1), dilationRate: t(1, 1), depthMultiplier: 1 },
  maxPooling1d: { padding: 'valid' },
  maxPooling2d: { padding: 'valid' },
  averagePooling1d: { padding: 'valid' },
  averagePooling2d: { padding: 'valid' },
  batchNormalization: {
    axis: -1,
    momentum: 0.99,
    epsilon: 0.001,
    center: true,
    scale: true,
    betaInitializer: 'zeros',
    gammaInitializer: 'ones',
    movingMeanInitializer: 'zeros',
    movingVarianceInitializer: 'ones',
  },
  layerNormalization: { axis: -1, epsilon: 0.001, center: true, scale: true, betaInitializer: 'zeros', gammaInitializer: 'ones' },
  concatenate: { axis: -1 },
  dropout: { noiseShape: null },
  lstm: { ...TFJS_RNN },
  // tfjs's GRU only runs reset_after=False (its default) and its typings lack the option.
  gru: { ...TFJS_RNN, resetAfter: false },
  simpleRNN: { ...TFJS_RNN },
};

/** True when a tfjs config property can be left out (tfjs would use the same value). */
export function isTfjsDefault(factory: string, name: string, value: KerasArg): boolean {
  const defaults = TFJS_DEFAULTS[factory];
  if (!defaults || !(name in defaults)) return false;
  return sameArg(defaults[name], value);
}
