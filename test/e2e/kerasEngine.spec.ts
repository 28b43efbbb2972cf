/**
 * The Keras engine in the app: choose it in the Training panel, train the mnist example with live
 * progress and charts, stop it, see the run's engine, and export the stopped run's weights.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from './fixtures.js';
import { ROOT } from './support/hostProcess.js';

const run = promisify(execFile);

test('trains the mnist example on the Keras engine, stops it and exports the run', async ({ app, page }) => {
  test.setTimeout(300_000);
  const caps = await app.capabilities();
  test.skip(!caps.training || !caps.export, 'the training or export service is not part of this build');
  const keras = await run('python3', ['-c', 'import keras, tensorflow']).then(
    () => true,
    () => false,
  );
  test.skip(!keras, 'Python Keras/TensorFlow is not installed, so the Keras engine cannot run');
  const work = await mkdtemp(join(tmpdir(), 'll-keras-engine-'));
  try {
    // 30 digits per class: a few seconds per epoch, enough epochs to stop in the middle.
    const data = join(work, 'digits');
    for (let c = 0; c < 10; c++) {
      const from = join(ROOT, 'assets', 'datasets', 'digits', String(c));
      await mkdir(join(data, String(c)), { recursive: true });
      for (const f of (await readdir(from)).sort().slice(0, 30)) await cp(join(from, f), join(data, String(c), f));
    }
    const project = join(work, 'digits.layerloom');
    const doc = JSON.parse(await readFile(join(ROOT, 'examples', 'mnist-cnn.layerloom'), 'utf8')) as { dataset: { path: string }; training: { epochs: number; earlyStopping?: { enabled: boolean } } };
    doc.dataset.path = data;
    // Long enough that the run is still going when Stop is pressed: on an idle machine Keras trains
    // this subset at thousands of samples/s, and the example's early stopping would end it first.
    doc.training.epochs = 5000;
    if (doc.training.earlyStopping) doc.training.earlyStopping.enabled = false;
    await writeFile(project, JSON.stringify(doc, null, 2));
    await app.openPath(project);
    await app.tab('training');

    await test.step('choose Keras (a project setting) and name its Python interpreter: a bad one is refused, a good one saved', async () => {
      await page.getByTestId('train-engine').selectOption('keras');
      await expect(page.getByTestId('status-saved')).toHaveText('Unsaved changes');
      await page.getByTestId('train-python').click();
      const dialog = page.getByTestId('dialog-python');
      // The interpreter in use (the default here: the host's HOME is the test's own) and what it has.
      await expect(dialog.getByTestId('python-versions')).toContainText(/Keras 3\.\d+\.\d+ \/ TensorFlow 2\.\d+/, { timeout: 120_000 });
      const bad = join(work, 'no-such-python');
      await dialog.getByTestId('python-path').fill(bad);
      await dialog.getByTestId('python-save').click();
      await expect(dialog.getByTestId('python-error')).toContainText(`Not saved: The Keras engine needs Python with TensorFlow and Keras, but the Python interpreter "${bad}" cannot be started`);
      await expect(dialog.getByTestId('python-path')).toHaveValue(bad);
      for (const size of [
        { width: 1280, height: 800 },
        { width: 1920, height: 1080 },
      ]) {
        await page.setViewportSize(size);
        await app.shot(`keras-python-${size.width}x${size.height}`);
      }
      // The browser host picks the file in its own file browser.
      const python = (await run('python3', ['-c', 'import sys; print(sys.executable)'])).stdout.trim();
      await dialog.getByTestId('python-browse').click();
      const browser = page.getByTestId('dialog-browse');
      await expect(browser.getByTestId('file-list')).toBeVisible();
      await app.shot('keras-python-browse');
      await browser.getByTestId('path-input').fill(python);
      await browser.getByTestId('path-submit').click();
      await expect(dialog.getByTestId('python-path')).toHaveValue(python);
      await dialog.getByTestId('python-save').click();
      await expect(dialog.getByTestId('python-current')).toHaveText(python, { timeout: 120_000 });
      await expect(dialog).toContainText('from the saved setting');
      await expect(dialog.getByTestId('python-error')).toHaveCount(0);
      await page.keyboard.press('Escape');
      await expect(dialog).toHaveCount(0);
    });

    await test.step('train on Keras: live progress and charts, the status bar names the engine', async () => {
      await page.getByTestId('train-start').click();
      // Any epoch from the second on: fast epochs can pass between two looks.
      await expect(page.getByTestId('train-status')).toContainText(/Epoch ([2-9]|[1-9]\d+)\/5000/, { timeout: 180_000 });
      await expect(page.getByTestId('training-panel')).toContainText('Keras 3.');
      await expect(page.getByTestId('status-backend')).toHaveText(/^Keras · TF 2\.\d+ · CPU$/);
      for (const size of [
        { width: 1280, height: 800 },
        { width: 1920, height: 1080 },
      ]) {
        await page.setViewportSize(size);
        await app.shot(`keras-training-${size.width}x${size.height}`);
      }
    });
    await test.step('stop: the run keeps its checkpoint and shows its engine', async () => {
      await page.getByTestId('train-stop').click();
      await expect(page.getByTestId('train-status')).toContainText('stopped', { timeout: 120_000 });
      const [id] = await readdir(join(work, 'runs'));
      const saved = JSON.parse(await readFile(join(work, 'runs', id, 'run.json'), 'utf8')) as { engine: string; status: string; epochsCompleted: number };
      expect([saved.engine, saved.status]).toEqual(['keras', 'stopped']);
      expect(saved.epochsCompleted).toBeGreaterThanOrEqual(1);
      await expect(page.getByTestId('run-engine').first()).toHaveText(/^Keras · TF 2\.\d+ · CPU$/);
      await page.getByTestId('run-open').first().click();
      await expect(page.getByTestId('run-backend')).toContainText('keras · Keras 3.');
      await app.shot('keras-run');
      await page.keyboard.press('Escape');
    });
    await test.step('export the stopped run', async () => {
      const folder = join(work, 'export');
      await page.getByTestId('tb-template').focus();
      await app.shortcut('Control+e');
      const dialog = page.getByTestId('dialog-export');
      await dialog.getByTestId('path-input').fill(folder);
      await dialog.getByTestId('path-submit').click();
      await expect(dialog.getByTestId('export-files')).toBeVisible({ timeout: 120_000 });
      const [id] = await readdir(join(work, 'runs'));
      const manifest = JSON.parse(await readFile(join(folder, 'layerloom-export.json'), 'utf8')) as { weights: { runId: string } };
      expect(manifest.weights.runId).toBe(id);
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
