import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { runBlockCases } from '../helpers/blockTest.js';
import { getBlock } from '../../shared/blocks/registry.js';
import { checkParamValue, defaultParams } from '../../shared/blocks/paramUtils.js';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { compileModel } from '../../shared/compile/compile.js';
import { emptyDocument, type ProjectDocument } from '../../shared/graph/document.js';
import { addNode, connect } from '../../shared/graph/operations.js';
import type { ParamValue } from '../../shared/blocks/types.js';

// Expected shapes measured with Keras 3.15 (keras.Input per port + the layer its LayerCall prints).
// Rows that expect an error are errors in Keras too, unless their name says Layerloom restricts it.
describe('merge blocks (Keras 3 semantics)', () => {
  runBlockCases([
    { block: 'Add', inputs: [[28, 28, 64], [28, 28, 64]], shape: [28, 28, 64], count: 0 },
    { block: 'Add', params: { num_inputs: 3 }, inputs: [[10], [10], [10]], shape: [10], count: 0 },
    { name: 'Add broadcasts a size-1 axis', block: 'Add', inputs: [[1, 64], [10, 64]], shape: [10, 64], count: 0 },
    { block: 'Add', inputs: [[10, 1], [1, 64]], shape: [10, 64], count: 0 },
    { block: 'Add', inputs: [[null, 16], [null, 16]], shape: [null, 16], count: 0 },
    { name: 'Add of a variable and a fixed size gives a variable size, as in Keras', block: 'Add', inputs: [[null, 16], [5, 16]], shape: [null, 16], count: 0 },
    { name: 'Add of a 28×28 and a 14×14 map names both shapes and the axis (LL010)', block: 'Add', inputs: [[28, 28, 64], [14, 14, 64]], shape: null, codes: ['LL010'] },
    { block: 'Add', inputs: [[10, 32], [10, 64]], shape: null, codes: ['LL010'] },
    { block: 'Add', params: { num_inputs: 3 }, inputs: [[8], [8], [4]], shape: null, codes: ['LL010'] },
    { name: 'Add refuses inputs of different ranks (LL010), which Keras would line up from the right', block: 'Add', inputs: [[10, 64], [64]], shape: null, codes: ['LL010'] },
    { block: 'Add', inputs: [[8], null], shape: null, codes: ['LL004'] },
    { block: 'Subtract', inputs: [[4, 3], [4, 3]], shape: [4, 3], count: 0 },
    { block: 'Subtract', inputs: [[4, 1], [4, 3]], shape: [4, 3], count: 0 },
    { block: 'Subtract', inputs: [[4], [5]], shape: null, codes: ['LL010'] },
    { block: 'Multiply', inputs: [[10, 32], [10, 32]], shape: [10, 32], count: 0 },
    { block: 'Multiply', params: { num_inputs: 4 }, inputs: [[6], [6], [6], [6]], shape: [6], count: 0 },
    { block: 'Multiply', inputs: [[10, 32], [10, 1]], shape: [10, 32], count: 0 },
    { block: 'Average', inputs: [[10], [10]], shape: [10], count: 0 },
    { block: 'Average', params: { num_inputs: 3 }, inputs: [[3, 4], [3, 4], [3, 4]], shape: [3, 4], count: 0 },
    { block: 'Maximum', inputs: [[5, 5, 2], [5, 5, 2]], shape: [5, 5, 2], count: 0 },
    { block: 'Minimum', params: { num_inputs: 3 }, inputs: [[7], [7], [7]], shape: [7], count: 0 },
    { block: 'Minimum', inputs: [[7], [8]], shape: null, codes: ['LL010'] },
    { block: 'Concatenate', inputs: [[10, 4], [10, 6]], shape: [10, 10], count: 0 },
    { block: 'Concatenate', params: { num_inputs: 3 }, inputs: [[8], [16], [4]], shape: [28], count: 0 },
    { block: 'Concatenate', params: { axis: 1 }, inputs: [[3, 4], [5, 4]], shape: [8, 4], count: 0 },
    { name: 'Concatenate axis -2 (tfjs is given axis 1: it runs every negative axis as -1)', block: 'Concatenate', params: { axis: -2 }, inputs: [[3, 4], [5, 4]], shape: [8, 4], count: 0 },
    { block: 'Concatenate', params: { axis: -3 }, inputs: [[2, 3, 4], [5, 3, 4]], shape: [7, 3, 4], count: 0 },
    { block: 'Concatenate', params: { axis: 3 }, inputs: [[7, 7, 16], [7, 7, 8]], shape: [7, 7, 24], count: 0 },
    { name: 'Concatenate along a variable axis gives a variable size', block: 'Concatenate', params: { axis: 1 }, inputs: [[null, 4], [3, 4]], shape: [null, 4], count: 0 },
    { block: 'Concatenate', inputs: [[null, 4], [null, 6]], shape: [null, 10], count: 0 },
    { block: 'Concatenate', inputs: [[3, 4], [5, 6]], shape: null, codes: ['LL010'] },
    { name: 'Concatenate refuses a variable size against a fixed one on another axis (LL010): tfjs cannot build it', block: 'Concatenate', inputs: [[null, 4], [5, 6]], shape: null, codes: ['LL010'] },
    { block: 'Concatenate', inputs: [[3, 4], [4]], shape: null, codes: ['LL010'] },
    { name: 'Concatenate refuses the batch axis 0 (LL011)', block: 'Concatenate', params: { axis: 0 }, inputs: [[3, 4], [3, 4]], shape: null, codes: ['LL011'] },
    { name: 'Concatenate refuses an axis out of range (LL011)', block: 'Concatenate', params: { axis: 3 }, inputs: [[3, 4], [3, 4]], shape: null, codes: ['LL011'] },
    { name: 'Concatenate refuses axis -3 on rank 3, i.e. the batch axis (LL011)', block: 'Concatenate', params: { axis: -3 }, inputs: [[3, 4], [3, 4]], shape: null, codes: ['LL011'] },
    { block: 'Concatenate', params: { num_inputs: 3 }, inputs: [[3], [4], null], shape: null, codes: ['LL004'] },
  ]);

  it('names ports in0..in{n-1} in order, following num_inputs; Subtract has exactly two', () => {
    const add = getBlock('Add');
    if (!add) throw new Error('no Add');
    expect(add.ports(defaultParams(add.params)).map((p) => p.name)).toEqual(['in0', 'in1']);
    expect(add.ports({ num_inputs: 5 }).map((p) => p.name)).toEqual(['in0', 'in1', 'in2', 'in3', 'in4']);
    // An out-of-range value is reported as LL011 by validation; the ports stay usable meanwhile.
    expect(add.ports({ num_inputs: 99 })).toHaveLength(8);
    expect(add.ports({ num_inputs: 0 })).toHaveLength(2);
    const numInputs = add.params.find((p) => p.name === 'num_inputs');
    if (!numInputs) throw new Error('no num_inputs');
    expect(checkParamValue(numInputs, 9)).toMatch(/≤ 8/);
    expect(checkParamValue(numInputs, 1)).toMatch(/≥ 2/);
    const sub = getBlock('Subtract');
    // No num_inputs: only the trainable flag every layer has (Keras's `layer.trainable`).
    expect(sub?.params.map((p) => p.name)).toEqual(['trainable']);
    expect(sub?.ports({ num_inputs: 4 }).map((p) => p.name)).toEqual(['in0', 'in1']);
    const cat = getBlock('Concatenate');
    expect(cat?.ports({ num_inputs: 3, axis: -1 }).map((p) => p.name)).toEqual(['in0', 'in1', 'in2']);
  });

  it('a shape mismatch names both shapes, the axis and a fix', () => {
    const add = getBlock('Add');
    const message = add?.inferShape([[28, 28, 64], [14, 14, 64]], { num_inputs: 2 }).problems[0]?.message;
    expect(message).toBe(
      'Add: input 2 has shape (None, 14, 14, 64) but input 1 has (None, 28, 28, 64); sizes differ on axis 1 (28 vs 14). ' +
        'Make them match (e.g. a stride-2 Conv2D on the shortcut, or pooling of size 2 on the larger input\'s path).',
    );
    const cat = getBlock('Concatenate');
    const catMessage = cat?.inferShape([[3, 4], [5, 6]], { num_inputs: 2, axis: -1 }).problems[0]?.message ?? '';
    expect(catMessage).toContain('(None, 5, 6)');
    expect(catMessage).toContain('(None, 3, 4)');
    expect(catMessage).toContain('differ on axis 1 (3 vs 5)');
  });

  it('defaults are valid parameter values', () => {
    for (const type of ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate']) {
      const def = getBlock(type);
      expect(def, type).toBeDefined();
      for (const spec of def?.params ?? []) expect(checkParamValue(spec, spec.default), `${type}.${spec.name}`).toBeNull();
    }
  });
});

