/**
 * Every block in the catalog trains on the wasm backend (with the training kernels of
 * electron/services/wasmKernels.ts, on the multi-threaded build where it starts): a one-block
 * model per block (and per notable parameter variant: strides, padding, dilation, depth
 * multiplier, sequences, bidirectional, causal mask, every activation) gets
 * - its weight gradients compared with the cpu backend's (same weights, same data), and
 * - one `fit` step on wasm, which must give a finite loss.
 * The list follows shared/blocks/registry.ts BLOCKS, so blocks added later are covered too.
 * Then the mnist CNN learns the bundled handwritten digits on wasm.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { BLOCKS } from '../../shared/blocks/registry.js';
import { defaultParams } from '../../shared/blocks/paramUtils.js';
import type { BlockDef, ParamSpec, ParamValue, Params } from '../../shared/blocks/types.js';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { compileModel } from '../../shared/compile/compile.js';
import { emptyDocument, type ProjectDocument } from '../../shared/graph/document.js';
import { addNode, connect } from '../../shared/graph/operations.js';
import { setupWasmBackend, wasmFallbackCalls, type WasmBackendReport } from '../../electron/services/wasmKernels.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** Per-block gradient bound (several kernels in a row, recurrences over 6 steps). */
const TOLERANCE = 1e-5;

let report: WasmBackendReport;
const results: string[] = [];
beforeAll(async () => {
  report = await setupWasmBackend(tf);
});
afterAll(() => {
  console.log(`wasm backend: ${report.threads} thread(s)${report.threadNote ? ` (${report.threadNote})` : ''}`);
  console.log(`blocks trained on wasm, gradient error (weights and inputs) vs cpu (max|a-b|/max|b|):\n  ${results.join('\n  ')}`);
});

/** Per-sample input shapes tried, in order, until the block accepts one. */
const CANDIDATE_SHAPES: readonly (readonly number[])[] = [
  [9, 9, 3],
  [7, 4],
  [6],
  [4, 5, 5, 2],
  // Blocks that only shrink an image to a size of their own (CenterCrop's default 24 × 24).
  [26, 26, 2],
];

interface Variant {
  readonly label: string;
  readonly params: Params;
  /** Connect optional ports too. */
  readonly allPorts: boolean;
}

/** Notable non-default settings, derived from the parameter specs (so new blocks get them too). */
function variants(def: BlockDef): Variant[] {
  // Vocabulary sizes are capped: the cpu reference sums an embedding gradient one row at a time.
  const base = Object.fromEntries(
    Object.entries(defaultParams(def.params)).map(([k, v]) => [k, k === 'input_dim' && typeof v === 'number' ? Math.min(v, 200) : v]),
  );
  const out: Variant[] = [{ label: 'defaults', params: base, allPorts: true }];
  const withParam = (spec: ParamSpec, value: ParamValue): void => {
    out.push({ label: `${spec.name}=${JSON.stringify(value)}`, params: { ...base, [spec.name]: value }, allPorts: true });
  };
  const ntuple = (spec: ParamSpec, v: number): ParamValue => (spec.kind === 'ints' ? Array.from({ length: spec.length ?? 2 }, () => v) : v);
  for (const spec of def.params) {
    if (spec.name === 'padding' && spec.options) for (const o of spec.options) if (o !== spec.default) withParam(spec, o);
    if (spec.name === 'strides' || spec.name === 'dilation_rate' || spec.name === 'depth_multiplier') withParam(spec, ntuple(spec, 2));
    if (spec.kind === 'bool' && ['return_sequences', 'go_backwards', 'bidirectional', 'use_causal_mask'].includes(spec.name) && spec.default !== true) {
      withParam(spec, true);
    }
    // A block that is only an activation: try them all (each is its own kernel and gradient).
    if (spec.name === 'activation' && def.params.length === 1 && spec.options) for (const o of spec.options) if (o !== spec.default) withParam(spec, o);
  }
  const ports = def.ports(base);
  if (ports.some((p) => p.optional)) out.push({ label: 'required ports only', params: base, allPorts: false });
  return out;
}

