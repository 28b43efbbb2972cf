/**
 * The example projects in examples/, from a compact description, so they stay consistent (ids,
 * labels, layout) and can be regenerated after a format change: `npm run gen` (scripts/gen.ts)
 * writes them.
 */
import { emptyDocument, type ProjectDocument } from '../shared/graph/document.js';
import { addNode, connect, moveNodes, setDataset, setTraining } from '../shared/graph/operations.js';
import { layoutDocument } from '../renderer/editor/layout.js';
import { serializeProject } from '../shared/graph/serialization.js';
import { analyzeGraph } from '../shared/analysis/analyze.js';
import { DEFAULT_TRAINING, type DatasetRef } from '../shared/training/settings.js';
import type { ParamValue } from '../shared/blocks/types.js';

type Spec = { id: string; type: string; params?: Record<string, ParamValue>; from?: string[]; label?: string };

function build(name: string, specs: Spec[], dataset: DatasetRef | null, epochs = 5): ProjectDocument {
  // A rough first placement (column = longest path from an input); exampleFiles lays it out.
  const depth = new Map<string, number>();
  for (const s of specs) depth.set(s.id, s.from?.length ? Math.max(...s.from.map((f) => depth.get(f) ?? 0)) + 1 : 0);
  const rows = new Map<number, number>();
  let doc = emptyDocument(name);
  for (const s of specs) {
    const col = depth.get(s.id) ?? 0;
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    doc = addNode(doc, s.type, { x: col * 240, y: row * 160 }, { id: s.id, params: s.params, label: s.label }).doc;
  }
  for (const s of specs) {
    const ports = doc.nodes.find((n) => n.id === s.id);
    (s.from ?? []).forEach((f, i) => {
      const port = s.type === 'MultiHeadAttention' ? ['query', 'value', 'key'][i] : s.from.length > 1 ? `in${i}` : 'in';
      doc = connect(doc, f, s.id, port).doc;
    });
    void ports;
  }
  doc = setDataset(doc, dataset);
  doc = setTraining(doc, { ...DEFAULT_TRAINING, epochs });
  const analysis = analyzeGraph(doc);
  if (!analysis.valid) throw new Error(`${name}: ${analysis.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n')}`);
  return doc;
}

function chain(specs: Omit<Spec, 'from'>[]): Spec[] {
  return specs.map((s, i) => (i === 0 ? s : { ...s, from: [specs[i - 1].id] }));
}

