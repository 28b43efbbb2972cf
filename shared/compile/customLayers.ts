/**
 * Layerloom's own tfjs layers, for what tfjs-layers lacks or cannot train:
 *
 * - `LayerloomMultiHeadAttention`: Keras's `MultiHeadAttention` for rank-3 inputs
 *   (batch, length, features). tfjs's internal attention layer is neither exported nor trainable
 *   (its einsum has no gradient), so this one is built from matMul, reshape, transpose and softmax.
 *   Its weights have the shapes, names and order of Keras's layer (query/key/value kernels
 *   `(d, heads, key_dim)` and biases `(heads, key_dim)`, then the output kernel
 *   `(heads, value_dim, d_query)` and bias `(d_query)`), so trained weights load into Keras with
 *   `set_weights`.
 * - `LayerloomPositionEmbedding`: `keras_hub.layers.PositionEmbedding`: a learned
 *   `(sequence_length, features)` table, sliced to the input's length and broadcast to its shape.
 * - `LayerloomConv1D`, `LayerloomConv2D`, `LayerloomConv3D`, `LayerloomSeparableConv2D`: tfjs's own conv layers (same
 *   weights, config and shapes) for what they cannot do themselves. tfjs has no gradient for a
 *   convolution with dilation > 1, so these run it as a plain convolution with a dilated kernel (the
 *   kernel spread out with zeros, `(k - 1) * d + 1` taps wide): the same sums, and trainable. And
 *   tfjs's Conv1D accepts padding "causal" but throws when run, so LayerloomConv1D pads the start of
 *   the sequence with `(kernel_size - 1) * dilation_rate` zeros and runs "valid", as Keras does.
 * - `LayerloomSubtract`: Keras's `Subtract` (first input minus the second); tfjs-layers has none.
 * - `LayerloomBatchNormalization`: tfjs's BatchNormalization with Keras's rule for a frozen layer
 *   (`trainable` false): it normalizes with its moving statistics also while the model trains, and
 *   leaves them unchanged. tfjs's own layer keeps using the batch's statistics and updating the
 *   moving ones during `fit` whatever `trainable` says. A frozen BatchNormalization block builds this one,
 *   and so does one with `center` or `scale` off: tfjs's own builds without gamma or beta but throws
 *   on the first training step (it reads them anyway), so this one normalizes the batch itself then.
 * - `LayerloomLayerNormalization`: Keras's `LayerNormalization` over one or several axes, with
 *   `center`/`scale` on or off, computed as Keras's `ops.layer_normalization` (tfjs's own trips over
 *   missing gamma/beta and runs through the rank-4 batch-norm kernels); the weights have the sizes of
 *   the sorted axes, as Keras's.
 * - `LayerloomGRU` (with its cell `LayerloomGRUCell`): Keras's `GRU`, also with `reset_after=True`,
 *   Keras 3's default, which tfjs's GRUCell refuses. With reset_after the reset gate scales the
 *   recurrent product `h·U_h + b_rh` instead of the state, and the bias has two rows, `(2, 3·units)`:
 *   the input bias, then the recurrent bias (Keras's layout, so weights load with `set_weights`).
 *   With `resetAfter: false` it runs tfjs's own cell unchanged.
 * - `LayerloomReLU`: Keras's `ReLU` with `negative_slope` and `threshold` (tfjs's knows only
 *   `maxValue`): `min(x, max_value)` above the threshold, `negative_slope · (x − threshold)` below.
 * - `LayerloomELU`: Keras's `ELU` with any `alpha` (tfjs's throws on alpha ≠ 1).
 * - `LayerloomSoftmax`: softmax on any axis (tfjs's runs on the last axis only).
 * - `LayerloomNormalization`: Keras's `Normalization` on one axis: `(x − mean) / max(√variance, 1e-7)`
 *   with `mean`, `variance` and `count` as non-trainable weights in Keras's order.
 * - `LayerloomGlobalPooling`: global average or max pooling with `keepdims` (tfjs's have none).
 * - `LayerloomGaussianNoise`, `LayerloomGaussianDropout`, `LayerloomSpatialDropout2D`: Keras's noise
 *   layers (active only while training) with a `seed` field the trainer sets per step, as it does
 *   for tfjs's Dropout, so seeded runs repeat (tfjs's own Gaussian layers draw unseeded, and tfjs
 *   has no SpatialDropout2D).
 * - `LayerloomResize`: Keras's image resizing (`Resizing`, `UpSampling2D` bilinear): TensorFlow's
 *   half-pixel centres (tfjs's resize layer aligns pixels differently, and its kernels' gradients
 *   ignore half-pixel centres). Runs as two matrix products with interpolation matrices computed
 *   once per size (rows, then columns), so it has exact gradients on every backend.
 * - `LayerloomZeroPadding1D`, `LayerloomCropping1D`, `LayerloomZeroPadding3D`, `LayerloomCropping3D`:
 *   Keras's 1-D and 3-D padding and cropping (tfjs has the 2-D ones only).
 * - `LayerloomUpSampling1D`, `LayerloomUpSampling3D`: Keras's `UpSampling1D` / `UpSampling3D` (each
 *   step or voxel repeated; tfjs has neither). Built from reshape and concat, so their gradients
 *   work on every backend.
 * - `LayerloomConv1DTranspose`: Keras's `Conv1DTranspose` (tfjs has none): tfjs's 2-D transposed
 *   convolution on the sequence seen as a one-column image, kernel `(k, filters, channels)` as Keras's.
 * - `LayerloomDepthwiseConv1D`, `LayerloomSeparableConv1D`: Keras's `DepthwiseConv1D` /
 *   `SeparableConv1D` (tfjs has neither): tfjs's depthwise 2-D convolution on the sequence seen as a
 *   one-column image (dilation through a dilated kernel, as for the 2-D layer), then, for the
 *   separable one, a 1×1 convolution; weights in Keras's layout and order (depthwise kernel
 *   `(k, channels, multiplier)`, pointwise kernel `(1, channels · multiplier, filters)`, bias).
 * - `LayerloomSpatialDropout3D`: as `LayerloomSpatialDropout2D`, one draw per sample and channel of
 *   a volume.
 * - `LayerloomConv3DTranspose`: Keras's `Conv3DTranspose` (tfjs has no layer, and no gradient for
 *   its `conv3dTranspose` op). Runs as the forward convolution it is the transpose of: the input
 *   spread out by the strides (zeros between the voxels), padded by kernel − 1 less Keras's crop,
 *   convolved with the kernel mirrored and its two channel axes swapped. The kernel keeps Keras's
 *   layout `(kd, kh, kw, filters, channels)`, so weights load with `set_weights`.
 * - Recurrent penalties: tfjs's RNN and Bidirectional layers leave their cells' (and copies')
 *   weight regularization penalties out of the model's loss; `layerloomLayers` makes them count
 *   them, as Keras does (see countRecurrentPenalties).
 * - Mask ops: zero gradients for `Any` and `NotEqual`, which tfjs lacks, so weights before a
 *   Masking layer train (see maskOpsNotDifferentiable).
 * - A faster `Orthogonal` initializer (Keras's default for recurrent kernels). tfjs's own builds its
 *   QR decomposition from hundreds of small tensor ops: on the pure-JS backend an LSTM(128) takes
 *   about 10 s to build and an LSTM(256) over a minute. This one computes the same matrix (QR of a
 *   seeded normal matrix, signs fixed by R's diagonal) with Householder reflections on plain arrays,
 *   and is registered under tfjs's class name, so `'orthogonal'` and saved models resolve to it.
 *
 * shared/ may not import tfjs at run time, so the classes are defined by a function that receives
 * the `tf` namespace, once per namespace, and registered for serialization there so that
 * `model.toJSON()` / `tf.models.modelFromJSON` and save/load round-trip them.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { TF } from './tfTypes.js';

type Layer = tfjs.layers.Layer;
type Tensor = tfjs.Tensor;
type LayerArgs = NonNullable<ConstructorParameters<typeof tfjs.layers.Layer>[0]>;
type Kwargs = Parameters<Layer['call']>[1];
type LayerShape = tfjs.Shape;
type Initializer = ReturnType<TF['initializers']['ones']>;
type ConfigDict = tfjs.serialization.ConfigDict;
type WeightRegularizer = ReturnType<TF['regularizers']['l1l2']>;
type WeightConstraint = ReturnType<TF['constraints']['maxNorm']>;

/**
 * tfjs config of {@link LayerloomLayers.MultiHeadAttention}. Initializers are tfjs identifiers
 * (`glorotUniform`, `zeros`...).
 */
export type MultiHeadAttentionArgs = LayerArgs & {
  numHeads: number;
  keyDim: number;
  /** `null`: same as `keyDim` (Keras's default). */
  valueDim?: number | null;
  /** Dropout on the attention probabilities, applied only while training. */
  dropout?: number;
  useBias?: boolean;
  /** Each position attends only to itself and earlier positions (Keras's `use_causal_mask=True`). */
  useCausalMask?: boolean;
  kernelInitializer?: string;
  biasInitializer?: string;
  /**
   * Keras's `attention_axes` (1 = the first axis after the batch), for inputs of rank 4–5; null:
   * every axis between batch and features.
   */
  attentionAxes?: number[] | null;
  /** Keras's kernel_regularizer / bias_regularizer: on the four projections' kernels / biases. */
  kernelRegularizer?: RegularizerArg;
  biasRegularizer?: RegularizerArg;
};

/** tfjs config of {@link LayerloomLayers.PositionEmbedding}. */
export type PositionEmbeddingArgs = LayerArgs & {
  /** Longest sequence the table covers. */
  sequenceLength: number;
  /** tfjs identifier of the table's initializer (keras_hub's default is glorot uniform). */
  initializer?: string;
};

/** tfjs config of {@link LayerloomLayers.Conv1D} and {@link LayerloomLayers.Conv2D}: tfjs's own conv config. */
export type ConvLayerArgs = Parameters<TF['layers']['conv1d']>[0] & { groups?: number };
/** tfjs config of {@link LayerloomLayers.SeparableConv2D}: tfjs's own. */
export type SeparableConvLayerArgs = Parameters<TF['layers']['separableConv2d']>[0];
/** tfjs config of {@link LayerloomLayers.Conv2DTranspose}: tfjs's own plus Keras's output padding. */
export type Conv2DTransposeLayerArgs = Parameters<TF['layers']['conv2dTranspose']>[0] & { outputPadding?: number[] | null };
/** tfjs config of {@link LayerloomLayers.DepthwiseConv2D}: tfjs's own. */
export type DepthwiseConvLayerArgs = Parameters<TF['layers']['depthwiseConv2d']>[0];

/** tfjs config of {@link LayerloomLayers.ReLU}. */
export type ReLUArgs = LayerArgs & { maxValue?: number | null; negativeSlope?: number; threshold?: number };
/** tfjs config of {@link LayerloomLayers.ELU}. */
export type ELUArgs = LayerArgs & { alpha?: number };
/** tfjs config of {@link LayerloomLayers.Softmax} and {@link LayerloomLayers.Normalization}: a Keras axis (batch = 0, negative from the end). */
export type AxisArgs = LayerArgs & { axis?: number };
/** tfjs config of {@link LayerloomLayers.GlobalPooling}. */
export type GlobalPoolingArgs = LayerArgs & { reduction: 'mean' | 'max'; keepdims?: boolean };
/** tfjs config of the noise layers: `stddev` (GaussianNoise) or `rate` (the dropouts), and a seed. */
export type NoiseArgs = LayerArgs & { stddev?: number; rate?: number; seed?: number };
/** tfjs config of {@link LayerloomLayers.Resize}: the output size and `bilinear` or `nearest`. */
export type ResizeArgs = LayerArgs & { height: number; width: number; interpolation?: string };

/**
 * The `(out, in)` matrix that resizes one axis as TensorFlow's `tf.image.resize` does (half-pixel
 * centres, no antialiasing): row `o` holds the weights of the input positions output `o` reads.
 */
export function resizeMatrix(inSize: number, outSize: number, interpolation: 'bilinear' | 'nearest'): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    if (interpolation === 'nearest') {
      // TensorFlow's half-pixel nearest: floor((o + 0.5) · scale), clamped.
      m[o * inSize + Math.min(Math.max(Math.floor((o + 0.5) * scale), 0), inSize - 1)] = 1;
      continue;
    }
    const at = (o + 0.5) * scale - 0.5;
    const lower = Math.max(Math.floor(at), 0);
    const upper = Math.min(Math.ceil(at), inSize - 1);
    const lerp = at - Math.floor(at);
    m[o * inSize + lower] += 1 - lerp;
    m[o * inSize + upper] += lerp;
  }
  return m;
}

/** tfjs config of {@link LayerloomLayers.ZeroPadding1D} (`padding`) and {@link LayerloomLayers.Cropping1D} (`cropping`): `[before, after]`. */
export type Sides1DArgs = LayerArgs & { padding?: number[]; cropping?: number[] };
/** tfjs config of {@link LayerloomLayers.ZeroPadding3D} and {@link LayerloomLayers.Cropping3D}: `[before, after]` for depth, height and width. */
export type Sides3DArgs = LayerArgs & { padding?: number[][]; cropping?: number[][] };
/** tfjs config of {@link LayerloomLayers.UpSampling3D}: the repeat factor for depth, height and width. */
export type UpSampling3DArgs = LayerArgs & { size?: number[] };
/** tfjs config of {@link LayerloomLayers.UpSampling1D}: the repeat factor of the steps. */
export type UpSampling1DArgs = LayerArgs & { size?: number };
/** tfjs config of {@link LayerloomLayers.Conv1DTranspose}: tfjs's conv1d config plus Keras's output padding. */
export type Conv1DTransposeLayerArgs = Parameters<TF['layers']['conv1d']>[0] & { outputPadding?: number | number[] | null };
/**
 * tfjs config of {@link LayerloomLayers.DepthwiseConv1D} and {@link LayerloomLayers.SeparableConv1D}
 * (`filters` and `pointwiseInitializer` for the separable one); initializers are tfjs identifiers.
 */
