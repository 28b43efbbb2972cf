/**
 * MNIST CNN: a TensorFlow.js model exported from Layerloom.
 *
 * buildModel() returns the model, uncompiled; layer names are the block labels. weights.ts loads
 * the weights exported with it; train.ts trains it on the project's dataset.
 */
import * as tf from '@tensorflow/tfjs';

/** Builds the model (uncompiled). */
export function buildModel(): tf.LayersModel {
  const input = tf.input({ shape: [28, 28, 1], dtype: 'float32', name: 'input' });
  const conv2d = tf.layers.conv2d({
    filters: 32,
    kernelSize: [3, 3],
    activation: 'relu',
    kernelInitializer: 'glorotUniform',
    name: 'conv2d',
  }).apply(input) as tf.SymbolicTensor;
  const max_pooling2d = tf.layers.maxPooling2d({
    poolSize: [2, 2],
    strides: [2, 2],
    name: 'max_pooling2d',
  }).apply(conv2d) as tf.SymbolicTensor;
  const conv2d_1 = tf.layers.conv2d({
    filters: 64,
    kernelSize: [3, 3],
    activation: 'relu',
    kernelInitializer: 'glorotUniform',
    name: 'conv2d_1',
  }).apply(max_pooling2d) as tf.SymbolicTensor;
  const max_pooling2d_1 = tf.layers.maxPooling2d({
    poolSize: [2, 2],
    strides: [2, 2],
    name: 'max_pooling2d_1',
  }).apply(conv2d_1) as tf.SymbolicTensor;
  const conv2d_2 = tf.layers.conv2d({
    filters: 64,
    kernelSize: [3, 3],
    activation: 'relu',
    kernelInitializer: 'glorotUniform',
    name: 'conv2d_2',
  }).apply(max_pooling2d_1) as tf.SymbolicTensor;
  const flatten = tf.layers.flatten({ name: 'flatten' }).apply(conv2d_2) as tf.SymbolicTensor;
  const dense = tf.layers.dense({
    units: 64,
    activation: 'relu',
    kernelInitializer: 'glorotUniform',
    name: 'dense',
  }).apply(flatten) as tf.SymbolicTensor;
  const predictions = tf.layers.dense({
    units: 10,
    activation: 'softmax',
    kernelInitializer: 'glorotUniform',
    name: 'predictions',
  }).apply(dense) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: predictions, name: 'mnist_cnn' });
}
