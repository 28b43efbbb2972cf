/**
 * Placement (shared/editing/placement.ts) and finding blocks (blockSearch.ts, blocksAccepting):
 * headless, on the pure edits and through the editor commands that use them.
 */
import { describe, expect, it } from 'vitest';
import { emptyDocument, type ProjectDocument } from '../../shared/graph/document.js';
import { addNode, connect } from '../../shared/graph/operations.js';
import { deleteAndReconnect, freeSpot, LARGEST_BLOCK, spliceAfter, spliceIntoEdge } from '../../shared/editing/placement.js';
import { searchBlocks } from '../../shared/editing/blockSearch.js';
import { blocksAccepting } from '../../shared/editing/connectCheck.js';
import { BLOCKS } from '../../shared/blocks/registry.js';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { quickFixesFor } from '../../shared/editing/quickFixes.js';
import { Editor } from '../../renderer/editor/editorStore.js';
import { runEditorCommand as run } from '../../renderer/editor/commands.js';
import { blockSize } from '../../renderer/editor/layout.js';

/** A chain laid out top to bottom: in → d1 → d2 → out, 200 px apart. */
function chain(): ProjectDocument {
  let doc = emptyDocument('chain');
  const add = (id: string, type: string, y: number, params = {}) => (doc = addNode(doc, type, { x: 0, y }, { id, params }).doc);
  add('in', 'Input', 0, { shape: [16] });
  add('d1', 'Dense', 200, { units: 32, activation: 'relu' });
  add('d2', 'Dense', 400, { units: 10, activation: 'softmax' });
  add('out', 'Output', 600);
  for (const [a, b] of [['in', 'd1'], ['d1', 'd2'], ['d2', 'out']]) doc = connect(doc, a, b, 'in').doc;
  return doc;
}

/** Pairs of blocks whose drawn boxes overlap. */
function overlapping(doc: ProjectDocument): string[] {
  const out: string[] = [];
  for (const a of doc.nodes) {
    for (const b of doc.nodes) {
      if (a.id >= b.id) continue;
      const sa = blockSize(a);
      const sb = blockSize(b);
      if (a.position.x < b.position.x + sb.width && b.position.x < a.position.x + sa.width && a.position.y < b.position.y + sb.height && b.position.y < a.position.y + sa.height) out.push(`${a.id}/${b.id}`);
    }
  }
  return out;
}

const pos = (doc: ProjectDocument, id: string) => doc.nodes.find((n) => n.id === id)!.position;

describe('splicing a block after another (quick-add with a block selected)', () => {
  it('takes over the outgoing wire and moves everything downstream down', () => {
    const doc = chain();
    const r = spliceAfter(doc, 'd1', 'Dropout', { sizeOf: blockSize });
    const edges = r.doc.edges.map((e) => `${e.source}>${e.target}`).sort();
    expect(edges).toEqual(['d1>' + r.nodeId, 'd2>out', 'in>d1', r.nodeId + '>d2'].sort());
    expect(pos(r.doc, r.nodeId).y).toBeGreaterThan(pos(r.doc, 'd1').y);
    expect(pos(r.doc, 'd2').y).toBeGreaterThan(pos(r.doc, r.nodeId).y + blockSize({ type: 'Dropout', params: {} }).height);
    expect(pos(r.doc, 'out').y - pos(r.doc, 'd2').y).toBe(200);
    expect(pos(r.doc, 'in')).toEqual({ x: 0, y: 0 });
    expect(overlapping(r.doc)).toEqual([]);
    expect(analyzeGraph(r.doc).valid).toBe(true);
  });

  it('appends under a block that feeds nothing, in free space', () => {
    let doc = chain();
    doc = addNode(doc, 'Dense', { x: 0, y: 900 }, { id: 'lonely' }).doc;
    const r = spliceAfter(doc, 'lonely', 'Dropout', { sizeOf: blockSize });
    expect(r.doc.edges.some((e) => e.source === 'lonely' && e.target === r.nodeId)).toBe(true);
    expect(overlapping(r.doc)).toEqual([]);
  });

  it('is one undo step through graph.addBlock', () => {
    const editor = new Editor(chain());
    const id = run(editor, 'graph.addBlock', { type: 'Dropout', position: { x: 0, y: 0 }, connectFrom: 'd1', splice: true });
    expect(editor.doc.edges.some((e) => e.source === id && e.target === 'd2')).toBe(true);
    expect(editor.state.past.length).toBe(1);
    run(editor, 'history.undo');
    expect(editor.doc).toEqual(chain());
  });
});

