/**
 * The Keras export runs in real Keras and equals the app's tfjs model: for every example project and
 * seeded random graphs, the exported model.py's build_model() has the same total and trainable
 * parameter counts as Layerloom's analysis, and with the exported weights.npz loaded (load_weights,
 * arrays in get_weights() order) its predictions equal the tfjs model's within 1e-4. All cases run in
 * one Python process (importing Keras takes seconds). Skipped, saying why, without Python + Keras.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { KERAS_DEFAULTS } from '../../shared/codegen/defaults.js';
import { kerasLayerOrder, planModel } from '../../shared/codegen/plan.js';
import { compileModel } from '../../shared/compile/compile.js';
import { exportProject } from '../../electron/services/exportService.js';
import { decodeNpz, encodeNpz, type NpyArray } from '../../electron/services/weights/npz.js';
import { folderSaveHandler } from '../../electron/services/weights/tfjsFolder.js';
import {
  leftOutReport,
  leftOut,
  coveringRandomCases,
  exampleCases,
  handCases,
  INPUT_SEED,
  maxAbsDiff,
  pipelinePreprocessing,
  predictTfjs,
  randomInputs,
  smokeDataset,
  type ExportCase,
} from './exportCases.js';
import { lastPythonError, pythonStderr } from '../helpers/pythonLog.js';

const PYTHON = process.env.PYTHON ?? 'python3';
const script = fileURLToPath(new URL('../python/checkExports.py', import.meta.url));

function whyNoKeras(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import keras, numpy'], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
  if (r.error) return `${PYTHON} cannot be run (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} cannot import keras: ${lastPythonError(r.stderr)}`;
  return null;
}

const skipReason = whyNoKeras();
if (skipReason) console.log(`Keras export execution check skipped: ${skipReason}. Install keras 3.15 and tensorflow-cpu 2.21 (see FACTS.md) to run it.`);

interface PyResult {
  readonly id: string;
  readonly error?: string;
  readonly trace?: string;
  readonly total?: number;
  readonly trainable?: number;
  /** Multiply-accumulates counted from the Keras model's own weights and shapes (null: variable size). */
  readonly macs?: number | null;
  readonly layers?: string[];
  readonly weights?: [string, number[]][];
}

/** main() with --mixed-precision on a (listed) GPU: the policy and the dtypes the model ended with. */
interface MixedResult {
  readonly id: string;
  readonly error?: string;
  readonly trace?: string;
  readonly policy?: string;
  readonly hidden?: string[];
  readonly outputs?: string[];
  readonly prediction?: string;
  readonly weights?: string[];
  readonly optimizer?: string;
  readonly loss?: number[];
  readonly files?: string[];
}

interface TrainResult {
  readonly id: string;
  readonly files?: string[];
  readonly error?: string;
  readonly trace?: string;
}

await tf.setBackend('cpu');
const random = coveringRandomCases(10, 12, handCases());
const cases: ExportCase[] = [...exampleCases(), ...handCases(), ...random.cases];
if (leftOut.length) console.log(`Random graphs left out as no user's model (an error in the others fails its case):\n${leftOutReport()}`);

// Not under the Keras skip: the case list is the app's own, and must reach every block wherever it runs.
describe('Keras export cases', () => {
  it('cover the examples, 10 random graphs and every block of the catalog', () => {
    expect(random.cases.length).toBeGreaterThanOrEqual(10);
    expect(random.uncovered).toEqual([]);
  });
});

