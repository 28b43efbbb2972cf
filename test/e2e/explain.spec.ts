/**
 * Seeing inside a trained model (issue 20): train the digits CNN briefly, open the Explain panel,
 * pick a digit from the sample strip and see the Grad-CAM overlay, the prediction and the first
 * conv block's feature maps (with a channel picker and its dead ReLU share); SmoothGrad saliency;
 * an image of one's own (and a bad file's error); "Explain this block" on a block's context menu
 * opens that block's output. Then the transformer example on the text dataset: typed text is
 * explained token by token and each attention head's query × key map is drawn and read with the
 * keyboard. Screenshots at 1280×800 and 1920×1080.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures.js';

test('train the digits CNN, then see its Grad-CAM and feature maps', async ({ app, page }) => {
  test.setTimeout(720_000);
  const caps = await app.capabilities();
  test.skip(!caps.training || !caps.datasets, 'the training or dataset service is not part of this build');
  const work = await mkdtemp(join(tmpdir(), 'll-explain-'));
  try {
    await app.openDigits(work);
    await page.setViewportSize({ width: 1280, height: 800 });
    await app.tab('training');
    const epochs = page.getByTestId('train-epochs');
    await epochs.fill('2');
    await epochs.press('Enter');
    await page.getByTestId('train-start').click();
    await expect(page.getByTestId('train-status')).toContainText('completed', { timeout: 200_000 });

    await test.step('a confusion-matrix cell shows its samples, one click from Grad-CAM', async () => {
      // The first off-diagonal cell with samples (a digit mistaken for another).
      const cells = page.getByTestId('training-panel').locator('[data-testid^="matrix-cell-"]');
      const labels = await cells.evaluateAll((els) => els.map((e) => ({ id: e.getAttribute('data-testid') ?? '', label: e.getAttribute('aria-label') ?? '' })));
      const wrong = labels.find(({ id, label }) => {
        const [, , a, p] = id.split('-');
        return a !== p && !label.endsWith(': 0');
      });
      expect(wrong, 'a 2-epoch model still confuses some digits').toBeTruthy();
      await page.getByTestId(wrong?.id ?? '').click();
      const gallery = page.getByTestId('cell-gallery');
      await expect(gallery.getByTestId('gallery-item').first()).toBeVisible({ timeout: 30_000 });
      await expect(gallery.getByTestId('gallery-item').first()).toContainText('%');
      await gallery.scrollIntoViewIfNeeded();
      await app.shot('gallery-1280');
      await gallery.getByTestId('gallery-item').first().click();
      const panel = page.getByTestId('explain-panel');
      await expect(panel.getByTestId('explain-prediction')).toContainText('Predicted', { timeout: 120_000 });
      await expect(panel).toContainText('Grad-CAM at conv2d_2');
    });

    await test.step('pick a sample: prediction, Grad-CAM overlay, feature maps', async () => {
      const tab = page.getByTestId('tab-explain');
      if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
      const panel = page.getByTestId('explain-panel');
      const strip = panel.getByTestId('explain-samples');
      await expect(strip.locator('button')).toHaveCount(40, { timeout: 60_000 });
      // Keyboard first: focus the strip, move to the 8th sample (class 1), pick it with Enter.
      await strip.locator('button').first().focus();
      for (let i = 0; i < 7; i++) await page.keyboard.press('ArrowRight');
      await page.keyboard.press('Enter');
      await expect(panel.getByTestId('explain-busy')).toBeHidden({ timeout: 120_000 });
      await expect(panel.getByTestId('explain-prediction')).toContainText('Predicted 1');
      await expect(panel.getByTestId('explain-overlay')).toBeVisible();
      await expect(panel).toContainText('Grad-CAM at conv2d_2');
      // The overlay is coloured: the heat map is drawn over the grey digit.
      const coloured = await panel.getByTestId('explain-overlay').evaluate((c: HTMLCanvasElement) => {
        const d = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - d[i + 2]) > 40) n++;
        return { n, w: c.width };
      });
      expect(coloured.w).toBe(28);
      expect(coloured.n).toBeGreaterThan(100);
      await expect(panel.getByTestId('explain-feature-maps')).toBeVisible();
      await expect(panel.getByTestId('explain-dead')).toContainText('%');
      await panel.getByTestId('explain-channel').selectOption('3');
      await expect(panel.getByTestId('explain-feature-maps')).toHaveJSProperty('width', 26);
      // The weights view: the first conv block's 32 filters (3×3 tiles, 6 × 6 grid) and its tensors' histograms.
      await expect(panel.getByTestId('explain-filters')).toHaveJSProperty('width', 23);
      await expect(panel.getByTestId('explain-weights')).toContainText('kernel (3, 3, 1, 32)');
      await expect(panel.getByTestId('explain-weights')).toContainText('bias (32)');
      await panel.getByTestId('explain-weights').scrollIntoViewIfNeeded();
      await app.shot('explain-weights-1280');
      await panel.getByTestId('explain-method-saliency').click();
      await expect(panel).toContainText('|∂score/∂pixel|');
      await panel.getByTestId('explain-method-gradcam').click();
      for (const [w, h] of [
        [1280, 800],
        [1920, 1080],
      ]) {
        await page.setViewportSize({ width: w, height: h });
        await app.shot(`explain-${w}`);
      }
    });

    await test.step('SmoothGrad saliency, averaged over a chosen number of noisy copies', async () => {
      await page.setViewportSize({ width: 1280, height: 800 });
      const panel = page.getByTestId('explain-panel');
      await panel.getByTestId('explain-method-saliency').click();
      await panel.getByTestId('explain-smoothgrad-count').fill('8');
      await panel.getByTestId('explain-smoothgrad').check();
      await expect(panel).toContainText('SmoothGrad: mean |∂score/∂pixel| over 8 noisy copies', { timeout: 120_000 });
      await expect(panel.getByTestId('explain-busy')).toBeHidden({ timeout: 120_000 });
      for (const [w, h] of [
        [1280, 800],
        [1920, 1080],
      ]) {
        await page.setViewportSize({ width: w, height: h });
        await app.shot(`explain-smoothgrad-${w}`);
      }
      await panel.getByTestId('explain-smoothgrad').uncheck();
      await expect(panel).toContainText('|∂score/∂pixel|, max over channels', { timeout: 120_000 });
      await panel.getByTestId('explain-method-gradcam').click();
    });

    await test.step('an image of one’s own is explained; a file that is no image gets a clear error', async () => {
      const panel = page.getByTestId('explain-panel');
      const digits = join(fileURLToPath(new URL('../../', import.meta.url)), 'assets', 'datasets', 'digits', '7');
      const seven = await readFile(join(digits, (await readdir(digits)).sort()[5]));
      await panel.getByTestId('explain-file').setInputFiles({ name: 'my-seven.png', mimeType: 'image/png', buffer: seven });
      await expect(panel.getByTestId('explain-upload')).toContainText('Explaining my-seven.png');
      await expect(panel.getByTestId('explain-busy')).toBeHidden({ timeout: 120_000 });
      await expect(panel.getByTestId('explain-prediction')).toContainText('Predicted 7');
      await expect(panel).toContainText('Grad-CAM at conv2d_2');
      await panel.getByTestId('explain-file').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not an image') });
      await expect(panel.getByTestId('explain-error')).toContainText('notes.png cannot be read as an image', { timeout: 60_000 });
      await expect(panel.getByTestId('explain-error')).toContainText('Drop a PNG, JPEG');
      await app.shot('explain-bad-file-1280');
    });

    await test.step('"Explain this block" on the canvas opens the block’s output', async () => {
      // The dock leaves the canvas little room: hide it and fit the graph to reach the block.
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.locator('body').press('Control+j');
      await page.locator('body').press('f');
      await app.select('dense');
      await page.keyboard.press('Shift+F10');
      await page.getByRole('menuitem', { name: 'Explain this block' }).click();
      const view = page.getByTestId('explain-block-view');
      await expect(view).toContainText('dense', { timeout: 60_000 });
      await expect(view.getByTestId('explain-block-map')).toBeVisible();
    });

    await test.step('a text model: typed text coloured token by token, attention per head', async () => {
      const root = fileURLToPath(new URL('../../', import.meta.url));
      const doc = JSON.parse(await readFile(join(root, 'examples', 'transformer-classifier.layerloom'), 'utf8')) as { dataset: unknown; nodes: { id: string; params: Record<string, unknown> }[] };
      doc.dataset = { path: join(root, 'assets', 'datasets', 'text') };
      // The text dataset has three classes.
      const head = doc.nodes.find((n) => n.id === 'head');
      if (head) head.params.units = 3;
      const project = join(work, 'transformer.layerloom');
      await writeFile(project, JSON.stringify(doc, null, 2));
      await page.locator('body').press('Control+j');
      await app.shortcut('Control+s');
      await expect(page.getByTestId('dirty-marker')).toBeHidden();
      await app.openPath(project);
      await app.tab('training');
      const epochs = page.getByTestId('train-epochs');
      await epochs.fill('1');
      await epochs.press('Enter');
      await page.getByTestId('train-start').click();
      await expect(page.getByTestId('train-status')).toContainText('completed', { timeout: 200_000 });
      await page.getByTestId('tab-explain').click();
      const panel = page.getByTestId('explain-panel');
      await expect(panel.getByTestId('explain-samples').locator('button.text')).toHaveCount(12, { timeout: 60_000 });
      const box = panel.getByTestId('explain-text');
      await box.fill('Heavy rain and strong wind tomorrow, then a sunny match day at the stadium');
      await box.press('Control+Enter');
      await expect(panel.getByTestId('explain-busy')).toBeHidden({ timeout: 120_000 });
      const tokens = panel.getByTestId('explain-tokens').getByRole('listitem');
      await expect(tokens).toHaveCount(14);
      await expect(tokens.first()).toHaveText('heavy');
      // Every token is coloured (weights −1…1, the largest |weight| is 1).
      const weights = await tokens.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-weight'))));
      expect(Math.max(...weights.map(Math.abs))).toBeCloseTo(1, 3);
      await panel.getByTestId('explain-tokens').scrollIntoViewIfNeeded();
      await app.shot('explain-text-tokens-1280');
      await page.setViewportSize({ width: 1920, height: 1080 });
      await app.shot('explain-text-tokens-1920');
      await page.setViewportSize({ width: 1280, height: 800 });
      const attention = panel.getByTestId('explain-attention');
      await expect(attention).toContainText('self_attention');
      await expect(attention.getByTestId('explain-attention-head')).toHaveCount(2);
      // Cut to the text's 14 tokens; the padding is one switch away.
      await expect(attention.getByTestId('explain-attention-padding')).not.toBeChecked();
      await expect(attention.locator('.ll-explain-keys').first().locator('span')).toHaveCount(14);
      await attention.locator('canvas').first().focus();
      await page.keyboard.press('ArrowRight');
      await expect(attention.getByTestId('explain-attention-readout')).toContainText('Head 1: “heavy” attends to “rain” with weight 0.');
      for (const [w, h] of [
        [1280, 800],
        [1920, 1080],
      ]) {
        await page.setViewportSize({ width: w, height: h });
        await attention.scrollIntoViewIfNeeded();
        await app.shot(`explain-text-${w}`);
      }
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
