/**
 * Pure edits of a project document. Each returns a new document and never mutates its input, so the
 * editor's command/undo layer can keep old versions and diff them.
 */
import { getBlock } from '../blocks/registry.js';
import { defaultParams } from '../blocks/paramUtils.js';
import { DEFAULT_OUTPUT_PORT, type ParamValue } from '../blocks/types.js';
import type { DatasetRef, TrainingSettings } from '../training/settings.js';
import type { GraphEdge, GraphNode, Position, ProjectDocument } from './document.js';

/** Thrown for an edit that makes no sense (unknown node, unknown block type). */
export class EditError extends Error {}

/** `Conv2D` → `conv2d`, `MaxPooling2D` → `max_pooling2d` (Keras's default layer-name style). */
export function snakeCase(type: string): string {
  // Same steps as keras.src.utils.naming.to_snake_case.
  return type
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** A label not used by any node: `base`, `base_1`, `base_2`, ... (Keras numbering). */
export function uniqueLabel(doc: ProjectDocument, base: string): string {
  const taken = new Set(doc.nodes.map((n) => n.label));
  if (!taken.has(base)) return base;
  for (let i = 1; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

function uniqueId(taken: ReadonlySet<string>, prefix: string): string {
  for (let i = 1; ; i++) if (!taken.has(`${prefix}${i}`)) return `${prefix}${i}`;
}

function nodeOrThrow(doc: ProjectDocument, id: string): GraphNode {
  const node = doc.nodes.find((n) => n.id === id);
  if (!node) throw new EditError(`No block with id "${id}".`);
  return node;
}

/** Adds a block with its default params (merged with `params`). */
export function addNode(
  doc: ProjectDocument,
  type: string,
  position: Position,
  options: { id?: string; label?: string; params?: Readonly<Record<string, ParamValue>> } = {},
): { doc: ProjectDocument; nodeId: string } {
  const def = getBlock(type);
  if (!def) throw new EditError(`Unknown block type "${type}".`);
  const ids = new Set(doc.nodes.map((n) => n.id));
  const id = options.id ?? uniqueId(ids, 'n');
  if (ids.has(id)) throw new EditError(`A block with id "${id}" already exists.`);
  const node: GraphNode = {
    id,
    type,
    label: options.label ?? uniqueLabel(doc, def.role === 'layer' ? snakeCase(type) : def.role),
    params: { ...defaultParams(def.params), ...(options.params ?? {}) },
    position: { x: position.x, y: position.y },
  };
  return { doc: { ...doc, nodes: [...doc.nodes, node] }, nodeId: id };
}

/** Removes blocks and every connection touching them. */
export function removeNodes(doc: ProjectDocument, ids: readonly string[]): ProjectDocument {
  const gone = new Set(ids);
  return {
    ...doc,
    nodes: doc.nodes.filter((n) => !gone.has(n.id)),
    edges: doc.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target)),
  };
}

/** One output port of a block: `{ node, port }` (e.g. an LSTM's final state `h`). */
export interface OutputRef {
  readonly node: string;
  readonly port: string;
}

/**
 * Connects `source`'s output — its `out`, or the port an {@link OutputRef} names — to `target`'s
 * `targetPort`. A port takes one connection, so an existing edge into that port is replaced (as
 * when dragging a new wire onto a used socket).
 */
export function connect(
  doc: ProjectDocument,
  from: string | OutputRef,
  target: string,
  targetPort: string,
  edgeId?: string,
): { doc: ProjectDocument; edgeId: string } {
  const source = typeof from === 'string' ? from : from.node;
  const sourcePort = typeof from === 'string' ? DEFAULT_OUTPUT_PORT : from.port;
  const sourceNode = nodeOrThrow(doc, source);
  const sourceDef = getBlock(sourceNode.type);
  if (sourceDef && sourcePort !== DEFAULT_OUTPUT_PORT && !sourceDef.outputs(sourceNode.params).some((p) => p.name === sourcePort)) {
    throw new EditError(`${sourceNode.label} has no output "${sourcePort}".${'return_state' in sourceNode.params ? ' Turn on "Return state" to get its final states.' : ''}`);
  }
  const targetNode = nodeOrThrow(doc, target);
  if (source === target) throw new EditError('A block cannot feed itself.');
  const def = getBlock(targetNode.type);
  if (def && !def.ports(targetNode.params).some((p) => p.name === targetPort)) {
    throw new EditError(`${targetNode.label} has no input port "${targetPort}".`);
  }
  const ids = new Set(doc.edges.map((e) => e.id));
  const id = edgeId ?? uniqueId(ids, 'e');
  const edge: GraphEdge = { id, source, sourcePort, target, targetPort };
  const kept = doc.edges.filter((e) => !(e.target === target && e.targetPort === targetPort));
  return { doc: { ...doc, edges: [...kept, edge] }, edgeId: id };
}

/** Removes connections by id. */
export function disconnect(doc: ProjectDocument, edgeIds: readonly string[]): ProjectDocument {
  const gone = new Set(edgeIds);
  return { ...doc, edges: doc.edges.filter((e) => !gone.has(e.id)) };
}

/**
 * Sets one parameter. When the change removes ports (fewer merge inputs), the connections into
 * the removed ports are dropped too, so the document never points at ports that do not exist.
 */
export function setParam(doc: ProjectDocument, nodeId: string, name: string, value: ParamValue): ProjectDocument {
  const node = nodeOrThrow(doc, nodeId);
  const def = getBlock(node.type);
  if (def && !def.params.some((p) => p.name === name)) throw new EditError(`${node.type} has no parameter "${name}".`);
  const params = { ...node.params, [name]: value };
  const nodes = doc.nodes.map((n) => (n.id === nodeId ? { ...n, params } : n));
  let edges = doc.edges;
  if (def) {
    const ports = new Set(def.ports(params).map((p) => p.name));
    edges = edges.filter((e) => e.target !== nodeId || ports.has(e.targetPort));
  }
  return { ...doc, nodes, edges };
}

/** Renames a block (its label; the id never changes). */
export function renameNode(doc: ProjectDocument, nodeId: string, label: string): ProjectDocument {
  nodeOrThrow(doc, nodeId);
  const trimmed = label.trim();
  if (!trimmed) throw new EditError('A block name cannot be empty.');
  return { ...doc, nodes: doc.nodes.map((n) => (n.id === nodeId ? { ...n, label: trimmed } : n)) };
}

/** Moves blocks to new positions (one call for a whole group drag). */
export function moveNodes(doc: ProjectDocument, positions: Readonly<Record<string, Position>>): ProjectDocument {
  return {
    ...doc,
    nodes: doc.nodes.map((n) => {
      const p = positions[n.id];
      return p ? { ...n, position: { x: p.x, y: p.y } } : n;
    }),
  };
}

/** Sets the project name. */
export function renameProject(doc: ProjectDocument, name: string): ProjectDocument {
  return { ...doc, name };
}

/** Sets (or clears) the dataset. */
export function setDataset(doc: ProjectDocument, dataset: DatasetRef | null): ProjectDocument {
  return { ...doc, dataset };
}

/** Sets (or clears) the training settings. */
export function setTraining(doc: ProjectDocument, training: TrainingSettings | null): ProjectDocument {
  return { ...doc, training };
}
