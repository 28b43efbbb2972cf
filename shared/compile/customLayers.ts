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
 * - `LayerloomConv1D`, `LayerloomConv2D`, `LayerloomSeparableConv2D`: tfjs's own conv layers (same
 *   weights, config and shapes) for what they cannot do themselves. tfjs has no gradient for a
 *   convolution with dilation > 1, so these run it as a plain convolution with a dilated kernel (the
 *   kernel spread out with zeros, `(k - 1) * d + 1` taps wide): the same sums, and trainable. And
 *   tfjs's Conv1D accepts padding "causal" but throws when run, so LayerloomConv1D pads the start of
 *   the sequence with `(kernel_size - 1) * dilation_rate` zeros and runs "valid", as Keras does.
 * - `LayerloomSubtract`: Keras's `Subtract` (first input minus the second); tfjs-layers has none.
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
};

/** tfjs config of {@link LayerloomLayers.PositionEmbedding}. */
export type PositionEmbeddingArgs = LayerArgs & {
  /** Longest sequence the table covers. */
  sequenceLength: number;
  /** tfjs identifier of the table's initializer (keras_hub's default is glorot uniform). */
  initializer?: string;
};

/** tfjs config of {@link LayerloomLayers.Conv1D} and {@link LayerloomLayers.Conv2D}: tfjs's own conv config. */
export type ConvLayerArgs = Parameters<TF['layers']['conv1d']>[0];
/** tfjs config of {@link LayerloomLayers.SeparableConv2D}: tfjs's own. */
export type SeparableConvLayerArgs = Parameters<TF['layers']['separableConv2d']>[0];

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
  readonly SeparableConv2D: new (args: SeparableConvLayerArgs) => Layer;
  readonly Subtract: new (args?: LayerArgs) => Layer;
}

