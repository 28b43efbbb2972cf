/**
 * Derives React Flow's nodes and edges from the document and its analysis. React Flow is only a
 * view: these objects are rebuilt from the store, reusing the previous object whenever nothing
 * React Flow itself uses has changed. What a block or a wire shows (shapes, parameters, errors)
 * is not in them: each drawn block and wire reads it from the store (`blockView`, `edgeView`), so
 * an edit leaves both arrays as they were and React Flow does no work per block of a big graph.
 */
import type { Edge, Node } from '@xyflow/react';
import type { GraphAnalysis, NodeAnalysis } from '../../shared/analysis/analyze.js';
import type { Diagnostic } from '../../shared/analysis/diagnostics.js';
import { getBlock } from '../../shared/blocks/registry.js';
import { formatShape, formatShapeCompact } from '../../shared/blocks/shapeUtils.js';
import type { GraphNode, ProjectDocument } from '../../shared/graph/document.js';
import type { Selection, WireRoute } from '../editor/editorStore.js';

/** What a block node draws. */
export interface BlockView {
  readonly node: GraphNode;
  readonly shape: string;
  readonly params: number;
  /** Multiply-accumulates for one sample (null: a variable size decides it). */
  readonly macs: number | null;
  readonly ports: readonly { readonly name: string; readonly label: string; readonly optional: boolean }[];
  readonly hasOutput: boolean;
  /** Output ports, `out` first (a recurrent block with Return state also has its states), each with the shape it gives. */
  readonly outputs: readonly { readonly name: string; readonly label: string; readonly shape: string }[];
  readonly diagnostics: readonly Diagnostic[];
  readonly severity: 'error' | 'warning' | null;
  /** Changes whenever anything drawn changes (cheap comparison). */
  readonly key: string;
}

/**
 * React Flow node type for blocks: only what React Flow and the minimap use (the minimap colours a
 * block by its category and errors; a change of ports re-renders the node so React Flow measures
 * its handles again). The rest of what a block shows, it reads itself: see `blockView`.
 */
export type BlockFlowNode = Node<{ type: string; severity: BlockView['severity']; ports: string }, 'block'>;

/** What a connection draws. */
export interface EdgeView {
  /** `(None, 26, 26, 32)`: on hover and selection. */
  readonly shape: string;
  /** `26×26×32`: always shown. */
  readonly compact: string;
  readonly error: boolean;
}

/**
 * React Flow edge type for connections: the route of the last layout while its blocks stay put.
 * The shape a wire carries is not in here: each drawn wire reads it from the analysis itself
 * (`edgeView`), so an edit that changes shapes leaves the edge array as it was and React Flow does
 * not rebuild its connection lookups for every wire of a big graph.
 */
export type ShapeFlowEdge = Edge<{ route: WireRoute | null; /** The document's output port (the drawn handle may be `out` in its stead). */ sourcePort: string }, 'shape'>;

/** What the wire `edge` shows under `analysis`: the shape of the output port it leaves from. */
export function edgeView(analysis: GraphAnalysis, edge: { readonly id: string; readonly source: string; readonly sourcePort?: string; readonly target: string }): EdgeView {
  const src = analysis.nodes.get(edge.source);
  const dst = analysis.nodes.get(edge.target);
  const shape = src?.outputShapes.get(edge.sourcePort ?? 'out') ?? null;
  return {
    shape: shape ? formatShape(shape) : '',
    compact: shape ? formatShapeCompact(shape) : '',
    error: Boolean(dst?.diagnostics.some((d) => d.edgeId === edge.id && d.severity === 'error')),
  };
}

/** `next`, or `prev` when it holds the same objects (React Flow compares the arrays by identity). */
function sameOr<T>(prev: readonly T[] | undefined, next: T[]): T[] {
  if (prev && prev.length === next.length && next.every((x, i) => x === prev[i])) return prev as T[];
  return next;
}

const samePoint = (a: { x: number; y: number }, b: { x: number; y: number }) => a.x === b.x && a.y === b.y;

function severityOf(diagnostics: readonly Diagnostic[]): BlockView['severity'] {
  return diagnostics.some((d) => d.severity === 'error') ? 'error' : diagnostics.length ? 'warning' : null;
}

function viewOf(node: GraphNode, info: NodeAnalysis | undefined): BlockView {
  const def = getBlock(node.type);
  const diagnostics = info?.diagnostics ?? [];
  const severity = severityOf(diagnostics);
  const shape = info?.shape ? formatShape(info.shape) : '';
  const params = info ? info.params.trainable + info.params.nonTrainable : 0;
  const ports = (info?.ports ?? []).map((p) => ({ name: p.name, label: p.label, optional: Boolean(p.optional) }));
  const macs = info?.cost.macs ?? null;
  const outputs = (info?.outputs ?? []).map((p) => {
    const s = info?.outputShapes.get(p.name) ?? null;
    return { name: p.name, label: p.label, shape: s ? formatShape(s) : '' };
  });
  const key = `${shape}|${params}|${macs}|${ports.map((p) => p.name).join(',')}|${outputs.map((o) => `${o.name}${o.shape}`).join(',')}|${diagnostics.map((d) => d.code + d.message).join('|')}`;
  return { node, shape, params, macs, ports, hasOutput: def ? def.role !== 'output' : true, outputs, diagnostics, severity, key };
}

