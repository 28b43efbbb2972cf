/**
 * The analyzer's cost figures (docs/analyzer.md): multiply-accumulates per block, by hand for each
 * formula; memory; readable numbers at any size; the size warnings and errors; duplicate names;
 * unconnected blocks named. (The same MACs are also checked against a count made from real Keras
 * models in exportKeras.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { buildSummary, renderSummary } from '../../shared/analysis/summary.js';
import { formatBytes, formatCompact, formatCount } from '../../shared/analysis/numbers.js';
import { emptyDocument, type GraphEdge, type ProjectDocument } from '../../shared/graph/document.js';
import { addNode } from '../../shared/graph/operations.js';
import { parseProject, serializeProject } from '../../shared/graph/serialization.js';
import type { ParamValue } from '../../shared/blocks/types.js';
import { DEFAULT_TRAINING } from '../../shared/training/settings.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

type Spec = { type: string; params?: Record<string, ParamValue>; label?: string };

/** A chain Input(shape) → blocks… → Output; a block with several ports takes the previous block on each. */
function chain(shape: (number | null)[], blocks: Spec[], dtype = 'float32'): ProjectDocument {
  let doc = emptyDocument('cost');
  doc = addNode(doc, 'Input', { x: 0, y: 0 }, { id: 'in', params: { shape, dtype } }).doc;
  const edges: GraphEdge[] = [];
  let prev = 'in';
  blocks.forEach((b, i) => {
    const id = `b${i}`;
    doc = addNode(doc, b.type, { x: 0, y: 0 }, { id, ...(b.params ? { params: b.params } : {}), ...(b.label ? { label: b.label } : {}) }).doc;
    const ports = b.type === 'MultiHeadAttention' ? ['query', 'value'] : ['in'];
    for (const port of ports) edges.push({ id: `e${edges.length}`, source: prev, sourcePort: 'out', target: id, targetPort: port });
    prev = id;
  });
  doc = addNode(doc, 'Output', { x: 0, y: 0 }, { id: 'out' }).doc;
  edges.push({ id: `e${edges.length}`, source: prev, sourcePort: 'out', target: 'out', targetPort: 'in' });
  return { ...doc, edges };
}

const macsOf = (doc: ProjectDocument, id: string): number | null | undefined => analyzeGraph(doc).nodes.get(id)?.cost.macs;

