/**
 * TFLite from the Export dialog: with the Keras target, the TFLite row converts the exported model
 * with Python TensorFlow (model.py --tflite) into model.tflite, and the dialog says its size; for a
 * recurrent model int8 is disabled and says why.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures.js';

const python = process.env.LAYERLOOM_PYTHON || 'python3';
const noTf = spawnSync(python, ['-c', 'import keras, tensorflow'], { encoding: 'utf8', timeout: 180_000 }).status !== 0;

test('Export dialog writes model.tflite with the Keras export and refuses int8 for an LSTM', async ({ app, page }) => {
  const caps = await app.capabilities();
  test.skip(!caps.export, 'the export service is not part of this build');
  test.skip(noTf, `${python} cannot import keras and tensorflow`);
  const work = await mkdtemp(join(tmpdir(), 'll-export-tflite-'));
  try {
    await app.openDigits(work);

    const folder = join(work, 'export');
    await page.getByTestId('tb-template').focus();
    await app.shortcut('Control+e');
    const dialog = page.getByTestId('dialog-export');
    await dialog.getByTestId('export-target-keras').click();
    const row = dialog.getByTestId('export-tflite');
    await expect(row.getByTestId('export-tflite-int8')).toBeEnabled();
    await expect(dialog.getByTestId('export-tflite-note')).toHaveCount(0);
    await row.getByTestId('export-tflite-dynamic').click();
    await expect(row.getByTestId('export-tflite-dynamic')).toHaveClass(/active/);
    await dialog.getByTestId('path-input').fill(folder);
    await dialog.getByTestId('path-submit').click();
    const report = dialog.getByTestId('export-quantization');
    await expect(report).toBeVisible({ timeout: 240_000 });
    await expect(report).toContainText(/TFLite dynamic: model\.tflite \d+\.\d\d KB \(float32 weights 364\.54 KB\)/);
    await expect(dialog.getByTestId('export-files')).toContainText('model.tflite');
    for (const [w, h] of [[1280, 800], [1920, 1080]] as const) {
      await page.setViewportSize({ width: w, height: h });
      await app.shot(`export-tflite-${w}x${h}`);
    }
    const size = (await stat(join(folder, 'model.tflite'))).size;
    expect(size).toBeGreaterThan(93_322);
    expect(size).toBeLessThan(93_322 * 1.3);
    await page.keyboard.press('Escape');

    await app.newFromTemplate('text-lstm');
    await page.getByTestId('tb-template').focus();
    await app.shortcut('Control+e');
    await dialog.getByTestId('export-target-keras').click();
    const int8 = dialog.getByTestId('export-tflite').getByTestId('export-tflite-int8');
    await expect(int8).toBeDisabled();
    await expect(int8).toHaveAttribute('title', /recurrent layers \(lstm, lstm_1\)/);
    await expect(dialog.getByTestId('export-tflite-float16')).toBeEnabled();
    await expect(dialog.getByTestId('export-tflite-note')).toContainText('int8: not for recurrent layers');
    await app.shot('export-tflite-lstm-1920x1080');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
