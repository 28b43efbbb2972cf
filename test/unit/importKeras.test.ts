/**
 * Import is the Keras printer run backwards. Every example, the hand-made cases and random graphs
 * covering every block of the catalog go through the Keras export into real Keras, get seeded random
 * non-zero weights (BatchNormalization statistics included) and are saved by Keras as JSON
 * (`to_json`), `.keras` and `.h5`; importing each gives the same document (ignoring ids and
 * positions), the summary totals Keras reports and — with the weights the file carries — the
 * predictions of the Keras model (max|a−b| / max|b| ≤ 1e-4). Models built in plain Keras (Sequential,
 * nested, ...) import the same way; a Lambda, a regularizer and a shared layer stop the import with
 * a report. A tfjs model saved by Layerloom imports back. All Keras work runs in one Python process;
 * skipped, saying why, without Python + Keras.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { buildSummary } from '../../shared/analysis/summary.js';
import { generateKeras } from '../../shared/codegen/keras/index.js';
import { planModel } from '../../shared/codegen/plan.js';
import { compileModel } from '../../shared/compile/compile.js';
import type { ProjectDocument } from '../../shared/graph/document.js';
import { layerNamesFor } from '../../shared/graph/layerNames.js';
import { KerasImportError } from '../../shared/import/kerasModel.js';
import { importModelFile, openModelAsProject, writeImportedProject, type ImportedModel } from '../../electron/services/import/importService.js';
import { exportProject } from '../../electron/services/exportService.js';
import { loadProjectFile } from '../../electron/services/projectService.js';
import { kerasWeightEntries } from '../../electron/services/weights/kerasWeights.js';
import { decodeNpz, encodeNpz, type NpyArray } from '../../electron/services/weights/npz.js';
import { folderSaveHandler } from '../../electron/services/weights/tfjsFolder.js';
import { allFeatures, coveringRandomCases, featuresOf, exampleCases, handCases, INPUT_SEED, maxAbsDiff, predictTfjs, randomInputs, type ExportCase } from './exportCases.js';
import { PYTHON, whyNoKeras } from '../helpers/python.js';
import { pythonStderr } from '../helpers/pythonLog.js';

const script = fileURLToPath(new URL('../python/kerasImportFixtures.py', import.meta.url));
const skipReason = whyNoKeras();
if (skipReason) console.log(`Keras import checks skipped: ${skipReason}. Install keras 3.15 and tensorflow-cpu 2.21 (see FACTS.md) to run them.`);

await tf.setBackend('cpu');

// The examples and hand cases count towards covering the catalog; random graphs add what they miss.
const random = coveringRandomCases(4, 24, [...exampleCases(), ...handCases()]);
/**
 * Whether the Keras export writes `trainable=False` for a frozen block. Until it does, the model
 * Keras saves has every layer trainable, so the cases are compared with every block trainable.
 */
const exportWritesTrainable = (() => {
  const doc = exampleCases()[0].doc;
  const frozen = { ...doc, nodes: doc.nodes.map((n) => ('trainable' in n.params ? { ...n, params: { ...n.params, trainable: false } } : n)) };
  return /trainable\s*=\s*False/.test(generateKeras(frozen));
})();
const asExported = (c: ExportCase): ExportCase =>
  exportWritesTrainable ? c : { ...c, doc: { ...c.doc, nodes: c.doc.nodes.map((n) => ('trainable' in n.params ? { ...n, params: { ...n.params, trainable: true } } : n)) } };
const cases: ExportCase[] = [...exampleCases(), ...handCases(), ...random.cases].map(asExported);
const FORMATS = ['model.json', 'model.keras', 'model.h5'] as const;

/** A document as import can give it back: blocks by layer name with type and params, wires by names and port. */
function comparable(doc: ProjectDocument): { nodes: Record<string, unknown>; edges: string[] } {
  // Blocks that reach no output are not part of the model (the export leaves them out).
  const built = new Set([...planModel(doc).layerNames.keys(), ...doc.nodes.filter((n) => n.type === 'Output').map((n) => n.id)]);
  doc = { ...doc, nodes: doc.nodes.filter((n) => built.has(n.id)), edges: doc.edges.filter((e) => built.has(e.source) && built.has(e.target)) };
  const names = layerNamesFor(doc.nodes);
  const analysis = analyzeGraph(doc);
  const nameOf = (id: string): string => names.get(id) ?? `output<-${doc.edges.find((e) => e.target === id)?.source ? names.get(doc.edges.find((e) => e.target === id)?.source as string) : '?'}`;
  const nodes: Record<string, unknown> = {};
  for (const n of doc.nodes) nodes[nameOf(n.id)] = { type: n.type, params: sameModelParams(n.params, analysis.nodes.get(n.id)?.inputShapes[0] ?? null) };
  const edges = doc.edges.map((e) => `${nameOf(e.source)} -> ${nameOf(e.target)}:${e.targetPort}`).sort();
  return { nodes, edges };
}

