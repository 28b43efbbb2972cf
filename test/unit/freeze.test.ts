/**
 * Freezing layers (params.trainable = false), Keras's `layer.trainable = False`, in tfjs: the
 * resnet-mini example with everything but its head frozen trains, and afterwards every frozen
 * weight — BatchNormalization's moving statistics included — is bit for bit what it was (tfjs's own
 * BatchNormalization would use the batch's statistics and update the moving ones during `fit`); the
 * summary's split equals the compiled model's; a model with every layer frozen is refused with a
 * message instead of tfjs's "variableGrads() expects at least one trainable variable".
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { compileModel } from '../../shared/compile/compile.js';
import type { ProjectDocument } from '../../shared/graph/document.js';
import { parseProject } from '../../shared/graph/serialization.js';
import { modelInput } from '../../electron/services/trainingEngine.js';
import { nothingToTrain } from '../../shared/training/trainable.js';
import { exportProject } from '../../electron/services/exportService.js';
import { PYTHON, whyNoKeras } from '../helpers/python.js';
import { rng } from '../helpers/randomGraphs.js';
import { exampleCases, smokeDataset } from './exportCases.js';

const example = fileURLToPath(new URL('../../examples/resnet-mini.layerloom', import.meta.url));

function resnetMini(): ProjectDocument {
  const parsed = parseProject(readFileSync(example, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.doc;
}

/** The document with `trainable` off on every layer but those in `keep`. */
function frozenExcept(doc: ProjectDocument, keep: readonly string[]): ProjectDocument {
  return {
    ...doc,
    nodes: doc.nodes.map((n) => ('trainable' in n.params && !keep.includes(n.id) ? { ...n, params: { ...n.params, trainable: false } } : n)),
  };
}

const size = (ws: readonly tf.LayerVariable[]): number => ws.reduce((a, w) => a + w.shape.reduce((p: number, d) => p * (d ?? 0), 1), 0);

