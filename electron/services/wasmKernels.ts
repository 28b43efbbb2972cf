/**
 * Training kernels for the tfjs `wasm` backend.
 *
 * The stock wasm backend (tfjs-backend-wasm 4.22) runs inference but lacks kernels that gradients
 * need — `Conv2DBackpropFilter` (every Conv1D/Conv2D/Conv2DTranspose/SeparableConv2D layer), the
 * depthwise gradients, `UnsortedSegmentSum` (the Embedding gradient) — and some of the gradient
 * kernels it has are slow (`Conv2DBackpropInput`, matmuls with a transposed operand: scalar loops)
 * or wrong (`MaxPoolGrad`, `MaxPool3DGrad`: see {@link REPLACED_WASM_KERNELS}).
 *
 * This module registers replacements built from kernels the wasm binary already has (no
 * recompiled wasm), so the heavy work stays on XNNPACK:
 * - `Conv2DBackpropFilter`: one convolution with batch and channels swapped — the input seen as
 *   `[inC, H, W, batch]` convolved with the output gradient seen as an `[outH, outW, batch, outC]`
 *   filter, the forward stride becoming the dilation.
 * - `Conv2DBackpropInput`: the forward convolution of the output gradient (zero-stuffed for
 *   strides > 1) with the 180°-rotated, in/out-swapped filter.
 * - `DepthwiseConv2dNativeBackpropInput`: the same with a depthwise convolution.
 * - `DepthwiseConv2dNativeBackpropFilter`: window patches from a depthwise convolution with one-hot
 *   filters, then one batched matmul per channel.
 * - `UnsortedSegmentSum`: `ScatterNd`, which sums rows that share an index.
 * - `BatchMatMul`, `_FusedMatMul`: an explicit Transpose before wasm's matmul, which only uses
 *   XNNPACK for untransposed operands.
 * - `MaxPoolGrad`: one JS pass over wasm memory (first maximum of each window, as on cpu).
 *
 * Any other kernel that the `cpu` backend has and wasm lacks is registered as a fallback that runs
 * the cpu kernel on copies of the data (correct, slow), so a model never stops on a missing
 * kernel; {@link wasmKernelStatus} and {@link wasmFallbackCalls} name those for the doctor.
 * {@link setupWasmBackend} also starts the multi-threaded wasm build (wasm/threads.ts).
 */
import type * as tfjs from '@tensorflow/tfjs';
import { useThreadedWasm } from './wasm/threads.js';

export { useThreadedWasm, MAX_WASM_THREADS, type WasmThreadsResult } from './wasm/threads.js';

type TF = typeof tfjs;
type TensorInfo = tfjs.TensorInfo;
type DataId = tfjs.DataId;
type KernelConfig = tfjs.KernelConfig;
type NamedAttrMap = tfjs.NamedAttrMap;
type NamedTensorInfoMap = tfjs.NamedTensorInfoMap;
type Rank4 = [number, number, number, number];
type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];
type PadParam = 'same' | 'valid' | number | ExplicitPadding;
type RoundingMode = 'floor' | 'round' | 'ceil' | undefined;

/** The parts of a tfjs backend (wasm or cpu) these kernels use. */
interface BackendLike {
  readSync(dataId: DataId): unknown;
  write(values: unknown, shape: number[], dtype: string): DataId;
  disposeData(dataId: DataId, force?: boolean): boolean;
}

/** The wasm backend's direct access to tensors in its heap. */
interface WasmHeapBackend extends BackendLike {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Kernels this module implements from wasm kernels (not the cpu fallback). */
export const WASM_TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'UnsortedSegmentSum',
  'MaxPoolGrad',
  'BatchMatMul',
  '_FusedMatMul',
  'Sum',
  'Mean',
] as const;

/**
 * wasm kernels that are replaced: slow ones (`Conv2DBackpropInput`, the matmuls, `Sum` and `Mean`
 * over leading axes) by the compositions here, and wrong ones — `MaxPoolGrad` (by a JS kernel) and `MaxPool3DGrad` (by the
 * cpu fallback) start their running maximum at the smallest positive float instead of -∞, so a
 * window whose values are all ≤ 0 loses its gradient (and ties go to the last maximum, where the
 * cpu backend takes the first). Also by the cpu fallback, found wrong by the every-block wasm
 * training test: `MaxPool3D` with "same" padding (outputs off by 0.39 relative), and both Conv3D
 * gradients (`Conv3DBackpropInputV2` off by 2–3.5, `Conv3DBackpropFilterV2` with strides 2 by 0.9).
 */
const REPLACED_WASM_KERNELS = new Set([
  'Sum',
  'Mean',
  'Conv2DBackpropInput',
  'MaxPoolGrad',
  'MaxPool3DGrad',
  'MaxPool3D',
  'Conv3DBackpropFilterV2',
  'Conv3DBackpropInputV2',
  'BatchMatMul',
  '_FusedMatMul',
]);

