/**
 * bench:wasm — training throughput of the mnist CNN (examples/mnist-cnn.layerloom, or the same
 * layers built from blocks) with tfjs `model.fit` on synthetic 28×28×1 data, batch 32:
 *   - wasm with the training kernels, multi-threaded (every core) and single-threaded,
 *   - tfjs's pure-JS `cpu` backend (a few batches: it is ~1000x slower),
 *   - Keras 3 / TensorFlow in Python (same layers, data, batch and optimizer), when available,
 * each in its own process, as samples/s after a warm-up epoch (`model.fit`) and per step
 * (`trainOnBatch` / Keras `train_on_batch`: no fit bookkeeping), with the ratios; then the
 * per-kernel profile of one wasm training step. `--accuracy` also trains the CNN on the bundled
 * digits (assets/datasets/digits) on wasm and reports the validation accuracy.
 *
 *   npm run bench:wasm [-- --samples 2048 --epochs 3 --batch-size 32 --threads 0 --accuracy]
 *
 * Figures are noisy on shared machines: each figure is the best epoch (fit) or the best
 * one-second window (step) of its run, for every configuration alike, as other load only ever
 * slows a run down; all run in the same invocation so the ratios compare like with like.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '2048' },
    epochs: { type: 'string', default: '3' },
    'batch-size': { type: 'string', default: '32' },
    threads: { type: 'string', default: '0' },
    accuracy: { type: 'boolean', default: false },
    child: { type: 'string' },
    profile: { type: 'boolean', default: false },
  },
});
const root = fileURLToPath(new URL('../../', import.meta.url));
const N = Number(values.samples);
const EPOCHS = Math.max(2, Number(values.epochs));
const B = Number(values['batch-size']);

interface KernelRow {
  readonly kernel: string;
  readonly calls: number;
  readonly selfMs: number;
  readonly totalMs: number;
}
interface ChildResult {
  readonly backend: string;
  readonly threads: number;
  readonly samplesPerSec: number;
  /** trainOnBatch on one batch, no model.fit bookkeeping. */
  readonly stepSamplesPerSec?: number;
  readonly profile?: KernelRow[];
  readonly stepMs?: number;
  readonly accuracy?: { readonly train: number; readonly val: number; readonly epochs: number; readonly acc: number; readonly seconds: number };
  readonly fallbacks?: string[];
}

if (values.child) await child(values.child, Number(values.threads));
else parent();

// ------------------------------------------------------------------------------------------------

