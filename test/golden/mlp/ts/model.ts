/**
 * Tabular MLP: a TensorFlow.js model exported from Layerloom.
 *
 * buildModel() returns the model, uncompiled; layer names are the block labels. weights.ts loads
 * the weights exported with it; train.ts trains it on the project's dataset.
 */
import * as tf from '@tensorflow/tfjs';

/** Builds the model (uncompiled). */
export function buildModel(): tf.LayersModel {
  const features = tf.input({ shape: [4], dtype: 'float32', name: 'features' });
  const dense = tf.layers.dense({
    units: 32,
    activation: 'relu',
    kernelInitializer: 'glorotUniform',
    name: 'dense',
  }).apply(features) as tf.SymbolicTensor;
  const dropout = tf.layers.dropout({
    rate: 0.2,
    name: 'dropout',
  }).apply(dense) as tf.SymbolicTensor;
  const dense_1 = tf.layers.dense({
    units: 16,
    activation: 'relu',
    kernelInitializer: 'glorotUniform',
    name: 'dense_1',
  }).apply(dropout) as tf.SymbolicTensor;
  const predictions = tf.layers.dense({
    units: 3,
    activation: 'softmax',
    kernelInitializer: 'glorotUniform',
    name: 'predictions',
  }).apply(dense_1) as tf.SymbolicTensor;
  return tf.model({ inputs: features, outputs: predictions, name: 'tabular_mlp' });
}
