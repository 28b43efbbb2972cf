/**
 * Finding a block by what people call it: the palette and quick-add search. Matches the type name,
 * the aliases people type (`relu` → Activation, `bn` → BatchNormalization, `resize` →
 * UpSampling2D, `transformer` → MultiHeadAttention), and tolerates gaps (`maxp2` → MaxPooling2D,
 * `gap` → GlobalAveragePooling2D via its initials). Best match first, so Enter can take the first
 * hit.
 *
 * Hand-written rather than a fuzzy-search library: the corpus is a few dozen fixed names plus an
 * alias table, and the ranking rules (exact alias before prefix before initials before subsequence)
 * are the point.
 */
import { BLOCKS } from '../blocks/registry.js';
import type { BlockDef } from '../blocks/types.js';

/** What people type for a block, by block type (lowercase). */
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  Activation: ['relu', 'sigmoid', 'tanh', 'softmax', 'gelu', 'swish', 'silu', 'elu', 'selu', 'leaky relu', 'leaky_relu', 'nonlinearity'],
  ReLU: ['relu6', 'relu', 'clipped relu', 'rectifier'],
  LeakyReLU: ['leaky relu', 'leaky_relu', 'lrelu'],
  PReLU: ['parametric relu', 'learned slope'],
  ELU: ['exponential linear'],
  Softmax: ['probabilities', 'softmax axis'],
  ZeroPadding2D: ['pad', 'padding', 'zero pad'],
  ZeroPadding1D: ['pad sequence', 'padding'],
  Cropping2D: ['crop', 'trim'],
  Cropping1D: ['crop sequence', 'trim'],
  CenterCrop: ['crop', 'center crop', 'centre crop', 'middle'],
  ZeroPadding3D: ['pad volume', 'padding'],
  Cropping3D: ['crop volume', 'trim'],
  UpSampling3D: ['upsample volume', 'upscale'],
  SpatialDropout3D: ['channel dropout', 'dropout3d', 'spatial dropout'],
  Conv3DTranspose: ['3d deconvolution', 'deconv3d', 'volume upsampling'],
  Conv1DTranspose: ['1d deconvolution', 'deconv1d', 'sequence upsampling'],
  UpSampling1D: ['upsample sequence', 'repeat steps', 'stretch'],
  DepthwiseConv1D: ['depthwise sequence', 'per-channel convolution'],
  SeparableConv1D: ['separable sequence', 'cheap conv1d'],
  Resizing: ['resize', 'scale image', 'interpolate', 'bilinear'],
  Rescaling: ['scale', 'normalize pixels', '1/255', 'rescale'],
  Normalization: ['standardize', 'standardise', 'z-score', 'mean variance'],
  RepeatVector: ['repeat', 'tile'],
  Permute: ['transpose', 'swap axes'],
  SpatialDropout2D: ['channel dropout', 'dropout2d', 'spatial dropout'],
  SpatialDropout1D: ['channel dropout', 'dropout1d', 'spatial dropout'],
  GaussianNoise: ['noise', 'augmentation', 'jitter'],
  GaussianDropout: ['noise', 'multiplicative noise'],
  Dense: ['fully connected', 'fc', 'linear', 'mlp', 'perceptron', 'softmax', 'classifier', 'logits'],
  BatchNormalization: ['bn', 'batchnorm', 'batch norm'],
  LayerNormalization: ['ln', 'layernorm', 'layer norm'],
  UpSampling2D: ['resize', 'upsample', 'upscale', 'interpolate'],
  MultiHeadAttention: ['transformer', 'attention', 'mha', 'self attention', 'self-attention'],
  PositionEmbedding: ['positional encoding', 'position encoding', 'transformer'],
  Masking: ['padding', 'mask', 'pad', 'skip padding', 'variable length'],
  Conv2D: ['convolution', 'cnn', 'conv'],
  Conv2DTranspose: ['deconvolution', 'deconv', 'transposed convolution'],
  Conv3D: ['volume', 'video', '3d convolution', 'voxel'],
  Dropout: ['regularization', 'drop'],
  Flatten: ['vectorize', 'ravel'],
  Reshape: ['view', 'resize shape'],
  Concatenate: ['concat', 'cat', 'join', 'stack'],
  Add: ['sum', 'residual', 'skip', 'plus'],
  Multiply: ['product', 'gate', 'times'],
  Embedding: ['tokens', 'lookup', 'word vectors'],
  LSTM: ['rnn', 'recurrent', 'sequence'],
  GRU: ['rnn', 'recurrent'],
  SimpleRNN: ['rnn', 'recurrent'],
  MaxPooling2D: ['pool', 'downsample', 'maxpool'],
  GlobalAveragePooling2D: ['gap', 'global pool'],
  GlobalAveragePooling1D: ['global pool'],
  Input: ['data', 'placeholder', 'features'],
  Output: ['target', 'prediction', 'label', 'head'],
};

/** Capital letters and digits of a type name: `GlobalAveragePooling2D` → `gap2d`. */
function initials(type: string): string {
  return (type.match(/[A-Z]|\d+[A-Z]?/g) ?? []).join('').toLowerCase();
}

/** Does `q` appear in `text` in order, possibly with gaps? Returns how spread out it is, or -1. */
function subsequence(q: string, text: string): number {
  let from = 0;
  let first = -1;
  for (const ch of q) {
    const at = text.indexOf(ch, from);
    if (at < 0) return -1;
    if (first < 0) first = at;
    from = at + 1;
  }
  return from - first - q.length;
}

/** A score for one block (lower is better), or null when it does not match. */
function score(q: string, b: BlockDef): number | null {
  const type = b.type.toLowerCase();
  const aliases = ALIASES[b.type] ?? [];
  if (type === q) return 0;
  // An alias listed earlier is what the word most often means (`softmax`: the activation).
  if (aliases.includes(q)) return 1 + aliases.indexOf(q) / 100;
  if (type.startsWith(q)) return 2 + type.length / 100;
  if (aliases.some((a) => a.startsWith(q))) return 3;
  if (initials(b.type).startsWith(q)) return 4;
  if (type.includes(q)) return 5;
  if (aliases.some((a) => a.includes(q))) return 6;
  // Typos and shorthand: letters in order (`mxpool`, `conv2dt`), tighter first.
  const spread = q.length >= 2 ? subsequence(q, type) : -1;
  if (spread >= 0 && spread <= Math.max(4, type.length)) return 7 + spread / 100;
  if (q.length >= 3 && b.category.toLowerCase().includes(q)) return 8;
  if (q.length >= 4 && b.description.toLowerCase().includes(q)) return 9;
  return null;
}

/** Blocks matching a query, best first (the whole registry, in order, for an empty query). */
export function searchBlocks(query: string, blocks: readonly BlockDef[] = BLOCKS): BlockDef[] {
  const q = query.trim().toLowerCase().replace(/\s+/g, ' ');
  if (!q) return [...blocks];
  const scored: [number, number, BlockDef][] = [];
  blocks.forEach((b, i) => {
    const s = score(q, b);
    if (s !== null) scored.push([s, i, b]);
  });
  return scored.sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, , b]) => b);
}
