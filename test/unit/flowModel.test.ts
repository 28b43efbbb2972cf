import { describe, expect, it } from 'vitest';
import { emptyDocument } from '../../shared/graph/document.js';
import { addNode, connect, setParam } from '../../shared/graph/operations.js';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { blockView, deriveNodes, newFlowCache } from '../../renderer/canvas/flowModel.js';
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
