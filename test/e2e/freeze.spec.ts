/**
 * Freezing layers for transfer learning: multi-select Freeze from the block menu, a mark on each
 * frozen block, the status bar's trainable count, the inspector's Trainable switch, Unfreeze from the
 * command palette, and undo as one step.
 */
import { expect, test } from './fixtures.js';

test('freeze a backbone from the block menu, unfreeze its head in the inspector and from the palette', async ({ app, page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await app.newFromTemplate('resnet-mini');
  await expect(page.getByTestId('status-params')).toHaveText('19,354 params');
  await expect(page.getByTestId('status-trainable')).toHaveCount(0);
  // The whole model in view (the canvas draws only the blocks in view): bottom panel away, zoom to fit.
  await page.locator('body').press('Control+j');
  await page.locator('body').press('Shift+1');
  await app.settle();

  // Select every block, right-click one: Freeze counts the 19 layers (Input and Output have no weights).
  await page.locator('body').press('Control+a');
  await app.node('conv2d_2').locator('.ll-node-type').click({ button: 'right' });
  const menu = page.getByTestId('context-menu');
  await expect(menu.locator('[data-command="selection.freeze"]')).toHaveText(/Freeze 19 layers/);
  await expect(menu.locator('[data-command="selection.unfreeze"]')).toHaveAttribute('aria-disabled', 'true');
  await app.shot('freeze-menu-1280');
  await menu.locator('[data-command="selection.freeze"]').click();
  const layers = (await app.doc()).nodes.filter((n) => n.type !== 'Input' && n.type !== 'Output');
  expect(layers.every((n) => n.params.trainable === false)).toBe(true);
  await expect(page.getByTestId('node-frozen')).toHaveCount(layers.length);
  await expect(page.getByTestId('status-trainable')).toHaveText('❄ 0 trainable');

  // The head: its inspector switch turns it back on; the summary splits as Keras's.
  await app.select('predictions');
  const trainable = page.locator('[data-testid=inspector] [data-param="trainable"] input');
  await expect(trainable).not.toBeChecked();
  await page.locator('[data-testid=inspector] [data-param="trainable"] .ll-switch').click();
  await expect(trainable).toBeChecked();
  await expect(page.getByTestId('status-trainable')).toHaveText('❄ 330 trainable');
  await expect(app.node('predictions').getByTestId('node-frozen')).toHaveCount(0);
  await app.select('batch_normalization_4');
  await expect(page.getByTestId('inspector')).toContainText('Trainable params0');
  await app.shot('freeze-inspector-1280');
  await page.setViewportSize({ width: 1920, height: 1080 });
  await app.shot('freeze-inspector-1920');
  await page.setViewportSize({ width: 1280, height: 800 });

  // Command palette: Unfreeze the selected BatchNormalization.
  await page.locator('body').press('Control+k');
  const palette = page.getByTestId('command-palette');
  await palette.getByRole('combobox').fill('unfreeze');
  await expect(palette.locator('[data-command="selection.unfreeze"]')).toBeVisible();
  await app.shot('freeze-palette-1280');
  await palette.getByRole('combobox').press('Enter');
  await expect(app.node('batch_normalization_4').getByTestId('node-frozen')).toHaveCount(0);
  await expect(page.getByTestId('status-trainable')).toHaveText('❄ 394 trainable');

  // Close up: the frozen marks on the blocks and the trainable head.
  for (let i = 0; i < 4; i++) await page.locator('body').press('Control+=');
  await app.settle();
  await app.shot('freeze-marks-1280');
  await page.setViewportSize({ width: 1920, height: 1080 });
  await app.shot('freeze-marks-1920');
  await page.setViewportSize({ width: 1280, height: 800 });

  // Undo takes back one command at a time: the palette's Unfreeze, then the switch, then the 19-block Freeze.
  await app.undo();
  await expect(page.getByTestId('status-trainable')).toHaveText('❄ 330 trainable');
  await app.undo();
  await app.undo();
  await expect(page.getByTestId('node-frozen')).toHaveCount(0);
  await expect(page.getByTestId('status-trainable')).toHaveCount(0);
});
