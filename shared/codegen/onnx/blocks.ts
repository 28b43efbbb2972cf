/**
 * How each catalog block is written in ONNX, in one table keyed by block type
 * ({@link ONNX_MAPPINGS}; a test fails when a catalog block has no entry). Tensors stay
 * channels-last between layers as in Keras: convolution and pooling transpose to ONNX's
 * channels-first and back (a transpose pair between two such layers is skipped), so Flatten and
 * Dense see Keras's memory order. Weights arrive in Keras's layout (`layer.get_weights()`), and the
 * mappings reorder them where ONNX lays them out differently (conv kernels, LSTM gates).
 */
import type { Dim, Params, Shape } from '../../blocks/types.js';
import { convTransposeOutputLength } from '../../blocks/shapeUtils.js';
import { centerCropSides } from '../../blocks/preprocessing.js';
import { bool, intTuple, num, str } from '../../blocks/paramUtils.js';
import type { PlanLayer } from '../plan.js';
import { attr, GraphBuilder, transposeData, type OnnxAttribute } from './graph.js';

/** One weight array of a layer, in Keras's `get_weights()` layout. */
export interface OnnxWeight {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** What a block mapping gets: the layer, its input tensors (per port, null when unconnected) and its weights. */
export interface MappingContext {
  readonly b: GraphBuilder;
  readonly step: PlanLayer;
  readonly params: Params;
  /** Tensor names per port (block port order); null for an unconnected optional port. */
  readonly inputs: readonly (string | null)[];
  readonly inputShapes: readonly (Shape | null)[];
  /** Element type per port: int32 only for an int32 model input, float32 for everything a layer computes. */
  readonly inputTypes: readonly ('float32' | 'int32')[];
  /** The output shape without the batch. */
  readonly shape: Shape;
  readonly weights: readonly OnnxWeight[];
  /** The channels-first copy of a channels-last tensor, where a conv or pooling made one. */
  readonly channelsFirst: Map<string, string>;
}

/** Writes one layer; returns the name of its (channels-last) output tensor. */
export type OnnxMapping = (ctx: MappingContext) => string;

const INT64_MIN = -9223372036854775808;
/** `TensorProto.DataType.INT32`. */
const ONNX_INT32 = 6;

function weight(ctx: MappingContext, i: number, what: string): OnnxWeight {
  const w = ctx.weights[i];
  if (!w) throw new Error(`${ctx.step.def.type} "${ctx.step.name}": its weights lack the ${what} (${ctx.weights.length} arrays given).`);
  return w;
}

function input(ctx: MappingContext, i = 0): string {
  const x = ctx.inputs[i];
  if (!x) throw new Error(`${ctx.step.def.type} "${ctx.step.name}": input ${i + 1} is not connected.`);
  return x;
}

function inputShape(ctx: MappingContext, i = 0): Shape {
  return ctx.inputShapes[i] ?? [];
}

// ---------------------------------------------------------------------------------------------
// Activations

/** Writes a Keras activation by name on tensor `x`. */
export function activation(b: GraphBuilder, base: string, x: string, name: string, blockType: string): string {
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return b.op1('Relu', base, [x]);
    case 'sigmoid':
      return b.op1('Sigmoid', base, [x]);
    case 'tanh':
      return b.op1('Tanh', base, [x]);
    case 'softmax':
      return b.op1('Softmax', base, [x], { axis: attr.int(-1) });
    case 'elu':
      return b.op1('Elu', base, [x], { alpha: attr.float(1) });
    case 'selu':
      // Keras's constants (ONNX's defaults differ in the last float digits).
      return b.op1('Selu', base, [x], { alpha: attr.float(1.6732632423543772), gamma: attr.float(1.0507009873554805) });
    case 'leaky_relu':
      return b.op1('LeakyRelu', base, [x], { alpha: attr.float(0.2) });
    case 'swish': {
      // ONNX has no Swish before opset 24: x · sigmoid(x).
      b.decomposed(`${blockType} (swish)`, 'swish as x · Sigmoid(x): no Swish op before opset 24');
      return b.op1('Mul', base, [x, b.op1('Sigmoid', `${base}_sig`, [x])]);
    }
    case 'gelu': {
      // Keras's gelu is the exact one (approximate=False): 0.5 · x · (1 + erf(x / √2)).
      if (b.opset >= 20) return b.op1('Gelu', base, [x], { approximate: attr.string('none') });
      b.decomposed(`${blockType} (gelu)`, `gelu as 0.5 · x · (1 + Erf(x / √2)): Gelu is an op from opset 20 (this export uses ${b.opset})`);
      const erf = b.op1('Erf', `${base}_erf`, [b.op1('Div', `${base}_scaled`, [x, b.float([Math.SQRT2])])]);
      const onePlus = b.op1('Add', `${base}_1p`, [erf, b.float([1])]);
      return b.op1('Mul', base, [b.op1('Mul', `${base}_half`, [x, b.float([0.5])]), onePlus]);
    }
    default:
      throw new Error(`Activation "${name}" of ${blockType} has no ONNX mapping.`);
  }
}

// ---------------------------------------------------------------------------------------------
// Layout helpers

/** Permutation channels-last → channels-first for `spatial` spatial axes (with batch). */
function toFirstPerm(spatial: number): number[] {
  return [0, spatial + 1, ...Array.from({ length: spatial }, (_, i) => i + 1)];
}

/** Permutation channels-first → channels-last. */
function toLastPerm(spatial: number): number[] {
  return [0, ...Array.from({ length: spatial }, (_, i) => i + 2), 1];
}

function channelsFirst(ctx: MappingContext, x: string, spatial: number): string {
  const known = ctx.channelsFirst.get(x);
  if (known) return known;
  const y = ctx.b.op1('Transpose', `${ctx.step.name}_nchw`, [x], { perm: attr.ints(toFirstPerm(spatial)) });
  ctx.channelsFirst.set(x, y);
  return y;
}

function channelsLast(ctx: MappingContext, y: string, spatial: number, base = ctx.step.name): string {
  const x = ctx.b.op1('Transpose', base, [y], { perm: attr.ints(toLastPerm(spatial)) });
  ctx.channelsFirst.set(x, y);
  return x;
}

