/**
 * Auto-layout with ELK's layered algorithm, top to bottom, the way Netron and Deep Network Designer
 * draw a network: inputs at the top, one layer per row, no wrapping. ELK also routes every wire
 * orthogonally (its edge sections), so a skip connection runs in its own lane beside the blocks
 * instead of through them, and places each wire's shape label where no block or other label is.
 *
 * Block sizes come from `blockSize` (the canvas draws blocks at exactly that size), never from
 * measurements: the same document gets the same layout in the app, in the CLI and in
 * `npm run gen`, which is what lets a project opened from disk get its routed wires back.
 *
 * Runs in the browser and in Node (scripts/makeExamples.ts); DOM-free.
 */
import { OPAQUE_LAYER_TYPE } from '../../shared/graph/opaqueLayer.js';
import type ELKConstructor from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode, ElkPort } from 'elkjs/lib/elk-api.js';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { getBlock } from '../../shared/blocks/registry.js';
import { formatShapeCompact } from '../../shared/blocks/shapeUtils.js';
import type { GraphNode, Position, ProjectDocument } from '../../shared/graph/document.js';
import { keyParams } from '../canvas/blockStyle.js';

/** A node's size on the canvas. */
export interface Size {
  readonly width: number;
  readonly height: number;
}

/** Width of every block. */
export const BLOCK_WIDTH = 208;
// Heights of a block's parts (renderer/styles/app.css pins them): border, type row, name row,
// footer; each parameter row, the gap between rows and the padding under them.
const BLOCK_BASE_HEIGHT = 2 + 27 + 26 + 30;
const PARAM_ROW = 16;
const PARAM_GAP = 2;
const PARAMS_PAD = 8;

/** The parameter rows a block shows (its activation shows in its header instead). */
export function blockRows(node: Pick<GraphNode, 'type' | 'params'>): { label: string; value: string }[] {
  const def = getBlock(node.type);
  if (def?.role === 'output') return [];
  // An imported layer kept as it was: its Keras class says what it is (the config is JSON, not a row).
  if (node.type === OPAQUE_LAYER_TYPE) return [{ label: 'Keras class', value: String(node.params.keras_class) }];
  return keyParams(def, node.params, def?.role === 'input' ? 2 : 3);
}

/** The size a block is drawn at (BlockNode sets it; layout reserves it). */
export function blockSize(node: Pick<GraphNode, 'type' | 'params'>): Size {
  const rows = blockRows(node).length;
  return { width: BLOCK_WIDTH, height: BLOCK_BASE_HEIGHT + (rows ? rows * PARAM_ROW + (rows - 1) * PARAM_GAP + PARAMS_PAD : 0) };
}

/** Size used for a block not in the document yet (quick-add placement). */
export const DEFAULT_NODE_SIZE: Size = { width: BLOCK_WIDTH, height: BLOCK_BASE_HEIGHT + 3 * PARAM_ROW + 2 * PARAM_GAP + PARAMS_PAD };

/** Horizontal position of input port `index` of `count` on a block's top edge (fraction of the width). */
export function portFraction(index: number, count: number): number {
  return (index + 1) / (count + 1);
}

/** Room above a block with named ports for their labels (drawn above the top edge). */
export const PORT_LABEL_ROOM = 16;

/** Size of a wire's shape label: monospace 11px, 6px padding each side, 1px border. */
export function edgeLabelSize(text: string): Size {
  return { width: Math.ceil(text.length * 6.7) + 14, height: 18 };
}

/** A wire as ELK routed it, and the blocks' positions it was routed for. */
export interface EdgeRoute {
  /** Start (the source's output port), bend points, end (the target's input port). */
  readonly points: readonly Position[];
  /** Centre of the shape label, where ELK placed it. */
  readonly label: Position | null;
  /** Positions of the source and the target the route is valid for. */
  readonly source: Position;
  readonly target: Position;
}

/** The result of a layout: block positions (top-left) and a route per wire. */
export interface LayoutResult {
  readonly positions: Record<string, Position>;
  readonly routes: Record<string, EdgeRoute>;
}

// ELK is large (~1.5 MB); it loads on the first layout rather than with the app.
let elk: InstanceType<typeof ELKConstructor> | null = null;

