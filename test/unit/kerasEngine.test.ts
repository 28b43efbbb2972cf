/**
 * The Keras engine end to end: the real training worker runs the exported model.py in the real
 * Python Keras/TensorFlow installed here, on tiny datasets (1–2 epochs). Skipped, with the reason,
 * only where Python Keras is absent.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProject } from '../../shared/graph/serialization.js';
import type { ProjectDocument } from '../../shared/graph/document.js';
import type { TrainingEvent } from '../../shared/training/protocol.js';
import * as tf from '@tensorflow/tfjs';
import { planModel } from '../../shared/codegen/plan.js';
import { compileModel } from '../../shared/compile/compile.js';
import { loadWeightsInto, readRun } from '../../electron/services/runsService.js';
import { kerasWeightEntries } from '../../electron/services/weights/kerasWeights.js';
import { decodeNpz } from '../../electron/services/weights/npz.js';
import { train, type TrainOptions } from '../../electron/services/trainingService.js';
import { chain } from '../helpers/chainDoc.js';
import { MIXED_PRECISION_CPU_NOTICE } from '../../shared/codegen/keras/index.js';
import { PYTHON, whyNoKeras } from '../helpers/python.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const iris = join(root, 'assets/datasets/iris.csv');
const noKeras = whyNoKeras();
/** Each run starts Python and imports TensorFlow (seconds on a busy 2-core machine). */
const SLOW = 240_000;
let work: string;
let digits: string;

const irisMlp = () =>
  chain('iris', [
    ['in', 'Input', { shape: [4] }],
    ['d1', 'Dense', { units: 16, activation: 'relu' }],
    ['d2', 'Dense', { units: 3, activation: 'softmax' }],
    ['out', 'Output'],
  ]);

function mnistExample(): ProjectDocument {
  const parsed = parseProject(readFileSync(join(root, 'examples/mnist-cnn.layerloom'), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.doc;
}

async function run(options: Omit<TrainOptions, 'projectPath' | 'runsDir'>, onEvent?: (e: TrainingEvent, h: ReturnType<typeof train>) => void) {
  const events: TrainingEvent[] = [];
  const handle: ReturnType<typeof train> = train({ projectPath: null, runsDir: join(work, 'runs'), mode: 'thread', python: PYTHON, ...options }, (e) => {
    events.push(e);
    onEvent?.(e, handle);
  });
  const finished = await handle.done;
  return { events, finished };
}

/** Runs `fn` with PYTHONPATH set for the Python the engine starts (the worker thread copies the environment). */
async function withPythonPath<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env.PYTHONPATH;
  process.env.PYTHONPATH = dir;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.PYTHONPATH;
    else process.env.PYTHONPATH = before;
  }
}

