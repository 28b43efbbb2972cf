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

test('the first block dropped on a blank project keeps the zoom and lands where it was dropped', async ({ app, page }) => {
  const ll = () => page.evaluate(() => (globalThis as unknown as { __layerloom: { ui: { getState(): { zoom: number } } } }).__layerloom.ui.getState().zoom);
  // A blank project, as a user starts one (the start screen, or emptying the canvas).
  const blank = page.getByTestId('start-blank');
  if (await blank.isVisible().catch(() => false)) await blank.click();
  const canvas = page.getByTestId('canvas');
  await canvas.click({ position: { x: 12, y: 12 } });
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Delete');
  await expect.poll(async () => (await app.doc()).nodes.length).toBe(0);
  await page.keyboard.press('f'); // Zoom to fit, with nothing to fit.
  await app.settle();
  for (let i = 0; i < 2; i++) {
    await page.evaluate(() => (globalThis as unknown as { __layerloom: { canvas(): { zoomOut(): void } } }).__layerloom.canvas().zoomOut());
    await page.waitForTimeout(250);
  }
  await app.settle();
  const zoom = await ll();
  expect(zoom).toBeLessThan(0.9);
  const box = (await canvas.boundingBox())!;
  const at = { x: box.width * 0.3, y: box.height * 0.3 };
  await app.dragBlock('Dense', at);
  await expect.poll(async () => (await app.doc()).nodes.length).toBe(1);
  await app.settle();
  expect(await ll()).toBeCloseTo(zoom, 5);
  // The block's top centre is under the drop point, not re-centred in the view.
  const id = (await app.doc()).nodes[0].id;
  const drawn = (await page.locator(`.react-flow__node[data-id="${id}"]`).boundingBox())!;
  expect(Math.abs(drawn.x + drawn.width / 2 - (box.x + at.x))).toBeLessThan(40);
});

/** The tutorial CNN (tensorflow.org/tutorials/images/cnn), block by block, top to bottom. */
const TUTORIAL = ['Input', 'Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Conv2D', 'Flatten', 'Dense', 'Dense', 'Output'];

test('build the tutorial CNN by mouse: every one of its 9 wires shows its shape', async ({ app, page }) => {
  await page.setViewportSize({ width: 1920, height: 1080 });
  // A blank project (from the start screen, when it shows).
  const blank = page.getByTestId('start-blank');
  if (await blank.isVisible().catch(() => false)) await blank.click();
  const canvas = page.getByTestId('canvas');
  await canvas.click({ position: { x: 12, y: 12 } });
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Delete');
  await expect.poll(async () => (await app.doc()).nodes.length).toBe(0);
  // Zoomed out a little, so two columns of five blocks fit.
  await page.evaluate(() => {
    const ll = (globalThis as unknown as { __layerloom: { canvas(): { fitView(): void } } }).__layerloom;
    ll.canvas().fitView();
  });
  await app.settle();
  for (let i = 0; i < 3; i++) {
    await page.evaluate(() => (globalThis as unknown as { __layerloom: { canvas(): { zoomOut(): void } } }).__layerloom.canvas().zoomOut());
    await page.waitForTimeout(250);
  }
  await app.settle();
  await expect.poll(() => page.evaluate(() => (globalThis as unknown as { __layerloom: { ui: { getState(): { zoom: number } } } }).__layerloom.ui.getState().zoom)).toBeLessThan(0.75);
  const box = (await canvas.boundingBox())!;
  for (const [i, type] of TUTORIAL.entries()) {
    const column = Math.floor(i / 5);
    await app.dragBlock(type, { x: box.width * (0.28 + 0.4 * column), y: 70 + (i % 5) * ((box.height - 120) / 5) });
    await expect.poll(async () => (await app.doc()).nodes.length).toBe(i + 1);
  }
  const doc = await app.doc();
  const ids = doc.nodes.map((n) => n.id);
  const label = (i: number) => doc.nodes[i].label;
  for (let i = 0; i + 1 < ids.length; i++) await app.connect(label(i), label(i + 1));
  await expect.poll(async () => (await app.doc()).edges.length).toBe(9);

  // The tutorial's sizes: 64 filters in the 2nd and 3rd convolutions, 10 classes.
  for (const i of [3, 5]) {
    await app.select(label(i));
    await app.setParam('filters', '64');
  }
  await app.select(label(8));
  await app.setParam('units', '10');
  await page.locator(`[data-testid=inspector] [data-param="activation"] select`).selectOption('softmax');
  await page.locator('body').press('Escape');
  await expect(page.getByTestId('status-params')).toHaveText('93,322 params');

  const labels = app.edgeLabels();
  await expect(labels).toHaveCount(9);
  for (let i = 0; i < 9; i++) await expect(labels.nth(i)).toBeVisible();
  const texts = await labels.allTextContents();
  expect([...texts].sort()).toEqual(['28×28×1', '26×26×32', '13×13×32', '11×11×64', '5×5×64', '3×3×64', '576', '64', '10'].sort());
  // No label on another label or on a block.
  const rects = await labels.evaluateAll((els) => els.map((el) => el.getBoundingClientRect().toJSON() as { x: number; y: number; width: number; height: number }));
  const blocks = await page.locator('.react-flow__node').evaluateAll((els) => els.map((el) => el.getBoundingClientRect().toJSON() as { x: number; y: number; width: number; height: number }));
  const hit = (a: { x: number; y: number; width: number; height: number }, b: typeof a) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  rects.forEach((r, i) => {
    rects.forEach((o, j) => expect(i !== j && hit(r, o), `label ${texts[i]} on label ${texts[j]}`).toBe(false));
    for (const b of blocks) expect(hit(r, b), `label ${texts[i]} on a block`).toBe(false);
  });
  // Hover shows the full Keras shape.
  await labels.filter({ hasText: '26×26×32' }).hover();
  await expect(page.locator('.ll-edge-label.full')).toHaveText('(None, 26, 26, 32)');
  await app.shot('tutorial-cnn-by-mouse');
});

