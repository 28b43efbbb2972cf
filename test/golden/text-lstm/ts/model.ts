/**
 * Text LSTM classifier: a TensorFlow.js model exported from Layerloom.
 *
 * buildModel() returns the model, uncompiled; layer names are the block labels. weights.ts loads
 * the weights exported with it; train.ts trains it on the project's dataset.
 */
import * as tf from '@tensorflow/tfjs';

/** Builds the model (uncompiled). */
export function buildModel(): tf.LayersModel {
  const tokens = tf.input({ shape: [100], dtype: 'int32', name: 'tokens' });
  const embedding = tf.layers.embedding({
    inputDim: 10000,
    outputDim: 64,
    embeddingsInitializer: 'randomUniform',
    name: 'embedding',
  }).apply(tokens) as tf.SymbolicTensor;
  const lstm = tf.layers.lstm({
    units: 64,
    recurrentActivation: 'sigmoid',
    kernelInitializer: 'glorotUniform',
    unitForgetBias: true,
    returnSequences: true,
    name: 'lstm',
  }).apply(embedding) as tf.SymbolicTensor;
  const lstm_1 = tf.layers.lstm({
    units: 64,
    recurrentActivation: 'sigmoid',
    kernelInitializer: 'glorotUniform',
    unitForgetBias: true,
    name: 'lstm_1',
  }).apply(lstm) as tf.SymbolicTensor;
  const dense = tf.layers.dense({
    units: 64,
    activation: 'relu',
    kernelInitializer: 'glorotUniform',
    name: 'dense',
  }).apply(lstm_1) as tf.SymbolicTensor;
  const predictions = tf.layers.dense({
    units: 10,
    activation: 'softmax',
    kernelInitializer: 'glorotUniform',
    name: 'predictions',
  }).apply(dense) as tf.SymbolicTensor;
  return tf.model({ inputs: tokens, outputs: predictions, name: 'text_lstm_classifier' });
}
