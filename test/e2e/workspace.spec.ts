/**
 * The workspace around the canvas: the command palette and context menus run registry commands;
 * panels resize and collapse and keep the canvas wide at 1280×800; the start screen; the file
 * browser of the browser host. Screenshots at 1280×800 and 1920×1080 for looking at.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FIXTURES } from './appPage.js';
import { expect, test } from './fixtures.js';
import { ROOT } from './support/hostProcess.js';

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
  // Rename, Add block after, Explain this block, Cut, Copy, Duplicate: five steps down from the first.
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowDown');
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
    // (The tests compile without the DOM library; this is the slice of SVGPathElement used.)
    type PathLike = { getTotalLength(): number; getPointAtLength(l: number): { x: number; y: number }; getScreenCTM(): { a: number; b: number; c: number; d: number; e: number; f: number } | null };
    const p = el as unknown as PathLike;
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

  // The canvas: "Add block here" opens quick add where the click was. Right-clicked on empty
  // canvas below the blocks (fitted, they fill the top of the canvas above the bottom dock), clear
  // of the zoom controls and the minimap.
  const canvasBox = (await page.getByTestId('canvas').boundingBox())!;
  await page.getByTestId('canvas').click({ position: { x: 300, y: canvasBox.height - 30 }, button: 'right' });
  await expect(menu).toHaveAttribute('aria-label', 'Canvas');
  await expect(menu.locator('[data-command="selection.delete"]')).toHaveCount(0);
  await menu.locator('[data-command="graph.quickAdd"]').click();
  await expect(page.getByRole('dialog', { name: 'Add block' })).toBeVisible();
  await page.keyboard.press('Escape');
});

/** Width of the canvas as a fraction of the window. */
async function canvasShare(page: import('@playwright/test').Page): Promise<number> {
  const box = await page.getByTestId('canvas').boundingBox();
  const width = page.viewportSize()?.width ?? 1;
  return (box?.width ?? 0) / width;
}

