/**
 * The workspace around the canvas: the command palette and context menus run registry commands;
 * panels resize and collapse and keep the canvas wide at 1280×800; the start screen; the file
 * browser of the browser host. Screenshots at 1280×800 and 1920×1080 for looking at.
 */
import { expect, test } from './fixtures.js';

test('the command palette lists commands with shortcuts and runs one', async ({ app, page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await app.openFixture('small-mlp');
  await page.locator('body').press('Control+k');
  const palette = page.getByTestId('command-palette');
  await expect(palette).toBeVisible();
  // Every listed command is there, with its shortcut.
  await expect(palette.locator('[data-command="file.save"] kbd')).toHaveText('Ctrl+S');
  await expect(palette.locator('[data-command="graph.autoLayout"]')).toBeVisible();
  await palette.getByRole('combobox').fill('select all');
  await app.shot('command-palette-1280');
  await page.setViewportSize({ width: 1920, height: 1080 });
  await app.shot('command-palette-1920');
  await page.setViewportSize({ width: 1280, height: 800 });
  await palette.getByRole('combobox').press('Enter');
  await expect(palette).toBeHidden();
  // The command ran: every block is selected.
  await expect(page.locator('.react-flow__node.selected')).toHaveCount(4);

  // Ctrl+Shift+P opens it too; Escape closes it and nothing runs.
  await page.locator('body').press('Control+Shift+P');
  await expect(palette).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(palette).toBeHidden();
});

test('context menus on a block, a wire and the canvas run the commands that apply there', async ({ app, page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await app.openFixture('small-mlp');
  const before = (await app.doc()).nodes.length;

  // A block: right-click, the menu shows block commands with shortcuts; keyboard picks Duplicate.
  await app.node('hidden').locator('.ll-node-type').click({ button: 'right' });
  const menu = page.getByTestId('context-menu');
  await expect(menu).toBeVisible();
  await expect(menu).toHaveAttribute('aria-label', 'Block');
  await expect(menu.locator('[data-command="selection.duplicate"] kbd')).toHaveText('Ctrl+D');
  await expect(menu.locator('[data-command="graph.rename"] kbd')).toHaveText('F2');
  await expect(menu.locator('[data-command="graph.autoLayout"]')).toHaveCount(0);
  await app.shot('context-menu-block-1280');
  await page.setViewportSize({ width: 1920, height: 1080 });
  await app.shot('context-menu-block-1920');
  await page.setViewportSize({ width: 1280, height: 800 });
  await expect(menu).toBeHidden(); // a resize closes it
  await app.node('hidden').locator('.ll-node-type').click({ button: 'right' });
  await expect(menu.getByRole('menuitem').first()).toBeFocused();
  // Rename, Add block after, Cut, Copy, Duplicate: four steps down from the first.
  for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown');
  await expect(menu.locator('[data-command="selection.duplicate"]')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(menu).toBeHidden();
  await expect.poll(async () => (await app.doc()).nodes.length).toBe(before + 1);

  // A wire: Delete connection removes exactly that wire.
  await app.undo();
  const edges = (await app.doc()).edges.length;
  const wire = page.locator('.react-flow__edge').first();
  const id = await wire.getAttribute('data-id');
  // A point a quarter along the drawn path (the middle carries the shape label).
  const point = await wire.locator('path.react-flow__edge-path').evaluate((el) => {
    const p = el as SVGPathElement;
    const at = p.getPointAtLength(p.getTotalLength() * 0.25);
    const m = p.getScreenCTM();
    if (!m) throw new Error('wire not drawn');
    return { x: at.x * m.a + at.y * m.c + m.e, y: at.x * m.b + at.y * m.d + m.f };
  });
  await page.mouse.click(point.x, point.y, { button: 'right' });
  await expect(menu).toHaveAttribute('aria-label', 'Connection');
  await menu.locator('[data-command="selection.delete"]').click();
  await expect.poll(async () => (await app.doc()).edges.length).toBe(edges - 1);
  expect((await app.doc()).edges.some((e) => e.id === id)).toBe(false);

  // The canvas: "Add block here" opens quick add where the click was.
  await page.getByTestId('canvas').click({ position: { x: 300, y: 40 }, button: 'right' });
  await expect(menu).toHaveAttribute('aria-label', 'Canvas');
  await expect(menu.locator('[data-command="selection.delete"]')).toHaveCount(0);
  await menu.locator('[data-command="graph.quickAdd"]').click();
  await expect(page.getByRole('dialog', { name: 'Add block' })).toBeVisible();
  await page.keyboard.press('Escape');
});