/** Trains the compiled document a few steps on seeded data; returns each layer's weights before and after. */
async function trainAndCompare(doc: ProjectDocument) {
  const compiled = compileModel(doc, tf, { seed: 7 });
  const model = compiled.model;
  const snapshot = () => new Map(model.layers.map((l) => [l.name, l.weights.map((w) => ({ name: w.name, data: Array.from(w.read().dataSync()) }))]));
  const before = snapshot();
  const r = rng(5);
  const n = 24;
  const xs = tf.tensor4d(Float32Array.from({ length: n * 28 * 28 }, () => r()), [n, 28, 28, 1]);
  const ys = tf.oneHot(tf.tensor1d(Array.from({ length: n }, () => Math.floor(r() * 10)), 'int32'), 10);
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy' });
  await model.fit(xs, ys, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
  const after = snapshot();
  const changed = (layer: string): string[] =>
    (before.get(layer) ?? []).filter((w, i) => w.data.some((v, j) => !Object.is(v, after.get(layer)?.[i].data[j]))).map((w) => w.name);
  const result = { compiled, changed, counts: { trainable: size(model.trainableWeights), nonTrainable: size(model.nonTrainableWeights) } };
  xs.dispose();
  ys.dispose();
  return result;
}

describe('freezing layers (params.trainable)', () => {
  it('resnet-mini frozen but its head: the summary splits as the compiled model, and training leaves every frozen weight and BN statistic bit-identical', { timeout: 120_000 }, async () => {
    const doc = frozenExcept(resnetMini(), ['head']);
    const totals = analyzeGraph(doc).totals;
    // Head: Dense(32 → 10) = 330 trainable; everything else, moving statistics included, frozen.
    expect(totals).toEqual({ trainable: 330, nonTrainable: 19_354 - 330 });
    const { compiled, changed, counts } = await trainAndCompare(doc);
    expect(counts).toEqual(totals);
    const layerOf = (id: string): string => compiled.layerNames.get(id) ?? id;
    expect(changed(layerOf('head')).length).toBe(2);
    for (const node of doc.nodes.filter((x) => x.id !== 'head')) expect([node.id, changed(layerOf(node.id))]).toEqual([node.id, []]);
    // The frozen BatchNormalizations ran as Layerloom's layer that keeps Keras's rule.
    expect(compiled.model.getLayer(layerOf('b2_bn')).getClassName()).toBe('LayerloomBatchNormalization');
    compiled.model.dispose();
  });

  it('control: an unfrozen BatchNormalization in the same run moves its moving statistics (the check above can fail)', { timeout: 120_000 }, async () => {
    const doc = frozenExcept(resnetMini(), ['head', 'b2_bn']);
    const { compiled, changed } = await trainAndCompare(doc);
    const bn = compiled.layerNames.get('b2_bn') ?? '';
    expect(compiled.model.getLayer(bn).getClassName()).toBe('BatchNormalization');
    expect(changed(bn).map((n) => (n.split('/').pop() ?? '').replace(/_\d+$/, ''))).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance']);
    expect(changed(compiled.layerNames.get('b2_conv') ?? '')).toEqual([]);
    compiled.model.dispose();
  });

  it('a model with every layer frozen is refused before training with what to do', () => {
    const doc = frozenExcept(resnetMini(), []);
    expect(analyzeGraph(doc).totals).toEqual({ trainable: 0, nonTrainable: 19_354 });
    expect(() => modelInput(doc)).toThrow(/Every layer with weights is frozen .* all 19,354 weights are non-trainable\. Unfreeze at least one layer/);
    expect(() => modelInput(frozenExcept(resnetMini(), ['head']))).not.toThrow();
  });
});

describe('the TypeScript export of a model with every layer frozen', () => {
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  const noTfjsNode = spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], { cwd: repo, encoding: 'utf8', timeout: 120_000 }).status === 0 ? null : '@tensorflow/tfjs-node does not load (npm run native:link builds it)';
  if (noTfjsNode) console.log(`train.ts run skipped: ${noTfjsNode}.`);

  it.skipIf(noTfjsNode !== null)("train.ts stops before training with the app's message, not tfjs's variableGrads error", { timeout: 180_000 }, async () => {
    const c = exampleCases().find((x) => x.id === 'mlp');
    if (!c) throw new Error('the mlp example is missing');
    const doc = frozenExcept(c.doc, []);
    const root = mkdtempSync(join(tmpdir(), 'layerloom-frozen-ts-'));
    try {
      symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
      const data = smokeDataset({ id: c.id, doc }, join(root, 'data'));
      if (!data) throw new Error('no smoke dataset for the mlp example (test/assets)');
      await exportProject({ doc, target: 'ts', folder: join(root, 'export'), seed: 1, tf });
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'train.ts', '--data', data, '--epochs', '1', '--output', join(root, 'out')], { cwd: join(root, 'export'), encoding: 'utf8', timeout: 170_000 });
      const said = r.stdout + r.stderr;
      expect(said).not.toMatch(/variableGrads/);
      expect(said).toContain(nothingToTrain(analyzeGraph(doc).totals)?.split(' Unfreeze')[0] ?? 'unreachable');
      expect(r.status).toBe(1);
      expect(existsSync(join(root, 'out', 'model'))).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  // Keras itself would run every epoch and change nothing, silently: model.py says so instead.
  const noKeras = whyNoKeras();
  it.skipIf(noKeras !== null)("the Python export's model.py stops with the same message", { timeout: 180_000 }, async () => {
    const c = exampleCases().find((x) => x.id === 'mlp');
    if (!c) throw new Error('the mlp example is missing');
    const doc = frozenExcept(c.doc, []);
    const root = mkdtempSync(join(tmpdir(), 'layerloom-frozen-py-'));
    try {
      const data = smokeDataset({ id: c.id, doc }, join(root, 'data'));
      if (!data) throw new Error('no smoke dataset for the mlp example (test/assets)');
      await exportProject({ doc, target: 'keras', folder: join(root, 'export'), seed: 1, tf });
      const r = spawnSync(PYTHON, ['model.py', '--data', data, '--epochs', '1', '--output', join(root, 'out')], {
        cwd: join(root, 'export'),
        encoding: 'utf8',
        timeout: 170_000,
        env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
      });
      expect(r.stderr).toContain(nothingToTrain(analyzeGraph(doc).totals)?.split(' Unfreeze')[0] ?? 'unreachable');
      expect(r.status).toBe(1);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
