/**
 * The wasm training kernels (electron/services/wasmKernels.ts) against the cpu backend.
 *
 * Error metric, per output: `max|wasm − cpu| / max|cpu|` (the largest absolute difference,
 * relative to the largest reference magnitude). Goal ≤ 1e-5, i.e. a few float32 ulps of the
 * output's scale. Where the cpu kernel is itself wrong (depthwise gradients with dilation > 1:
 * tfjs's cpu kernels ignore the dilation, and tfjs's gradients never ask for it), the kernel is
 * checked against the forward convolution instead, through the adjoint identity
 * `⟨backprop(dy), v⟩ = ⟨dy, forward(v)⟩`, with the same metric on the two scalars.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  registerWasmTrainingKernels,
  setupWasmBackend,
  WASM_TRAINING_KERNELS,
  wasmFallbackCalls,
  wasmKernelStatus,
  type WasmBackendReport,
} from '../../electron/services/wasmKernels.js';

type Rank4 = [number, number, number, number];
type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];
interface Input {
  readonly values: Float32Array | Int32Array;
  readonly shape: number[];
}

const TOLERANCE = 1e-5;
const worst = new Map<string, number>();
let report: WasmBackendReport;

beforeAll(async () => {
  // The stock single-threaded build here; wasmTraining.test.ts runs the threaded one.
  report = await setupWasmBackend(tf, { threads: 1 });
});

afterAll(() => {
  const rows = [...worst.entries()].map(([k, v]) => `${k.padEnd(40)} ${v.toExponential(2)}`);
  console.log(`wasm kernels vs cpu, max relative error (max|a-b|/max|b|):\n  ${rows.join('\n  ')}`);
});

/** Deterministic values in [-1, 1). */
function values(shape: number[], seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function f32(shape: number[], seed: number): Input {
  return { values: values(shape, seed), shape };
}

async function runOn(backend: 'wasm' | 'cpu', kernel: string, inputs: Record<string, Input>, attrs: Record<string, unknown>): Promise<{ data: Float32Array; shape: number[] }> {
  await tf.setBackend(backend);
  const ts: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.values, v.shape, v.values instanceof Int32Array ? 'int32' : 'float32');
  const out = tf.engine().runKernel<tf.Tensor>(kernel, ts, attrs as tf.NamedAttrMap);
  const data = (await out.data()) as Float32Array;
  const shape = out.shape;
  tf.dispose([out, ...Object.values(ts)]);
  return { data, shape };
}

function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

function note(kernel: string, err: number): void {
  worst.set(kernel, Math.max(worst.get(kernel) ?? 0, err));
}

/** Runs a kernel on both backends; checks shapes, the error bound, and that wasm frees its intermediates. */
async function compare(kernel: string, inputs: Record<string, Input>, attrs: Record<string, unknown>, tolerance = TOLERANCE): Promise<number> {
  // The first run may cache constants (patch filters); a second run must leave nothing behind.
  await runOn('wasm', kernel, inputs, attrs);
  const before = tf.backend().numDataIds();
  const w = await runOn('wasm', kernel, inputs, attrs);
  await tf.setBackend('wasm');
  expect(tf.backend().numDataIds(), `${kernel} leaves no data behind`).toBe(before);
  const c = await runOn('cpu', kernel, inputs, attrs);
  expect(w.shape).toEqual(c.shape);
  const err = relError(w.data, c.data);
  note(kernel, err);
  expect(err, `${kernel} ${JSON.stringify(attrs)}`).toBeLessThanOrEqual(tolerance);
  return err;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('registration', () => {
  it('registers the training kernels, routes the rest to the cpu fallback, and is idempotent', () => {
    expect(report.registered).toEqual([...WASM_TRAINING_KERNELS].sort());
    // The kernels the issue names are real wasm compositions, never the fallback.
    for (const k of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'UnsortedSegmentSum']) {
      expect(report.fallbacks).not.toContain(k);
    }
    // wasm's MaxPool3DGrad is wrong for windows of values ≤ 0: it runs on cpu instead.
    expect(report.fallbacks).toContain('MaxPool3DGrad');
    expect(report.fallbacks).toContain('Einsum');
    const again = registerWasmTrainingKernels(tf);
    expect(again).toEqual({ registered: report.registered, fallbacks: report.fallbacks });
    expect(wasmKernelStatus(tf)).toEqual(again);
    // Every cpu kernel is reachable on wasm now, except complex numbers (no wasm storage) and Draw.
    const wasm = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
    const missing = tf.getKernelsForBackend('cpu').map((k) => k.kernelName).filter((k) => !wasm.has(k));
    expect(missing.sort()).toEqual(['Complex', 'ComplexAbs', 'Draw', 'FFT', 'IFFT', 'Imag', 'Real']);
  });
});

