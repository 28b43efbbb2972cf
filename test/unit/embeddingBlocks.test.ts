import { describe, expect, it } from 'vitest';
import { runBlockCases } from '../helpers/blockTest.js';
import { getBlock } from '../../shared/blocks/registry.js';
import { checkParamValue } from '../../shared/blocks/paramUtils.js';
import type { ParamValue } from '../../shared/blocks/types.js';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { emptyDocument, type ProjectDocument } from '../../shared/graph/document.js';
import { addNode, connect } from '../../shared/graph/operations.js';
import { chain } from '../helpers/chainDoc.js';
import { checkLoss } from '../../shared/training/lossCheck.js';
import { planModel } from '../../shared/codegen/plan.js';
import { planTraining } from '../../shared/codegen/training.js';

// Expected shapes and counts measured with Keras 3.15 (keras.layers.Embedding); PositionEmbedding
// follows keras_hub.layers.PositionEmbedding: a (sequence_length, features) table.
describe('embedding blocks (Keras 3 semantics)', () => {
  runBlockCases([
    { block: 'Embedding', params: { input_dim: 10000, output_dim: 64 }, inputs: [[100]], shape: [100, 64], count: 640_000, dtype: 'int32' },
    { name: 'Embedding keeps a variable length variable', block: 'Embedding', params: { input_dim: 1000, output_dim: 32 }, inputs: [[null]], shape: [null, 32], count: 32_000, dtype: 'int32' },
    { name: 'Embedding appends one axis to any input shape', block: 'Embedding', params: { input_dim: 50, output_dim: 8 }, inputs: [[4, 6]], shape: [4, 6, 8], count: 400, dtype: 'int32' },
    { block: 'Embedding', params: { input_dim: 20, output_dim: 3, embeddings_initializer: 'normal' }, inputs: [[1]], shape: [1, 3], count: 60, dtype: 'int32' },
    { name: 'Embedding needs its input', block: 'Embedding', inputs: [null], shape: null, codes: ['LL004'] },
    { name: 'Embedding mask_zero (the mask survives the saved topology)', block: 'Embedding', params: { input_dim: 5, output_dim: 2, mask_zero: true }, inputs: [[6]], shape: [6, 2], count: 10, dtype: 'int32' },
    { block: 'PositionEmbedding', params: { sequence_length: 64 }, inputs: [[64, 32]], shape: [64, 32], count: 2048 },
    { name: 'PositionEmbedding accepts shorter inputs', block: 'PositionEmbedding', params: { sequence_length: 100 }, inputs: [[20, 8]], shape: [20, 8], count: 800 },
    { name: 'PositionEmbedding on a variable length', block: 'PositionEmbedding', params: { sequence_length: 128 }, inputs: [[null, 16]], shape: [null, 16], count: 2048 },
    { name: 'PositionEmbedding input longer than the table', block: 'PositionEmbedding', params: { sequence_length: 10 }, inputs: [[20, 8]], shape: null, codes: ['LL011'] },
    { name: 'PositionEmbedding needs a sequence of vectors', block: 'PositionEmbedding', inputs: [[32]], shape: null, codes: ['LL007'] },
    { name: 'PositionEmbedding needs a fixed width', block: 'PositionEmbedding', inputs: [[10, null]], shape: null, codes: ['LL018'] },
  ]);

  it('defaults are valid parameter values', () => {
    for (const type of ['Embedding', 'PositionEmbedding']) {
      const def = getBlock(type);
      expect(def, type).toBeDefined();
      for (const spec of def?.params ?? []) expect([type, spec.name, checkParamValue(spec, spec.default)]).toEqual([type, spec.name, null]);
    }
  });
});

type Chain = readonly (readonly [string, Readonly<Record<string, ParamValue>>?])[];

/** A chain Input(8 ids) → Embedding(mask_zero) → blocks → Output, and the mask codes analysis gives. */
function maskCodes(chain: Chain, maskZero = true): string[] {
  const input = addNode(emptyDocument('mask'), 'Input', { x: 0, y: 0 }, { params: { shape: [8], dtype: 'int32' } });
  const emb = addNode(input.doc, 'Embedding', { x: 1, y: 0 }, { label: 'emb', params: { input_dim: 5, output_dim: 4, mask_zero: maskZero } });
  return chainCodes(connect(emb.doc, input.nodeId, emb.nodeId, 'in').doc, emb.nodeId, chain);
}

