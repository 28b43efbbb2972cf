import { describe, expect, it } from 'vitest';
import { emptyDocument } from '../../shared/graph/document.js';
import {
  addNode,
  connect,
  disconnect,
  EditError,
  moveNodes,
  removeNodes,
  renameNode,
  setParam,
  snakeCase,
} from '../../shared/graph/operations.js';

describe('graph operations', () => {
  it('adds blocks with defaults and Keras-style unique labels', () => {
    let doc = emptyDocument();
    const a = addNode(doc, 'Dense', { x: 0, y: 0 });
    doc = a.doc;
    const b = addNode(doc, 'Dense', { x: 10, y: 0 }, { params: { units: 3 } });
    expect(b.doc.nodes.map((n) => n.label)).toEqual(['dense', 'dense_1']);
    expect(b.doc.nodes[1].params.units).toBe(3);
    expect(b.doc.nodes[1].params.activation).toBe('linear');
    expect(doc.nodes).toHaveLength(1); // the input document is untouched
  });

  it('names types the way Keras does', () => {
    expect(snakeCase('Conv2D')).toBe('conv2d');
    expect(snakeCase('MaxPooling2D')).toBe('max_pooling2d');
    expect(snakeCase('LSTM')).toBe('lstm');
    expect(snakeCase('MultiHeadAttention')).toBe('multi_head_attention');
    expect(snakeCase('GlobalAveragePooling1D')).toBe('global_average_pooling1d');
  });

  it('replaces the wire when a port that takes one connection gets a new one', () => {
    let doc = emptyDocument();
    const i1 = addNode(doc, 'Input', { x: 0, y: 0 });
    const i2 = addNode(i1.doc, 'Input', { x: 0, y: 100 });
    const d = addNode(i2.doc, 'Dense', { x: 100, y: 0 });
    doc = connect(d.doc, i1.nodeId, d.nodeId, 'in').doc;
    doc = connect(doc, i2.nodeId, d.nodeId, 'in').doc;
    expect(doc.edges).toHaveLength(1);
    expect(doc.edges[0].source).toBe(i2.nodeId);
  });

  it('refuses nonsense edits with a reason', () => {
    const d = addNode(emptyDocument(), 'Dense', { x: 0, y: 0 });
    expect(() => connect(d.doc, d.nodeId, d.nodeId, 'in')).toThrow(EditError);
    expect(() => connect(d.doc, 'ghost', d.nodeId, 'in')).toThrow(/No block with id "ghost"/);
    expect(() => setParam(d.doc, d.nodeId, 'filters', 3)).toThrow(/Dense has no parameter "filters"/);
    expect(() => addNode(d.doc, 'Teleporter', { x: 0, y: 0 })).toThrow(/Unknown block type/);
    expect(() => renameNode(d.doc, d.nodeId, '   ')).toThrow(/empty/);
  });

  it('removing a block removes its connections; disconnect removes one', () => {
    let doc = emptyDocument();
    const i = addNode(doc, 'Input', { x: 0, y: 0 });
    const d = addNode(i.doc, 'Dense', { x: 100, y: 0 });
    const o = addNode(d.doc, 'Output', { x: 200, y: 0 });
    doc = connect(o.doc, i.nodeId, d.nodeId, 'in').doc;
    const c = connect(doc, d.nodeId, o.nodeId, 'in');
    expect(disconnect(c.doc, [c.edgeId]).edges).toHaveLength(1);
    const removed = removeNodes(c.doc, [d.nodeId]);
    expect(removed.nodes.map((n) => n.id)).toEqual([i.nodeId, o.nodeId]);
    expect(removed.edges).toHaveLength(0);
  });

  it('moves a group in one edit and renames keep ids', () => {
    const a = addNode(emptyDocument(), 'Dense', { x: 0, y: 0 });
    const b = addNode(a.doc, 'Dense', { x: 5, y: 5 });
    const moved = moveNodes(b.doc, { [a.nodeId]: { x: 10, y: 20 }, [b.nodeId]: { x: 30, y: 40 } });
    expect(moved.nodes.map((n) => n.position)).toEqual([{ x: 10, y: 20 }, { x: 30, y: 40 }]);
    const renamed = renameNode(moved, a.nodeId, '  classifier head ');
    expect(renamed.nodes[0]).toMatchObject({ id: a.nodeId, label: 'classifier head' });
  });
});
