/**
 * The dataset panel on a CSV: the column to predict is chosen from the file's header, the scan
 * follows it (classes or regression, inputs, loss), "Use" stores it in the project by name, and a
 * later scan of the project's dataset predicts the stored column again.
 */
import { join } from 'node:path';
import { expect, test } from './fixtures.js';
import { ROOT } from './support/hostProcess.js';

test('a CSV target column is picked from the header, followed by the scan and kept by the project', async ({ app, page }) => {
  await app.newFromTemplate('mlp');
  await app.tab('dataset');
  const iris = join(ROOT, 'assets', 'datasets', 'iris.csv');
  await page.getByTestId('dataset-path').fill(iris);
  await page.getByTestId('dataset-scan').click();
  const report = page.getByTestId('dataset-report');
  const target = page.getByTestId('dataset-target');
  // By default the last column is predicted: three species, four numeric inputs.
  await expect(target).toHaveValue('species');
  await expect(report).toContainText('sparse_categorical_crossentropy');
  await expect(page.locator('.ll-class-row')).toHaveCount(3);
  await expect(page.getByTestId('dataset-columns')).toContainText('5 columns · 4 model inputs · 150 rows');

  // Predicting a numeric column makes it regression; species becomes a one-hot input (4 + 3 − 1 = 6).
  await target.selectOption('petal_width');
  await expect(report).toContainText('mean_squared_error');
  await expect(page.locator('.ll-class-row')).toHaveCount(0);
  await expect(page.getByTestId('dataset-columns')).toContainText('5 columns · 6 model inputs · 150 rows');
  await expect(page.getByTestId('dataset-columns').locator('tr.target')).toContainText('petal_width');
  await expect(page.getByTestId('dataset-columns').locator('tr', { hasText: 'species' })).toContainText('categorical');
  await page.getByTestId('dataset-panel').evaluate((el) => el.scrollIntoView());
  for (const [w, h] of [[1280, 800], [1920, 1080]] as const) {
    await page.setViewportSize({ width: w, height: h });
    await app.shot(`dataset-csv-target-${w}`);
  }

  await page.getByTestId('dataset-use').click();
  await expect.poll(async () => (await app.doc()).dataset).toEqual({ path: iris, kind: 'csv', targetColumn: 'petal_width' });
  await expect(page.getByTestId('dataset-panel')).toContainText('predicting “petal_width”');

  // Scanning the project's dataset again predicts the stored column, not the last one.
  await page.getByTestId('dataset-scan').click();
  await expect(target).toHaveValue('petal_width');
  await expect(report).toContainText('mean_squared_error');
});
