/**
 * The analyzer: per-block cost with the most expensive blocks first, sortable, totals in the
 * status bar, the cost of one block in the inspector, and readable numbers for an absurd model.
 */
import { expect, test } from './fixtures.js';

test('per-block MACs and memory, sorted, with totals; readable numbers at any size', async ({ app, page }) => {
  await app.newFromTemplate('mnist-cnn');
  await expect(page.getByTestId('status-macs')).toHaveText('2.79 M MACs');
  await page.getByTestId('status-macs').click();
  const rows = page.getByTestId('analyzer-row');
  await expect(rows).toHaveCount(9);
  // Most expensive first: the second convolution (11·11·64·9·32).
  await expect(page.getByTestId('analyzer-macs').first()).toHaveText('2.23 M');
  await expect(page.getByTestId('analyzer-totals')).toContainText('2.79 M');
  await expect(page.getByTestId('analyzer-totals')).toContainText('One batch of 32');
  for (const [w, h] of [[1280, 800], [1920, 1080]]) {
    await page.setViewportSize({ width: w, height: h });
    await app.shot(`analyzer-mnist-${w}`);
  }

  // Sorting by name, then back to MACs ascending: the cheapest (0) first.
  await page.getByTestId('analyzer-sort-macs').click();
  await expect(page.getByTestId('analyzer-macs').first()).toHaveText('0');
  // A row selects its block; the inspector shows that block's cost.
  await rows.filter({ hasText: 'conv2d_1' }).click();
  await expect(page.getByTestId('inspector-macs')).toHaveText('2,230,272');

  // 1e9 filters: warnings with readable numbers, never Infinity or exponents.
  await app.setParam('filters', '1000000000');
  await expect(page.getByTestId('status-macs')).not.toContainText('e+');
  await expect(page.getByTestId('status-validity')).toContainText('warning');
  await app.tab('problems');
  await expect(page.getByTestId('problems')).toContainText('LL024');
  const text = await page.locator('body').innerText();
  expect(text).not.toMatch(/Infinity|NaN|\de\+\d/);
  await app.shot('analyzer-absurd');
});

test('a wire with a fixable shape error is made and fixed in one click; an orphan is deleted by its fix', async ({ app, page }) => {
  await app.openFixture('small-mlp');
  await app.settle();
  await app.dragBlock('LSTM', { x: 500, y: 320 });
  await expect(app.node('lstm')).toBeVisible();
  await app.connect('hidden', 'lstm');
  await expect(app.lastToast()).toContainText('Connected, with a problem');
  await expect(app.lastToast()).toContainText('Insert Reshape to (32, 1)');
  expect((await app.doc()).edges.some((e) => e.source === 'hidden' && e.target !== 'head')).toBe(true);
  // The LSTM is selected with its error and the fix; it also leads nowhere (LL005).
  await expect(page.getByTestId('inspector')).toContainText('LL012');
  await app.shot('wired-with-fix');
  await page.getByTestId('quickfix-insert-reshape-32x1').first().click();
  await expect(app.node('reshape')).toBeVisible();
  // The LSTM now sits below the Reshape, out of the view; its shape error is gone.
  await expect.poll(() => app.shapeOf('reshape')).toBe('(None, 32, 1)');
  await expect(page.locator('.ll-problem-row[data-code="LL012"]')).toHaveCount(0);
  // The LSTM (and the Reshape feeding it) still lead nowhere: the LSTM's LL005 fix, in the
  // problems panel, deletes it.
  await app.tab('problems');
  await page.locator('.ll-problem-row[data-code="LL005"]', { hasText: '"lstm"' }).getByRole('button', { name: 'Delete lstm' }).click();
  await expect(app.node('lstm')).toBeHidden();
  expect((await app.doc()).nodes.some((n) => n.type === 'LSTM')).toBe(false);
});

test('resnet-mini: residual branches and merges are costed, the total matches Keras’s kernels', async ({ app, page }) => {
  await app.newFromTemplate('resnet-mini');
  // 6,435,392 MACs, the figure test/python/checkExports.py computes from the Keras model's kernels.
  await expect(page.getByTestId('status-macs')).toHaveText('6.44 M MACs');
  await page.getByTestId('status-macs').click();
  await expect(page.getByTestId('analyzer-totals')).toContainText('6.44 M');
  const macs = await page.getByTestId('analyzer-macs').allTextContents();
  expect(macs.length).toBeGreaterThan(10);
  // Most expensive first, every row.
  const value = (t: string): number => (t === '0' ? 0 : Number.parseFloat(t) * (t.endsWith('M') ? 1e6 : t.endsWith('K') ? 1e3 : 1));
  expect(macs.map(value)).toEqual([...macs.map(value)].sort((a, b) => b - a));
  for (const [w, h] of [[1280, 800], [1920, 1080]] as const) {
    await page.setViewportSize({ width: w, height: h });
    await app.shot(`analyzer-resnet-mini-${w}`);
  }
});
