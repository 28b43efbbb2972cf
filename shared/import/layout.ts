/**
 * A first top-down placement of an imported graph, pure and fast enough for thousands of layers:
 * each block's row is its longest path from an input, blocks of a row side by side, rows centred.
 * The editor's ELK auto-layout (which also routes wires) refines it when the project is opened.
 */
import type { Position, ProjectDocument } from '../graph/document.js';

const COLUMN = 260;
const ROW = 150;

/** Positions by node id: inputs on top, one row per depth. */
export function layeredPositions(doc: Pick<ProjectDocument, 'nodes' | 'edges'>): Map<string, Position> {
  const parents = new Map<string, string[]>();
  for (const e of doc.edges) parents.set(e.target, [...(parents.get(e.target) ?? []), e.source]);
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const d = Math.max(-1, ...(parents.get(id) ?? []).map(depthOf)) + 1;
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  const rows = new Map<number, string[]>();
  for (const n of doc.nodes) {
    const d = depthOf(n.id);
    rows.set(d, [...(rows.get(d) ?? []), n.id]);
  }
  const out = new Map<string, Position>();
  for (const [d, ids] of rows) ids.forEach((id, i) => out.set(id, { x: (i - (ids.length - 1) / 2) * COLUMN, y: d * ROW }));
  return out;
}
