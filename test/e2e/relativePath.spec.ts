/**
 * A typed relative dataset path survives Save As (issue 13, broken flow 2): it is resolved against
 * the project file (not the host's working folder), stored relative to it, rebased when the project
 * is saved elsewhere, and training after the save finds the data. A scan whose path now points
 * somewhere else is shown out of date.
 */
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures.js';
import { ROOT } from './support/hostProcess.js';

test('relative dataset path → save elsewhere → train works', async ({ app, page }) => {
  const caps = await app.capabilities();
  test.skip(!caps.training || !caps.datasets, 'the training or dataset service is not part of this build');
  const work = await mkdtemp(join(tmpdir(), 'll-relative-'));
  try {
    await mkdir(join(work, 'a', 'data'), { recursive: true });
    await mkdir(join(work, 'b'));
    await copyFile(join(ROOT, 'assets', 'datasets', 'iris.csv'), join(work, 'a', 'data', 'iris.csv'));
    await app.newFromTemplate('mlp');
    await app.saveAs(join(work, 'a', 'iris.layerloom'));

    await test.step('a relative path is resolved against the project file and stored relative', async () => {
      await app.useDataset('data/iris.csv');
      await expect.poll(async () => (await app.doc()).dataset?.path).toBe('data/iris.csv');
      await expect(page.getByTestId('dataset-report')).toContainText('150');
      await expect(page.getByTestId('dataset-stale')).toHaveCount(0);
    });

    await test.step('Save As in another folder rebases it', async () => {
      await page.getByTestId('tb-template').focus();
      await app.shortcut('Control+Shift+s');
      const dialog = page.getByTestId('dialog-save');
      await dialog.getByTestId('path-input').fill(join(work, 'b', 'iris.layerloom'));
      await dialog.getByTestId('path-submit').click();
      await expect(dialog).toBeHidden();
      await expect.poll(async () => (await app.doc()).dataset?.path).toBe('../a/data/iris.csv');
      const saved = JSON.parse(await readFile(join(work, 'b', 'iris.layerloom'), 'utf8')) as { dataset: { path: string } };
      expect(saved.dataset.path).toBe('../a/data/iris.csv');
      expect(await app.dirty()).toBe(false);
      // The scan still matches the project's dataset: same file.
      await expect(page.getByTestId('dataset-stale')).toHaveCount(0);
      await expect(page.getByTestId('dataset-project-path')).toContainText(join(work, 'a', 'data', 'iris.csv'));
    });

    await test.step('the same text now means another file: the scan is shown out of date', async () => {
      await page.getByTestId('dataset-path').fill('data/iris.csv');
      await expect(page.getByTestId('dataset-stale')).toContainText(join(work, 'b', 'data', 'iris.csv'));
      await expect(page.getByTestId('dataset-use')).toBeDisabled();
      await app.shot('dataset-stale');
    });

    await test.step('training after the save finds the data', async () => {
      await app.tab('training');
      const epochs = page.getByTestId('train-epochs');
      await epochs.fill('2');
      await epochs.press('Enter');
      await page.getByTestId('train-start').click();
      await expect(page.getByTestId('train-status')).toContainText('completed', { timeout: 120_000 });
      const runs = await readdir(join(work, 'b', 'runs'));
      expect(runs).toHaveLength(1);
      const run = JSON.parse(await readFile(join(work, 'b', 'runs', runs[0], 'run.json'), 'utf8')) as { datasetPath: string };
      expect(run.datasetPath).toBe(join(work, 'a', 'data', 'iris.csv'));
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
