/**
 * The ONNX export runs in ONNX Runtime and equals the app's tfjs model (which exportKeras.test.ts
 * proves equal to the Keras export): for every example project, the hand cases and 30 seeded random
 * graphs (test/helpers/randomGraphs.ts `randomGraph(seed)`, seeds 1, 2, … as `coveringRandomCases`
 * picks them, plus graphs until every block type is covered), model.onnx passes
 * `onnx.checker.check_model` (full check) and ONNX Runtime's predictions equal the tfjs model's with
 * the same weights (seeded random values for every weight), max|a − b| / max|b| ≤ 1e-4. Recurrent
 * layers with an activation ONNX's RNN ops lack run as a Scan of the Keras cell (variable length too). Also: opsets 13 (LayerNormalization decomposed) and
 * 21 (Gelu native), and weights in external data (threshold 0). All cases run in one Python process.
 * Skipped, saying why, without Python onnx + onnxruntime.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planModel } from '../../shared/codegen/plan.js';
import { compileModel } from '../../shared/compile/compile.js';
import { exportProject, inspectExport } from '../../electron/services/exportService.js';
import { encodeNpz } from '../../electron/services/weights/npz.js';
import { folderSaveHandler } from '../../electron/services/weights/tfjsFolder.js';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { coveringRandomCases, exampleCases, featuresOf, handCases, INPUT_SEED, predictTfjs, randomInputs, type ExportCase } from './exportCases.js';
import { graphOf } from './exportCases.js';
import { lastPythonError, pythonStderr } from '../helpers/pythonLog.js';

const PYTHON = process.env.PYTHON ?? 'python3';
const script = fileURLToPath(new URL('../python/checkOnnx.py', import.meta.url));

function whyNoOnnx(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import onnx, onnxruntime, numpy'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return `${PYTHON} cannot be run (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} cannot import onnx and onnxruntime: ${lastPythonError(r.stderr)}`;
  return null;
}

const skipReason = whyNoOnnx();
if (skipReason) console.log(`ONNX export check skipped: ${skipReason}. Install onnx==1.23.1 and onnxruntime==1.30.0 (pip) to run it.`);

interface PyResult {
  readonly id: string;
  readonly error?: string;
  readonly trace?: string;
  readonly relative?: number;
  readonly absolute?: number;
  readonly opset?: number;
  readonly ops?: string[];
}

/** A case with its export settings. */
interface OnnxCase extends ExportCase {
  readonly opset?: number;
  readonly externalDataAbove?: number;
}

await tf.setBackend('cpu');

/**
 * Seeded random values for every weight, so that no weight is left at an initializer's zeros or ones
 * and every one of them changes the predictions being compared. Kernels are scaled by their fan-in
 * (as Keras's initializers are), so deep models neither saturate their softmax nor blow up;
 * scales and moving variances stay positive.
 */
function randomizeWeights(model: tf.LayersModel, id: string): void {
  let seed = [...id].reduce((a, ch) => (a * 31 + ch.charCodeAt(0)) >>> 0, 17);
  for (const w of model.weights) {
    const shape = w.shape as number[];
    const positive = /variance|gamma/.test(w.originalName);
    const fanIn = shape.length >= 2 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
    const limit = shape.length >= 2 ? Math.sqrt(3 / fanIn) : 0.3;
    w.write(tf.tidy(() => tf.randomUniform(shape, positive ? 0.5 : -limit, positive ? 1.5 : limit, 'float32', seed++)));
  }
}

