/**
 * Screenshots of every panel, dark and light, for looking at (and for the README). Asserts only
 * that each panel shows its content; the pictures are the point.
 */
import { join } from 'node:path';
import { expect, test } from './fixtures.js';
import { ROOT } from './support/hostProcess.js';

test('every panel, dark and light', async ({ app, page }) => {
  await app.newFromTemplate('mnist-cnn');
  await app.shot('overview-dark');

  const conv = await app.labelOf('conv2');
  await app.select(conv);
  await app.shot('inspector');

  await app.tab('code');
  await expect(page.getByTestId('code-editor')).toContainText('a Keras model exported from Layerloom', { timeout: 60_000 });
  await app.shot('code-keras');
  await page.locator('.ll-file-tabs button', { hasText: 'tfjob.yaml' }).click();
  await expect(page.getByTestId('code-editor')).toContainText('Kubeflow TFJob');
  await app.shot('code-k8s');
  await page.locator('.ll-file-tabs button', { hasText: 'model.py' }).click();
  await page.getByTestId('code-target-tfjs').click();
  await expect(page.getByTestId('code-editor')).toContainText('a TensorFlow.js model exported from Layerloom', { timeout: 60_000 });
  await app.shot('code-typescript');

  await app.useDataset(join(ROOT, 'assets', 'datasets', 'digits'));
  await app.shot('dataset');

  await app.tab('training');
  await app.shot('training-idle');
  const epochs = page.getByTestId('train-epochs');
  await epochs.fill('2');
  await epochs.press('Enter');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('train-status')).toContainText('completed', { timeout: 180_000 });
  await expect(page.getByTestId('confusion-matrix')).toBeVisible();
  await page.evaluate(() => (globalThis as unknown as { __layerloom: { ui: { setState(s: object): void } } }).__layerloom.ui.setState({ bottomHeight: 430 }));
  await page.locator('body').press('Escape');
  await app.shot('training-done');
  await page.evaluate(() => (globalThis as unknown as { __layerloom: { ui: { setState(s: object): void } } }).__layerloom.ui.setState({ bottomHeight: 320 }));

  await app.select(conv);
  await app.setParam('kernel_size', '15, 15');
  await expect(app.badge(conv)).toBeVisible();
  await app.tab('problems');
  await app.badge(conv).hover();
  await app.shot('problem-and-tooltip');
  await app.undo();

  await page.getByTestId('tb-template').click();
  await expect(page.locator('.ll-template').first()).toBeVisible();
  await app.shot('templates');
  await page.keyboard.press('Escape');

  await page.getByTestId('tb-theme').click();
  await page.locator('body').press('Escape');
  await app.shot('overview-light');
  await app.tab('code');
  await app.shot('code-light');
  await page.getByTestId('tb-theme').click();
});