/**
 * Params written the one way a Keras config can give them back, where two settings build the same
 * layer: merge_mode only matters when bidirectional; attention's value_dim equal to key_dim is
 * what value_dim=None means; attention over every axis between batch and features (of the query,
 * `input`) is what attention_axes=None means; pooling strides equal to the pool size is what
 * strides=None means; swish and silu are one Keras function; a weight constraint's numbers matter
 * only where its kind prints them (an empty max is the kind's Keras default).
 */
function sameModelParams(params: ProjectDocument['nodes'][number]['params'], input: readonly (number | null)[] | null): Record<string, unknown> {
  const out: Record<string, unknown> = { ...params };
  if (Array.isArray(out.attention_axes) && input && JSON.stringify(out.attention_axes) === JSON.stringify(input.slice(1).map((_, i) => i + 1))) out.attention_axes = null;
  if (out.bidirectional === false) delete out.merge_mode;
  // Keras 3's swish is silu (one function, written as "silu").
  for (const k of ['activation', 'recurrent_activation']) if (out[k] === 'swish') out[k] = 'silu';
  if ('value_dim' in out && out.value_dim === out.key_dim) out.value_dim = null;
  // A pooling layer's strides equal to its pool size is what strides=None means.
  if ('pool_size' in out && JSON.stringify(out.strides) === JSON.stringify(out.pool_size)) out.strides = null;
  for (const key of Object.keys(out).filter((k) => k.endsWith('_constraint'))) {
    const kind = out[key];
    const printed: Record<string, readonly string[]> = { max_norm: ['max_value', 'axis'], unit_norm: ['axis'], min_max_norm: ['min_value', 'max_value', 'rate', 'axis'] };
    for (const part of ['max_value', 'min_value', 'rate', 'axis']) if (!(printed[String(kind)] ?? []).includes(part)) delete out[`${key}_${part}`];
    if (out[`${key}_max_value`] === null) out[`${key}_max_value`] = kind === 'min_max_norm' ? 1 : 2;
  }
  return out;
}

/** Relative error of `a` against Keras's `b`: max|a−b| / max|b|. */
function relativeError(a: NpyArray, b: NpyArray): number {
  let scale = 0;
  for (const v of b.data) scale = Math.max(scale, Math.abs(v));
  return maxAbsDiff(a, b) / (scale || 1);
}

interface PyResult {
  readonly id: string;
  readonly total?: number;
  readonly trainable?: number;
  readonly error?: string;
  readonly trace?: string;
}

const measured: string[] = [];

async function timedImport(path: string): Promise<ImportedModel> {
  const imported = await importModelFile(path, { tf });
  measured.push(`  ${path.split('/').slice(-2).join('/').padEnd(44)} ${String(imported.report.bytes).padStart(9)} B  ${String(imported.report.ms).padStart(6)} ms  ${imported.report.params} params`);
  return imported;
}

describe('Keras import cases', () => {
  it('cover the examples and every block of the catalog', () => {
    const covered = new Set(cases.flatMap((c) => [...featuresOf(c.doc)]));
    expect([...allFeatures()].filter((f) => !covered.has(f))).toEqual([]);
  });
});

