/**
 * The weight-source grammar (`--run`, `--checkpoint`, `--weights`, `--seed`): parsing with clear
 * refusals, each run's score on its own monitored metric, which run `best` and `latest` name, and
 * the fit check of saved weights against a graph.
 */
import { describe, expect, it } from 'vitest';
import type { EpochRecord } from '../../shared/training/protocol.js';
import {
  candidateLabel,
  defaultWeightPick,
  parseWeightSource,
  pickRuns,
  provenanceSentence,
  runProvenance,
  runScore,
  WeightSourceError,
  weightsMismatch,
  type RunCandidate,
} from '../../shared/training/weightSource.js';
import { DEFAULT_TRAINING } from '../../shared/training/settings.js';

const epoch = (n: number, metrics: Record<string, number>): EpochRecord => ({ epoch: n, metrics, learningRate: 0.001, seconds: 1, samplesPerSecond: 1 });

describe('parseWeightSource', () => {
  it('reads the grammar', () => {
    expect(parseWeightSource({})).toEqual({ kind: 'initial' });
    expect(parseWeightSource({ seed: 7 })).toEqual({ kind: 'initial', seed: 7 });
    expect(parseWeightSource({ run: 'best' })).toEqual({ kind: 'run', run: 'best', checkpoint: 'best' });
    expect(parseWeightSource({ run: 'latest', checkpoint: 'last' })).toEqual({ kind: 'run', run: 'latest', checkpoint: 'last' });
    expect(parseWeightSource({ run: '2026-12-03T08-41-00-000Z' })).toEqual({ kind: 'run', run: '2026-12-03T08-41-00-000Z', checkpoint: 'best' });
    expect(parseWeightSource({ weights: 'runs/x/model' })).toEqual({ kind: 'folder', path: 'runs/x/model' });
  });

  it.each([
    [{ run: 'best', weights: 'm' }, /either --run .* or --weights/],
    [{ checkpoint: 'best' }, /add --run best/],
    [{ run: 'best', checkpoint: 'first' }, /--checkpoint must be best or last, not "first"/],
    [{ run: '../escape' }, /--run must be best, latest or a run id/],
    [{ run: '' }, /--run needs a value/],
    [{ run: 'best', seed: 3 }, /--seed seeds the initial weights/],
    [{ seed: 1.5 }, /whole number/],
  ])('refuses %j with a message naming the fix', (options, message) => {
    expect(() => parseWeightSource(options)).toThrow(WeightSourceError);
    expect(() => parseWeightSource(options)).toThrow(message);
  });
});

describe('runScore', () => {
  const history = [epoch(1, { loss: 1, val_loss: 0.9, val_accuracy: 0.5 }), epoch(2, { loss: 0.5, val_loss: 0.4, val_accuracy: 0.9375 }), epoch(3, { loss: 0.3, val_loss: 0.6, val_accuracy: 0.715 })];
  it('scores a run on its monitored metric at its best and last checkpoints', () => {
    const run = { history, settings: DEFAULT_TRAINING, bestEpoch: 2 };
    expect(runScore(run, 'best')).toEqual({ metric: 'val_loss', value: 0.4, epoch: 2, higherIsBetter: false });
    expect(runScore(run, 'last')).toEqual({ metric: 'val_loss', value: 0.6, epoch: 3, higherIsBetter: false });
  });
  it('honours a higher-is-better monitor, recorded or from the settings', () => {
    expect(runScore({ history, monitor: 'val_accuracy', settings: DEFAULT_TRAINING }, 'best')).toMatchObject({ value: 0.9375, epoch: 2, higherIsBetter: true });
    const settings = { ...DEFAULT_TRAINING, earlyStopping: { ...DEFAULT_TRAINING.earlyStopping, monitor: 'val_accuracy' as const } };
    expect(runScore({ history, settings }, 'best')).toMatchObject({ metric: 'val_accuracy', value: 0.9375 });
  });
  it('watches the training metric when the run had no validation split, and has no score without history', () => {
    expect(runScore({ history: [epoch(1, { loss: 2 }), epoch(2, { loss: 1 })], settings: DEFAULT_TRAINING }, 'best')).toMatchObject({ metric: 'loss', value: 1, epoch: 2 });
    expect(runScore({ history: [], settings: DEFAULT_TRAINING }, 'best')).toBeNull();
  });
});