interface Built {
  readonly doc: ProjectDocument;
  readonly inputs: { shape: number[]; dtype: 'float32' | 'int32' }[];
}

/** A graph Input(s) → block → Output that analyses without errors (and warnings, when possible). */
function oneBlockGraph(def: BlockDef, v: Variant): Built | null {
  const ports = def.ports(v.params).filter((p) => v.allPorts || !p.optional);
  let fallback: Built | null = null;
  for (const shape of CANDIDATE_SHAPES) {
    for (const dtype of ['float32', 'int32'] as const) {
      let doc = emptyDocument(`${def.type} on wasm`);
      ports.forEach((p, i) => {
        doc = addNode(doc, 'Input', { x: 0, y: i * 100 }, { id: `in${i}`, params: { shape: [...shape], dtype } }).doc;
      });
      doc = addNode(doc, def.type, { x: 200, y: 0 }, { id: 'block', params: v.params }).doc;
      doc = addNode(doc, 'Output', { x: 400, y: 0 }, { id: 'out' }).doc;
      ports.forEach((p, i) => {
        doc = connect(doc, `in${i}`, 'block', p.name).doc;
      });
      doc = connect(doc, 'block', 'out', 'in').doc;
      const diagnostics = analyzeGraph(doc).diagnostics;
      if (diagnostics.some((d) => d.severity === 'error')) continue;
      const built = { doc, inputs: ports.map(() => ({ shape: [...shape], dtype })) };
      if (diagnostics.length === 0) return built;
      fallback ??= built;
    }
  }
  return fallback;
}

/** Deterministic data in [-1, 1) (ids in [0, 3) for int32 inputs). */
function data(shape: number[], dtype: 'float32' | 'int32', seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 2 ** 31 - 1;
  }
  return dtype === 'int32' ? tf.tensor(Int32Array.from(v, (x) => Math.floor((x + 1) * 1.5)), shape, 'int32') : tf.tensor(v, shape);
}

const BATCH = 3;

/** Gradients of sum(model(x) * r), in `training` mode, for the weights and the float inputs. */
function gradients(model: tf.LayersModel, xs: tf.Tensor[], r: tf.Tensor, training: boolean): { out: Float32Array; grads: Float32Array[] } {
  return tf.tidy(() => {
    const run = (inputs: tf.Tensor[]): tf.Tensor => model.apply(inputs.length === 1 ? inputs[0] : inputs, { training }) as tf.Tensor;
    const out = run(xs).dataSync() as Float32Array;
    const grads: Float32Array[] = [];
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    if (vars.length) {
      const g = tf.variableGrads(() => tf.sum(tf.mul(run(xs), r)), vars).grads;
      for (const v of vars) grads.push(g[v.name].dataSync() as Float32Array);
    }
    const floats = xs.map((x, i) => i).filter((i) => xs[i].dtype === 'float32');
    if (floats.length) {
      try {
        const g = tf.grads((...f: tf.Tensor[]) => {
          const all = xs.map((x, i) => (floats.includes(i) ? f[floats.indexOf(i)] : x));
          return tf.sum(tf.mul(run(all), r));
        })(floats.map((i) => xs[i]));
        for (const t of g) grads.push(t.dataSync() as Float32Array);
      } catch (e) {
        // An output that depends only on the input's shape (PositionEmbedding) has no input gradient.
        if (!/Cannot compute gradient/.test((e as Error).message)) throw e;
      }
    }
    return { out, grads };
  });
}

/**
 * The cpu reference, one sample at a time when samples are independent (the batched output
 * equals the per-sample outputs): weight gradients summed, input gradients stacked. tfjs's cpu
 * kernels have batch bugs of their own (ResizeNearestNeighborGrad mixes the images of a batch,
 * which wasm gets right); per-sample references keep them out of the comparison. Layers that mix
 * samples (BatchNormalization in training) use the batched cpu run.
 */