/** The weights Keras started a resumed run from (keras/start.npz) equal the checkpoint's, bit for bit. */
async function expectStartedFrom(doc: ProjectDocument, from: string, runDir: string) {
  const { model } = compileModel(doc, tf, { seed: 1 });
  try {
    await loadWeightsInto(model, join(from, 'checkpoints/last/model'), tf);
    const expected = kerasWeightEntries(model, planModel(doc));
    const started = decodeNpz(readFileSync(join(runDir, 'keras/start.npz')));
    expect(started.map((e) => e.array.shape)).toEqual(expected.map((e) => e.array.shape));
    started.forEach((e, i) => expect(Buffer.from(e.array.data.buffer, e.array.data.byteOffset, e.array.data.byteLength).equals(Buffer.from(expected[i].array.data.buffer, expected[i].array.data.byteOffset, expected[i].array.data.byteLength)), `array ${i}`).toBe(true));
  } finally {
    model.dispose();
  }
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'layerloom-keras-engine-'));
  // Ten classes of six digit images each: enough for the mnist example's 10-way output.
  digits = join(work, 'digits');
  for (let c = 0; c < 10; c++) {
    const from = join(root, 'assets/datasets/digits', String(c));
    mkdirSync(join(digits, String(c)), { recursive: true });
    for (const f of readdirSync(from).sort().slice(0, 6)) cpSync(join(from, f), join(digits, String(c), f));
  }
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('Keras engine', () => {
  it('fails with the fix named when the Python interpreter cannot be started', async () => {
    const { finished } = await run({ doc: irisMlp(), datasetPath: iris, engine: 'keras', python: join(work, 'no-such-python') });
    expect(finished.status).toBe('failed');
    expect(finished.error?.code).toBe('backend');
    expect(finished.message).toContain(`"${join(work, 'no-such-python')}" cannot be started`);
    expect(finished.message).toMatch(/--engine tfjs/);
  });

  it.skipIf(noKeras !== null)('trains the mnist example in Keras with per-batch progress, writes app-format checkpoints that the tfjs engine resumes', async () => {
    const { events, finished } = await run({ doc: mnistExample(), datasetPath: digits, engine: 'keras', overrides: { epochs: 2, batchSize: 16 }, progressIntervalMs: 0 });
    expect(finished.message ?? '').toBe('');
    expect(finished.status).toBe('completed');
    const started = events.find((e) => e.kind === 'started');
    expect(started?.kind === 'started' && started.backend).toMatch(/^Keras 3\.\d+\.\d+ \/ TensorFlow 2\.\d+/);
    expect(started?.kind === 'started' && started.engineLabel).toMatch(/^Keras · TF 2\.\d+ · CPU$/);
    const batches = events.filter((e) => e.kind === 'batch');
    // 50 training samples (one of each class's six validates) at batch 16: four batches an epoch,
    // each reported (interval 0).
    expect(started?.kind === 'started' && started.trainSamples).toBe(50);
    expect(batches.map((b) => b.kind === 'batch' && `${b.epoch}.${b.batch}/${b.batchesPerEpoch}`)).toEqual(['1.1/4', '1.2/4', '1.3/4', '1.4/4', '2.1/4', '2.2/4', '2.3/4', '2.4/4']);
    for (const b of batches) if (b.kind === 'batch') expect(b.samplesPerSecond).toBeGreaterThan(0);
    const epochs = events.filter((e) => e.kind === 'epoch');
    expect(epochs).toHaveLength(2);
    const last = epochs[1].kind === 'epoch' ? epochs[1].metrics : {};
    // The app scores the checkpoint it wrote from Keras's weights: the same validation loss Keras
    // reported for its last epoch (the weights crossed over exactly).
    expect(finished.finalMetrics.val_loss).toBeCloseTo(last.val_loss, 5);
    expect(finished.finalMetrics.val_accuracy).toBeCloseTo(last.val_accuracy, 6);
    const dir = finished.runDir as string;
    const saved = await readRun(dir);
    expect([saved?.status, saved?.engine, saved?.epochsCompleted, saved?.history.length]).toEqual(['completed', 'keras', 2, 2]);
    for (const f of ['checkpoints/last/model/model.json', 'checkpoints/last/state.json', 'checkpoints/best/model/model.json', 'model/model.json', 'evaluation.json', 'keras/model.py', 'keras.log']) expect(existsSync(join(dir, f)), f).toBe(true);

    // Resume on the other engine: weights and position carry over, the optimizer starts afresh.
    const resumed = await run({ doc: mnistExample(), datasetPath: digits, resumeFrom: dir, overrides: { epochs: 3, batchSize: 16 } });
    expect(resumed.finished.status).toBe('completed');
    const r = resumed.events.find((e) => e.kind === 'started');
    expect(r?.kind === 'started' && r.startEpoch).toBe(2);
    expect(resumed.events.some((e) => e.kind === 'log' && /trained on the Keras engine.*optimizer's state starts afresh/.test(e.message))).toBe(true);
  }, SLOW);

  it.skipIf(noKeras !== null)('stops at a batch boundary on request and keeps a checkpoint; --mixed-precision without a GPU says so and trains in float32', async () => {
    let asked = false;
    // The same run asks for mixed precision (one Python start for both): no GPU here.
    const { events, finished } = await run({ doc: irisMlp(), datasetPath: iris, engine: 'keras', overrides: { epochs: 40, batchSize: 4 }, progressIntervalMs: 0, modelArgs: ['--mixed-precision'] }, (e, h) => {
      if (e.kind === 'batch' && !asked) {
        asked = true;
        h.stop();
      }
    });
    expect(finished.status).toBe('stopped');
    expect(finished.epochsCompleted).toBeLessThan(40);
    const state = JSON.parse(readFileSync(join(finished.runDir as string, 'checkpoints/last/state.json'), 'utf8')) as { epochsDone: number; batchesDone: number };
    expect(state.epochsDone * 1000 + state.batchesDone).toBeGreaterThan(0);
    expect((await readRun(finished.runDir as string))?.status).toBe('stopped');
    const notice = events.filter((e) => e.kind === 'log' && e.level === 'warning' && e.message.startsWith('--mixed-precision:'));
    expect(notice.map((e) => e.kind === 'log' && e.message)).toEqual([MIXED_PRECISION_CPU_NOTICE]);
    expect(MIXED_PRECISION_CPU_NOTICE).toMatch(/not supported on the CPU.*trains in float32/);
    expect(readFileSync(join(finished.runDir as string, 'keras.log'), 'utf8')).toContain("Keras's mixed_float16 policy is not supported on the CPU");
  }, SLOW);

  it.skipIf(noKeras !== null)('names the versions found when Keras is too old', async () => {
    // A real interpreter and TensorFlow, with an old Keras first on the path.
    const old = join(work, 'old-keras');
    mkdirSync(join(old, 'keras'), { recursive: true });
    writeFileSync(join(old, 'keras', '__init__.py'), '__version__ = "2.15.0"\n');
    const { finished } = await withPythonPath(old, () => run({ doc: irisMlp(), datasetPath: iris, engine: 'keras' }));
    expect(finished.error?.code).toBe('backend');
    expect(finished.message).toMatch(/too old: found Python 3\.\d+\.\d+, TensorFlow 2\.\d+\.\d+, Keras 2\.15\.0; the Keras engine needs TensorFlow 2\.16\.0 or newer and Keras 3\.0\.0 or newer/);
  }, SLOW);

  it.skipIf(noKeras !== null)('shows the last line of an exception in the program; the full traceback is in the run folder', async () => {
    // model.py's own --batch-size 0 (after the engine's): tf.data refuses it with an exception.
    const { finished } = await run({ doc: irisMlp(), datasetPath: iris, engine: 'keras', modelArgs: ['--batch-size', '0'] });
    expect(finished.status).toBe('failed');
    expect(finished.message).toMatch(/^The Keras program failed: InvalidArgumentError: Batch size must be greater than zero\. .*The full log is in .*keras\.log/s);
    const logText = readFileSync(join(finished.runDir as string, 'keras.log'), 'utf8');
    expect(logText).toContain('Traceback (most recent call last)');
  }, SLOW);

  it.skipIf(noKeras !== null)('fails the run with the NaN guard when the loss diverges', async () => {
    const csv = ['a,b,c,y'];
    for (let i = 0; i < 200; i++) csv.push(`${i},${(i * 7) % 13},${Math.sin(i)},${(i * i * 0.5 + 1000).toFixed(2)}`);
    const file = join(work, 'big-target.csv');
    writeFileSync(file, csv.join('\n'));
    const doc = chain('regression', [
      ['in', 'Input', { shape: [3] }],
      ['d1', 'Dense', { units: 32, activation: 'relu' }],
      ['d2', 'Dense', { units: 1, activation: 'linear' }],
      ['out', 'Output'],
    ]);
    const { finished } = await run({ doc, datasetPath: file, engine: 'keras', overrides: { epochs: 50, batchSize: 8, optimizer: 'sgd', learningRate: 10 } });
    expect([finished.status, finished.error?.code]).toEqual(['failed', 'nan']);
    expect(finished.message).toMatch(/became (NaN|infinite).*lower the learning rate/s);
    expect((await readRun(finished.runDir as string))?.error?.code).toBe('nan');
  }, SLOW);

  it.skipIf(noKeras !== null)('a killed Python process leaves the run interrupted with its checkpoints kept, and it resumes on the Keras engine', async () => {
    let pid = 0;
    const { finished } = await run({ doc: irisMlp(), datasetPath: iris, engine: 'keras', overrides: { epochs: 500, batchSize: 8 } }, (e) => {
      if (e.kind === 'log') pid = Number(/Python process (\d+)/.exec(e.message)?.[1] ?? pid);
      if (e.kind === 'epoch' && e.epoch === 1 && pid) process.kill(pid, 'SIGKILL');
    });
    const dir = finished.runDir as string;
    expect([finished.status, finished.error?.code]).toEqual(['failed', 'crash']);
    expect(finished.message).toMatch(/^Interrupted: the Keras engine's Python process was killed \(SIGKILL\)\. Its last checkpoint \(after epoch \d+\) is kept in checkpoints\/last; continue it with: layerloom train .* --resume /s);
    expect(existsSync(join(dir, 'checkpoints/last/model/model.json'))).toBe(true);
    const saved = await readRun(dir);
    expect([saved?.status, saved?.resumable]).toEqual(['interrupted', true]);
    const { epochsDone } = JSON.parse(readFileSync(join(dir, 'checkpoints/last/state.json'), 'utf8')) as { epochsDone: number };

    // Resumed on the Keras engine: it goes on at the next epoch, from the checkpoint's weights.
    const resumed = await run({ doc: irisMlp(), datasetPath: iris, engine: 'keras', resumeFrom: dir, overrides: { epochs: epochsDone + 1, batchSize: 8 } });
    expect(resumed.finished.message ?? '').toBe('');
    expect(resumed.finished.status).toBe('completed');
    const started = resumed.events.find((e) => e.kind === 'started');
    expect(started?.kind === 'started' && started.startEpoch).toBe(epochsDone);
    expect(resumed.events.filter((e) => e.kind === 'epoch').map((e) => e.kind === 'epoch' && e.epoch)).toEqual([epochsDone + 1]);
    expect(resumed.events.some((e) => e.kind === 'log' && /optimizer's state starts afresh/.test(e.message))).toBe(true);
    await expectStartedFrom(irisMlp(), dir, resumed.finished.runDir as string);
    expect((await readRun(resumed.finished.runDir as string))?.history.map((h) => h.epoch)).toEqual([...Array.from({ length: epochsDone }, (_, i) => i + 1), epochsDone + 1]);
  }, SLOW);

  it.skipIf(noKeras !== null)('resumes a tfjs run on the Keras engine with its position and early-stopping state', async () => {
    const settings = { batchSize: 8, earlyStopping: { enabled: true, monitor: 'val_loss' as const, patience: 2, restoreBestWeights: false } };
    const first = await run({ doc: irisMlp(), datasetPath: iris, overrides: { ...settings, epochs: 2 } });
    expect(first.finished.status).toBe('completed');
    const dir = first.finished.runDir as string;
    // A best no epoch can beat, one epoch ago: with patience 2 the next epoch without improvement
    // ends the run, which Keras does only if it took over the best value and the wait.
    const statePath = join(dir, 'checkpoints/last/state.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as Record<string, unknown>;
    writeFileSync(statePath, JSON.stringify({ ...state, best: { epoch: 1, value: 1e-9 }, wait: 1 }));
    const resumed = await run({ doc: irisMlp(), datasetPath: iris, engine: 'keras', resumeFrom: dir, overrides: { ...settings, epochs: 8 } });
    expect(resumed.finished.message).toMatch(/^Stopped early at epoch 3/);
    expect(resumed.finished.epochsCompleted).toBe(3);
    const r = resumed.events.find((e) => e.kind === 'started');
    expect(r?.kind === 'started' && r.startEpoch).toBe(2);
    const after = JSON.parse(readFileSync(join(resumed.finished.runDir as string, 'checkpoints/last/state.json'), 'utf8')) as { best: unknown; wait: number };
    expect([after.best, after.wait]).toEqual([{ epoch: 1, value: 1e-9 }, 2]);
    expect(resumed.events.some((e) => e.kind === 'log' && /trained on the tfjs engine.*optimizer's state starts afresh/.test(e.message))).toBe(true);
    await expectStartedFrom(irisMlp(), dir, resumed.finished.runDir as string);
  }, SLOW);
});
