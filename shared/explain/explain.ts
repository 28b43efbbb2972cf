/**
 * Looking inside a trained model: each block's output for one sample, Grad-CAM and saliency maps,
 * per-token attribution for text models, and the attention weights of MultiHeadAttention blocks.
 * Pure TypeScript over a compiled tfjs model; the `tf` namespace is passed in, so the training
 * worker, the CLI and tests compute the same numbers on whichever backend they loaded.
 *
 * Gradients with respect to an intermediate block's output (Grad-CAM, token attribution) are taken
 * by running the model's graph layer by layer with that block's output fed in as a value: the
 * gradient of the class score with respect to the fed value is ∂y_c/∂A, what Keras's
 * `tf.GradientTape` gives for `tape.gradient(y_c, A)`.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { AttentionScoring } from '../compile/customLayers.js';
import type { TF } from '../compile/tfTypes.js';

type Tensor = tfjs.Tensor;
type Layer = tfjs.layers.Layer;
type LayersModel = tfjs.LayersModel;

/** Thrown for an explanation the model cannot give (no conv block, unknown layer, bad class). */
export class ExplainError extends Error {}

/** Summary numbers of one block's output for one sample. */
export interface BlockStats {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Counts of values in `bins` equal-width bins from min to max (one bin when min = max). */
  readonly histogram: readonly number[];
  /**
   * Share of the outputs that are exactly 0, for blocks whose activation is ReLU ("dead" units on
   * this sample); null for other blocks, where 0 has no special meaning.
   */
  readonly deadShare: number | null;
}

/** Stats of a block's output values; `relu` says whether exact zeros count as dead units. */
export function blockStats(values: ArrayLike<number>, relu: boolean, bins = 32): BlockStats {
  const n = values.length;
  if (n === 0) return { min: 0, max: 0, mean: 0, histogram: [], deadShare: relu ? 0 : null };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    if (v === 0) zeros++;
  }
  const count = max > min ? bins : 1;
  const histogram = new Array<number>(count).fill(0);
  const width = (max - min) / count;
  for (let i = 0; i < n; i++) histogram[width > 0 ? Math.min(count - 1, Math.floor((values[i] - min) / width)) : 0]++;
  return { min, max, mean: sum / n, histogram, deadShare: relu ? zeros / n : null };
}

/** Keras's class name of a tfjs layer (Layerloom's own classes without their prefix). */
export function layerKind(layer: Layer): string {
  return layer.getClassName().replace(/^Layerloom/, '');
}

function layerActivation(layer: Layer): string | null {
  const config = layer.getConfig() as { activation?: unknown };
  return typeof config.activation === 'string' ? config.activation : null;
}

/** Whether a layer's output is a ReLU's (a ReLU-activated layer, a ReLU or an Activation('relu')). */
export function isReluLayer(layer: Layer): boolean {
  const kind = layerKind(layer);
  if (kind === 'ReLU') return true;
  return layerActivation(layer) === 'relu';
}

/** One block's output for one sample. */
export interface BlockActivation {
  /** The tfjs (and Keras) layer name. */
  readonly layer: string;
  /** Keras class of the layer (Conv2D, Dense, LSTM, …). */
  readonly kind: string;
  /** Output shape without the batch axis. */
  readonly shape: readonly number[];
  /** Row-major output values of the sample. */
  readonly values: Float32Array;
  readonly stats: BlockStats;
}

function sampleBatch(tf: TF, x: Tensor, model: LayersModel): Tensor {
  if (model.inputs.length !== 1) throw new ExplainError(`The model has ${model.inputs.length} inputs; explaining covers one-input models.`);
  const rank = model.inputs[0].shape.length;
  if (x.rank === rank) return x;
  if (x.rank === rank - 1) return tf.expandDims(x, 0);
  throw new ExplainError(`The input has shape [${x.shape.join(', ')}], but the model takes [${model.inputs[0].shape.map((d) => d ?? 'None').join(', ')}].`);
}

/** The layers whose outputs are explained: every layer but the model's inputs. */
function blockLayers(model: LayersModel): Layer[] {
  return model.layers.filter((l) => l.getClassName() !== 'InputLayer');
}

/**
 * Every block's output for one sample (`x`: one sample, with or without the batch axis of 1), in
 * model order, from one multi-output model over the compiled graph (inference mode: dropout off,
 * batch norm on its moving statistics).
 */
