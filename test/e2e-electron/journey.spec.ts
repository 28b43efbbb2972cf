/**
 * The desktop journey (issue: desktop shell): launch Layerloom on an example project the way a
 * file manager does (path on the command line) → the project opens in a sandboxed window that sees
 * exactly the API contract → it validates → File ▸ Export Keras… (the native menu, dispatching the
 * editor's command) writes the code → a failing call keeps its error code across the bridge.
 */
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type ElectronApplication } from '@playwright/test';
import { API_EVENTS, API_METHODS, subscriptionName } from '../../shared/api/contract.js';
import { electronBinary, launch, ROOT } from './electronApp.js';

const electron = electronBinary();
if ('reason' in electron) console.log(`Skipping the Electron journey: ${electron.reason}.`);

/** The example to open: the CNN when the examples include it, else the first one. */
function exampleFile(): string {
  const names = readdirSync(join(ROOT, 'examples')).filter((n) => n.endsWith('.layerloom'));
  const name = names.includes('mnist-cnn.layerloom') ? 'mnist-cnn.layerloom' : names.sort()[0];
  if (!name) throw new Error('examples/ has no .layerloom project');
  return join(ROOT, 'examples', name);
}

interface Hook {
  editor: { doc: { name: string; nodes: unknown[] }; state: { path: string | null } };
  api: Record<string, (...args: unknown[]) => Promise<unknown>>;
}

test('open an example from the command line, validate, export Keras from the menu', async ({}, testInfo) => {
  test.skip('reason' in electron, 'reason' in electron ? electron.reason : '');
  if (!('path' in electron)) return;

  const work = await mkdtemp(join(tmpdir(), 'll-electron-'));
  let app: ElectronApplication | null = null;
  try {
    const project = join(work, 'example.layerloom');
    await copyFile(exampleFile(), project);
    app = await launch(electron.path, project, join(work, 'state'));
    const page = await app.firstWindow();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    await test.step('the window opens the project named on the command line', async () => {
      await expect(page.getByTestId('statusbar')).toBeVisible();
      await expect(page.locator('.react-flow__renderer')).toBeVisible();
      await expect.poll(() => page.evaluate(() => (globalThis as unknown as { __layerloom: Hook }).__layerloom.editor.state.path)).toBe(project);
      const name = await page.evaluate(() => (globalThis as unknown as { __layerloom: Hook }).__layerloom.editor.doc.name);
      await expect(page).toHaveTitle(new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} — Layerloom$`));
      expect(page.url()).toBe('app://layerloom/index.html');
      await page.screenshot({ path: testInfo.outputPath('01-opened.png') });
    });

    await test.step('the page is sandboxed and sees exactly the contract', async () => {
      const seen = await page.evaluate(() => ({
        require: typeof (globalThis as { require?: unknown }).require,
        process: typeof (globalThis as { process?: unknown }).process,
        keys: Object.keys((globalThis as unknown as { layerloom: object }).layerloom).sort(),
      }));
      expect(seen.require).toBe('undefined');
      expect(seen.process).toBe('undefined');
      expect(seen.keys).toEqual([...API_METHODS, ...API_EVENTS.map(subscriptionName)].sort());
      // (contextBridge refuses to expose anything without context isolation, so the keys above prove it.)
      const sandboxed = await app!.evaluate(({ app: electronApp, BrowserWindow }) => {
        const pid = BrowserWindow.getAllWindows()[0]?.webContents.getOSProcessId();
        return electronApp.getAppMetrics().find((m) => m.pid === pid)?.sandboxed ?? null;
      });
      // Electron reports OS-level sandboxing on macOS and Windows only.
      if (sandboxed !== null) expect(sandboxed).toBe(true);
      // No new windows, no navigation away from the app.
      expect(await page.evaluate(() => (globalThis as unknown as { open(url: string): unknown }).open('about:blank'))).toBeNull();
      const attempted = app!.evaluate(
        ({ BrowserWindow }) =>
          new Promise<string>((resolve) => BrowserWindow.getAllWindows()[0]?.webContents.once('will-navigate', (e) => resolve(e.url))),
      );
      await page.evaluate(() => {
        (globalThis as { __stillHere?: boolean }).__stillHere = true;
        (globalThis as unknown as { location: { href: string } }).location.href = 'app://elsewhere/index.html';
      });
      expect(await attempted).toBe('app://elsewhere/index.html');
      await page.waitForLoadState();
      expect(await page.evaluate(() => (globalThis as { __stillHere?: boolean }).__stillHere)).toBe(true);
      expect(page.url()).toBe('app://layerloom/index.html');
      expect(app!.windows()).toHaveLength(1);
    });

    await test.step('the project validates', async () => {
      await expect(page.getByTestId('status-validity')).toHaveText(/Valid/);
    });

    await test.step('File ▸ Export Keras… opens the export dialog; exporting writes the code', async () => {
      const clicked = await app!.evaluate(({ Menu }) => {
        const item = Menu.getApplicationMenu()?.getMenuItemById('file.exportKeras');
        item?.click();
        return Boolean(item);
      });
      expect(clicked).toBe(true);
      const dialog = page.getByTestId('dialog-export');
      await expect(dialog).toBeVisible();
      await dialog.getByTestId('export-target-keras').click();
      const folder = join(work, 'keras');
      await dialog.getByTestId('path-input').fill(folder);
      await dialog.getByTestId('path-submit').click();
      await expect(dialog.getByTestId('export-files')).toBeVisible({ timeout: 60_000 });
      expect(await readdir(folder)).toContain('model.py');
      await page.screenshot({ path: testInfo.outputPath('02-exported.png') });
    });

    await test.step('errors keep their code across the bridge', async () => {
      const missing = join(work, 'missing.layerloom');
      const error = await page.evaluate(async (path) => {
        try {
          await (globalThis as unknown as { __layerloom: Hook }).__layerloom.api.openProject(path);
          return null;
        } catch (e) {
          return { isError: e instanceof Error, code: (e as { code?: string }).code, message: (e as Error).message };
        }
      }, missing);
      expect(error).toMatchObject({ isError: true, code: 'not-found' });
      expect(error?.message).toContain('missing.layerloom');
    });

    expect(errors).toEqual([]);
  } finally {
    // A window with unsaved changes would ask before closing; this run has none, but never hang on it.
    const proc = app?.process();
    await Promise.race([app?.close().catch(() => undefined), new Promise((r) => setTimeout(r, 15_000))]);
    if (proc && proc.exitCode === null) proc.kill();
    await rm(work, { recursive: true, force: true });
  }
  expect(existsSync(work)).toBe(false);
});