describe('Conv2DBackpropFilter / Conv2DBackpropInput', () => {
  const cases: { x: Rank4; k: Rank4; s: number | [number, number]; pad: Pad }[] = [
    { x: [2, 9, 9, 3], k: [3, 3, 3, 4], s: 1, pad: 'valid' },
    { x: [2, 9, 9, 3], k: [3, 3, 3, 4], s: 1, pad: 'same' },
    { x: [3, 10, 11, 2], k: [3, 2, 2, 5], s: 2, pad: 'same' },
    { x: [3, 10, 11, 2], k: [3, 3, 2, 5], s: 2, pad: 'valid' },
    { x: [1, 7, 8, 1], k: [5, 5, 1, 2], s: [2, 3], pad: 'same' },
    { x: [2, 8, 8, 3], k: [1, 1, 3, 6], s: 2, pad: 'valid' },
    { x: [1, 12, 12, 4], k: [4, 4, 4, 3], s: 4, pad: 'same' },
    { x: [2, 6, 6, 2], k: [3, 3, 2, 3], s: 1, pad: [[0, 0], [2, 1], [0, 3], [0, 0]] },
    { x: [4, 1, 17, 3], k: [1, 5, 3, 8], s: [1, 3], pad: 'same' }, // how Conv1D runs
    { x: [8, 13, 13, 16], k: [3, 3, 16, 24], s: 1, pad: 'valid' }, // like the mnist CNN's second conv
    { x: [2, 9, 9, 8], k: [3, 3, 8, 4], s: 2, pad: 'same' }, // > 36 values per window: the swapped convolution
    { x: [2, 10, 9, 6], k: [3, 3, 6, 5], s: [2, 3], pad: 'valid' },
  ];
  for (const c of cases) {
    it(`x ${JSON.stringify(c.x)} filter ${JSON.stringify(c.k)} strides ${JSON.stringify(c.s)} pad ${JSON.stringify(c.pad)}`, async () => {
      const info = tf.backend_util.computeConv2DInfo(c.x, c.k, c.s, 1, c.pad);
      const dy = f32(info.outShape, 2);
      await compare('Conv2DBackpropFilter', { x: f32(c.x, 1), dy }, { strides: c.s, pad: c.pad, dataFormat: 'NHWC', filterShape: c.k });
      await compare('Conv2DBackpropInput', { dy, filter: f32(c.k, 3) }, { strides: c.s, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x });
    });
  }

  it('NCHW data', async () => {
    const x: Rank4 = [2, 5, 8, 7];
    const k: Rank4 = [3, 3, 5, 4];
    const info = tf.backend_util.computeConv2DInfo(x, k, 2, 1, 'same', undefined, false, 'channelsFirst');
    const dy = f32(info.outShape, 5);
    await compare('Conv2DBackpropFilter', { x: f32(x, 4), dy }, { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: k });
    await compare('Conv2DBackpropInput', { dy, filter: f32(k, 6) }, { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: x });
  });
});

