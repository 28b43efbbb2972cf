/**
 * The tfjs engine's callbacks and loop in-process (no worker), on the cpu backend: early stopping
 * puts the best weights back as Keras 3 does (at the end of training, not when the user stopped),
 * the schedule sets the optimizer's rate each epoch, the NaN guard names the step, and a failed
 * run frees its model like a successful one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { TrainingLoop } from '../../shared/training/callbacks.js';
import { learningRateAt } from '../../shared/training/monitor.js';
import type { TrainingEvent, TrainingJob } from '../../shared/training/protocol.js';
import { DEFAULT_TRAINING } from '../../shared/training/settings.js';
import { EarlyStopping } from '../../electron/services/training/callbacks/earlyStopping.js';
import { LearningRateSchedule } from '../../electron/services/training/callbacks/learningRateSchedule.js';
import { NanGuard } from '../../electron/services/training/callbacks/nanGuard.js';
import { runTrainingJob } from '../../electron/services/trainingEngine.js';
import { chain } from '../helpers/chainDoc.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'layerloom-callbacks-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const loop = (): TrainingLoop => ({ epochs: 5, startEpoch: 0, skipBatches: 0, batchesPerEpoch: 1, validationSamples: 10, learningRate: 0.1, stopTraining: false });
const epochEnd = (epoch: number, valLoss: number) => ({ epoch, logs: { loss: 1, val_loss: valLoss }, learningRate: 0.1, seconds: 0, trainSeconds: 0, samples: 1, validationSeconds: 0 });

function tinyModel() {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1], kernelInitializer: 'zeros' })] });
  const setKernel = (v: number) => model.layers[0].setWeights([tf.tensor2d([[v]]), tf.zeros([1])]);
  const kernel = () => (model.layers[0].getWeights()[0].dataSync() as Float32Array)[0];
  return { model, setKernel, kernel };
}

describe('EarlyStopping (tfjs)', () => {
  it('restores the best epoch\'s weights at the end of training, also when every epoch ran (Keras 3 on_train_end)', async () => {
    const { model, setKernel, kernel } = tinyModel();
    const logs: string[] = [];
    const es = new EarlyStopping(model, tf, { enabled: true, monitor: 'val_loss', patience: 10, restoreBestWeights: true, best: null, wait: 0, log: (m) => logs.push(m) });
    const l = loop();
    const values = [0.9, 0.5, 0.7];
    for (const [epoch, v] of values.entries()) {
      setKernel(epoch + 1);
      es.onEpochEnd(epochEnd(epoch, v), l);
    }
    expect(l.stopTraining).toBe(false);
    await es.onTrainEnd({ reason: 'completed', epochsDone: 3, batchesDone: 0 });
    expect(kernel()).toBe(2);
    expect(logs).toEqual(['Restored the weights of epoch 2.']);
    es.dispose();
    model.dispose();
  });

  it('stops after patience epochs without improvement, and keeps the trained weights when the user stopped', async () => {
    const { model, setKernel, kernel } = tinyModel();
    const es = new EarlyStopping(model, tf, { enabled: true, monitor: 'val_loss', patience: 2, restoreBestWeights: true, best: null, wait: 0, log: () => undefined });
    const l = loop();
    for (const [epoch, v] of [0.5, 0.6, 0.7].entries()) {
      setKernel(epoch + 1);
      es.onEpochEnd(epochEnd(epoch, v), l);
    }
    expect([l.stopTraining, es.stoppedAfter]).toEqual([true, 3]);
    await es.onTrainEnd({ reason: 'requested', epochsDone: 3, batchesDone: 0 });
    expect(kernel()).toBe(3);
    es.dispose();
    model.dispose();
  });
});

describe('LearningRateSchedule and NanGuard', () => {
  it('sets the optimizer\'s rate at each epoch from the schedule', () => {
    const optimizer = tf.train.adam(0.1);
    const settings = { learningRate: 0.1, learningRateDecay: 0.5 };
    const schedule = new LearningRateSchedule(optimizer, (e) => learningRateAt(settings, e));
    const l = loop();
    schedule.onEpochBegin(2, l);
    expect(l.learningRate).toBeCloseTo(0.025, 12);
    expect((optimizer as unknown as { learningRate: number }).learningRate).toBeCloseTo(0.025, 12);
    optimizer.dispose();
  });

  it('fails the run at the step whose loss is not finite, saying what to change and where the checkpoint is', async () => {
    const guard = new NanGuard(() => Promise.resolve('No checkpoint yet.'));
    const l = { ...loop(), learningRate: 2 };
    const step = { epoch: 1, batch: 4, size: 8, names: ['loss', 'accuracy'], means: {}, seen: 8, seconds: 0 };
    await expect(guard.onBatchEnd({ ...step, values: [0.5, 0.9] }, l)).resolves.toBeUndefined();
    await expect(guard.onBatchEnd({ ...step, values: [Number.POSITIVE_INFINITY, 0.9] }, l)).rejects.toThrow(
      /loss became infinite at epoch 2, batch 4 \(learning rate 2\).*try 0\.2.*No checkpoint yet\./,
    );
  });
});

describe('runTrainingJob frees its model however the run ends', () => {
  it('a run that fails (NaN) leaves no tensors behind, like one that completes', { timeout: 180_000 }, async () => {
    const csv = ['a,b,c,y'];
    for (let i = 0; i < 64; i++) csv.push(`${i},${(i * 7) % 13},${Math.sin(i)},${(i * i * 0.5 + 1000).toFixed(2)}`);
    const file = join(work, 'big-target.csv');
    writeFileSync(file, csv.join('\n'));
    const doc = chain('regression', [
      ['in', 'Input', { shape: [3] }],
      ['d1', 'Dense', { units: 16, activation: 'relu' }],
      ['d2', 'Dense', { units: 1, activation: 'linear' }],
      ['out', 'Output'],
    ]);
    await tf.setBackend('cpu');
    const backend = { tf, name: 'cpu', description: 'cpu (test)' };
    const run = async (id: string, learningRate: number) => {
      const events: TrainingEvent[] = [];
      const job: TrainingJob = {
        runId: id,
        doc,
        datasetPath: file,
        settings: { ...DEFAULT_TRAINING, epochs: 20, batchSize: 8, optimizer: 'sgd', learningRate },
        runsDir: join(work, 'runs'),
        projectFile: null,
      };
      await runTrainingJob(job, backend, { emit: (e) => events.push(e), stopRequested: () => false });
      return events.find((e) => e.kind === 'finished');
    };
    // Warm-up: tfjs keeps a few tensors of its own after the first model (e.g. cached scalars).
    await run('warm', 0.001);
    const before = tf.memory().numTensors;
    const failed = await run('nan', 10);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'nan' } });
    expect(tf.memory().numTensors).toBe(before);
  });
});
