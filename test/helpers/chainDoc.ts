/** A linear test graph: blocks wired one after another on their `in` port, with default training settings. */
import type { ParamValue } from '../../shared/blocks/types.js';
import { emptyDocument, type ProjectDocument } from '../../shared/graph/document.js';
import { addNode, connect } from '../../shared/graph/operations.js';
import { DEFAULT_TRAINING } from '../../shared/training/settings.js';

/** One block of a chain: its id, type and the params that differ from the defaults. */
export type Layer = [id: string, type: string, params?: Record<string, ParamValue>];

/** `layers[0] → layers[1] → …`, named `name`. */
export function chain(name: string, layers: Layer[]): ProjectDocument {
  let doc = emptyDocument(name);
  for (const [id, type, params] of layers) doc = addNode(doc, type, { x: 0, y: 0 }, { id, ...(params ? { params } : {}) }).doc;
  for (let i = 1; i < layers.length; i++) doc = connect(doc, layers[i - 1][0], layers[i][0], 'in').doc;
  return { ...doc, training: DEFAULT_TRAINING };
}