async function cpuReference(model: tf.LayersModel, xs: tf.Tensor[], r: tf.Tensor, training: boolean): Promise<{ out: Float32Array; grads: Float32Array[] }> {
  await tf.setBackend('cpu');
  const full = gradients(model, xs, r, training);
  const n = xs[0].shape[0];
  const per = Array.from({ length: n }, (_, i) => {
    const sl = (t: tf.Tensor): tf.Tensor => tf.slice(t, i, 1);
    const xi = xs.map(sl);
    const ri = sl(r);
    const g = gradients(model, xi, ri, training);
    tf.dispose([...xi, ri]);
    return g;
  });
  const out = new Float32Array(full.out.length);
  per.forEach((p, i) => out.set(p.out, i * p.out.length));
  if (relError(out, full.out) > 1e-6) return full;
  const nWeights = model.trainableWeights.length;
  const grads = full.grads.map((g, k) => {
    const acc = new Float32Array(g.length);
    if (k < nWeights) {
      for (const p of per) for (let j = 0; j < g.length; j++) acc[j] += p.grads[k][j];
    } else {
      per.forEach((p, i) => acc.set(p.grads[k], i * p.grads[k].length));
    }
    return acc;
  });
  return { out: full.out, grads };
}

/**
 * Error of a set of gradients: per tensor max|a-b| / max|b|, where max|b| is floored at 1e-3 of
 * the largest gradient of the model. A gradient that is zero in exact arithmetic (the key bias of
 * attention: softmax ignores a per-row shift) is float noise on both backends; the floor compares
 * it at the model's scale instead of dividing noise by noise.
 */
function gradError(a: Float32Array[], b: Float32Array[]): number {
  let top = 0;
  for (const t of b) for (let i = 0; i < t.length; i++) top = Math.max(top, Math.abs(t[i]));
  let err = 0;
  for (let k = 0; k < a.length; k++) {
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < a[k].length; i++) {
      diff = Math.max(diff, Math.abs(a[k][i] - b[k][i]));
      scale = Math.max(scale, Math.abs(b[k][i]));
    }
    const denom = Math.max(scale, 1e-3 * top);
    err = Math.max(err, denom === 0 ? diff : diff / denom);
  }
  return err;
}

function relError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