/** ELK in a Web Worker (in the app), so a layout never freezes the window. */
interface ElkWorkerClient {
  worker: Worker;
  next: number;
  pending: Map<number, { resolve(r: ElkNode): void; reject(e: Error): void }>;
}
let elkWorker: ElkWorkerClient | null | 'unavailable' = null;

async function workerClient(): Promise<ElkWorkerClient | null> {
  if (elkWorker === 'unavailable') return null;
  if (elkWorker) return elkWorker;
  // Node (the CLI's layout of imported graphs, scripts, unit tests) has no Web Worker: same ELK, in-thread.
  if (typeof window === 'undefined' || typeof Worker === 'undefined') {
    elkWorker = 'unavailable';
    return null;
  }
  try {
    const { default: ElkWorker } = await import('./elk.worker.ts?worker');
    const client: ElkWorkerClient = { worker: new ElkWorker(), next: 1, pending: new Map() };
    client.worker.onmessage = (e: MessageEvent<{ id: number; result?: ElkNode; error?: string }>) => {
      const p = client.pending.get(e.data.id);
      if (!p) return;
      client.pending.delete(e.data.id);
      if (e.data.result) p.resolve(e.data.result);
      else p.reject(new Error(e.data.error ?? 'Layout failed.'));
    };
    // A worker that cannot start (or dies) fails what it was asked; later layouts run in-thread.
    client.worker.onerror = (e) => {
      e.preventDefault();
      elkWorker = 'unavailable';
      for (const p of client.pending.values()) p.reject(new WorkerFailed(e.message || 'The layout worker stopped.'));
      client.pending.clear();
    };
    elkWorker = client;
    return client;
  } catch {
    elkWorker = 'unavailable';
    return null;
  }
}

class WorkerFailed extends Error {}

async function runElk(graph: ElkNode): Promise<ElkNode> {
  const client = await workerClient();
  if (client) {
    try {
      return await new Promise<ElkNode>((resolve, reject) => {
        const id = client.next++;
        client.pending.set(id, { resolve, reject });
        client.worker.postMessage({ id, graph });
      });
    } catch (e) {
      if (!(e instanceof WorkerFailed)) throw e;
    }
  }
  if (!elk) {
    const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
    elk = new ELK();
  }
  return elk.layout(graph);
}

const LAYOUT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.spacing.nodeNodeBetweenLayers': '24',
  'elk.layered.spacing.edgeNodeBetweenLayers': '10',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '14',
  'elk.spacing.nodeNode': '48',
  'elk.spacing.edgeNode': '36',
  'elk.spacing.edgeEdge': '20',
  'elk.spacing.edgeLabel': '4',
  'elk.spacing.labelLabel': '6',
  // Straight chains: a block sits right under the one that feeds it.
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.layered.nodePlacement.bk.fixedAlignment': 'BALANCED',
  // Keep the document's order among siblings, so a re-layout does not shuffle branches.
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.edgeLabels.sideSelection': 'ALWAYS_DOWN',
  'elk.padding': '[top=24,left=24,bottom=24,right=24]',
};

const portId = (nodeId: string, port: string) => `${nodeId}\u0000${port}`;
const round = (p: { x: number; y: number }): Position => ({ x: Math.round(p.x), y: Math.round(p.y) });