/**
 * cpu kernels that are never routed to the cpu fallback: complex numbers have no wasm storage
 * (a complex tensor cannot exist on wasm, so these cannot be reached) and `Draw` needs a canvas.
 */
const NO_FALLBACK = new Set(['Complex', 'ComplexAbs', 'Real', 'Imag', 'FFT', 'IFFT', 'Draw']);

/** Marks kernel functions registered here, so a second call recognises them. */
const OURS = Symbol.for('layerloom.wasmKernel');
type MarkedKernelFunc = KernelConfig['kernelFunc'] & { [OURS]?: 'native' | 'fallback' };

/** What {@link registerWasmTrainingKernels} did. */
export interface WasmKernelRegistration {
  /** Kernels implemented from wasm kernels by this module. */
  readonly registered: string[];
  /** Kernels that run on the cpu backend through the copy fallback (slow; listed by the doctor). */
  readonly fallbacks: string[];
}

/**
 * Registers the missing training kernels (and cpu fallbacks for anything else missing) for the
 * `wasm` backend. Idempotent: kernels already registered (by an earlier call, or natively by a
 * newer tfjs-backend-wasm) are left as they are. Call after `await tf.setBackend('wasm')`.
 */
export function registerWasmTrainingKernels(tf: TF): WasmKernelRegistration {
  const impls = nativeKernels(tf, (name) => originalKernel(tf, name));
  for (const name of WASM_TRAINING_KERNELS) {
    const existing = tf.getKernel(name, 'wasm');
    if (existing && (isOurs(existing) || !REPLACED_WASM_KERNELS.has(name))) continue;
    if (existing) tf.unregisterKernel(name, 'wasm');
    const kernelFunc = impls[name] as MarkedKernelFunc;
    kernelFunc[OURS] = 'native';
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc });
  }
  for (const name of REPLACED_WASM_KERNELS) {
    const existing = tf.getKernel(name, 'wasm');
    if (existing && !isOurs(existing)) tf.unregisterKernel(name, 'wasm');
  }
  const wasmNames = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
  for (const k of tf.getKernelsForBackend('cpu')) {
    if (wasmNames.has(k.kernelName) || NO_FALLBACK.has(k.kernelName)) continue;
    const kernelFunc = cpuFallback(tf, k.kernelName) as MarkedKernelFunc;
    kernelFunc[OURS] = 'fallback';
    tf.registerKernel({ kernelName: k.kernelName, backendName: 'wasm', kernelFunc });
  }
  return wasmKernelStatus(tf);
}

/** The state of a wasm backend made by {@link setupWasmBackend} (for the backend doctor). */
export interface WasmBackendReport extends WasmKernelRegistration {
  /** XNNPACK threads (1 = the stock single-threaded build). */
  readonly threads: number;
  /** Why the backend runs on one thread, when it does. */
  readonly threadNote?: string;
}

/**
 * Makes `wasm` the active backend, ready to train: the multi-threaded build when it can start
 * (see wasm/threads.ts), then the training kernels. `threads: 1` keeps the stock single-threaded
 * build. Throws when the wasm backend cannot start at all.
 */
export async function setupWasmBackend(tf: TF, options: { threads?: number } = {}): Promise<WasmBackendReport> {
  await import('@tensorflow/tfjs-backend-wasm'); // registers the stock backend and its kernels
  const t = options.threads === 1 ? { threads: 1, threaded: false, reason: 'One thread was asked for.' } : await useThreadedWasm(tf, options);
  if (tf.getBackend() !== 'wasm' && !(await tf.setBackend('wasm'))) {
    throw new Error('The tfjs wasm backend could not start (its .wasm file may be missing from @tensorflow/tfjs-backend-wasm).');
  }
  await tf.ready();
  const kernels = registerWasmTrainingKernels(tf);
  return { ...kernels, threads: t.threads, ...(t.threads > 1 ? {} : { threadNote: t.reason }) };
}

const fallbackCalls = new Map<string, number>();

/**
 * How often each kernel has run through the cpu fallback in this process (the doctor and the
 * tests use it to name kernels that made a wasm run slow).
 */
export function wasmFallbackCalls(): ReadonlyMap<string, number> {
  return new Map(fallbackCalls);
}

/** Which kernels this module put on the `wasm` backend (for the backend doctor). */
export function wasmKernelStatus(tf: TF): WasmKernelRegistration {
  const registered: string[] = [];
  const fallbacks: string[] = [];
  for (const k of tf.getKernelsForBackend('wasm')) {
    const mark = (k.kernelFunc as MarkedKernelFunc)[OURS];
    if (mark === 'native') registered.push(k.kernelName);
    else if (mark === 'fallback') fallbacks.push(k.kernelName);
  }
  return { registered: registered.sort(), fallbacks: fallbacks.sort() };
}