describe('DepthwiseConv2dNativeBackpropInput / Filter', () => {
  const cases: { x: Rank4; k: Rank4; s: number; d: number | [number, number]; pad: Pad }[] = [
    { x: [2, 9, 9, 3], k: [3, 3, 3, 1], s: 1, d: 1, pad: 'valid' },
    { x: [2, 9, 9, 3], k: [3, 3, 3, 2], s: 1, d: 1, pad: 'same' },
    { x: [2, 10, 11, 2], k: [3, 3, 2, 2], s: 2, d: 1, pad: 'same' },
    { x: [2, 9, 9, 4], k: [5, 5, 4, 1], s: 3, d: 1, pad: 'valid' },
    { x: [3, 8, 8, 5], k: [2, 2, 5, 3], s: 2, d: 1, pad: 'valid' },
    { x: [2, 12, 12, 2], k: [3, 3, 2, 1], s: 1, d: 2, pad: 'same' },
    { x: [1, 12, 10, 3], k: [2, 3, 3, 3], s: 1, d: [2, 3], pad: 'valid' },
  ];
  for (const c of cases) {
    it(`x ${JSON.stringify(c.x)} filter ${JSON.stringify(c.k)} strides ${c.s} dilations ${JSON.stringify(c.d)} pad ${JSON.stringify(c.pad)}`, async () => {
      const info = tf.backend_util.computeConv2DInfo(c.x, c.k, c.s, c.d, c.pad, undefined, true);
      const x = f32(c.x, 1);
      const dy = f32(info.outShape, 2);
      const filter = f32(c.k, 3);
      const attrsF = { strides: c.s, pad: c.pad, dilations: c.d, filterShape: c.k };
      const attrsI = { strides: c.s, pad: c.pad, dilations: c.d, inputShape: c.x };
      const dilated = (typeof c.d === 'number' ? [c.d, c.d] : c.d).some((v) => v > 1);
      if (!dilated) {
        await compare('DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrsF);
        await compare('DepthwiseConv2dNativeBackpropInput', { dy, filter }, attrsI);
        return;
      }
      // Adjoint checks against the cpu forward convolution, which handles dilations.
      const dW = await runOn('wasm', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrsF);
      const dX = await runOn('wasm', 'DepthwiseConv2dNativeBackpropInput', { dy, filter }, attrsI);
      const fwdAttrs = { strides: c.s, pad: c.pad, dilations: c.d };
      const yU = await runOn('cpu', 'DepthwiseConv2dNative', { x, filter }, fwdAttrs); // u = filter
      const v = f32(c.x, 7);
      const yV = await runOn('cpu', 'DepthwiseConv2dNative', { x: v, filter }, fwdAttrs);
      const errF = Math.abs(dot(dW.data, filter.values) - dot(dy.values, yU.data)) / Math.abs(dot(dy.values, yU.data));
      const errI = Math.abs(dot(dX.data, v.values) - dot(dy.values, yV.data)) / Math.abs(dot(dy.values, yV.data));
      note('DepthwiseConv2dNativeBackpropFilter (dilated, adjoint)', errF);
      note('DepthwiseConv2dNativeBackpropInput (dilated, adjoint)', errI);
      expect(errF).toBeLessThanOrEqual(TOLERANCE);
      expect(errI).toBeLessThanOrEqual(TOLERANCE);
    });
  }
});

describe('MaxPoolGrad (wasm’s own kernel is replaced: it loses the gradient of windows ≤ 0)', () => {
  const cases: { x: Rank4; f: number | [number, number]; s: number | [number, number]; pad: 'valid' | 'same'; kind: string }[] = [
    { x: [2, 6, 6, 3], f: 2, s: 2, pad: 'valid', kind: 'random' },
    { x: [2, 7, 7, 3], f: 3, s: 2, pad: 'same', kind: 'random' },
    { x: [2, 5, 5, 3], f: 2, s: 1, pad: 'valid', kind: 'random' },
    { x: [2, 8, 7, 3], f: 2, s: 3, pad: 'valid', kind: 'random' },
    { x: [2, 7, 8, 3], f: [2, 3], s: [2, 3], pad: 'same', kind: 'random' },
    { x: [2, 5, 5, 3], f: 2, s: 2, pad: 'same', kind: 'all negative' },
    { x: [2, 6, 6, 3], f: 2, s: 2, pad: 'valid', kind: 'ties (relu zeros)' },
    { x: [1, 6, 6, 2], f: 3, s: 1, pad: 'same', kind: 'ties (small integers)' },
    { x: [1, 4, 9, 1], f: [1, 3], s: [1, 3], pad: 'valid', kind: 'random' }, // MaxPooling1D
  ];
  for (const c of cases) {
    it(`x ${JSON.stringify(c.x)} pool ${JSON.stringify(c.f)} strides ${JSON.stringify(c.s)} ${c.pad}, ${c.kind}`, async () => {
      const raw = values(c.x, 11);
      const xv = raw.map((v) => (c.kind === 'all negative' ? -Math.abs(v) - 0.01 : c.kind.startsWith('ties (relu') ? Math.max(v, 0) : c.kind.startsWith('ties (small') ? Math.round(v * 2) : v));
      const x = { values: xv, shape: [...c.x] };
      const attrs = { filterSize: c.f, strides: c.s, pad: c.pad };
      const y = await runOn('cpu', 'MaxPool', { x }, attrs);
      await compare('MaxPoolGrad', { dy: f32(y.shape, 12), input: x, output: { values: y.data, shape: y.shape } }, attrs);
    });
  }

  it('MaxPool3DGrad runs on the cpu fallback, correct for windows ≤ 0', async () => {
    const x = { values: values([1, 4, 4, 4, 2], 3).map((v) => -Math.abs(v) - 0.01), shape: [1, 4, 4, 4, 2] };
    const attrs = { filterSize: 2, strides: 2, pad: 'valid' };
    const y = await runOn('cpu', 'MaxPool3D', { x }, attrs);
    const calls = wasmFallbackCalls().get('MaxPool3DGrad') ?? 0;
    await compare('MaxPool3DGrad', { dy: f32(y.shape, 4), input: x, output: { values: y.data, shape: y.shape } }, attrs);
    expect(wasmFallbackCalls().get('MaxPool3DGrad')).toBe(calls + 2); // compare runs it twice
  });
});

describe('the cpu fallback', () => {
  it('runs a kernel wasm lacks (Einsum) on cpu, with the same result, and counts it', async () => {
    const run = async (backend: 'wasm' | 'cpu'): Promise<Float32Array> => {
      await tf.setBackend(backend);
      return tf.tidy(() => tf.einsum('bij,bjk->bik', tf.tensor(values([2, 3, 4], 1), [2, 3, 4]), tf.tensor(values([2, 4, 5], 2), [2, 4, 5])).dataSync() as Float32Array);
    };
    const calls = wasmFallbackCalls().get('Einsum') ?? 0;
    const w = await run('wasm');
    expect(wasmFallbackCalls().get('Einsum')).toBe(calls + 1);
    const err = relError(w, await run('cpu'));
    note('Einsum (cpu fallback)', err);
    expect(err).toBe(0);
  });
});

describe('UnsortedSegmentSum (the Embedding gradient)', () => {
  it('sums rows that share an id', async () => {
    const ids = { values: new Int32Array([0, 4, 4, 1, 0, 4, 2, 9, 9, 9]), shape: [10] };
    await compare('UnsortedSegmentSum', { x: f32([10, 3, 2], 4), segmentIds: ids }, { numSegments: 12 });
    await compare('UnsortedSegmentSum', { x: f32([10], 5), segmentIds: ids }, { numSegments: 10 });
  });
  it('drops ids outside [0, numSegments) like the cpu backend', async () => {
    await compare('UnsortedSegmentSum', { x: f32([4, 3], 4), segmentIds: { values: new Int32Array([0, -1, 9, 1]), shape: [4] } }, { numSegments: 3 });
  });
  it('a large embedding table', async () => {
    const n = 256;
    const ids = new Int32Array(n).map((_, i) => (i * 7919) % 1000);
    await compare('UnsortedSegmentSum', { x: f32([n, 16], 6), segmentIds: { values: ids, shape: [n] } }, { numSegments: 1000 });
  });
});

describe('BatchMatMul / _FusedMatMul (transposed operands moved off wasm’s scalar loop)', () => {
  const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
    { a: [64, 32], b: [64, 48], ta: true, tb: false },
    { a: [32, 64], b: [48, 64], ta: false, tb: true },
    { a: [64, 32], b: [48, 64], ta: true, tb: true },
    { a: [3, 20, 7], b: [3, 20, 9], ta: true, tb: false },
    { a: [2, 3, 7, 20], b: [2, 3, 9, 20], ta: false, tb: true },
    { a: [1, 5, 6], b: [4, 7, 5], ta: true, tb: true }, // broadcast batch
  ];
  for (const c of cases) {
    it(`a ${JSON.stringify(c.a)}${c.ta ? 'ᵀ' : ''} × b ${JSON.stringify(c.b)}${c.tb ? 'ᵀ' : ''}`, async () => {
      await compare('BatchMatMul', { a: f32(c.a, 1), b: f32(c.b, 2) }, { transposeA: c.ta, transposeB: c.tb });
    });
  }
  it('_FusedMatMul with bias and relu', async () => {
    await compare('_FusedMatMul', { a: f32([1, 40, 16], 1), b: f32([1, 24, 40], 2), bias: f32([24], 3) }, { transposeA: true, transposeB: true, activation: 'relu' });
  });
});

