/**
 * Auto-layout (renderer/editor/layout.ts): top to bottom, wires routed beside blocks, every wire's
 * shape label placed clear of blocks, port labels and other labels; the bundled examples are saved
 * laid out, so they open with their routed wires.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProject } from '../../shared/graph/serialization.js';
import type { ProjectDocument } from '../../shared/graph/document.js';
import { getBlock } from '../../shared/blocks/registry.js';
import { blockSize, edgeLabelSize, isSidewaysLayout, layoutDocument, portFraction, routesIfLaidOut, PORT_LABEL_ROOM, type LayoutResult } from '../../renderer/editor/layout.js';
import { deriveEdges, edgeView, newFlowCache } from '../../renderer/canvas/flowModel.js';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { moveNodes, setParam } from '../../shared/graph/operations.js';
import { NO_SELECTION } from '../../renderer/editor/editorStore.js';

function example(name: string): ProjectDocument {
  const r = parseProject(readFileSync(new URL(`../../examples/${name}.layerloom`, import.meta.url), 'utf8'));
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.doc;
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}
const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/** Does the axis-parallel segment a→b pass through the inside of rect r (border excluded)? */
function crosses(a: { x: number; y: number }, b: { x: number; y: number }, r: Rect): boolean {
  const x0 = Math.min(a.x, b.x);
  const x1 = Math.max(a.x, b.x);
  const y0 = Math.min(a.y, b.y);
  const y1 = Math.max(a.y, b.y);
  return x1 > r.x + 1 && x0 < r.x + r.w - 1 && y1 > r.y + 1 && y0 < r.y + r.h - 1;
}

function blockRects(doc: ProjectDocument, layout: LayoutResult): Map<string, Rect> {
  return new Map(doc.nodes.map((n) => [n.id, { ...layout.positions[n.id], w: blockSize(n).width, h: blockSize(n).height }]));
}

describe.each(['resnet-mini', 'transformer-classifier', 'mnist-cnn', 'text-lstm', 'mlp'])('layout of %s', (name) => {
  it('routes every wire downwards, from the output port to the input port, through no other block', async () => {
    const doc = example(name);
    const layout = await layoutDocument(doc);
    const rects = blockRects(doc, layout);
    for (const e of doc.edges) {
      const route = layout.routes[e.id];
      expect(route, `${e.source} → ${e.target}`).toBeDefined();
      const pts = route.points;
      const src = rects.get(e.source)!;
      const dst = rects.get(e.target)!;
      // Leaves the source's bottom centre, enters the target's port on its top edge.
      expect(pts[0]).toEqual({ x: Math.round(src.x + src.w / 2), y: src.y + src.h });
      const target = doc.nodes.find((n) => n.id === e.target)!;
      const ports = getBlock(target.type)!.ports(target.params);
      const index = ports.findIndex((p) => p.name === e.targetPort);
      expect(pts[pts.length - 1]).toEqual({ x: dst.x + Math.round(portFraction(index, ports.length) * dst.w), y: dst.y });
      expect(pts[pts.length - 1].y).toBeGreaterThan(pts[0].y);
      for (let i = 1; i < pts.length; i++) {
        // Orthogonal, and never upwards.
        expect(pts[i].x === pts[i - 1].x || pts[i].y === pts[i - 1].y).toBe(true);
        expect(pts[i].y).toBeGreaterThanOrEqual(pts[i - 1].y);
        for (const [id, r] of rects) {
          if (id === e.source || id === e.target) continue;
          expect(crosses(pts[i - 1], pts[i], r), `${e.source} → ${e.target} crosses ${id}`).toBe(false);
        }
      }
    }
  });

  it('places every shape label clear of blocks, port labels and the other shape labels', async () => {
    const doc = example(name);
    const layout = await layoutDocument(doc);
    const analysis = analyzeGraph(doc);
    const labels: [string, Rect][] = [];
    const edges = deriveEdges(doc, NO_SELECTION, newFlowCache());
    for (const e of edges) {
      const c = layout.routes[e.id]?.label;
      expect(c, e.id).toBeTruthy();
      const size = edgeLabelSize(edgeView(analysis, e).compact);
      labels.push([e.id, { x: c!.x - size.width / 2, y: c!.y - size.height / 2, w: size.width, h: size.height }]);
    }
    const obstacles: [string, Rect][] = [];
    for (const n of doc.nodes) {
      const r = blockRects(doc, layout).get(n.id)!;
      obstacles.push([n.id, r]);
      const ports = getBlock(n.type)!.ports(n.params);
      // Port labels: above the block, from 7 px right of the port, up to the next port.
      if (ports.length > 1) ports.forEach((p, i) => obstacles.push([`${n.id}.${p.name}`, { x: r.x + portFraction(i, ports.length) * r.w + 7, y: r.y - PORT_LABEL_ROOM, w: 5.6 * p.label.length, h: PORT_LABEL_ROOM }]));
    }
    for (const [id, r] of labels) {
      for (const [other, o] of obstacles) expect(overlaps(r, o), `label of ${id} on ${other}`).toBe(false);
      for (const [other, o] of labels) if (other !== id) expect(overlaps(r, o), `label of ${id} on label of ${other}`).toBe(false);
    }
  });
});