/** wasm's own kernel function (wrapped by ours), looked up before it is replaced. */
const originals = new Map<string, KernelConfig['kernelFunc']>();
function originalKernel(tf: TF, name: string): KernelConfig['kernelFunc'] | undefined {
  const k = tf.getKernel(name, 'wasm');
  if (k && !isOurs(k)) originals.set(name, k.kernelFunc);
  return originals.get(name);
}

function isOurs(k: KernelConfig): boolean {
  return (k.kernelFunc as MarkedKernelFunc)[OURS] !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Composition helpers: call wasm kernel functions directly (no engine bookkeeping, no tape) and
// free every intermediate when the kernel returns.

class Scope {
  private readonly temps: TensorInfo[] = [];
  constructor(
    private readonly tf: TF,
    readonly backend: BackendLike,
  ) {}

  /** Runs one wasm kernel; its output is freed by {@link dispose} unless {@link keep} is called. */
  run(kernelName: string, inputs: NamedTensorInfoMap | TensorInfo[], attrs: NamedAttrMap = {}): TensorInfo {
    const config = this.tf.getKernel(kernelName, 'wasm');
    if (!config) throw new Error(`The wasm backend has no ${kernelName} kernel, which a training kernel needs.`);
    const out = config.kernelFunc({ inputs: inputs as NamedTensorInfoMap, attrs, backend: this.backend });
    const info = Array.isArray(out) ? out[0] : out;
    this.temps.push(info);
    return info;
  }

  /** The same data seen with another shape (no copy, not owned). */
  view(x: TensorInfo, shape: number[]): TensorInfo {
    return { dataId: x.dataId, shape, dtype: x.dtype };
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** Zero-pads the spatial dims of an NHWC tensor; negative amounts crop. Returns x when all are 0. */
  padCrop(x: TensorInfo, top: number, bottom: number, left: number, right: number): TensorInfo {
    let cur = x;
    if (top < 0 || bottom < 0 || left < 0 || right < 0) {
      const [b, h, w, c] = cur.shape;
      const t = Math.max(0, -top);
      const l = Math.max(0, -left);
      const size = [b, h - t - Math.max(0, -bottom), w - l - Math.max(0, -right), c];
      cur = this.run('Slice', { x: cur }, { begin: [0, t, l, 0], size });
    }
    const [pt, pb, pl, pr] = [top, bottom, left, right].map((p) => Math.max(0, p));
    if (pt || pb || pl || pr) {
      cur = this.run('PadV2', { x: cur }, { paddings: [[0, 0], [pt, pb], [pl, pr], [0, 0]], constantValue: 0 });
    }
    return cur;
  }

  /** Makes the scope own a tensor made outside it. */
  adopt(x: TensorInfo): TensorInfo {
    this.temps.push(x);
    return x;
  }

  /** A new float32 tensor from values computed in JS (freed with the scope). */
  fromValues(values: Float32Array, shape: number[]): TensorInfo {
    const info: TensorInfo = { dataId: this.backend.write(values, shape, 'float32'), shape, dtype: 'float32' };
    this.temps.push(info);
    return info;
  }

  /**
   * Takes a result out of the scope so {@link dispose} leaves it alone. A result that is not an
   * intermediate (an input seen through a view) is copied, as a kernel output must own its data.
   */
  keep(x: TensorInfo): TensorInfo {
    const i = this.temps.findIndex((t) => t.dataId === x.dataId);
    if (i >= 0) {
      this.temps.splice(i, 1);
      return x;
    }
    const copy = this.run('Identity', { x });
    this.temps.pop();
    return { dataId: copy.dataId, shape: x.shape, dtype: x.dtype };
  }

  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

function withScope(tf: TF, backend: BackendLike, body: (s: Scope) => TensorInfo): TensorInfo {
  const s = new Scope(tf, backend);
  try {
    return s.keep(body(s));
  } finally {
    s.dispose();
  }
}

function pair(v: unknown, name: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number')) return [v[0], v[1]];
  if (v === undefined || v === null) return [1, 1];
  throw new Error(`Expected a number or a pair of numbers for ${name}, got ${JSON.stringify(v)}.`);
}

function isNCHW(dataFormat: unknown): boolean {
  return dataFormat === 'NCHW' || dataFormat === 'channelsFirst';
}

/** Output `[B, OH*sH, OW*sW, C]` with dy at rows/cols multiple of the stride, zeros elsewhere. */
function zeroStuff(s: Scope, dy: TensorInfo, sH: number, sW: number): TensorInfo {
  if (sH === 1 && sW === 1) return dy;
  const [b, oh, ow, c] = dy.shape;
  const padded = s.run('PadV2', { x: s.view(dy, [b * oh, 1, ow, 1, c]) }, {
    paddings: [[0, 0], [0, sH - 1], [0, 0], [0, sW - 1], [0, 0]],
    constantValue: 0,
  });
  return s.view(padded, [b, oh * sH, ow * sW, c]);
}

// ---------------------------------------------------------------------------------------------
// The kernels.

function nativeKernels(
  tf: TF,
  wasmKernel: (name: string) => KernelConfig['kernelFunc'] | undefined,
): Record<(typeof WASM_TRAINING_KERNELS)[number], KernelConfig['kernelFunc']> {
  const convInfo = tf.backend_util.computeConv2DInfo;
  const wasmBatchMatMul = wasmKernel('BatchMatMul');
  const wasmFusedMatMul = wasmKernel('_FusedMatMul');

  /**
   * Sum/Mean over the leading axes (bias gradients: every axis but channels; batch statistics) as
   * one XNNPACK average pool over an `[R, 1]` window of the tensor seen as `[1, R, 1, C]`: ~10x
   * faster than wasm's reduction, which first transposes the reduced axes to the end. Other
   * reductions go to wasm's kernel.
   */
  const leadingReduce =
    (inner: KernelConfig['kernelFunc'] | undefined, name: 'Sum' | 'Mean'): KernelConfig['kernelFunc'] =>
    (args) => {
      if (!inner) throw new Error(`The wasm backend has no ${name} kernel.`);
      const x = args.inputs['x'] as TensorInfo;
      const attrs = args.attrs ?? {};
      const rank = x.shape.length;
      const raw = attrs['axis'] as number | number[] | null | undefined;
      const list = raw === null || raw === undefined ? [...Array(rank).keys()] : Array.isArray(raw) ? raw : [raw];
      const axes = [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
      const k = axes.length;
      const leading = k > 0 && axes.every((a, i) => a === i);
      const r = x.shape.slice(0, k).reduce((p, d) => p * d, 1);
      const c = x.shape.slice(k).reduce((p, d) => p * d, 1);
      if (!leading || x.dtype !== 'float32' || r < 64 || r * c < 16384 || r > 1 << 22) return inner(args);
      const backend = args.backend as WasmHeapBackend;
      return withScope(tf, backend, (s) => {
        const mean = s.run('AvgPool', { x: s.view(x, [1, r, 1, c]) }, { filterSize: [r, 1], strides: [r, 1], pad: 'valid' });
        const shape = attrs['keepDims'] ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
        if (name === 'Mean') return s.view(mean, shape);
        const out = s.adopt(backend.makeOutput(shape, 'float32'));
        const dst = backend.typedArrayFromHeap(out) as Float32Array;
        const src = backend.typedArrayFromHeap(mean) as Float32Array;
        for (let i = 0; i < c; i++) dst[i] = src[i] * r;
        return out;
      });
    };

  /**
   * wasm's matmul hands transposed operands to a scalar loop (40x slower than XNNPACK at
   * 1024x256x256); an explicit Transpose first keeps every matmul on XNNPACK. Gradients of
   * every Dense, recurrent and attention layer use transposed matmuls.
   */
  const untransposed =
    (inner: KernelConfig['kernelFunc'] | undefined, name: string): KernelConfig['kernelFunc'] =>
    ({ inputs, backend, attrs = {} }) => {
      if (!inner) throw new Error(`The wasm backend has no ${name} kernel.`);
      const s = new Scope(tf, backend as BackendLike);
      try {
        const flip = (t: TensorInfo): TensorInfo => {
          const r = t.shape.length;
          return s.transpose(t, [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2]);
        };
        const a = attrs['transposeA'] ? flip(inputs['a'] as TensorInfo) : (inputs['a'] as TensorInfo);
        const b = attrs['transposeB'] ? flip(inputs['b'] as TensorInfo) : (inputs['b'] as TensorInfo);
        const out = inner({ inputs: { ...inputs, a, b }, attrs: { ...attrs, transposeA: false, transposeB: false }, backend });
        return out;
      } finally {
        s.dispose();
      }
    };

  const conv2DBackpropFilter: KernelConfig['kernelFunc'] = ({ inputs, backend, attrs = {} }) =>
    withScope(tf, backend as BackendLike, (s) => {
      let x = inputs['x'] as TensorInfo;
      let dy = inputs['dy'] as TensorInfo;
      const filterShape = attrs['filterShape'] as unknown as Rank4;
      if (isNCHW(attrs['dataFormat'])) {
        x = s.transpose(x, [0, 2, 3, 1]);
        dy = s.transpose(dy, [0, 2, 3, 1]);
      }
      const info = convInfo(
        x.shape as Rank4,
        filterShape,
        pair(attrs['strides'], 'strides'),
        1,
        attrs['pad'] as unknown as PadParam,
        attrs['dimRoundingMode'] as RoundingMode,
      );
      const [kh, kw, ci, co] = filterShape;
      if (ci * kh * kw <= 36) {
        // Few values per window (a first layer on grey or RGB images): dW^T = dy^T · patches, a
        // matmul whose packed operand (XNNPACK repacks it on every call, ~2 ns a value) is the
        // small patch matrix; the swapped convolution would pack the large dy.
        const n = dy.shape[0] * dy.shape[1] * dy.shape[2];
        const cols = extractPatches(s, x, kh, kw, [info.strideHeight, info.strideWidth], [1, 1], info.padInfo, info.outHeight, info.outWidth);
        const prod = s.run('BatchMatMul', { a: s.view(dy, [1, n, co]), b: s.view(cols, [1, n, ci * kh * kw]) }, { transposeA: true, transposeB: false }); // [co, ci*kh*kw]
        return s.transpose(s.view(prod, [co, ci, kh, kw]), [2, 3, 1, 0]);
      }
      return filterGrad(s, x, dy, info.padInfo.top, info.padInfo.left, info.strideHeight, info.strideWidth, filterShape);
    });

  const conv2DBackpropInput: KernelConfig['kernelFunc'] = ({ inputs, backend, attrs = {} }) =>
    withScope(tf, backend as BackendLike, (s) => {
      let dy = inputs['dy'] as TensorInfo;
      const filter = inputs['filter'] as TensorInfo;
      let inputShape = [...(attrs['inputShape'] as unknown as number[])] as Rank4;
      const nchw = isNCHW(attrs['dataFormat']);
      if (nchw) {
        dy = s.transpose(dy, [0, 2, 3, 1]);
        inputShape = [inputShape[0], inputShape[2], inputShape[3], inputShape[1]];
      }
      const info = convInfo(
        inputShape,
        filter.shape as Rank4,
        pair(attrs['strides'], 'strides'),
        1,
        attrs['pad'] as unknown as PadParam,
        attrs['dimRoundingMode'] as RoundingMode,
      );
      const [kh, kw] = filter.shape;
      const stuffed = zeroStuff(s, dy, info.strideHeight, info.strideWidth);
      // Rows of the stuffed gradient needed: the output has inputShape[1] rows, one per window.
      const top = kh - 1 - info.padInfo.top;
      const left = kw - 1 - info.padInfo.left;
      const bottom = inputShape[1] + kh - 1 - stuffed.shape[1] - top;
      const right = inputShape[2] + kw - 1 - stuffed.shape[2] - left;
      const src = s.padCrop(stuffed, Math.min(top, 0), Math.min(bottom, 0), Math.min(left, 0), Math.min(right, 0));
      const flipped = rotateFilter(s, filter, true);
      const pad: ExplicitPadding = [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]];
      const dx = s.run('Conv2D', { x: src, filter: flipped }, { strides: [1, 1], dilations: [1, 1], pad, dataFormat: 'NHWC' });
      return nchw ? s.transpose(dx, [0, 3, 1, 2]) : dx;
    });

  const depthwiseBackpropInput: KernelConfig['kernelFunc'] = ({ inputs, backend, attrs = {} }) =>
    withScope(tf, backend as BackendLike, (s) => {
      const dy = inputs['dy'] as TensorInfo;
      const filter = inputs['filter'] as TensorInfo;
      const inputShape = attrs['inputShape'] as unknown as Rank4;
      const [dH, dW] = pair(attrs['dilations'], 'dilations');
      const info = convInfo(
        inputShape,
        filter.shape as Rank4,
        pair(attrs['strides'], 'strides'),
        [dH, dW],
        attrs['pad'] as unknown as PadParam,
        attrs['dimRoundingMode'] as RoundingMode,
        true,
      );
      const [kh, kw, c, m] = filter.shape;
      const stuffed = zeroStuff(s, dy, info.strideHeight, info.strideWidth);
      const effH = (kh - 1) * dH + 1;
      const effW = (kw - 1) * dW + 1;
      const top = effH - 1 - info.padInfo.top;
      const left = effW - 1 - info.padInfo.left;
      const bottom = inputShape[1] + effH - 1 - stuffed.shape[1] - top;
      const right = inputShape[2] + effW - 1 - stuffed.shape[2] - left;
      const src = s.padCrop(stuffed, Math.min(top, 0), Math.min(bottom, 0), Math.min(left, 0), Math.min(right, 0));
      const flipped = s.view(rotateFilter(s, filter, false), [kh, kw, c * m, 1]);
      const pad: ExplicitPadding = [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]];
      const dx = s.run('DepthwiseConv2dNative', { x: src, filter: flipped }, { strides: [1, 1], dilations: [dH, dW], pad });
      if (m === 1) return dx;
      const [b, h, w] = dx.shape;
      const summed = s.run('Sum', { x: s.view(dx, [b, h, w, c, m]) }, { axis: [4], keepDims: false });
      return summed;
    });

  const depthwiseBackpropFilter: KernelConfig['kernelFunc'] = ({ inputs, backend, attrs = {} }) =>
    withScope(tf, backend as BackendLike, (s) => {
      const x = inputs['x'] as TensorInfo;
      const dy = inputs['dy'] as TensorInfo;
      const filterShape = attrs['filterShape'] as unknown as Rank4;
      const [dH, dW] = pair(attrs['dilations'], 'dilations');
      const info = convInfo(
        x.shape as Rank4,
        filterShape,
        pair(attrs['strides'], 'strides'),
        [dH, dW],
        attrs['pad'] as unknown as PadParam,
        attrs['dimRoundingMode'] as RoundingMode,
        true,
      );
      const [kh, kw, c, m] = filterShape;
      const [b, oh, ow] = dy.shape;
      const n = b * oh * ow;
      const kk = kh * kw;
      const cols = extractPatches(s, x, kh, kw, [info.strideHeight, info.strideWidth], [dH, dW], info.padInfo, oh, ow); // [n, c, kk]
      const a = s.transpose(s.view(cols, [n, c, kk]), [1, 2, 0]); // [c, kk, n]
      const g = m === 1 ? s.view(s.transpose(s.view(dy, [n, c]), [1, 0]), [c, n, 1]) : s.transpose(s.view(dy, [n, c, m]), [1, 0, 2]);
      const prod = s.run('BatchMatMul', { a, b: g }, { transposeA: false, transposeB: false }); // [c, kk, m]
      const out = m === 1 ? s.transpose(s.view(prod, [c, kk]), [1, 0]) : s.transpose(prod, [1, 0, 2]);
      return s.view(out, [kh, kw, c, m]);
    });

  const unsortedSegmentSum: KernelConfig['kernelFunc'] = ({ inputs, backend, attrs = {} }) => {
    const be = backend as BackendLike;
    const x = inputs['x'] as TensorInfo;
    const ids = inputs['segmentIds'] as TensorInfo;
    const numSegments = attrs['numSegments'] as number;
    const n = ids.shape.reduce((a, d) => a * d, 1);
    const rest = x.shape.slice(ids.shape.length);
    // ScatterNd does not check its indices; ids outside [0, numSegments) are dropped (as in
    // TensorFlow) by the cpu path instead of writing out of bounds.
    const idVals = be.readSync(ids.dataId) as Int32Array;
    let inRange = true;
    for (let i = 0; i < idVals.length; i++) {
      const v = idVals[i];
      if (v < 0 || v >= numSegments) {
        inRange = false;
        break;
      }
    }
    if (!inRange || x.dtype !== 'float32' || ids.dtype !== 'int32') {
      return cpuFallback(tf, 'UnsortedSegmentSum')({ inputs, backend, attrs });
    }
    return withScope(tf, be, (s) =>
      s.run('ScatterNd', { indices: s.view(ids, [n, 1]), updates: s.view(x, [n, ...rest]) }, { shape: [numSegments, ...rest] }),
    );
  };

  const maxPoolGrad: KernelConfig['kernelFunc'] = ({ inputs, backend, attrs = {} }) => {
    const x = inputs['input'] as TensorInfo;
    const info = tf.backend_util.computePool2DInfo(
      x.shape as Rank4,
      pair(attrs['filterSize'], 'filterSize'),
      pair(attrs['strides'], 'strides'),
      1,
      attrs['pad'] as unknown as PadParam,
      attrs['dimRoundingMode'] as RoundingMode,
    );
    return maxPoolBackprop(backend as WasmHeapBackend, x, inputs['dy'] as TensorInfo, info);
  };

  return {
    Sum: leadingReduce(wasmKernel('Sum'), 'Sum'),
    Mean: leadingReduce(wasmKernel('Mean'), 'Mean'),
    BatchMatMul: untransposed(wasmBatchMatMul, 'BatchMatMul'),
    _FusedMatMul: untransposed(wasmFusedMatMul, '_FusedMatMul'),
    MaxPoolGrad: maxPoolGrad,
    Conv2DBackpropFilter: conv2DBackpropFilter,
    Conv2DBackpropInput: conv2DBackpropInput,
    DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
    DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
    UnsortedSegmentSum: unsortedSegmentSum,
  };
}

/**
 * The filter rotated by 180° in its two spatial dims, with in/out channels swapped when asked
 * (`[kh,kw,ci,co]` → `[kh,kw,co,ci]`). Filters are small, so one JS pass beats two wasm kernels
 * (wasm's Reverse is slow).
 */
function rotateFilter(s: Scope, filter: TensorInfo, swapChannels: boolean): TensorInfo {
  const [kh, kw, ci, co] = filter.shape;
  const src = s.backend.readSync(filter.dataId) as Float32Array;
  const out = new Float32Array(src.length);
  const plane = ci * co;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const from = (i * kw + j) * plane;
      const to = ((kh - 1 - i) * kw + (kw - 1 - j)) * plane;
      if (!swapChannels) {
        out.set(src.subarray(from, from + plane), to);
        continue;
      }
      for (let a = 0; a < ci; a++) for (let b = 0; b < co; b++) out[to + b * ci + a] = src[from + a * co + b];
    }
  }
  return s.fromValues(out, swapChannels ? [kh, kw, co, ci] : [kh, kw, ci, co]);
}

