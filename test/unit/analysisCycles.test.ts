/** LL003: a cycle is reported on the blocks that form it, not on everything downstream. */
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { emptyDocument, type GraphEdge, type ProjectDocument } from '../../shared/graph/document.js';
import { addNode } from '../../shared/graph/operations.js';

/** A document with the given blocks (id → type) and wires (source → target:port). */
function graph(nodes: Record<string, string>, wires: readonly [string, string, string][]): ProjectDocument {
  let doc = emptyDocument();
  for (const [id, type] of Object.entries(nodes)) doc = addNode(doc, type, { x: 0, y: 0 }, { id }).doc;
  const edges: GraphEdge[] = wires.map(([source, target, targetPort], i) => ({ id: `e${i}`, source, sourcePort: 'out', target, targetPort }));
  return { ...doc, edges };
}

const cycleNodes = (doc: ProjectDocument): string[] =>
  analyzeGraph(doc)
    .diagnostics.filter((d) => d.code === 'LL003')
    .map((d) => d.nodeId as string)
    .sort();

describe('LL003 cycles', () => {
  it('names only the two blocks of an Add ↔ Dense loop that feeds three more blocks', () => {
    const doc = graph(
      { i: 'Input', add: 'Add', d: 'Dense', d2: 'Dense', d3: 'Dense', d4: 'Dense', o: 'Output' },
      [
        ['i', 'add', 'in0'],
        ['add', 'd', 'in'],
        ['d', 'add', 'in1'],
        ['d', 'd2', 'in'],
        ['d2', 'd3', 'in'],
        ['d3', 'd4', 'in'],
        ['d4', 'o', 'in'],
      ],
    );
    expect(cycleNodes(doc)).toEqual(['add', 'd']);
    const message = analyzeGraph(doc).diagnostics.find((d) => d.code === 'LL003')?.message ?? '';
    expect(message).toContain('add → dense');
    expect(message).not.toContain('dense_1');
  });

  it('reports two separate loops each with its own members, and a block wired into itself', () => {
    const doc = graph(
      { i: 'Input', a1: 'Add', b1: 'Dense', mid: 'Dense', a2: 'Add', b2: 'Dense', self: 'Add', o: 'Output' },
      [
        ['i', 'a1', 'in0'],
        ['a1', 'b1', 'in'],
        ['b1', 'a1', 'in1'],
        ['b1', 'mid', 'in'],
        ['mid', 'a2', 'in0'],
        ['a2', 'b2', 'in'],
        ['b2', 'a2', 'in1'],
        ['b2', 'self', 'in0'],
        ['self', 'self', 'in1'],
        ['self', 'o', 'in'],
      ],
    );
    expect(cycleNodes(doc)).toEqual(['a1', 'a2', 'b1', 'b2', 'self']);
    const analysis = analyzeGraph(doc);
    const on = (id: string): string => analysis.diagnostics.find((d) => d.code === 'LL003' && d.nodeId === id)?.message ?? '';
    expect(on('a1')).toContain('(add → dense)');
    expect(on('a2')).toContain('(add_1 → dense_2)');
    expect(on('self')).toContain('(add_2)');
  });

  it('reports nothing for a graph without loops', () => {
    const doc = graph({ i: 'Input', d: 'Dense', o: 'Output' }, [
      ['i', 'd', 'in'],
      ['d', 'o', 'in'],
    ]);
    expect(cycleNodes(doc)).toEqual([]);
  });
});
