/**
 * Transformer text classifier: a TensorFlow.js model exported from Layerloom.
 *
 * buildModel() returns the model, uncompiled; layer names are the block labels. weights.ts loads
 * the weights exported with it; train.ts trains it on the project's dataset.
 */
import * as tf from '@tensorflow/tfjs';
import { layerloomLayers } from './layerloomLayers.js';

/** Builds the model (uncompiled). */
export function buildModel(): tf.LayersModel {
  const layerloom = layerloomLayers(tf);
  const tokens = tf.input({ shape: [64], dtype: 'int32', name: 'tokens' });
  const token_embedding = tf.layers.embedding({
    inputDim: 5000,
    outputDim: 32,
    embeddingsInitializer: 'randomUniform',
    name: 'token_embedding',
  }).apply(tokens) as tf.SymbolicTensor;
  const position_embedding = new layerloom.PositionEmbedding({
    sequenceLength: 64,
    initializer: 'glorotUniform',
    name: 'position_embedding',
  }).apply(token_embedding) as tf.SymbolicTensor;
  const embeddings = tf.layers.add({
    name: 'embeddings',
  }).apply([token_embedding, position_embedding]) as tf.SymbolicTensor;
  const self_attention = new layerloom.MultiHeadAttention({
    numHeads: 2,
    keyDim: 16,
    valueDim: null,
    dropout: 0,
    useBias: true,
    useCausalMask: false,
    kernelInitializer: 'glorotUniform',
    biasInitializer: 'zeros',
    name: 'self_attention',
  }).apply(embeddings) as tf.SymbolicTensor;
  const residual_1 = tf.layers.add({
    name: 'residual_1',
  }).apply([embeddings, self_attention]) as tf.SymbolicTensor;
  const norm_1 = tf.layers.layerNormalization({
    name: 'norm_1',
  }).apply(residual_1) as tf.SymbolicTensor;
  const feed_forward_1 = tf.layers.dense({
    units: 64,
    activation: 'relu',
    kernelInitializer: 'glorotUniform',
    name: 'feed_forward_1',
  }).apply(norm_1) as tf.SymbolicTensor;
  const feed_forward_2 = tf.layers.dense({
    units: 32,
    kernelInitializer: 'glorotUniform',
    name: 'feed_forward_2',
  }).apply(feed_forward_1) as tf.SymbolicTensor;
  const residual_2 = tf.layers.add({
    name: 'residual_2',
  }).apply([norm_1, feed_forward_2]) as tf.SymbolicTensor;
  const norm_2 = tf.layers.layerNormalization({
    name: 'norm_2',
  }).apply(residual_2) as tf.SymbolicTensor;
  const pool = new layerloom.GlobalPooling({
    reduction: 'mean',
    keepdims: false,
    name: 'pool',
  }).apply(norm_2) as tf.SymbolicTensor;
  const dropout = tf.layers.dropout({
    rate: 0.1,
    name: 'dropout',
  }).apply(pool) as tf.SymbolicTensor;
  const predictions = tf.layers.dense({
    units: 2,
    activation: 'softmax',
    kernelInitializer: 'glorotUniform',
    name: 'predictions',
  }).apply(dropout) as tf.SymbolicTensor;
  return tf.model({ inputs: tokens, outputs: predictions, name: 'transformer_text_classifier' });
}
