/// <reference lib="dom" />
/**
 * The canvas as Netron or Deep Network Designer draw a network (issue 14): auto-layout top to
 * bottom with wires routed beside blocks, a shape label on every wire, activations and optional
 * ports on the blocks, and splicing blocks into wires. Geometry is checked on what the browser drew
 * (the SVG paths and the block boxes), not on the document.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';

/** Screen geometry of every drawn block and wire: wires sampled along their SVG path. */
function drawnGeometry(page: Page) {
  return page.evaluate(() => {
    const hook = (globalThis as unknown as { __layerloom: { editor: { doc: { edges: { id: string; source: string; target: string }[] } } } }).__layerloom;
    const blocks = Array.from(document.querySelectorAll<HTMLElement>('.react-flow__node')).map((el) => {
      const r = el.getBoundingClientRect();
      return { id: el.dataset.id ?? '', x: r.x, y: r.y, w: r.width, h: r.height };
    });
    const wires = hook.editor.doc.edges.map((e) => {
      const path = document.querySelector<SVGPathElement>(`.react-flow__edge[data-id="${e.id}"] path.react-flow__edge-path`);
      if (!path) return { ...e, points: [] as { x: number; y: number }[] };
      const m = path.getScreenCTM();
      const len = path.getTotalLength();
      const points: { x: number; y: number }[] = [];
      for (let s = 0; s <= len; s += 2) {
        const p = path.getPointAtLength(s);
        const q = m ? new DOMPoint(p.x, p.y).matrixTransform(m) : p;
        points.push({ x: q.x, y: q.y });
      }
      return { ...e, points };
    });
    return { blocks, wires };
  });
}

/** Centres the view on a block (as the Problems panel does). */
async function focus(page: Page, id: string): Promise<void> {
  await page.evaluate((nodeId) => (globalThis as unknown as { __layerloom: { canvas(): { focusNode(id: string): void } } }).__layerloom.canvas().focusNode(nodeId), id);
  await page.waitForTimeout(400);
}

async function layOut(app: { settle(): Promise<void> }, page: Page): Promise<void> {
  await page.getByTestId('canvas').click({ position: { x: 12, y: 12 } });
  await page.keyboard.press('Shift+L');
  await expect.poll(() => page.locator('.ll-edge.routed').count()).toBeGreaterThan(0);
  await app.settle();
}

test('auto-layout of resnet-mini: every wire points down and crosses no block it does not connect', async ({ app, page }) => {
  await app.newFromTemplate('resnet-mini');
  // Scramble the blocks, then lay out: the layout, not the file, must produce the picture.
  await page.evaluate(() => {
    const ll = (globalThis as unknown as { __layerloom: { editor: { doc: { nodes: { id: string }[] } }; run(editor: unknown, id: string, args: unknown): void } }).__layerloom;
    const positions: Record<string, { x: number; y: number }> = {};
    ll.editor.doc.nodes.forEach((n, i) => (positions[n.id] = { x: (i % 5) * 260, y: Math.floor(i / 5) * 200 }));
    ll.run(ll.editor, 'graph.move', { positions });
  });
  await layOut(app, page);
  // Zoom to fit, so every block and wire is drawn.
  await page.keyboard.press('f');
  await app.settle();
  const { blocks, wires } = await drawnGeometry(page);
  expect(blocks.length).toBe(21);
  expect(wires.length).toBe(22);
  for (const w of wires) {
    expect(w.points.length, `${w.source} → ${w.target} is drawn`).toBeGreaterThan(2);
    const first = w.points[0];
    const last = w.points[w.points.length - 1];
    expect(last.y, `${w.source} → ${w.target} points down`).toBeGreaterThan(first.y);
    for (let i = 1; i < w.points.length; i++) expect(w.points[i].y, `${w.source} → ${w.target} never climbs`).toBeGreaterThanOrEqual(w.points[i - 1].y - 0.5);
    for (const b of blocks) {
      if (b.id === w.source || b.id === w.target) continue;
      const inside = w.points.find((p) => p.x > b.x + 1 && p.x < b.x + b.w - 1 && p.y > b.y + 1 && p.y < b.y + b.h - 1);
      expect(inside, `${w.source} → ${w.target} crosses ${b.id}`).toBeUndefined();
    }
  }
  await expect(page.locator('.ll-edge.routed')).toHaveCount(22);
  // Moving a block turns its wires back into plain steps; undo brings the routes back.
  await page.evaluate(() => {
    const ll = (globalThis as unknown as { __layerloom: { editor: unknown; run(editor: unknown, id: string, args: unknown): void } }).__layerloom;
    ll.run(ll.editor, 'graph.move', { positions: { b1_bn1: { x: 900, y: 900 } } });
  });
  await expect(page.locator('.ll-edge.routed')).toHaveCount(20);
  await app.undo();
  await expect(page.locator('.ll-edge.routed')).toHaveCount(22);
});

for (const size of [
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
]) {
  test(`screenshots at ${size.width}×${size.height}: resnet-mini laid out, transformer with attention ports`, async ({ app, page }) => {
    await page.setViewportSize(size);
    await app.newFromTemplate('resnet-mini');
    await layOut(app, page);
    await app.shot(`resnet-mini-${size.width}`);
    await focus(page, 'b1_add');
    await app.select('block1_add');
    await app.shot(`resnet-mini-block-${size.width}`);
    await page.keyboard.press('f');
    await app.settle();
    await app.shot(`resnet-mini-fit-${size.width}`);
    await app.newFromTemplate('transformer-classifier');
    await app.settle();
    await app.shot(`transformer-${size.width}`);
    await focus(page, 'mha');
    await app.select('self_attention');
    await app.shot(`transformer-attention-${size.width}`);
    await expect(app.node('self_attention').locator('[data-port="key"]')).toHaveAttribute('data-optional', 'true');
    await expect(app.node('self_attention').getByTestId('port-label').filter({ hasText: 'optional' })).toBeVisible();
  });
}