const random = coveringRandomCases(30, 12, handCases());
const gelu: ExportCase = {
  id: 'hand_gelu_layernorm',
  doc: graphOf('Gelu and LayerNormalization', [
    { id: 'x', type: 'Input', params: { shape: [5, 6] } },
    { id: 'd', type: 'Dense', params: { units: 6, activation: 'gelu' }, from: { in: 'x' } },
    { id: 'n', type: 'LayerNormalization', from: { in: 'd' } },
    { id: 'r', type: 'LSTM', params: { units: 3, activation: 'swish', return_sequences: true, go_backwards: true }, from: { in: 'n' } },
    { id: 'g', type: 'GRU', params: { units: 4, return_sequences: true, go_backwards: true }, from: { in: 'r' } },
    { id: 'g0', type: 'GRU', params: { units: 3, reset_after: false, bidirectional: true }, from: { in: 'g' } },
    { id: 'out', type: 'Output', from: { in: 'g0' } },
  ]),
};
// Recurrent activations ONNX's RNN ops lack (a Scan of the Keras cell), on a variable length.
const scan: ExportCase = {
  id: 'hand_scan_variable_length',
  doc: graphOf('Scan cells', [
    { id: 'x', type: 'Input', params: { shape: [null, 4] } },
    { id: 's', type: 'SimpleRNN', params: { units: 3, activation: 'selu', return_sequences: true, go_backwards: true }, from: { in: 'x' } },
    { id: 'l', type: 'LSTM', params: { units: 4, activation: 'softmax', return_sequences: true, bidirectional: true, merge_mode: 'concat' }, from: { in: 's' } },
    { id: 'g0', type: 'GRU', params: { units: 3, activation: 'gelu', reset_after: false, return_sequences: true }, from: { in: 'l' } },
    { id: 'g', type: 'GRU', params: { units: 3, activation: 'gelu', bidirectional: true, merge_mode: 'ave' }, from: { in: 'g0' } },
    { id: 'out', type: 'Output', from: { in: 'g' } },
  ]),
};
/** A graph with an Embedding that masks padding: ONNX cannot carry the mask (refused, below). */
const masksPadding = (c: ExportCase): boolean => c.doc.nodes.some((n) => n.type === 'Embedding' && n.params.mask_zero === true);
/** A graph with a Masking block: refused for the same reason. */
const masksSteps = (c: ExportCase): boolean => c.doc.nodes.some((n) => n.type === 'Masking');
/** A graph with attention over rank-4/5 inputs: not written to ONNX yet (refused, below). */
const attendsOverAxes = (c: ExportCase): boolean =>
  c.id === 'hand_attention_axes' || [...analyzeGraph(c.doc).nodes.values()].some((n) => n.node.type === 'MultiHeadAttention' && (n.shape?.length ?? 0) > 2);
const base: OnnxCase[] = [...exampleCases(), ...handCases(), gelu, scan, ...random.cases].filter((c) => !masksPadding(c) && !masksSteps(c) && !attendsOverAxes(c));
const cases: OnnxCase[] = [
  ...base,
  { id: 'opset13_transformer', doc: exampleCases().find((c) => c.id === 'transformer-classifier')?.doc ?? gelu.doc, opset: 13 },
  { id: 'opset13_gelu', doc: gelu.doc, opset: 13 },
  { id: 'opset21_gelu', doc: gelu.doc, opset: 21 },
  { id: 'external_mnist', doc: exampleCases().find((c) => c.id === 'mnist-cnn')?.doc ?? gelu.doc, externalDataAbove: 0 },
];

describe('ONNX export cases', () => {
  it('cover the examples, 30 random graphs and every block of the catalog', () => {
    expect(random.cases.length).toBeGreaterThanOrEqual(30);
    expect(random.uncovered).toEqual([]);
    const covered = new Set(base.flatMap((c) => [...featuresOf(c.doc)]));
    expect(covered.size).toBeGreaterThan(30);
  });

  for (const [what, pick, message] of [
    ['whose Embedding masks padding (mask_zero)', masksPadding, /Embedding "embedding" treats id 0 as padding \(mask_zero\).*Export Keras or TypeScript code, or turn mask_zero off/],
    ['with a Masking block', masksSteps, /Masking "mask_half" marks padded steps.*Export Keras or TypeScript code, or remove the Masking block/],
    ['with attention over rank-4 inputs (attention_axes)', attendsOverAxes, /MultiHeadAttention "along_rows" attends over rank-4\/5 inputs.*Export Keras or TypeScript code/],
  ] as const) {
    it(`refuse a model ${what}, naming the block and the way out`, () => refuses(pick, message));
  }

  async function refuses(pick: (c: ExportCase) => boolean, message: RegExp): Promise<void> {
    const c = handCases().find(pick);
    if (!c) throw new Error('no such hand case');
    const root = mkdtempSync(join(tmpdir(), 'layerloom-onnx-mask-'));
    const model = compileModel(c.doc, tf).model;
    try {
      await model.save(folderSaveHandler(join(root, 'tfjs')));
      await expect(exportProject({ doc: c.doc, target: 'onnx', folder: join(root, 'out'), source: { kind: 'folder', path: join(root, 'tfjs') }, tf })).rejects.toThrow(message);
    } finally {
      model.dispose();
      rmSync(root, { recursive: true, force: true });
    }
  }
});

