/**
 * Where new blocks go: never on top of another block. Quick-add after a block splices the new block
 * into that block's outgoing wires and shifts everything downstream down to make room; paste,
 * quick fixes and inserts look for the nearest free spot; deleting a block in the middle of a chain
 * can reconnect its neighbours.
 *
 * Block sizes are the canvas's business: callers pass `sizeOf` (the renderer's exact sizes); the
 * default is the largest block the canvas draws, so a placement made without it still never
 * overlaps.
 */
import { getBlock } from '../blocks/registry.js';
import type { ParamValue } from '../blocks/types.js';
import type { GraphNode, Position, ProjectDocument } from '../graph/document.js';
import { addNode, connect, EditError, moveNodes, removeNodes } from '../graph/operations.js';
import { checkConnection } from './connectCheck.js';

/** A block's drawn size. */
export interface BlockSize {
  readonly width: number;
  readonly height: number;
}

/** Gives a block's size from its type and parameters. */
export type SizeOf = (node: Pick<GraphNode, 'type' | 'params'>) => BlockSize;

/** The tallest block the canvas draws (three parameter rows): a safe stand-in for `SizeOf`. */
export const LARGEST_BLOCK: BlockSize = { width: 208, height: 145 };

/** Space kept between blocks. */
export const BLOCK_GAP = 32;

/** Space between a block and the one it feeds, when placed one under the other: room for the wire's shape label. */
const CHAIN_GAP = 64;

const defaultSize: SizeOf = () => LARGEST_BLOCK;

interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

function boxOf(n: GraphNode, sizeOf: SizeOf): Box {
  return { ...n.position, ...sizeOf(n) };
}

function overlaps(a: Box, b: Box, gap: number): boolean {
  return a.x < b.x + b.width + gap && b.x < a.x + a.width + gap && a.y < b.y + b.height + gap && b.y < a.y + a.height + gap;
}

/**
 * The nearest position to `want` where a group of boxes (relative to `want`) overlaps no block of
 * the document (`ignore`: ids not to avoid, e.g. the group itself). Searches rings of a 16 px grid
 * outwards, so the result is `want` itself whenever that is free.
 */
export function freeSpot(
  doc: Pick<ProjectDocument, 'nodes'>,
  want: Position,
  group: readonly Box[],
  options: { sizeOf?: SizeOf; ignore?: ReadonlySet<string>; gap?: number } = {},
): Position {
  const sizeOf = options.sizeOf ?? defaultSize;
  const gap = options.gap ?? BLOCK_GAP / 2;
  const others = doc.nodes.filter((n) => !options.ignore?.has(n.id)).map((n) => boxOf(n, sizeOf));
  const fits = (p: Position) => group.every((g) => {
    const moved = { x: p.x + g.x, y: p.y + g.y, width: g.width, height: g.height };
    return others.every((o) => !overlaps(moved, o, gap));
  });
  if (fits(want)) return want;
  const step = 16;
  for (let ring = 1; ring <= 400; ring++) {
    // Candidates on this ring, nearest first.
    const candidates: Position[] = [];
    for (let i = -ring; i <= ring; i++) {
      candidates.push({ x: want.x + i * step, y: want.y - ring * step }, { x: want.x + i * step, y: want.y + ring * step });
      if (i !== -ring && i !== ring) candidates.push({ x: want.x - ring * step, y: want.y + i * step }, { x: want.x + ring * step, y: want.y + i * step });
    }
    candidates.sort((a, b) => Math.hypot(a.x - want.x, a.y - want.y) - Math.hypot(b.x - want.x, b.y - want.y));
    const found = candidates.find(fits);
    if (found) return found;
  }
  // Everything near is taken: below everything.
  const bottom = Math.max(...others.map((o) => o.y + o.height));
  return { x: want.x, y: bottom + BLOCK_GAP };
}