/**
 * dW of a 2-D convolution (NHWC, dilation 1) as one convolution: with batch and channels
 * swapped, dW[kh,kw,ci,co] = Σ x[b, oh*s+kh-top, ow*s+kw-left, ci] · dy[b,oh,ow,co] is a
 * convolution of x^T `[ci,H,W,B]` with dy^T `[OH,OW,B,CO]` whose dilation is the stride.
 */
function filterGrad(
  s: Scope,
  x: TensorInfo,
  dy: TensorInfo,
  top: number,
  left: number,
  sH: number,
  sW: number,
  filterShape: Rank4,
): TensorInfo {
  const [kh, kw, ci, co] = filterShape;
  const [, h, w] = x.shape;
  const [, oh, ow] = dy.shape;
  const needH = kh - 1 + (oh - 1) * sH + 1;
  const needW = kw - 1 + (ow - 1) * sW + 1;
  const xt = s.transpose(x, [3, 1, 2, 0]); // [ci, H, W, B]
  const ft = s.transpose(dy, [1, 2, 0, 3]); // [OH, OW, B, CO]
  const pad: ExplicitPadding = [[0, 0], [top, Math.max(0, needH - top - h)], [left, Math.max(0, needW - left - w)], [0, 0]];
  let r = s.run('Conv2D', { x: xt, filter: ft }, { strides: [1, 1], dilations: [sH, sW], pad, dataFormat: 'NHWC' });
  if (r.shape[1] !== kh || r.shape[2] !== kw) r = s.run('Slice', { x: r }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] });
  return s.transpose(r, [1, 2, 0, 3]);
}