export type DepthwiseConv1DArgs = LayerArgs & {
  kernelSize: number;
  strides?: number;
  padding?: string;
  dilationRate?: number;
  depthMultiplier?: number;
  activation?: string;
  useBias?: boolean;
  depthwiseInitializer?: string;
  biasInitializer?: string;
  filters?: number;
  pointwiseInitializer?: string;
};
/** tfjs config of {@link LayerloomLayers.Conv3DTranspose}: tfjs's conv3d config plus Keras's output padding. */
export type Conv3DTransposeLayerArgs = Parameters<TF['layers']['conv3d']>[0] & { outputPadding?: number[] | null };

/** tfjs config of {@link LayerloomLayers.BatchNormalization}: tfjs's own. */
export type BatchNormalizationLayerArgs = Parameters<TF['layers']['batchNormalization']>[0];

/** tfjs config of {@link LayerloomLayers.LayerNormalization}: Keras's `axis` (one or several), `epsilon`, `center`, `scale`. */
export type LayerNormalizationLayerArgs = LayerArgs & {
  axis?: number | number[];
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  gammaRegularizer?: RegularizerArg;
  betaRegularizer?: RegularizerArg;
};

/** tfjs config of {@link LayerloomLayers.GRU}: tfjs's own GRU config; `resetAfter` defaults to true, as in Keras 3. */
export type GRULayerArgs = Parameters<TF['layers']['gru']>[0] & { resetAfter?: boolean };

/** Fields of tfjs's conv layers read at run time (public in JavaScript, not in tfjs's typings). */
interface ConvFields {
  readonly kernel: tfjs.LayerVariable;
  readonly bias: tfjs.LayerVariable | null;
  readonly padding: string;
  readonly activation: { apply(x: Tensor): Tensor };
}

/** A layer that can report its attention weights (Layerloom's MultiHeadAttention). */
export interface AttentionScoring {
  /** Attention weights (batch, heads, query length, key length) for the layer's inputs. */
  attentionScores(inputs: Tensor | Tensor[]): Tensor;
}

/** The custom layer classes bound to one `tf` namespace. */
export interface LayerloomLayers {
  readonly MultiHeadAttention: new (args: MultiHeadAttentionArgs) => Layer & AttentionScoring;
  readonly PositionEmbedding: new (args: PositionEmbeddingArgs) => Layer;
  readonly Conv1D: new (args: ConvLayerArgs) => Layer;
  readonly Conv2D: new (args: ConvLayerArgs) => Layer;
  readonly Conv3D: new (args: ConvLayerArgs) => Layer;
  readonly SeparableConv2D: new (args: SeparableConvLayerArgs) => Layer;
  readonly DepthwiseConv2D: new (args: DepthwiseConvLayerArgs) => Layer;
  readonly Conv2DTranspose: new (args: Conv2DTransposeLayerArgs) => Layer;
  readonly Subtract: new (args?: LayerArgs) => Layer;
  readonly GRU: new (args: GRULayerArgs) => tfjs.layers.RNN;
  readonly BatchNormalization: new (args: BatchNormalizationLayerArgs) => Layer;
  readonly LayerNormalization: new (args: LayerNormalizationLayerArgs) => Layer;
  readonly ReLU: new (args: ReLUArgs) => Layer;
  readonly ELU: new (args: ELUArgs) => Layer;
  readonly Softmax: new (args: AxisArgs) => Layer;
  readonly Normalization: new (args: AxisArgs) => Layer;
  readonly GlobalPooling: new (args: GlobalPoolingArgs) => Layer;
  readonly GaussianNoise: new (args: NoiseArgs) => Layer;
  readonly GaussianDropout: new (args: NoiseArgs) => Layer;
  readonly SpatialDropout2D: new (args: NoiseArgs) => Layer;
  readonly Resize: new (args: ResizeArgs) => Layer;
  readonly ZeroPadding1D: new (args: Sides1DArgs) => Layer;
  readonly Cropping1D: new (args: Sides1DArgs) => Layer;
  readonly ZeroPadding3D: new (args: Sides3DArgs) => Layer;
  readonly Cropping3D: new (args: Sides3DArgs) => Layer;
  readonly UpSampling3D: new (args: UpSampling3DArgs) => Layer;
  readonly SpatialDropout3D: new (args: NoiseArgs) => Layer;
  readonly Conv3DTranspose: new (args: Conv3DTransposeLayerArgs) => Layer;
  readonly UpSampling1D: new (args: UpSampling1DArgs) => Layer;
  readonly Conv1DTranspose: new (args: Conv1DTransposeLayerArgs) => Layer;
  readonly DepthwiseConv1D: new (args: DepthwiseConv1DArgs) => Layer;
  readonly SeparableConv1D: new (args: DepthwiseConv1DArgs) => Layer;
}

/** Class names under which the layers are registered (and `LayerCall.tfjsFactory` of their blocks). */
export const CUSTOM_LAYER_CLASSES = {
  multiHeadAttention: 'LayerloomMultiHeadAttention',
  positionEmbedding: 'LayerloomPositionEmbedding',
  conv1d: 'LayerloomConv1D',
  conv2d: 'LayerloomConv2D',
  conv3d: 'LayerloomConv3D',
  separableConv2d: 'LayerloomSeparableConv2D',
  depthwiseConv2d: 'LayerloomDepthwiseConv2D',
  conv2dTranspose: 'LayerloomConv2DTranspose',
  subtract: 'LayerloomSubtract',
  gru: 'LayerloomGRU',
  batchNormalization: 'LayerloomBatchNormalization',
  layerNormalization: 'LayerloomLayerNormalization',
  relu: 'LayerloomReLU',
  elu: 'LayerloomELU',
  softmax: 'LayerloomSoftmax',
  normalization: 'LayerloomNormalization',
  globalPooling: 'LayerloomGlobalPooling',
  zeroPadding1d: 'LayerloomZeroPadding1D',
  cropping1d: 'LayerloomCropping1D',
  gaussianNoise: 'LayerloomGaussianNoise',
  gaussianDropout: 'LayerloomGaussianDropout',
  spatialDropout2d: 'LayerloomSpatialDropout2D',
  resize: 'LayerloomResize',
  zeroPadding3d: 'LayerloomZeroPadding3D',
  cropping3d: 'LayerloomCropping3D',
  upSampling3d: 'LayerloomUpSampling3D',
  spatialDropout3d: 'LayerloomSpatialDropout3D',
  conv3dTranspose: 'LayerloomConv3DTranspose',
  conv1dTranspose: 'LayerloomConv1DTranspose',
  upSampling1d: 'LayerloomUpSampling1D',
  depthwiseConv1d: 'LayerloomDepthwiseConv1D',
  separableConv1d: 'LayerloomSeparableConv1D',
} as const;

/**
 * Keras's value for masked attention logits before softmax (`_large_negative_number` for float32):
 * large enough that exp() underflows to 0, small enough to stay finite.
 */
export const MASKED_LOGIT = -1e9;

function positiveInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${what} must be an integer ≥ 1, got ${JSON.stringify(value)}.`);
  }
  return value;
}

/**
 * A kernel `(k1, ..., kn, in, out)` spread out by `dilations` along its first n axes: zeros between
 * the taps, `(k - 1) * d + 1` wide. Convolving with it equals the dilated convolution. Built from
 * reshape, pad and slice (all with gradients, on every backend), one axis at a time.
 */
function dilateKernel(tf: TF, kernel: Tensor, dilations: readonly number[]): Tensor {
  let k = kernel;
  dilations.forEach((d, axis) => {
    if (d === 1) return;
    const shape = k.shape;
    const taps = shape[axis];
    const before = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const after = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const spread = tf.pad(tf.reshape(k, [before, taps, 1, after]), [[0, 0], [0, 0], [0, d - 1], [0, 0]]);
    const width = (taps - 1) * d + 1;
    const sliced = tf.slice(tf.reshape(spread, [before, taps * d, after]), [0, 0, 0], [before, width, after]);
    k = tf.reshape(sliced, [...shape.slice(0, axis), width, ...shape.slice(axis + 1)]);
  });
  return k;
}

/** A regularizer instance (tfjs's `L1L2`). */
type Regularizer = ReturnType<TF['regularizers']['l1l2']>;

/** A weight regularizer in a custom layer's config: tfjs's serialized `{className, config}` (as tfjs's own layers take it) or an instance. */
type RegularizerArg = { className: string; config: ConfigDict } | Regularizer | null;

/**
 * The regularizer of a config value, undefined for none. tfjs has one regularizer class, `L1L2`
 * (its l1() and l2() build it too), read with tfjs's own rule (a factor left out is 0.01); `what`
 * names the option in the error for anything else.
 */
function makeRegularizer(tf: TF, value: RegularizerArg | undefined, what: string): Regularizer | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof tf.serialization.Serializable) return value;
  const { l1, l2 } = value.config;
  if (value.className !== 'L1L2' || (l1 !== undefined && typeof l1 !== 'number') || (l2 !== undefined && typeof l2 !== 'number')) {
    throw new Error(`${what}: ${JSON.stringify(value)} is not a regularizer tfjs knows; use {className: 'L1L2', config: {l1, l2}}.`);
  }
  return tf.regularizers.l1l2({ l1, l2 });
}

/** A regularizer as tfjs's own layers write it in their config (`{className, config}`), or null. */
function regularizerConfig(r: Regularizer | undefined): ConfigDict | null {
  return r ? { className: r.getClassName(), config: r.getConfig() } : null;
}

function makeInitializer(tf: TF, name: string): Initializer {
  const init = tf.initializers;
  const table: Record<string, () => Initializer> = {
    zeros: () => init.zeros(),
    ones: () => init.ones(),
    glorotUniform: () => init.glorotUniform({}),
    glorotNormal: () => init.glorotNormal({}),
    heUniform: () => init.heUniform({}),
    heNormal: () => init.heNormal({}),
    leCunUniform: () => init.leCunUniform({}),
    leCunNormal: () => init.leCunNormal({}),
    // Keras's "uniform"/"normal": RandomUniform(-0.05, 0.05) / RandomNormal(0, 0.05), stated explicitly.
    randomUniform: () => init.randomUniform({ minval: -0.05, maxval: 0.05 }),
    randomNormal: () => init.randomNormal({ mean: 0, stddev: 0.05 }),
    LayerloomHeNormalFanOut: () => init.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'normal' }),
    LayerloomUniformFanOut: () => init.varianceScaling({ scale: 1 / 3, mode: 'fanOut', distribution: 'uniform' }),
  };
  const make = table[name];
  if (!make) throw new Error(`Unknown initializer "${name}": use one of ${Object.keys(table).join(', ')}.`);
  return make();
}

/**
 * Q of the thin QR decomposition of a `rows × cols` matrix (row-major, `rows ≥ cols`), with each
 * column's sign flipped so that R's diagonal is positive, as tfjs's and Keras's orthogonal
 * initializers do. Householder reflections in float64, on column-major copies for contiguous access.
 */
export function orthonormalColumns(values: ArrayLike<number>, rows: number, cols: number): Float64Array {
  if (rows < cols) throw new Error(`orthonormalColumns needs rows ≥ cols, got ${rows} × ${cols}.`);
  const a = new Float64Array(rows * cols); // column-major: a[j * rows + i]
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) a[j * rows + i] = values[i * cols + j];
  const reflectors: (Float64Array | null)[] = [];
  const signs = new Float64Array(cols);
  for (let k = 0; k < cols; k++) {
    const col = k * rows;
    let norm = 0;
    for (let i = k; i < rows; i++) norm += a[col + i] * a[col + i];
    norm = Math.sqrt(norm);
    const x0 = a[col + k];
    const alpha = x0 > 0 ? -norm : norm; // R[k][k]; the sign choice avoids cancellation
    const v = new Float64Array(rows - k);
    v[0] = x0 - alpha;
    for (let i = k + 1; i < rows; i++) v[i - k] = a[col + i];
    let vv = 0;
    for (let i = 0; i < v.length; i++) vv += v[i] * v[i];
    if (vv === 0) {
      reflectors.push(null);
      signs[k] = x0 < 0 ? -1 : 1;
      continue;
    }
    for (let j = k; j < cols; j++) {
      const c = j * rows;
      let dot = 0;
      for (let i = k; i < rows; i++) dot += v[i - k] * a[c + i];
      const f = (2 * dot) / vv;
      for (let i = k; i < rows; i++) a[c + i] -= f * v[i - k];
    }
    reflectors.push(v);
    signs[k] = alpha < 0 ? -1 : 1;
  }
  // Q = H0 · H1 · … · H(n-1) applied to the first `cols` columns of the identity.
  const q = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) q[j * rows + j] = 1;
  for (let k = cols - 1; k >= 0; k--) {
    const v = reflectors[k];
    if (!v) continue;
    let vv = 0;
    for (let i = 0; i < v.length; i++) vv += v[i] * v[i];
    for (let j = 0; j < cols; j++) {
      const c = j * rows;
      let dot = 0;
      for (let i = k; i < rows; i++) dot += v[i - k] * q[c + i];
      const f = (2 * dot) / vv;
      for (let i = k; i < rows; i++) q[c + i] -= f * v[i - k];
    }
  }
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = q[j * rows + i] * signs[j];
  return out;
}

/** tfjs config of the orthogonal initializer (same as tfjs's `Orthogonal`). */
interface OrthogonalArgs {
  gain?: number;
  seed?: number;
}

function defineLayers(tf: TF): LayerloomLayers {
  // Subclass tfjs's own Orthogonal so getConfig and serialization stay exactly as before.
  const BuiltinOrthogonal = tf.initializers.orthogonal({}).constructor as (new (args: OrthogonalArgs) => Initializer) &
    Pick<tfjs.serialization.SerializableConstructor<Initializer>, 'fromConfig'>;
  /** See the file comment: same matrix as tfjs's `Orthogonal`, computed without per-element tensor ops. */
  class FastOrthogonal extends BuiltinOrthogonal {
    static readonly className = 'Orthogonal';
    private readonly gainValue: number;
    private readonly seedValue: number | undefined;

    constructor(args: OrthogonalArgs) {
      super(args ?? {});
      this.gainValue = args?.gain ?? 1;
      this.seedValue = args?.seed;
    }

    override apply(shape: LayerShape, dtype?: tfjs.DataType): Tensor {
      if (shape.length < 2) throw new Error(`The orthogonal initializer needs a shape of rank ≥ 2, got [${shape.join(', ')}].`);
      const dims = shape.map((d) => d ?? 0);
      const rows = dims.slice(0, -1).reduce((p, d) => p * d, 1);
      const cols = dims[dims.length - 1];
      const [tall, wide] = [Math.max(rows, cols), Math.min(rows, cols)];
      return tf.tidy(() => {
        const normal = tf.randomNormal([tall, wide], 0, 1, 'float32', this.seedValue).dataSync();
        let q: Tensor = tf.tensor2d(Float32Array.from(orthonormalColumns(normal, tall, wide)), [tall, wide], 'float32');
        if (rows < cols) q = tf.transpose(q);
        return tf.cast(tf.mul(q.reshape(dims), this.gainValue), dtype ?? 'float32');
      });
    }
  }
  tf.serialization.registerClass(FastOrthogonal);

  // Variance scaling over the fan-out (EfficientNet's kernels), under names a layer config can give
  // as a string. tfjs's 'normal' is Keras's 'truncated_normal' (same 0.8796 correction).
  type VarianceScalingArgs = Parameters<TF['initializers']['varianceScaling']>[0];
  const BuiltinVarianceScaling = tf.initializers.varianceScaling({}).constructor as new (args: VarianceScalingArgs) => {
    apply(shape: LayerShape, dtype?: tfjs.DataType): Tensor;
    getConfig(): ConfigDict;
  };
  /** He normal over the fan-out: VarianceScaling(scale=2, mode=fan_out, distribution=truncated_normal). */
  class LayerloomHeNormalFanOut extends BuiltinVarianceScaling {
    static readonly className = 'LayerloomHeNormalFanOut';
    constructor(args?: { seed?: number }) {
      super({ scale: 2, mode: 'fanOut', distribution: 'normal', seed: args?.seed });
    }
  }
  /** Uniform with limit 1/√fan_out: VarianceScaling(scale=1/3, mode=fan_out, distribution=uniform). */
  class LayerloomUniformFanOut extends BuiltinVarianceScaling {
    static readonly className = 'LayerloomUniformFanOut';
    constructor(args?: { seed?: number }) {
      super({ scale: 1 / 3, mode: 'fanOut', distribution: 'uniform', seed: args?.seed });
    }
  }
  tf.serialization.registerClass(LayerloomHeNormalFanOut as unknown as tfjs.serialization.SerializableConstructor<tfjs.serialization.Serializable>);
  tf.serialization.registerClass(LayerloomUniformFanOut as unknown as tfjs.serialization.SerializableConstructor<tfjs.serialization.Serializable>);

  /** See the file comment. Shapes: query (B, T, dq), value (B, S, dv), key (B, S, dk). */
  class LayerloomMultiHeadAttention extends tf.layers.Layer {
    static readonly className = CUSTOM_LAYER_CLASSES.multiHeadAttention;
    private readonly numHeads: number;
    private readonly keyDim: number;
    private readonly valueDim: number;
    private readonly explicitValueDim: number | null;
    private readonly rate: number;
    private readonly useBias: boolean;
    private readonly useCausalMask: boolean;
    private readonly kernelInitializer: string;
    private readonly biasInitializer: string;
    private readonly kernelRegularizer: Regularizer | undefined;
    private readonly biasRegularizer: Regularizer | undefined;
    // In Keras's weight order: query, key, value, attention_output; each kernel then bias.
    private kernels: tfjs.LayerVariable[] = [];
    private biases: (tfjs.LayerVariable | null)[] = [];
    /**
     * Seed of the attention dropout mask. A trainer sets a fresh one before every step (a fixed
     * seed would repeat one mask); unset, tfjs seeds each mask at random.
     */
    dropoutSeed: number | undefined = undefined;

    constructor(args: MultiHeadAttentionArgs) {
      super(args);
      this.numHeads = positiveInt(args.numHeads, 'MultiHeadAttention numHeads');
      this.keyDim = positiveInt(args.keyDim, 'MultiHeadAttention keyDim');
      this.explicitValueDim = args.valueDim == null ? null : positiveInt(args.valueDim, 'MultiHeadAttention valueDim');
      this.valueDim = this.explicitValueDim ?? this.keyDim;
      this.rate = args.dropout ?? 0;
      this.useBias = args.useBias ?? true;
      this.useCausalMask = args.useCausalMask ?? false;
      this.kernelInitializer = args.kernelInitializer ?? 'glorotUniform';
      this.biasInitializer = args.biasInitializer ?? 'zeros';
      this.kernelRegularizer = makeRegularizer(tf, args.kernelRegularizer, 'MultiHeadAttention kernelRegularizer');
      this.biasRegularizer = makeRegularizer(tf, args.biasRegularizer, 'MultiHeadAttention biasRegularizer');
      const axes = args.attentionAxes ?? null;
      if (axes !== null && (!Array.isArray(axes) || axes.length === 0 || axes.some((a, i) => !Number.isInteger(a) || a < 1 || (i > 0 && a <= axes[i - 1])))) {
        throw new Error(`MultiHeadAttention attentionAxes must be null or increasing axes from 1, got ${JSON.stringify(axes)}.`);
      }
      this.attentionAxes = axes;
      // Padding masks (rank 3): padded keys get no weight, padded queries none at all, and the
      // output carries the query's mask, as Keras's attention does.
      this.supportsMasking = true;
    }

    private readonly attentionAxes: number[] | null;

    override computeMask(_inputs: Tensor | Tensor[], mask?: Tensor | Tensor[]): Tensor {
      // The query's mask; null (no mask) is what tfjs's executor reads, whatever its declared type.
      return ((Array.isArray(mask) ? mask[0] : mask) ?? null) as unknown as Tensor;
    }

    override build(inputShape: LayerShape | LayerShape[]): void {
      const shapes = inputShapesOf(inputShape);
      const [query, value = shapes[0]] = shapes;
      const key = shapes[2] ?? value;
      const width = (s: LayerShape, port: string): number => {
        const last = s[s.length - 1];
        if (s.length < 3 || s.length > 5 || last === null) {
          throw new Error(`MultiHeadAttention needs ${port} shaped (batch, length, features) (or rank 4–5) with fixed features, got [${s.join(', ')}].`);
        }
        return last;
      };
      const dq = width(query, 'query');
      const dv = width(value, 'value');
      const dk = width(key, 'key');
      const h = this.numHeads;
      const projections: [string, number[], number[]][] = [
        ['query', [dq, h, this.keyDim], [h, this.keyDim]],
        ['key', [dk, h, this.keyDim], [h, this.keyDim]],
        ['value', [dv, h, this.valueDim], [h, this.valueDim]],
        ['attention_output', [h, this.valueDim, dq], [dq]],
      ];
      for (const [name, kernelShape, biasShape] of projections) {
        this.kernels.push(this.addWeight(`${name}/kernel`, kernelShape, 'float32', makeInitializer(tf, this.kernelInitializer), this.kernelRegularizer));
        this.biases.push(this.useBias ? this.addWeight(`${name}/bias`, biasShape, 'float32', makeInitializer(tf, this.biasInitializer), this.biasRegularizer) : null);
      }
      this.built = true;
    }

    override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
      return inputShapesOf(inputShape)[0];
    }

    /** (B, L, d) → (B, heads, L, size): Keras's EinsumDense `abc,cde->abde`, then heads before length. */
    private project(x: Tensor, index: number, size: number): Tensor {
      const [batch, length, width] = x.shape;
      const kernel = tf.reshape(this.kernels[index].read(), [width, this.numHeads * size]);
      let y = tf.matMul(tf.reshape(x, [batch * length, width]), kernel);
      const bias = this.biases[index];
      if (bias) y = tf.add(y, tf.reshape(bias.read(), [this.numHeads * size]));
      return tf.transpose(tf.reshape(y, [batch, length, this.numHeads, size]), [0, 2, 1, 3]);
    }

    /**
     * Softmax of the scaled query·key scores, (B, heads, T, S), causal mask applied. With a padding
     * mask `allowed` (B, T, S), Keras's masked softmax: masked scores set to -1e9 (the causal mask
     * joined in), and masked weights set to 0 after the softmax (a padded query attends to nothing).
     */
    private attentionProbabilities(query: Tensor, key: Tensor, allowed: Tensor | null = null): Tensor {
      const queryLength = query.shape[1] ?? 0;
      const keyLength = key.shape[1] ?? 0;
      // Keras scales the projected query, not the scores; same numbers, same order of rounding.
      const q = tf.mul(this.project(query, 0, this.keyDim), 1 / Math.sqrt(this.keyDim));
      const k = this.project(key, 1, this.keyDim);
      let scores = tf.matMul(q, k, false, true); // (B, heads, T, S)
      const full = scores.shape;
      // Lower-triangular (T, S) mask aligned at the top-left, as Keras's `_compute_causal_mask`.
      const causal = this.useCausalMask ? tf.cast(tf.linalg.bandPart(tf.ones([queryLength, keyLength]), -1, 0), 'bool') : null;
      if (allowed) {
        let mask = tf.broadcastTo(tf.expandDims(allowed, 1), full);
        if (causal) mask = tf.logicalAnd(mask, tf.broadcastTo(causal, full));
        const probs = tf.softmax(tf.where(mask, scores, tf.fill(full, MASKED_LOGIT)));
        return tf.where(mask, probs, tf.zerosLike(probs));
      }
      if (causal) scores = tf.where(tf.broadcastTo(causal, full), scores, tf.fill(full, MASKED_LOGIT));
      return tf.softmax(scores);
    }

    /**
     * Keras's attention mask from the inputs' padding masks: query (B, T) and value/key (B, S)
     * joined into (B, T, S), or null when none is masked. tfjs hands a layer its inputs' masks as a
     * list while training, but only the first input's while predicting; the analysis lets a mask
     * into attention only when query, value and key are one tensor, so that one mask is all three.
     */
    private attentionMask(query: Tensor, value: Tensor, key: Tensor, kwargs: Kwargs): Tensor | null {
      const given = kwargs['mask'] as Tensor | (Tensor | null)[] | null | undefined;
      if (given == null) return null;
      const list = Array.isArray(given) ? given : [given];
      const queryMask = list[0] ?? null;
      const same = (x: Tensor): Tensor | null => (x === query ? queryMask : null);
      const valueMask = Array.isArray(given) ? (given[1] ?? null) : same(value);
      const keyMask = Array.isArray(given) ? (given[2] ?? null) : same(key);
      let mask: Tensor | null = null;
      const join = (m: Tensor): void => {
        mask = mask === null ? m : tf.logicalAnd(mask, m);
      };
      if (queryMask) join(tf.expandDims(tf.cast(queryMask, 'bool'), 2));
      if (valueMask) join(tf.expandDims(tf.cast(valueMask, 'bool'), 1));
      if (keyMask) join(tf.expandDims(tf.cast(keyMask, 'bool'), 1));
      if (mask === null) return null;
      return tf.broadcastTo(mask, [query.shape[0], query.shape[1] ?? 0, key.shape[1] ?? 0]);
    }

    /**
     * The attention weights for these inputs (as the layer is called: query, then value and key),
     * (B, heads, T, S) — what Keras returns with `return_attention_scores=True` (no dropout).
     */
    attentionScores(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const list = Array.isArray(inputs) ? inputs : [inputs];
        const [query, value = list[0]] = list;
        return this.attentionProbabilities(query, list[2] ?? value);
      });
    }

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
      return tf.tidy(() => {
        const list = Array.isArray(inputs) ? inputs : [inputs];
        // One tensor means self-attention (query = value = key).
        const [query, value = list[0]] = list;
        const key = list[2] ?? value;
        if (query.rank === 3) return this.attend(query, value, key, kwargs);
        // Rank 4–5: Keras's einsum attends over the attention axes jointly (one softmax over all
        // their key positions) and treats the other axes like the batch. The same numbers: move the
        // other axes next to the batch, flatten each group, attend as on sequences, and undo it.
        const middle = Array.from({ length: query.rank - 2 }, (_, i) => i + 1);
        const axes = this.attentionAxes ?? middle;
        const others = middle.filter((a) => !axes.includes(a));
        const perm = [0, ...others, ...axes, query.rank - 1];
        const fold = (x: Tensor): Tensor => {
          const t = tf.transpose(x, perm);
          const sizeOf = (group: number[]): number => group.reduce((n, a) => n * x.shape[a], 1);
          return tf.reshape(t, [x.shape[0] * sizeOf(others), sizeOf(axes), x.shape[x.rank - 1]]);
        };
        const out = this.attend(fold(query), fold(value), fold(key), kwargs);
        const permuted = perm.map((a) => query.shape[a]);
        const inverse = perm.map((_, i) => perm.indexOf(i));
        return tf.transpose(tf.reshape(out, permuted), inverse);
      });
    }

    /** Attention on sequences: query (B, T, dq), value (B, S, dv), key (B, S, dk). */
    private attend(query: Tensor, value: Tensor, key: Tensor, kwargs: Kwargs): Tensor {
      return tf.tidy(() => {
        const [batch, queryLength, queryWidth] = query.shape;
        const keyLength = key.shape[1] ?? 0;
        if (value.shape[1] !== keyLength) {
          throw new Error(`MultiHeadAttention: key has ${keyLength} positions but value has ${value.shape[1]}; they must be equally long.`);
        }
        let probs = this.attentionProbabilities(query, key, this.attentionMask(query, value, key, kwargs));
        const v = this.project(value, 2, this.valueDim);
        if (this.rate > 0 && kwargs['training'] === true) probs = tf.dropout(probs, this.rate, undefined, this.dropoutSeed);
        const context = tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]); // (B, T, heads, value_dim)
        const outKernel = tf.reshape(this.kernels[3].read(), [this.numHeads * this.valueDim, queryWidth]);
        let out = tf.matMul(tf.reshape(context, [batch * queryLength, this.numHeads * this.valueDim]), outKernel);
        const outBias = this.biases[3];
        if (outBias) out = tf.add(out, outBias.read());
        return tf.reshape(out, [batch, queryLength, queryWidth]);
      });
    }

    override getConfig(): ConfigDict {
      return {
        ...super.getConfig(),
        numHeads: this.numHeads,
        keyDim: this.keyDim,
        valueDim: this.explicitValueDim,
        dropout: this.rate,
        useBias: this.useBias,
        useCausalMask: this.useCausalMask,
        kernelInitializer: this.kernelInitializer,
        biasInitializer: this.biasInitializer,
        attentionAxes: this.attentionAxes,
        kernelRegularizer: regularizerConfig(this.kernelRegularizer),
        biasRegularizer: regularizerConfig(this.biasRegularizer),
      };
    }
  }

  /** See the file comment. Input (B, ..., T, d) → the first T rows of the table, broadcast to it. */
  class LayerloomPositionEmbedding extends tf.layers.Layer {
    static readonly className = CUSTOM_LAYER_CLASSES.positionEmbedding;
    private readonly sequenceLength: number;
    private readonly initializer: string;
    private table: tfjs.LayerVariable | null = null;

    constructor(args: PositionEmbeddingArgs) {
      super(args);
      this.sequenceLength = positiveInt(args.sequenceLength, 'PositionEmbedding sequenceLength');
      this.initializer = args.initializer ?? 'glorotUniform';
    }

    override build(inputShape: LayerShape | LayerShape[]): void {
      const shape = inputShapesOf(inputShape)[0];
      const width = shape[shape.length - 1];
      if (shape.length < 3 || width === null) {
        throw new Error(`PositionEmbedding needs a sequence (batch, length, features) with fixed features, got [${shape.join(', ')}].`);
      }
      // keras_hub names the table "embeddings".
      this.table = this.addWeight('embeddings', [this.sequenceLength, width], 'float32', makeInitializer(tf, this.initializer));
      this.built = true;
    }

    override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
      return inputShapesOf(inputShape)[0];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const length = x.shape[x.shape.length - 2] ?? 0;
        const width = x.shape[x.shape.length - 1] ?? 0;
        if (length > this.sequenceLength) {
          throw new Error(`PositionEmbedding covers ${this.sequenceLength} positions but the input has ${length}. Raise sequence_length to at least ${length}.`);
        }
        if (!this.table) throw new Error('PositionEmbedding was called before it was built.');
        return tf.broadcastTo(tf.slice(this.table.read(), [0, 0], [length, width]), x.shape);
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), sequenceLength: this.sequenceLength, initializer: this.initializer };
    }
  }

  // tfjs's own convolution classes (not exported by name): the subclasses below keep their
  // weights, config and output-shape rules and replace only how the layer runs.
  type ConvArgs = ConvLayerArgs;
  type SeparableArgs = Parameters<TF['layers']['separableConv2d']>[0];
  type Builtin<A> = (new (args: A) => Layer) & Pick<tfjs.serialization.SerializableConstructor<Layer>, 'fromConfig'>;
  const BuiltinConv1D = tf.layers.conv1d({ filters: 1, kernelSize: 1 }).constructor as Builtin<ConvArgs>;
  const BuiltinConv2D = tf.layers.conv2d({ filters: 1, kernelSize: 1 }).constructor as Builtin<ConvArgs>;
  const BuiltinConv3D = tf.layers.conv3d({ filters: 1, kernelSize: 1 }).constructor as Builtin<ConvArgs>;
  const BuiltinSeparableConv2D = tf.layers.separableConv2d({ filters: 1, kernelSize: 1 }).constructor as Builtin<SeparableArgs>;
  const BuiltinDepthwiseConv2D = tf.layers.depthwiseConv2d({ kernelSize: 1 }).constructor as Builtin<DepthwiseConvLayerArgs>;
  const BuiltinConv2DTranspose = tf.layers.conv2dTranspose({ filters: 1, kernelSize: 1 }).constructor as Builtin<Conv2DTransposeLayerArgs>;

  /** One positive integer per spatial axis from a tfjs `number | number[]` argument. */
  const perAxis = (v: number | number[] | undefined, n: number, what: string): number[] =>
    Array.from({ length: n }, (_, i) => positiveInt(Array.isArray(v) ? v[i] ?? v[0] : v ?? 1, what));

  /** See the file comment: a conv layer (1-D, 2-D or 3-D) that runs dilation through a dilated kernel. */
  const dilatedConv = (Base: Builtin<ConvArgs>, rank: 1 | 2 | 3, className: string) =>
    class extends Base {
      static readonly className = className;
      /** Zeros put before the first step (causal Conv1D): (kernel_size - 1) * dilation_rate. */
      private readonly leftPad: number;
      private readonly causal: boolean;
      private readonly dilations: number[];
      private readonly stridesPerAxis: number[];
      /** Keras's `groups`: input and filters split into this many independent convolutions. */
      private readonly groups: number;

      constructor(args: ConvArgs) {
        const causal = args.padding === 'causal';
        const { groups, ...rest } = args;
        super({ ...rest, padding: causal ? 'valid' : args.padding });
        this.groups = positiveInt(groups ?? 1, `${className} groups`);
        this.causal = causal;
        this.dilations = perAxis(args.dilationRate, rank, `${className} dilationRate`);
        this.stridesPerAxis = perAxis(args.strides, rank, `${className} strides`);
        const kernel = perAxis(args.kernelSize, rank, `${className} kernelSize`);
        this.leftPad = causal ? (kernel[0] - 1) * this.dilations[0] : 0;
      }

      override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape | LayerShape[] {
        const [batch, length, ...rest] = inputShapesOf(inputShape)[0];
        return super.computeOutputShape([batch, length === null ? null : length + this.leftPad, ...rest]);
      }

      // Grouped: Keras's kernel (window…, channels / groups, filters); the layer still takes every channel.
      override build(inputShape: LayerShape | LayerShape[]): void {
        const shape = inputShapesOf(inputShape)[0];
        const channels = shape[shape.length - 1] ?? 0;
        if (this.groups === 1) return super.build(shape);
        if (channels % this.groups !== 0) throw new Error(`${className}: ${channels} input channels do not split into ${this.groups} groups.`);
        super.build([...shape.slice(0, -1), channels / this.groups]);
        this.inputSpec = [{ ndim: rank + 2, axes: { [-1]: channels } }];
      }

      override call(inputs: Tensor | Tensor[]): Tensor {
        return tf.tidy(() => {
          let x = Array.isArray(inputs) ? inputs[0] : inputs;
          if (this.leftPad > 0) x = tf.pad(x, [[0, 0], [this.leftPad, 0], [0, 0]]);
          const conv = this as unknown as ConvFields;
          const kernel = dilateKernel(tf, conv.kernel.read(), this.dilations);
          const padding = conv.padding === 'same' ? 'same' : 'valid';
          const convolve = (xs: Tensor, k: Tensor): Tensor =>
            rank === 1
              ? tf.conv1d(xs as tfjs.Tensor3D, k as tfjs.Tensor3D, this.stridesPerAxis[0], padding)
              : rank === 2
                ? tf.conv2d(xs as tfjs.Tensor4D, k as tfjs.Tensor4D, [this.stridesPerAxis[0], this.stridesPerAxis[1]], padding)
                : tf.conv3d(xs as tfjs.Tensor5D, k as tfjs.Tensor5D, [this.stridesPerAxis[0], this.stridesPerAxis[1], this.stridesPerAxis[2]], padding);
          // Groups: channel slice g of the input meets filter slice g of the kernel, outputs concatenated.
          let y =
            this.groups === 1
              ? convolve(x, kernel)
              : tf.concat(
                  tf.split(x, this.groups, -1).map((xs, g) => convolve(xs, tf.split(kernel, this.groups, -1)[g])),
                  -1,
                );
          if (conv.bias) y = tf.add(y, conv.bias.read());
          return conv.activation.apply(y);
        });
      }

      override getConfig(): ConfigDict {
        const config = super.getConfig();
        if (this.causal) config['padding'] = 'causal';
        if (this.groups !== 1) config['groups'] = this.groups;
        return config;
      }
    };

  /** See the file comment. */
  const LayerloomConv1D = dilatedConv(BuiltinConv1D, 1, CUSTOM_LAYER_CLASSES.conv1d);
  /** See the file comment. */
  const LayerloomConv2D = dilatedConv(BuiltinConv2D, 2, CUSTOM_LAYER_CLASSES.conv2d);
  /** See the file comment (tfjs's conv3d has no gradient for dilation either, and no groups). */
  const LayerloomConv3D = dilatedConv(BuiltinConv3D, 3, CUSTOM_LAYER_CLASSES.conv3d);

  /**
   * See the file comment: tfjs's SeparableConv2D with the dilation moved into the depthwise kernel.
   * Its config also keeps `depth_multiplier`, which tfjs 4.22's own layer leaves out (a saved
   * model.json would reload with multiplier 1 and refuse its own weights).
   */
  class LayerloomSeparableConv2D extends BuiltinSeparableConv2D {
    static readonly className = CUSTOM_LAYER_CLASSES.separableConv2d;
    private readonly dilations: number[];
    private readonly stridesPerAxis: [number, number];
    private readonly multiplier: number;

    constructor(args: SeparableArgs) {
      super(args);
      this.dilations = perAxis(args.dilationRate, 2, 'SeparableConv2D dilationRate');
      const [sh, sw] = perAxis(args.strides, 2, 'SeparableConv2D strides');
      this.stridesPerAxis = [sh, sw];
      this.multiplier = args.depthMultiplier ?? 1;
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), depthMultiplier: this.multiplier };
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tfjs.Tensor4D;
        const conv = this as unknown as ConvFields & { depthwiseKernel: tfjs.LayerVariable; pointwiseKernel: tfjs.LayerVariable };
        const depthwise = dilateKernel(tf, conv.depthwiseKernel.read(), this.dilations) as tfjs.Tensor4D;
        const pointwise = conv.pointwiseKernel.read() as tfjs.Tensor4D;
        let y: Tensor = tf.separableConv2d(x, depthwise, pointwise, this.stridesPerAxis, conv.padding === 'same' ? 'same' : 'valid');
        if (conv.bias) y = tf.add(y, conv.bias.read());
        return conv.activation.apply(y);
      });
    }
  }

  /**
   * See the file comment: tfjs's DepthwiseConv2D with Keras's dilation (tfjs's own layer ignores
   * `dilationRate` in its output shape and kernel), run as a dilated kernel.
   */
  class LayerloomDepthwiseConv2D extends BuiltinDepthwiseConv2D {
    static readonly className = CUSTOM_LAYER_CLASSES.depthwiseConv2d;
    private readonly dilations: number[];
    private readonly stridesPerAxis: [number, number];
    private readonly windows: number[];
    private readonly multiplier: number;

    constructor(args: DepthwiseConvLayerArgs) {
      super(args);
      this.dilations = perAxis(args.dilationRate, 2, 'DepthwiseConv2D dilationRate');
      const [sh, sw] = perAxis(args.strides, 2, 'DepthwiseConv2D strides');
      this.stridesPerAxis = [sh, sw];
      this.windows = perAxis(args.kernelSize, 2, 'DepthwiseConv2D kernelSize');
      this.multiplier = args.depthMultiplier ?? 1;
    }

    override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
      const [batch, rows, cols, channels] = inputShapesOf(inputShape)[0];
      const same = (this as unknown as ConvFields).padding === 'same';
      const size = (n: number | null, i: number): number | null => {
        if (n === null) return null;
        const span = (this.windows[i] - 1) * this.dilations[i] + 1;
        return same ? Math.ceil(n / this.stridesPerAxis[i]) : Math.ceil((n - span + 1) / this.stridesPerAxis[i]);
      };
      return [batch, size(rows, 0), size(cols, 1), channels === null ? null : channels * this.multiplier];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tfjs.Tensor4D;
        const conv = this as unknown as ConvFields & { depthwiseKernel: tfjs.LayerVariable };
        const kernel = dilateKernel(tf, conv.depthwiseKernel.read(), this.dilations) as tfjs.Tensor4D;
        let y: Tensor = tf.depthwiseConv2d(x, kernel, this.stridesPerAxis, conv.padding === 'same' ? 'same' : 'valid');
        if (conv.bias) y = tf.add(y, conv.bias.read());
        return conv.activation.apply(y);
      });
    }
  }

  /**
   * See the file comment: tfjs's Conv2DTranspose with Keras's `output_padding`, which fixes the
   * output size ((n − 1)·s + k − 2·⌊k/2⌋ (same) or − 0 (valid), plus the padding); TensorFlow's
   * transposed convolution then places the input as for that size, as Keras does.
   */
  class LayerloomConv2DTranspose extends BuiltinConv2DTranspose {
    static readonly className = CUSTOM_LAYER_CLASSES.conv2dTranspose;
    private readonly extra: number[];
    private readonly stridesPerAxis: [number, number];
    private readonly windows: number[];

    constructor(args: Conv2DTransposeLayerArgs) {
      const { outputPadding, ...rest } = args;
      super(rest);
      this.extra = perAxis(undefined, 2, 'Conv2DTranspose outputPadding').map((_, i) => outputPadding?.[i] ?? 0);
      const [sh, sw] = perAxis(args.strides, 2, 'Conv2DTranspose strides');
      this.stridesPerAxis = [sh, sw];
      this.windows = perAxis(args.kernelSize, 2, 'Conv2DTranspose kernelSize');
    }

    private sizes(rows: number | null, cols: number | null): [number | null, number | null] {
      const same = (this as unknown as ConvFields).padding === 'same';
      const size = (n: number | null, i: number): number | null =>
        n === null ? null : (n - 1) * this.stridesPerAxis[i] + this.windows[i] - 2 * (same ? Math.floor(this.windows[i] / 2) : 0) + this.extra[i];
      return [size(rows, 0), size(cols, 1)];
    }

    override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
      const [batch, rows, cols] = inputShapesOf(inputShape)[0];
      return [batch, ...this.sizes(rows, cols), (this as unknown as { filters: number }).filters];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tfjs.Tensor4D;
        const conv = this as unknown as ConvFields & { filters: number };
        const [rows, cols] = this.sizes(x.shape[1], x.shape[2]) as [number, number];
        let y: Tensor = tf.conv2dTranspose(x, conv.kernel.read() as tfjs.Tensor4D, [x.shape[0], rows, cols, conv.filters], this.stridesPerAxis, conv.padding === 'same' ? 'same' : 'valid');
        if (conv.bias) y = tf.add(y, conv.bias.read());
        return conv.activation.apply(y);
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), outputPadding: this.extra };
    }
  }

  /** See the file comment. Two inputs of the same rank; size-1 axes broadcast as in Keras. */
  class LayerloomSubtract extends tf.layers.Layer {
    static readonly className = CUSTOM_LAYER_CLASSES.subtract;

    override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
      const shapes = inputShapesOf(inputShape);
      const [a, b] = shapes;
      if (shapes.length !== 2 || a.length !== b.length) {
        throw new Error(`Subtract takes exactly two inputs of the same rank, got ${JSON.stringify(shapes)}.`);
      }
      return a.map((x, i) => {
        const y = b[i];
        if (x === null || y === null) return null;
        if (x !== y && x !== 1 && y !== 1) throw new Error(`Subtract: sizes ${x} and ${y} on axis ${i} cannot be broadcast together.`);
        return x === 1 ? y : x;
      });
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const list = Array.isArray(inputs) ? inputs : [inputs];
        if (list.length !== 2) throw new Error(`Subtract takes exactly two inputs, got ${list.length}.`);
        return tf.sub(list[0], list[1]);
      });
    }
  }

  /** See the file comment. */
  class LayerloomReLU extends tf.layers.Layer {
    static readonly className = CUSTOM_LAYER_CLASSES.relu;
    private readonly maxValue: number | null;
    private readonly negativeSlope: number;
    private readonly threshold: number;

    constructor(args: ReLUArgs) {
      super(args);
      // Passes a padding mask (Embedding maskZero) on, as Keras's layer does.
      this.supportsMasking = true;
      this.maxValue = args.maxValue ?? null;
      this.negativeSlope = args.negativeSlope ?? 0;
      this.threshold = args.threshold ?? 0;
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const shifted = tf.sub(x, this.threshold);
        const above = this.maxValue === null ? x : tf.minimum(x, this.maxValue);
        // A 0/1 mask from step (which has a gradient, unlike a comparison feeding where).
        const mask = tf.step(shifted);
        return tf.add(tf.mul(mask, above), tf.mul(tf.sub(1, mask), tf.mul(shifted, this.negativeSlope)));
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), maxValue: this.maxValue, negativeSlope: this.negativeSlope, threshold: this.threshold };
    }
  }

  /** See the file comment: x above zero, alpha · (exp(x) − 1) below. */
  class LayerloomELU extends tf.layers.Layer {
    static readonly className = CUSTOM_LAYER_CLASSES.elu;
    private readonly alpha: number;

    constructor(args: ELUArgs) {
      super(args);
      this.alpha = args.alpha ?? 1;
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        // relu(x) + alpha · (exp(min(x, 0)) − 1): no comparison op, so every backend has the gradient.
        return tf.add(tf.relu(x), tf.mul(tf.expm1(tf.minimum(x, 0)), this.alpha));
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), alpha: this.alpha };
    }
  }

  /** A Keras axis (batch = 0, negative from the end) as a non-negative tensor axis. */
  const tensorAxis = (axis: number, rank: number, what: string): number => {
    const a = axis < 0 ? axis + rank : axis;
    if (!Number.isInteger(a) || a < 1 || a >= rank) throw new Error(`${what}: axis ${axis} does not exist on a rank-${rank} input.`);
    return a;
  };

  /** See the file comment. */
  class LayerloomSoftmax extends tf.layers.Layer {
    static readonly className = CUSTOM_LAYER_CLASSES.softmax;
    private readonly axis: number;

    constructor(args: AxisArgs) {
      super(args);
      this.axis = args.axis ?? -1;
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const axis = tensorAxis(this.axis, x.rank, 'Softmax');
        const e = tf.exp(tf.sub(x, tf.max(x, axis, true)));
        return tf.div(e, tf.sum(e, axis, true));
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), axis: this.axis };
    }
  }

  /** See the file comment. */
  class LayerloomNormalization extends tf.layers.Layer {
    static readonly className = CUSTOM_LAYER_CLASSES.normalization;
    private readonly axis: number;
    private mean: tfjs.LayerVariable | null = null;
    private variance: tfjs.LayerVariable | null = null;

    constructor(args: AxisArgs) {
      super(args);
      // Passes a padding mask (Embedding maskZero) on, as Keras's layer does.
      this.supportsMasking = true;
      this.axis = args.axis ?? -1;
    }

    override build(inputShape: LayerShape | LayerShape[]): void {
      const shape = inputShapesOf(inputShape)[0];
      const size = shape[tensorAxis(this.axis, shape.length, 'Normalization')];
      if (size === null) throw new Error(`Normalization needs a fixed size on axis ${this.axis}, got [${shape.join(', ')}].`);
      // Keras's names and order; statistics, never trained.
      this.mean = this.addWeight('mean', [size], 'float32', tf.initializers.zeros(), undefined, false);
      this.variance = this.addWeight('variance', [size], 'float32', tf.initializers.ones(), undefined, false);
      this.addWeight('count', [], 'float32', tf.initializers.zeros(), undefined, false);
      this.built = true;
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        if (!this.mean || !this.variance) throw new Error('Normalization was called before it was built.');
        const axis = tensorAxis(this.axis, x.rank, 'Normalization');
        const broadcast = x.shape.map((d, i) => (i === axis ? d : 1));
        const mean = tf.reshape(this.mean.read(), broadcast);
        // Keras divides by max(√variance, epsilon) with its backend epsilon 1e-7.
        const std = tf.maximum(tf.sqrt(tf.reshape(this.variance.read(), broadcast)), 1e-7);
        return tf.div(tf.sub(x, mean), std);
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), axis: this.axis };
    }
  }

  /** See the file comment. */
  class LayerloomGlobalPooling extends tf.layers.Layer {
    static readonly className = CUSTOM_LAYER_CLASSES.globalPooling;
    private readonly reduction: 'mean' | 'max';
    private readonly keepdims: boolean;

    constructor(args: GlobalPoolingArgs) {
      super(args);
      if (args.reduction !== 'mean' && args.reduction !== 'max') throw new Error(`GlobalPooling reduction must be "mean" or "max", got ${JSON.stringify(args.reduction)}.`);
      this.reduction = args.reduction;
      this.keepdims = args.keepdims ?? false;
      // Keras's GlobalAveragePooling1D averages only the steps a padding mask keeps (and ends the
      // mask); its max pooling ignores a mask.
      this.supportsMasking = this.reduction === 'mean';
    }

    override computeMask(): Tensor {
      // The pooled output has no steps left to mask. tfjs's declared type wants a tensor, but null
      // is what its executor reads as "no mask" (tfjs's own RNN returns it the same way).
      return null as unknown as Tensor;
    }

    override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
      const shape = inputShapesOf(inputShape)[0];
      const channels = shape[shape.length - 1];
      return this.keepdims ? [shape[0], ...shape.slice(1, -1).map(() => 1), channels] : [shape[0], channels];
    }

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const axes = Array.from({ length: x.rank - 2 }, (_, i) => i + 1);
        const mask: unknown = kwargs?.mask;
        if (this.reduction === 'mean' && x.rank === 3 && mask instanceof tf.Tensor) {
          // Keras: sum(x · mask) / sum(mask) over the steps (0/0 = NaN for an all-padding row, as there).
          const m = tf.expandDims(tf.cast(mask, x.dtype), 2);
          return tf.div(tf.sum(tf.mul(x, m), 1, this.keepdims), tf.sum(m, 1, this.keepdims));
        }
        return this.reduction === 'mean' ? tf.mean(x, axes, this.keepdims) : tf.max(x, axes, this.keepdims);
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), reduction: this.reduction, keepdims: this.keepdims };
    }
  }

  /** A rate in [0, 1). */
  const rateOf = (v: number | undefined, what: string): number => {
    const r = v ?? 0;
    if (!(r >= 0 && r < 1)) throw new Error(`${what} rate must be at least 0 and below 1, got ${JSON.stringify(v)}.`);
    return r;
  };

  /** The input unchanged outside training; `noise(x)` while training. */
  const whileTraining = (inputs: Tensor | Tensor[], kwargs: Kwargs, noise: (x: Tensor) => Tensor): Tensor =>
    tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      return kwargs?.training === true ? noise(x) : tf.clone(x);
    });

  /** See the file comment: adds normal noise of `stddev` while training. */
  class LayerloomGaussianNoise extends tf.layers.Layer {
    static readonly className = CUSTOM_LAYER_CLASSES.gaussianNoise;
    private readonly stddev: number;
    /** Set by the trainer for each step (compile/stepRandomness.ts). */
    seed: number | undefined;

    constructor(args: NoiseArgs) {
      super(args);
      // Passes a padding mask (Embedding maskZero) on, as Keras's layer does.
      this.supportsMasking = true;
      this.stddev = args.stddev ?? 0;
      this.seed = args.seed;
    }

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
      return whileTraining(inputs, kwargs, (x) => tf.add(x, tf.randomNormal(x.shape, 0, this.stddev, 'float32', this.seed)));
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), stddev: this.stddev };
    }
  }

  /** See the file comment: multiplies by normal noise of mean 1 and std √(rate / (1 − rate)) while training. */
  class LayerloomGaussianDropout extends tf.layers.Layer {
    static readonly className = CUSTOM_LAYER_CLASSES.gaussianDropout;
    private readonly rate: number;
    seed: number | undefined;

    constructor(args: NoiseArgs) {
      super(args);
      // Passes a padding mask (Embedding maskZero) on, as Keras's layer does.
      this.supportsMasking = true;
      this.rate = rateOf(args.rate, 'GaussianDropout');
      this.seed = args.seed;
    }

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
      const std = Math.sqrt(this.rate / (1 - this.rate));
      return whileTraining(inputs, kwargs, (x) => (this.rate > 0 ? tf.mul(x, tf.randomNormal(x.shape, 1, std, 'float32', this.seed)) : tf.clone(x)));
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), rate: this.rate };
    }
  }

  /** See the file comment: drops whole channels (one draw per sample and channel) of an image or a volume while training. */
  const spatialDropout = (spatial: 2 | 3, className: string) =>
    class extends tf.layers.Layer {
      static readonly className = className;
      private readonly rate: number;
      seed: number | undefined;

      constructor(args: NoiseArgs) {
        super(args);
        this.rate = rateOf(args.rate, `SpatialDropout${spatial}D`);
        this.seed = args.seed;
      }

      override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
        return whileTraining(inputs, kwargs, (x) =>
          this.rate > 0 ? tf.dropout(x, this.rate, [x.shape[0] ?? 1, ...new Array<number>(spatial).fill(1), x.shape[spatial + 1] ?? 1], this.seed) : tf.clone(x),
        );
      }

      override getConfig(): ConfigDict {
        return { ...super.getConfig(), rate: this.rate };
      }
    };
  /** See the file comment. */
  const LayerloomSpatialDropout2D = spatialDropout(2, CUSTOM_LAYER_CLASSES.spatialDropout2d);
  /** See the file comment. */
  const LayerloomSpatialDropout3D = spatialDropout(3, CUSTOM_LAYER_CLASSES.spatialDropout3d);

  /** See the file comment. */
  class LayerloomResize extends tf.layers.Layer {
    static readonly className = CUSTOM_LAYER_CLASSES.resize;
    private readonly height: number;
    private readonly width: number;
    private readonly interpolation: 'bilinear' | 'nearest';

    constructor(args: ResizeArgs) {
      super(args);
      this.height = positiveInt(args.height, 'Resize height');
      this.width = positiveInt(args.width, 'Resize width');
      const mode = args.interpolation ?? 'bilinear';
      if (mode !== 'bilinear' && mode !== 'nearest') throw new Error(`Resize interpolation must be "bilinear" or "nearest", got ${JSON.stringify(mode)}.`);
      this.interpolation = mode;
    }

    override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
      const [batch, , , channels] = inputShapesOf(inputShape)[0];
      return [batch, this.height, this.width, channels];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const [b, h, w, c] = x.shape as number[];
        const rows = tf.tensor2d(resizeMatrix(h, this.height, this.interpolation), [this.height, h]);
        const cols = tf.tensor2d(resizeMatrix(w, this.width, this.interpolation), [this.width, w]);
        // Rows: (H', H) · (H, B·W·C); then columns: (W', W) · (W, B·H'·C).
        const byRows = tf.reshape(tf.matMul(rows, tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [h, b * w * c])), [this.height, b, w, c]);
        const byCols = tf.matMul(cols, tf.reshape(tf.transpose(byRows, [2, 1, 0, 3]), [w, b * this.height * c]));
        return tf.transpose(tf.reshape(byCols, [this.width, b, this.height, c]), [1, 2, 0, 3]);
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), height: this.height, width: this.width, interpolation: this.interpolation };
    }
  }

  /** `[before, after]` as two non-negative integers. */
  const sides = (v: number[] | undefined, what: string): [number, number] => {
    const pair = v ?? [1, 1];
    if (pair.length !== 2 || pair.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`${what} must be two integers ≥ 0, got ${JSON.stringify(v)}.`);
    return [pair[0], pair[1]];
  };

  /** See the file comment. */
  class LayerloomZeroPadding1D extends tf.layers.Layer {
    static readonly className = CUSTOM_LAYER_CLASSES.zeroPadding1d;
    private readonly padding: [number, number];

    constructor(args: Sides1DArgs) {
      super(args);
      this.padding = sides(args.padding, 'ZeroPadding1D padding');
    }

    override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
      const [batch, steps, features] = inputShapesOf(inputShape)[0];
      return [batch, steps === null ? null : steps + this.padding[0] + this.padding[1], features];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        return tf.pad(x, [[0, 0], this.padding, [0, 0]]);
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), padding: this.padding };
    }
  }

  /** See the file comment. */
  class LayerloomCropping1D extends tf.layers.Layer {
    static readonly className = CUSTOM_LAYER_CLASSES.cropping1d;
    private readonly cropping: [number, number];

    constructor(args: Sides1DArgs) {
      super(args);
      this.cropping = sides(args.cropping, 'Cropping1D cropping');
    }

    override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
      const [batch, steps, features] = inputShapesOf(inputShape)[0];
      return [batch, steps === null ? null : steps - this.cropping[0] - this.cropping[1], features];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const steps = (x.shape[1] ?? 0) - this.cropping[0] - this.cropping[1];
        return tf.slice(x, [0, this.cropping[0], 0], [-1, steps, -1]);
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), cropping: this.cropping };
    }
  }

  /** `[before, after]` for each of depth, height and width, as non-negative integers. */
  const sides3 = (v: number[][] | undefined, what: string): [number, number][] => {
    const pairs = v ?? [[1, 1], [1, 1], [1, 1]];
    if (pairs.length !== 3 || pairs.some((p) => !Array.isArray(p) || p.length !== 2 || p.some((n) => !Number.isInteger(n) || n < 0))) {
      throw new Error(`${what} must be three pairs of integers ≥ 0 (depth, height, width), got ${JSON.stringify(v)}.`);
    }
    return pairs.map((p) => [p[0], p[1]] as [number, number]);
  };

  /** See the file comment. */
  class LayerloomZeroPadding3D extends tf.layers.Layer {
    static readonly className = CUSTOM_LAYER_CLASSES.zeroPadding3d;
    private readonly padding: [number, number][];

    constructor(args: Sides3DArgs) {
      super(args);
      this.padding = sides3(args.padding, 'ZeroPadding3D padding');
    }

    override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
      const [batch, ...rest] = inputShapesOf(inputShape)[0];
      return [batch, ...this.padding.map(([a, b], i) => (rest[i] === null ? null : rest[i] + a + b)), rest[3]];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        return tf.pad(x, [[0, 0], ...this.padding, [0, 0]]);
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), padding: this.padding };
    }
  }

  /** See the file comment. */
  class LayerloomCropping3D extends tf.layers.Layer {
    static readonly className = CUSTOM_LAYER_CLASSES.cropping3d;
    private readonly cropping: [number, number][];

    constructor(args: Sides3DArgs) {
      super(args);
      this.cropping = sides3(args.cropping, 'Cropping3D cropping');
    }

    override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
      const [batch, ...rest] = inputShapesOf(inputShape)[0];
      return [batch, ...this.cropping.map(([a, b], i) => (rest[i] === null ? null : rest[i] - a - b)), rest[3]];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const sizes = this.cropping.map(([a, b], i) => (x.shape[i + 1] ?? 0) - a - b);
        return tf.slice(x, [0, ...this.cropping.map((p) => p[0]), 0], [-1, ...sizes, -1]);
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), cropping: this.cropping };
    }
  }

  /**
   * `x` with each entry along `axis` repeated `times` in a row, from reshape and concat only (tfjs's
   * tile has no gradient above rank 4): `(outer, n, inner)` → `(outer, n, times, inner)` → `(…, n · times, …)`.
   */
  const repeatAxis = (x: Tensor, axis: number, times: number): Tensor => {
    if (times === 1) return x;
    const shape = x.shape;
    const n = shape[axis];
    const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const one = tf.reshape(x, [outer, n, 1, inner]);
    return tf.reshape(tf.concat(new Array<Tensor>(times).fill(one), 2), [...shape.slice(0, axis), n * times, ...shape.slice(axis + 1)]);
  };

  /** See the file comment. */
  class LayerloomUpSampling3D extends tf.layers.Layer {
    static readonly className = CUSTOM_LAYER_CLASSES.upSampling3d;
    private readonly size: number[];

    constructor(args: UpSampling3DArgs) {
      super(args);
      const size = args.size ?? [2, 2, 2];
      if (!Array.isArray(size) || size.length !== 3) throw new Error(`UpSampling3D size must be three integers ≥ 1 (depth, height, width), got ${JSON.stringify(args.size)}.`);
      this.size = size.map((v) => positiveInt(v, 'UpSampling3D size'));
    }

    override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
      const [batch, ...rest] = inputShapesOf(inputShape)[0];
      return [batch, ...this.size.map((f, i) => (rest[i] === null ? null : rest[i] * f)), rest[3]];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        let x = Array.isArray(inputs) ? inputs[0] : inputs;
        this.size.forEach((f, i) => {
          x = repeatAxis(x, i + 1, f);
        });
        return x;
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), size: this.size };
    }
  }

  /** See the file comment. */
  class LayerloomUpSampling1D extends tf.layers.Layer {
    static readonly className = CUSTOM_LAYER_CLASSES.upSampling1d;
    private readonly size: number;

    constructor(args: UpSampling1DArgs) {
      super(args);
      this.size = positiveInt(args.size ?? 2, 'UpSampling1D size');
    }

    override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
      const [batch, steps, features] = inputShapesOf(inputShape)[0];
      return [batch, steps === null ? null : steps * this.size, features];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => repeatAxis(Array.isArray(inputs) ? inputs[0] : inputs, 1, this.size));
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), size: this.size };
    }
  }

  /** Fields of tfjs's conv layers a transposed layer builds its weights from (public in JavaScript, not in tfjs's typings). */
  interface ConvWeightFields {
    filters: number;
    useBias: boolean;
    kernelInitializer: Initializer;
    biasInitializer: Initializer;
    kernelRegularizer?: WeightRegularizer;
    biasRegularizer?: WeightRegularizer;
    kernelConstraint?: WeightConstraint;
    biasConstraint?: WeightConstraint;
    kernel: tfjs.LayerVariable;
    bias: tfjs.LayerVariable | null;
  }

  /**
   * See the file comment. tfjs's Conv1D class supplies the config, initializers, regularizers,
   * constraints and activation; this builds Keras's transposed kernel `(k, filters, channels)`.
   */
  class LayerloomConv1DTranspose extends BuiltinConv1D {
    static readonly className = CUSTOM_LAYER_CLASSES.conv1dTranspose;
    /** Keras's `output_padding`, or null for its default output size. */
    private readonly extra: number | null;
    private readonly stride: number;
    private readonly window: number;

    constructor(args: Conv1DTransposeLayerArgs) {
      const { outputPadding, ...rest } = args;
      super(rest);
      this.stride = perAxis(args.strides, 1, 'Conv1DTranspose strides')[0];
      this.window = perAxis(args.kernelSize, 1, 'Conv1DTranspose kernelSize')[0];
      const extra = Array.isArray(outputPadding) ? outputPadding[0] : outputPadding ?? null;
      if (extra !== null && (!Number.isInteger(extra) || extra < 0 || extra >= this.stride)) {
        throw new Error(`Conv1DTranspose outputPadding must be an integer ≥ 0 below the stride ${this.stride}, got ${JSON.stringify(outputPadding)}.`);
      }
      this.extra = extra;
      if (perAxis(args.dilationRate, 1, 'Conv1DTranspose dilationRate')[0] !== 1) throw new Error('Conv1DTranspose takes no dilation in Layerloom.');
    }

    /** Keras's output length for an input length `n`. */
    private outLength(n: number): number {
      const same = (this as unknown as ConvFields).padding === 'same';
      if (this.extra === null) return same ? n * this.stride : n * this.stride + Math.max(this.window - this.stride, 0);
      return (n - 1) * this.stride + this.window - 2 * (same ? Math.floor(this.window / 2) : 0) + this.extra;
    }

    override build(inputShape: LayerShape | LayerShape[]): void {
      const channels = inputShapesOf(inputShape)[0][2];
      if (channels === null || channels === undefined) throw new Error('Conv1DTranspose needs a fixed number of input channels.');
      const self = this as unknown as ConvWeightFields;
      self.kernel = this.addWeight('kernel', [this.window, self.filters, channels], 'float32', self.kernelInitializer, self.kernelRegularizer, true, self.kernelConstraint);
      if (self.useBias) self.bias = this.addWeight('bias', [self.filters], 'float32', self.biasInitializer, self.biasRegularizer, true, self.biasConstraint);
      this.inputSpec = [{ ndim: 3, axes: { [-1]: channels } }];
      this.built = true;
    }

    override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
      const [batch, steps] = inputShapesOf(inputShape)[0];
      return [batch, steps === null ? null : this.outLength(steps), (this as unknown as { filters: number }).filters];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const conv = this as unknown as ConvFields & { filters: number };
        const [batch, steps, channels] = x.shape as number[];
        const out = this.outLength(steps);
        const kernel = tf.reshape<tfjs.Rank.R4>(conv.kernel.read(), [this.window, 1, conv.filters, channels]);
        const image = tf.reshape<tfjs.Rank.R4>(x, [batch, steps, 1, channels]);
        const y4 = tf.conv2dTranspose(image, kernel, [batch, out, 1, conv.filters], [this.stride, 1], conv.padding === 'same' ? 'same' : 'valid');
        let y: Tensor = tf.reshape(y4, [batch, out, conv.filters]);
        if (conv.bias) y = tf.add(y, conv.bias.read());
        return conv.activation.apply(y);
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), outputPadding: this.extra };
    }
  }

  /** See the file comment: a depthwise (and, with `filters`, separable) 1-D convolution. */
  const depthwise1D = (separable: boolean, className: string) =>
    class extends tf.layers.Layer {
      static readonly className = className;
      private readonly window: number;
      private readonly stride: number;
      private readonly dilation: number;
      private readonly same: boolean;
      private readonly multiplier: number;
      private readonly activationName: string;
      private readonly activationLayer: Layer;
      private readonly useBias: boolean;
      private readonly depthwiseInitializer: string;
      private readonly pointwiseInitializer: string;
      private readonly biasInitializer: string;
      private readonly filters: number;
      private depthwiseKernel: tfjs.LayerVariable | null = null;
      private pointwiseKernel: tfjs.LayerVariable | null = null;
      private bias: tfjs.LayerVariable | null = null;

      constructor(args: DepthwiseConv1DArgs) {
        super(args);
        const what = separable ? 'SeparableConv1D' : 'DepthwiseConv1D';
        this.window = positiveInt(args.kernelSize, `${what} kernelSize`);
        this.stride = positiveInt(args.strides ?? 1, `${what} strides`);
        this.dilation = positiveInt(args.dilationRate ?? 1, `${what} dilationRate`);
        if (this.stride > 1 && this.dilation > 1) throw new Error(`${what} cannot combine strides > 1 with dilationRate > 1.`);
        const padding = args.padding ?? 'valid';
        if (padding !== 'valid' && padding !== 'same') throw new Error(`${what} padding must be "valid" or "same", got ${JSON.stringify(padding)}.`);
        this.same = padding === 'same';
        this.multiplier = positiveInt(args.depthMultiplier ?? 1, `${what} depthMultiplier`);
        this.activationName = args.activation ?? 'linear';
        this.activationLayer = tf.layers.activation({ activation: this.activationName as Parameters<TF['layers']['activation']>[0]['activation'] });
        this.useBias = args.useBias ?? true;
        this.depthwiseInitializer = args.depthwiseInitializer ?? 'glorotUniform';
        this.pointwiseInitializer = args.pointwiseInitializer ?? 'glorotUniform';
        this.biasInitializer = args.biasInitializer ?? 'zeros';
        this.filters = separable ? positiveInt(args.filters, `${what} filters`) : 0;
      }

      override build(inputShape: LayerShape | LayerShape[]): void {
        const channels = inputShapesOf(inputShape)[0][2];
        if (channels === null || channels === undefined) throw new Error(`${className} needs a fixed number of input channels.`);
        const mid = channels * this.multiplier;
        this.depthwiseKernel = this.addWeight('depthwise_kernel', [this.window, channels, this.multiplier], 'float32', makeInitializer(tf, this.depthwiseInitializer));
        if (separable) this.pointwiseKernel = this.addWeight('pointwise_kernel', [1, mid, this.filters], 'float32', makeInitializer(tf, this.pointwiseInitializer));
        if (this.useBias) this.bias = this.addWeight('bias', [separable ? this.filters : mid], 'float32', makeInitializer(tf, this.biasInitializer));
        this.inputSpec = [{ ndim: 3, axes: { [-1]: channels } }];
        this.built = true;
      }

      override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
        const [batch, steps, channels] = inputShapesOf(inputShape)[0];
        const span = (this.window - 1) * this.dilation + 1;
        const length = steps === null ? null : this.same ? Math.ceil(steps / this.stride) : Math.ceil((steps - span + 1) / this.stride);
        return [batch, length, separable ? this.filters : channels === null ? null : channels * this.multiplier];
      }

      override call(inputs: Tensor | Tensor[]): Tensor {
        return tf.tidy(() => {
          const x = Array.isArray(inputs) ? inputs[0] : inputs;
          if (!this.depthwiseKernel) throw new Error(`${className} was called before it was built.`);
          const [batch, steps, channels] = x.shape as number[];
          // The sequence as a one-column image; the kernel (k, channels, multiplier) as (k, 1, channels, multiplier).
          const kernel = dilateKernel(tf, tf.reshape(this.depthwiseKernel.read(), [this.window, 1, channels, this.multiplier]), [this.dilation, 1]);
          const image = tf.reshape<tfjs.Rank.R4>(x, [batch, steps, 1, channels]);
          const deep = tf.depthwiseConv2d(image, kernel as tfjs.Tensor4D, [this.stride, this.stride], this.same ? 'same' : 'valid');
          let y: Tensor = tf.reshape(deep, [batch, deep.shape[1], channels * this.multiplier]);
          if (this.pointwiseKernel) y = tf.conv1d(y as tfjs.Tensor3D, this.pointwiseKernel.read() as tfjs.Tensor3D, 1, 'valid');
          if (this.bias) y = tf.add(y, this.bias.read());
          return this.activationLayer.apply(y) as Tensor;
        });
      }

      override getConfig(): ConfigDict {
        return {
          ...super.getConfig(),
          kernelSize: this.window,
          strides: this.stride,
          padding: this.same ? 'same' : 'valid',
          dilationRate: this.dilation,
          depthMultiplier: this.multiplier,
          activation: this.activationName,
          useBias: this.useBias,
          depthwiseInitializer: this.depthwiseInitializer,
          biasInitializer: this.biasInitializer,
          ...(separable ? { filters: this.filters, pointwiseInitializer: this.pointwiseInitializer } : {}),
        };
      }
    };
  /** See the file comment. */
  const LayerloomDepthwiseConv1D = depthwise1D(false, CUSTOM_LAYER_CLASSES.depthwiseConv1d);
  /** See the file comment. */
  const LayerloomSeparableConv1D = depthwise1D(true, CUSTOM_LAYER_CLASSES.separableConv1d);

  /**
   * See the file comment. tfjs's Conv3D class supplies the config, initializers, regularizers,
   * constraints and activation; this builds Keras's transposed kernel and runs the transposed
   * convolution as a forward one.
   */
  class LayerloomConv3DTranspose extends BuiltinConv3D {
    static readonly className = CUSTOM_LAYER_CLASSES.conv3dTranspose;
    /** Keras's `output_padding`, or null for its default output size. */
    private readonly extra: number[] | null;
    private readonly stridesPerAxis: number[];
    private readonly windows: number[];

    constructor(args: Conv3DTransposeLayerArgs) {
      const { outputPadding, ...rest } = args;
      super(rest);
      this.stridesPerAxis = perAxis(args.strides, 3, 'Conv3DTranspose strides');
      this.windows = perAxis(args.kernelSize, 3, 'Conv3DTranspose kernelSize');
      const extra = outputPadding ?? null;
      if (extra !== null && (extra.length !== 3 || extra.some((p, i) => !Number.isInteger(p) || p < 0 || p >= this.stridesPerAxis[i]))) {
        throw new Error(`Conv3DTranspose outputPadding must be three integers ≥ 0, each below its stride (${this.stridesPerAxis.join(', ')}), got ${JSON.stringify(outputPadding)}.`);
      }
      this.extra = extra;
      if (perAxis(args.dilationRate, 3, 'Conv3DTranspose dilationRate').some((d) => d !== 1)) throw new Error('Conv3DTranspose takes no dilation in Layerloom.');
    }

    /** Keras's output length of axis `i` for an input length `n`. */
    private outLength(n: number, i: number): number {
      const same = (this as unknown as ConvFields).padding === 'same';
      const k = this.windows[i];
      const s = this.stridesPerAxis[i];
      if (this.extra === null) return same ? n * s : n * s + Math.max(k - s, 0);
      return (n - 1) * s + k - 2 * (same ? Math.floor(k / 2) : 0) + this.extra[i];
    }

    override build(inputShape: LayerShape | LayerShape[]): void {
      const shape = inputShapesOf(inputShape)[0];
      const channels = shape[4];
      if (channels === null || channels === undefined) throw new Error('Conv3DTranspose needs a fixed number of input channels.');
      const self = this as unknown as ConvWeightFields;
      self.kernel = this.addWeight('kernel', [...this.windows, self.filters, channels], 'float32', self.kernelInitializer, self.kernelRegularizer, true, self.kernelConstraint);
      if (self.useBias) self.bias = this.addWeight('bias', [self.filters], 'float32', self.biasInitializer, self.biasRegularizer, true, self.biasConstraint);
      this.inputSpec = [{ ndim: 5, axes: { [-1]: channels } }];
      this.built = true;
    }

    override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
      const [batch, ...rest] = inputShapesOf(inputShape)[0];
      return [batch, ...[0, 1, 2].map((i) => (rest[i] === null ? null : this.outLength(rest[i], i))), (this as unknown as { filters: number }).filters];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const conv = this as unknown as ConvFields;
        const same = conv.padding === 'same';
        // Zeros between the voxels (stride − 1 per gap): length (n − 1)·s + 1 on each axis.
        const spread = dilateKernel(tf, x, [1, ...this.stridesPerAxis]);
        // TensorFlow's full transposed output has (n − 1)·s + k positions; Keras keeps `out` of them
        // from `crop before` on (half the excess, rounded down, for "same"), zeros past the end.
        const pads: [number, number][] = [0, 1, 2].map((i) => {
          const n = x.shape[i + 1];
          const k = this.windows[i];
          const full = (n - 1) * this.stridesPerAxis[i] + k;
          const out = this.outLength(n, i);
          const before = same && full > out ? Math.floor((full - out) / 2) : 0;
          return [k - 1 - before, out + before - ((n - 1) * this.stridesPerAxis[i] + 1)];
        });
        const padded = tf.pad(spread, [[0, 0], ...pads.map(([a, b]) => [Math.max(a, 0), Math.max(b, 0)] as [number, number]), [0, 0]]);
        const trimmed = pads.some(([a, b]) => a < 0 || b < 0)
          ? tf.slice(padded, [0, ...pads.map(([a]) => Math.max(-a, 0)), 0], [-1, ...pads.map(([a, b], i) => padded.shape[i + 1] - Math.max(-a, 0) - Math.max(-b, 0)), -1])
          : padded;
        // Kernel (k…, filters, channels) mirrored in space, as conv3d's (k…, channels, filters).
        const kernel = tf.transpose(tf.reverse(conv.kernel.read(), [0, 1, 2]), [0, 1, 2, 4, 3]);
        let y: Tensor = tf.conv3d(trimmed as tfjs.Tensor5D, kernel as tfjs.Tensor5D, 1, 'valid');
        if (conv.bias) y = tf.add(y, conv.bias.read());
        return conv.activation.apply(y);
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), outputPadding: this.extra };
    }
  }

  // tfjs's own GRU classes (not exported by name). The layer builds its cell in its constructor, so
  // LayerloomGRU builds tfjs's with reset_after off (the only kind it accepts) and swaps in its own.
  type GRUCellArgs = Parameters<TF['layers']['gruCell']>[0];
  type BuiltinGRUCellInstance = ReturnType<TF['layers']['gruCell']>;
  const BuiltinGRUCell = tf.layers.gruCell({ units: 1 }).constructor as (new (args: GRUCellArgs) => BuiltinGRUCellInstance) &
    Pick<tfjs.serialization.SerializableConstructor<Layer>, 'fromConfig'>;
  const BuiltinGRU = tf.layers.gru({ units: 1 }).constructor as (new (args: GRULayerArgs) => tfjs.layers.RNN) &
    Pick<tfjs.serialization.SerializableConstructor<Layer>, 'fromConfig'>;

  /** See the file comment. */
  class LayerloomGRUCell extends BuiltinGRUCell {
    static readonly className = 'LayerloomGRUCell';
    readonly resetAfter: boolean;

    constructor(args: GRUCellArgs) {
      super({ ...args, resetAfter: false });
      this.resetAfter = args.resetAfter ?? true;
    }

    override build(inputShape: LayerShape | LayerShape[]): void {
      if (!this.resetAfter) return super.build(inputShape);
      const shape = inputShapesOf(inputShape)[0];
      const inputDim = shape[shape.length - 1] ?? 0;
      const u = this.units;
      this.kernel = this.addWeight('kernel', [inputDim, 3 * u], undefined, this.kernelInitializer, this.kernelRegularizer, true, this.kernelConstraint);
      this.recurrentKernel = this.addWeight('recurrent_kernel', [u, 3 * u], undefined, this.recurrentInitializer, this.recurrentRegularizer, true, this.recurrentConstraint);
      // Keras: bias (2, 3·units), row 0 added to x·W, row 1 to h·U.
      if (this.useBias) this.bias = this.addWeight('bias', [2, 3 * u], undefined, this.biasInitializer, this.biasRegularizer, true, this.biasConstraint);
      this.built = true;
    }

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
      if (!this.resetAfter) return super.call(inputs, kwargs);
      return tf.tidy(() => {
        const list = Array.isArray(inputs) ? inputs : [inputs];
        if (list.length !== 2) throw new Error(`GRUCell expects 2 input tensors (inputs, h), got ${list.length}.`);
        let [x, h] = list;
        const hPrev = h;
        const training = kwargs['training'] === true;
        // One mask per call of the layer (the GRU layer clears them), kept across its steps, drawn
        // with the cell's dropoutFunc so seeded training stays reproducible (stepRandomness.ts).
        const cell = this as unknown as { dropoutFunc?: (input: Tensor, rate: number) => Tensor };
        const mask = (like: Tensor, rate: number): Tensor[] =>
          [0, 1, 2].map(() => tf.keep(training ? (cell.dropoutFunc ?? ((t: Tensor, r: number) => tf.dropout(t, r)))(tf.onesLike(like), rate) : tf.onesLike(like)));
        if (this.dropout > 0 && this.dropout < 1) {
          if (this.dropoutMask == null) this.dropoutMask = mask(x, this.dropout);
          x = tf.mul(x, (this.dropoutMask as Tensor[])[0]);
        }
        if (this.recurrentDropout > 0 && this.recurrentDropout < 1) {
          if (this.recurrentDropoutMask == null) this.recurrentDropoutMask = mask(h, this.recurrentDropout);
          h = tf.mul(h, (this.recurrentDropoutMask as Tensor[])[0]);
        }
        let matrixX: Tensor = tf.matMul(x, this.kernel.read());
        let matrixInner: Tensor = tf.matMul(h, this.recurrentKernel.read());
        if (this.useBias) {
          const [inputBias, recurrentBias] = tf.unstack(this.bias.read(), 0);
          matrixX = tf.add(matrixX, inputBias);
          matrixInner = tf.add(matrixInner, recurrentBias);
        }
        const [xZ, xR, xH] = tf.split(matrixX, 3, -1);
        const [hZ, hR, hH] = tf.split(matrixInner, 3, -1);
        const z = this.recurrentActivation.apply(tf.add(xZ, hZ));
        const r = this.recurrentActivation.apply(tf.add(xR, hR));
        const candidate = this.activation.apply(tf.add(xH, tf.mul(r, hH)));
        // h = z · h_prev + (1 − z) · candidate
        const next = tf.add(tf.mul(z, hPrev), tf.mul(tf.sub(1, z), candidate));
        return [next, next];
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), resetAfter: this.resetAfter };
    }
  }

  /** See the file comment. */
  class LayerloomGRU extends BuiltinGRU {
    static readonly className = CUSTOM_LAYER_CLASSES.gru;

    constructor(args: GRULayerArgs) {
      super({ ...args, resetAfter: false });
      (this as unknown as { cell: Layer }).cell = new LayerloomGRUCell(args);
    }
  }

  const BuiltinBatchNormalization = tf.layers.batchNormalization({}).constructor as Builtin<BatchNormalizationLayerArgs>;

  /** tfjs's BatchNormalization fields read here (public in JavaScript, not in tfjs's typings). */
  interface BatchNormFields {
    readonly axis: number;
    readonly momentum: number;
    readonly epsilon: number;
    readonly gamma: tfjs.LayerVariable | null;
    readonly beta: tfjs.LayerVariable | null;
    readonly movingMean: tfjs.LayerVariable;
    readonly movingVariance: tfjs.LayerVariable;
  }

  /** See the file comment. */
  class LayerloomBatchNormalization extends BuiltinBatchNormalization {
    static readonly className = CUSTOM_LAYER_CLASSES.batchNormalization;

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
      // Keras: `training and self.trainable` selects the batch statistics and the moving-average update.
      const training = this.trainable && kwargs?.training === true;
      const f = this as unknown as BatchNormFields;
      // tfjs's training path reads gamma and beta unconditionally (it throws with center or scale
      // off), so that case runs here, as Keras computes it: batch moments (biased variance), the
      // moving averages updated with them, then (x − mean) / √(variance + ε) · γ + β.
      if (training && (!f.gamma || !f.beta)) {
        return tf.tidy(() => {
          const x = Array.isArray(inputs) ? inputs[0] : inputs;
          const axis = f.axis < 0 ? f.axis + x.rank : f.axis;
          const reduce = Array.from({ length: x.rank }, (_, i) => i).filter((i) => i !== axis);
          const { mean, variance } = tf.moments(x, reduce, true);
          const flat = [x.shape[axis]];
          for (const [stat, value] of [[f.movingMean, mean], [f.movingVariance, variance]] as const) {
            const old = stat.read();
            stat.write(tf.add(tf.mul(old, f.momentum), tf.mul(tf.reshape(value, flat), 1 - f.momentum)));
          }
          const broadcast = x.shape.map((d, i) => (i === axis ? d : 1));
          let inv = tf.rsqrt(tf.add(variance, f.epsilon));
          if (f.gamma) inv = tf.mul(inv, tf.reshape(f.gamma.read(), broadcast));
          let y = tf.mul(tf.sub(x, mean), inv);
          if (f.beta) y = tf.add(y, tf.reshape(f.beta.read(), broadcast));
          return y;
        });
      }
      return super.call(inputs, training ? kwargs : { ...kwargs, training: false });
    }
  }

  /** See the file comment. */
  class LayerloomLayerNormalization extends tf.layers.Layer {
    static readonly className = CUSTOM_LAYER_CLASSES.layerNormalization;
    private readonly axis: number[];
    private readonly epsilon: number;
    private readonly center: boolean;
    private readonly scale: boolean;
    private gamma: tfjs.LayerVariable | null = null;
    private beta: tfjs.LayerVariable | null = null;
    private readonly gammaRegularizer: Regularizer | undefined;
    private readonly betaRegularizer: Regularizer | undefined;

    constructor(args: LayerNormalizationLayerArgs) {
      super(args);
      // Passes a padding mask (Embedding maskZero) on, as Keras's layer does.
      this.supportsMasking = true;
      const axis = args.axis ?? -1;
      const list = Array.isArray(axis) ? axis : [axis];
      if (list.length === 0 || !list.every(Number.isInteger)) throw new Error(`LayerNormalization axis must be an integer or a list of integers, got ${JSON.stringify(axis)}.`);
      // Keras sorts the axes; the weights have the sizes of the axes in that order.
      this.axis = [...list].sort((a, b) => a - b);
      this.epsilon = args.epsilon ?? 0.001;
      this.center = args.center ?? true;
      this.scale = args.scale ?? true;
      this.gammaRegularizer = makeRegularizer(tf, args.gammaRegularizer, 'LayerNormalization gammaRegularizer');
      this.betaRegularizer = makeRegularizer(tf, args.betaRegularizer, 'LayerNormalization betaRegularizer');
    }

    override build(inputShape: LayerShape | LayerShape[]): void {
      const shape = inputShapesOf(inputShape)[0];
      const sizes = this.axis.map((a) => shape[tensorAxis(a, shape.length, 'LayerNormalization')]);
      if (sizes.some((d) => d === null)) throw new Error(`LayerNormalization needs fixed sizes on axes [${this.axis.join(', ')}], got [${shape.join(', ')}].`);
      const weightShape = sizes as number[];
      // Keras's names and order: gamma, then beta.
      if (this.scale) this.gamma = this.addWeight('gamma', weightShape, 'float32', tf.initializers.ones(), this.gammaRegularizer);
      if (this.center) this.beta = this.addWeight('beta', weightShape, 'float32', tf.initializers.zeros(), this.betaRegularizer);
      this.built = true;
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const axes = this.axis.map((a) => tensorAxis(a, x.rank, 'LayerNormalization'));
        const broadcast = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
        // Keras's ops.layer_normalization: inv = rsqrt(var + ε) · γ; y = x · inv + (β − mean · inv).
        const { mean, variance } = tf.moments(x, axes, true);
        let inv = tf.rsqrt(tf.add(variance, this.epsilon));
        if (this.gamma) inv = tf.mul(inv, tf.reshape(this.gamma.read(), broadcast));
        let shift = tf.neg(tf.mul(mean, inv));
        if (this.beta) shift = tf.add(shift, tf.reshape(this.beta.read(), broadcast));
        return tf.add(tf.mul(x, inv), shift);
      });
    }

    override getConfig(): ConfigDict {
      return {
        ...super.getConfig(),
        axis: this.axis,
        epsilon: this.epsilon,
        center: this.center,
        scale: this.scale,
        gammaRegularizer: regularizerConfig(this.gammaRegularizer),
        betaRegularizer: regularizerConfig(this.betaRegularizer),
      };
    }
  }

  tf.serialization.registerClass(LayerloomBatchNormalization);
  tf.serialization.registerClass(LayerloomLayerNormalization);
  tf.serialization.registerClass(LayerloomGRUCell);
  tf.serialization.registerClass(LayerloomGRU);
  tf.serialization.registerClass(LayerloomMultiHeadAttention);
  tf.serialization.registerClass(LayerloomPositionEmbedding);
  tf.serialization.registerClass(LayerloomConv1D);
  tf.serialization.registerClass(LayerloomConv2D);
  tf.serialization.registerClass(LayerloomConv3D);
  tf.serialization.registerClass(LayerloomSeparableConv2D);
  tf.serialization.registerClass(LayerloomDepthwiseConv2D);
  tf.serialization.registerClass(LayerloomConv2DTranspose);
  tf.serialization.registerClass(LayerloomSubtract);
  tf.serialization.registerClass(LayerloomReLU);
  tf.serialization.registerClass(LayerloomELU);
  tf.serialization.registerClass(LayerloomSoftmax);
  tf.serialization.registerClass(LayerloomNormalization);
  tf.serialization.registerClass(LayerloomGlobalPooling);
  tf.serialization.registerClass(LayerloomGaussianNoise);
  tf.serialization.registerClass(LayerloomGaussianDropout);
  tf.serialization.registerClass(LayerloomSpatialDropout2D);
  tf.serialization.registerClass(LayerloomResize);
  tf.serialization.registerClass(LayerloomZeroPadding1D);
  tf.serialization.registerClass(LayerloomCropping1D);
  tf.serialization.registerClass(LayerloomZeroPadding3D);
  tf.serialization.registerClass(LayerloomCropping3D);
  tf.serialization.registerClass(LayerloomUpSampling3D);
  tf.serialization.registerClass(LayerloomSpatialDropout3D);
  tf.serialization.registerClass(LayerloomConv3DTranspose);
  tf.serialization.registerClass(LayerloomUpSampling1D);
  tf.serialization.registerClass(LayerloomConv1DTranspose);
  tf.serialization.registerClass(LayerloomDepthwiseConv1D);
  tf.serialization.registerClass(LayerloomSeparableConv1D);
  return {
    MultiHeadAttention: LayerloomMultiHeadAttention,
    PositionEmbedding: LayerloomPositionEmbedding,
    Conv1D: LayerloomConv1D,
    Conv2D: LayerloomConv2D,
    Conv3D: LayerloomConv3D,
    SeparableConv2D: LayerloomSeparableConv2D,
    DepthwiseConv2D: LayerloomDepthwiseConv2D,
    Conv2DTranspose: LayerloomConv2DTranspose,
    Subtract: LayerloomSubtract,
    GRU: LayerloomGRU,
    BatchNormalization: LayerloomBatchNormalization,
    LayerNormalization: LayerloomLayerNormalization,
    ReLU: LayerloomReLU,
    ELU: LayerloomELU,
    Softmax: LayerloomSoftmax,
    Normalization: LayerloomNormalization,
    GlobalPooling: LayerloomGlobalPooling,
    GaussianNoise: LayerloomGaussianNoise,
    GaussianDropout: LayerloomGaussianDropout,
    SpatialDropout2D: LayerloomSpatialDropout2D,
    Resize: LayerloomResize,
    ZeroPadding1D: LayerloomZeroPadding1D,
    Cropping1D: LayerloomCropping1D,
    ZeroPadding3D: LayerloomZeroPadding3D,
    Cropping3D: LayerloomCropping3D,
    UpSampling3D: LayerloomUpSampling3D,
    SpatialDropout3D: LayerloomSpatialDropout3D,
    Conv3DTranspose: LayerloomConv3DTranspose,
    UpSampling1D: LayerloomUpSampling1D,
    Conv1DTranspose: LayerloomConv1DTranspose,
    DepthwiseConv1D: LayerloomDepthwiseConv1D,
    SeparableConv1D: LayerloomSeparableConv1D,
  };
}

/** A layer's penalty functions (tfjs's `RegularizerFn`: one scalar each, evaluated when called). */
type PenaltyFns = Layer['losses'];

/**
 * Makes tfjs's recurrent layers count their weights' regularization penalties, as Keras's do. tfjs's
 * RNN layer keeps its weights in its cell, whose `addWeight` records the penalties on the cell, but
 * the model collects penalties only from its own layers (`Container.calculateLosses`), so an LSTM's
 * `kernel_regularizer` never reached the loss (measured: 0 where Keras's is 0.17). Bidirectional has
 * the same gap one level up: its `losses` are those of the layer it was given, never built, not of
 * the forward and backward copies that hold the weights. Installed once per `tf` namespace, on the
 * classes, so every way a model comes to be (compiled, loaded from a checkpoint, built by an
 * exported model.ts) counts them: in `fit`/`trainOnBatch` and in `calculateLosses`.
 */
function countRecurrentPenalties(tf: TF): void {
  const base = tf.layers.Layer.prototype;
  // The layer's own penalties: tfjs's Layer.losses getter, run on this layer.
  const own = (layer: Layer): PenaltyFns => Reflect.get<typeof base, 'losses'>(base, 'losses', layer);
  const entry = tf.serialization.SerializationMap.getMap().classNameMap['Bidirectional'] as [{ prototype: object }, unknown] | undefined;
  if (!Object.getOwnPropertyDescriptor(base, 'losses')?.get || !entry) {
    throw new Error('This tfjs version has no Layer.losses getter or no registered Bidirectional class: update countRecurrentPenalties.');
  }
  Object.defineProperty(tf.RNN.prototype, 'losses', {
    configurable: true,
    get(this: tfjs.RNN): PenaltyFns {
      return [...own(this), ...this.cell.losses];
    },
  });
  /** Bidirectional's copies of the wrapped layer (private in tfjs's typings). */
  interface BidirectionalFields {
    readonly forwardLayer?: Layer;
    readonly backwardLayer?: Layer;
  }
  Object.defineProperty(entry[0].prototype, 'losses', {
    configurable: true,
    get(this: Layer & BidirectionalFields): PenaltyFns {
      return [...own(this), ...(this.forwardLayer?.losses ?? []), ...(this.backwardLayer?.losses ?? [])];
    },
  });
}

/**
 * TensorFlow lets no gradient into a computed padding mask (`Any` and `NotEqual` are not
 * differentiable there); tfjs registers no gradient for them, so a model with weights before a
 * Masking layer failed its first training step ("gradient function not found for Any"). Registers
 * zero gradients, TensorFlow's rule, where tfjs has none.
 */
function maskOpsNotDifferentiable(tf: TF): void {
  const zeros = (t: tfjs.Tensor) => () => tf.zeros(t.shape);
  if (!tf.getGradient('Any')) {
    tf.registerGradient({ kernelName: 'Any', inputsToSave: ['x'], gradFunc: (_dy, [x]) => ({ x: zeros(x) }) });
  }
  if (!tf.getGradient('NotEqual')) {
    tf.registerGradient({ kernelName: 'NotEqual', inputsToSave: ['a', 'b'], gradFunc: (_dy, [a, b]) => ({ a: zeros(a), b: zeros(b) }) });
  }
}

/** A single shape or the list of a multi-input layer, always as a list. */
function inputShapesOf(inputShape: LayerShape | LayerShape[]): LayerShape[] {
  return Array.isArray(inputShape[0]) ? (inputShape as LayerShape[]) : [inputShape as LayerShape];
}

const defined = new WeakMap<TF, LayerloomLayers>();

/**
 * The custom layer classes for this `tf` namespace, defined and registered for serialization on
 * first use, together with the fast orthogonal initializer. Call it before
 * `tf.models.modelFromJSON` / `tf.loadLayersModel` on a saved model that contains them (loading
 * runs initializers too, so it also makes recurrent models load faster).
 */
export function layerloomLayers(tf: TF): LayerloomLayers {
  let layers = defined.get(tf);
  if (!layers) {
    countRecurrentPenalties(tf);
    maskOpsNotDifferentiable(tf);
    layers = defineLayers(tf);
    defined.set(tf, layers);
  }
  return layers;
}
