/**
 * The training worker end to end: real worker processes/threads, real TensorFlow.js (the native
 * backend when it is installed, else the pure-JS one), small datasets so it stays fast.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary, TrainingEvent } from '../../shared/training/protocol.js';
import { listRuns, loadModel, readRun } from '../../electron/services/runsService.js';
import { loadTrainingBackend } from '../../electron/services/trainingBackend.js';
import { train, type TrainOptions } from '../../electron/services/trainingService.js';
import { chain } from '../helpers/chainDoc.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const digits = join(root, 'assets/datasets/digits');
const iris = join(root, 'assets/datasets/iris.csv');
let work: string;


const irisMlp = (units = 3) =>
  chain('iris', [
    ['in', 'Input', { shape: [4] }],
    ['d1', 'Dense', { units: 16, activation: 'relu' }],
    ['d2', 'Dense', { units, activation: 'softmax' }],
    ['out', 'Output'],
  ]);
const digitsMlp = () =>
  chain('digits', [
    ['in', 'Input', { shape: [28, 28, 1] }],
    ['f', 'Flatten'],
    ['d1', 'Dense', { units: 64, activation: 'relu' }],
    ['d2', 'Dense', { units: 10, activation: 'softmax' }],
    ['out', 'Output'],
  ]);

async function run(options: Omit<TrainOptions, 'projectPath' | 'runsDir'> & { runsDir?: string }, onEvent?: (e: TrainingEvent, h: ReturnType<typeof train>) => void) {
  const events: TrainingEvent[] = [];
  const handle: ReturnType<typeof train> = train({ projectPath: null, runsDir: join(work, 'runs'), ...options }, (e) => {
    events.push(e);
    onEvent?.(e, handle);
  });
  const finished = await handle.done;
  return { events, finished, handle };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'layerloom-train-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('training worker', () => {
  let completed: RunSummary | null = null;

  it('trains the iris MLP to a good accuracy and saves a complete run folder', async () => {
    const { events, finished } = await run({ doc: irisMlp(), datasetPath: iris, overrides: { epochs: 25, batchSize: 16, learningRate: 0.02 }, progressIntervalMs: 0 });
    expect(finished.status).toBe('completed');
    const kinds = events.map((e) => e.kind);
    expect(kinds.indexOf('started')).toBeLessThan(kinds.indexOf('batch'));
    expect(kinds.filter((k) => k === 'epoch')).toHaveLength(25);
    expect(kinds.at(-1)).toBe('finished');
    const started = events.find((e) => e.kind === 'started');
    expect(started).toMatchObject({ trainSamples: 120, validationSamples: 30, batchesPerEpoch: 8, loss: 'sparse_categorical_crossentropy', classes: ['setosa', 'versicolor', 'virginica'] });
    const batch = events.find((e) => e.kind === 'batch');
    expect(batch).toMatchObject({ epoch: 1, batch: 1, batchesPerEpoch: 8 });
    if (batch?.kind === 'batch') expect(Object.keys(batch.metrics)).toEqual(['loss', 'accuracy']);
    const epoch = events.find((e) => e.kind === 'epoch');
    if (epoch?.kind === 'epoch') expect(Object.keys(epoch.metrics)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    expect(finished.finalMetrics.val_accuracy).toBeGreaterThan(0.8);
    expect(finished.evaluation?.task).toBe('classification');
    expect(finished.confusionMatrix?.counts.flat().reduce((a, b) => a + b, 0)).toBe(30);

    const dir = finished.runDir as string;
    for (const f of ['run.json', 'history.json', 'graph.layerloom', 'preprocessing.json', 'evaluation.json', 'model/model.json', 'model/weights.bin', 'checkpoints/last/model/model.json', 'checkpoints/last/optimizer.bin', 'checkpoints/best/state.json']) {
      expect([f, existsSync(join(dir, f))]).toEqual([f, true]);
    }
    completed = await readRun(dir);
    expect(completed).toMatchObject({ status: 'completed', epochs: 25, epochsCompleted: 25, loss: 'sparse_categorical_crossentropy' });
    expect(completed?.history).toHaveLength(25);
    const preprocessing = JSON.parse(readFileSync(join(dir, 'preprocessing.json'), 'utf8'));
    expect(preprocessing.features.map((f: { column: string }) => f.column)).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);

    // The saved model loads with tf.loadLayersModel and predicts.
    const { tf } = await loadTrainingBackend('auto');
    const model = await loadModel(join(dir, 'model'), tf);
    const p = model.predict(tf.zeros([2, 4])) as ReturnType<typeof tf.zeros>;
    expect(p.shape).toEqual([2, 3]);
    expect(await listRuns({ runsDir: join(work, 'runs') })).toEqual(expect.arrayContaining([expect.objectContaining({ id: completed?.id, status: 'completed' })]));
  });

  it('stops gracefully mid-epoch, leaving a usable model, and resumes from that batch', async () => {
    const runsDir = join(work, 'stop');
    const { finished, events } = await run(
      { doc: digitsMlp(), datasetPath: digits, overrides: { epochs: 3, batchSize: 32 }, runsDir, progressIntervalMs: 0, mode: 'thread' },
      (e, h) => {
        if (e.kind === 'batch' && e.epoch === 1 && e.batch === 20) h.stop();
      },
    );
    expect(finished.status).toBe('stopped');
    expect(finished.epochsCompleted).toBe(0);
    expect(events.some((e) => e.kind === 'epoch')).toBe(false);
    const dir = finished.runDir as string;
    const state = JSON.parse(readFileSync(join(dir, 'checkpoints/last/state.json'), 'utf8'));
    expect(state.epochsDone).toBe(0);
    expect(state.batchesDone).toBeGreaterThanOrEqual(20);
    expect(state.batchesDone).toBeLessThan(100);
    // A usable model: loads and classifies the validation split better than chance.
    expect(existsSync(join(dir, 'model/model.json'))).toBe(true);
    expect(finished.evaluation?.task === 'classification' && finished.evaluation.accuracy).toBeGreaterThan(0.5);
    const { tf } = await loadTrainingBackend('auto');
    const model = await loadModel(join(dir, 'model'), tf);
    expect((model.predict(tf.zeros([1, 28, 28, 1])) as ReturnType<typeof tf.zeros>).shape).toEqual([1, 10]);

    // Resume: finishes epoch 1 from the saved batch, in a new run folder that points back.
    const resumed = await run({ doc: digitsMlp(), datasetPath: digits, overrides: { epochs: 1, batchSize: 32 }, runsDir, resumeFrom: dir, mode: 'thread' });
    expect(resumed.finished.status).toBe('completed');
    expect(resumed.finished.epochsCompleted).toBe(1);
    const resumedRun = await readRun(resumed.finished.runDir as string);
    expect(resumedRun?.resumedFrom).toBe(dir);
    expect(resumed.finished.finalMetrics.val_accuracy).toBeGreaterThan(0.7);
    const runs = await listRuns({ runsDir });
    expect(runs.map((r) => r.status)).toEqual(['completed', 'stopped']);
  });

  it('stops with an explanation when the loss becomes NaN (learning rate far too high)', async () => {
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
    const { finished } = await run({ doc, datasetPath: file, overrides: { epochs: 50, batchSize: 8, optimizer: 'sgd', learningRate: 10 } });
    expect(finished.status).toBe('failed');
    expect([finished.error?.code, finished.message]).toEqual(['nan', expect.any(String)]);
    expect(finished.message).toMatch(/became (NaN|infinite).*learning rate 10.*lower the learning rate/s);
    const saved = await readRun(finished.runDir as string);
    expect(saved?.status).toBe('failed');
    expect(saved?.error?.code).toBe('nan');
  });

  it('trains a regression target with mean squared error and reports MSE/MAE/R²', async () => {
    const csv = ['x,colour,y'];
    for (let i = 0; i < 120; i++) csv.push(`${(i % 20) / 2},${['red', 'blue'][i % 2]},${((i % 20) * 1.5 + (i % 2 ? 3 : 0)).toFixed(2)}`);
    const file = join(work, 'linear.csv');
    writeFileSync(file, csv.join('\n'));
    const doc = chain('linear', [
      ['in', 'Input', { shape: [3] }],
      ['d1', 'Dense', { units: 16, activation: 'relu' }],
      ['d2', 'Dense', { units: 1, activation: 'linear' }],
      ['out', 'Output'],
    ]);
    const { finished, events } = await run({ doc, datasetPath: file, overrides: { epochs: 30, batchSize: 16, learningRate: 0.05, metrics: ['accuracy'] }, mode: 'thread' });
    expect(finished.status).toBe('completed');
    expect(events.find((e) => e.kind === 'started')).toMatchObject({ loss: 'mean_squared_error', classes: [] });
    expect(events.some((e) => e.kind === 'log' && /accuracy is not defined/.test(e.message))).toBe(true);
    expect(Object.keys(finished.finalMetrics)).toEqual(['val_loss', 'val_mean_absolute_error']);
    expect(finished.evaluation?.task === 'regression' && finished.evaluation.r2).toBeGreaterThan(0.8);
  });

  it('stops early when validation loss stops improving and restores the best weights', async () => {
    // Random labels: nothing generalizes, so validation loss soon rises while the model memorizes.
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const csv = ['a,b,c,d,label'];
    for (let i = 0; i < 240; i++) csv.push(`${rand()},${rand()},${rand()},${rand()},${rand() < 0.5 ? 'x' : 'y'}`);
    const file = join(work, 'noise.csv');
    writeFileSync(file, csv.join('\n'));
    const doc = chain('noise', [
      ['in', 'Input', { shape: [4] }],
      ['d1', 'Dense', { units: 128, activation: 'relu' }],
      ['d2', 'Dense', { units: 2, activation: 'softmax' }],
      ['out', 'Output'],
    ]);
    const { finished } = await run({
      doc,
      datasetPath: file,
      overrides: { epochs: 150, batchSize: 16, learningRate: 0.02, earlyStopping: { enabled: true, monitor: 'val_loss', patience: 3, restoreBestWeights: true } },
      mode: 'thread',
    });
    expect(finished.status).toBe('completed');
    expect(finished.message).toMatch(/Stopped early at epoch \d+/);
    expect(finished.epochsCompleted).toBeLessThan(150);
    const saved = await readRun(finished.runDir as string);
    const best = saved?.history.find((h) => h.epoch === finished.bestEpoch);
    expect(finished.epochsCompleted - (finished.bestEpoch ?? 0)).toBe(3);
    // The final model is the best epoch's: its validation loss is that epoch's.
    expect(finished.finalMetrics.val_loss).toBeCloseTo(best?.metrics.val_loss as number, 4);
  });

  it('turns a worker that exits into an error event (child process)', async () => {
    const { finished } = await run({ doc: irisMlp(), datasetPath: iris, overrides: { epochs: 500 } }, (e, h) => {
      if (e.kind === 'started') h.crash('exit');
    });
    expect(finished.status).toBe('failed');
    expect(finished.error?.code).toBe('crash');
    expect(finished.message).toMatch(/stopped unexpectedly.*exited with code 3/);
    // The run folder the worker had started is marked failed.
    const saved = await readRun(finished.runDir as string);
    expect(saved).toMatchObject({ status: 'failed', error: { code: 'crash' } });
  });

  it('turns an uncaught asynchronous exception in the worker into an error event (thread)', async () => {
    const { finished } = await run({ doc: irisMlp(), datasetPath: iris, overrides: { epochs: 500 }, mode: 'thread' }, (e, h) => {
      if (e.kind === 'started') h.crash('throw');
    });
    expect(finished.status).toBe('failed');
    expect(finished.error?.code).toBe('crash');
    expect(finished.message).toMatch(/Simulated crash/);
  });

  it('refuses a graph whose output does not fit the data (LL014), and a project without a dataset', async () => {
    const { finished } = await run({ doc: irisMlp(5), datasetPath: iris, mode: 'thread' });
    expect(finished.status).toBe('failed');
    expect(finished.error?.code).toBe('graph');
    expect(finished.message).toMatch(/LL014.*3 classes.*outputs 5/);
    const none = await run({ doc: irisMlp() });
    expect(none.finished.error?.code).toBe('dataset');
  });

  it('layerloom train prints JSON lines and exits 0', () => {
    const out = join(work, 'cli');
    const r = spawnSync(process.execPath, [join(root, 'bin/layerloom.js'), 'train', 'examples/mlp.layerloom', '--epochs', '2', '--out', out, '--json', '--thread'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as TrainingEvent);
    expect(lines[0].kind).toBeDefined();
    expect(lines.filter((l) => l.kind === 'epoch')).toHaveLength(2);
    expect(lines.at(-1)).toMatchObject({ kind: 'finished', status: 'completed' });
    const bad = spawnSync(process.execPath, [join(root, 'bin/layerloom.js'), 'train', 'examples/mlp.layerloom', '--epochs', 'x'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--epochs');
  });
});
