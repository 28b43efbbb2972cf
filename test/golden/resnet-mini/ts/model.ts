/**
 * Mini ResNet: a TensorFlow.js model exported from Layerloom.
 *
 * buildModel() returns the model, uncompiled; layer names are the block labels. weights.ts loads
 * the weights exported with it; train.ts trains it on the project's dataset.
 */
import * as tf from '@tensorflow/tfjs';

/** Builds the model (uncompiled). */
export function buildModel(): tf.LayersModel {
  const image = tf.input({ shape: [28, 28, 1], dtype: 'float32', name: 'image' });
  const conv2d = tf.layers.conv2d({
    filters: 16,
    kernelSize: [3, 3],
    padding: 'same',
    useBias: false,
    kernelInitializer: 'glorotUniform',
    name: 'conv2d',
  }).apply(image) as tf.SymbolicTensor;
  const batch_normalization = tf.layers.batchNormalization({
    name: 'batch_normalization',
  }).apply(conv2d) as tf.SymbolicTensor;
  const activation = tf.layers.activation({
    activation: 'relu',
    name: 'activation',
  }).apply(batch_normalization) as tf.SymbolicTensor;
  const conv2d_1 = tf.layers.conv2d({
    filters: 16,
    kernelSize: [3, 3],
    padding: 'same',
    useBias: false,
    kernelInitializer: 'glorotUniform',
    name: 'conv2d_1',
  }).apply(activation) as tf.SymbolicTensor;
  const batch_normalization_1 = tf.layers.batchNormalization({
    name: 'batch_normalization_1',
  }).apply(conv2d_1) as tf.SymbolicTensor;
  const activation_1 = tf.layers.activation({
    activation: 'relu',
    name: 'activation_1',
  }).apply(batch_normalization_1) as tf.SymbolicTensor;
  const conv2d_2 = tf.layers.conv2d({
    filters: 16,
    kernelSize: [3, 3],
    padding: 'same',
    useBias: false,
    kernelInitializer: 'glorotUniform',
    name: 'conv2d_2',
  }).apply(activation_1) as tf.SymbolicTensor;
  const batch_normalization_2 = tf.layers.batchNormalization({
    name: 'batch_normalization_2',
  }).apply(conv2d_2) as tf.SymbolicTensor;
  const block1_add = tf.layers.add({
    name: 'block1_add',
  }).apply([activation, batch_normalization_2]) as tf.SymbolicTensor;
  const block1_out = tf.layers.activation({
    activation: 'relu',
    name: 'block1_out',
  }).apply(block1_add) as tf.SymbolicTensor;
  const conv2d_3 = tf.layers.conv2d({
    filters: 32,
    kernelSize: [3, 3],
    strides: [2, 2],
    padding: 'same',
    useBias: false,
    kernelInitializer: 'glorotUniform',
    name: 'conv2d_3',
  }).apply(block1_out) as tf.SymbolicTensor;
  const batch_normalization_3 = tf.layers.batchNormalization({
    name: 'batch_normalization_3',
  }).apply(conv2d_3) as tf.SymbolicTensor;
  const activation_2 = tf.layers.activation({
    activation: 'relu',
    name: 'activation_2',
  }).apply(batch_normalization_3) as tf.SymbolicTensor;
  const conv2d_4 = tf.layers.conv2d({
    filters: 32,
    kernelSize: [3, 3],
    padding: 'same',
    useBias: false,
    kernelInitializer: 'glorotUniform',
    name: 'conv2d_4',
  }).apply(activation_2) as tf.SymbolicTensor;
  const batch_normalization_4 = tf.layers.batchNormalization({
    name: 'batch_normalization_4',
  }).apply(conv2d_4) as tf.SymbolicTensor;
  const block2_add = tf.layers.add({
    name: 'block2_add',
  }).apply([activation_2, batch_normalization_4]) as tf.SymbolicTensor;
  const block2_out = tf.layers.activation({
    activation: 'relu',
    name: 'block2_out',
  }).apply(block2_add) as tf.SymbolicTensor;
  const global_average_pooling2d = tf.layers.globalAveragePooling2d({
    name: 'global_average_pooling2d',
  }).apply(block2_out) as tf.SymbolicTensor;
  const predictions = tf.layers.dense({
    units: 10,
    activation: 'softmax',
    kernelInitializer: 'glorotUniform',
    name: 'predictions',
  }).apply(global_average_pooling2d) as tf.SymbolicTensor;
  return tf.model({ inputs: image, outputs: predictions, name: 'mini_resnet' });
}