describe('bundled examples and routes', () => {
  it('are saved as auto-layout leaves them, so they open with routed wires', async () => {
    for (const name of ['resnet-mini', 'transformer-classifier', 'mnist-cnn']) {
      const routes = await routesIfLaidOut(example(name));
      expect(routes, name).not.toBeNull();
    }
  });

  it('gives no routes for a document whose blocks were moved', async () => {
    const doc = example('mnist-cnn');
    const moved = moveNodes(doc, { [doc.nodes[3].id]: { x: doc.nodes[3].position.x + 40, y: doc.nodes[3].position.y } });
    expect(await routesIfLaidOut(moved)).toBeNull();
  });

  it('draws a moved block’s wires as plain steps, the others along their routes', async () => {
    const doc = example('resnet-mini');
    const { routes } = await layoutDocument(doc);
    const moved = moveNodes(doc, { b1_bn1: { x: 600, y: 900 } });
    const edges = deriveEdges(moved, NO_SELECTION, newFlowCache(), routes);
    for (const e of edges) {
      const touches = e.source === 'b1_bn1' || e.target === 'b1_bn1';
      expect(e.data?.route === null, e.id).toBe(touches);
    }
  });
});

describe('canvas model on an edit', () => {
  it('keeps the edge array when an edit changes only the shapes wires carry, and the wires read the new shapes', () => {
    const doc = example('mnist-cnn');
    const cache = newFlowCache();
    const before = deriveEdges(doc, NO_SELECTION, cache);
    const dense = doc.nodes.find((n) => n.type === 'Conv2D')!;
    const edited = setParam(doc, dense.id, 'filters', 7);
    const after = deriveEdges(edited, NO_SELECTION, cache);
    // Same array: React Flow rebuilds its connection lookups for every wire when it changes.
    expect(after).toBe(before);
    const out = doc.edges.find((e) => e.source === dense.id)!;
    expect(edgeView(analyzeGraph(doc), out).compact).not.toBe(edgeView(analyzeGraph(edited), out).compact);
    expect(edgeView(analyzeGraph(edited), out).compact).toMatch(/×7$/);
    // A new connection does change it.
    const cut = deriveEdges({ ...edited, edges: edited.edges.slice(1) }, NO_SELECTION, cache);
    expect(cut).not.toBe(before);
  });
});

describe('projects laid out left to right', () => {
  it('are told apart from top-down ones, so the app can offer auto-layout when one opens', async () => {
    for (const name of ['mlp', 'mnist-cnn', 'resnet-mini', 'transformer-classifier', 'text-lstm']) expect(isSidewaysLayout(example(name)), name).toBe(false);
    // The same graphs as an older version laid them out: a row, left to right.
    for (const name of ['mnist-cnn', 'resnet-mini']) {
      const doc = example(name);
      const row = moveNodes(doc, Object.fromEntries(doc.nodes.map((n, i) => [n.id, { x: i * 260, y: (i % 2) * 40 }])));
      expect(isSidewaysLayout(row), name).toBe(true);
      // Auto-layout puts it right.
      const { positions } = await layoutDocument(row);
      expect(isSidewaysLayout(moveNodes(row, positions)), name).toBe(false);
    }
  });
});
