import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { readdirSync, readFileSync } from 'node:fs';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { compileModel } from '../../shared/compile/compile.js';
import { regularizationPenalty } from '../../shared/compile/regularization.js';
import { CompileError } from '../../shared/codegen/plan.js';
import { sanitizeName, layerNamesFor } from '../../shared/graph/layerNames.js';
import { parseProject } from '../../shared/graph/serialization.js';
import { emptyDocument, type ProjectDocument } from '../../shared/graph/document.js';
import { addNode, connect } from '../../shared/graph/operations.js';
import { randomGraph } from '../helpers/randomGraphs.js';

const examplesDir = new URL('../../examples/', import.meta.url);
function loadExample(file: string): ProjectDocument {
  const parsed = parseProject(readFileSync(new URL(file, examplesDir), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.doc;
}

/** Compiles and checks the tfjs model against analysis: total params and every layer's output shape. */
function expectModelMatchesAnalysis(doc: ProjectDocument): void {
  const analysis = analyzeGraph(doc);
  const { model, layerNames } = compileModel(doc, tf);
  try {
    expect(model.countParams()).toBe(analysis.totals.trainable + analysis.totals.nonTrainable);
    const trainable = model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
    expect(trainable).toBe(analysis.totals.trainable);
    for (const [nodeId, name] of layerNames) {
      const info = analysis.nodes.get(nodeId);
      if (!info?.shape || analysis.diagnostics.some((d) => d.code === 'LL005' && d.nodeId === nodeId)) continue;
      const layer = model.getLayer(name);
      // A block with several outputs (a recurrent layer's states) is one layer with one shape per port.
      const ports = info.outputs.map((p) => p.name);
      const shapes = (ports.length > 1 ? layer.outputShape : [layer.outputShape]) as (number | null)[][];
      // tfjs's Cropping2D subtracts the crop from a variable size (null − 5 = −5) where Keras keeps
      // None; only the symbolic shape is affected (real data below gets the right size).
      const symbolic = (s: (number | null)[]) => s.slice(1).map((d) => (layer.getClassName() === 'Cropping2D' && d !== null && d < 0 ? null : d));
      expect([name, shapes.map(symbolic)]).toEqual([name, ports.map((p, k) => [...((k === 0 ? info.shape : info.outputShapes.get(p)) ?? [])])]);
    }
    // Real data through the real model: the actual output shapes equal the inferred ones.
    // Variable sizes become 3 — unless the graph is only valid for other sizes (e.g. merging two
    // variable-length paths of different lengths, which Keras also rejects only at run time).
    const concrete = {
      ...doc,
      nodes: doc.nodes.map((n) =>
        n.type === 'Input' && Array.isArray(n.params.shape) ? { ...n, params: { ...n.params, shape: n.params.shape.map((d) => d ?? 3) } } : n,
      ),
    };
    if (!analyzeGraph(concrete).valid) return;
    const xs = model.inputs.map((inp) => {
      const shape = inp.shape.map((d, i) => (i === 0 ? 2 : (d ?? 3)));
      // Values in [0, 1): they truncate to token id 0, valid for any Embedding (even fed by a float Input).
      return inp.dtype === 'int32' ? tf.zeros(shape, 'int32') : tf.randomUniform(shape, 0, 1);
    });
    const ys = model.predict(xs.length === 1 ? xs[0] : xs);
    const outs = Array.isArray(ys) ? ys : [ys];
    analysis.outputs.forEach((id, i) => {
      const src = analysis.nodes.get(id)?.inputEdges.get('in')?.source ?? '';
      const want = analysis.nodes.get(src)?.shape ?? [];
      // Variable dims (null) may take any size at run time; fixed dims must match exactly.
      expect(outs[i].shape.map((d, axis) => (axis > 0 && want[axis - 1] === null ? null : d))).toEqual([2, ...want]);
    });
    tf.dispose([...xs, ...outs]);
  } finally {
    model.dispose();
  }
}

describe('compile', () => {
  it('sanitizes labels into unique identifiers', () => {
    expect(sanitizeName('Conv 1')).toBe('conv_1');
    expect(sanitizeName('3x3')).toBe('layer_3x3');
    expect(sanitizeName('Ünïcode—Block!')).toBe('unicode_block');
    expect(sanitizeName('!!!')).toBe('layer');
    const names = layerNamesFor([
      { id: 'a', type: 'Dense', label: 'Dense', params: {}, position: { x: 0, y: 0 } },
      { id: 'b', type: 'Dense', label: 'dense', params: {}, position: { x: 0, y: 0 } },
      { id: 'c', type: 'Output', label: 'dense', params: {}, position: { x: 0, y: 0 } },
    ]);
    expect([...names.entries()]).toEqual([['a', 'dense'], ['b', 'dense_2']]);
  });

  it('refuses a graph with errors, listing the diagnostics', () => {
    const doc = loadExample('mlp.layerloom');
    const broken = { ...doc, edges: doc.edges.slice(1) };
    expect(() => compileModel(broken, tf)).toThrow(CompileError);
    try {
      compileModel(broken, tf);
    } catch (e) {
      expect((e as CompileError).diagnostics.map((d) => d.code)).toContain('LL004');
    }
  });

  const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.layerloom')).sort();
  it('has the five examples', () => expect(examples.length).toBeGreaterThanOrEqual(5));
  for (const file of examples) {
    it(`example ${file}: tfjs model equals the analysis (params, shapes, real outputs)`, () => expectModelMatchesAnalysis(loadExample(file)));
  }

  it('runs a layer fed the same tensor twice while another layer also uses it (tfjs executor disposal)', () => {
    let doc = emptyDocument('repeat');
    const add = (type: string, params = {}) => {
      const r = addNode(doc, type, { x: 0, y: 0 }, { params });
      doc = r.doc;
      return r.nodeId;
    };
    const i = add('Input', { shape: [6, 8] });
    const d = add('Dense', { units: 8 });
    const sum = add('Add');
    const mha = add('MultiHeadAttention', { num_heads: 2, key_dim: 4 });
    const cat = add('Concatenate', { num_inputs: 3 });
    const o = add('Output');
    for (const [from, to, port] of [[i, d, 'in'], [d, sum, 'in0'], [d, sum, 'in1'], [d, mha, 'query'], [d, mha, 'value'], [d, cat, 'in0'], [sum, cat, 'in1'], [mha, cat, 'in2'], [cat, o, 'in']]) {
      doc = connect(doc, from, to, port).doc;
    }
    expectModelMatchesAnalysis(doc);
  });

  it('is deterministic: same document, same layers and weights shapes', () => {
    const doc = loadExample('mlp.layerloom');
    const a = compileModel(doc, tf).model;
    const b = compileModel(doc, tf).model;
    expect(a.layers.map((l) => l.name)).toEqual(b.layers.map((l) => l.name));
    expect(a.weights.map((w) => w.shape)).toEqual(b.weights.map((w) => w.shape));
    a.dispose();
    b.dispose();
  });

  it('random graphs: valid ones compile to exactly the inferred model; invalid ones only produce diagnostics', () => {
    let valid = 0;
    const seeds = 500;
    for (let seed = 1; seed <= seeds; seed++) {
      const doc = randomGraph(seed, 2 + (seed % 5));
      const analysis = analyzeGraph(doc);
      for (const d of analysis.diagnostics) {
        expect(d.code).toMatch(/^LL\d{3}$/);
        expect(d.message.length).toBeGreaterThan(15);
      }
      if (!analysis.valid) continue;
      valid++;
      try {
        expectModelMatchesAnalysis(doc);
      } catch (e) {
        throw new Error(`seed ${seed}: ${(e as Error).message}\n${JSON.stringify(doc.nodes.map((n) => [n.type, n.params]))}`, { cause: e });
      }
    }
    // The generator must exercise the compile path, not only the error path.
    console.log(`random graphs: ${valid} of ${seeds} valid and compiled`);
    expect(valid).toBeGreaterThan(seeds / 10);
  });
});

describe('weight regularizers in the compiled model', () => {
  it('tfjs’s evaluate leaves the regularization penalty out and trainOnBatch counts it; regularizationPenalty gives the difference', async () => {
    let doc = emptyDocument('regularized');
    const input = addNode(doc, 'Input', { x: 0, y: 0 }, { params: { shape: [3] } });
    doc = input.doc;
    const dense = addNode(doc, 'Dense', { x: 0, y: 100 }, { params: { units: 2, kernel_l1: 0.1, kernel_l2: 0.2, bias_l2: 0.3 } });
    doc = dense.doc;
    const output = addNode(doc, 'Output', { x: 0, y: 200 });
    doc = connect(output.doc, input.nodeId, dense.nodeId, 'in').doc;
    doc = connect(doc, dense.nodeId, output.nodeId, 'in').doc;
    const { model } = compileModel(doc, tf);
    const x = tf.tensor2d([[1, -2, 0.5], [0.3, 0.7, -1]]);
    const y = tf.tensor2d([[0, 1], [1, 0]]);
    try {
      model.setWeights([tf.tensor2d([[0.4, -0.3], [0.2, 0.1], [-0.5, 0.6]]), tf.tensor1d([0.1, -0.2])]);
      model.compile({ optimizer: tf.train.sgd(1), loss: 'meanSquaredError' });
      const [kernel, bias] = model.getWeights().map((w) => Array.from(w.dataSync()));
      const expected = 0.1 * kernel.reduce((a, v) => a + Math.abs(v), 0) + 0.2 * kernel.reduce((a, v) => a + v * v, 0) + 0.3 * bias.reduce((a, v) => a + v * v, 0);
      expect(regularizationPenalty(model)).toBeCloseTo(expected, 6);
      const evaluated = (model.evaluate(x, y) as tf.Scalar).dataSync()[0];
      const trained = (await model.trainOnBatch(x, y)) as number;
      expect(trained).toBeCloseTo(evaluated + expected, 5);
    } finally {
      tf.dispose([x, y]);
      model.dispose();
    }
  });
});

describe('weight regularizers on recurrent blocks', () => {
  it('a bidirectional LSTM’s kernel, recurrent and bias penalties count in trainOnBatch and regularizationPenalty, also after a JSON round trip', async () => {
    let doc = emptyDocument('regularized-rnn');
    const input = addNode(doc, 'Input', { x: 0, y: 0 }, { params: { shape: [3, 2] } });
    doc = input.doc;
    const lstm = addNode(doc, 'LSTM', { x: 0, y: 100 }, { params: { units: 2, bidirectional: true, kernel_l1: 0.1, recurrent_l2: 0.2, bias_l1: 0.05, bias_l2: 0.3 } });
    doc = lstm.doc;
    const output = addNode(doc, 'Output', { x: 0, y: 200 });
    doc = connect(output.doc, input.nodeId, lstm.nodeId, 'in').doc;
    doc = connect(doc, lstm.nodeId, output.nodeId, 'in').doc;
    const { model } = compileModel(doc, tf);
    const loaded = await tf.models.modelFromJSON(JSON.parse(JSON.stringify(model.toJSON(null, false))));
    const x = tf.tensor3d([[[1, -2], [0.5, 0.3], [0.7, -1]]]);
    const y = tf.tensor2d([[0, 1, 1, 0]]);
    try {
      // Weights per direction: kernel (2, 8), recurrent kernel (2, 8), bias (8).
      const expected = model.getWeights().reduce((sum, w, i) => {
        const v = Array.from(w.dataSync());
        const factors = [[0.1, 0], [0, 0.2], [0.05, 0.3]][i % 3];
        return sum + factors[0] * v.reduce((a, b) => a + Math.abs(b), 0) + factors[1] * v.reduce((a, b) => a + b * b, 0);
      }, 0);
      expect(expected).toBeGreaterThan(0.1);
      expect(regularizationPenalty(model)).toBeCloseTo(expected, 5);
      loaded.setWeights(model.getWeights());
      expect(regularizationPenalty(loaded)).toBeCloseTo(expected, 5);
      model.compile({ optimizer: tf.train.sgd(1), loss: 'meanSquaredError' });
      const evaluated = (model.evaluate(x, y) as tf.Scalar).dataSync()[0];
      const trained = (await model.trainOnBatch(x, y)) as number;
      expect(trained).toBeCloseTo(evaluated + expected, 5);
    } finally {
      tf.dispose([x, y]);
      model.dispose();
      loaded.dispose();
    }
  });
});