export function activations(tf: TF, model: LayersModel, x: Tensor): BlockActivation[] {
  const layers = blockLayers(model);
  const probe = tf.model({ inputs: model.inputs, outputs: layers.map((l) => l.output as tfjs.SymbolicTensor) });
  const batch = sampleBatch(tf, x, model);
  const raw = probe.predict(batch);
  const outs = Array.isArray(raw) ? raw : [raw];
  try {
    return layers.map((layer, i) => {
      const values = outs[i].dataSync() as Float32Array;
      const copy = Float32Array.from(values);
      return { layer: layer.name, kind: layerKind(layer), shape: outs[i].shape.slice(1), values: copy, stats: blockStats(copy, isReluLayer(layer)) };
    });
  } finally {
    tf.dispose(outs);
    if (batch !== x) batch.dispose();
    // `probe` shares the model's layers and owns no weights: nothing of it to dispose.
  }
}

/**
 * Runs the model's graph layer by layer on concrete tensors (inference mode), feeding `fed`'s
 * value as the output of the layer it names. Returns each layer's output by layer name. The caller
 * disposes (run it inside tf.tidy or tf.grad).
 */
function runGraph(tf: TF, model: LayersModel, x: Tensor, fed?: { layer: string; value: Tensor }, collectInputs?: Map<string, Tensor[]>): Map<string, Tensor> {
  // One-input models only (checked by the callers' sampleBatch): the sample feeds model.inputs[0].
  const byId = new Map<number, Tensor>([[model.inputs[0].id, x]]);
  const outputs = new Map<string, Tensor>();
  for (const layer of model.layers) {
    const node = layer.inboundNodes[0];
    if (layer.getClassName() === 'InputLayer') {
      outputs.set(layer.name, x);
      continue;
    }
    const symbolicOut = node.outputTensors[0];
    if (fed && fed.layer === layer.name) {
      byId.set(symbolicOut.id, fed.value);
      outputs.set(layer.name, fed.value);
      continue;
    }
    const inputs = node.inputTensors.map((s) => {
      const t = byId.get(s.id);
      if (!t) throw new Error(`Layer "${layer.name}" needs "${s.name}", which is not computed yet; the model's layers are out of order.`);
      return t;
    });
    collectInputs?.set(layer.name, inputs);
    const kwargs = { ...(node.callArgs ?? {}), training: false };
    const out = layer.apply(inputs.length === 1 ? inputs[0] : inputs, kwargs) as Tensor | Tensor[];
    const y = Array.isArray(out) ? out[0] : out;
    byId.set(symbolicOut.id, y);
    outputs.set(layer.name, y);
  }
  return outputs;
}

/** The model's (first) output layer. */
function outputLayer(model: LayersModel): Layer {
  const layer = model.outputLayers[0];
  if (!layer) throw new ExplainError('The model has no output.');
  return layer;
}

/**
 * The score of class `c` that attribution explains: the class's logit (the output layer's value
 * before its softmax) when the model ends in a softmax, as Grad-CAM's authors use (a saturated
 * softmax would give vanishing gradients); otherwise the output value itself.
 */
function classScore(tf: TF, model: LayersModel, outputs: Map<string, Tensor>, inputsOf: Map<string, Tensor[]>, classIndex: number): Tensor {
  const layer = outputLayer(model);
  const kind = layerKind(layer);
  let y = outputs.get(layer.name) as Tensor;
  if (layerActivation(layer) === 'softmax' && kind === 'Dense') {
    const input = (inputsOf.get(layer.name) as Tensor[])[0];
    const kernel = layer.weights.find((w) => w.originalName.endsWith('kernel'));
    const bias = layer.weights.find((w) => w.originalName.endsWith('bias'));
    if (kernel && input.rank === 2) {
      y = tf.matMul(input, kernel.read());
      if (bias) y = tf.add(y, bias.read());
    }
  } else if ((kind === 'Activation' && layerActivation(layer) === 'softmax') || kind === 'Softmax') {
    y = (inputsOf.get(layer.name) as Tensor[])[0];
  }
  const units = y.shape[y.shape.length - 1] ?? 1;
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= units) {
    throw new ExplainError(`Class ${classIndex} does not exist: the model has ${units} output${units === 1 ? '' : 's'} (classes 0–${units - 1}).`);
  }
  // Sum over the batch (of one): a scalar to differentiate.
  return tf.sum(tf.reshape(tf.slice(tf.reshape(y, [-1, units]), [0, classIndex], [-1, 1]), [-1]));
}