describe('multiply-accumulates per block (hand counts)', () => {
  const rows: [string, (number | null)[], Spec, number | null][] = [
    // out 26×26×32, 3×3×1 kernel
    ['Conv2D valid', [28, 28, 1], { type: 'Conv2D', params: { filters: 32, kernel_size: [3, 3] } }, 26 * 26 * 32 * 9],
    ['Conv2D same, strides 2', [9, 9, 4], { type: 'Conv2D', params: { filters: 8, kernel_size: [3, 3], strides: [2, 2], padding: 'same' } }, 5 * 5 * 8 * 9 * 4],
    ['Conv1D', [20, 6], { type: 'Conv1D', params: { filters: 5, kernel_size: 4 } }, 17 * 5 * 4 * 6],
    // each of the 7×7 inputs scatters 3×3×16 into 8 filters
    ['Conv2DTranspose', [7, 7, 16], { type: 'Conv2DTranspose', params: { filters: 8, kernel_size: [3, 3], strides: [2, 2] } }, 7 * 7 * 16 * 9 * 8],
    ['DepthwiseConv2D ×2', [10, 10, 3], { type: 'DepthwiseConv2D', params: { kernel_size: [3, 3], depth_multiplier: 2 } }, 8 * 8 * 3 * 2 * 9],
    ['SeparableConv2D', [10, 10, 3], { type: 'SeparableConv2D', params: { filters: 16, kernel_size: [3, 3] } }, 8 * 8 * 3 * 9 + 8 * 8 * 3 * 16],
    ['Dense on vectors', [100], { type: 'Dense', params: { units: 10 } }, 1000],
    ['Dense on a sequence', [7, 12], { type: 'Dense', params: { units: 5 } }, 7 * 12 * 5],
    ['Dense on a variable-length sequence', [null, 12], { type: 'Dense', params: { units: 5 } }, null],
    ['SimpleRNN', [9, 4], { type: 'SimpleRNN', params: { units: 6 } }, 9 * 1 * 6 * (4 + 6)],
    ['LSTM', [9, 4], { type: 'LSTM', params: { units: 6 } }, 9 * 4 * 6 * (4 + 6)],
    ['GRU bidirectional', [9, 4], { type: 'GRU', params: { units: 6, bidirectional: true } }, 2 * 9 * 3 * 6 * (4 + 6)],
    ['LSTM over a variable length', [null, 4], { type: 'LSTM', params: { units: 6 } }, null],
    // Q, K, V projections (5·8·2·4 each), output (5·2·4·8), scores and weighted sum 2·5·5·(4+4)
    ['MultiHeadAttention self', [5, 8], { type: 'MultiHeadAttention', params: { num_heads: 2, key_dim: 4 } }, 3 * 5 * 8 * 2 * 4 + 5 * 2 * 4 * 8 + 2 * 5 * 5 * 8],
    ['MaxPooling2D', [8, 8, 3], { type: 'MaxPooling2D' }, 0],
    ['BatchNormalization', [8], { type: 'BatchNormalization' }, 0],
    ['Embedding', [10], { type: 'Embedding', params: { input_dim: 50, output_dim: 4 } }, 0],
  ];
  for (const [name, shape, block, want] of rows) {
    it(name, () => {
      const doc = chain(shape, [block], block.type === 'Embedding' ? 'int32' : 'float32');
      const a = analyzeGraph(doc);
      expect(a.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(macsOf(doc, 'b0')).toBe(want);
      expect([a.cost.macs, a.cost.macsComplete]).toEqual(want === null ? [0, false] : [want, true]);
    });
  }

  it('mnist-cnn: 2,794,240 in total, as `layerloom summary` prints', () => {
    const parsed = parseProject(readFileSync(join(repo, 'examples', 'mnist-cnn.layerloom'), 'utf8'));
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    // conv 26·26·32·9 + conv 11·11·64·9·32 + conv 3·3·64·9·64 + dense 576·64 + dense 64·10
    expect(analyzeGraph(parsed.doc).cost.macs).toBe(194_688 + 2_230_272 + 331_776 + 36_864 + 640);
    const text = renderSummary(buildSummary(parsed.doc));
    expect(text.split('\n').at(-1)).toBe(' Total MACs: 2,794,240');
    expect(text).toMatch(/│\s+2,230,272 │/);
  });
});

describe('memory', () => {
  it('weights, activations per sample, and one batch for inference and training', () => {
    const doc = { ...chain([100], [{ type: 'Dense', params: { units: 10 } }]), training: null };
    const c = analyzeGraph(doc).cost;
    // 1,010 weights; activations: the input (100) and the Dense output (10), 4 bytes each.
    expect([c.weightBytes, c.activationBytes, c.batchSize]).toEqual([4040, 440, 32]);
    expect(c.inferenceBytes).toBe(4040 + 440 * 32);
    expect(c.trainingBytes).toBe(3 * (4040 + 440 * 32));
  });
});

describe('readable numbers at any size', () => {
  it('compact counts', () => {
    expect([950, 9999, 12_345, 2_794_240, 1_200_000_000_000, 586_000_074_570].map(formatCompact)).toEqual(['950', '9,999', '12.3 K', '2.79 M', '1.2 T', '586 G']);
  });
  it('never exponent notation, Infinity or NaN', () => {
    for (const n of [9.000000000001e24, 1e300, Infinity, -Infinity, NaN, 2 ** 60]) {
      for (const text of [formatCount(n), formatCompact(n), formatBytes(n)]) expect(text).not.toMatch(/e\+|Infinity|NaN/);
    }
    expect(formatCount(2 ** 60)).toBe('1,152,921,504,606,846,976');
    expect(formatCount(Infinity)).toBe('—');
  });
});

describe('size diagnostics', () => {
  it('filters 1e9: LL024 on the parameter and LL022 for the weights, with readable numbers', () => {
    const doc = chain([28, 28, 1], [{ type: 'Conv2D', params: { filters: 1e9, kernel_size: [3, 3] } }]);
    const a = analyzeGraph(doc);
    const codes = a.diagnostics.map((d) => d.code);
    expect(codes).toEqual(expect.arrayContaining(['LL024', 'LL022', 'LL023']));
    expect(a.diagnostics.find((d) => d.code === 'LL024')).toMatchObject({ nodeId: 'b0', param: 'filters' });
    expect(a.valid).toBe(true);
    for (const d of a.diagnostics) expect(d.message).not.toMatch(/e\+|Infinity|NaN/);
    expect(renderSummary(buildSummary(doc, a))).not.toMatch(/e\+|Infinity|NaN/);
  });

  it('sizes past what a number holds are an error on the block, never Infinity in totals', () => {
    // The Input's own shape is already too large to count…
    const huge = analyzeGraph(chain([1e300, 1e300, 1], [{ type: 'Flatten' }, { type: 'Dense', params: { units: 4 } }]));
    expect([huge.valid, huge.diagnostics.find((d) => d.code === 'LL025')?.nodeId]).toEqual([false, 'in']);
    // …or each size is fine and the Flatten's product is not (2^30 · 2^30 · 2^10 > 2^53).
    const doc = chain([2 ** 30, 2 ** 30, 1024], [{ type: 'Flatten' }, { type: 'Dense', params: { units: 4 } }]);
    const a = analyzeGraph(doc);
    expect(a.valid).toBe(false);
    expect(a.diagnostics.find((d) => d.code === 'LL025')?.nodeId).toBe('in');
    expect(Number.isFinite(a.totals.trainable)).toBe(true);
    expect(renderSummary(buildSummary(doc, a))).not.toMatch(/e\+|Infinity|NaN/);
  });

  it('one batch over 2 GiB: LL023 names the batch size from the project', () => {
    const doc = { ...chain([512, 512, 64], [{ type: 'Conv2D', params: { filters: 64, kernel_size: [3, 3], padding: 'same' } }]) };
    const small = analyzeGraph({ ...doc, training: null });
    expect(small.diagnostics.map((d) => d.code)).not.toContain('LL023'); // 64 MiB × 32 = 2 GiB exactly
    const big = analyzeGraph({ ...doc, training: { ...DEFAULT_TRAINING, batchSize: 64 } });
    expect(big.diagnostics.find((d) => d.code === 'LL023')?.message).toContain('batch of 64');
  });

  it('`layerloom validate --strict` fails on Input 512×512×1 → Flatten → Dense(100000), printing readable numbers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'll-cost-'));
    try {
      const file = join(dir, 'huge.layerloom');
      writeFileSync(file, serializeProject(chain([512, 512, 1], [{ type: 'Flatten' }, { type: 'Dense', params: { units: 100_000 } }])));
      const run = (args: string[]) => spawnSync(process.execPath, [join(repo, 'bin', 'layerloom.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
      const plain = run(['validate', file]);
      expect(plain.status).toBe(0);
      const strict = run(['validate', file, '--strict']);
      expect(strict.status).toBe(1);
      expect(strict.stdout).toContain('LL022');
      expect(strict.stdout).toContain('97.66 GB');
      const summary = run(['summary', file]);
      expect(summary.stdout + plain.stdout + strict.stdout).not.toMatch(/e\+|Infinity|NaN/);
      expect(summary.stdout).toContain('Total MACs: 26,214,400,000');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('names and connections', () => {
  it('two blocks whose labels give one layer name: LL026 on the second, naming what the export calls it', () => {
    const doc = chain([8], [
      { type: 'Dense', label: 'my layer #1', params: { units: 4 } },
      { type: 'Dense', label: 'My Layer 1', params: { units: 4 } },
    ]);
    const d = analyzeGraph(doc).diagnostics.filter((x) => x.code === 'LL026');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ nodeId: 'b1', severity: 'warning' });
    expect(d[0].message).toContain('my_layer_1_2');
  });

  it('an unconnected single-input block is named in its error', () => {
    let doc = emptyDocument();
    doc = addNode(doc, 'Conv2D', { x: 0, y: 0 }, { id: 'c', label: 'conv2d_1' }).doc;
    const msg = analyzeGraph(doc).diagnostics.find((d) => d.code === 'LL004')?.message;
    expect(msg).toContain('Conv2D "conv2d_1" has no input');
  });

  it('a merge names the port that is missing', () => {
    let doc = emptyDocument();
    doc = addNode(doc, 'Input', { x: 0, y: 0 }, { id: 'i', params: { shape: [4], dtype: 'float32' } }).doc;
    doc = addNode(doc, 'Add', { x: 0, y: 0 }, { id: 'a', label: 'sum' }).doc;
    doc = { ...doc, edges: [{ id: 'e', source: 'i', sourcePort: 'out', target: 'a', targetPort: 'in0' }] };
    const msgs = analyzeGraph(doc).diagnostics.filter((d) => d.code === 'LL004').map((d) => d.message);
    expect(msgs.some((m) => m.startsWith('Add "sum" has nothing connected to its'))).toBe(true);
  });
});
