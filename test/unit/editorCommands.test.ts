import { describe, expect, it } from 'vitest';
import { emptyDocument, type ProjectDocument } from '../../shared/graph/document.js';
import { addNode, connect } from '../../shared/graph/operations.js';
import { Editor } from '../../renderer/editor/editorStore.js';
import { CommandError, runEditorCommand as run } from '../../renderer/editor/commands.js';
import { quickFixesFor } from '../../shared/editing/quickFixes.js';
import { formatShape } from '../../shared/blocks/shapeUtils.js';

/** Input(28,28,1) → Flatten → Dense(64) → Dense(10, softmax) → Output. */
function mlp(): ProjectDocument {
  let doc = emptyDocument('mlp');
  const add = (id: string, type: string, x: number, params = {}) => (doc = addNode(doc, type, { x, y: 0 }, { id, params }).doc);
  add('in', 'Input', 0, { shape: [28, 28, 1] });
  add('flat', 'Flatten', 240);
  add('d1', 'Dense', 480, { units: 64, activation: 'relu' });
  add('d2', 'Dense', 720, { units: 10, activation: 'softmax' });
  add('out', 'Output', 960);
  for (const [a, b] of [['in', 'flat'], ['flat', 'd1'], ['d1', 'd2'], ['d2', 'out']]) doc = connect(doc, a, b, 'in').doc;
  return doc;
}

const shapeOf = (editor: Editor, id: string) => formatShape(editor.state.analysis.nodes.get(id)?.shape ?? null);