describe.skipIf(skipReason !== null)('Import of models saved by real Keras', () => {
  const root = mkdtempSync(join(tmpdir(), 'layerloom-import-'));
  const results = new Map<string, PyResult>();
  let kerasVersion = '';

  beforeAll(() => {
    const jobs = cases.map((c) => {
      const dir = join(root, c.id);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'model.py'), generateKeras(c.doc));
      writeFileSync(join(dir, 'inputs.npz'), encodeNpz(randomInputs(planModel(c.doc), INPUT_SEED).map((array, i) => ({ name: `in${i}`, array }))));
      return { id: c.id, dir };
    });
    const jobsFile = join(root, 'jobs.json');
    writeFileSync(jobsFile, JSON.stringify({ cases: jobs, native: join(root, 'native') }));
    const r = spawnSync(PYTHON, [script, jobsFile], { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    let parsed: { error?: string; keras?: string; results?: PyResult[] };
    try {
      parsed = JSON.parse(last) as typeof parsed;
    } catch {
      throw new Error(`kerasImportFixtures.py gave no result (exit ${r.status}):\n${pythonStderr(r.stderr).slice(-4000)}`);
    }
    if (parsed.error) throw new Error(parsed.error);
    kerasVersion = parsed.keras ?? '';
    for (const res of parsed.results ?? []) results.set(res.id, res);
  }, 900_000);

  afterAll(() => {
    console.log(`Import of Keras ${kerasVersion} files (size, time, params):\n${measured.join('\n')}`);
    rmSync(root, { recursive: true, force: true });
  });

  function keras(id: string): PyResult {
    const res = results.get(id);
    if (!res) throw new Error(`no Keras result for ${id}`);
    if (res.error) throw new Error(`${id}: ${res.error}\n${res.trace ?? ''}`);
    return res;
  }

  function expectSamePredictions(imported: ImportedModel, dir: string): void {
    expect(imported.model, 'weights loaded').not.toBeNull();
    const inputs = decodeNpz(new Uint8Array(readFileSync(join(dir, 'inputs.npz')))).map((e) => e.array);
    const want = decodeNpz(new Uint8Array(readFileSync(join(dir, 'keras_outputs.npz')))).map((e) => e.array);
    const got = predictTfjs(tf, imported.model as tf.LayersModel, inputs);
    expect(got.length).toBe(want.length);
    got.forEach((g, i) => expect(relativeError(g, want[i]), `output ${i}`).toBeLessThanOrEqual(1e-4));
  }

  for (const c of cases) {
    for (const format of FORMATS) {
      it(`${c.id} ${format}: the same document, Keras's totals${format === 'model.json' ? '' : ' and predictions'}`, async () => {
        const res = keras(c.id);
        const imported = await timedImport(join(root, c.id, format));
        try {
          expect(comparable(imported.doc)).toEqual(comparable(c.doc));
          const s = buildSummary(imported.doc);
          expect([s.total, s.trainable]).toEqual([res.total, res.trainable]);
          if (format !== 'model.json') expectSamePredictions(imported, join(root, c.id));
          else expect(imported.model).toBeNull();
        } finally {
          imported.model?.dispose();
        }
      });
    }
  }

  for (const id of ['seq', 'cnn', 'nested', 'options', 'channels_first', 'time_distributed']) {
    for (const format of FORMATS) {
      it(`plain Keras ${id} ${format}: Keras's totals${format === 'model.json' ? '' : ' and predictions'}`, async () => {
        const res = keras(`native_${id}`);
        const dir = join(root, 'native', id);
        const imported = await timedImport(join(dir, format));
        try {
          const s = buildSummary(imported.doc);
          expect([s.total, s.trainable]).toEqual([res.total, res.trainable]);
          if (id === 'nested') expect(imported.doc.nodes.map((n) => n.label).filter((l) => l.startsWith('encoder/'))).toHaveLength(2);
          if (id === 'options') {
            // Conv1D's one-element lists, the regularizers' factors, the normalization options.
            const params = (label: string) => imported.doc.nodes.find((n) => n.label === label)?.params;
            expect(params('conv')).toMatchObject({ kernel_size: 3, strides: 1, dilation_rate: 2, kernel_l1: 0.01, kernel_l2: 0.001, bias_l1: 0, bias_l2: 0.1 });
            expect(params('strided')).toMatchObject({ kernel_size: 2, strides: 2, kernel_l1: 0, kernel_l2: 0, kernel_constraint: 'min_max_norm', kernel_constraint_min_value: 1.5, kernel_constraint_max_value: 2.5, kernel_constraint_rate: 0.8, kernel_constraint_axis: [0, 1] });
            expect(params('head')).toMatchObject({ kernel_l1: 0.01, kernel_l2: 0, kernel_constraint: 'max_norm', kernel_constraint_max_value: 0.5, kernel_constraint_axis: [0], bias_constraint: 'non_neg' });
            expect(imported.doc.nodes.find((n) => n.type === 'BatchNormalization')?.params).toMatchObject({ center: false, scale: true });
            expect(imported.doc.nodes.find((n) => n.type === 'LayerNormalization')?.params).toMatchObject({ axis: [1, 2], center: true, scale: false });
          }
          // Channels-first layers come in between Permutes (none after Flatten and global pooling, whose outputs have no channel axis).
          if (id === 'channels_first') {
            const count = (type: string): number => imported.doc.nodes.filter((n) => n.type === type).length;
            expect([count('Conv2D'), count('Conv1D'), count('Conv3D'), count('Conv3DTranspose'), count('BatchNormalization'), count('Permute')]).toEqual([1, 1, 1, 1, 1, 25]);
          }
          // TimeDistributed(X) is block X with its time_distributed option on.
          if (id === 'time_distributed') {
            const wrapped = imported.doc.nodes.filter((n) => n.params.time_distributed === true).map((n) => n.type);
            expect(wrapped).toEqual(['Conv2D', 'MaxPooling2D', 'Flatten', 'Dense']);
          }
          if (format !== 'model.json') expectSamePredictions(imported, dir);
        } finally {
          imported.model?.dispose();
        }
      });
    }
  }

  it('imported weights travel: the project names its weights folder, and export with no run writes exactly them (a seed still picks the initialisers)', async () => {
    keras('mnist-cnn');
    const imported = await importModelFile(join(root, 'mnist-cnn', 'model.keras'), { tf });
    try {
      const projectPath = join(root, 'travel', 'mnist.layerloom');
      mkdirSync(join(root, 'travel'));
      const folder = await writeImportedProject(imported, projectPath);
      expect(folder).toBe(join(root, 'travel', 'mnist.weights'));
      const { doc } = await loadProjectFile(projectPath);
      expect(doc.initialWeights).toBe('mnist.weights');
      const plan = planModel(doc);
      const want = kerasWeightEntries(imported.model as tf.LayersModel, plan);
      const out = await exportProject({ doc, projectPath, target: 'keras', folder: join(root, 'travel', 'export'), tf });
      expect(out.weightsFrom).toBe(folder);
      const got = decodeNpz(new Uint8Array(readFileSync(join(root, 'travel', 'export', 'weights.npz'))));
      expect(got.map((e) => e.array.shape)).toEqual(want.map((e) => e.array.shape));
      got.forEach((e, i) => expect(maxAbsDiff(e.array, want[i].array), e.name).toBe(0));
      const seeded = await exportProject({ doc, projectPath, target: 'keras', folder: join(root, 'travel', 'seeded'), seed: 1, tf });
      expect(seeded.weightsFrom).toBe('initial');
      await expect(writeImportedProject(imported, projectPath)).rejects.toThrow(/mnist\.layerloom already exists/);
    } finally {
      imported.model?.dispose();
    }
  });

  it("the app's Open of a .keras file writes a project beside it, never replacing one", async () => {
    keras('mlp');
    const first = await openModelAsProject(join(root, 'mlp', 'model.keras'), tf);
    const second = await openModelAsProject(join(root, 'mlp', 'model.keras'), tf);
    expect([first.path, second.path]).toEqual([join(root, 'mlp', 'model.layerloom'), join(root, 'mlp', 'model-2.layerloom')]);
    expect(second.doc.initialWeights).toBe('model-2.weights');
    expect((await loadProjectFile(first.path)).doc.initialWeights).toBe('model.weights');
    expect(existsSync(join(root, 'mlp', 'model-2.weights', 'model.json'))).toBe(true);
  });

  it('a Lambda and a regularizer stop the import with a report naming each layer, class and option', async () => {
    keras('native_lambda_and_regularizer');
    for (const format of FORMATS) {
      const err = await importModelFile(join(root, 'native', 'lambda_and_regularizer', format), { tf }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KerasImportError);
      const e = err as KerasImportError;
      expect(e.message).toContain(format);
      expect(e.layers.map((l) => [l.layer, l.kerasClass])).toEqual([
        ['reg', 'Dense'],
        ['double', 'Lambda'],
      ]);
      expect(e.layers[0].problems.map((p) => p.option)).toEqual(['activity_regularizer']);
    }
  });

  it('a layer called at two places stops the import: blocks do not share weights', async () => {
    keras('native_shared');
    const err = (await importModelFile(join(root, 'native', 'shared', 'model.keras'), { tf }).catch((e: unknown) => e)) as KerasImportError;
    expect(err).toBeInstanceOf(KerasImportError);
    expect(err.layers.map((l) => l.layer)).toEqual(['twice']);
    expect(err.message).toMatch(/called at 2 places/);
  });

  it('an .h5 file of weights only (no model config) is refused naming the file and what to save instead', async () => {
    const path = join(root, 'mlp', 'only.weights.h5');
    await expect(importModelFile(path, { tf })).rejects.toThrow(/only\.weights\.h5 has no model_config attribute.*model\.save/);
  });

  it('a truncated .keras file is refused naming the file', async () => {
    const bytes = readFileSync(join(root, 'mnist-cnn', 'model.keras'));
    const path = join(root, 'truncated.keras');
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(importModelFile(path, { tf })).rejects.toThrow(/truncated\.keras is not a readable \.keras archive.*truncated/);
    const h5 = readFileSync(join(root, 'mnist-cnn', 'model.h5'));
    writeFileSync(join(root, 'truncated.h5'), h5.subarray(0, Math.floor(h5.length / 2)));
    await expect(importModelFile(join(root, 'truncated.h5'), { tf })).rejects.toThrow(/truncated\.h5/);
  });

  it('weights whose shapes do not match the config are refused naming the file and the layer', async () => {
    const { unzipSync, zipSync } = await import('fflate');
    const files = unzipSync(readFileSync(join(root, 'mlp', 'model.keras')));
    const config = JSON.parse(new TextDecoder().decode(files['config.json'])) as { config: { layers: { class_name: string; config: { units?: number; name: string } }[] } };
    const dense = config.config.layers.find((l) => l.class_name === 'Dense');
    if (!dense?.config.units) throw new Error('mlp has no Dense');
    dense.config.units += 1;
    files['config.json'] = new TextEncoder().encode(JSON.stringify(config));
    const path = join(root, 'reshaped.keras');
    writeFileSync(path, zipSync(files));
    await expect(importModelFile(path, { tf })).rejects.toThrow(new RegExp(`reshaped\\.keras: the weights of layer "${dense.config.name}" \\(Dense\\) have shapes`));
  });

  it("a GRU with Keras 3's default reset_after=True is reported until the block can build it, or imported with it", async () => {
    keras('native_gru_default');
    const result = await importModelFile(join(root, 'native', 'gru_default', 'model.keras'), { tf }).then(
      (r) => r,
      (e: unknown) => {
        if (e instanceof KerasImportError) return e;
        throw e;
      },
    );
    if (result instanceof KerasImportError) {
      expect(result.layers[0].problems.map((p) => p.option)).toContain('reset_after');
    } else {
      result.model?.dispose();
      expect(result.doc.nodes.find((n) => n.type === 'GRU')?.params.reset_after).toBe(true);
    }
  });
});

