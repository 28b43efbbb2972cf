import { describe, expect, it } from 'vitest';
import { emptyDocument } from '../../shared/graph/document.js';
import { addNode, connect, setParam } from '../../shared/graph/operations.js';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { blockView, deriveEdges, deriveNodes, edgeView, newFlowCache } from '../../renderer/canvas/flowModel.js';
import { NO_SELECTION } from '../../renderer/editor/editorStore.js';

// A parameter edit must leave React Flow's node array as it was (React Flow then does no work per
// block of a large graph); the edited block reads what it shows from the analysis itself.
describe('canvas nodes across a parameter edit', () => {
  const build = () => {
    let doc = emptyDocument('t');
    const input = addNode(doc, 'Input', { x: 0, y: 0 }, { params: { shape: [8] } });
    const dense = addNode(input.doc, 'Dense', { x: 0, y: 100 }, { params: { units: 4 } });
    const drop = addNode(dense.doc, 'Dropout', { x: 0, y: 200 }, { params: { rate: 0.1 } });
    doc = connect(drop.doc, input.nodeId, dense.nodeId, 'in').doc;
    doc = connect(doc, dense.nodeId, drop.nodeId, 'in').doc;
    return { doc, dense: dense.nodeId, drop: drop.nodeId, input: input.nodeId };
  };

  it('keeps the node array and shows the new shape and parameters', () => {
    const { doc, dense, drop, input } = build();
    const cache = newFlowCache();
    const a = analyzeGraph(doc);
    const before = deriveNodes(doc, a, NO_SELECTION, new Map(), cache);
    const inputView = blockView(a, input);
    expect(blockView(a, drop)?.shape).toBe('(None, 4)');
    const edited = setParam(doc, dense, 'units', 6);
    const b = analyzeGraph(edited);
    expect(deriveNodes(edited, b, NO_SELECTION, new Map(), cache)).toBe(before);
    expect(blockView(b, drop)?.shape).toBe('(None, 6)');
    expect(blockView(b, dense)?.node.params.units).toBe(6);
    // Unchanged blocks keep their view object: their components do not re-render.
    expect(blockView(b, input)).toBe(inputView);
  });

  it('gives a block whose errors change a new node (the minimap colours it)', () => {
    const { doc, dense } = build();
    const cache = newFlowCache();
    const before = deriveNodes(doc, analyzeGraph(doc), NO_SELECTION, new Map(), cache);
    const broken = setParam(doc, dense, 'units', 0);
    const after = deriveNodes(broken, analyzeGraph(broken), NO_SELECTION, new Map(), cache);
    expect(after).not.toBe(before);
    expect(after.find((n) => n.id === dense)?.data.severity).toBe('error');
  });
});

// A recurrent block with Return state: one handle per output port, each wire from its own port and
// labelled with that port's shape; a wire from a port the block lost is drawn from `out`, unlabelled.
describe('canvas wires from a recurrent block’s states', () => {
  it('handles per output port, wires from their port, a lost port drawn from out', () => {
    let doc = emptyDocument('t');
    const seq = addNode(doc, 'Input', { x: 0, y: 0 }, { id: 'x', params: { shape: [5, 3] } });
    const enc = addNode(seq.doc, 'LSTM', { x: 0, y: 100 }, { id: 'enc', params: { units: 4, return_state: true } });
    const dense = addNode(enc.doc, 'Dense', { x: 0, y: 200 }, { id: 'd', params: { units: 2 } });
    doc = connect(dense.doc, 'x', 'enc', 'in').doc;
    doc = connect(doc, { node: 'enc', port: 'c' }, 'd', 'in').doc;
    const a = analyzeGraph(doc);
    expect(blockView(a, 'enc')?.outputs).toEqual([
      { name: 'out', label: 'out', shape: '(None, 4)' },
      { name: 'h', label: 'h', shape: '(None, 4)' },
      { name: 'c', label: 'c', shape: '(None, 4)' },
    ]);
    const wire = doc.edges.find((e) => e.target === 'd');
    if (!wire) throw new Error('no wire');
    expect(deriveEdges(doc, NO_SELECTION, newFlowCache()).find((e) => e.id === wire.id)?.sourceHandle).toBe('c');
    expect(edgeView(a, wire).compact).toBe('4');
    const off = setParam(doc, 'enc', 'return_state', false);
    const drawn = deriveEdges(off, NO_SELECTION, newFlowCache()).find((e) => e.id === wire.id);
    expect([drawn?.sourceHandle, drawn?.data?.sourcePort]).toEqual(['out', 'c']);
    expect(edgeView(analyzeGraph(off), wire)).toEqual({ shape: '', compact: '', error: true });
  });
});