describe('editor commands and undo', () => {
  it('adds a block, undoes and redoes it, tracking dirty state', () => {
    const editor = new Editor(mlp(), '/tmp/mlp.layerloom');
    expect(editor.dirty).toBe(false);
    const id = run(editor, 'graph.addBlock', { type: 'Dropout', position: { x: 600, y: 200 } });
    expect(editor.doc.nodes.find((n) => n.id === id)?.label).toBe('dropout');
    expect(editor.state.selection.nodes).toEqual([id]);
    expect(editor.dirty).toBe(true);
    expect(run(editor, 'history.undo')).toBe('graph.addBlock');
    expect(editor.doc.nodes.some((n) => n.id === id)).toBe(false);
    expect(editor.dirty).toBe(false); // back to the saved document
    expect(run(editor, 'history.redo')).toBe('graph.addBlock');
    expect(editor.doc.nodes.some((n) => n.id === id)).toBe(true);
  });

  it('splices a Dropout between two blocks by connecting it, and shapes follow', () => {
    const editor = new Editor(mlp());
    const drop = run(editor, 'graph.addBlock', { type: 'Dropout', position: { x: 600, y: 200 } });
    run(editor, 'graph.connect', { source: 'd1', target: drop, targetPort: 'in' });
    run(editor, 'graph.connect', { source: drop, target: 'd2', targetPort: 'in' }); // replaces d1 → d2
    expect(editor.doc.edges.filter((e) => e.target === 'd2').map((e) => e.source)).toEqual([drop]);
    expect(shapeOf(editor, drop)).toBe('(None, 64)');
    expect(editor.state.analysis.valid).toBe(true);
    run(editor, 'history.undo');
    run(editor, 'history.undo');
    expect(editor.doc.edges.filter((e) => e.target === 'd2').map((e) => e.source)).toEqual(['d1']);
  });

  it('refuses connections that break shapes or make loops, with the reason', () => {
    const editor = new Editor(mlp());
    expect(() => run(editor, 'graph.connect', { source: 'd2', target: 'flat', targetPort: 'in' })).toThrow(/loop/);
    expect(() => run(editor, 'graph.connect', { source: 'd1', target: 'd1', targetPort: 'in' })).toThrow(CommandError);
    const reshape = run(editor, 'graph.addBlock', { type: 'Reshape', position: { x: 0, y: 300 }, params: { target_shape: [7, 7] } });
    // 784 values do not fit (7, 7): shape inference refuses it.
    expect(() => run(editor, 'graph.connect', { source: 'flat', target: reshape, targetPort: 'in' })).toThrow(/reshape 784 values/i);
    expect(editor.doc.edges.some((e) => e.target === reshape)).toBe(false);
  });

  it('merges a setParam burst with the same key into one undo step', () => {
    const editor = new Editor(mlp());
    for (const units of [1, 12, 128]) run(editor, 'graph.setParam', { nodeId: 'd1', name: 'units', value: units, coalesce: 'focus1' });
    expect(editor.state.past).toHaveLength(1);
    expect(shapeOf(editor, 'd1')).toBe('(None, 128)');
    expect(editor.state.analysis.nodes.get('d2')?.params.trainable).toBe(128 * 10 + 10);
    run(editor, 'history.undo');
    expect(editor.doc.nodes.find((n) => n.id === 'd1')?.params.units).toBe(64);
    run(editor, 'graph.setParam', { nodeId: 'd1', name: 'units', value: 32, coalesce: 'focus2' });
    run(editor, 'graph.setParam', { nodeId: 'd1', name: 'units', value: 16, coalesce: 'focus3' });
    expect(editor.state.past).toHaveLength(2);
  });

  it('records a drag as one step and keeps the analysis during it', () => {
    const editor = new Editor(mlp());
    const analysis = editor.state.analysis;
    editor.beginGesture('graph.move');
    for (let i = 1; i <= 10; i++) {
      const doc = editor.doc;
      editor.updateGesture({ ...doc, nodes: doc.nodes.map((n) => (n.id === 'd1' ? { ...n, position: { x: 480 + i * 5, y: i } } : n)) });
    }
    expect(editor.state.analysis).toBe(analysis); // positions only: no re-analysis
    editor.endGesture();
    expect(editor.state.past).toHaveLength(1);
    expect(editor.doc.nodes.find((n) => n.id === 'd1')?.position).toEqual({ x: 530, y: 10 });
    run(editor, 'history.undo');
    expect(editor.doc.nodes.find((n) => n.id === 'd1')?.position).toEqual({ x: 480, y: 0 });
  });

  it('deletes the selection with its connections, and undo restores both', () => {
    const editor = new Editor(mlp());
    run(editor, 'selection.set', { nodes: ['d1'] });
    run(editor, 'selection.delete');
    expect(editor.doc.nodes.map((n) => n.id)).not.toContain('d1');
    expect(editor.doc.edges.some((e) => e.source === 'd1' || e.target === 'd1')).toBe(false);
    expect(editor.state.analysis.diagnostics.map((d) => d.code)).toContain('LL004');
    run(editor, 'history.undo');
    expect(editor.doc.edges).toHaveLength(4);
    expect(editor.state.selection.nodes).toEqual(['d1']);
  });

  it('copies and pastes across projects with fresh ids and labels, keeping inner connections', () => {
    const a = new Editor(mlp());
    run(a, 'selection.set', { nodes: ['d1', 'd2'] });
    const text = run(a, 'clipboard.copy');
    expect(text).toBeTruthy();
    const b = new Editor(mlp());
    run(b, 'clipboard.paste', { text: text as string });
    const pasted = b.state.selection.nodes;
    expect(pasted).toHaveLength(2);
    const labels = pasted.map((id) => b.doc.nodes.find((n) => n.id === id)?.label);
    expect(labels).toEqual(['dense_2', 'dense_3']);
    expect(b.doc.edges.filter((e) => pasted.includes(e.source) && pasted.includes(e.target))).toHaveLength(1);
    expect(() => run(b, 'clipboard.paste', { text: 'not ours' })).toThrow(/no Layerloom blocks/);
    run(b, 'selection.duplicate');
    expect(b.doc.nodes).toHaveLength(9);
  });

  it('renames blocks and the project, refusing empty names', () => {
    const editor = new Editor(mlp());
    run(editor, 'graph.rename', { nodeId: 'd2', label: '  predictions ' });
    expect(editor.doc.nodes.find((n) => n.id === 'd2')?.label).toBe('predictions');
    expect(() => run(editor, 'graph.rename', { nodeId: 'd2', label: ' ' })).toThrow(/cannot be empty/);
    run(editor, 'project.rename', { name: 'Digits' });
    expect(editor.doc.name).toBe('Digits');
    expect(editor.state.past.map((e) => e.command)).toEqual(['graph.rename', 'project.rename']);
  });

  it('offers a verified "insert Flatten" quick fix and applies it as one step', () => {
    const editor = new Editor(mlp());
    run(editor, 'selection.set', { nodes: ['flat'] });
    run(editor, 'selection.delete');
    run(editor, 'graph.connect', { source: 'in', target: 'd1', targetPort: 'in' });
    const { analysis, doc } = editor.state;
    const index = analysis.diagnostics.findIndex((d) => d.code === 'LL008' && d.nodeId === 'd1');
    expect(index).toBeGreaterThanOrEqual(0);
    const fixes = quickFixesFor(doc, analysis, analysis.diagnostics[index]);
    expect(fixes.map((f) => f.id)).toContain('insert-flatten');
    const steps = editor.state.past.length;
    run(editor, 'graph.applyQuickFix', { diagnosticIndex: index, fixId: 'insert-flatten' });
    expect(editor.state.past.length).toBe(steps + 1);
    expect(editor.state.analysis.diagnostics.some((d) => d.code === 'LL008')).toBe(false);
    expect(shapeOf(editor, 'd1')).toBe('(None, 64)');
  });

  it('lays the graph out top to bottom in one undo step, with a route per wire', async () => {
    let doc = mlp();
    doc = { ...doc, nodes: doc.nodes.map((n) => ({ ...n, position: { x: 0, y: 0 } })) };
    const editor = new Editor(doc);
    await run(editor, 'graph.autoLayout');
    const ys = ['in', 'flat', 'd1', 'd2', 'out'].map((id) => editor.doc.nodes.find((n) => n.id === id)?.position.y ?? NaN);
    expect(ys).toEqual([...ys].sort((p, q) => p - q));
    expect(new Set(ys).size).toBe(5);
    expect(editor.state.past.map((e) => e.command)).toEqual(['graph.autoLayout']);
    expect(Object.keys(editor.state.routes).sort()).toEqual(editor.doc.edges.map((e) => e.id).sort());
    run(editor, 'history.undo');
    expect(editor.doc.nodes.every((n) => n.position.x === 0 && n.position.y === 0)).toBe(true);
  });

  it('never wraps a long chain into rows: one column, top to bottom', async () => {
    let doc = emptyDocument('deep');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = addNode(doc, i === 0 ? 'Input' : 'Dense', { x: (i % 4) * 300, y: 0 }, i === 0 ? { params: { shape: [8] } } : {});
      doc = r.doc;
      if (i > 0) doc = connect(doc, ids[i - 1], r.nodeId, 'in').doc;
      ids.push(r.nodeId);
    }
    const editor = new Editor(doc);
    await run(editor, 'graph.autoLayout');
    const pos = ids.map((id) => editor.doc.nodes.find((n) => n.id === id)?.position ?? { x: NaN, y: NaN });
    expect(new Set(pos.map((p) => p.x)).size).toBe(1);
    for (let i = 1; i < pos.length; i++) expect(pos[i].y).toBeGreaterThan(pos[i - 1].y);
  });

  it('lays out the document as it is when the layout finishes, not as it was when it started', async () => {
    const editor = new Editor(mlp());
    const pending = run(editor, 'graph.autoLayout');
    // An edit while ELK runs: a block added far away and wired in.
    const id = run(editor, 'graph.addBlock', { type: 'Dropout', position: { x: 9000, y: 9000 } });
    run(editor, 'graph.connect', { source: 'd2', target: id, targetPort: 'in' });
    await pending;
    const added = editor.doc.nodes.find((n) => n.id === id);
    const d2 = editor.doc.nodes.find((n) => n.id === 'd2');
    expect(added?.position.x).toBeLessThan(2000);
    expect(added?.position.y).toBeGreaterThan(d2?.position.y ?? Infinity);
    expect(editor.state.routes[editor.doc.edges.find((e) => e.target === id)?.id ?? '']).toBeDefined();
    expect(editor.state.past.map((e) => e.command)).toEqual(['graph.addBlock', 'graph.connect', 'graph.autoLayout']);
  });
});
