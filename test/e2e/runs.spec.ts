/**
 * The runs browser (issue 13): open a past run and see its curves, confusion matrix, per-class
 * precision/recall, settings, engine and what changed in the graph since; name and annotate it;
 * compare two runs on one metric (every line the same quantity); reopen the project and its runs
 * are listed; open a run folder on its own. Screenshots at 1280×800 and 1920×1080.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures.js';
import { ROOT } from './support/hostProcess.js';

test('open a past run, name it, and compare two runs on one metric', async ({ app, page }) => {
  // Two trainings and a reload: longer than the default budget on a busy machine.
  test.setTimeout(480_000);
  const caps = await app.capabilities();
  test.skip(!caps.training || !caps.datasets, 'the training or dataset service is not part of this build');
  const work = await mkdtemp(join(tmpdir(), 'll-runs-'));
  const project = join(work, 'iris.layerloom');
  try {
    await app.newFromTemplate('mlp');
    await app.saveAs(project);
    await app.useDataset(join(ROOT, 'assets', 'datasets', 'iris.csv'));
    await app.tab('training');
    const train = async (epochs: string, lr: string) => {
      for (const [id, value] of [
        ['train-epochs', epochs],
        ['train-learningRate', lr],
      ]) {
        const input = page.getByTestId(id);
        await input.fill(value);
        await input.press('Enter');
      }
      await page.getByTestId('train-start').click();
      await expect(page.getByTestId('train-status')).toContainText('completed', { timeout: 120_000 });
    };
    await train('4', '0.01');
    await train('3', '0.001');
    const ids = (await readdir(join(work, 'runs'))).sort();
    expect(ids).toHaveLength(2);
    const runs = page.getByTestId('runs');
    await expect(runs.locator('li')).toHaveCount(2);

    // The graph changes after the runs: the run view says how.
    await app.select('dense');
    await app.setParam('units', '16');
    await app.tab('training');

    await test.step('open a past run', async () => {
      await runs.locator(`li[data-run="${ids[0]}"]`).getByTestId('run-open').click();
      const view = page.getByTestId('run-view');
      await expect(view).toBeVisible();
      await expect(view.getByTestId('confusion-matrix')).toBeVisible();
      await expect(view.getByTestId('run-per-class').locator('tbody tr')).toHaveCount(3);
      await expect(view.getByTestId('run-per-class')).toContainText('setosa');
      await expect(view.getByTestId('run-settings')).toContainText('0.01');
      await expect(view.getByTestId('run-backend')).toContainText('tensorflow');
      await expect(view.getByTestId('run-diff')).toContainText('units: 32 → 16');
      await expect(view.getByTestId('chart-run-loss')).toHaveAttribute('data-points', '4');
      await view.getByTestId('run-name').fill('fast lr');
      await view.getByTestId('run-note').fill('learning rate 0.01, 4 epochs');
      await view.getByTestId('run-label-save').click();
      await expect(view.getByTestId('run-title')).toHaveText('fast lr');
      for (const [w, h] of [[1280, 800], [1920, 1080]] as const) {
        await page.setViewportSize({ width: w, height: h });
        await app.shot(`run-view-${w}`);
      }
      await page.getByTestId('dialog-run').getByRole('button', { name: 'Close' }).click();
      await expect(page.getByTestId('dialog-run')).toBeHidden();
      await expect(runs.locator(`li[data-run="${ids[0]}"]`)).toContainText('fast lr');
      const saved = JSON.parse(await readFile(join(work, 'runs', ids[0], 'run.json'), 'utf8')) as { name: string; note: string };
      expect(saved).toMatchObject({ name: 'fast lr', note: 'learning rate 0.01, 4 epochs' });
    });

    await test.step('compare two runs on the same metric', async () => {
      for (const id of ids) await runs.locator(`li[data-run="${id}"]`).getByTestId('run-compare').check();
      const compare = page.getByTestId('compare');
      await expect(compare.getByTestId('compare-metric')).toHaveValue('val_loss');
      await compare.getByTestId('compare-metric').selectOption('val_accuracy');
      const chart = compare.getByTestId('chart-compare-val_accuracy');
      await expect(chart).toHaveAttribute('data-points', '4');
      // One series per run, named by the run; no series of another metric.
      const legend = chart.locator('.u-legend .u-series .u-label');
      await expect(legend).toHaveText([/^run \d\d-\d\d \d\d:\d\d$/, 'fast lr']);
      for (const [w, h] of [[1280, 800], [1920, 1080]] as const) {
        await page.setViewportSize({ width: w, height: h });
        await page.getByTestId('compare').scrollIntoViewIfNeeded();
        await app.shot(`compare-${w}`);
      }
    });

    await test.step('reopen the project: its runs are listed; a run folder opens on its own', async () => {
      // Back to the graph as trained, saved, so there is no unsaved work to recover.
      await app.select('dense');
      await app.setParam('units', '32');
      await app.shortcut('Control+s');
      await expect.poll(() => app.dirty()).toBe(false);
      await page.reload();
      await expect(page.getByTestId('statusbar')).toContainText('Connected');
      await app.openPath(project);
      await app.tab('training');
      await expect(runs.locator('li')).toHaveCount(2);
      await expect(runs).toContainText('fast lr');
      // The panel may still re-render from the project load: type until the field keeps the text.
      await expect(async () => {
        await page.getByTestId('run-folder-input').fill(join(work, 'runs', ids[1]));
        await page.getByTestId('run-folder-open').click({ timeout: 2_000 });
      }).toPass({ timeout: 30_000 });
      await expect(page.getByTestId('run-view').getByTestId('confusion-matrix')).toBeVisible();
      await expect(page.getByTestId('run-view').getByTestId('run-diff')).toContainText('The current graph is the one this run trained');
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