/** Moves the given blocks, as a group, to the nearest place where none overlaps another block. */
export function moveGroupToFreeSpace(doc: ProjectDocument, ids: readonly string[], sizeOf: SizeOf = defaultSize): ProjectDocument {
  const set = new Set(ids);
  const group = doc.nodes.filter((n) => set.has(n.id));
  if (group.length === 0) return doc;
  const origin = { x: Math.min(...group.map((n) => n.position.x)), y: Math.min(...group.map((n) => n.position.y)) };
  const boxes = group.map((n) => ({ x: n.position.x - origin.x, y: n.position.y - origin.y, ...sizeOf(n) }));
  const spot = freeSpot(doc, origin, boxes, { sizeOf, ignore: set });
  if (spot.x === origin.x && spot.y === origin.y) return doc;
  const positions: Record<string, Position> = {};
  for (const n of group) positions[n.id] = { x: n.position.x - origin.x + spot.x, y: n.position.y - origin.y + spot.y };
  return moveNodes(doc, positions);
}

/** Every block downstream of `from` (following wires), not including `from`. */
function downstream(doc: ProjectDocument, from: readonly string[]): Set<string> {
  const out = new Set<string>();
  const stack = [...from];
  while (stack.length) {
    const id = stack.pop() as string;
    for (const e of doc.edges) {
      if (e.source === id && !out.has(e.target)) {
        out.add(e.target);
        stack.push(e.target);
      }
    }
  }
  return out;
}

/**
 * Makes room under `anchor` for a block of `height`: every block downstream of `anchor` that is
 * below its top moves down by what it takes, so the chain keeps its spacing.
 */
function shiftDownstream(doc: ProjectDocument, anchor: string, newTop: number, height: number, exclude: ReadonlySet<string>): ProjectDocument {
  const moving = [...downstream(doc, [anchor])].filter((id) => !exclude.has(id));
  const nodes = doc.nodes.filter((n) => moving.includes(n.id));
  const below = nodes.filter((n) => n.position.y >= newTop - CHAIN_GAP);
  if (below.length === 0) return doc;
  const firstTop = Math.min(...below.map((n) => n.position.y));
  const dy = newTop + height + CHAIN_GAP - firstTop;
  if (dy <= 0) return doc;
  const positions: Record<string, Position> = {};
  for (const n of below) positions[n.id] = { x: n.position.x, y: n.position.y + dy };
  return moveNodes(doc, positions);
}

function firstPortOf(type: string, params?: Readonly<Record<string, ParamValue>>): string {
  const def = getBlock(type);
  if (!def) throw new EditError(`Unknown block type "${type}".`);
  const defaults = Object.fromEntries(def.params.map((p) => [p.name, p.default]));
  const port = def.ports({ ...defaults, ...params })[0];
  if (!port) throw new EditError(`${type} has no input, so it cannot follow another block.`);
  return port.name;
}

/**
 * Adds a block after `sourceId` (quick-add with a block selected): under it, fed by it, and taking
 * over its outgoing wires (`a → b` becomes `a → new → b`), with everything downstream shifted down
 * to make room. With no outgoing wire it is just appended under `sourceId`.
 */
export function spliceAfter(
  doc: ProjectDocument,
  sourceId: string,
  type: string,
  options: { params?: Readonly<Record<string, ParamValue>>; sizeOf?: SizeOf } = {},
): { doc: ProjectDocument; nodeId: string } {
  const sizeOf = options.sizeOf ?? defaultSize;
  const source = doc.nodes.find((n) => n.id === sourceId);
  if (!source) throw new EditError(`No block with id "${sourceId}".`);
  const port = firstPortOf(type, options.params);
  const outgoing = doc.edges.filter((e) => e.source === sourceId);
  const srcSize = sizeOf(source);
  const newSize = sizeOf({ type, params: options.params ?? {} });
  const top = source.position.y + srcSize.height + CHAIN_GAP;
  const position = { x: Math.round(source.position.x + (srcSize.width - newSize.width) / 2), y: top };
  let next = shiftDownstream(doc, sourceId, top, newSize.height, new Set());
  const added = addNode(next, type, position, options.params ? { params: options.params } : {});
  next = connect(added.doc, sourceId, added.nodeId, port).doc;
  // Re-targeting each downstream port replaces the old wire into it.
  for (const e of outgoing) next = connect(next, added.nodeId, e.target, e.targetPort).doc;
  // A block of another branch may sit right there: then beside it.
  next = moveGroupToFreeSpace(next, [added.nodeId], sizeOf);
  return { doc: next, nodeId: added.nodeId };
}