describe('merge blocks in a graph', () => {
  type Spec = [id: string, type: string, params?: Record<string, ParamValue>];
  function graph(nodes: Spec[], edges: [from: string, to: string, port?: string][]): ProjectDocument {
    let doc = emptyDocument('merges');
    nodes.forEach(([id, type, params], i) => (doc = addNode(doc, type, { x: i * 100, y: 0 }, { id, params }).doc));
    for (const [from, to, port] of edges) doc = connect(doc, from, to, port ?? 'in').doc;
    return doc;
  }

  it('a residual CNN with Add, Subtract and a 3-way Concatenate compiles to the inferred shapes and counts', () => {
    const doc = graph(
      [
        ['x', 'Input', { shape: [16, 16, 3] }],
        ['stem', 'Conv2D', { filters: 8, kernel_size: [3, 3], padding: 'same', use_bias: false }],
        ['bn', 'BatchNormalization'],
        ['conv', 'Conv2D', { filters: 8, kernel_size: [3, 3], padding: 'same' }],
        ['add', 'Add'],
        ['diff', 'Subtract'],
        ['cat', 'Concatenate', { num_inputs: 3 }],
        ['gap', 'GlobalAveragePooling2D'],
        ['out', 'Output'],
      ],
      [
        ['x', 'stem'], ['stem', 'bn'], ['bn', 'conv'],
        ['bn', 'add', 'in0'], ['conv', 'add', 'in1'],
        ['add', 'diff', 'in0'], ['conv', 'diff', 'in1'],
        ['add', 'cat', 'in0'], ['diff', 'cat', 'in1'], ['bn', 'cat', 'in2'],
        ['cat', 'gap'], ['gap', 'out'],
      ],
    );
    const analysis = analyzeGraph(doc);
    expect(analysis.diagnostics).toEqual([]);
    expect(analysis.nodes.get('cat')?.shape).toEqual([16, 16, 24]);
    // Conv 3·3·3·8 = 216, BN 16 + 16, Conv 3·3·8·8 + 8 = 584.
    expect(analysis.totals).toEqual({ trainable: 216 + 16 + 584, nonTrainable: 16 });
    const { model } = compileModel(doc, tf);
    try {
      expect(model.countParams()).toBe(216 + 32 + 584);
      expect(model.outputs[0].shape).toEqual([null, 24]);
      const x = tf.randomNormal([2, 16, 16, 3]);
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([2, 24]);
      tf.dispose([x, y]);
    } finally {
      model.dispose();
    }
  });

  it('an unconnected merge port is LL004; a bad num_inputs is LL011 and never a crash', () => {
    const open = graph([['x', 'Input', { shape: [8] }], ['add', 'Add', { num_inputs: 3 }], ['out', 'Output']], [['x', 'add', 'in0'], ['x', 'add', 'in1'], ['add', 'out']]);
    expect(analyzeGraph(open).diagnostics.map((d) => d.code)).toEqual(['LL004']);
    const bad = graph([['x', 'Input', { shape: [8] }], ['add', 'Add', { num_inputs: 12 }], ['out', 'Output']], [['x', 'add', 'in0'], ['x', 'add', 'in1'], ['add', 'out']]);
    expect(analyzeGraph(bad).diagnostics.map((d) => [d.code, d.param])).toEqual([['LL011', 'num_inputs'], ...Array.from({ length: 6 }, () => ['LL004', undefined])]);
  });
});
