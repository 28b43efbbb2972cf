/**
 * A quantized TensorFlow.js export from the Export dialog: train the digits CNN for one epoch,
 * choose TensorFlow.js and uint8, export; the dialog shows the weights size before → after and the
 * float vs quantized accuracy on the run's validation split, and the folder holds uint8 weights in
 * tfjs's manifest form.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures.js';

test('Export dialog writes uint8 weights and reports size and accuracy before → after', async ({ app, page }) => {
  const caps = await app.capabilities();
  test.skip(!caps.training || !caps.export, 'the training or export service is not part of this build');
  const work = await mkdtemp(join(tmpdir(), 'll-export-quantized-'));
  try {
    await app.openDigits(work);
    await app.tab('training');
    const epochs = page.getByTestId('train-epochs');
    await epochs.fill('1');
    await epochs.press('Enter');
    await page.getByTestId('train-start').click();
    await expect(page.getByTestId('train-status')).toContainText('completed', { timeout: 200_000 });

    const folder = join(work, 'export');
    await page.getByTestId('tb-template').focus();
    await app.shortcut('Control+e');
    const dialog = page.getByTestId('dialog-export');
    // The run's weights, once the dialog has listed the runs.
    await expect(dialog.getByTestId('export-weights-label')).toContainText('--checkpoint best', { timeout: 60_000 });
    await dialog.getByTestId('export-target-tfjs').click();
    await dialog.getByTestId('export-precision-uint8').click();
    await expect(dialog.getByTestId('export-precision-uint8')).toHaveClass(/active/);
    await dialog.getByTestId('path-input').fill(folder);
    await dialog.getByTestId('path-submit').click();
    const report = dialog.getByTestId('export-quantization');
    await expect(report).toBeVisible({ timeout: 240_000 });
    await expect(report).toContainText('weights float32 364.54 KB → uint8 91.13 KB (25%)');
    const acc = /accuracy float (0\.\d{4}) → quantized (0\.\d{4}) \(validation, 800 samples\)/.exec((await report.textContent()) ?? '');
    expect(acc).not.toBeNull();
    // Trained weights (one epoch of the digits CNN scores well above chance), and uint8 costs at most 1 point.
    expect(Number(acc?.[1])).toBeGreaterThan(0.5);
    expect(Number(acc?.[1]) - Number(acc?.[2])).toBeLessThanOrEqual(0.01);
    for (const [w, h] of [[1280, 800], [1920, 1080]] as const) {
      await page.setViewportSize({ width: w, height: h });
      await app.shot(`export-quantized-${w}x${h}`);
    }
    const json = JSON.parse(await readFile(join(folder, 'weights', 'model.json'), 'utf8')) as { weightsManifest: { weights: { quantization?: { dtype: string } }[] }[] };
    expect(json.weightsManifest[0].weights.every((w) => w.quantization?.dtype === 'uint8')).toBe(true);
    expect((await stat(join(folder, 'weights', 'weights.bin'))).size).toBe(93_322);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
