/**
 * The export service and `layerloom export`: refusals (graph errors, non-empty folder), weights from
 * a saved model or the project's best run, the vocabulary of a text run, and the building blocks
 * (npz files, literals, Keras layer order, defaults tables).
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isKerasDefault, isTfjsDefault } from '../../shared/codegen/defaults.js';
import { generateKeras } from '../../shared/codegen/keras/index.js';
import { pyLiteral, tsLiteral, wrapCall } from '../../shared/codegen/literals.js';
import { kerasLayerOrder, planModel } from '../../shared/codegen/plan.js';
import { generateTs } from '../../shared/codegen/typescript/index.js';
import { compileModel } from '../../shared/compile/compile.js';
import { CompileError } from '../../shared/codegen/plan.js';
import { serializeProject } from '../../shared/graph/serialization.js';
import { DEFAULT_TRAINING } from '../../shared/training/settings.js';
import { ExportError, exportProject } from '../../electron/services/exportService.js';
import { kerasWeightEntries } from '../../electron/services/weights/kerasWeights.js';
import { decodeNpz, encodeNpz } from '../../electron/services/weights/npz.js';
import { folderSaveHandler, loadWeightsInto } from '../../electron/services/weights/tfjsFolder.js';
import { exampleCases, graphOf, handCases } from './exportCases.js';

await tf.setBackend('cpu');
const root = mkdtempSync(join(tmpdir(), 'layerloom-export-service-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const repo = fileURLToPath(new URL('../../', import.meta.url));
/** One of the hand-written export cases, by id (the list grows at its front). */
const handCase = (id: string) => {
  const c = handCases().find((x) => x.id === id);
  if (!c) throw new Error(`no hand case ${id}`);
  return c.doc;
};
const mlp = exampleCases().find((c) => c.id === 'mlp')?.doc ?? handCase('hand_branches');
const textDoc = {
  ...graphOf('Tiny text', [
    { id: 'in', type: 'Input', label: 'tokens', params: { shape: [6], dtype: 'int32' } },
    { id: 'e', type: 'Embedding', label: 'embedding', params: { input_dim: 20, output_dim: 3 }, from: { in: 'in' } },
    { id: 'f', type: 'Flatten', label: 'flatten', from: { in: 'e' } },
    { id: 'd', type: 'Dense', label: 'predictions', params: { units: 2, activation: 'softmax' }, from: { in: 'f' } },
    { id: 'o', type: 'Output', label: 'label', from: { in: 'd' } },
  ]),
  dataset: { path: 'texts', kind: 'text' as const },
  training: DEFAULT_TRAINING,
};

describe('npz files', () => {
  it('round-trip float32 and int32 arrays of any rank, in order, byte-identical on rewrite', () => {
    const entries = [
      { name: 'dense/kernel', array: { shape: [2, 3], dtype: 'float32' as const, data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) } },
      { name: 'dense/bias', array: { shape: [3], dtype: 'float32' as const, data: Float32Array.from([0, -1, 1e-7]) } },
      { name: 'ids', array: { shape: [1, 2, 2], dtype: 'int32' as const, data: Int32Array.from([1, 2, 3, -4]) } },
      { name: 'scalar', array: { shape: [], dtype: 'float32' as const, data: Float32Array.from([3]) } },
    ];
    const bytes = encodeNpz(entries);
    const back = decodeNpz(bytes);
    expect(back.map((e) => [e.name, e.array.shape, e.array.dtype, [...e.array.data]])).toEqual(
      entries.map((e) => [e.name, e.array.shape, e.array.dtype, [...e.array.data]]),
    );
    expect(encodeNpz(back)).toEqual(bytes);
  });

  it('refuses mismatched sizes and duplicate names with a message', () => {
    expect(() => encodeNpz([{ name: 'a', array: { shape: [2, 2], dtype: 'float32', data: new Float32Array(3) } }])).toThrow(/needs 4 values, got 3/);
    const a = { name: 'a', array: { shape: [1], dtype: 'float32' as const, data: new Float32Array(1) } };
    expect(() => encodeNpz([a, a])).toThrow(/unique/);
  });
});

