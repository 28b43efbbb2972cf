/**
 * The Export dialog offers ONNX: picking it and exporting writes model.onnx, README.md and
 * predict.py, listed in the dialog (screenshots at 1280×800 and 1920×1080).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures.js';

test('the Export dialog exports an ONNX model', async ({ app, page }) => {
  const caps = await app.capabilities();
  test.skip(!caps.export, 'the export service is not part of this build');
  const work = await mkdtemp(join(tmpdir(), 'll-onnx-'));
  try {
    await app.newFromTemplate('mnist-cnn');
    await page.getByTestId('tb-template').focus();
    await app.shortcut('Control+e');
    const dialog = page.getByTestId('dialog-export');
    await dialog.getByTestId('export-target-onnx').click();
    await expect(dialog.getByTestId('path-input')).toHaveValue(/-onnx$/);
    await dialog.getByTestId('path-input').fill(join(work, 'mnist-onnx'));
    await dialog.getByTestId('path-submit').click();
    await expect(dialog.getByTestId('export-files')).toContainText('model.onnx', { timeout: 120_000 });
    for (const f of ['model.onnx', 'README.md', 'predict.py', 'layerloom-export.json']) expect(existsSync(join(work, 'mnist-onnx', f)), f).toBe(true);
    for (const [w, h] of [[1280, 800], [1920, 1080]]) {
      await page.setViewportSize({ width: w, height: h });
      await app.shot(`export-onnx-${w}`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