/**
 * Inserts a block into one wire (`a → b` becomes `a → new → b`): at `position` when given (a
 * drop), else under `a`; blocks downstream of it move down to make room, and the new block never
 * lands on another.
 */
export function spliceIntoEdge(
  doc: ProjectDocument,
  edgeId: string,
  type: string,
  options: { position?: Position; params?: Readonly<Record<string, ParamValue>>; sizeOf?: SizeOf } = {},
): { doc: ProjectDocument; nodeId: string } {
  const sizeOf = options.sizeOf ?? defaultSize;
  const edge = doc.edges.find((e) => e.id === edgeId);
  if (!edge) throw new EditError(`No connection with id "${edgeId}".`);
  const port = firstPortOf(type, options.params);
  const a = doc.nodes.find((n) => n.id === edge.source);
  const newSize = sizeOf({ type, params: options.params ?? {} });
  const aSize = a ? sizeOf(a) : LARGEST_BLOCK;
  const position = options.position ?? (a ? { x: Math.round(a.position.x + (aSize.width - newSize.width) / 2), y: a.position.y + aSize.height + CHAIN_GAP } : { x: 0, y: 0 });
  let next = shiftDownstream(doc, edge.target, position.y, newSize.height, new Set());
  // The target itself moves down too when the new block takes its place.
  const b = next.nodes.find((n) => n.id === edge.target);
  if (b && b.position.y < position.y + newSize.height + CHAIN_GAP && b.position.y + sizeOf(b).height > position.y) {
    const dy = position.y + newSize.height + CHAIN_GAP - b.position.y;
    const ids = [edge.target, ...downstream(next, [edge.target])];
    const positions: Record<string, Position> = {};
    for (const n of next.nodes) if (ids.includes(n.id)) positions[n.id] = { x: n.position.x, y: n.position.y + dy };
    next = moveNodes(next, positions);
  }
  const added = addNode(next, type, position, options.params ? { params: options.params } : {});
  next = connect(added.doc, { node: edge.source, port: edge.sourcePort }, added.nodeId, port).doc;
  next = connect(next, added.nodeId, edge.target, edge.targetPort).doc;
  next = moveGroupToFreeSpace(next, [added.nodeId], sizeOf);
  return { doc: next, nodeId: added.nodeId };
}

/**
 * Deletes a block in the middle of a chain and wires what fed it to what it fed (each connection
 * only where it is valid). Refuses a block that is not in the middle of anything: one input wire
 * and at least one output wire.
 */
export function deleteAndReconnect(doc: ProjectDocument, nodeId: string): { doc: ProjectDocument; reconnected: number } {
  const node = doc.nodes.find((n) => n.id === nodeId);
  if (!node) throw new EditError(`No block with id "${nodeId}".`);
  const incoming = doc.edges.filter((e) => e.target === nodeId);
  const outgoing = doc.edges.filter((e) => e.source === nodeId);
  if (incoming.length !== 1 || outgoing.length === 0) {
    throw new EditError(`${node.label} is not between two blocks (it needs one input wire and at least one output wire), so there are no neighbours to reconnect.`);
  }
  const source = { node: incoming[0].source, port: incoming[0].sourcePort };
  let next = removeNodes(doc, [nodeId]);
  let reconnected = 0;
  for (const e of outgoing) {
    // A wire from one of the block's final states has nothing to stand for once the block is gone.
    if (e.sourcePort !== 'out' || !checkConnection(next, source, e.target, e.targetPort).ok) continue;
    next = connect(next, source, e.target, e.targetPort).doc;
    reconnected++;
  }
  return { doc: next, reconnected };
}