test('panels resize and collapse, keep the canvas wide at 1280×800, and remember their sizes', async ({ app, page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await app.openFixture('small-mlp');
  expect(await canvasShare(page)).toBeGreaterThanOrEqual(0.6);

  // Drag the inspector's border 50 px to the right: the canvas grows by as much.
  const before = (await page.getByTestId('canvas').boundingBox())?.width ?? 0;
  const border = page.getByRole('separator', { name: 'Resize the inspector' });
  const b = await border.boundingBox();
  if (!b) throw new Error('inspector border not visible');
  await page.mouse.move(b.x + b.width / 2, b.y + 200);
  await page.mouse.down();
  await page.mouse.move(b.x + 25, b.y + 200, { steps: 4 });
  await page.mouse.move(b.x + 50, b.y + 200, { steps: 4 });
  await page.mouse.up();
  await expect.poll(async () => ((await page.getByTestId('canvas').boundingBox())?.width ?? 0) - before).toBeGreaterThan(45);
  expect(await canvasShare(page)).toBeGreaterThanOrEqual(0.6);

  // Collapse the blocks panel from the top bar, the dock with Ctrl+J.
  await page.getByTestId('tb-toggle-palette').click();
  await expect(page.getByPlaceholder('Search blocks')).toBeHidden();
  await page.locator('body').press('Control+j');
  await expect(page.getByTestId('tab-problems')).toHaveAttribute('aria-selected', 'false');
  const wide = await canvasShare(page);
  expect(wide).toBeGreaterThan(0.75);
  await app.shot('panels-collapsed-1280');

  // Sizes and collapsed panels survive a reload.
  await page.waitForTimeout(300);
  await page.reload();
  await expect(page.locator('.react-flow__renderer')).toBeVisible();
  await expect(page.getByPlaceholder('Search blocks')).toBeHidden();
  expect(Math.abs((await canvasShare(page)) - wide)).toBeLessThan(0.01);
  await page.getByTestId('tb-toggle-palette').click();
  await expect(page.getByPlaceholder('Search blocks')).toBeVisible();
  expect(await canvasShare(page)).toBeGreaterThanOrEqual(0.6);
});

test('the Training tab shows every control uncut at 1280×800', async ({ app, page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await app.openFixture('small-mlp');
  await app.tab('training');
  // The longest loss name is the one a classifier gets.
  await page.locator('[data-testid=training-panel] select').nth(1).selectOption('sparse_categorical_crossentropy');
  await expect(page.getByTestId('train-start')).toBeVisible();
  const d = await page.locator('.ll-dock-body').boundingBox();
  if (!d) throw new Error('training panel not visible');
  // Every control of the settings column lies inside the dock as it opens by default.
  const boxes = await page.locator('.ll-training-side').locator('input, select, button').evaluateAll((els) =>
    els.map((el) => {
      const r = (el as unknown as { getBoundingClientRect(): { x: number; y: number; width: number; height: number } }).getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    }),
  );
  expect(boxes.length).toBeGreaterThan(8);
  for (const b of boxes) {
    expect(b.y).toBeGreaterThanOrEqual(d.y);
    expect(b.y + b.height).toBeLessThanOrEqual(d.y + d.height);
    expect(b.x + b.width).toBeLessThanOrEqual(d.x + d.width);
  }
  // …and none is hidden under another element (Start/Stop stays pinned to the dock's bottom edge).
  const covered = await page.locator('.ll-training-side').locator('input, select, button').evaluateAll((els) =>
    els
      .map((el) => {
        type Box = { x: number; y: number; width: number; height: number };
        const g = globalThis as unknown as { document: { elementFromPoint(x: number, y: number): unknown } };
        const e = el as unknown as { getBoundingClientRect(): Box; contains(o: unknown): boolean; closest(s: string): unknown; getAttribute(n: string): string | null; outerHTML: string };
        const r = e.getBoundingClientRect();
        const top = g.document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        // A switch's input is drawn by its label; the label counts as itself.
        return top === el || e.contains(top) || (top !== null && e.closest('label') !== null && (e.closest('label') as { contains(o: unknown): boolean }).contains(top)) ? null : e.outerHTML.slice(0, 80);
      })
      .filter((t) => t !== null),
  );
  expect(covered).toEqual([]);
  // Every select is wide enough for its chosen option's text (plus its arrow).
  const cut = await page.locator('[data-testid=training-panel] select').evaluateAll((els) =>
    els
      .map((el) => {
        const select = el as unknown as { value: string; clientWidth: number; selectedOptions: { text: string }[] };
        // (The tests compile without the DOM library; these are the browser globals used.)
        type Style = { fontWeight: string; fontSize: string; fontFamily: string; paddingLeft: string; paddingRight: string };
        type Ctx = { font: string; measureText(t: string): { width: number } };
        const g = globalThis as unknown as { getComputedStyle(e: unknown): Style; document: { createElement(t: 'canvas'): { getContext(k: '2d'): Ctx | null } } };
        const style = g.getComputedStyle(el);
        const ctx = g.document.createElement('canvas').getContext('2d');
        if (!ctx) return null;
        ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        const text = select.selectedOptions[0]?.text ?? select.value;
        const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 16;
        return ctx.measureText(text).width > room ? text : null;
      })
      .filter((t) => t !== null),
  );
  expect(cut).toEqual([]);
  await app.shot('training-tab-1280');
});

test('the start screen: blank project, a template as a copy, recent projects; reload reopens; New resets every panel', async ({ app, page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  const start = page.getByTestId('start-screen');
  await expect(start).toBeVisible();
  await expect(start).toContainText('Build the network');
  await expect(start.locator('[data-start-template="mnist-cnn"]')).toBeVisible();
  await app.shot('start-screen-1280');
  await page.setViewportSize({ width: 1920, height: 1080 });
  await app.shot('start-screen-1920');
  await page.setViewportSize({ width: 1280, height: 800 });

  // Blank means empty, and a project never saved never reads "Saved".
  await page.getByTestId('start-blank').click();
  await expect(start).toBeHidden();
  expect((await app.doc()).nodes).toHaveLength(0);
  await expect(page.getByTestId('status-saved')).toHaveText('Not saved yet');
  await expect(page.locator('.ll-empty-hint')).toBeVisible();

  // A template opens as an unsaved copy.
  await page.locator('body').press('Control+k');
  await page.getByTestId('command-palette').getByRole('combobox').fill('start screen');
  await page.keyboard.press('Enter');
  await expect(start).toBeVisible();
  await start.locator('[data-start-template="mnist-cnn"]').click();
  await expect(start).toBeHidden();
  await expect(page.getByTestId('status-params')).toHaveText('93,322 params');
  expect(await page.evaluate(() => (globalThis as unknown as { __layerloom: { editor: { state: { path: string | null } } } }).__layerloom.editor.state.path)).toBeNull();
  expect(await app.dirty()).toBe(true);
  await expect(page.getByTestId('status-saved')).toHaveText('Unsaved changes');

  // Saved, it is a recent project; a reload reopens it.
  const saved = test.info().outputPath('cnn-copy.layerloom');
  await app.saveAs(saved);
  await expect(page.getByTestId('status-saved')).toContainText('Saved');
  await page.reload();
  await expect(page.getByTestId('status-params')).toHaveText('93,322 params');
  await expect(start).toBeHidden();
  await expect(page.getByTestId('project-title')).toHaveAttribute('title', saved);
  // Unsaved edits come back after a reload too (the tab's own autosave, not a crash to recover).
  const name = page.getByRole('textbox', { name: 'Project name' });
  await name.fill('CNN, edited');
  await name.press('Enter');
  await expect.poll(() => page.evaluate(async () => (await (globalThis as unknown as { __layerloom: { api: { listRecovery(): Promise<unknown[]> } } }).__layerloom.api.listRecovery()).length)).toBeGreaterThan(0);
  await page.reload();
  await expect(page.getByTestId('project-title')).toContainText('CNN, edited');
  await expect(page.getByTestId('dialog-recovery')).toHaveCount(0);
  expect(await app.dirty()).toBe(true);
  await app.shortcut('Control+s');
  await expect(page.getByTestId('dirty-marker')).toBeHidden();

  // A dataset scan of this project does not survive New.
  await app.tab('dataset');
  await page.getByTestId('dataset-path').fill(join(ROOT, 'assets', 'datasets', 'digits'));
  await page.getByTestId('dataset-scan').click();
  await expect(page.getByTestId('dataset-report')).toBeVisible({ timeout: 60_000 });
  await page.getByTestId('tb-new').click();
  expect((await app.doc()).nodes).toHaveLength(0);
  await expect(page.getByTestId('dataset-path')).toHaveValue('');
  await expect(page.getByTestId('dataset-report')).toHaveCount(0);

  await page.locator('body').press('Control+k');
  await page.getByTestId('command-palette').getByRole('combobox').fill('start screen');
  await page.keyboard.press('Enter');
  await expect(start.getByTestId('start-recent')).toContainText('cnn-copy.layerloom');
  await start.getByTestId('start-recent').getByRole('button').first().click();
  await expect(page.getByTestId('status-params')).toHaveText('93,322 params');
});

test('the file browser opens a project from a listed folder, makes a folder, and picks an export folder', async ({ app, page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  const work = test.info().outputPath('browse');
  await mkdir(join(work, 'projects', 'nested'), { recursive: true });
  await copyFile(join(FIXTURES, 'small-mlp.layerloom'), join(work, 'projects', 'small-mlp.layerloom'));
  await writeFile(join(work, 'projects', 'notes.txt'), 'not a project');
  await writeFile(join(work, 'projects', 'colleague.keras'), 'a model file (listed, not opened here)');

  await page.getByTestId('tb-open').click();
  const dialog = page.getByTestId('dialog-open');
  const browser = dialog.getByTestId('file-browser');
  await expect(browser.getByTestId('file-list')).toBeVisible();
  // A typed folder path (ending in /) goes there.
  await browser.getByTestId('path-input').fill(`${work}/`);
  await browser.getByTestId('path-input').press('Enter');
  await expect(browser.locator('.ll-file-row[data-name="projects"]')).toBeVisible();
  await browser.locator('.ll-file-row[data-name="projects"]').dblclick();
  await expect(browser.getByTestId('file-crumbs').locator('button.current')).toHaveText('projects');
  await expect(browser.locator('.ll-file-row[data-name="nested"]')).toBeVisible();
  await expect(browser.locator('.ll-file-row[data-name="small-mlp.layerloom"]')).toBeVisible();
  // The first filter lists projects and models (Open imports a model) and hides other files;
  // "All files" shows them.
  await expect(browser.locator('.ll-file-row[data-name="colleague.keras"]')).toBeVisible();
  await expect(browser.locator('.ll-file-row[data-name="notes.txt"]')).toHaveCount(0);
  await browser.getByRole('combobox', { name: 'File type' }).selectOption({ label: 'Layerloom projects (.layerloom)' });
  await expect(browser.locator('.ll-file-row[data-name="colleague.keras"]')).toHaveCount(0);
  await browser.getByRole('combobox', { name: 'File type' }).selectOption({ label: 'All files' });
  await expect(browser.locator('.ll-file-row[data-name="notes.txt"]')).toBeVisible();
  // New folder.
  await browser.getByTestId('file-new-folder').click();
  await browser.getByRole('textbox', { name: 'New folder name' }).fill('made here');
  await browser.getByRole('button', { name: 'Create' }).click();
  await expect(browser.getByTestId('file-crumbs').locator('button.current')).toHaveText('made here');
  await expect(browser.getByTestId('file-list')).toContainText('Nothing here');
  await browser.getByTestId('file-crumbs').getByRole('button', { name: 'projects' }).click();
  await expect(browser.locator('.ll-file-row[data-name="made here"]')).toBeVisible();
  // A typed path that is not there: the error toast shows inside the dialog, covering nothing.
  await browser.getByTestId('path-input').fill(join(work, 'projects', 'missing.layerloom'));
  await browser.getByTestId('path-submit').click();
  await expect(dialog.locator('.ll-toast.error')).toContainText('missing.layerloom');
  await expect(page.locator('.ll-toasts:not(.in-modal)')).toHaveCount(0);
  await browser.locator('.ll-file-row[data-name="small-mlp.layerloom"]').click();
  await expect(browser.getByTestId('path-input')).toHaveValue(join(work, 'projects', 'small-mlp.layerloom'));
  await app.shot('file-browser-1280');
  await page.setViewportSize({ width: 1920, height: 1080 });
  await app.shot('file-browser-1920');
  await page.setViewportSize({ width: 1280, height: 800 });
  await browser.getByTestId('path-submit').click();
  await expect(dialog).toBeHidden();
  await expect(app.node('hidden')).toBeVisible();

  // Export: Browse… opens the browser above the dialog, beside the project; it picks a folder.
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const exportDialog = page.getByTestId('dialog-export');
  await expect(exportDialog.getByTestId('path-input')).toHaveValue(new RegExp(`^${join(work, 'projects').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/small-mlp-keras$`));
  await exportDialog.getByTestId('path-browse').click();
  const browse = page.getByTestId('dialog-browse');
  await expect(browse.locator('.ll-file-row[data-name="nested"]')).toBeVisible();
  await browse.locator('.ll-file-row[data-name="nested"]').click();
  await browse.getByTestId('path-submit').click();
  await expect(browse).toBeHidden();
  await expect(exportDialog.getByTestId('path-input')).toHaveValue(join(work, 'projects', 'nested'));
});