describe('generated code building blocks', () => {
  it('prints literals in each language', () => {
    expect([pyLiteral({ tuple: [4] }), pyLiteral({ tuple: [28, null, 1] }), pyLiteral(null), pyLiteral(true), pyLiteral('a"b'), pyLiteral(1e-7)]).toEqual([
      '(4,)',
      '(28, None, 1)',
      'None',
      'True',
      '"a\\"b"',
      '1e-7',
    ]);
    expect([tsLiteral({ tuple: [4, null] }), tsLiteral("it's"), tsLiteral(false)]).toEqual(['[4, null]', "'it\\'s'", 'false']);
  });

  it('wraps long calls like Black', () => {
    expect(wrapCall('    ', 'x = f', ['1', 'b=2'], '(y)', 88)).toBe('    x = f(1, b=2)(y)');
    const args = Array.from({ length: 4 }, (_, i) => `argument_number_${i}="${'v'.repeat(10)}"`);
    expect(wrapCall('    ', 'x = f', args, '(y)', 88).split('\n')).toEqual(['    x = f(', ...args.map((a) => `        ${a},`), '    )(y)']);
  });

  it('leaves out only real defaults, keeping what tfjs and Keras disagree on', () => {
    expect(isKerasDefault('Dense', 'activation', 'linear')).toBe(true);
    expect(isKerasDefault('Dense', 'kernel_initializer', 'glorot_uniform')).toBe(true);
    expect(isKerasDefault('LSTM', 'recurrent_activation', 'sigmoid')).toBe(false);
    expect(isKerasDefault('GRU', 'reset_after', false)).toBe(false);
    expect(isKerasDefault('Conv2D', 'strides', { tuple: [1, 1] })).toBe(true);
    expect(isKerasDefault('Conv2D', 'strides', { tuple: [2, 2] })).toBe(false);
    expect(isTfjsDefault('dense', 'kernelInitializer', 'glorotUniform')).toBe(false);
    expect(isTfjsDefault('dense', 'useBias', true)).toBe(true);
  });

  it('orders layers as Keras does, not in document order', () => {
    // Document order puts the shallow branch ("class") first; Keras sorts by depth to the output.
    const plan = planModel(handCase('hand_branches'));
    expect(plan.steps.map((s) => s.name)).toEqual(['lambda', 'class', 'dense', 'dense_2', 'tf', 'layers', 'layer_3_outputs']);
    expect(kerasLayerOrder(plan)).toEqual(['lambda', 'dense', 'dense_2', 'class', 'tf', 'layers', 'layer_3_outputs']);
  });

  it('escapes labels that are keywords or module names and keeps the layer names', () => {
    const py = generateKeras(handCase('hand_branches'));
    expect(py).toContain('lambda_ = keras.Input(shape=(6, 8), dtype="float32", name="lambda")');
    expect(py).toContain('layers_ = layers.Flatten(name="layers")(tf_)');
    const ts = generateTs(handCase('hand_branches'))[0].content;
    expect(ts).toContain("const class_ = tf.layers.dense(");
  });

  it('refuses a graph with errors', () => {
    const broken = { ...mlp, edges: mlp.edges.slice(1) };
    expect(() => generateKeras(broken)).toThrow(CompileError);
    expect(() => generateTs(broken)).toThrow(CompileError);
  });

  it('writes the weights in Keras get_weights() order, named by layer', () => {
    const doc = handCase('hand_branches');
    const { model } = compileModel(doc, tf);
    const names = kerasWeightEntries(model, planModel(doc)).map((e) => e.name);
    model.dispose();
    expect(names).toEqual([
      'dense/kernel', 'dense/bias', 'dense_2/kernel', 'class/kernel', 'class/bias',
      'tf/query/kernel', 'tf/query/bias', 'tf/key/kernel', 'tf/key/bias', 'tf/value/kernel', 'tf/value/bias',
      'tf/attention_output/kernel', 'tf/attention_output/bias', 'layer_3_outputs/kernel', 'layer_3_outputs/bias',
    ]);
  });
});