describe.skipIf(skipReason !== null)('ONNX export runs in ONNX Runtime', () => {
  const root = mkdtempSync(join(tmpdir(), 'layerloom-onnx-export-'));
  const results = new Map<string, PyResult>();
  const prepErrors = new Map<string, string>();
  let versions = '';

  beforeAll(async () => {
    const jobs: { id: string; model: string; inputs: string; expected: string }[] = [];
    for (const c of cases) {
      const dir = join(root, c.id);
      let model: tf.LayersModel | null = null;
      try {
        model = compileModel(c.doc, tf).model;
        randomizeWeights(model, c.id);
        await model.save(folderSaveHandler(join(root, `${c.id}-tfjs`)));
        await exportProject({ doc: c.doc, target: 'onnx', folder: dir, source: { kind: 'folder', path: join(root, `${c.id}-tfjs`) }, tf, opset: c.opset, externalDataAbove: c.externalDataAbove });
        const inputs = randomInputs(planModel(c.doc), INPUT_SEED);
        writeFileSync(join(root, `${c.id}-inputs.npz`), encodeNpz(inputs.map((array, i) => ({ name: `in${i}`, array }))));
        const expected = predictTfjs(tf, model, inputs);
        writeFileSync(join(root, `${c.id}-expected.npz`), encodeNpz(expected.map((array, i) => ({ name: `out${i}`, array }))));
        jobs.push({ id: c.id, model: join(dir, 'model.onnx'), inputs: join(root, `${c.id}-inputs.npz`), expected: join(root, `${c.id}-expected.npz`) });
      } catch (e) {
        prepErrors.set(c.id, (e as Error).stack ?? (e as Error).message);
      } finally {
        model?.dispose();
      }
    }
    const jobsFile = join(root, 'jobs.json');
    writeFileSync(jobsFile, JSON.stringify({ cases: jobs }));
    const r = spawnSync(PYTHON, [script, jobsFile], { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20 });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    let parsed: { error?: string; onnx?: string; onnxruntime?: string; results?: PyResult[] };
    try {
      parsed = JSON.parse(last) as typeof parsed;
    } catch {
      throw new Error(`checkOnnx.py gave no result (exit ${r.status}):\n${pythonStderr(r.stderr).slice(-4000)}`);
    }
    if (parsed.error) throw new Error(parsed.error);
    versions = `onnx ${parsed.onnx}, onnxruntime ${parsed.onnxruntime}`;
    for (const res of parsed.results ?? []) results.set(res.id, res);
  }, 900_000);

  afterAll(() => {
    const rows = cases.map((c) => {
      const res = results.get(c.id);
      const file = join(root, c.id, 'model.onnx');
      const size = existsSync(file) ? statSync(file).size : 0;
      return `  ${c.id.padEnd(28)} opset ${String(res?.opset ?? '?').padStart(2)}  model.onnx ${String(size).padStart(9)} B  max|onnx − tfjs|/max|tfjs| ${res?.relative === undefined ? 'n/a' : res.relative.toExponential(2)}`;
    });
    console.log(`ONNX export (${versions}) vs tfjs:\n${rows.join('\n')}`);
    rmSync(root, { recursive: true, force: true });
  });

  for (const c of cases) {
    it(`${c.id}: passes the onnx checker and predicts what the app's model predicts`, () => {
      const prep = prepErrors.get(c.id);
      if (prep) throw new Error(`${c.id}: exporting or running the app's tfjs model failed: ${prep}`);
      const res = results.get(c.id);
      expect(res, `no result for ${c.id}`).toBeDefined();
      if (res?.error) throw new Error(`${c.id}: ${res.error}\n${res.trace ?? ''}`);
      expect(res?.opset).toBe(c.opset ?? 17);
      expect(res?.relative).toBeLessThanOrEqual(1e-4);
    });
  }

  it('writes README.md, predict.py and a manifest; LayerNormalization is native at 17 and decomposed at 13, Gelu native at 21', async () => {
    const dir = join(root, 'transformer-classifier');
    expect((await inspectExport(dir)).state).toBe('complete');
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(readme).toMatch(/\| `tokens` \| int32 \| `\(batch, /);
    expect(readFileSync(join(dir, 'predict.py'), 'utf8')).toContain('onnxruntime');
    expect(results.get('transformer-classifier')?.ops).toContain('LayerNormalization');
    expect(results.get('opset13_transformer')?.ops).not.toContain('LayerNormalization');
    expect(readFileSync(join(root, 'opset13_transformer', 'README.md'), 'utf8')).toMatch(/LayerNormalization: .*opset 17/);
    expect(results.get('opset21_gelu')?.ops).toContain('Gelu');
    expect(results.get('opset13_gelu')?.ops).toContain('Erf');
  });

  it('puts the weights into model.onnx.data above the threshold, listed in the manifest', async () => {
    const dir = join(root, 'external_mnist');
    const report = await inspectExport(dir);
    expect(report.manifest?.files.map((f) => f.path)).toContain('model.onnx.data');
    expect(statSync(join(dir, 'model.onnx')).size).toBeLessThan(statSync(join(dir, 'model.onnx.data')).size);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('model.onnx.data');
  });
});