/** Caches between derivations. */
export interface FlowCache {
  nodes: Map<string, BlockFlowNode>;
  edges: Map<string, ShapeFlowEdge>;
  nodeList?: BlockFlowNode[];
  edgeList?: ShapeFlowEdge[];
}

/** A fresh cache. */
export function newFlowCache(): FlowCache {
  return { nodes: new Map(), edges: new Map() };
}

const views = new Map<string, { info: NodeAnalysis; view: BlockView }>();

/**
 * What block `id` shows under `analysis` (null once it is gone): the same object as long as nothing
 * it shows changed, so a block's store selector re-renders it only when its own view changes.
 */
export function blockView(analysis: GraphAnalysis, id: string): BlockView | null {
  const info = analysis.nodes.get(id);
  if (!info) return null;
  const prev = views.get(id);
  // The selector runs on every store change (a selection, a drag): the same analysis, same view.
  if (prev?.info === info) return prev.view;
  const fresh = viewOf(info.node, info);
  const view = prev && prev.view.node === fresh.node && prev.view.key === fresh.key ? prev.view : fresh;
  views.set(id, { info, view });
  return view;
}

const portsKey = (info: NodeAnalysis | undefined): string =>
  info ? `${info.ports.map((p) => `${p.name}${p.optional ? '?' : ''}`).join(',')}>${info.outputs.map((p) => p.name).join(',')}` : '';

/** React Flow nodes for a document. `measured` keeps sizes React Flow measured, so it does not re-measure. */
export function deriveNodes(
  doc: ProjectDocument,
  analysis: GraphAnalysis,
  selection: Selection,
  measured: ReadonlyMap<string, { width: number; height: number }>,
  cache: FlowCache,
): BlockFlowNode[] {
  const selected = new Set(selection.nodes);
  const next = new Map<string, BlockFlowNode>();
  const out = doc.nodes.map((n) => {
    const prev = cache.nodes.get(n.id);
    const info = analysis.nodes.get(n.id);
    const isSelected = selected.has(n.id);
    const m = measured.get(n.id);
    const severity = severityOf(info?.diagnostics ?? []);
    const ports = portsKey(info);
    let rf: BlockFlowNode;
    if (
      prev &&
      prev.data.type === n.type &&
      prev.data.severity === severity &&
      prev.data.ports === ports &&
      prev.position === n.position &&
      Boolean(prev.selected) === isSelected &&
      prev.measured?.width === m?.width &&
      prev.measured?.height === m?.height
    ) {
      rf = prev;
    } else {
      rf = { id: n.id, type: 'block', position: n.position, data: { type: n.type, severity, ports }, selected: isSelected, ...(m ? { measured: m } : {}) };
    }
    next.set(n.id, rf);
    return rf;
  });
  cache.nodes = next;
  // Forget the views of deleted blocks.
  if (views.size > next.size) for (const id of views.keys()) if (!next.has(id)) views.delete(id);
  cache.nodeList = sameOr(cache.nodeList, out);
  return cache.nodeList;
}

/**
 * React Flow edges: each labelled with the shape it carries, and drawn along its routed path while
 * both of its blocks are where the layout that routed it put them (moved: a plain step).
 */
export function deriveEdges(
  doc: ProjectDocument,
  selection: Selection,
  cache: FlowCache,
  routes: Readonly<Record<string, WireRoute>> = {},
): ShapeFlowEdge[] {
  const selected = new Set(selection.edges);
  const next = new Map<string, ShapeFlowEdge>();
  const positions = Object.keys(routes).length ? new Map(doc.nodes.map((n) => [n.id, n.position])) : null;
  const nodesById = doc.edges.some((e) => e.sourcePort !== 'out') ? new Map(doc.nodes.map((n) => [n.id, n])) : null;
  const out = doc.edges.map((e) => {
    // A wire from a state port its block no longer has (Return state off) is drawn from `out`, so it
    // stays visible (red, with the block's diagnostic) instead of vanishing with its handle.
    const node = e.sourcePort === 'out' ? undefined : nodesById?.get(e.source);
    const def = node ? getBlock(node.type) : undefined;
    const sourceHandle = node && def && !def.outputs(node.params).some((p) => p.name === e.sourcePort) ? 'out' : e.sourcePort;
    const candidate = positions ? routes[e.id] : undefined;
    const sp = positions?.get(e.source);
    const tp = positions?.get(e.target);
    const route = candidate && sp && tp && samePoint(sp, candidate.source) && samePoint(tp, candidate.target) ? candidate : null;
    const isSelected = selected.has(e.id);
    const prev = cache.edges.get(e.id);
    let rf: ShapeFlowEdge;
    if (
      prev &&
      prev.source === e.source &&
      prev.sourceHandle === sourceHandle &&
      prev.target === e.target &&
      prev.targetHandle === e.targetPort &&
      prev.data?.route === route &&
      prev.data.sourcePort === e.sourcePort &&
      Boolean(prev.selected) === isSelected
    ) {
      rf = prev;
    } else {
      rf = { id: e.id, type: 'shape', source: e.source, sourceHandle, target: e.target, targetHandle: e.targetPort, selected: isSelected, data: { route, sourcePort: e.sourcePort } };
    }
    next.set(e.id, rf);
    return rf;
  });
  cache.edges = next;
  cache.edgeList = sameOr(cache.edgeList, out);
  return cache.edgeList;
}
