/**
 * The pure policy behind the training callbacks (shared/training/monitor.ts), checked against
 * Keras 3's `EarlyStopping` / `MonitorCallback` semantics and, where Python Keras is installed,
 * against the real callback on the same sequence of values.
 */
import { describe, expect, it } from 'vitest';
import { CallbackList, type TrainingCallback, type TrainingLoop } from '../../shared/training/callbacks.js';
import { EarlyStoppingPolicy, higherIsBetter, isImprovement, learningRateAt, resolveMonitor, selectMetrics } from '../../shared/training/monitor.js';
import { spawnSync } from 'node:child_process';
import { pythonStderr } from '../helpers/pythonLog.js';

/** Runs a Python script with Keras; null (with the reason) when Python or Keras is missing. */
function runKeras(script: string, args: string[]): { stdout: string } | { skip: string } {
  const run = spawnSync(process.env.PYTHON ?? 'python3', ['-c', script, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '-1', KERAS_BACKEND: 'tensorflow' },
  });
  if (run.error) return { skip: `python3 is not available (${run.error.message})` };
  if (run.status !== 0 && /No module named '?keras/.test(run.stderr)) return { skip: 'Python cannot import keras' };
  if (run.status !== 0) throw new Error(`Keras script failed:\n${pythonStderr(run.stderr)}`);
  return { stdout: run.stdout };
}

describe('monitor direction and fallback', () => {
  it('knows which way each quantity improves, as Keras mode="auto" does', () => {
    expect(higherIsBetter('val_accuracy')).toBe(true);
    expect(higherIsBetter('accuracy')).toBe(true);
    expect(higherIsBetter('val_loss')).toBe(false);
    expect(higherIsBetter('mean_absolute_error')).toBe(false);
    expect(() => higherIsBetter('val_f1')).toThrow(/go up or down.*loss, accuracy/);
  });

  it('watches the training value without a validation split, and val_loss when the metric is not computed', () => {
    expect(resolveMonitor('val_accuracy', { hasValidation: true, names: ['loss', 'accuracy'] })).toEqual({ monitor: 'val_accuracy', warnings: [] });
    const noVal = resolveMonitor('val_accuracy', { hasValidation: false, names: ['loss', 'accuracy'] });
    expect(noVal.monitor).toBe('accuracy');
    expect(noVal.warnings[0]).toMatch(/no validation split.*"accuracy" instead of "val_accuracy"/);
    const regression = resolveMonitor('val_accuracy', { hasValidation: true, names: ['loss', 'mean_absolute_error'] });
    expect(regression.monitor).toBe('val_loss');
    expect(regression.warnings[0]).toMatch(/not computed.*"val_loss"/);
    expect(resolveMonitor('accuracy', { hasValidation: false, names: ['loss'] }).monitor).toBe('loss');
  });

  it('keeps only the metrics that exist for the task and loss', () => {
    const available = ['accuracy', 'mean_absolute_error', 'mean_squared_error'];
    expect(selectMetrics(['accuracy'], available, 'classification', 'sparse_categorical_crossentropy')).toEqual({ metrics: ['accuracy'], warnings: [] });
    const r = selectMetrics(['accuracy', 'f1'], available, 'regression', 'mean_squared_error');
    expect(r.metrics).toEqual(['mean_absolute_error']);
    expect(r.warnings).toEqual([expect.stringMatching(/accuracy is not defined for a numeric target/), expect.stringMatching(/Unknown metric "f1"/)]);
    const c = selectMetrics(['accuracy', 'mean_squared_error'], available, 'classification', 'sparse_categorical_crossentropy');
    expect(c.metrics).toEqual(['accuracy']);
    expect(c.warnings[0]).toMatch(/mean_squared_error compares numbers/);
    // One-hot labels: a number metric is meaningful.
    expect(selectMetrics(['mean_squared_error'], available, 'classification', 'categorical_crossentropy').metrics).toEqual(['mean_squared_error']);
  });
});

