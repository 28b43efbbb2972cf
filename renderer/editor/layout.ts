/**
 * Auto-layout with ELK's layered algorithm, left to right, the way data flows through a network.
 * Returns positions only; the caller applies them as one undoable command.
 */
import type ELKConstructor from 'elkjs/lib/elk.bundled.js';
import type { ElkNode } from 'elkjs/lib/elk-api.js';
import type { Position, ProjectDocument } from '../../shared/graph/document.js';

/** A node's size on the canvas. */
export interface Size {
  readonly width: number;
  readonly height: number;
}

/** Size used for blocks that have not been drawn yet. */
export const DEFAULT_NODE_SIZE: Size = { width: 208, height: 110 };

// ELK is large (~1.5 MB); it loads on the first layout rather than with the app.
let elk: InstanceType<typeof ELKConstructor> | null = null;

/** Layered positions for every node (top-left corners). */
export async function layoutPositions(
  doc: Pick<ProjectDocument, 'nodes' | 'edges'>,
  sizeOf: (id: string) => Size = () => DEFAULT_NODE_SIZE,
  options: { aspectRatio?: number } = {},
): Promise<Record<string, Position>> {
  if (doc.nodes.length === 0) return {};
  if (!elk) {
    const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
    elk = new ELK();
  }
  const ids = new Set(doc.nodes.map((n) => n.id));
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      // Room for the shape label on each connection.
      'elk.layered.spacing.nodeNodeBetweenLayers': '150',
      'elk.spacing.nodeNode': '40',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.layered.crossingMinimization.semiInteractive': 'true',
      'elk.edgeRouting': 'SPLINES',
      // A long chain (a deep CNN) wraps into rows that fit the window instead of one thin strip
      // that is unreadable when zoomed to fit.
      'elk.layered.wrapping.strategy': 'MULTI_EDGE',
      'elk.layered.wrapping.additionalEdgeSpacing': '40',
      'elk.aspectRatio': String(options.aspectRatio ?? 1.6),
    },
    children: doc.nodes.map((n) => ({ id: n.id, ...sizeOf(n.id) })),
    edges: doc.edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  };
  const result = await elk.layout(graph);
  const positions: Record<string, Position> = {};
  for (const child of result.children ?? []) positions[child.id] = { x: Math.round(child.x ?? 0), y: Math.round(child.y ?? 0) };
  return positions;
}
