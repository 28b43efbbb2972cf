/**
 * Recurrent states on the canvas: an LSTM with Return state shows one labelled output handle per
 * port (out, h, c); wires dragged from h and c into the decoder's h0 and c0 ports carry (None, 32)
 * each; turning Return state off keeps the wires and names the fix on the decoder; undo, redo and
 * copy/paste keep each wire's port. Screenshots at 1280×800 and 1920×1080.
 */
import { expect, test } from './fixtures.js';

test('wire an encoder LSTM’s final states into a decoder, see each wire’s shape, undo and paste keep the ports', async ({ app, page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await app.openFixture('seq2seq');
  await page.locator('body').press('Control+j');
  await page.locator('body').press('Shift+1');
  await app.settle();

  const encoder = app.node('encoder');
  await expect(encoder.locator('.react-flow__handle.source')).toHaveCount(3);
  await expect(encoder.getByTestId('output-port-label')).toHaveText(['out', 'h', 'c']);
  await expect(app.node('decoder').locator('.react-flow__handle.target')).toHaveCount(3);
  await expect(app.badge('decoder')).toBeVisible();

  await app.connect('encoder', 'decoder', 'initial_h', 'h');
  await app.connect('encoder', 'decoder', 'initial_c', 'c');
  const wires = async () => (await app.doc()).edges.filter((e) => e.source === 'enc').map((e) => `${e.sourcePort}->${e.targetPort}`).sort();
  await expect.poll(wires).toEqual(['c->initial_c', 'h->initial_h']);
  await expect(app.badge('decoder')).toHaveCount(0);
  await expect(page.getByTestId('status-params')).toHaveText('10,760 params');

  // Auto-layout, then look: each state wire labelled with its own shape.
  await page.locator('body').press('Shift+l');
  await page.locator('body').press('Shift+1');
  await app.settle();
  await expect(app.edgeLabels().filter({ hasText: /^32$/ })).toHaveCount(2);
  await app.shot('seq2seq-1280');
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.locator('body').press('Shift+1');
  await app.settle();
  await app.shot('seq2seq-1920');
  await page.setViewportSize({ width: 1280, height: 800 });

  // Return state off: the wires stay, the decoder names the fix.
  await app.select('encoder');
  await page.locator('[data-testid=inspector] [data-param="return_state"] .ll-switch').click();
  await expect(encoder.locator('.react-flow__handle.source')).toHaveCount(1);
  await expect.poll(wires).toEqual(['c->initial_c', 'h->initial_h']);
  await expect(app.badge('decoder')).toHaveAttribute('aria-label', /Turn "Return state" back on in "encoder"/);
  // The kept wires are drawn (from out, dashed red) while the port is gone.
  await expect(page.locator('.ll-edge.error')).toHaveCount(2);
  await page.locator('.react-flow__controls-fitview').click();
  await app.settle();
  await app.shot('seq2seq-return-state-off-1280');
  // Focus is on the inspector's switch, whose Ctrl+Z is the field's own: undo from the toolbar.
  await page.getByTestId('tb-undo').click();
  await expect(encoder.locator('.react-flow__handle.source')).toHaveCount(3);
  await expect(app.badge('decoder')).toHaveCount(0);
  // Back past the auto-layout to the second wire, and forward again.
  await page.getByTestId('tb-undo').click();
  await page.getByTestId('tb-undo').click();
  await expect.poll(wires).toEqual(['h->initial_h']);
  await page.getByTestId('tb-redo').click();
  await expect.poll(wires).toEqual(['c->initial_c', 'h->initial_h']);

  // Copy both LSTMs and paste: the copy's wire runs from the copied encoder's states.
  await app.select('encoder');
  await app.node('decoder').locator('.ll-node-type').click({ modifiers: ['Control'] });
  await expect(page.locator('.ll-inspector')).toContainText('2 blocks');
  await app.shortcut('Control+c');
  await app.shortcut('Control+v');
  await expect
    .poll(async () => {
      const doc = await app.doc();
      const copies = new Set(doc.nodes.filter((n) => n.type === 'LSTM' && n.id !== 'enc' && n.id !== 'dec').map((n) => n.id));
      return doc.edges.filter((e) => copies.has(e.source) && copies.has(e.target)).map((e) => `${e.sourcePort}->${e.targetPort}`).sort();
    })
    .toEqual(['c->initial_c', 'h->initial_h']);
});