/** A chain Input(8 steps of 4 features) → blocks → Output, and the mask codes analysis gives. */
function vectorMaskCodes(chain: Chain): string[] {
  const input = addNode(emptyDocument('mask'), 'Input', { x: 0, y: 0 }, { params: { shape: [8, 4] } });
  return chainCodes(input.doc, input.nodeId, chain);
}

/** Appends `chain` and an Output after node `start`, and returns the mask codes of the analysis (code and block type). */
function chainCodes(start: ProjectDocument, startId: string, chain: Chain): string[] {
  let doc = start;
  let last = startId;
  chain.forEach(([type, params], i) => {
    const added = addNode(doc, type, { x: i + 2, y: 0 }, { params: params ?? {} });
    doc = added.doc;
    const def = getBlock(type);
    const node = doc.nodes.find((n) => n.id === added.nodeId);
    for (const port of def && node ? def.ports(node.params) : []) if (!port.optional) doc = connect(doc, last, added.nodeId, port.name).doc;
    last = added.nodeId;
  });
  const out = addNode(doc, 'Output', { x: 99, y: 0 });
  doc = connect(out.doc, last, out.nodeId, 'in').doc;
  return analyzeGraph(doc)
    .diagnostics.filter((d) => d.code === 'LL030' || d.code === 'LL031')
    .map((d) => `${d.code} ${doc.nodes.find((n) => n.id === d.nodeId)?.type ?? ''}`);
}

// Which blocks pass, use, drop or cannot take a padding mask: Keras 3.15's behaviour, measured
// (a dropping layer is one Keras warns "does not support masking" for).
describe('padding masks (Embedding mask_zero) through the graph', () => {
  const rows: { chain: (readonly [string, Readonly<Record<string, ParamValue>>?])[]; codes: string[] }[] = [
    { chain: [['LSTM']], codes: [] },
    { chain: [['Dense', { units: 3 }], ['ReLU'], ['Dropout'], ['LayerNormalization'], ['GRU', { return_sequences: true }], ['GlobalAveragePooling1D'], ['Dense', { units: 2 }]], codes: [] },
    // The mask ends in the recurrent layer (no sequences) or the average: nothing after sees it.
    { chain: [['SimpleRNN'], ['LeakyReLU']], codes: [] },
    { chain: [['GlobalAveragePooling1D'], ['Dense', { units: 2 }]], codes: [] },
    { chain: [['Flatten'], ['Dense', { units: 2 }]], codes: ['LL030 Flatten'] },
    { chain: [['GlobalMaxPooling1D']], codes: ['LL030 GlobalMaxPooling1D'] },
    { chain: [['Dense', { units: 4 }], ['Add']], codes: ['LL031 Add'] },
    // Self-attention on the masked sequence: padded keys get no weight; the mask goes on.
    { chain: [['MultiHeadAttention', { num_heads: 2, key_dim: 2 }], ['LSTM']], codes: [] },
    { chain: [['Softmax']], codes: ['LL031 Softmax'] },
    { chain: [['LeakyReLU'], ['LSTM']], codes: ['LL031 LeakyReLU', 'LL031 LSTM'] },
    { chain: [['LSTM', { bidirectional: true, return_sequences: true }], ['LSTM']], codes: ['LL031 LSTM', 'LL031 LSTM'] },
    { chain: [['LSTM', { bidirectional: true }]], codes: [] },
    // tfjs's executor hands the last mask it saw to later mask-reading layers that Keras gives none.
    { chain: [['Conv1D', { filters: 2, kernel_size: 3 }], ['LSTM']], codes: ['LL030 Conv1D', 'LL031 LSTM'] },
    { chain: [['Flatten'], ['Reshape', { target_shape: [-1, 4] }], ['GlobalAveragePooling1D']], codes: ['LL030 Flatten', 'LL031 GlobalAveragePooling1D'] },
    // tfjs's Softmax reads that mask too (random_39 of the import tests: Embedding → MaxPooling1D →
    // Concatenate → ReLU → Softmax failed to predict, mask (2, 7) against features (2, 2, 448)).
    { chain: [['GlobalAveragePooling1D'], ['Softmax']], codes: ['LL031 Softmax'] },
    { chain: [['MaxPooling1D'], ['ReLU'], ['Softmax']], codes: ['LL030 MaxPooling1D', 'LL031 Softmax'] },
  ];
  for (const { chain, codes } of rows) {
    it(`Embedding(mask_zero) → ${chain.map(([t, p]) => `${t}${p ? JSON.stringify(p) : ''}`).join(' → ')}: ${codes.join(', ') || 'no mask diagnostics'}`, () => {
      expect(maskCodes(chain)).toEqual(codes);
    });
  }
  it('without mask_zero nothing is said', () => {
    expect(maskCodes([['Flatten'], ['Dense', { units: 2 }]], false)).toEqual([]);
    expect(maskCodes([['Softmax']], false)).toEqual([]);
  });
});