describe('export service', () => {
  it('writes a Keras folder and refuses to write into it again without force', async () => {
    const folder = join(root, 'keras');
    const result = await exportProject({ doc: mlp, target: 'keras', folder, tf });
    expect(readdirSync(folder).sort()).toEqual(['README.md', 'k8s', 'layerloom-export.json', 'model.py', 'requirements.txt', 'weights.npz']);
    expect(readdirSync(join(folder, 'k8s')).sort()).toEqual(['Dockerfile', 'tfjob.yaml']);
    expect(result.weightsFrom).toBe('initial');
    await expect(exportProject({ doc: mlp, target: 'keras', folder, tf })).rejects.toThrow(/not empty.*--force/s);
    await expect(exportProject({ doc: mlp, target: 'keras', folder, tf, force: true })).resolves.toMatchObject({ folder });
  });

  it('refuses a graph with errors, listing each with its block', async () => {
    const broken = { ...mlp, edges: mlp.edges.slice(1) };
    const err = await exportProject({ doc: broken, target: 'ts', folder: join(root, 'never'), tf }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExportError);
    expect((err as ExportError).diagnostics.map((d) => d.code)).toContain('LL004');
    expect((err as ExportError).message).toMatch(/error.*LL004/s);
    expect(existsSync(join(root, 'never'))).toBe(false);
  });

  it('exports the weights of a saved model, and refuses weights of another graph', async () => {
    const { model } = compileModel(mlp, tf);
    const saved = join(root, 'saved');
    await model.save(folderSaveHandler(saved));
    const folder = join(root, 'ts');
    const result = await exportProject({ doc: mlp, target: 'ts', folder, source: { kind: 'folder', path: saved }, tf });
    expect(result.weightsFrom).toBe(saved);
    const again = compileModel(mlp, tf).model;
    await loadWeightsInto(tf, again, join(folder, 'weights'));
    const a = model.getWeights().map((w) => [...w.dataSync()]);
    expect(again.getWeights().map((w) => [...w.dataSync()])).toEqual(a);
    model.dispose();
    again.dispose();
    await expect(exportProject({ doc: handCase('hand_two_heads'), target: 'keras', folder: join(root, 'other'), source: { kind: 'folder', path: saved }, tf })).rejects.toThrow(/different graph|no weight/);
  });

  it("takes the project's best run and its preprocessing (here: the vocabulary)", async () => {
    const project = join(root, 'project', 'text.layerloom');
    mkdirSync(join(root, 'project'), { recursive: true });
    writeFileSync(project, serializeProject(textDoc));
    const { model } = compileModel(textDoc, tf);
    const run = join(root, 'project', 'runs', '2026-01-01T00-00-00-000Z');
    await model.save(folderSaveHandler(join(run, 'checkpoints', 'best', 'model')));
    model.dispose();
    const history = [{ epoch: 1, metrics: { loss: 0.7, val_loss: 0.69 }, learningRate: 0.001, seconds: 1, samplesPerSecond: 1 }];
    writeFileSync(join(run, 'run.json'), JSON.stringify({ id: '2026-01-01T00-00-00-000Z', startedAt: '2026-01-01T00:00:00.000Z', projectFile: project, status: 'completed', bestEpoch: 1 }));
    writeFileSync(join(run, 'history.json'), JSON.stringify(history));
    const preprocessing = JSON.stringify({ kind: 'text', classes: ['a', 'b'], vocabulary: ['the', 'rain', 'goal'], oovToken: '[UNK]', sequenceLength: 6, maxTokens: 20 });
    writeFileSync(join(run, 'preprocessing.json'), preprocessing);
    const folder = join(root, 'from-run');
    const result = await exportProject({ doc: textDoc, target: 'keras', folder, projectPath: project, tf });
    expect(result.weightsFrom).toBe(join(run, 'checkpoints', 'best', 'model'));
    expect(result.provenance).toMatchObject({ source: 'run', runId: '2026-01-01T00-00-00-000Z', checkpoint: 'best', epoch: 1, metric: 'val_loss' });
    expect(readFileSync(join(folder, 'preprocessing.json'), 'utf8')).toBe(preprocessing);
    const py = readFileSync(join(folder, 'model.py'), 'utf8');
    expect(py).toContain('PREPROCESSING = os.path.join(HERE, "preprocessing.json")');
    expect(py).toContain('vocabulary = saved["vocabulary"]');
    // The dataset path is rewritten relative to the export folder.
    expect(py).toContain('DATA = os.path.join(HERE, "../project/texts")');
  });
});

