/**
 * Copy and paste of blocks, within a project and across projects (the payload is plain JSON text,
 * so it travels through the system clipboard or local storage). Pasted blocks get fresh ids and
 * labels that do not clash with the target project; connections among them are kept.
 */
import { parseProject } from '../graph/serialization.js';
import { CURRENT_FORMAT_VERSION, FORMAT_ID, type GraphEdge, type GraphNode, type Position, type ProjectDocument } from '../graph/document.js';
import { addNode, connect, uniqueLabel } from '../graph/operations.js';

/** Marks clipboard text as ours. */
export const CLIPBOARD_FORMAT = 'layerloom-clipboard';

/** Copied blocks and the connections among them. */
export interface ClipboardPayload {
  readonly format: typeof CLIPBOARD_FORMAT;
  readonly version: 1;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

/** The payload for a set of nodes; null when none of them exist. */
export function copyNodes(doc: ProjectDocument, nodeIds: readonly string[]): ClipboardPayload | null {
  const ids = new Set(nodeIds);
  const nodes = doc.nodes.filter((n) => ids.has(n.id));
  if (nodes.length === 0) return null;
  const edges = doc.edges.filter((e) => ids.has(e.source) && ids.has(e.target));
  return { format: CLIPBOARD_FORMAT, version: 1, nodes, edges };
}

/** Clipboard text. */
export function serializeClipboard(payload: ClipboardPayload): string {
  return JSON.stringify(payload);
}

/**
 * Reads clipboard text; null when it is not ours or is malformed. The blocks are validated by the
 * project-file reader, so pasting never brings in values a file could not hold.
 */
export function parseClipboard(text: string): ClipboardPayload | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const o = raw as { format?: unknown; nodes?: unknown; edges?: unknown };
  if (o.format !== CLIPBOARD_FORMAT || !Array.isArray(o.nodes) || !Array.isArray(o.edges)) return null;
  const parsed = parseProject(
    JSON.stringify({ format: FORMAT_ID, version: CURRENT_FORMAT_VERSION, name: 'clipboard', nodes: o.nodes, edges: o.edges, dataset: null, training: null }),
  );
  if (!parsed.ok || parsed.doc.nodes.length === 0) return null;
  return { format: CLIPBOARD_FORMAT, version: 1, nodes: parsed.doc.nodes, edges: parsed.doc.edges };
}

/** `dense_1` → `dense` when `dense_1` is taken, so copies continue the Keras numbering (`dense_2`). */
function labelBase(doc: ProjectDocument, label: string): string {
  if (!doc.nodes.some((n) => n.label === label)) return label;
  return label.replace(/_\d+$/, '') || label;
}

/**
 * Adds the payload's blocks to a document. With `at`, the blocks' top-left corner lands there;
 * otherwise they are offset by `offset` from where they were copied.
 */
export function pastePayload(
  doc: ProjectDocument,
  payload: ClipboardPayload,
  placement: { at?: Position; offset?: Position } = {},
): { doc: ProjectDocument; nodeIds: string[]; edgeIds: string[] } {
  const minX = Math.min(...payload.nodes.map((n) => n.position.x));
  const minY = Math.min(...payload.nodes.map((n) => n.position.y));
  const dx = placement.at ? placement.at.x - minX : (placement.offset?.x ?? 40);
  const dy = placement.at ? placement.at.y - minY : (placement.offset?.y ?? 40);
  const idMap = new Map<string, string>();
  const nodeIds: string[] = [];
  const edgeIds: string[] = [];
  let next = doc;
  for (const n of payload.nodes) {
    const added = addNode(next, n.type, { x: n.position.x + dx, y: n.position.y + dy }, { label: uniqueLabel(next, labelBase(next, n.label)), params: n.params });
    next = added.doc;
    idMap.set(n.id, added.nodeId);
    nodeIds.push(added.nodeId);
  }
  for (const e of payload.edges) {
    const source = idMap.get(e.source);
    const target = idMap.get(e.target);
    if (!source || !target) continue;
    const c = connect(next, { node: source, port: e.sourcePort }, target, e.targetPort);
    next = c.doc;
    edgeIds.push(c.edgeId);
  }
  return { doc: next, nodeIds, edgeIds };
}
