/**
 * Compound edits built from the pure operations in shared/graph/operations.ts.
 */
import { getBlock } from '../blocks/registry.js';
import type { ParamValue } from '../blocks/types.js';
import type { Position, ProjectDocument } from '../graph/document.js';
import { addNode, connect, EditError } from '../graph/operations.js';

/**
 * Inserts a new block into a connection: `a → b` becomes `a → new → b`. The new block sits halfway
 * between the two unless `position` is given.
 */
export function insertBetween(
  doc: ProjectDocument,
  edgeId: string,
  type: string,
  options: { position?: Position; params?: Readonly<Record<string, ParamValue>> } = {},
): { doc: ProjectDocument; nodeId: string } {
  const edge = doc.edges.find((e) => e.id === edgeId);
  if (!edge) throw new EditError(`No connection with id "${edgeId}".`);
  const def = getBlock(type);
  if (!def) throw new EditError(`Unknown block type "${type}".`);
  const firstPort = def.ports(def.params.length ? Object.fromEntries(def.params.map((p) => [p.name, p.default])) : {})[0];
  if (!firstPort) throw new EditError(`${type} has no input, so it cannot go into a connection.`);
  const a = doc.nodes.find((n) => n.id === edge.source);
  const b = doc.nodes.find((n) => n.id === edge.target);
  const position = options.position ?? { x: ((a?.position.x ?? 0) + (b?.position.x ?? 0)) / 2, y: ((a?.position.y ?? 0) + (b?.position.y ?? 0)) / 2 + 40 };
  const added = addNode(doc, type, position, options.params ? { params: options.params } : {});
  let next = connect(added.doc, edge.source, added.nodeId, firstPort.name).doc;
  // Re-targeting b's port replaces the old a → b connection.
  next = connect(next, added.nodeId, edge.target, edge.targetPort).doc;
  return { doc: next, nodeId: added.nodeId };
}