/** Identity filters for patch extraction, cached per backend and shape (XNNPACK then reuses its packed operator). */
const patchFilters = new WeakMap<object, Map<string, TensorInfo>>();

/**
 * Window values of a 2-D sliding window as `[b, oh, ow, c * kh * kw]` (channel-major, then window
 * position in row-major order), computed by a depthwise convolution with one-hot filters: XNNPACK
 * does the strided, dilated gather far faster than wasm's StridedSlice (which loops per element
 * in JS for this case). Exact: every output is one input times 1 plus zeros; padding reads 0.
 */
function extractPatches(
  s: Scope,
  x: TensorInfo,
  kh: number,
  kw: number,
  strides: [number, number],
  dilations: [number, number],
  padInfo: { top: number; left: number },
  oh: number,
  ow: number,
): TensorInfo {
  const [, h, w, c] = x.shape;
  const kk = kh * kw;
  const key = `${kh},${kw},${c}`;
  let cache = patchFilters.get(s.backend);
  if (!cache) patchFilters.set(s.backend, (cache = new Map<string, TensorInfo>()));
  let filter = cache.get(key);
  if (!filter) {
    const values = new Float32Array(kk * c * kk);
    for (let k = 0; k < kk; k++) for (let ch = 0; ch < c; ch++) values[(k * c + ch) * kk + k] = 1;
    filter = { dataId: s.backend.write(values, [kh, kw, c, kk], 'float32'), shape: [kh, kw, c, kk], dtype: 'float32' };
    cache.set(key, filter);
  }
  const needH = (kh - 1) * dilations[0] + (oh - 1) * strides[0] + 1;
  const needW = (kw - 1) * dilations[1] + (ow - 1) * strides[1] + 1;
  const top = padInfo.top;
  const left = padInfo.left;
  const bottom = needH - top - h;
  const right = needW - left - w;
  const src = bottom < 0 || right < 0 ? s.padCrop(x, 0, Math.min(bottom, 0), 0, Math.min(right, 0)) : x;
  const pad: ExplicitPadding = [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]];
  return s.run('DepthwiseConv2dNative', { x: src, filter }, { strides, dilations, pad });
}