describe('Sum / Mean over leading axes (bias gradients, batch statistics) as one average pool', () => {
  const cases: { shape: number[]; axis: number | number[] | null; keepDims: boolean }[] = [
    { shape: [32, 26, 26, 8], axis: [0, 1, 2], keepDims: false },
    { shape: [32, 26, 26, 8], axis: [2, 0, 1], keepDims: true },
    { shape: [64, 300], axis: 0, keepDims: false },
    { shape: [16, 40, 30], axis: [-3, -2], keepDims: false },
    { shape: [128, 128], axis: null, keepDims: false }, // everything
    { shape: [16, 40, 30], axis: [1, 2], keepDims: false }, // trailing axes: wasm's own kernel
    { shape: [8, 5, 6], axis: [0], keepDims: false }, // small: wasm's own kernel
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.shape)} axis ${JSON.stringify(c.axis)}${c.keepDims ? ' keepDims' : ''}`, async () => {
      const x = { values: values(c.shape, 3).map((v) => v + 0.25), shape: c.shape };
      await compare('Sum', { x }, { axis: c.axis, keepDims: c.keepDims });
      await compare('Mean', { x }, { axis: c.axis, keepDims: c.keepDims });
    });
  }
});

describe('gradients through the ops users call', () => {
  /** tf.grads of sum(op(...) * r) on both backends. */
  async function gradsOn(backend: 'wasm' | 'cpu', shapes: number[][], op: (...xs: tf.Tensor[]) => tf.Tensor): Promise<Float32Array[]> {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const xs = shapes.map((s, i) => tf.tensor(values(s, 20 + i), s));
      const out = op(...xs);
      const r = tf.tensor(values(out.shape, 99), out.shape);
      const gs = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(op(...a), r)))(xs);
      return gs.map((g) => g.dataSync() as Float32Array);
    });
  }
  const cases: { name: string; shapes: number[][]; op: (...xs: tf.Tensor[]) => tf.Tensor }[] = [
    { name: 'conv2d stride 2 same', shapes: [[2, 9, 9, 3], [3, 3, 3, 5]], op: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same') },
    { name: 'conv1d', shapes: [[3, 11, 4], [3, 4, 6]], op: (x, w) => tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, 1, 'valid') },
    { name: 'conv2dTranspose stride 2', shapes: [[2, 5, 5, 4], [3, 3, 6, 4]], op: (x, w) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [2, 11, 11, 6], 2, 'valid') },
    { name: 'depthwiseConv2d', shapes: [[2, 8, 8, 3], [3, 3, 3, 2]], op: (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same') },
    { name: 'separableConv2d', shapes: [[2, 8, 8, 3], [3, 3, 3, 2], [1, 1, 6, 5]], op: (x, d, p) => tf.separableConv2d(x as tf.Tensor4D, d as tf.Tensor4D, p as tf.Tensor4D, 1, 'valid') },
    { name: 'fused conv2d + bias + relu', shapes: [[2, 9, 9, 3], [3, 3, 3, 5], [5]], op: (x, w, b) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, bias: b, strides: 1, pad: 'same', activation: 'relu' }) },
    { name: 'maxPool 3 stride 2 same', shapes: [[2, 9, 9, 3]], op: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same') },
    { name: 'gather (embedding lookup)', shapes: [[50, 8]], op: (t) => tf.gather(t, tf.tensor1d([3, 7, 3, 49, 0, 3], 'int32')) },
    { name: 'matMul (dense)', shapes: [[16, 24], [24, 8]], op: (a, b) => tf.matMul(a, b) },
    { name: 'conv2d + bias (bias gradient: Sum over batch and space)', shapes: [[8, 20, 20, 8], [3, 3, 8, 16], [16]], op: (x, w, b) => tf.add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), b) },
    { name: 'moments (batch normalization)', shapes: [[16, 12, 12, 8]], op: (x) => tf.moments(x, [0, 1, 2]).variance },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const w = await gradsOn('wasm', c.shapes, c.op);
      const p = await gradsOn('cpu', c.shapes, c.op);
      for (let i = 0; i < w.length; i++) {
        const err = relError(w[i], p[i]);
        note(`grad: ${c.name}`, err);
        expect(err, `${c.name} input ${i}`).toBeLessThanOrEqual(TOLERANCE);
      }
    });
  }
});