/** The model's output for one sample (probabilities for a classifier) and the top class. */
export function predictSample(tf: TF, model: LayersModel, x: Tensor): { probabilities: Float32Array; predicted: number } {
  return tf.tidy(() => {
    const batch = sampleBatch(tf, x, model);
    const raw = model.predict(batch);
    const y = Array.isArray(raw) ? raw[0] : raw;
    const probabilities = Float32Array.from(y.dataSync());
    let predicted = 0;
    if (probabilities.length === 1) predicted = probabilities[0] >= 0.5 ? 1 : 0;
    else for (let k = 1; k < probabilities.length; k++) if (probabilities[k] > probabilities[predicted]) predicted = k;
    return { probabilities, predicted };
  });
}

/** Classes of spatial layers Grad-CAM picks by default (Keras names). */
const CONV_KINDS = new Set(['Conv2D', 'SeparableConv2D', 'DepthwiseConv2D', 'Conv2DTranspose']);

/** The last convolutional block with a (batch, height, width, channels) output: Grad-CAM's default layer. */
export function lastConvLayer(model: LayersModel): string | null {
  const layers = blockLayers(model);
  for (let i = layers.length - 1; i >= 0; i--) {
    if (CONV_KINDS.has(layerKind(layers[i])) && (layers[i].outputShape as number[]).length === 4) return layers[i].name;
  }
  return null;
}

function findLayer(model: LayersModel, name: string): Layer {
  const layer = model.layers.find((l) => l.name === name);
  if (!layer) throw new ExplainError(`There is no block named "${name}" in the model. Blocks: ${blockLayers(model).map((l) => l.name).join(', ')}.`);
  return layer;
}

/** Options of {@link gradCam}. */
export interface GradCamOptions {
  /** Layer to explain (default: the last convolutional block). */
  readonly layer?: string;
  /** Class to explain (default: the predicted class). */
  readonly classIndex?: number;
}

/** A Grad-CAM map. */
export interface GradCamResult {
  readonly layer: string;
  readonly classIndex: number;
  /** Height and width of the layer's output (the raw map's resolution). */
  readonly camShape: readonly [number, number];
  /** Σ_k α_k A_k at the layer's resolution, before the ReLU. */
  readonly camLinear: Float32Array;
  /** ReLU(Σ_k α_k A_k): the raw Grad-CAM map at the layer's resolution. */
  readonly cam: Float32Array;
  /** α_k: the gradient of the class score averaged over the map, per channel. */
  readonly channelWeights: Float32Array;
  /** The raw map resized to the input's height × width (bilinear, half-pixel centres) and divided by its maximum: values 0–1. */
  readonly heatmap: Float32Array;
  readonly heatmapShape: readonly [number, number];
}

/**
 * Grad-CAM (Selvaraju et al.): the class score's gradient with respect to a conv block's output A,
 * averaged over height and width per channel (α_k), weights the channels: ReLU(Σ_k α_k A_k).
 * `x` is one preprocessed sample; the model's input must be an image (height, width[, channels]).
 */
export function gradCam(tf: TF, model: LayersModel, x: Tensor, options: GradCamOptions = {}): GradCamResult {
  const layerName = options.layer ?? lastConvLayer(model);
  if (!layerName) throw new ExplainError('Grad-CAM needs a convolutional block (Conv2D and kin) and this model has none. Use saliency, or name a block with a (height, width, channels) output with --layer.');
  const layer = findLayer(model, layerName);
  if ((layer.outputShape as number[]).length !== 4) {
    throw new ExplainError(`Grad-CAM needs a block whose output is (height, width, channels); "${layerName}" gives (${(layer.outputShape as (number | null)[]).slice(1).map((d) => d ?? 'None').join(', ')}). Choose a convolutional or pooling block.`);
  }
  const inputShape = model.inputs[0].shape;
  if (inputShape.length !== 3 && inputShape.length !== 4) throw new ExplainError('Grad-CAM overlays an image; the model input is not an image (height, width[, channels]).');
  const classIndex = options.classIndex ?? predictSample(tf, model, x).predicted;
  return tf.tidy(() => {
    const batch = sampleBatch(tf, x, model);
    const a = runGraph(tf, model, batch).get(layerName) as Tensor;
    const score = (fed: Tensor): Tensor => {
      const inputsOf = new Map<string, Tensor[]>();
      const outs = runGraph(tf, model, batch, { layer: layerName, value: fed }, inputsOf);
      return classScore(tf, model, outs, inputsOf, classIndex);
    };
    const grads = tf.grad(score)(a);
    const alpha = tf.mean(grads, [0, 1, 2]); // (C)
    const linear = tf.sum(tf.mul(a, alpha), -1); // (1, h, w)
    const cam = tf.relu(linear);
    const [, h, w] = a.shape as number[];
    const height = batch.shape[1] as number;
    const width = batch.shape[2] as number;
    const up = tf.image.resizeBilinear(tf.reshape<tfjs.Rank.R4>(cam, [1, h, w, 1]), [height, width], false, true);
    const peak = tf.max(up);
    const heat = tf.where(tf.greater(peak, 0), tf.div(up, tf.maximum(peak, 1e-30)), tf.zerosLike(up));
    return {
      layer: layerName,
      classIndex,
      camShape: [h, w] as const,
      camLinear: Float32Array.from(linear.dataSync()),
      cam: Float32Array.from(cam.dataSync()),
      channelWeights: Float32Array.from(alpha.dataSync()),
      heatmap: Float32Array.from(heat.dataSync()),
      heatmapShape: [height, width] as const,
    };
  });
}