const examples: Record<string, () => ProjectDocument> = {
  'mnist-cnn': () => build(
    'MNIST CNN',
    chain([
      { id: 'input', type: 'Input', params: { shape: [28, 28, 1] } },
      { id: 'conv1', type: 'Conv2D', params: { filters: 32, kernel_size: [3, 3], activation: 'relu' } },
      { id: 'pool1', type: 'MaxPooling2D', params: { pool_size: [2, 2] } },
      { id: 'conv2', type: 'Conv2D', params: { filters: 64, kernel_size: [3, 3], activation: 'relu' } },
      { id: 'pool2', type: 'MaxPooling2D', params: { pool_size: [2, 2] } },
      { id: 'conv3', type: 'Conv2D', params: { filters: 64, kernel_size: [3, 3], activation: 'relu' } },
      { id: 'flatten', type: 'Flatten' },
      { id: 'dense1', type: 'Dense', params: { units: 64, activation: 'relu' } },
      { id: 'dense2', type: 'Dense', params: { units: 10, activation: 'softmax' }, label: 'predictions' },
      { id: 'output', type: 'Output', label: 'digit' },
    ]),
    { path: '../assets/datasets/digits', kind: 'images' },
  ),
  'text-lstm': () => build(
    'Text LSTM classifier',
    chain([
      { id: 'input', type: 'Input', params: { shape: [100], dtype: 'int32' }, label: 'tokens' },
      { id: 'embedding', type: 'Embedding', params: { input_dim: 10000, output_dim: 64 } },
      { id: 'lstm1', type: 'LSTM', params: { units: 64, return_sequences: true } },
      { id: 'lstm2', type: 'LSTM', params: { units: 64 } },
      { id: 'dense1', type: 'Dense', params: { units: 64, activation: 'relu' } },
      { id: 'dense2', type: 'Dense', params: { units: 10, activation: 'softmax' }, label: 'predictions' },
      { id: 'output', type: 'Output', label: 'label' },
    ]),
    null,
  ),
  'transformer-classifier': () => build(
    'Transformer text classifier',
    [
      { id: 'input', type: 'Input', params: { shape: [64], dtype: 'int32' }, label: 'tokens' },
      { id: 'tok', type: 'Embedding', params: { input_dim: 5000, output_dim: 32 }, from: ['input'], label: 'token_embedding' },
      { id: 'pos', type: 'PositionEmbedding', params: { sequence_length: 64 }, from: ['tok'], label: 'position_embedding' },
      { id: 'embed', type: 'Add', from: ['tok', 'pos'], label: 'embeddings' },
      { id: 'mha', type: 'MultiHeadAttention', params: { num_heads: 2, key_dim: 16 }, from: ['embed', 'embed'], label: 'self_attention' },
      { id: 'res1', type: 'Add', from: ['embed', 'mha'], label: 'residual_1' },
      { id: 'norm1', type: 'LayerNormalization', from: ['res1'], label: 'norm_1' },
      { id: 'ff1', type: 'Dense', params: { units: 64, activation: 'relu' }, from: ['norm1'], label: 'feed_forward_1' },
      { id: 'ff2', type: 'Dense', params: { units: 32 }, from: ['ff1'], label: 'feed_forward_2' },
      { id: 'res2', type: 'Add', from: ['norm1', 'ff2'], label: 'residual_2' },
      { id: 'norm2', type: 'LayerNormalization', from: ['res2'], label: 'norm_2' },
      { id: 'gap', type: 'GlobalAveragePooling1D', from: ['norm2'], label: 'pool' },
      { id: 'drop', type: 'Dropout', params: { rate: 0.1 }, from: ['gap'] },
      { id: 'head', type: 'Dense', params: { units: 2, activation: 'softmax' }, from: ['drop'], label: 'predictions' },
      { id: 'output', type: 'Output', from: ['head'], label: 'label' },
    ],
    null,
  ),
  'resnet-mini': () => build(
    'Mini ResNet',
    [
      { id: 'input', type: 'Input', params: { shape: [28, 28, 1] }, label: 'image' },
      { id: 'stem', type: 'Conv2D', params: { filters: 16, kernel_size: [3, 3], padding: 'same', use_bias: false }, from: ['input'] },
      { id: 'stem_bn', type: 'BatchNormalization', from: ['stem'] },
      { id: 'stem_relu', type: 'Activation', params: { activation: 'relu' }, from: ['stem_bn'] },
      { id: 'b1_conv1', type: 'Conv2D', params: { filters: 16, kernel_size: [3, 3], padding: 'same', use_bias: false }, from: ['stem_relu'] },
      { id: 'b1_bn1', type: 'BatchNormalization', from: ['b1_conv1'] },
      { id: 'b1_relu1', type: 'Activation', params: { activation: 'relu' }, from: ['b1_bn1'] },
      { id: 'b1_conv2', type: 'Conv2D', params: { filters: 16, kernel_size: [3, 3], padding: 'same', use_bias: false }, from: ['b1_relu1'] },
      { id: 'b1_bn2', type: 'BatchNormalization', from: ['b1_conv2'] },
      { id: 'b1_add', type: 'Add', from: ['stem_relu', 'b1_bn2'], label: 'block1_add' },
      { id: 'b1_out', type: 'Activation', params: { activation: 'relu' }, from: ['b1_add'], label: 'block1_out' },
      { id: 'down', type: 'Conv2D', params: { filters: 32, kernel_size: [3, 3], strides: [2, 2], padding: 'same', use_bias: false }, from: ['b1_out'] },
      { id: 'down_bn', type: 'BatchNormalization', from: ['down'] },
      { id: 'down_relu', type: 'Activation', params: { activation: 'relu' }, from: ['down_bn'] },
      { id: 'b2_conv', type: 'Conv2D', params: { filters: 32, kernel_size: [3, 3], padding: 'same', use_bias: false }, from: ['down_relu'] },
      { id: 'b2_bn', type: 'BatchNormalization', from: ['b2_conv'] },
      { id: 'b2_add', type: 'Add', from: ['down_relu', 'b2_bn'], label: 'block2_add' },
      { id: 'b2_out', type: 'Activation', params: { activation: 'relu' }, from: ['b2_add'], label: 'block2_out' },
      { id: 'gap', type: 'GlobalAveragePooling2D', from: ['b2_out'] },
      { id: 'head', type: 'Dense', params: { units: 10, activation: 'softmax' }, from: ['gap'], label: 'predictions' },
      { id: 'output', type: 'Output', from: ['head'], label: 'digit' },
    ],
    { path: '../assets/datasets/digits', kind: 'images' },
  ),
  mlp: () => build(
    'Tabular MLP',
    chain([
      { id: 'input', type: 'Input', params: { shape: [4] }, label: 'features' },
      { id: 'dense1', type: 'Dense', params: { units: 32, activation: 'relu' } },
      { id: 'dropout', type: 'Dropout', params: { rate: 0.2 } },
      { id: 'dense2', type: 'Dense', params: { units: 16, activation: 'relu' } },
      { id: 'dense3', type: 'Dense', params: { units: 3, activation: 'softmax' }, label: 'predictions' },
      { id: 'output', type: 'Output', label: 'species' },
    ]),
    { path: '../assets/datasets/iris.csv', kind: 'csv', targetColumn: 'species' },
    30,
  ),
};

/** Every example project: its path in the repository and its text. */
export async function exampleFiles(): Promise<{ path: string; content: string }[]> {
  const out: { path: string; content: string }[] = [];
  for (const [file, make] of Object.entries(examples)) {
    // The same layered layout the editor's "Auto-layout" gives, so files open readable as they are.
    const built = make();
    const doc = moveNodes(built, (await layoutDocument(built)).positions);
    out.push({ path: `examples/${file}.layerloom`, content: serializeProject(doc) });
  }
  return out;
}