describe('the multi-threaded wasm build', () => {
  const cores = Math.min(availableParallelism(), 8);
  const fromEnv = Number(process.env.LAYERLOOM_WASM_THREADS);
  const expected = Number.isInteger(fromEnv) && fromEnv > 0 ? Math.min(fromEnv, 8) : cores;
  it.skipIf(expected < 2)(`runs ${expected} XNNPACK threads`, () => {
    expect(report.threads, report.threadNote).toBe(expected);
  });
  it.skipIf(expected < 2)('lets a process exit on its own, even one started with --eval flags', { timeout: 60_000 }, () => {
    const code = `
      import * as tf from '@tensorflow/tfjs';
      import { setupWasmBackend } from ${JSON.stringify(join(root, 'electron/services/wasmKernels.ts'))};
      const r = await setupWasmBackend(tf);
      const x = tf.randomNormal([4, 9, 9, 3]);
      const g = tf.grad((t) => tf.conv2d(t, tf.ones([3, 3, 3, 2]), 1, 'same').sum())(x);
      console.log('threads', r.threads, g.shape.join('x'));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, encoding: 'utf8', timeout: 50_000 });
    expect(r.signal, 'the process ended by itself').toBeNull();
    expect(r.stdout, r.stderr).toContain(`threads ${expected} 4x9x9x3`);
    expect(r.status).toBe(0);
  });
});

describe('every block trains on wasm', () => {
  const blocks = BLOCKS.filter((b) => b.type !== 'Input' && b.type !== 'Output');
  for (const def of blocks) {
    it(def.type, async () => {
      let tested = 0;
      for (const v of variants(def)) {
        const built = oneBlockGraph(def, v);
        if (!built) {
          // The defaults must work somewhere; other variants may not fit any candidate shape.
          expect(v.label, `${def.type} accepts one of the candidate input shapes`).not.toBe('defaults');
          continue;
        }
        tested++;
        const fallbackBefore = wasmFallbackCalls();

        await tf.setBackend('wasm');
        const wasmModel = compileModel(built.doc, tf).model;
        const xs = built.inputs.map((inp, i) => data([BATCH, ...inp.shape], inp.dtype, 7 + i));
        const outShape = wasmModel.outputs[0].shape.map((d) => d ?? BATCH);
        const r = data(outShape, 'float32', 99);
        const weights = wasmModel.getWeights().map((w) => ({ values: w.dataSync().slice(), shape: w.shape, dtype: w.dtype }));

        await tf.setBackend('cpu');
        const cpuModel = compileModel(built.doc, tf).model;
        cpuModel.setWeights(weights.map((w) => tf.tensor(w.values, w.shape, w.dtype)));
        const cxs = built.inputs.map((inp, i) => data([BATCH, ...inp.shape], inp.dtype, 7 + i));
        const cr = data(outShape, 'float32', 99);
        // Training mode (BatchNormalization's batch statistics, recurrent and attention training
        // paths) unless the spec says training mode is random with these params (dropout): then
        // inference mode, decided up front, so a wrong training-mode result cannot hide behind it.
        const training = !(def.randomInTraining?.(v.params) ?? false);
        const c = await cpuReference(cpuModel, cxs, cr, training);
        await tf.setBackend('wasm');
        const w = gradients(wasmModel, xs, r, training);
        expect(relError(w.out, c.out), `${def.type} ${v.label}: outputs`).toBeLessThanOrEqual(TOLERANCE);
        const err = gradError(w.grads, c.grads);
        expect(w.grads.length, `${def.type} ${v.label}: something to differentiate`).toBeGreaterThan(0);
        expect(err, `${def.type} ${v.label}: gradients`).toBeLessThanOrEqual(TOLERANCE);

        // One optimizer step on wasm (a block without weights has had its backward pass above).
        const y = tf.randomNormal(outShape);
        if (wasmModel.trainableWeights.length) {
          wasmModel.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
          const h = await wasmModel.fit(xs.length === 1 ? xs[0] : xs, y, { batchSize: BATCH, epochs: 1, verbose: 0 });
          const loss = h.history.loss[0] as number;
          expect(Number.isFinite(loss), `${def.type} ${v.label}: finite loss`).toBe(true);
        }

        const fallbackAfter = wasmFallbackCalls();
        const slow = [...fallbackAfter.keys()].filter((k) => (fallbackAfter.get(k) ?? 0) > (fallbackBefore.get(k) ?? 0));
        results.push(
          `${`${def.type} ${v.label}`.padEnd(44)} ${err.toExponential(2)}${training ? '' : ' (inference mode)'}${slow.length ? `  cpu fallback: ${slow.join(', ')}` : ''}`,
        );
        tf.dispose([...xs, ...cxs, r, cr, y]);
        wasmModel.dispose();
        cpuModel.dispose();
      }
      expect(tested).toBeGreaterThan(0);
    });
  }
});

// ------------------------------------------------------------------------------------------------
// The mnist CNN on the bundled digits.

const digitsDir = join(root, 'assets/datasets/digits');
const haveDigits = existsSync(digitsDir) && readdirSync(digitsDir).length === 10;

/** The mnist example's layers (examples/mnist-cnn.layerloom). */
function mnistCnn(): ProjectDocument {
  const specs: [string, string, Record<string, ParamValue>?][] = [
    ['input', 'Input', { shape: [28, 28, 1] }],
    ['conv1', 'Conv2D', { filters: 32, kernel_size: [3, 3], activation: 'relu' }],
    ['pool1', 'MaxPooling2D', { pool_size: [2, 2] }],
    ['conv2', 'Conv2D', { filters: 64, kernel_size: [3, 3], activation: 'relu' }],
    ['pool2', 'MaxPooling2D', { pool_size: [2, 2] }],
    ['conv3', 'Conv2D', { filters: 64, kernel_size: [3, 3], activation: 'relu' }],
    ['flatten', 'Flatten'],
    ['dense1', 'Dense', { units: 64, activation: 'relu' }],
    ['dense2', 'Dense', { units: 10, activation: 'softmax' }],
    ['output', 'Output'],
  ];
  let doc = emptyDocument('MNIST CNN');
  for (const [id, type, params] of specs) doc = addNode(doc, type, { x: 0, y: 0 }, { id, ...(params ? { params } : {}) }).doc;
  for (let i = 1; i < specs.length; i++) doc = connect(doc, specs[i - 1][0], specs[i][0], 'in').doc;
  return doc;
}

/** `perClass` digits of each class, grey values in [0, 1], interleaved by class. */
async function loadDigits(perClass: number): Promise<{ x: Float32Array; y: Int32Array; n: number }> {
  const files: [string, number][] = [];
  for (let c = 0; c < 10; c++) {
    const dir = join(digitsDir, String(c));
    for (const f of readdirSync(dir).sort().slice(0, perClass)) files.push([join(dir, f), c]);
  }
  const n = files.length;
  const x = new Float32Array(n * 784);
  const y = new Int32Array(n);
  // Interleave classes so any prefix is balanced.
  const order = files.map((_, i) => i).sort((a, b) => (a % perClass) - (b % perClass) || a - b);
  await Promise.all(
    order.map(async (src, dst) => {
      const [file, label] = files[src];
      const { data: px, info } = await sharp(file).greyscale().raw().toBuffer({ resolveWithObject: true });
      if (info.width !== 28 || info.height !== 28 || info.channels !== 1) throw new Error(`${file} is not a 28x28 grey image`);
      for (let i = 0; i < 784; i++) x[dst * 784 + i] = px[i] / 255;
      y[dst] = label;
    }),
  );
  return { x, y, n };
}

describe.skipIf(!haveDigits || process.env.SKIP_MNIST === '1')('the mnist CNN on wasm', () => {
  it('learns the bundled handwritten digits (> 90% validation accuracy)', { timeout: 180_000 }, async () => {
    await tf.setBackend('wasm');
    const { x, y, n } = await loadDigits(400);
    const nVal = 600;
    const nTrain = n - nVal;
    const xs = tf.tensor4d(x, [n, 28, 28, 1]);
    const ys = tf.oneHot(tf.tensor1d(y, 'int32'), 10);
    const [xTrain, xVal] = tf.split(xs, [nTrain, nVal]);
    const [yTrain, yVal] = tf.split(ys, [nTrain, nVal]);
    const model = compileModel(mnistCnn(), tf).model;
    model.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const t0 = performance.now();
    const epochs = 3;
    await model.fit(xTrain, yTrain, { batchSize: 32, epochs, shuffle: true, verbose: 0 });
    const seconds = (performance.now() - t0) / 1000;
    const [, acc] = model.evaluate(xVal, yVal, { batchSize: 100 }) as tf.Scalar[];
    const accuracy = (await acc.data())[0];
    console.log(`mnist CNN on wasm (${report.threads} thread(s)): ${nTrain} digits x ${epochs} epochs in ${seconds.toFixed(1)} s (${((nTrain * epochs) / seconds).toFixed(0)} samples/s), validation accuracy ${(accuracy * 100).toFixed(1)}% on ${nVal} held-out digits`);
    expect(accuracy).toBeGreaterThan(0.9);
    tf.dispose([xs, ys, xTrain, xVal, yTrain, yVal, acc]);
    model.dispose();
  });
});