test('splice by quick-add and by dropping on a wire; the palette offers only blocks that take a dragged wire', async ({ app, page }) => {
  await app.newFromTemplate('mnist-cnn');
  const dense = await app.labelOf('dense1');
  const predictions = await app.labelOf('dense2');
  await focus(page, 'dense1');
  await app.select(dense);
  await page.locator('body').press('a');
  const quick = page.getByRole('dialog', { name: 'Add block' });
  await quick.getByRole('textbox').fill('drop');
  await quick.getByRole('textbox').press('Enter');
  await expect(app.node('dropout')).toBeVisible();
  let doc = await app.doc();
  const dropout = doc.nodes.find((n) => n.type === 'Dropout')!;
  expect(doc.edges.filter((e) => e.source === 'dense1').map((e) => e.target)).toEqual([dropout.id]);
  expect(doc.edges.filter((e) => e.target === 'dense2').map((e) => e.source)).toEqual([dropout.id]);
  // Drawn between the two, overlapping neither (zoomed to fit, so all three are drawn).
  await page.keyboard.press('f');
  await app.settle();
  const a = (await app.node(dense).boundingBox())!;
  const m = (await app.node('dropout').boundingBox())!;
  const b = (await app.node(predictions).boundingBox())!;
  expect(m.y).toBeGreaterThan(a.y + a.height);
  expect(b.y).toBeGreaterThan(m.y + m.height);
  await app.shot('spliced-by-quick-add');

  // Drag a BatchNormalization over the wire from the Dropout: the wire lights up; drop splices.
  const wire = doc.edges.length;
  await focus(page, dropout.id);
  const edgeId = (await app.doc()).edges.find((e) => e.source === dropout.id)!.id;
  const mid = await page.evaluate((id) => {
    const path = document.querySelector<SVGPathElement>(`.react-flow__edge[data-id="${id}"] path.react-flow__edge-path`)!;
    const p = path.getPointAtLength(path.getTotalLength() / 2);
    const q = new DOMPoint(p.x, p.y).matrixTransform(path.getScreenCTM()!);
    return { x: q.x, y: q.y };
  }, edgeId);
  // The drag events a palette drag sends, at the wire's middle.
  const dragAt = (type: 'dragover' | 'drop') =>
    page.evaluate(
      ({ x, y, type }) => {
        const dt = new DataTransfer();
        dt.setData('application/x-layerloom-block', 'BatchNormalization');
        document.elementFromPoint(x, y)!.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, clientX: x, clientY: y, dataTransfer: dt }));
      },
      { ...mid, type },
    );
  await dragAt('dragover');
  await expect(page.locator(`.react-flow__edge.ll-drop-target[data-id="${edgeId}"]`)).toHaveCount(1);
  await app.shot('wire-lit-under-a-dragged-block');
  await dragAt('drop');
  await expect.poll(async () => (await app.doc()).edges.length).toBe(wire + 1);
  doc = await app.doc();
  const bn = doc.nodes.find((n) => n.type === 'BatchNormalization')!;
  expect(doc.edges.filter((e) => e.source === dropout.id).map((e) => e.target)).toEqual([bn.id]);
  expect(doc.edges.filter((e) => e.target === 'dense2').map((e) => e.source)).toEqual([bn.id]);
  await expect(page.locator('.ll-drop-target')).toHaveCount(0);

  // Drag a wire out of the Flatten: the palette lists only blocks that take a 576-vector.
  await focus(page, 'flatten');
  const handle = (await app.node(await app.labelOf('flatten')).locator('.react-flow__handle.source').boundingBox())!;
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  await page.mouse.move(handle.x + 260, handle.y + 60, { steps: 8 });
  await expect(page.getByTestId('palette-accepting')).toContainText('576');
  await expect(page.locator('.ll-palette-item[data-block-type="Dense"]')).toBeVisible();
  await expect(page.locator('.ll-palette-item[data-block-type="Conv2D"]')).toHaveCount(0);
  await app.shot('palette-while-dragging-a-wire');
  await page.mouse.up();
  await expect(page.getByTestId('palette-accepting')).toBeHidden();
  await expect(quick).toBeVisible();
  await expect(quick.locator('li[role=option]').filter({ hasText: 'Conv2D' })).toHaveCount(0);
  await page.keyboard.press('Escape');

  // Palette search: an alias, Enter adds the first hit after the selection.
  await focus(page, 'dense2');
  await app.select(predictions);
  await page.getByRole('textbox', { name: 'Search blocks' }).first().fill('sigmoid');
  await expect(page.locator('.ll-palette-item').first()).toHaveAttribute('data-block-type', 'Activation');
  await page.getByRole('textbox', { name: 'Search blocks' }).first().press('Enter');
  await expect.poll(async () => (await app.doc()).nodes.some((n) => n.type === 'Activation')).toBe(true);
});