describe.skipIf(skipReason !== null)('Keras export runs in real Keras', () => {
  const root = mkdtempSync(join(tmpdir(), 'layerloom-keras-export-'));
  const expected = new Map<string, NpyArray[]>();
  const results = new Map<string, PyResult>();
  const diffs = new Map<string, number>();
  const trained = new Map<string, TrainResult>();
  const prepErrors = new Map<string, string>();
  const trainIds: string[] = [];
  let defaultsWrong: string[] = [];
  let kerasVersion = '';
  let mixedResult: MixedResult | null = null;

  beforeAll(async () => {
    const jobs: { id: string; dir: string; inputs: string }[] = [];
    // Examples with a dataset are smoke-trained below, on the preprocessing Layerloom's own
    // pipeline records for it (shipped with the export as a training run's would be).
    const smoke = new Map<string, string>();
    for (const c of [...exampleCases(), ...handCases()]) {
      const data = smokeDataset(c, join(root, `${c.id}-data`));
      if (data) smoke.set(c.id, data);
    }
    for (const c of cases) {
      const dir = join(root, c.id);
      let model: tf.LayersModel | null = null;
      try {
        model = compileModel(c.doc, tf).model;
        // The export takes its weights from a saved model, so Keras gets exactly these.
        await model.save(folderSaveHandler(join(root, `${c.id}-tfjs`)));
        const data = smoke.get(c.id);
        if (data) writeFileSync(join(root, `${c.id}-tfjs`, 'preprocessing.json'), await pipelinePreprocessing(c, data));
        await exportProject({ doc: c.doc, target: 'keras', folder: dir, source: { kind: 'folder', path: join(root, `${c.id}-tfjs`) }, tf });
        const inputs = randomInputs(planModel(c.doc), INPUT_SEED);
        writeFileSync(join(dir, 'inputs.npz'), encodeNpz(inputs.map((array, i) => ({ name: `in${i}`, array }))));
        expected.set(c.id, predictTfjs(tf, model, inputs));
        jobs.push({ id: c.id, dir, inputs: join(dir, 'inputs.npz') });
      } catch (e) {
        // Reported by the case's own test; the others still run.
        prepErrors.set(c.id, (e as Error).message);
      } finally {
        model?.dispose();
      }
    }
    // A short training of each example with a dataset loader: main() as a user runs it.
    const trains = [...exampleCases(), ...handCases()].flatMap((c) => {
      const data = smoke.get(c.id);
      if (!data || prepErrors.has(c.id)) return [];
      const args = ['--data', data, '--epochs', '1', '--batch-size', '8', '--output', join(root, `${c.id}-trained`)];
      // One of them inside tf.distribute.MirroredStrategy (all local devices: the CPU here).
      if (c.id === 'mlp') args.push('--distribute', 'mirrored');
      // One with --mixed-precision: on this CPU a notice, then float32.
      if (c.id === 'resnet-mini') args.push('--mixed-precision');
      return [{ id: c.id, dir: join(root, c.id), args }];
    });
    trainIds.push(...trains.map((t) => t.id));
    // --mixed-precision's GPU path, with TensorFlow's device list naming a GPU.
    const mnistData = smoke.get('mnist-cnn');
    const mixed = mnistData && !prepErrors.has('mnist-cnn') ? [{ id: 'mnist-cnn', dir: join(root, 'mnist-cnn'), args: ['--data', mnistData, '--epochs', '1', '--batch-size', '8', '--output', join(root, 'mnist-cnn-mixed'), '--mixed-precision'] }] : [];
    const jobsFile = join(root, 'jobs.json');
    writeFileSync(jobsFile, JSON.stringify({ cases: jobs, trains, mixed, defaults: KERAS_DEFAULTS }));
    const r = spawnSync(PYTHON, [script, jobsFile], { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    let parsed: { error?: string; keras?: string; defaults?: string[]; results?: PyResult[]; trains?: TrainResult[]; mixed?: MixedResult[] };
    try {
      parsed = JSON.parse(last) as typeof parsed;
    } catch {
      throw new Error(`checkExports.py gave no result (exit ${r.status}):\n${pythonStderr(r.stderr).slice(-4000)}`);
    }
    if (parsed.error) throw new Error(parsed.error);
    kerasVersion = parsed.keras ?? '';
    defaultsWrong = parsed.defaults ?? [];
    for (const res of parsed.results ?? []) results.set(res.id, res);
    for (const res of parsed.trains ?? []) trained.set(res.id, res);
    mixedResult = parsed.mixed?.[0] ?? null;
  }, 900_000);

  afterAll(() => {
    const rows = cases.map((c) => {
      const a = analyzeGraph(c.doc).totals;
      const d = diffs.get(c.id);
      const m = analyzeGraph(c.doc).cost;
      return `  ${c.id.padEnd(24)} params ${String(a.trainable + a.nonTrainable).padStart(9)} (trainable ${a.trainable})  MACs ${(m.macsComplete ? String(m.macs) : '?').padStart(10)}  max |keras - tfjs| ${d === undefined ? 'n/a' : d.toExponential(2)}`;
    });
    console.log(`Keras ${kerasVersion} export vs tfjs:\n${rows.join('\n')}`);
    rmSync(root, { recursive: true, force: true });
  });

  it("Layerloom's table of Keras defaults matches the installed Keras", () => {
    expect(defaultsWrong).toEqual([]);
  });

  it("model.py's main() trains every example and hand case with a dataset, on Layerloom's preprocessing (mlp under MirroredStrategy)", () => {
    expect(trainIds.length).toBeGreaterThan(0);
    for (const id of trainIds) {
      const res = trained.get(id);
      if (res?.error) throw new Error(`${id}: ${res.error}\n${res.trace ?? ''}`);
      expect([id, res?.files]).toEqual([id, expect.arrayContaining(['best.weights.h5', 'last.weights.h5', 'model.keras'])]);
    }
  });

  it('--mixed-precision on a GPU: float16 compute, float32 weights and output layer, loss scaling; trains and saves', () => {
    const r = mixedResult;
    if (r?.error) throw new Error(`${r.error}\n${r.trace ?? ''}`);
    expect(r && { ...r, loss: undefined }).toEqual({
      id: 'mnist-cnn',
      policy: 'mixed_float16',
      hidden: ['float16'],
      outputs: ['float32'],
      prediction: "<dtype: 'float32'>",
      weights: ['float32'],
      optimizer: 'LossScaleOptimizer',
      loss: undefined,
      files: expect.arrayContaining(['best.weights.h5', 'last.weights.h5', 'model.keras']),
    });
    expect(r?.loss?.every((v) => Number.isFinite(v))).toBe(true);
  });

  for (const c of cases) {
    it(`${c.id}: same params and MACs as the analysis, Keras layer order as planned, same predictions`, () => {
      const prep = prepErrors.get(c.id);
      if (prep) throw new Error(`${c.id}: exporting or running the app's tfjs model failed: ${prep}`);
      const res = results.get(c.id);
      expect(res, `no result for ${c.id}`).toBeDefined();
      if (res?.error) throw new Error(`${c.id}: ${res.error}\n${res.trace ?? ''}\n${readFileSync(join(root, c.id, 'model.py'), 'utf8')}`);
      const analysis = analyzeGraph(c.doc);
      const totals = analysis.totals;
      expect([res?.total, res?.trainable]).toEqual([totals.trainable + totals.nonTrainable, totals.trainable]);
      // The analyzer's multiply-accumulates equal a count made from the Keras model's own weight
      // and output shapes (unknown on both sides exactly when a variable size decides it).
      expect(res?.macs ?? null, 'MACs counted from the Keras model').toEqual(analysis.cost.macsComplete ? analysis.cost.macs : null);
      // The weights file is written in this order; Keras's own order must agree.
      const plan = planModel(c.doc);
      const order = kerasLayerOrder(plan);
      expect(res?.layers).toEqual(order);
      const outputs = decodeNpz(new Uint8Array(readFileSync(join(root, c.id, 'keras_outputs.npz'))));
      const want = expected.get(c.id) ?? [];
      expect(outputs.length).toBe(want.length);
      let worst = 0;
      outputs.forEach((o, i) => {
        expect(o.array.shape).toEqual(want[i].shape);
        worst = Math.max(worst, maxAbsDiff(o.array, want[i]));
      });
      diffs.set(c.id, worst);
      expect(worst).toBeLessThanOrEqual(1e-4);
    });
  }
});