/** Options of {@link saliency}. */
export interface SaliencyOptions {
  readonly classIndex?: number;
  /** SmoothGrad: average the gradient over this many noisy copies of the input (0 or absent: plain saliency). */
  readonly smoothGradSamples?: number;
  /** SmoothGrad noise σ as a share of the input's value range (default 0.15). */
  readonly smoothGradNoise?: number;
  /** Seed of the SmoothGrad noise (default 0), so a map can be reproduced. */
  readonly seed?: number;
}

/** A saliency map. */
export interface SaliencyResult {
  readonly classIndex: number;
  /** max over channels of |∂y_c/∂x| per pixel (height × width), unnormalised. */
  readonly gradient: Float32Array;
  /** The same divided by its maximum: values 0–1. */
  readonly heatmap: Float32Array;
  readonly heatmapShape: readonly [number, number];
}

/**
 * Saliency (Simonyan et al.): |∂y_c/∂x|, the maximum over channels, per input pixel; with
 * SmoothGrad (Smilkov et al.) the absolute gradient is averaged over noisy copies of the input.
 */
export function saliency(tf: TF, model: LayersModel, x: Tensor, options: SaliencyOptions = {}): SaliencyResult {
  const inputShape = model.inputs[0].shape;
  if (model.inputs[0].dtype === 'int32') throw new ExplainError('Saliency takes the gradient with respect to the input, and this model reads token ids. Use token attribution for text models.');
  if (inputShape.length !== 3 && inputShape.length !== 4) throw new ExplainError('Saliency maps an image input (height, width[, channels]); this model input is not one.');
  const classIndex = options.classIndex ?? predictSample(tf, model, x).predicted;
  return tf.tidy(() => {
    const batch = sampleBatch(tf, x, model);
    const score = (input: Tensor): Tensor => {
      const inputsOf = new Map<string, Tensor[]>();
      return classScore(tf, model, runGraph(tf, model, input, undefined, inputsOf), inputsOf, classIndex);
    };
    const gradOf = tf.grad(score);
    const samples = Math.max(0, Math.floor(options.smoothGradSamples ?? 0));
    let absGrad: Tensor;
    if (samples === 0) absGrad = tf.abs(gradOf(batch));
    else {
      const range = tf.sub(tf.max(batch), tf.min(batch));
      const sigma = tf.mul(range, options.smoothGradNoise ?? 0.15);
      let sum: Tensor = tf.zerosLike(batch);
      for (let i = 0; i < samples; i++) {
        const noise = tf.mul(tf.randomNormal(batch.shape, 0, 1, 'float32', (options.seed ?? 0) + i), sigma);
        sum = tf.add(sum, tf.abs(gradOf(tf.add(batch, noise))));
      }
      absGrad = tf.div(sum, samples);
    }
    const perPixel = absGrad.rank === 4 ? tf.max(absGrad, -1) : absGrad; // (1, h, w)
    const peak = tf.max(perPixel);
    const heat = tf.where(tf.greater(peak, 0), tf.div(perPixel, tf.maximum(peak, 1e-30)), tf.zerosLike(perPixel));
    return {
      classIndex,
      gradient: Float32Array.from(perPixel.dataSync()),
      heatmap: Float32Array.from(heat.dataSync()),
      heatmapShape: [batch.shape[1] as number, batch.shape[2] as number] as const,
    };
  });
}