// The Masking block starts a mask as Embedding's mask_zero does (Keras 3.15: the same layers pass,
// use, drop or refuse it), and replaces any mask it gets.
describe('padding masks (Masking) through the graph', () => {
  const rows: { chain: Chain; codes: string[] }[] = [
    { chain: [['Masking'], ['LSTM']], codes: [] },
    { chain: [['Masking', { mask_value: -1 }], ['Dense', { units: 3 }], ['GRU', { return_sequences: true }], ['GlobalAveragePooling1D']], codes: [] },
    { chain: [['Masking'], ['Flatten'], ['Dense', { units: 2 }]], codes: ['LL030 Flatten'] },
    { chain: [['Masking'], ['Softmax']], codes: ['LL031 Softmax'] },
    { chain: [['Masking'], ['Conv1D', { filters: 2, kernel_size: 3 }], ['LSTM']], codes: ['LL030 Conv1D', 'LL031 LSTM'] },
    // A Masking after a block that dropped the mask starts a new one: the LSTM gets it.
    { chain: [['Masking'], ['Conv1D', { filters: 2, kernel_size: 3 }], ['Masking'], ['LSTM']], codes: ['LL030 Conv1D'] },
    { chain: [['Masking'], ['MultiHeadAttention', { num_heads: 2, key_dim: 2, use_causal_mask: true }], ['GlobalAveragePooling1D']], codes: [] },
  ];
  for (const { chain, codes } of rows) {
    it(`${chain.map(([t, p]) => `${t}${p ? JSON.stringify(p) : ''}`).join(' → ')}: ${codes.join(', ') || 'no mask diagnostics'}`, () => {
      expect(vectorMaskCodes(chain)).toEqual(codes);
    });
  }
  it('attention takes a mask only in self-attention on one masked sequence (LL031)', () => {
    const attention = (query: 'masked' | 'plain', shape: number[]): string[] => {
      const input = addNode(emptyDocument('mask'), 'Input', { x: 0, y: 0 }, { params: { shape } });
      const m = addNode(input.doc, 'Masking', { x: 1, y: 0 }, { label: 'pad' });
      const mha = addNode(m.doc, 'MultiHeadAttention', { x: 2, y: 0 }, { params: { num_heads: 1, key_dim: 2 } });
      let doc = connect(mha.doc, input.nodeId, m.nodeId, 'in').doc;
      doc = connect(connect(doc, query === 'masked' ? m.nodeId : input.nodeId, mha.nodeId, 'query').doc, m.nodeId, mha.nodeId, 'value').doc;
      const out = addNode(doc, 'Output', { x: 3, y: 0 });
      doc = connect(out.doc, mha.nodeId, out.nodeId, 'in').doc;
      return analyzeGraph(doc)
        .diagnostics.filter((d) => d.code === 'LL031')
        .map((d) => d.message);
    };
    expect(attention('masked', [8, 4])).toEqual([]);
    expect(attention('plain', [8, 4])).toEqual([expect.stringMatching(/only in self-attention, with query, value and key all from that one block/)]);
    expect(attention('masked', [3, 8, 4])).toEqual([expect.stringMatching(/only on sequences \(batch, steps, features\), not on rank-4\/5 inputs/)]);
  });

  it('names the Masking block and the way out', () => {
    const input = addNode(emptyDocument('mask'), 'Input', { x: 0, y: 0 }, { params: { shape: [8, 4] } });
    const m = addNode(input.doc, 'Masking', { x: 1, y: 0 }, { label: 'pad', params: { mask_value: 0.5 } });
    const s = addNode(m.doc, 'Softmax', { x: 2, y: 0 });
    let doc = connect(connect(s.doc, input.nodeId, m.nodeId, 'in').doc, m.nodeId, s.nodeId, 'in').doc;
    const out = addNode(doc, 'Output', { x: 3, y: 0 });
    doc = connect(out.doc, s.nodeId, out.nodeId, 'in').doc;
    const msg = analyzeGraph(doc).diagnostics.find((d) => d.code === 'LL031')?.message ?? '';
    expect(msg).toMatch(/padding mask of Masking "pad" \(mask_value 0\.5\).*or remove the Masking block\./);
  });
});

