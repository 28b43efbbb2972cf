/**
 * What changed between two versions of a graph (the one a run trained and the one in the editor):
 * blocks added, removed, renamed or with other parameters, and connections added or removed.
 * Blocks are matched by id, which edits keep for a block's life.
 */
import type { ProjectDocument } from './document.js';

/** A block as a diff names it. */
export interface DiffBlock {
  readonly id: string;
  readonly label: string;
  readonly type: string;
}

/** One parameter that differs. */
export interface ParamChange {
  readonly name: string;
  /** JSON of the value before (in the run's graph); absent when the parameter was not set. */
  readonly before?: string;
  readonly after?: string;
}

/** A block present in both graphs that differs. */
export interface ChangedBlock extends DiffBlock {
  /** The label in the run's graph, when the block was renamed. */
  readonly labelBefore?: string;
  readonly params: readonly ParamChange[];
}

/** The difference between a run's graph and the current one. */
export interface GraphDiff {
  readonly added: readonly DiffBlock[];
  readonly removed: readonly DiffBlock[];
  readonly changed: readonly ChangedBlock[];
  /** Connections as `source → target.port` (labels of the graph they belong to). */
  readonly connectionsAdded: readonly string[];
  readonly connectionsRemoved: readonly string[];
  /** True when nothing differs. */
  readonly same: boolean;
}

type Graph = Pick<ProjectDocument, 'nodes' | 'edges'>;

function connections(g: Graph): Map<string, string> {
  const label = new Map(g.nodes.map((n) => [n.id, n.label]));
  return new Map(g.edges.map((e) => [`${e.source}>${e.target}.${e.targetPort}`, `${label.get(e.source) ?? e.source} → ${label.get(e.target) ?? e.target}.${e.targetPort}`]));
}

/** The difference from `before` (a run's graph) to `after` (the current graph). */
export function diffGraphs(before: Graph, after: Graph): GraphDiff {
  const old = new Map(before.nodes.map((n) => [n.id, n]));
  const now = new Map(after.nodes.map((n) => [n.id, n]));
  const block = (n: Graph['nodes'][number]): DiffBlock => ({ id: n.id, label: n.label, type: n.type });
  const added = after.nodes.filter((n) => !old.has(n.id)).map(block);
  const removed = before.nodes.filter((n) => !now.has(n.id)).map(block);
  const changed: ChangedBlock[] = [];
  for (const n of after.nodes) {
    const o = old.get(n.id);
    if (!o) continue;
    if (o.type !== n.type) {
      changed.push({ ...block(n), params: [{ name: 'type', before: JSON.stringify(o.type), after: JSON.stringify(n.type) }] });
      continue;
    }
    const names = [...new Set([...Object.keys(o.params), ...Object.keys(n.params)])].sort();
    const params: ParamChange[] = [];
    for (const name of names) {
      const a = o.params[name] === undefined ? undefined : JSON.stringify(o.params[name]);
      const b = n.params[name] === undefined ? undefined : JSON.stringify(n.params[name]);
      if (a !== b) params.push({ name, ...(a !== undefined ? { before: a } : {}), ...(b !== undefined ? { after: b } : {}) });
    }
    if (params.length || o.label !== n.label) changed.push({ ...block(n), ...(o.label !== n.label ? { labelBefore: o.label } : {}), params });
  }
  const ca = connections(before);
  const cb = connections(after);
  const connectionsAdded = [...cb].filter(([k]) => !ca.has(k)).map(([, v]) => v);
  const connectionsRemoved = [...ca].filter(([k]) => !cb.has(k)).map(([, v]) => v);
  return {
    added,
    removed,
    changed,
    connectionsAdded,
    connectionsRemoved,
    same: !added.length && !removed.length && !changed.length && !connectionsAdded.length && !connectionsRemoved.length,
  };
}