/**
 * dx of a 2-D max pool (NHWC), in one JS pass over wasm memory: each window's gradient goes to
 * its first maximum in row-major window order, padding excluded — exactly the cpu backend's rule.
 * A composition of wasm kernels (patches, ArgMax, OneHot, Multiply, Transpose) was slower: the
 * work is a few compares per element, and the intermediates cost more than the loop.
 */
function maxPoolBackprop(backend: WasmHeapBackend, x: TensorInfo, dy: TensorInfo, info: ReturnType<TF['backend_util']['computePool2DInfo']>): TensorInfo {
  const [b, h, w, c] = x.shape;
  const { outHeight: oh, outWidth: ow, strideHeight: sH, strideWidth: sW } = info;
  const kh = info.effectiveFilterHeight;
  const kw = info.effectiveFilterWidth;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const out = backend.makeOutput([b, h, w, c], 'float32');
  // Views after the allocation: a heap that grows replaces its buffer.
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const xs = backend.typedArrayFromHeap(x) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  dx.fill(0);
  if (kh === 2 && kw === 2 && sH === 2 && sW === 2 && top === 0 && left === 0 && 2 * oh <= h && 2 * ow <= w) {
    maxPool2x2Backprop(xs, g, dx, b, h, w, c, oh, ow);
    return out;
  }
  const offsets = new Int32Array(kh * kw);
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < oh; i++) {
      const r0 = Math.max(0, i * sH - top);
      const r1 = Math.min(h, i * sH - top + kh);
      for (let j = 0; j < ow; j++) {
        const c0 = Math.max(0, j * sW - left);
        const c1 = Math.min(w, j * sW - left + kw);
        // Element offsets of the (clipped) window, in row-major window order.
        let k = 0;
        for (let r = r0; r < r1; r++) for (let q = c0; q < c1; q++) offsets[k++] = ((n * h + r) * w + q) * c;
        const gBase = ((n * oh + i) * ow + j) * c;
        for (let ch = 0; ch < c; ch++) {
          let bestAt = -1;
          let best = -Infinity;
          for (let m = 0; m < k; m++) {
            const at = offsets[m] + ch;
            const v = xs[at];
            if (v > best) {
              best = v;
              bestAt = at;
            }
          }
          if (bestAt >= 0) dx[bestAt] += g[gBase + ch];
        }
      }
    }
  }
  return out;
}

