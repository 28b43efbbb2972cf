/**
 * Editing in the browser: quick add, refused connections with their reason, the insert-Flatten
 * quick fix, multi-select with copy/paste/duplicate/delete and undo, rename, inline validation,
 * shortcuts help, theme, and crash recovery.
 */
import { expect, test } from './fixtures.js';

test('quick add after the selection, keyboard help, theme that sticks', async ({ app, page }) => {
  await app.openFixture('small-mlp');
  await app.select('hidden');
  await page.getByTestId('canvas').click({ position: { x: 10, y: 10 } });
  await app.select('hidden');
  await page.locator('body').press('/');
  const box = page.getByRole('dialog', { name: 'Add block' });
  await expect(box).toBeVisible();
  await box.getByRole('textbox').fill('drop');
  await box.getByRole('textbox').press('Enter');
  await expect(app.node('dropout')).toBeVisible();
  const doc = await app.doc();
  const dropout = doc.nodes.find((n) => n.type === 'Dropout');
  expect(doc.edges.some((e) => e.source === 'hidden' && e.target === dropout?.id)).toBe(true);
  await expect.poll(() => app.shapeOf('dropout')).toBe('(None, 32)');

  await page.locator('body').press('?');
  const help = page.getByTestId('dialog-help');
  await expect(help).toContainText('Undo');
  await expect(help).toContainText('Auto-layout');
  await app.shot('help');
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();

  await page.getByTestId('tb-theme').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await app.shot('light-theme');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.getByTestId('tb-theme').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
});

test('a connection that breaks a shape is refused with the reason; the Flatten quick fix works', async ({ app, page }) => {
  await app.openFixture('needs-flatten');
  // Flatten is missing: Dense acts on the last axis only (a warning) and offers the fix.
  await expect(app.badge('hidden')).toBeVisible();
  await app.connect('image', 'grid');
  await expect(app.lastToast()).toContainText('Connection refused');
  await expect(app.lastToast()).toContainText('Cannot reshape 784 values');
  expect((await app.doc()).edges.some((e) => e.target === 'reshape')).toBe(false);
  // Clicking a problem selects its block and centres it.
  await app.tab('problems');
  await page.locator('.ll-problem-row[data-code="LL008"]').click();
  await expect(page.getByTestId('inspector')).toHaveAttribute('data-node-id', 'dense');
  await app.quickFix('insert-flatten');
  await expect(app.node('flatten')).toBeVisible();
  await expect(app.badge('hidden')).toBeHidden();
  await expect.poll(() => app.shapeOf('flatten')).toBe('(None, 784)');
  await app.shot('flatten-inserted');
});

test('multi-select, copy/paste, duplicate, delete and undo; rename; inline validation', async ({ app, page }) => {
  await app.openFixture('small-mlp');
  await app.select('hidden');
  await app.node('head').locator('.ll-node-type').click({ modifiers: ['Control'] });
  await expect(page.locator('.ll-inspector')).toContainText('2 blocks');
  await app.shortcut('Control+c');
  await app.shortcut('Control+v');
  await expect.poll(async () => (await app.doc()).nodes.length).toBe(6);
  const pasted = (await app.doc()).nodes.slice(4);
  expect(pasted.map((n) => n.type)).toEqual(['Dense', 'Dense']);
  expect((await app.doc()).edges.filter((e) => pasted.some((n) => n.id === e.source) && pasted.some((n) => n.id === e.target))).toHaveLength(1);
  await app.shortcut('Control+d');
  await expect.poll(async () => (await app.doc()).nodes.length).toBe(8);
  await app.shortcut('Delete');
  await expect.poll(async () => (await app.doc()).nodes.length).toBe(6);
  await app.undo();
  await app.undo();
  await app.undo();
  await expect.poll(async () => (await app.doc()).nodes.length).toBe(4);
  expect(await app.dirty()).toBe(false);

  // Rename by double-clicking the name.
  await app.node('hidden').locator('.ll-node-label').dblclick();
  const rename = page.getByRole('textbox', { name: 'Block name' }).first();
  await rename.fill('encoder');
  await rename.press('Enter');
  await expect(app.node('encoder')).toBeVisible();
  expect(await app.dirty()).toBe(true);

  // Inline validation: text in a number field is refused there and never reaches the document.
  await app.select('encoder');
  const units = page.locator('[data-testid=inspector] [data-param="units"] input');
  await units.fill('many');
  await expect(page.locator('[data-param="units"] .ll-field-error')).toContainText('not a number');
  expect((await app.doc()).nodes.find((n) => n.id === 'hidden')?.params.units).toBe(32);
  await units.fill('0');
  await expect(page.locator('[data-param="units"] .ll-field-error')).toContainText('≥ 1');
  await expect(app.badge('encoder')).toBeVisible();
  await units.fill('48');
  await units.press('Enter');
  await expect(app.badge('encoder')).toBeHidden();
  await expect.poll(() => app.shapeOf('encoder')).toBe('(None, 48)');
  await app.shot('edited');

  // Unsaved changes are not thrown away without asking.
  await page.getByTestId('tb-new').click();
  const confirm = page.getByTestId('dialog-confirm');
  await expect(confirm).toContainText('changes that are not saved');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(app.node('encoder')).toBeVisible();
  expect(await app.dirty()).toBe(true);
});

test('unsaved work survives a crash and is offered back', async ({ app, page, host, browser }) => {
  await app.openFixture('small-mlp');
  await app.node('hidden').locator('.ll-node-label').dblclick();
  const rename = page.getByRole('textbox', { name: 'Block name' }).first();
  await rename.fill('survivor');
  await rename.press('Enter');
  await expect(page.getByTestId('dirty-marker')).toBeVisible();
  // Autosave runs shortly after the edit; wait until the recovery file is there.
  await expect
    .poll(() => page.evaluate(async () => (await (globalThis as unknown as { __layerloom: { api: { listRecovery(): Promise<unknown[]> } } }).__layerloom.api.listRecovery()).length))
    .toBeGreaterThan(0);
  // "Crash": the tab goes away without a clean close.
  await page.close({ runBeforeUnload: false });
  const page2 = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page2.goto(host.url);
  const dialog = page2.getByTestId('dialog-recovery');
  await expect(dialog).toContainText('Small MLP');
  await page2.screenshot({ path: test.info().outputPath('recovery.png') });
  await dialog.getByTestId('recover').click();
  await expect(page2.locator('.react-flow__node [data-node-label="survivor"]')).toBeVisible();
  await expect(page2.getByTestId('dirty-marker')).toBeVisible();
  await page2.close();
});