/** Block positions and wire routes for a document. */
export async function layoutDocument(doc: Pick<ProjectDocument, 'nodes' | 'edges'>): Promise<LayoutResult> {
  if (doc.nodes.length === 0) return { positions: {}, routes: {} };
  const analysis = analyzeGraph(doc);
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const portNames = new Map<string, readonly string[]>();
  const outputNames = new Map<string, readonly string[]>();
  const children: ElkNode[] = doc.nodes.map((n) => {
    const def = getBlock(n.type);
    const size = blockSize(n);
    const names = def ? def.ports(n.params).map((p) => p.name) : [...new Set(doc.edges.filter((e) => e.target === n.id).map((e) => e.targetPort))];
    portNames.set(n.id, names);
    const ports: ElkPort[] = names.map((name, i) => ({
      id: portId(n.id, name),
      x: Math.round(portFraction(i, names.length) * size.width),
      y: 0,
      width: 0,
      height: 0,
      layoutOptions: { 'elk.port.side': 'NORTH', 'elk.port.index': String(i) },
    }));
    // Output ports along the bottom edge, spaced as the block draws them (one: the middle).
    const outs = def?.role === 'output' ? [] : def ? def.outputs(n.params).map((p) => p.name) : ['out'];
    outputNames.set(n.id, outs);
    outs.forEach((name, i) =>
      ports.push({ id: portId(n.id, name), x: Math.round(portFraction(i, outs.length) * size.width), y: size.height, width: 0, height: 0, layoutOptions: { 'elk.port.side': 'SOUTH', 'elk.port.index': String(i) } }),
    );
    // Port labels sit above the block (inputs) and below it (outputs): keep wires' labels out of those strips.
    const top = names.length > 1 ? PORT_LABEL_ROOM : 0;
    const bottom = outs.length > 1 ? PORT_LABEL_ROOM : 0;
    return {
      id: n.id,
      ...size,
      ports,
      layoutOptions: {
        'elk.portConstraints': 'FIXED_POS',
        ...(top || bottom ? { 'elk.margins': `[top=${top},left=0,bottom=${bottom},right=0]` } : {}),
      },
    };
  });
  const edges: ElkExtendedEdge[] = doc.edges
    .filter((e) => byId.has(e.source) && byId.has(e.target) && (portNames.get(e.target) ?? []).includes(e.targetPort))
    .map((e) => {
      const text = formatShapeCompact(analysis.nodes.get(e.source)?.outputShapes.get(e.sourcePort) ?? null);
      // A wire from a port its block no longer has (Return state off) starts at `out` here.
      const from = (outputNames.get(e.source) ?? []).includes(e.sourcePort) ? e.sourcePort : 'out';
      return {
        id: e.id,
        sources: [portId(e.source, from)],
        targets: [portId(e.target, e.targetPort)],
        labels: [{ id: `${e.id}\u0000label`, text, ...edgeLabelSize(text), layoutOptions: { 'elk.edgeLabels.placement': 'CENTER' } }],
      };
    });
  const result = await runElk({ id: 'root', layoutOptions: LAYOUT_OPTIONS, children, edges });
  const positions: Record<string, Position> = {};
  for (const child of result.children ?? []) positions[child.id] = round({ x: child.x ?? 0, y: child.y ?? 0 });
  const routes: Record<string, EdgeRoute> = {};
  for (const e of result.edges ?? []) {
    const section = e.sections?.[0];
    const edge = doc.edges.find((x) => x.id === e.id);
    if (!section || !edge || e.sections?.length !== 1) continue;
    const source = positions[edge.source];
    const target = positions[edge.target];
    if (!source || !target) continue;
    const label = e.labels?.[0];
    routes[e.id] = {
      points: [section.startPoint, ...(section.bendPoints ?? []), section.endPoint].map(round),
      label: label && label.x !== undefined && label.y !== undefined ? round({ x: label.x + (label.width ?? 0) / 2, y: label.y + (label.height ?? 0) / 2 }) : null,
      source,
      target,
    };
  }
  return { positions, routes };
}

/**
 * The routes of a document whose blocks are where ELK would put them (a project laid out and
 * saved, a bundled example): null when any block has moved since, or the graph is too large to
 * lay out just to draw its wires.
 */
export async function routesIfLaidOut(doc: Pick<ProjectDocument, 'nodes' | 'edges'>, maxNodes = 150): Promise<Record<string, EdgeRoute> | null> {
  if (doc.nodes.length === 0 || doc.nodes.length > maxNodes) return null;
  const { positions, routes } = await layoutDocument(doc);
  for (const n of doc.nodes) {
    const p = positions[n.id];
    if (!p || p.x !== n.position.x || p.y !== n.position.y) return null;
  }
  return routes;
}

/**
 * Whether a document's blocks run sideways (an older project laid out left to right): most wires
 * go to a block beside or above their source rather than below it. Blocks connect top to bottom
 * (outputs at the bottom edge, inputs at the top), so such a layout draws wires that loop round
 * the blocks until auto-layout places them top to bottom.
 */
export function isSidewaysLayout(doc: Pick<ProjectDocument, 'nodes' | 'edges'>): boolean {
  if (doc.edges.length < 2) return false;
  const at = new Map(doc.nodes.map((n) => [n.id, { position: n.position, height: blockSize(n).height }]));
  let sideways = 0;
  for (const e of doc.edges) {
    const s = at.get(e.source);
    const t = at.get(e.target);
    // Below means the target's top is under the source's bottom edge, where its output port is.
    if (s && t && t.position.y < s.position.y + s.height) sideways++;
  }
  return sideways * 2 > doc.edges.length;
}