describe('improvement and early stopping', () => {
  it('counts an improvement only beyond min_delta, in the monitor\'s direction', () => {
    expect(isImprovement(1, null, false)).toBe(true);
    expect(isImprovement(0.9, 1, false)).toBe(true);
    expect(isImprovement(1, 1, false)).toBe(false);
    expect(isImprovement(0.95, 1, false, 0.1)).toBe(false);
    expect(isImprovement(0.85, 1, false, 0.1)).toBe(true);
    expect(isImprovement(0.85, 0.8, true, -0.01)).toBe(true);
    expect(isImprovement(0.805, 0.8, true, 0.01)).toBe(false);
    expect(isImprovement(Number.NaN, null, false)).toBe(false);
  });

  it('stops when the wait reaches patience, never after the first epoch', () => {
    const policy = new EarlyStoppingPolicy({ monitor: 'val_loss', patience: 2 });
    const losses = [1.0, 0.8, 0.85, 0.9, 0.7];
    const verdicts = losses.map((v, epoch) => policy.update(epoch, { val_loss: v }));
    expect(verdicts.map((v) => v.improved)).toEqual([true, true, false, false, true]);
    expect(verdicts.map((v) => v.stop)).toEqual([false, false, false, true, false]);
    expect(policy.best).toEqual({ epoch: 5, value: 0.7 });
    const zero = new EarlyStoppingPolicy({ monitor: 'loss', patience: 0 });
    expect(zero.update(0, { loss: 1 }).stop).toBe(false);
    expect(zero.update(1, { loss: 2 }).stop).toBe(true);
    // A value the logs do not have changes nothing (Keras warns and returns).
    const missing = new EarlyStoppingPolicy({ monitor: 'val_loss', patience: 1 });
    expect(missing.update(3, { loss: 1 })).toEqual({ improved: false, stop: false });
    expect(missing.wait).toBe(0);
  });

  it('continues a resumed run from its best value and wait', () => {
    const policy = new EarlyStoppingPolicy({ monitor: 'val_accuracy', patience: 3, best: { epoch: 4, value: 0.9 }, wait: 2 });
    expect(policy.update(6, { val_accuracy: 0.85 })).toEqual({ improved: false, stop: true });
  });

  it('stops on the same epoch as Keras EarlyStopping for the same values', { timeout: 120_000 }, (ctx) => {
    const sequences = [
      { monitor: 'val_loss', patience: 2, minDelta: 0, values: [1, 0.9, 0.91, 0.89, 0.95, 0.96, 0.97] },
      { monitor: 'val_loss', patience: 1, minDelta: 0.05, values: [1, 0.97, 0.9, 0.88, 0.8] },
      { monitor: 'val_accuracy', patience: 2, minDelta: 0.01, values: [0.5, 0.6, 0.605, 0.61, 0.7, 0.7, 0.69] },
      { monitor: 'loss', patience: 0, minDelta: 0, values: [1, 0.5, 0.6] },
    ];
    const python = `
import json, sys, numpy as np, keras
cases = json.loads(sys.argv[1])
out = []
for c in cases:
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(loss="mse", metrics=["accuracy"])
    model.evaluate(np.zeros((1, 1)), np.zeros((1, 1)), verbose=0)  # builds the metrics whose direction mode="auto" reads
    cb = keras.callbacks.EarlyStopping(monitor=c["monitor"], patience=c["patience"], min_delta=c["minDelta"])
    cb.set_model(model)
    cb.on_train_begin()
    stopped = None
    for epoch, v in enumerate(c["values"]):
        cb.on_epoch_end(epoch, {c["monitor"]: v})
        if model.stop_training:
            stopped = epoch
            break
    out.append({"stopped": stopped, "wait": cb.wait, "best": cb.best})
print(json.dumps(out))
`;
    const run = runKeras(python, [JSON.stringify(sequences)]);
    if ('skip' in run) return ctx.skip(run.skip);
    const keras = JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as { stopped: number | null; wait: number; best: number }[];
    const ours = sequences.map((c) => {
      const policy = new EarlyStoppingPolicy({ monitor: c.monitor, patience: c.patience, minDelta: c.minDelta });
      let stopped: number | null = null;
      for (const [epoch, v] of c.values.entries()) {
        if (policy.update(epoch, { [c.monitor]: v }).stop) {
          stopped = epoch;
          break;
        }
      }
      return { stopped, wait: policy.wait, best: policy.best?.value };
    });
    expect(ours).toEqual(keras);
  });
});

describe('learning-rate schedule', () => {
  it('is learningRate * decay ** epoch, from the epoch (so a resume continues on the same values)', () => {
    const settings = { learningRate: 0.01, learningRateDecay: 0.5 };
    expect([0, 1, 2, 3].map((e) => learningRateAt(settings, e))).toEqual([0.01, 0.005, 0.0025, 0.00125]);
    expect(learningRateAt({ learningRate: 0.003, learningRateDecay: 1 }, 40)).toBe(0.003);
  });
});

describe('callback list', () => {
  it('calls each hook of each callback in order, awaiting each one', async () => {
    const calls: string[] = [];
    const slow = (name: string): TrainingCallback => ({
      onTrainBegin: async () => {
        await new Promise((r) => setTimeout(r, 5));
        calls.push(`${name}.begin`);
      },
      onEpochEnd: (end, loop) => {
        calls.push(`${name}.epoch${end.epoch}`);
        if (name === 'b') loop.stopTraining = true;
      },
    });
    const list = new CallbackList([slow('a'), slow('b'), {}]);
    const loop: TrainingLoop = { epochs: 1, startEpoch: 0, skipBatches: 0, batchesPerEpoch: 1, validationSamples: 0, learningRate: 0.1, stopTraining: false };
    await list.onTrainBegin(loop);
    await list.onEpochEnd({ epoch: 0, logs: {}, learningRate: 0.1, seconds: 0, trainSeconds: 0, samples: 0, validationSeconds: 0 }, loop);
    expect(calls).toEqual(['a.begin', 'b.begin', 'a.epoch0', 'b.epoch0']);
    expect(loop.stopTraining).toBe(true);
  });
});