/** {@link maxPoolBackprop} for the common 2×2, stride-2 window inside the image, unrolled (~1.5x faster). */
function maxPool2x2Backprop(xs: Float32Array, g: Float32Array, dx: Float32Array, b: number, h: number, w: number, c: number, oh: number, ow: number): void {
  const row = w * c;
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < oh; i++) {
      const rowBase = (n * h + 2 * i) * row;
      let gBase = (n * oh + i) * ow * c;
      for (let j = 0; j < ow; j++, gBase += c) {
        const p0 = rowBase + 2 * j * c;
        const p1 = p0 + c;
        const p2 = p0 + row;
        const p3 = p2 + c;
        for (let ch = 0; ch < c; ch++) {
          // First maximum in window order; NaN never wins (as on cpu).
          let at = -1;
          let best = -Infinity;
          const v0 = xs[p0 + ch];
          const v1 = xs[p1 + ch];
          const v2 = xs[p2 + ch];
          const v3 = xs[p3 + ch];
          if (v0 > best) {
            best = v0;
            at = p0 + ch;
          }
          if (v1 > best) {
            best = v1;
            at = p1 + ch;
          }
          if (v2 > best) {
            best = v2;
            at = p2 + ch;
          }
          if (v3 > best) at = p3 + ch;
          if (at >= 0) dx[at] += g[gBase + ch];
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The cpu fallback.

/**
 * A wasm kernel that runs the cpu backend's kernel on copies of its inputs and copies the
 * outputs back. Correct for every dtype wasm can hold; slow (two copies and the JS kernel).
 */
function cpuFallback(tf: TF, kernelName: string): KernelConfig['kernelFunc'] {
  return ({ inputs, backend, attrs = {} }) => {
    fallbackCalls.set(kernelName, (fallbackCalls.get(kernelName) ?? 0) + 1);
    const wasm = backend as BackendLike;
    const cpu = tf.findBackend('cpu') as unknown as BackendLike | null;
    const cpuKernel = tf.getKernel(kernelName, 'cpu');
    if (!cpu || !cpuKernel) throw new Error(`The wasm backend has no ${kernelName} kernel and the cpu backend is not available to run it.`);
    const made: DataId[] = [];
    const copyIn = (t: TensorInfo): TensorInfo => {
      const dataId = cpu.write(wasm.readSync(t.dataId), [...t.shape], t.dtype);
      made.push(dataId);
      return { dataId, shape: t.shape, dtype: t.dtype };
    };
    try {
      const cpuInputs: Record<string, TensorInfo> | TensorInfo[] = Array.isArray(inputs) ? [] : {};
      for (const [key, t] of Object.entries(inputs)) {
        if (t) (cpuInputs as Record<string, TensorInfo>)[key] = copyIn(t);
      }
      const out = cpuKernel.kernelFunc({ inputs: cpuInputs as NamedTensorInfoMap, attrs, backend: cpu });
      const outs = Array.isArray(out) ? out : [out];
      for (const o of outs) made.push(o.dataId);
      const results = outs.map((o) => ({ dataId: wasm.write(cpu.readSync(o.dataId), [...o.shape], o.dtype), shape: o.shape, dtype: o.dtype }));
      return Array.isArray(out) ? results : results[0];
    } finally {
      for (const id of made) cpu.disposeData(id, true);
    }
  };
}