/** Explicit `same` pads (begin, end) for one axis, as TensorFlow puts them (the odd one at the end); null when the size is variable and matters. */
function samePads(n: Dim, kernel: number, stride: number, dilation = 1): [number, number] | null {
  const k = (kernel - 1) * dilation + 1;
  let total: number;
  if (stride === 1) total = k - 1;
  else if (n === null) return null;
  else total = Math.max((Math.ceil(n / stride) - 1) * stride + k - n, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

/** `pads` (or `auto_pad` for variable sizes) of a window op on channels-last `input`. */
function windowPadding(input: Shape, padding: string, kernel: readonly number[], strides: readonly number[], dilations: readonly number[]): Record<string, OnnxAttribute> {
  const spatial = kernel.length;
  if (padding === 'valid') return { pads: attr.ints(new Array<number>(2 * spatial).fill(0)) };
  if (padding === 'causal') return { pads: attr.ints([(kernel[0] - 1) * dilations[0], 0]) };
  const pads = kernel.map((k, i) => samePads(input[i], k, strides[i], dilations[i]));
  if (pads.some((p) => p === null)) return { auto_pad: attr.string('SAME_UPPER') };
  const known = pads as [number, number][];
  return { pads: attr.ints([...known.map((p) => p[0]), ...known.map((p) => p[1])]) };
}

/** A Keras conv kernel (spatial..., in, out) as ONNX's (out, in, spatial...). */
function convKernel(w: OnnxWeight): { dims: number[]; data: Float32Array } {
  const rank = w.shape.length;
  const perm = [rank - 1, rank - 2, ...Array.from({ length: rank - 2 }, (_, i) => i)];
  return { dims: perm.map((p) => w.shape[p]), data: transposeData(w.data, w.shape, perm) };
}

/** A Keras depthwise kernel (k…, in, multiplier) as ONNX's grouped (in · multiplier, 1, k…). */
function depthwiseKernel(w: OnnxWeight): { dims: number[]; data: Float32Array } {
  const window = w.shape.slice(0, -2);
  const mid = w.shape[w.shape.length - 2] * w.shape[w.shape.length - 1];
  const perm = [window.length, ...window.map((_, i) => i)];
  return { dims: [mid, 1, ...window], data: transposeData(w.data, [...window, mid], perm) };
}

function spatialParams(params: Params, spatial: 1 | 2 | 3, withDilation: boolean): { kernel: number[]; strides: number[]; dilations: number[] } {
  return {
    kernel: intTuple(params, 'kernel_size', spatial),
    strides: intTuple(params, 'strides', spatial),
    dilations: withDilation ? intTuple(params, 'dilation_rate', spatial) : new Array<number>(spatial).fill(1),
  };
}

function convLayer(ctx: MappingContext, spatial: 1 | 2 | 3): string {
  const { b, params, step } = ctx;
  const { kernel, strides, dilations } = spatialParams(params, spatial, true);
  const k = convKernel(weight(ctx, 0, 'kernel'));
  const w = b.weight(`${step.name}/kernel`, k.dims, k.data);
  const inputs = [channelsFirst(ctx, input(ctx), spatial), w];
  if (bool(params, 'use_bias')) inputs.push(b.weight(`${step.name}/bias`, weight(ctx, 1, 'bias').shape, weight(ctx, 1, 'bias').data));
  const y = b.op1('Conv', `${step.name}_conv`, inputs, {
    // Keras's grouped kernel (window…, channels / groups, filters) is ONNX's (filters, channels / group, window…).
    group: attr.int(typeof params.groups === 'number' ? params.groups : 1),
    kernel_shape: attr.ints(kernel),
    strides: attr.ints(strides),
    dilations: attr.ints(dilations),
    ...windowPadding(inputShape(ctx), str(params, 'padding'), kernel, strides, dilations),
  });
  return finishSpatial(ctx, y, spatial);
}

/** Back to channels-last, then the layer's activation (element-wise, so it may run on either layout). */
function finishSpatial(ctx: MappingContext, y: string, spatial: number): string {
  const act = str(ctx.params, 'activation');
  if (act === 'linear' || act === 'softmax') {
    const out = channelsLast(ctx, y, spatial, act === 'linear' ? ctx.step.name : `${ctx.step.name}_pre`);
    return activation(ctx.b, ctx.step.name, out, act, ctx.step.def.type);
  }
  return channelsLast(ctx, activation(ctx.b, `${ctx.step.name}_act`, y, act, ctx.step.def.type), spatial);
}

function convTranspose(ctx: MappingContext, spatial: 1 | 2 | 3): string {
  const { b, params, step } = ctx;
  const kernel = intTuple(params, 'kernel_size', spatial);
  const strides = intTuple(params, 'strides', spatial);
  const w0 = weight(ctx, 0, 'kernel');
  // Keras (k…, out, in) → ONNX ConvTranspose (in, out, k…).
  const perm = [spatial + 1, spatial, ...Array.from({ length: spatial }, (_, i) => i)];
  const w = b.weight(`${step.name}/kernel`, perm.map((p) => w0.shape[p]), transposeData(w0.data, w0.shape, perm));
  const inputs = [channelsFirst(ctx, input(ctx), spatial), w];
  if (bool(params, 'use_bias')) inputs.push(b.weight(`${step.name}/bias`, weight(ctx, 1, 'bias').shape, weight(ctx, 1, 'bias').data));
  // TensorFlow's transposed conv: the full output (n − 1)·s + k cropped to Keras's output size
  // (half the crop before, the rest after, for "same"), or grown at the end with zeros when that
  // size is larger (a kernel smaller than the stride, or output_padding).
  const same = str(params, 'padding') === 'same';
  const extra = params.output_padding === null || params.output_padding === undefined ? null : intTuple(params, 'output_padding', spatial);
  const inShape = inputShape(ctx);
  const crops = kernel.map((k, i) => {
    const n = inShape[i] as number;
    const out = convTransposeOutputLength(n, k, same ? 'same' : 'valid', strides[i], 1, extra ? extra[i] : null) as number;
    return (n - 1) * strides[i] + k - out;
  });
  const pads = crops.map((total) => (total > 0 ? [Math.floor(total / 2), total - Math.floor(total / 2)] : [0, 0]));
  const outputPadding = crops.map((total) => Math.max(-total, 0));
  const y = b.op1('ConvTranspose', `${step.name}_deconv`, inputs, {
    kernel_shape: attr.ints(kernel),
    strides: attr.ints(strides),
    pads: attr.ints([...pads.map((p) => p[0]), ...pads.map((p) => p[1])]),
    output_padding: attr.ints(outputPadding),
  });
  return finishSpatial(ctx, y, spatial);
}

function depthwiseConv(ctx: MappingContext, spatial: 1 | 2): string {
  const { b, params, step } = ctx;
  const { kernel, strides, dilations } = spatialParams(params, spatial, 'dilation_rate' in params);
  const k = depthwiseKernel(weight(ctx, 0, 'depthwise kernel'));
  const inputs = [channelsFirst(ctx, input(ctx), spatial), b.weight(`${step.name}/depthwise_kernel`, k.dims, k.data)];
  if (bool(params, 'use_bias')) inputs.push(b.weight(`${step.name}/bias`, weight(ctx, 1, 'bias').shape, weight(ctx, 1, 'bias').data));
  const channels = inputShape(ctx)[spatial] as number;
  const y = b.op1('Conv', `${step.name}_conv`, inputs, {
    group: attr.int(channels),
    kernel_shape: attr.ints(kernel),
    strides: attr.ints(strides),
    dilations: attr.ints(dilations),
    ...windowPadding(inputShape(ctx), str(params, 'padding'), kernel, strides, dilations),
  });
  return finishSpatial(ctx, y, spatial);
}

function separableConv(ctx: MappingContext, spatial: 1 | 2): string {
  const { b, params, step } = ctx;
  const { kernel, strides, dilations } = spatialParams(params, spatial, true);
  const dk = depthwiseKernel(weight(ctx, 0, 'depthwise kernel'));
  const channels = inputShape(ctx)[spatial] as number;
  const mid = b.op1('Conv', `${step.name}_depthwise`, [channelsFirst(ctx, input(ctx), spatial), b.weight(`${step.name}/depthwise_kernel`, dk.dims, dk.data)], {
    group: attr.int(channels),
    kernel_shape: attr.ints(kernel),
    strides: attr.ints(strides),
    dilations: attr.ints(dilations),
    ...windowPadding(inputShape(ctx), str(params, 'padding'), kernel, strides, dilations),
  });
  const pk = convKernel(weight(ctx, 1, 'pointwise kernel'));
  const inputs = [mid, b.weight(`${step.name}/pointwise_kernel`, pk.dims, pk.data)];
  if (bool(params, 'use_bias')) inputs.push(b.weight(`${step.name}/bias`, weight(ctx, 2, 'bias').shape, weight(ctx, 2, 'bias').data));
  const y = b.op1('Conv', `${step.name}_pointwise`, inputs, { kernel_shape: attr.ints(new Array<number>(spatial).fill(1)) });
  return finishSpatial(ctx, y, spatial);
}

function pooling(ctx: MappingContext, spatial: 1 | 2 | 3, op: 'MaxPool' | 'AveragePool'): string {
  const { b, params, step } = ctx;
  const kernel = intTuple(params, 'pool_size', spatial);
  const strides = params.strides === null || params.strides === undefined ? kernel : intTuple(params, 'strides', spatial);
  const ones = new Array<number>(spatial).fill(1);
  const y = b.op1(op, `${step.name}_pool`, [channelsFirst(ctx, input(ctx), spatial)], {
    kernel_shape: attr.ints(kernel),
    strides: attr.ints(strides),
    // Keras's "same" average divides by the values inside the input only.
    ...(op === 'AveragePool' ? { count_include_pad: attr.int(0) } : {}),
    ...windowPadding(inputShape(ctx), str(params, 'padding'), kernel, strides, ones),
  });
  return channelsLast(ctx, y, spatial);
}

/** ReduceMean / ReduceMax over `axes`, with the axes as an attribute (opset < 18) or an input. */
function reduce(b: GraphBuilder, op: 'ReduceMean' | 'ReduceMax', base: string, x: string, axes: readonly number[], keepdims: boolean): string {
  const keep = { keepdims: attr.int(keepdims ? 1 : 0) };
  return b.opset >= 18 ? b.op1(op, base, [x, b.int64(axes)], keep) : b.op1(op, base, [x], { axes: attr.ints(axes), ...keep });
}

function globalPooling(ctx: MappingContext, spatial: 1 | 2 | 3, op: 'ReduceMean' | 'ReduceMax'): string {
  const axes = Array.from({ length: spatial }, (_, i) => i + 1);
  return reduce(ctx.b, op, ctx.step.name, input(ctx), axes, bool(ctx.params, 'keepdims'));
}

// ---------------------------------------------------------------------------------------------
// Activation layers, padding, cropping, preprocessing

/** Keras's ReLU: Relu or Clip where it is one, else Where(x > threshold, min(x, max), slope · (x − threshold)). */
function reluLayer(ctx: MappingContext): string {
  const { b, params, step } = ctx;
  const x = input(ctx);
  const max = typeof params.max_value === 'number' ? params.max_value : null;
  const slope = num(params, 'negative_slope');
  const threshold = num(params, 'threshold');
  if (slope === 0 && threshold === 0) {
    return max === null ? b.op1('Relu', step.name, [x]) : b.op1('Clip', step.name, [x, b.float([0]), b.float([max])]);
  }
  const above = max === null ? x : b.op1('Min', `${step.name}_cap`, [x, b.float([max])]);
  const below = b.op1('Mul', `${step.name}_below`, [b.op1('Sub', `${step.name}_shift`, [x, b.float([threshold])]), b.float([slope])]);
  return b.op1('Where', step.name, [b.op1('Greater', `${step.name}_above`, [x, b.float([threshold])]), above, below]);
}

/**
 * TensorFlow's half-pixel resize of a channels-last image by the given scales: "half_pixel" for
 * bilinear, "tf_half_pixel_for_nn" (floor((o + 0.5) / scale)) for nearest.
 */
function resize(ctx: MappingContext, scaleH: number, scaleW: number, interpolation: string): string {
  const bilinear = interpolation === 'bilinear';
  return ctx.b.op1('Resize', ctx.step.name, [input(ctx), '', ctx.b.float([1, scaleH, scaleW, 1], [4])], {
    mode: attr.string(bilinear ? 'linear' : 'nearest'),
    coordinate_transformation_mode: attr.string(bilinear ? 'half_pixel' : 'tf_half_pixel_for_nn'),
    ...(bilinear ? {} : { nearest_mode: attr.string('floor') }),
  });
}

/** `pads` of ONNX's Pad for a channels-last tensor: zero for batch and channels. */
function padAmounts(pairs: readonly (readonly [number, number])[]): number[] {
  return [0, ...pairs.map((p) => p[0]), 0, 0, ...pairs.map((p) => p[1]), 0];
}

function sidePairs(params: Params, name: string, spatial: 1 | 2 | 3): [number, number][] {
  const v = intTuple(params, name, 2 * spatial);
  return Array.from({ length: spatial }, (_, i) => [v[2 * i], v[2 * i + 1]] as [number, number]);
}

function zeroPadding(ctx: MappingContext, spatial: 1 | 2 | 3): string {
  return ctx.b.op1('Pad', ctx.step.name, [input(ctx), ctx.b.int64(padAmounts(sidePairs(ctx.params, 'padding', spatial)))], { mode: attr.string('constant') });
}

/** Slice from `before` to `-after` on each spatial axis (an end past the size is clamped, so 2^31 − 1 means "to the end"). */
function cropping(ctx: MappingContext, spatial: 1 | 2 | 3): string {
  const pairs = sidePairs(ctx.params, 'cropping', spatial);
  const starts = pairs.map((p) => p[0]);
  const ends = pairs.map((p) => (p[1] > 0 ? -p[1] : 2147483647));
  const axes = pairs.map((_, i) => i + 1);
  return ctx.b.op1('Slice', ctx.step.name, [input(ctx), ctx.b.int64(starts), ctx.b.int64(ends), ctx.b.int64(axes)]);
}

/** (x − mean) / max(√variance, 1e-7) with the statistics as constants shaped to broadcast over the other axes. */
function normalization(ctx: MappingContext): string {
  const { b, step } = ctx;
  const shape = inputShape(ctx);
  const rank = shape.length + 1;
  const raw = num(ctx.params, 'axis');
  const axis = raw < 0 ? raw + rank : raw;
  const mean = weight(ctx, 0, 'mean');
  const variance = weight(ctx, 1, 'variance');
  const dims = Array.from({ length: rank - axis }, (_, i) => (i === 0 ? mean.shape[0] : 1));
  const std = Float32Array.from(variance.data, (v) => Math.max(Math.sqrt(v), 1e-7));
  const centered = b.op1('Sub', `${step.name}_centered`, [input(ctx), b.weight(`${step.name}/mean`, dims, mean.data)]);
  return b.op1('Div', step.name, [centered, b.weight(`${step.name}/std`, dims, std)]);
}

function prelu(ctx: MappingContext): string {
  const alpha = weight(ctx, 0, 'alpha');
  return ctx.b.op1('PRelu', ctx.step.name, [input(ctx), ctx.b.weight(`${ctx.step.name}/alpha`, alpha.shape, alpha.data)]);
}

// ---------------------------------------------------------------------------------------------
// Core

function dense(ctx: MappingContext): string {
  const { b, params, step } = ctx;
  const k = weight(ctx, 0, 'kernel');
  let y = b.op1('MatMul', `${step.name}_matmul`, [input(ctx), b.weight(`${step.name}/kernel`, k.shape, k.data)]);
  if (bool(params, 'use_bias')) {
    const bias = weight(ctx, 1, 'bias');
    y = b.op1('Add', `${step.name}_bias`, [y, b.weight(`${step.name}/bias`, bias.shape, bias.data)]);
  }
  return activation(b, step.name, y, str(params, 'activation'), step.def.type);
}

function reshape(ctx: MappingContext): string {
  // Keras checks the size; the resolved output shape (one -1 inferred) keeps ONNX's shape as Keras's.
  const target = ctx.shape.map((d) => d ?? -1);
  return ctx.b.op1('Reshape', ctx.step.name, [input(ctx), ctx.b.int64([0, ...target])]);
}

function flatten(ctx: MappingContext): string {
  // Channels-last memory order is Keras's, so flattening needs no transpose.
  if (inputShape(ctx).length === 1) return input(ctx);
  return ctx.b.op1('Flatten', ctx.step.name, [input(ctx)], { axis: attr.int(1) });
}

// ---------------------------------------------------------------------------------------------
// Normalization

function batchNorm(ctx: MappingContext): string {
  const { b, step } = ctx;
  // The weights present, in Keras's order: gamma (scale on), beta (center on), moving mean, variance.
  const center = ctx.params.center !== false;
  const scaled = ctx.params.scale !== false;
  let i = 0;
  const gammaW = scaled ? weight(ctx, i++, 'gamma').data : null;
  const betaW = center ? weight(ctx, i++, 'beta').data : null;
  const mean = weight(ctx, i++, 'moving mean').data;
  const variance = weight(ctx, i, 'moving variance').data;
  const eps = num(ctx.params, 'epsilon');
  // Inference is an affine map per feature on the last axis: x · scale + shift, as
  // tf.nn.batch_normalization computes it (ONNX's BatchNormalization wants channels on axis 1).
  // Without gamma the factor is 1, without beta the offset 0, as in Keras.
  const scale = new Float32Array(mean.length);
  const shift = new Float32Array(mean.length);
  for (let k = 0; k < mean.length; k++) {
    scale[k] = Math.fround((gammaW ? gammaW[k] : 1) / Math.sqrt(Math.fround(variance[k] + eps)));
    shift[k] = Math.fround((betaW ? betaW[k] : 0) - mean[k] * scale[k]);
  }
  b.decomposed('BatchNormalization', 'inference form x · scale + shift per channel (channels-last, so no ONNX BatchNormalization, which wants channels on axis 1)');
  const y = b.op1('Mul', `${step.name}_scale`, [input(ctx), b.weight(`${step.name}/scale`, [mean.length], scale)]);
  return b.op1('Add', step.name, [y, b.weight(`${step.name}/shift`, [mean.length], shift)]);
}

/** LayerNormalization's axes as per-sample indices + 1 (ONNX numbering with the batch as 0), sorted. */
function layerNormAxes(ctx: MappingContext): number[] {
  const rank = inputShape(ctx).length + 1;
  const raw = ctx.params.axis;
  const list = typeof raw === 'number' ? [raw] : Array.isArray(raw) && raw.length ? (raw as readonly (number | null)[]).map((d) => d ?? -1) : [-1];
  return list.map((a) => (a < 0 ? a + rank : a)).sort((x, y) => x - y);
}

function layerNorm(ctx: MappingContext): string {
  const { b, step } = ctx;
  const center = ctx.params.center !== false;
  const scaled = ctx.params.scale !== false;
  const axes = layerNormAxes(ctx);
  const shape = inputShape(ctx);
  const rank = shape.length + 1;
  // gamma / beta broadcast over the sample: their sizes on the normalized axes, 1 elsewhere.
  const broadcast = shape.map((d, k) => (axes.includes(k + 1) ? (d ?? 1) : 1));
  let i = 0;
  const gamma = scaled ? weight(ctx, i++, 'gamma') : null;
  const beta = center ? weight(ctx, i, 'beta') : null;
  const eps = num(ctx.params, 'epsilon');
  const x = input(ctx);
  // ONNX's op normalizes the trailing axes from `axis` on, and needs a scale of their shape.
  const trailing = axes.every((a, k) => a === rank - axes.length + k);
  if (b.opset >= 17 && trailing && gamma) {
    const inputs = [x, b.weight(`${step.name}/gamma`, gamma.shape, gamma.data), ...(beta ? [b.weight(`${step.name}/beta`, beta.shape, beta.data)] : [])];
    return b.op1('LayerNormalization', step.name, inputs, { axis: attr.int(axes[0] - rank), epsilon: attr.float(eps) });
  }
  const g = gamma ? b.weight(`${step.name}/gamma`, broadcast, gamma.data) : null;
  const be = beta ? b.weight(`${step.name}/beta`, broadcast, beta.data) : null;
  b.decomposed(
    'LayerNormalization',
    b.opset >= 17 ? 'mean and variance over its axes by ReduceMean (ONNX LayerNormalization needs trailing axes and a scale)' : `mean and variance over its axes by ReduceMean: LayerNormalization is an op from opset 17 (this export uses ${b.opset})`,
  );
  const mean = reduce(b, 'ReduceMean', `${step.name}_mean`, x, axes, true);
  const centred = b.op1('Sub', `${step.name}_centred`, [x, mean]);
  const variance = reduce(b, 'ReduceMean', `${step.name}_var`, b.op1('Mul', `${step.name}_sq`, [centred, centred]), axes, true);
  const std = b.op1('Sqrt', `${step.name}_std`, [b.op1('Add', `${step.name}_var_eps`, [variance, b.float([eps])])]);
  let y = b.op1('Div', g || be ? `${step.name}_normed` : step.name, [centred, std]);
  if (g) y = b.op1('Mul', be ? `${step.name}_scaled` : step.name, [y, g]);
  if (be) y = b.op1('Add', step.name, [y, be]);
  return y;
}

// ---------------------------------------------------------------------------------------------
// Merges

function merge(op: 'Add' | 'Sub' | 'Mul' | 'Max' | 'Min' | 'Average'): OnnxMapping {
  return (ctx) => {
    const xs = ctx.inputs.map((_, i) => input(ctx, i));
    if (op === 'Sub') return ctx.b.op1('Sub', ctx.step.name, xs);
    if (op === 'Average') return ctx.b.op1('Div', ctx.step.name, [ctx.b.op1('Sum', `${ctx.step.name}_sum`, xs), ctx.b.float([xs.length])]);
    if (op === 'Max' || op === 'Min') return ctx.b.op1(op, ctx.step.name, xs);
    // Pairwise, left to right, as Keras adds and multiplies.
    let y = xs[0];
    for (let i = 1; i < xs.length; i++) y = ctx.b.op1(op, i === xs.length - 1 ? ctx.step.name : `${ctx.step.name}_${i}`, [y, xs[i]]);
    return y;
  };
}

// ---------------------------------------------------------------------------------------------
// Embeddings

function embedding(ctx: MappingContext): string {
  // A padding mask changes what the recurrent and pooling layers after it compute, and ONNX's
  // operators take no per-step mask.
  if (ctx.params.mask_zero === true) {
    throw new Error(
      `Embedding "${ctx.step.node.label}" treats id 0 as padding (mask_zero), which ONNX's operators cannot carry to the layers after it, so the model cannot be exported to ONNX. Export Keras or TypeScript code, or turn mask_zero off.`,
    );
  }
  const table = weight(ctx, 0, 'embeddings');
  // Keras (and tfjs) cast float ids to int32, truncating toward zero; ONNX's Cast does the same.
  const ids = ctx.inputTypes[0] === 'int32' ? input(ctx) : ctx.b.op1('Cast', `${ctx.step.name}_ids`, [input(ctx)], { to: attr.int(ONNX_INT32) });
  return ctx.b.op1('Gather', ctx.step.name, [ctx.b.weight(`${ctx.step.name}/embeddings`, table.shape, table.data), ids], { axis: attr.int(0) });
}

function masking(ctx: MappingContext): string {
  throw new Error(
    `Masking "${ctx.step.node.label}" marks padded steps, which ONNX's operators cannot carry to the layers after it, so the model cannot be exported to ONNX. Export Keras or TypeScript code, or remove the Masking block.`,
  );
}

function positionEmbedding(ctx: MappingContext): string {
  const { b, step } = ctx;
  const table = weight(ctx, 0, 'embeddings');
  const x = input(ctx);
  // The first `length` rows (length = the input's second-to-last size), broadcast to the input's shape.
  const shape = b.op1('Shape', `${step.name}_shape`, [x]);
  const length = b.op1('Gather', `${step.name}_length`, [shape, b.int64([-2])], { axis: attr.int(0) });
  const rows = b.op1('Slice', `${step.name}_rows`, [b.weight(`${step.name}/embeddings`, table.shape, table.data), b.int64([0]), length, b.int64([0])]);
  return b.op1('Expand', step.name, [rows, shape]);
}

// ---------------------------------------------------------------------------------------------
// Recurrent

/** Keras activations ONNX's RNN / LSTM / GRU ops run natively, by their ONNX names. */
const RNN_ACTIVATIONS: Readonly<Record<string, string>> = { sigmoid: 'Sigmoid', tanh: 'Tanh', relu: 'Relu', linear: 'Affine', elu: 'Elu' };

interface RecurrentSpec {
  readonly gates: number;
  /** ONNX gate slot j takes Keras gate `order[j]` (LSTM: Keras i,f,c,o → ONNX i,o,f,c). */
  readonly order: readonly number[];
  readonly op: 'RNN' | 'LSTM' | 'GRU';
}

const RECURRENT: Readonly<Record<string, RecurrentSpec>> = {
  SimpleRNN: { gates: 1, order: [0], op: 'RNN' },
  LSTM: { gates: 4, order: [0, 3, 1, 2], op: 'LSTM' },
  GRU: { gates: 3, order: [0, 1, 2], op: 'GRU' },
};

/** Keras (rows, gates·H) kernel → ONNX (gates·H, rows) with gates in ONNX's order. */
function gateMatrix(w: OnnxWeight, units: number, order: readonly number[]): Float32Array {
  const [rows, cols] = w.shape;
  const out = new Float32Array(rows * cols);
  order.forEach((src, j) => {
    for (let u = 0; u < units; u++) for (let r = 0; r < rows; r++) out[(j * units + u) * rows + r] = w.data[r * cols + src * units + u];
  });
  return out;
}

function gateBias(w: OnnxWeight | null, units: number, order: readonly number[]): Float32Array {
  const g = order.length;
  // ONNX's B is [Wb, Rb]. Keras has one bias per gate (GRU reset_after=False included), so Rb is
  // zero; a GRU with reset_after has a (2, 3·units) bias whose second row is Rb.
  const out = new Float32Array(2 * g * units);
  if (!w) return out;
  const rows = w.shape.length === 2 ? w.shape[0] : 1;
  for (let row = 0; row < rows; row++) {
    order.forEach((src, j) => out.set(w.data.subarray(row * g * units + src * units, row * g * units + (src + 1) * units), row * g * units + j * units));
  }
  return out;
}

/** Merges the two directions of a Bidirectional layer (each (B, …, H)) as Keras's merge_mode. */
function mergeDirections(b: GraphBuilder, base: string, fwd: string, bwd: string, mode: string): string {
  switch (mode) {
    case 'sum':
      return b.op1('Add', base, [fwd, bwd]);
    case 'mul':
      return b.op1('Mul', base, [fwd, bwd]);
    case 'ave':
      return b.op1('Div', base, [b.op1('Add', `${base}_sum`, [fwd, bwd]), b.float([2])]);
    default:
      return b.op1('Concat', base, [fwd, bwd], { axis: attr.int(-1) });
  }
}

function recurrent(ctx: MappingContext): string {
  const spec = RECURRENT[ctx.step.def.type];
  const act = str(ctx.params, 'activation');
  const gate = spec.gates > 1 ? str(ctx.params, 'recurrent_activation') : null;
  const native = act in RNN_ACTIVATIONS && (gate === null || gate in RNN_ACTIVATIONS);
  if (native) return recurrentNative(ctx, spec);
  ctx.b.decomposed(`${ctx.step.def.type} (${act})`, `a Scan over the steps whose body is the Keras cell in MatMul: ONNX's ${spec.op} op has no ${act} activation`);
  return recurrentScan(ctx, spec);
}

function recurrentNative(ctx: MappingContext, spec: RecurrentSpec): string {
  const { b, params, step } = ctx;
  const units = num(params, 'units');
  const bidirectional = bool(params, 'bidirectional');
  const useBias = bool(params, 'use_bias');
  const per = useBias ? 3 : 2;
  const dirs = bidirectional ? 2 : 1;
  const features = inputShape(ctx)[1] as number;
  const W: Float32Array[] = [];
  const R: Float32Array[] = [];
  const B: Float32Array[] = [];
  for (let d = 0; d < dirs; d++) {
    W.push(gateMatrix(weight(ctx, d * per, 'kernel'), units, spec.order));
    R.push(gateMatrix(weight(ctx, d * per + 1, 'recurrent kernel'), units, spec.order));
    B.push(gateBias(useBias ? weight(ctx, d * per + 2, 'bias') : null, units, spec.order));
  }
  const cat = (xs: Float32Array[]): Float32Array => {
    const out = new Float32Array(xs.reduce((a, x) => a + x.length, 0));
    let at = 0;
    for (const x of xs) {
      out.set(x, at);
      at += x.length;
    }
    return out;
  };
  const g = spec.gates;
  const inputs = [
    b.op1('Transpose', `${step.name}_time_major`, [input(ctx)], { perm: attr.ints([1, 0, 2]) }),
    b.weight(`${step.name}/W`, [dirs, g * units, features], cat(W)),
    b.weight(`${step.name}/R`, [dirs, g * units, units], cat(R)),
  ];
  if (useBias) inputs.push(b.weight(`${step.name}/B`, [dirs, 2 * g * units], cat(B)));
  const names = [...(spec.gates > 1 ? [str(params, 'recurrent_activation')] : []), str(params, 'activation'), ...(spec.op === 'LSTM' ? [str(params, 'activation')] : [])].map(
    (a) => RNN_ACTIVATIONS[a],
  );
  const activations = bidirectional ? [...names, ...names] : names;
  const backwards = bool(params, 'go_backwards');
  const attributes: Record<string, OnnxAttribute> = {
    hidden_size: attr.int(units),
    direction: attr.string(bidirectional ? 'bidirectional' : backwards ? 'reverse' : 'forward'),
    activations: attr.strings(activations),
  };
  if (activations.some((a) => a === 'Affine' || a === 'Elu')) {
    // Affine (linear) is 1·x + 0 and Elu's alpha is 1; every entry carries those values, however the runtime assigns them.
    attributes.activation_alpha = attr.floats(activations.map(() => 1));
    attributes.activation_beta = attr.floats(activations.map(() => 0));
  }
  // linear_before_reset=1 is Keras's reset_after=True: r ⊙ (h·R_h + Rb_h).
  if (spec.op === 'GRU') attributes.linear_before_reset = attr.int(bool(params, 'reset_after') ? 1 : 0);
  const outs = b.op(spec.op, `${step.name}_${spec.op.toLowerCase()}`, inputs, attributes, 2);
  const [Y, Yh] = outs;
  const sequences = bool(params, 'return_sequences');
  const mode = str(params, 'merge_mode');
  if (!sequences) {
    // Y_h (dirs, B, H): the state after the last step each direction read, as Keras returns.
    if (!bidirectional) return b.op1('Squeeze', step.name, [Yh, b.int64([0])]);
    const fwd = b.op1('Gather', `${step.name}_fwd`, [Yh, b.int64([0], true)], { axis: attr.int(0) });
    const bwd = b.op1('Gather', `${step.name}_bwd`, [Yh, b.int64([1], true)], { axis: attr.int(0) });
    return mergeDirections(b, step.name, fwd, bwd, mode);
  }
  // Y (T, dirs, B, H) → (B, T, dirs, H). ONNX aligns every direction's outputs with the input steps.
  const batchMajor = b.op1('Transpose', `${step.name}_batch_major`, [Y], { perm: attr.ints([2, 0, 1, 3]) });
  if (bidirectional) {
    // Keras's Bidirectional flips the backward outputs back into input order too: they line up.
    if (mode === 'concat') return b.op1('Reshape', step.name, [batchMajor, b.int64([0, 0, -1])]);
    const fwd = b.op1('Gather', `${step.name}_fwd`, [batchMajor, b.int64([0], true)], { axis: attr.int(2) });
    const bwd = b.op1('Gather', `${step.name}_bwd`, [batchMajor, b.int64([1], true)], { axis: attr.int(2) });
    return mergeDirections(b, step.name, fwd, bwd, mode);
  }
  const seq = b.op1('Squeeze', backwards ? `${step.name}_input_order` : step.name, [batchMajor, b.int64([2])]);
  if (!backwards) return seq;
  // Keras's go_backwards returns the outputs in reading order (last input step first).
  return b.op1('Slice', step.name, [seq, b.int64([-1]), b.int64([INT64_MIN]), b.int64([1]), b.int64([-1])]);
}

/**
 * One direction of a recurrent layer as an ONNX Scan over the time axis, its body one step of the
 * Keras cell with MatMul on Keras's weight layout (any activation, any sequence length).
 * `inInputOrder`: the outputs aligned with the input steps (a Bidirectional's backward half);
 * otherwise in reading order, as Keras's go_backwards returns them.
 */
function scanDirection(ctx: MappingContext, spec: RecurrentSpec, offset: number, backwards: boolean, inInputOrder: boolean, tag: string): { sequence: string; last: string } {
  const { b, params, step } = ctx;
  const units = num(params, 'units');
  const useBias = bool(params, 'use_bias');
  const base = `${step.name}_${tag}`;
  const k = weight(ctx, offset, 'kernel');
  const u = weight(ctx, offset + 1, 'recurrent kernel');
  const kernel = b.weight(`${step.name}/${tag}/kernel`, k.shape, k.data);
  const rec = b.weight(`${step.name}/${tag}/recurrent_kernel`, u.shape, u.data);
  const rawBias = useBias ? weight(ctx, offset + 2, 'bias') : null;
  // A GRU with reset_after has a (2, 3·units) bias: the input row, then the recurrent row.
  const resetAfter = spec.op === 'GRU' && bool(params, 'reset_after');
  const gates = spec.gates * units;
  const bias = rawBias
    ? resetAfter
      ? b.weight(`${step.name}/${tag}/input_bias`, [gates], rawBias.data.slice(0, gates))
      : b.weight(`${step.name}/${tag}/bias`, rawBias.shape, rawBias.data)
    : null;
  const recurrentBias = rawBias && resetAfter ? b.weight(`${step.name}/${tag}/recurrent_bias`, [gates], rawBias.data.slice(gates, 2 * gates)) : null;
  const act = str(params, 'activation');
  const gateAct = spec.gates > 1 ? str(params, 'recurrent_activation') : 'linear';
  const type = step.def.type;
  const x = input(ctx);
  // Zero initial state shaped (B, H), from the batch size of the input.
  const batch = b.op1('Gather', `${base}_batch`, [b.op1('Shape', `${base}_shape`, [x]), b.int64([0])], { axis: attr.int(0) });
  const stateShape = b.op1('Concat', `${base}_state_shape`, [batch, b.int64([units])], { axis: attr.int(0) });
  const zeros = b.op1('Expand', `${base}_h0`, [b.float(new Array<number>(units).fill(0), [1, units]), stateShape]);
  // GRU's recurrent kernel per gate (z, r, h): columns of Keras's (H, 3·H), sliced once outside the loop.
  const gruRec = spec.op === 'GRU' && !resetAfter ? [0, 1, 2].map((g) => b.op1('Slice', `${base}_u${g}`, [rec, b.int64([g * units]), b.int64([(g + 1) * units]), b.int64([1])])) : [];

  const body = new GraphBuilder(b.opset, b);
  const hIn = body.fresh(`${base}_h_in`);
  const cIn = spec.op === 'LSTM' ? body.fresh(`${base}_c_in`) : null;
  const xt = body.fresh(`${base}_x_t`);
  const s = `${base}_step`;
  const slice = (t: string, gate: number): string => body.op1('Slice', `${t}_g${gate}`, [t, body.int64([gate * units]), body.int64([(gate + 1) * units]), body.int64([1])]);
  let xw = body.op1('MatMul', `${s}_xw`, [xt, kernel]);
  if (bias) xw = body.op1('Add', `${s}_xwb`, [xw, bias]);
  let h: string;
  let c: string | null = null;
  if (spec.op === 'RNN') {
    h = activation(body, `${s}_h`, body.op1('Add', `${s}_z`, [xw, body.op1('MatMul', `${s}_hu`, [hIn, rec])]), act, type);
  } else if (spec.op === 'LSTM') {
    const z = body.op1('Add', `${s}_z`, [xw, body.op1('MatMul', `${s}_hu`, [hIn, rec])]);
    const i = activation(body, `${s}_i`, slice(z, 0), gateAct, type);
    const f = activation(body, `${s}_f`, slice(z, 1), gateAct, type);
    const cc = activation(body, `${s}_cc`, slice(z, 2), act, type);
    const o = activation(body, `${s}_o`, slice(z, 3), gateAct, type);
    c = body.op1('Add', `${s}_c`, [body.op1('Mul', `${s}_fc`, [f, cIn as string]), body.op1('Mul', `${s}_ic`, [i, cc])]);
    h = body.op1('Mul', `${s}_h`, [o, activation(body, `${s}_ca`, c, act, type)]);
  } else if (resetAfter) {
    // GRU, reset_after=True: the reset gate scales the recurrent product (with its own bias).
    let hu = body.op1('MatMul', `${s}_hu`, [hIn, rec]);
    if (recurrentBias) hu = body.op1('Add', `${s}_hub`, [hu, recurrentBias]);
    const z = activation(body, `${s}_zg`, body.op1('Add', `${s}_zs`, [slice(xw, 0), slice(hu, 0)]), gateAct, type);
    const r = activation(body, `${s}_rg`, body.op1('Add', `${s}_rs`, [slice(xw, 1), slice(hu, 1)]), gateAct, type);
    const hh = activation(body, `${s}_hh`, body.op1('Add', `${s}_hs`, [slice(xw, 2), body.op1('Mul', `${s}_rh`, [r, slice(hu, 2)])]), act, type);
    h = body.op1('Add', `${s}_h`, [body.op1('Mul', `${s}_zh`, [z, hIn]), body.op1('Mul', `${s}_zhh`, [body.op1('Sub', `${s}_1mz`, [body.float([1]), z]), hh])]);
  } else {
    // GRU, reset_after=False: gates z, r, h; the reset gate scales the state before its product.
    const [uz, ur, uh] = gruRec as [string, string, string];
    const z = activation(body, `${s}_zg`, body.op1('Add', `${s}_zs`, [slice(xw, 0), body.op1('MatMul', `${s}_hz`, [hIn, uz])]), gateAct, type);
    const r = activation(body, `${s}_rg`, body.op1('Add', `${s}_rs`, [slice(xw, 1), body.op1('MatMul', `${s}_hr`, [hIn, ur])]), gateAct, type);
    const hh = activation(body, `${s}_hh`, body.op1('Add', `${s}_hs`, [slice(xw, 2), body.op1('MatMul', `${s}_rh`, [body.op1('Mul', `${s}_rhp`, [r, hIn]), uh])]), act, type);
    // h = z · h_prev + (1 − z) · hh
    h = body.op1('Add', `${s}_h`, [body.op1('Mul', `${s}_zh`, [z, hIn]), body.op1('Mul', `${s}_zhh`, [body.op1('Sub', `${s}_1mz`, [body.float([1]), z]), hh])]);
  }
  // Body outputs are new names: the state (h, c), then the step's output.
  const hOut = body.op1('Identity', `${base}_h_out`, [h]);
  const cOut = c ? body.op1('Identity', `${base}_c_out`, [c]) : null;
  const y = body.op1('Identity', `${base}_y`, [h]);
  const float = (name: string): { name: string; type: 'float32' } => ({ name, type: 'float32' });
  const states = cIn ? 2 : 1;
  const outs = b.op(
    'Scan',
    `${base}_scan`,
    [zeros, ...(cIn ? [zeros] : []), x],
    {
      body: attr.graph({
        name: `${base}_body`,
        nodes: body.nodes,
        inputs: [float(hIn), ...(cIn ? [float(cIn)] : []), float(xt)],
        outputs: [float(hOut), ...(cOut ? [float(cOut)] : []), float(y)],
      }),
      num_scan_inputs: attr.int(1),
      scan_input_axes: attr.ints([1]),
      scan_input_directions: attr.ints([backwards ? 1 : 0]),
      scan_output_axes: attr.ints([1]),
      scan_output_directions: attr.ints([backwards && inInputOrder ? 1 : 0]),
    },
    states + 1,
  );
  return { last: outs[0], sequence: outs[states] };
}

function recurrentScan(ctx: MappingContext, spec: RecurrentSpec): string {
  const { b, params, step } = ctx;
  const per = bool(params, 'use_bias') ? 3 : 2;
  const sequences = bool(params, 'return_sequences');
  if (!bool(params, 'bidirectional')) {
    const run = scanDirection(ctx, spec, 0, bool(params, 'go_backwards'), false, 'fw');
    return b.op1('Identity', step.name, [sequences ? run.sequence : run.last]);
  }
  const fwd = scanDirection(ctx, spec, 0, false, false, 'fw');
  // Keras's Bidirectional flips the backward outputs back into input order.
  const bwd = scanDirection(ctx, spec, per, true, true, 'bw');
  const mode = str(params, 'merge_mode');
  return sequences ? mergeDirections(b, step.name, fwd.sequence, bwd.sequence, mode) : mergeDirections(b, step.name, fwd.last, bwd.last, mode);
}

// ---------------------------------------------------------------------------------------------
// Attention

function attention(ctx: MappingContext): string {
  const { b, params, step } = ctx;
  const heads = num(params, 'num_heads');
  const keyDim = num(params, 'key_dim');
  const valueDim = typeof params.value_dim === 'number' ? params.value_dim : keyDim;
  const useBias = bool(params, 'use_bias');
  if (ctx.inputShapes.some((shape) => shape !== null && shape.length !== 2)) {
    throw new Error(
      `MultiHeadAttention "${step.node.label}" attends over rank-4/5 inputs (attention_axes), which the ONNX export does not write yet. Export Keras or TypeScript code, or Reshape to a sequence (None, length, features) before it.`,
    );
  }
  b.decomposed('MultiHeadAttention', 'projections by MatMul, per-head scores by MatMul, Softmax, causal mask by Where: ONNX has no multi-head attention op in the default domain before opset 23');
  const query = input(ctx, 0);
  const value = input(ctx, 1);
  const key = ctx.inputs[2] ?? value;
  let at = 0;
  const next = (what: string): OnnxWeight => weight(ctx, at++, what);
  // (B, L, d) → (B, heads, L, size), Keras's EinsumDense then heads before length.
  const project = (x: string, what: string, size: number): string => {
    const k = next(`${what} kernel`);
    let y = b.op1('MatMul', `${step.name}_${what}`, [x, b.weight(`${step.name}/${what}/kernel`, [k.shape[0], heads * size], k.data)]);
    if (useBias) {
      const bias = next(`${what} bias`);
      y = b.op1('Add', `${step.name}_${what}_b`, [y, b.weight(`${step.name}/${what}/bias`, [heads * size], bias.data)]);
    }
    const split = b.op1('Reshape', `${step.name}_${what}_heads`, [y, b.int64([0, 0, heads, size])]);
    return b.op1('Transpose', `${step.name}_${what}_bhld`, [split], { perm: attr.ints([0, 2, 1, 3]) });
  };
  // Keras scales the projected query, not the scores.
  const q = b.op1('Mul', `${step.name}_query_scaled`, [project(query, 'query', keyDim), b.float([1 / Math.sqrt(keyDim)])]);
  const k = project(key, 'key', keyDim);
  const v = project(value, 'value', valueDim);
  let scores = b.op1('MatMul', `${step.name}_scores`, [q, b.op1('Transpose', `${step.name}_key_t`, [k], { perm: attr.ints([0, 1, 3, 2]) })]);
  if (bool(params, 'use_causal_mask')) {
    // Position i of the query sees key positions j ≤ i (a lower triangle aligned top-left, as Keras's causal mask).
    const len = (x: string, tag: string): string =>
      b.op1('Squeeze', `${step.name}_${tag}_len`, [b.op1('Gather', `${step.name}_${tag}_len1`, [b.op1('Shape', `${step.name}_${tag}_shape`, [x]), b.int64([1])], { axis: attr.int(0) }), b.int64([0])]);
    const zero = b.int64([0], true);
    const one = b.int64([1], true);
    const rows = b.op1('Unsqueeze', `${step.name}_rows`, [b.op1('Range', `${step.name}_rows1`, [zero, len(query, 'q'), one]), b.int64([1])]);
    const cols = b.op1('Range', `${step.name}_cols`, [zero, len(key, 'k'), one]);
    const allowed = b.op1('GreaterOrEqual', `${step.name}_allowed`, [rows, cols]);
    scores = b.op1('Where', `${step.name}_masked`, [allowed, scores, b.float([-1e9])]);
  }
  const probs = b.op1('Softmax', `${step.name}_probs`, [scores], { axis: attr.int(-1) });
  const context = b.op1('Transpose', `${step.name}_context`, [b.op1('MatMul', `${step.name}_context_h`, [probs, v])], { perm: attr.ints([0, 2, 1, 3]) });
  const merged = b.op1('Reshape', `${step.name}_context_flat`, [context, b.int64([0, 0, heads * valueDim])]);
  const ko = next('attention_output kernel');
  let out = b.op1('MatMul', useBias ? `${step.name}_out` : step.name, [merged, b.weight(`${step.name}/attention_output/kernel`, [heads * valueDim, ko.shape[2]], ko.data)]);
  if (useBias) {
    const bo = next('attention_output bias');
    out = b.op1('Add', step.name, [out, b.weight(`${step.name}/attention_output/bias`, bo.shape, bo.data)]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// TimeDistributed

/**
 * A block with `time_distributed` on: the steps are folded into the batch ((B, T, …) → (B·T, …)),
 * the block's own mapping runs on that, and the result is unfolded to (B, T, …). The fold needs the
 * per-step sizes fixed; the unfold takes B and T from the input's shape, so both may vary.
 */
export function timeDistributedMapping(mapping: OnnxMapping, ctx: MappingContext): string {
  const { b, step } = ctx;
  const full = inputShape(ctx);
  const rest = full.slice(1);
  const outRest = ctx.shape.slice(1);
  if ([...rest, ...outRest].some((d) => d === null)) {
    throw new Error(
      `${step.def.type} "${step.node.label}" is time distributed over an input with a variable size after the time axis ${JSON.stringify(full)}: the ONNX export folds the steps into the batch and needs the per-step sizes fixed. Fix them on the Input, or export to Keras or TypeScript.`,
    );
  }
  const x = input(ctx);
  const folded = b.op1('Reshape', `${step.name}_fold_steps`, [x, b.int64([-1, ...(rest as number[])])]);
  const y = mapping({ ...ctx, inputs: [folded, ...ctx.inputs.slice(1)], inputShapes: [rest, ...ctx.inputShapes.slice(1)], shape: outRest });
  const batchAndSteps = b.op1('Slice', `${step.name}_batch_steps`, [b.op1('Shape', `${step.name}_shape`, [x]), b.int64([0]), b.int64([2]), b.int64([0])]);
  const target = b.op1('Concat', `${step.name}_unfold_shape`, [batchAndSteps, b.int64(outRest as number[])], { axis: attr.int(0) });
  return b.op1('Reshape', `${step.name}_unfold_steps`, [y, target]);
}

// ---------------------------------------------------------------------------------------------
// The table

/**
 * Every layer block's ONNX mapping, keyed by block type. A block added to the catalog gets its
 * mapping here in the same change (onnxMappings.test.ts fails otherwise).
 */
export const ONNX_MAPPINGS: Readonly<Record<string, OnnxMapping>> = {
  Dense: dense,
  Activation: (ctx) => activation(ctx.b, ctx.step.name, input(ctx), str(ctx.params, 'activation'), 'Activation'),
  Dropout: (ctx) => input(ctx),
  // Noise layers are identity outside training (an ONNX model only predicts).
  SpatialDropout1D: (ctx) => input(ctx),
  SpatialDropout2D: (ctx) => input(ctx),
  SpatialDropout3D: (ctx) => input(ctx),
  GaussianNoise: (ctx) => input(ctx),
  GaussianDropout: (ctx) => input(ctx),
  Flatten: flatten,
  Reshape: reshape,
  Conv1D: (ctx) => convLayer(ctx, 1),
  Conv2D: (ctx) => convLayer(ctx, 2),
  Conv3D: (ctx) => convLayer(ctx, 3),
  Conv1DTranspose: (ctx) => convTranspose(ctx, 1),
  Conv2DTranspose: (ctx) => convTranspose(ctx, 2),
  Conv3DTranspose: (ctx) => convTranspose(ctx, 3),
  DepthwiseConv1D: (ctx) => depthwiseConv(ctx, 1),
  DepthwiseConv2D: (ctx) => depthwiseConv(ctx, 2),
  SeparableConv1D: (ctx) => separableConv(ctx, 1),
  SeparableConv2D: (ctx) => separableConv(ctx, 2),
  MaxPooling1D: (ctx) => pooling(ctx, 1, 'MaxPool'),
  MaxPooling2D: (ctx) => pooling(ctx, 2, 'MaxPool'),
  MaxPooling3D: (ctx) => pooling(ctx, 3, 'MaxPool'),
  AveragePooling1D: (ctx) => pooling(ctx, 1, 'AveragePool'),
  AveragePooling2D: (ctx) => pooling(ctx, 2, 'AveragePool'),
  AveragePooling3D: (ctx) => pooling(ctx, 3, 'AveragePool'),
  GlobalAveragePooling1D: (ctx) => globalPooling(ctx, 1, 'ReduceMean'),
  GlobalAveragePooling2D: (ctx) => globalPooling(ctx, 2, 'ReduceMean'),
  GlobalAveragePooling3D: (ctx) => globalPooling(ctx, 3, 'ReduceMean'),
  GlobalMaxPooling1D: (ctx) => globalPooling(ctx, 1, 'ReduceMax'),
  GlobalMaxPooling2D: (ctx) => globalPooling(ctx, 2, 'ReduceMax'),
  GlobalMaxPooling3D: (ctx) => globalPooling(ctx, 3, 'ReduceMax'),
  // Nearest neighbour, TensorFlow's pixel alignment: source pixel = floor(output pixel / size).
  UpSampling2D: (ctx) => {
    const [sh, sw] = intTuple(ctx.params, 'size', 2);
    if (str(ctx.params, 'interpolation') === 'bilinear') return resize(ctx, sh, sw, 'bilinear');
    return ctx.b.op1('Resize', ctx.step.name, [input(ctx), '', ctx.b.float([1, sh, sw, 1], [4])], {
      mode: attr.string('nearest'),
      coordinate_transformation_mode: attr.string('asymmetric'),
      nearest_mode: attr.string('floor'),
    });
  },
  // Each step repeated: source = floor(output / size).
  UpSampling1D: (ctx) =>
    ctx.b.op1('Resize', ctx.step.name, [input(ctx), '', ctx.b.float([1, num(ctx.params, 'size'), 1], [3])], {
      mode: attr.string('nearest'),
      coordinate_transformation_mode: attr.string('asymmetric'),
      nearest_mode: attr.string('floor'),
    }),
  // Each voxel repeated: source = floor(output / size) on depth, height and width.
  UpSampling3D: (ctx) => {
    const [sd, sh, sw] = intTuple(ctx.params, 'size', 3);
    return ctx.b.op1('Resize', ctx.step.name, [input(ctx), '', ctx.b.float([1, sd, sh, sw, 1], [5])], {
      mode: attr.string('nearest'),
      coordinate_transformation_mode: attr.string('asymmetric'),
      nearest_mode: attr.string('floor'),
    });
  },
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  Resizing: (ctx) => {
    const [h, w] = inputShape(ctx) as number[];
    return resize(ctx, num(ctx.params, 'height') / h, num(ctx.params, 'width') / w, str(ctx.params, 'interpolation'));
  },
  ReLU: reluLayer,
  LeakyReLU: (ctx) => ctx.b.op1('LeakyRelu', ctx.step.name, [input(ctx)], { alpha: attr.float(num(ctx.params, 'negative_slope')) }),
  PReLU: prelu,
  ELU: (ctx) => ctx.b.op1('Elu', ctx.step.name, [input(ctx)], { alpha: attr.float(num(ctx.params, 'alpha')) }),
  Softmax: (ctx) => ctx.b.op1('Softmax', ctx.step.name, [input(ctx)], { axis: attr.int(num(ctx.params, 'axis')) }),
  ZeroPadding1D: (ctx) => zeroPadding(ctx, 1),
  ZeroPadding2D: (ctx) => zeroPadding(ctx, 2),
  ZeroPadding3D: (ctx) => zeroPadding(ctx, 3),
  Cropping1D: (ctx) => cropping(ctx, 1),
  Cropping2D: (ctx) => cropping(ctx, 2),
  Cropping3D: (ctx) => cropping(ctx, 3),
  CenterCrop: (ctx) => {
    const [[top], [left]] = centerCropSides(inputShape(ctx), num(ctx.params, 'height'), num(ctx.params, 'width'));
    const { b } = ctx;
    return b.op1('Slice', ctx.step.name, [input(ctx), b.int64([top, left]), b.int64([top + num(ctx.params, 'height'), left + num(ctx.params, 'width')]), b.int64([1, 2])]);
  },
  // (batch, features) → (batch, 1, features), broadcast to (batch, n, features).
  RepeatVector: (ctx) =>
    ctx.b.op1('Expand', ctx.step.name, [ctx.b.op1('Unsqueeze', `${ctx.step.name}_row`, [input(ctx), ctx.b.int64([1])]), ctx.b.int64([1, num(ctx.params, 'n'), 1])]),
  Permute: (ctx) => ctx.b.op1('Transpose', ctx.step.name, [input(ctx)], { perm: attr.ints([0, ...intTuple(ctx.params, 'dims', inputShape(ctx).length)]) }),
  Rescaling: (ctx) =>
    ctx.b.op1('Add', ctx.step.name, [ctx.b.op1('Mul', `${ctx.step.name}_scaled`, [input(ctx), ctx.b.float([num(ctx.params, 'scale')])]), ctx.b.float([num(ctx.params, 'offset')])]),
  Normalization: normalization,
  Add: merge('Add'),
  Subtract: merge('Sub'),
  Multiply: merge('Mul'),
  Average: merge('Average'),
  Maximum: merge('Max'),
  Minimum: merge('Min'),
  Concatenate: (ctx) => ctx.b.op1('Concat', ctx.step.name, ctx.inputs.map((_, i) => input(ctx, i)), { axis: attr.int(num(ctx.params, 'axis')) }),
  Embedding: embedding,
  PositionEmbedding: positionEmbedding,
  Masking: masking,
  SimpleRNN: recurrent,
  LSTM: recurrent,
  GRU: recurrent,
  MultiHeadAttention: attention,
};