function parent(): void {
  const cores = availableParallelism();
  const threads = Number(values.threads) > 0 ? Number(values.threads) : cores;
  console.log(`bench:wasm — mnist CNN, ${N} synthetic samples, batch ${B}, ${EPOCHS} epochs (first is warm-up; best epoch counts); ${cores} cores`);
  const run = (backend: string, t: number, extra: string[] = [], samples = N, epochs = EPOCHS): ChildResult | null => {
    const args = ['tsx', fileURLToPath(import.meta.url), '--child', backend, '--threads', String(t), '--samples', String(samples), '--epochs', String(epochs), '--batch-size', String(B), ...extra];
    const r = spawnSync('npx', args, { cwd: root, encoding: 'utf8', timeout: 1_200_000 });
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) {
      console.log(`  ${backend} (${t} threads) failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
      return null;
    }
    return JSON.parse(line.slice(7)) as ChildResult;
  };
  const wasmN = run('wasm', threads, ['--profile']);
  const wasm1 = threads > 1 ? run('wasm', 1) : null;
  const cpu = run('cpu', 1, [], B, 2); // one timed batch: ~20 s
  const keras = runKeras();

  const fmt = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(2));
  const ratio = (a?: number, b?: number): string => (a && b ? `${(a / b).toFixed(a / b >= 10 ? 0 : 2)}×` : '—');
  const row = (label: string, fit?: number, step?: number): void => console.log(`  ${label.padEnd(30)} ${fmt(fit).padStart(9)} ${fmt(step).padStart(13)}`);
  console.log('');
  console.log(`  ${''.padEnd(30)} ${'model.fit'.padStart(9)} ${'trainOnBatch'.padStart(13)}   (samples/s)`);
  row(`wasm, ${wasmN?.threads ?? threads} threads`, wasmN?.samplesPerSec, wasmN?.stepSamplesPerSec);
  if (wasm1) row('wasm, 1 thread', wasm1.samplesPerSec, wasm1.stepSamplesPerSec);
  row('cpu (pure JS)', cpu?.samplesPerSec, undefined);
  row(`Keras ${keras.note}`, keras.samplesPerSec, keras.stepSamplesPerSec);
  console.log('');
  console.log(`  wasm / Keras          fit ${ratio(wasmN?.samplesPerSec, keras.samplesPerSec)}, step ${ratio(wasmN?.stepSamplesPerSec, keras.stepSamplesPerSec)}   (goal ≥ 0.25×)`);
  if (wasm1) console.log(`  wasm 1 thread / Keras fit ${ratio(wasm1.samplesPerSec, keras.samplesPerSec)}, step ${ratio(wasm1.stepSamplesPerSec, keras.stepSamplesPerSec)}`);
  console.log(`  wasm / cpu            fit ${ratio(wasmN?.samplesPerSec, cpu?.samplesPerSec)}`);
  if (wasm1) console.log(`  threads speed-up      fit ${ratio(wasmN?.samplesPerSec, wasm1.samplesPerSec)}, step ${ratio(wasmN?.stepSamplesPerSec, wasm1.stepSamplesPerSec)}`);
  if (wasmN?.fallbacks?.length) console.log(`  kernels that ran on the cpu fallback: ${wasmN.fallbacks.join(', ')}`);

  if (wasmN?.profile) {
    console.log(`\nper-kernel profile of one wasm training step (${wasmN.threads} threads, ${fmt(wasmN.stepMs)} ms/step; self = without nested kernels):`);
    console.log(`  ${'kernel'.padEnd(36)} ${'calls'.padStart(5)} ${'self ms'.padStart(8)} ${'total ms'.padStart(9)}`);
    for (const r of wasmN.profile.slice(0, 16)) {
      console.log(`  ${r.kernel.padEnd(36)} ${String(r.calls).padStart(5)} ${r.selfMs.toFixed(2).padStart(8)} ${r.totalMs.toFixed(2).padStart(9)}`);
    }
  }

  if (values.accuracy) {
    const acc = run('wasm', threads, ['--accuracy']);
    const a = acc?.accuracy;
    if (a) console.log(`\naccuracy: mnist CNN on wasm, bundled digits: ${a.train} train / ${a.val} validation, ${a.epochs} epochs in ${a.seconds.toFixed(0)} s → validation accuracy ${(a.acc * 100).toFixed(1)}%`);
    else console.log('\naccuracy: not measured (assets/datasets/digits missing?)');
  }
}

function runKeras(): { samplesPerSec?: number; stepSamplesPerSec?: number; note: string } {
  const py = `
import os, time, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np, keras
from keras import layers
rng = np.random.default_rng(0)
x = rng.random((${N}, 28, 28, 1), dtype=np.float32); y = rng.integers(0, 10, ${N})
m = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
  layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2), layers.Conv2D(64, 3, activation="relu"),
  layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax")])
m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
m.fit(x, y, batch_size=${B}, epochs=1, verbose=0)
best = 0
for _ in range(${EPOCHS - 1}):
  t = time.perf_counter(); m.fit(x, y, batch_size=${B}, epochs=1, verbose=0); best = max(best, ${N} / (time.perf_counter() - t))
print("RESULT", best)
xb, yb = x[:${B}], y[:${B}]
for _ in range(5): m.train_on_batch(xb, yb)
best = 0
for _ in range(3):
  n = 0; t = time.perf_counter()
  while time.perf_counter() - t < 1: m.train_on_batch(xb, yb); n += 1
  best = max(best, n * ${B} / (time.perf_counter() - t))
print("STEP", best)
print("VERSION", keras.__version__, keras.backend.backend())
`;
  const r = spawnSync('python3', ['-c', py], { encoding: 'utf8', timeout: 600_000 });
  const v = /RESULT (\S+)/.exec(r.stdout ?? '');
  if (!v) return { note: `(not run: ${r.error ? r.error.message : (r.stderr || '').trim().split('\n').slice(-1)[0] || 'python3 with keras not found'})` };
  const step = /STEP (\S+)/.exec(r.stdout);
  return { samplesPerSec: Number(v[1]), stepSamplesPerSec: step ? Number(step[1]) : undefined, note: `${(/VERSION (.+)/.exec(r.stdout)?.[1] ?? '').trim()}` };
}

// ------------------------------------------------------------------------------------------------

async function child(backend: string, threads: number): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  const { setupWasmBackend, wasmFallbackCalls } = await import('../../electron/services/wasmKernels.js');
  const { compileModel } = await import('../../shared/compile/compile.js');
  let usedThreads = 1;
  if (backend === 'wasm') usedThreads = (await setupWasmBackend(tf, threads > 0 ? { threads } : {})).threads;
  else await tf.setBackend(backend);
  const doc = await mnistDoc();

  if (values.accuracy) {
    const result = await accuracyRun(tf, compileModel(doc, tf).model);
    console.log(`RESULT ${JSON.stringify({ backend, threads: usedThreads, samplesPerSec: NaN, accuracy: result } satisfies ChildResult)}`);
    process.exit(0);
  }

  const model = compileModel(doc, tf).model;
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const x = tf.randomUniform([N, 28, 28, 1]);
  const y = tf.randomUniform([N], 0, 10, 'int32').cast('float32');
  await model.fit(x, y, { batchSize: B, epochs: 1, shuffle: true, verbose: 0 });
  // Best epoch and best one-second window: other load on the machine only ever slows a run down.
  let samplesPerSec = 0;
  for (let e = 1; e < EPOCHS; e++) {
    const t0 = performance.now();
    await model.fit(x, y, { batchSize: B, epochs: 1, shuffle: true, verbose: 0 });
    samplesPerSec = Math.max(samplesPerSec, N / ((performance.now() - t0) / 1000));
  }

  const xb = x.slice(0, B);
  const yb = y.slice(0, B);
  let stepSamplesPerSec: number | undefined;
  if (backend !== 'cpu') {
    for (let i = 0; i < 3; i++) await model.trainOnBatch(xb, yb);
    stepSamplesPerSec = 0;
    for (let w = 0; w < 3; w++) {
      let steps = 0;
      const t2 = performance.now();
      while (performance.now() - t2 < 1000) {
        await model.trainOnBatch(xb, yb);
        steps++;
      }
      stepSamplesPerSec = Math.max(stepSamplesPerSec, (steps * B) / ((performance.now() - t2) / 1000));
    }
  }

  let profile: KernelRow[] | undefined;
  let stepMs: number | undefined;
  if (values.profile) {
    const stats = new Map<string, { calls: number; self: number; total: number }>();
    const stack: number[] = [];
    for (const k of tf.getKernelsForBackend(backend)) {
      const inner = k.kernelFunc;
      (k as { kernelFunc: typeof inner }).kernelFunc = (args) => {
        stack.push(0);
        const t = performance.now();
        const out = inner(args);
        const el = performance.now() - t;
        const nested = stack.pop() ?? 0;
        if (stack.length) stack[stack.length - 1] += el;
        const s = stats.get(k.kernelName) ?? { calls: 0, self: 0, total: 0 };
        s.calls++;
        s.self += el - nested;
        s.total += el;
        stats.set(k.kernelName, s);
        return out;
      };
    }
    const steps = 10;
    const t1 = performance.now();
    for (let i = 0; i < steps; i++) await model.trainOnBatch(xb, yb);
    stepMs = (performance.now() - t1) / steps;
    profile = [...stats.entries()]
      .map(([kernel, s]) => ({ kernel, calls: s.calls / steps, selfMs: s.self / steps, totalMs: s.total / steps }))
      .sort((a, b) => b.selfMs - a.selfMs);
  }
  const fallbacks = [...wasmFallbackCalls().keys()];
  console.log(`RESULT ${JSON.stringify({ backend, threads: usedThreads, samplesPerSec, stepSamplesPerSec, profile, stepMs, fallbacks } satisfies ChildResult)}`);
  process.exit(0);
}

async function mnistDoc(): Promise<import('../../shared/graph/document.js').ProjectDocument> {
  const { loadProjectFile } = await import('../../electron/services/projectService.js');
  return (await loadProjectFile(join(root, 'examples/mnist-cnn.layerloom'))).doc;
}

/** Trains on the bundled digits (90% train, 10% validation, classes interleaved), 5 epochs. */
async function accuracyRun(tf: typeof import('@tensorflow/tfjs'), model: import('@tensorflow/tfjs').LayersModel): Promise<NonNullable<ChildResult['accuracy']>> {
  const { default: sharp } = await import('sharp');
  const dir = join(root, 'assets/datasets/digits');
  const files: [string, number][] = [];
  for (let c = 0; c < 10; c++) readdirSync(join(dir, String(c))).sort().forEach((f, i) => files.push([join(dir, String(c), f), c * 100000 + i]));
  files.sort((a, b) => (a[1] % 100000) - (b[1] % 100000) || a[1] - b[1]);
  const n = files.length;
  const x = new Float32Array(n * 784);
  const y = new Float32Array(n);
  await Promise.all(
    files.map(async ([file, key], i) => {
      const { data } = await sharp(file).greyscale().raw().toBuffer({ resolveWithObject: true });
      for (let p = 0; p < 784; p++) x[i * 784 + p] = data[p] / 255;
      y[i] = Math.floor(key / 100000);
    }),
  );
  const nVal = Math.round(n * 0.1);
  const nTrain = n - nVal;
  const xs = tf.tensor4d(x, [n, 28, 28, 1]);
  const ys = tf.tensor1d(y);
  const [xt, xv] = tf.split(xs, [nTrain, nVal]);
  const [yt, yv] = tf.split(ys, [nTrain, nVal]);
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const epochs = 5;
  const t0 = performance.now();
  await model.fit(xt, yt, { batchSize: B, epochs, shuffle: true, verbose: 0 });
  const seconds = (performance.now() - t0) / 1000;
  const [, acc] = model.evaluate(xv, yv, { batchSize: 200 }) as import('@tensorflow/tfjs').Scalar[];
  return { train: nTrain, val: nVal, epochs, acc: (await acc.data())[0], seconds };
}