describe('layerloom export', () => {
  const bin = join(repo, 'bin/layerloom.js');
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'export', ...args], { cwd: repo, encoding: 'utf8', timeout: 120_000 });

  it('explains its usage', () => {
    const r = run('examples/mlp.layerloom', '--to', 'java', '-o', join(root, 'cli-x'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--to must be keras, ts or onnx');
  });

  it('exports an example to ONNX, and refuses an opset outside 13-21 or --opset for another target', () => {
    const out = join(root, 'cli-onnx');
    const r = run('examples/mlp.layerloom', '--to', 'onnx', '--opset', '15', '-o', out);
    expect([r.status, r.stderr]).toEqual([0, expect.any(String)]);
    expect(r.stdout).toContain('as ONNX (opset 15)');
    expect(readdirSync(out).sort()).toEqual(['README.md', 'layerloom-export.json', 'model.onnx', 'predict.py']);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('opset 15');
    const low = run('examples/mlp.layerloom', '--to', 'onnx', '--opset', '12', '-o', join(root, 'cli-onnx-12'));
    expect([low.status, low.stderr]).toEqual([2, expect.stringContaining('--opset must be an integer from 13 to 21')]);
    const keras = run('examples/mlp.layerloom', '--to', 'keras', '--opset', '17', '-o', join(root, 'cli-onnx-keras'));
    expect([keras.status, keras.stderr]).toEqual([2, expect.stringContaining('apply to --to onnx only')]);
    expect(existsSync(join(root, 'cli-onnx-12'))).toBe(false);
  });

  it('exports the initial weights of --seed N to ONNX byte for byte the same twice', () => {
    const [a, b] = ['cli-onnx-seed-a', 'cli-onnx-seed-b'].map((d) => join(root, d));
    for (const out of [a, b]) expect(run('examples/mlp.layerloom', '--to', 'onnx', '--seed', '7', '-o', out).status).toBe(0);
    expect(readFileSync(join(a, 'model.onnx')).equals(readFileSync(join(b, 'model.onnx')))).toBe(true);
    expect(run('examples/mlp.layerloom', '--to', 'onnx', '--seed', '8', '-o', join(root, 'cli-onnx-seed-c')).status).toBe(0);
    expect(readFileSync(join(a, 'model.onnx')).equals(readFileSync(join(root, 'cli-onnx-seed-c', 'model.onnx')))).toBe(false);
  });

  it('exports an example to TypeScript, then refuses the non-empty folder unless --force', () => {
    const out = join(root, 'cli-ts');
    const first = run('examples/mlp.layerloom', '--to', 'ts', '-o', out);
    expect([first.status, first.stderr]).toEqual([0, expect.any(String)]);
    expect(first.stdout).toContain('Exported');
    expect(readdirSync(out).sort()).toEqual(['README.md', 'layerloom-export.json', 'layerloomData.ts', 'model.ts', 'package.json', 'train.ts', 'tsconfig.json', 'weights', 'weights.ts']);
    const second = run('examples/mlp.layerloom', '--to', 'ts', '-o', out);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain('not empty');
    expect(run('examples/mlp.layerloom', '--to', 'keras', '-o', out, '--force').status).toBe(0);
  });

  it('refuses a broken project with its diagnostics', () => {
    const broken = join(root, 'broken.layerloom');
    writeFileSync(broken, serializeProject({ ...mlp, edges: mlp.edges.slice(1) }));
    const r = run(broken, '--to', 'keras', '-o', join(root, 'cli-broken'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('LL004');
  });
});