describe('splicing into a wire (a drop, a quick fix)', () => {
  it('puts the block at the drop point and makes room below it', () => {
    const doc = chain();
    const edge = doc.edges.find((e) => e.source === 'd1')!;
    const r = spliceIntoEdge(doc, edge.id, 'Dropout', { position: { x: 0, y: 380 }, sizeOf: blockSize });
    expect(pos(r.doc, r.nodeId)).toEqual({ x: 0, y: 380 });
    expect(overlapping(r.doc)).toEqual([]);
    expect(r.doc.edges.some((e) => e.source === r.nodeId && e.target === 'd2')).toBe(true);
  });

  it('never lands the inserted Flatten of a quick fix on another block', () => {
    let doc = emptyDocument('q');
    doc = addNode(doc, 'Input', { x: 0, y: 0 }, { id: 'in', params: { shape: [28, 28, 1] } }).doc;
    doc = addNode(doc, 'Dense', { x: 0, y: 160 }, { id: 'd', params: { units: 10 } }).doc;
    doc = addNode(doc, 'Output', { x: 0, y: 320 }, { id: 'out' }).doc;
    // A block sitting exactly where "halfway" used to put the Flatten.
    doc = addNode(doc, 'Dropout', { x: 0, y: 80 }, { id: 'other' }).doc;
    doc = connect(connect(doc, 'in', 'd', 'in').doc, 'd', 'out', 'in').doc;
    const analysis = analyzeGraph(doc);
    const d = analysis.diagnostics.find((x) => x.code === 'LL008')!;
    const fix = quickFixesFor(doc, analysis, d).find((f) => f.id === 'insert-flatten')!;
    expect(fix).toBeDefined();
    const flatten = fix.doc.nodes.find((n) => n.type === 'Flatten')!;
    const others = fix.doc.nodes.filter((n) => n.id !== flatten.id);
    for (const o of others) {
      const so = LARGEST_BLOCK;
      const sf = LARGEST_BLOCK;
      const hit = flatten.position.x < o.position.x + so.width && o.position.x < flatten.position.x + sf.width && flatten.position.y < o.position.y + so.height && o.position.y < flatten.position.y + sf.height;
      expect(hit, `Flatten on ${o.id}`).toBe(false);
    }
  });
});

describe('free space for paste and duplicate', () => {
  it('returns the wanted spot when it is free, else the nearest free one', () => {
    const doc = chain();
    expect(freeSpot(doc, { x: 600, y: 0 }, [{ x: 0, y: 0, ...LARGEST_BLOCK }])).toEqual({ x: 600, y: 0 });
    const spot = freeSpot(doc, { x: 10, y: 210 }, [{ x: 0, y: 0, ...LARGEST_BLOCK }]);
    expect(spot).not.toEqual({ x: 10, y: 210 });
  });

  it('pastes a copy without overlapping the originals or anything else', () => {
    const editor = new Editor(chain());
    run(editor, 'selection.set', { nodes: ['d1', 'd2'] });
    const text = run(editor, 'clipboard.copy')!;
    run(editor, 'clipboard.paste', { text });
    run(editor, 'clipboard.paste', { text });
    run(editor, 'selection.duplicate');
    expect(editor.doc.nodes.length).toBe(10);
    expect(overlapping(editor.doc)).toEqual([]);
  });

  it('adds a dropped block beside, not onto, the block it was dropped on', () => {
    const editor = new Editor(chain());
    const id = run(editor, 'graph.addBlock', { type: 'Dense', position: { x: 20, y: 210 } });
    expect(pos(editor.doc, id)).not.toEqual({ x: 20, y: 210 });
    expect(overlapping(editor.doc)).toEqual([]);
  });
});

describe('deleting a block in the middle', () => {
  it('reconnects its neighbours, as one undo step', () => {
    const editor = new Editor(chain());
    run(editor, 'selection.set', { nodes: ['d1'] });
    run(editor, 'selection.deleteReconnect');
    expect(editor.doc.nodes.some((n) => n.id === 'd1')).toBe(false);
    expect(editor.doc.edges.some((e) => e.source === 'in' && e.target === 'd2')).toBe(true);
    expect(editor.state.analysis.valid).toBe(true);
    run(editor, 'history.undo');
    expect(editor.doc).toEqual(chain());
  });

  it('refuses a block with no neighbour on one side, saying why', () => {
    expect(() => deleteAndReconnect(chain(), 'in')).toThrow(/not between two blocks/);
  });
});

describe('palette search', () => {
  const first = (q: string) => searchBlocks(q)[0]?.type;
  it.each([
    // A block of that exact name wins; the Activation block follows (see below).
    ['relu', 'ReLU'],
    ['softmax', 'Softmax'],
    ['bn', 'BatchNormalization'],
    ['resize', 'UpSampling2D'],
    ['transformer', 'MultiHeadAttention'],
    ['dense', 'Dense'],
    ['conv2d', 'Conv2D'],
    ['maxpool2', 'MaxPooling2D'],
    ['lstm', 'LSTM'],
    ['batchnrm', 'BatchNormalization'],
  ])('"%s" finds %s first', (q, type) => {
    expect(first(q)).toBe(type);
  });

  it('offers the Activation block right after ReLU and Softmax for "relu" and "softmax"', () => {
    expect(searchBlocks('relu').slice(0, 3).map((r) => r.type)).toContain('Activation');
    expect(searchBlocks('softmax').slice(0, 3).map((r) => r.type)).toContain('Activation');
  });

  it('finds nothing for nonsense', () => {
    expect(searchBlocks('zzqx')).toEqual([]);
  });
});

describe('blocks that accept a shape', () => {
  const types = (shape: (number | null)[], dtype: 'float32' | 'int32' = 'float32') => blocksAccepting(shape, dtype, BLOCKS).map((b) => b.type);
  it('offers image blocks for an image and sequence blocks for a sequence', () => {
    const image = types([26, 26, 32]);
    expect(image).toContain('Conv2D');
    expect(image).toContain('MaxPooling2D');
    expect(image).toContain('Flatten');
    expect(image).not.toContain('LSTM');
    expect(image).not.toContain('Input');
    const seq = types([100, 64]);
    expect(seq).toContain('LSTM');
    expect(seq).not.toContain('Conv2D');
    const flat = types([64]);
    expect(flat).toContain('Dense');
    expect(flat).not.toContain('MaxPooling2D');
  });
});