describe('pickRuns', () => {
  const cand = (id: string, metric: string, value: number, extra: Partial<RunCandidate> = {}): RunCandidate => ({
    id,
    startedAt: `2026-12-03T08:${id}:00.000Z`,
    status: 'completed',
    dir: `/runs/${id}`,
    best: { metric, value, epoch: 2, higherIsBetter: metric.endsWith('accuracy') },
    last: { metric, value, epoch: 3, higherIsBetter: metric.endsWith('accuracy') },
    checkpoints: { best: true, last: true },
    usable: true,
    why: null,
    ...extra,
  });
  it('best is the best score, not the newest run; latest is the newest usable one', () => {
    // Newest first, as listRuns gives them.
    const runs = [cand('50', 'val_accuracy', 0.715, { status: 'stopped' }), cand('41', 'val_accuracy', 0.9375), cand('30', 'val_accuracy', 0.8)];
    expect(pickRuns(runs)).toEqual({ best: '41', latest: '50' });
    const losses = [cand('50', 'val_loss', 0.3), cand('41', 'val_loss', 0.2), cand('30', 'val_loss', 0.25)];
    expect(pickRuns(losses)).toEqual({ best: '41', latest: '50' });
  });
  it('the default (no weight options) is the best run, else the latest usable run, else the initial weights', () => {
    const runs = [cand('50', 'val_loss', 0.3), cand('41', 'val_loss', 0.2)];
    expect(defaultWeightPick({ runs, ...pickRuns(runs) })).toEqual({ run: '41', checkpoint: 'best' });
    // Stopped before its first epoch ended: no best checkpoint, no score.
    const early = [cand('50', 'val_loss', 0.3, { status: 'stopped', best: null, last: null, checkpoints: { best: false, last: true } })];
    expect(defaultWeightPick({ runs: early, ...pickRuns(early) })).toEqual({ run: '50', checkpoint: 'last' });
    expect(defaultWeightPick({ runs: [], best: null, latest: null })).toBeNull();
  });
  it('never picks a run that is not usable, however good its score', () => {
    const runs = [cand('50', 'val_loss', 0.01, { usable: false, why: 'it was trained on another version of the graph' }), cand('41', 'val_loss', 0.2)];
    expect(pickRuns(runs)).toEqual({ best: '41', latest: '41' });
    expect(pickRuns([cand('50', 'val_loss', 0.01, { usable: false, why: 'x' })])).toEqual({ best: null, latest: null });
  });
});

describe('labels and provenance', () => {
  const run: RunCandidate = {
    id: '2026-12-03T08-41-00-000Z',
    startedAt: new Date(2026, 11, 3, 8, 41).toISOString(),
    status: 'completed',
    dir: '/p/runs/2026-12-03T08-41-00-000Z',
    best: { metric: 'val_accuracy', value: 0.9375, epoch: 2, higherIsBetter: true },
    last: { metric: 'val_accuracy', value: 0.715, epoch: 5, higherIsBetter: true },
    checkpoints: { best: true, last: true },
    usable: true,
    why: null,
  };
  it('names the run, its score and the checkpoint', () => {
    expect(candidateLabel(run, 'best')).toBe('run 12-03 08:41 · val_accuracy 0.9375 · best checkpoint, epoch 2');
    expect(candidateLabel({ ...run, name: 'wide dense' }, 'last')).toBe('wide dense · val_accuracy 0.715 · last checkpoint, epoch 5');
    const p = runProvenance(run, 'best', '/p/runs/x/checkpoints/best/model');
    expect(p.args).toBe('--run 2026-12-03T08-41-00-000Z --checkpoint best');
    expect(provenanceSentence(p)).toContain('run `2026-12-03T08-41-00-000Z`, best checkpoint, epoch 2 (val_accuracy 0.9375)');
  });
});

describe('weightsMismatch', () => {
  const model = [
    { name: 'dense/kernel', shape: [4, 32] },
    { name: 'dense/bias', shape: [32] },
  ];
  it('accepts the same weights and says what differs otherwise', () => {
    expect(weightsMismatch(model, model)).toBeNull();
    expect(weightsMismatch(model, [{ name: 'dense/kernel', shape: [4, 16] }, { name: 'dense/bias', shape: [16] }])).toMatch(/weight "dense\/kernel" is \[4, 16\], the graph needs \[4, 32\] \(and 1 more difference\)/);
    expect(weightsMismatch(model, [model[0]])).toMatch(/no weight "dense\/bias".*another version of the graph/);
  });
});