describe('tfjs models saved by Layerloom import back', () => {
  const root = mkdtempSync(join(tmpdir(), 'layerloom-import-tfjs-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  for (const c of exampleCases()) {
    it(`${c.id}: the same document and predictions (float32), and float16-quantized weights load`, async () => {
      const { model } = compileModel(c.doc, tf, { seed: 3 });
      try {
        await model.save(folderSaveHandler(join(root, c.id)));
        await model.save(folderSaveHandler(join(root, `${c.id}-f16`), { quantize: 'float16' }));
        const inputs = randomInputs(planModel(c.doc), INPUT_SEED);
        const want = predictTfjs(tf, model, inputs);
        const imported = await importModelFile(join(root, c.id, 'model.json'), { tf });
        try {
          expect(comparable(imported.doc)).toEqual(comparable(c.doc));
          predictTfjs(tf, imported.model as tf.LayersModel, inputs).forEach((g, i) => expect(relativeError(g, want[i])).toBeLessThanOrEqual(1e-6));
        } finally {
          imported.model?.dispose();
        }
        const half = await importModelFile(join(root, `${c.id}-f16`, 'model.json'), { tf });
        try {
          predictTfjs(tf, half.model as tf.LayersModel, inputs).forEach((g, i) => expect(relativeError(g, want[i])).toBeLessThanOrEqual(2e-2));
        } finally {
          half.model?.dispose();
        }
      } finally {
        model.dispose();
      }
    });
  }

  it('a manifest naming a missing shard is refused naming the shard, and nothing is read', async () => {
    const c = exampleCases()[0];
    const { model } = compileModel(c.doc, tf);
    await model.save(folderSaveHandler(join(root, 'missing')));
    model.dispose();
    rmSync(join(root, 'missing', 'weights.bin'));
    await expect(importModelFile(join(root, 'missing', 'model.json'), { tf })).rejects.toThrow(/model\.json lists the weight shard "weights\.bin", but .*weights\.bin cannot be read \(ENOENT\)/);
  });

  it('a file over the size limit is refused before it is read, naming the file and the limit', async () => {
    const path = join(root, 'big.json');
    writeFileSync(path, JSON.stringify({ pad: 'x'.repeat(3000) }));
    await expect(importModelFile(path, { tf, maxBytes: 1024 })).rejects.toThrow(/big\.json is [\d.]+ KB, over the 1\.00 KB limit/);
    expect(existsSync(path)).toBe(true);
  });
});