test('a project laid out left to right opens with an offer to auto-layout it, which puts its blocks top to bottom', async ({ app, page }, testInfo) => {
  // An mnist-cnn as older versions laid it out: one row, left to right.
  const { readFile, writeFile } = await import('node:fs/promises');
  const doc = JSON.parse(await readFile(new URL('../../examples/mnist-cnn.layerloom', import.meta.url), 'utf8')) as { nodes: { position: { x: number; y: number } }[] };
  doc.nodes.forEach((n, i) => (n.position = { x: i * 260, y: (i % 2) * 40 }));
  const path = testInfo.outputPath('sideways.layerloom');
  await writeFile(path, JSON.stringify(doc, null, 2));
  await app.openPath(path);
  const notice = page.locator('.ll-toast', { hasText: 'laid out left to right' });
  await expect(notice).toBeVisible();
  await app.shot('sideways-notice');
  await notice.getByRole('button', { name: 'Auto-layout' }).click();
  await expect.poll(() => page.locator('.ll-edge.routed').count()).toBeGreaterThan(0);
  await app.settle();
  const positions = await page.evaluate(() => (globalThis as unknown as { __layerloom: { editor: { doc: { nodes: { position: { y: number } }[] } } } }).__layerloom.editor.doc.nodes.map((n) => n.position.y));
  // Top to bottom now: each block of this chain sits below the one before.
  for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeGreaterThan(positions[i - 1]);
  // One undo step puts the row back.
  await app.undo();
  const back = await page.evaluate(() => (globalThis as unknown as { __layerloom: { editor: { doc: { nodes: { position: { x: number } }[] } } } }).__layerloom.editor.doc.nodes.map((n) => n.position.x));
  expect(back).toEqual(doc.nodes.map((n) => n.position.x));
});
