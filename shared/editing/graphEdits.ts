/**
 * Compound edits built from the pure operations in shared/graph/operations.ts.
 */
import type { ParamValue } from '../blocks/types.js';
import type { Position, ProjectDocument } from '../graph/document.js';
import { spliceIntoEdge, type SizeOf } from './placement.js';

/**
 * Inserts a new block into a connection: `a → b` becomes `a → new → b`. The new block goes at
 * `position` when given, else under `a`; what follows moves down to make room, and the block
 * never lands on another (see placement.ts).
 */
export function insertBetween(
  doc: ProjectDocument,
  edgeId: string,
  type: string,
  options: { position?: Position; params?: Readonly<Record<string, ParamValue>>; sizeOf?: SizeOf } = {},
): { doc: ProjectDocument; nodeId: string } {
  return spliceIntoEdge(doc, edgeId, type, options);
}