/** Class names under which the layers are registered (and `LayerCall.tfjsFactory` of their blocks). */
export const CUSTOM_LAYER_CLASSES = {
  multiHeadAttention: 'LayerloomMultiHeadAttention',
  positionEmbedding: 'LayerloomPositionEmbedding',
  conv1d: 'LayerloomConv1D',
  conv2d: 'LayerloomConv2D',
  separableConv2d: 'LayerloomSeparableConv2D',
  subtract: 'LayerloomSubtract',
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
    }

    override build(inputShape: LayerShape | LayerShape[]): void {
      const shapes = inputShapesOf(inputShape);
      const [query, value = shapes[0]] = shapes;
      const key = shapes[2] ?? value;
      const width = (s: LayerShape, port: string): number => {
        const last = s[s.length - 1];
        if (s.length !== 3 || last === null) {
          throw new Error(`MultiHeadAttention needs ${port} shaped (batch, length, features) with fixed features, got [${s.join(', ')}].`);
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
        this.kernels.push(this.addWeight(`${name}/kernel`, kernelShape, 'float32', makeInitializer(tf, this.kernelInitializer)));
        this.biases.push(this.useBias ? this.addWeight(`${name}/bias`, biasShape, 'float32', makeInitializer(tf, this.biasInitializer)) : null);
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

    /** Softmax of the scaled query·key scores, (B, heads, T, S), causal mask applied. */
    private attentionProbabilities(query: Tensor, key: Tensor): Tensor {
      const queryLength = query.shape[1] ?? 0;
      const keyLength = key.shape[1] ?? 0;
      // Keras scales the projected query, not the scores; same numbers, same order of rounding.
      const q = tf.mul(this.project(query, 0, this.keyDim), 1 / Math.sqrt(this.keyDim));
      const k = this.project(key, 1, this.keyDim);
      let scores = tf.matMul(q, k, false, true); // (B, heads, T, S)
      if (this.useCausalMask) {
        // Lower-triangular (T, S) mask aligned at the top-left, as Keras's `_compute_causal_mask`.
        const allowed = tf.cast(tf.linalg.bandPart(tf.ones([queryLength, keyLength]), -1, 0), 'bool');
        const full = scores.shape;
        scores = tf.where(tf.broadcastTo(allowed, full), scores, tf.fill(full, MASKED_LOGIT));
      }
      return tf.softmax(scores);
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
        const [batch, queryLength, queryWidth] = query.shape;
        const keyLength = key.shape[1] ?? 0;
        if (value.shape[1] !== keyLength) {
          throw new Error(`MultiHeadAttention: key has ${keyLength} positions but value has ${value.shape[1]}; they must be equally long.`);
        }
        let probs = this.attentionProbabilities(query, key);
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
  type ConvArgs = Parameters<TF['layers']['conv1d']>[0];
  type SeparableArgs = Parameters<TF['layers']['separableConv2d']>[0];
  type Builtin<A> = (new (args: A) => Layer) & Pick<tfjs.serialization.SerializableConstructor<Layer>, 'fromConfig'>;
  const BuiltinConv1D = tf.layers.conv1d({ filters: 1, kernelSize: 1 }).constructor as Builtin<ConvArgs>;
  const BuiltinConv2D = tf.layers.conv2d({ filters: 1, kernelSize: 1 }).constructor as Builtin<ConvArgs>;
  const BuiltinSeparableConv2D = tf.layers.separableConv2d({ filters: 1, kernelSize: 1 }).constructor as Builtin<SeparableArgs>;

  /** One positive integer per spatial axis from a tfjs `number | number[]` argument. */
  const perAxis = (v: number | number[] | undefined, n: number, what: string): number[] =>
    Array.from({ length: n }, (_, i) => positiveInt(Array.isArray(v) ? v[i] ?? v[0] : v ?? 1, what));

  /** See the file comment: a conv layer (1-D or 2-D) that runs dilation through a dilated kernel. */
  const dilatedConv = (Base: Builtin<ConvArgs>, rank: 1 | 2, className: string) =>
    class extends Base {
      static readonly className = className;
      /** Zeros put before the first step (causal Conv1D): (kernel_size - 1) * dilation_rate. */
      private readonly leftPad: number;
      private readonly causal: boolean;
      private readonly dilations: number[];
      private readonly stridesPerAxis: number[];

      constructor(args: ConvArgs) {
        const causal = args.padding === 'causal';
        super({ ...args, padding: causal ? 'valid' : args.padding });
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

      override call(inputs: Tensor | Tensor[]): Tensor {
        return tf.tidy(() => {
          let x = Array.isArray(inputs) ? inputs[0] : inputs;
          if (this.leftPad > 0) x = tf.pad(x, [[0, 0], [this.leftPad, 0], [0, 0]]);
          const conv = this as unknown as ConvFields;
          const kernel = dilateKernel(tf, conv.kernel.read(), this.dilations);
          const padding = conv.padding === 'same' ? 'same' : 'valid';
          let y =
            rank === 1
              ? tf.conv1d(x as tfjs.Tensor3D, kernel as tfjs.Tensor3D, this.stridesPerAxis[0], padding)
              : tf.conv2d(x as tfjs.Tensor4D, kernel as tfjs.Tensor4D, [this.stridesPerAxis[0], this.stridesPerAxis[1]], padding);
          if (conv.bias) y = tf.add(y, conv.bias.read());
          return conv.activation.apply(y);
        });
      }

      override getConfig(): ConfigDict {
        const config = super.getConfig();
        if (this.causal) config['padding'] = 'causal';
        return config;
      }
    };

  /** See the file comment. */
  const LayerloomConv1D = dilatedConv(BuiltinConv1D, 1, CUSTOM_LAYER_CLASSES.conv1d);
  /** See the file comment. */
  const LayerloomConv2D = dilatedConv(BuiltinConv2D, 2, CUSTOM_LAYER_CLASSES.conv2d);

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

  tf.serialization.registerClass(LayerloomMultiHeadAttention);
  tf.serialization.registerClass(LayerloomPositionEmbedding);
  tf.serialization.registerClass(LayerloomConv1D);
  tf.serialization.registerClass(LayerloomConv2D);
  tf.serialization.registerClass(LayerloomSeparableConv2D);
  tf.serialization.registerClass(LayerloomSubtract);
  return {
    MultiHeadAttention: LayerloomMultiHeadAttention,
    PositionEmbedding: LayerloomPositionEmbedding,
    Conv1D: LayerloomConv1D,
    Conv2D: LayerloomConv2D,
    SeparableConv2D: LayerloomSeparableConv2D,
    Subtract: LayerloomSubtract,
  };
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
    layers = defineLayers(tf);
    defined.set(tf, layers);
  }
  return layers;
}