/** Per-token attribution of a text model. */
export interface TokenAttribution {
  readonly layer: string;
  readonly classIndex: number;
  /** Σ_d ∂y_c/∂E_td · E_td per position t (positive: pushes towards the class). */
  readonly scores: Float32Array;
}

/**
 * Gradient × embedding for a text model: the class score's gradient with respect to the first
 * Embedding block's output, times that output, summed over the embedding axis, per token.
 */
export function tokenAttribution(tf: TF, model: LayersModel, ids: Tensor, options: { classIndex?: number; layer?: string } = {}): TokenAttribution {
  const layer = options.layer ? findLayer(model, options.layer) : blockLayers(model).find((l) => layerKind(l) === 'Embedding');
  if (!layer) throw new ExplainError('Token attribution needs an Embedding block, and this model has none.');
  const classIndex = options.classIndex ?? predictSample(tf, model, ids).predicted;
  return tf.tidy(() => {
    const batch = sampleBatch(tf, ids, model);
    const e = runGraph(tf, model, batch).get(layer.name) as Tensor;
    const grads = tf.grad((fed: Tensor) => {
      const inputsOf = new Map<string, Tensor[]>();
      return classScore(tf, model, runGraph(tf, model, batch, { layer: layer.name, value: fed }, inputsOf), inputsOf, classIndex);
    })(e);
    return { layer: layer.name, classIndex, scores: Float32Array.from(tf.sum(tf.mul(grads, e), -1).dataSync()) };
  });
}

/** The attention weights of one MultiHeadAttention block for one sample. */
export interface AttentionMap {
  readonly layer: string;
  readonly heads: number;
  readonly queryLength: number;
  readonly keyLength: number;
  /** heads × query × key, row-major; each query row sums to 1 (masked keys are 0). */
  readonly weights: Float32Array;
}

function scoresAttention(layer: Layer): layer is Layer & AttentionScoring {
  return typeof (layer as Partial<AttentionScoring>).attentionScores === 'function';
}

/** The attention weights per head of every MultiHeadAttention block, for one sample. */
export function attentionMaps(tf: TF, model: LayersModel, x: Tensor): AttentionMap[] {
  const maps: AttentionMap[] = [];
  // tidy's callback may return only tensors: the plain results are collected outside it.
  tf.tidy(() => {
    const batch = sampleBatch(tf, x, model);
    const inputsOf = new Map<string, Tensor[]>();
    runGraph(tf, model, batch, undefined, inputsOf);
    for (const layer of model.layers) {
      if (!scoresAttention(layer)) continue;
      const inputs = inputsOf.get(layer.name) as Tensor[];
      const w = layer.attentionScores(inputs.length === 1 ? inputs[0] : inputs);
      const [, heads, q, k] = w.shape as number[];
      maps.push({ layer: layer.name, heads, queryLength: q, keyLength: k, weights: Float32Array.from(w.dataSync()) });
    }
  });
  return maps;
}

/** One weight tensor of a block: its name, shape and the distribution of its values. */
export interface WeightSummary {
  /** The weight's name within its block (kernel, bias, gamma, …). */
  readonly name: string;
  readonly shape: readonly number[];
  readonly trainable: boolean;
  /** min, max, mean and a histogram of the values (deadShare is null: weights have no ReLU). */
  readonly stats: BlockStats;
}

/** Each weight tensor of a layer, with the histogram of its values (the weights view). */
export function weightSummaries(layer: Layer): WeightSummary[] {
  return layer.weights.map((w) => ({
    name: w.originalName.split('/').pop() ?? w.originalName,
    shape: w.shape.map((d) => d ?? 0),
    trainable: w.trainable,
    stats: blockStats(w.read().dataSync(), false),
  }));
}

/** The first Conv2D block's kernel, to draw each filter as an image. */
export interface ConvFilters {
  readonly layer: string;
  /** (kernel height, kernel width, input channels, filters), Keras's kernel layout. */
  readonly shape: readonly [number, number, number, number];
  readonly values: Float32Array;
}

/** The kernel of the model's first Conv2D block, or null when it has none. */
export function firstConvFilters(model: LayersModel): ConvFilters | null {
  const layer = blockLayers(model).find((l) => layerKind(l) === 'Conv2D');
  const kernel = layer?.weights.find((w) => w.originalName.endsWith('kernel'));
  if (!layer || !kernel || kernel.shape.length !== 4) return null;
  const [kh, kw, cin, cout] = kernel.shape as number[];
  return { layer: layer.name, shape: [kh, kw, cin, cout], values: Float32Array.from(kernel.read().dataSync()) };
}