// In the app's tfjs model, trailing padding must leave a recurrent layer's last output as the
// unpadded sequence's (Keras's masked steps carry the state over), through every block that passes
// the mask on — Layerloom's own layers included (LayerNormalization without center, ReLU with a cap).
describe('padding masks in the app’s tfjs model', () => {
  it('trailing padding leaves the LSTM output as without it, through passing blocks', async () => {
    const tf = await import('@tensorflow/tfjs');
    const { compileModel } = await import('../../shared/compile/compile.js');
    const doc = chain('mask', [
      ['ids', 'Input', { shape: [null], dtype: 'int32' }],
      ['embedding', 'Embedding', { input_dim: 5, output_dim: 4, mask_zero: true }],
      ['norm', 'LayerNormalization', { center: false }],
      ['relu', 'ReLU', { max_value: 0.5 }],
      ['dense', 'Dense', { units: 3 }],
      ['lstm', 'LSTM', { units: 2 }],
      ['out', 'Output'],
    ]);
    expect(analyzeGraph(doc).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const model = compileModel(doc, tf, { seed: 3 }).model;
    const short = model.predict(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32')) as import('@tensorflow/tfjs').Tensor;
    const padded = model.predict(tf.tensor2d([[1, 2, 3, 0, 0]], [1, 5], 'int32')) as import('@tensorflow/tfjs').Tensor;
    const [a, b] = [Array.from(short.dataSync()), Array.from(padded.dataSync())];
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 6);
    model.dispose();
  });

  // TensorFlow lets no gradient into a computed mask; tfjs has no gradient for the mask's ops (Any,
  // NotEqual), so weights before a Masking block failed to train ("gradient function not found for Any").
  it('weights before a Masking block train, as in Keras (no gradient flows into the mask)', async () => {
    const tf = await import('@tensorflow/tfjs');
    const { compileModel } = await import('../../shared/compile/compile.js');
    const doc = chain('masking', [
      ['x', 'Input', { shape: [4, 3] }],
      ['dense', 'Dense', { units: 3, activation: 'relu' }],
      ['masking', 'Masking', { mask_value: 0 }],
      ['lstm', 'LSTM', { units: 2 }],
      ['out', 'Output'],
    ]);
    expect(analyzeGraph(doc).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const model = compileModel(doc, tf, { seed: 3 }).model;
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const dense = model.layers[1];
    const before = Array.from(dense.getWeights()[0].dataSync());
    const x = tf.randomNormal([6, 4, 3], 0, 1, 'float32', 1);
    const loss = (await model.trainOnBatch(x, tf.ones([6, 2]))) as number;
    expect(Number.isFinite(loss)).toBe(true);
    const after = Array.from(dense.getWeights()[0].dataSync());
    expect(after.some((w, i) => w !== before[i]), 'the Dense kernel before the Masking block moved').toBe(true);
    model.dispose();
  });
});

// Keras scores a masked output on its real steps only (3.15: the loss is the mean over the unmasked
// steps, accuracy counts them alone). A masked output keeps its steps axis, and the app's trainers and
// the exported training scripts score one label per sample: they refuse it, naming why, rather than
// train a model that differs from Keras's.
describe('a masked (per-step) output is not trained on per-sample labels', () => {
  const tagger = (): ProjectDocument => {
    let doc = emptyDocument('tagger');
    const chain: [string, Readonly<Record<string, ParamValue>>][] = [
      ['Input', { shape: [8], dtype: 'int32' }],
      ['Embedding', { input_dim: 5, output_dim: 4, mask_zero: true }],
      ['LSTM', { units: 3, return_sequences: true }],
      ['Dense', { units: 3, activation: 'softmax' }],
      ['Output', {}],
    ];
    let last: string | null = null;
    chain.forEach(([type, params], i) => {
      const added = addNode(doc, type, { x: i, y: 0 }, { label: type === 'Output' ? 'tags' : undefined, params });
      doc = last ? connect(added.doc, last, added.nodeId, 'in').doc : added.doc;
      last = added.nodeId;
    });
    return doc;
  };

  it('the trainers (LL014)', () => {
    const codes = checkLoss(tagger(), 'auto', { task: 'classification', numClasses: 3 }).map((d) => `${d.code} ${d.severity}`);
    expect(codes).toEqual(['LL014 error']);
  });

  it('the exported train.py / train.ts', () => {
    const doc = tagger();
    const t = planTraining(doc, planModel(doc));
    expect(t.dataKind).toBeNull();
    expect(t.dataProblem).toMatch(/one label per sample, but the output "tags" has shape \[8,3\] per sample.*Write a loader that yields targets of that shape/);
  });
});
