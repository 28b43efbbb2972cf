/**
 * Opening models saved by real Keras (issue 16): Open on a `.keras` file shows the imported graph
 * with every block's shape, and it trains on the iris data starting from the file's weights. A
 * `.keras` file with a custom layer and a Lambda is refused with a report naming both; the report's
 * "Keep unsupported layers" opens it with each as an opaque block showing "unsupported: <class>".
 * Dropping a `.keras` file on the window opens it (the browser host takes it by streamed upload).
 * Screenshots at 1280×800 and 1920×1080. Skipped without Python Keras (it writes the files).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures.js';
import { ROOT } from './support/hostProcess.js';

const MODELS = `
import sys, keras
keras.utils.set_random_seed(1)
inp = keras.Input((4,), name='measurements')
h = keras.layers.Dense(8, activation='relu', name='hidden')(inp)
out = keras.layers.Dense(3, activation='softmax', name='species')(h)
keras.Model(inp, out, name='iris_keras').save(sys.argv[1] + '/iris.keras')

@keras.saving.register_keras_serializable(package='Acme')
class Scale(keras.layers.Layer):
    def build(self, shape):
        self.w = self.add_weight(shape=(shape[-1],), initializer='ones', name='w')
    def call(self, x):
        return x * self.w
inp = keras.Input((4,), name='x')
h = keras.layers.Dense(8, name='d1')(inp)
h = Scale(name='scale')(h)
h = keras.layers.Lambda(lambda t: t * 2.0, name='twice')(h)
out = keras.layers.Dense(3, activation='softmax', name='head')(h)
keras.Model(inp, out, name='acme').save(sys.argv[1] + '/acme.keras')
`;

test('open a .keras file saved by Keras, see its shapes, train it; keep unsupported layers from the import report', async ({ app, page }) => {
  test.setTimeout(360_000);
  const caps = await app.capabilities();
  test.skip(!caps.training || !caps.datasets, 'the training or dataset service is not part of this build');
  const work = await mkdtemp(join(tmpdir(), 'll-import-'));
  try {
    const py = spawnSync(process.env.PYTHON ?? 'python3', ['-c', MODELS, work], { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' }, timeout: 180_000 });
    test.skip(py.status !== 0, `Python Keras could not write the models: ${(py.stderr || String(py.error)).trim().split('\n').pop() ?? ''}`);
    await page.setViewportSize({ width: 1280, height: 800 });

    // Open the model: the imported graph, top-down, with Keras's shapes and counts.
    await app.openPath(join(work, 'iris.keras'));
    const doc = await app.doc();
    expect(doc.nodes.map((n) => `${n.type} ${n.label}`)).toEqual(['Input measurements', 'Dense hidden', 'Dense species', 'Output species']);
    await expect(page.getByTestId('status-params')).toHaveText('67 params');
    const shape = (id: string) => page.locator(`[data-node-id="${id}"] [data-testid=node-shape]`);
    await expect(shape('measurements')).toHaveText('(None, 4)');
    await expect(shape('hidden')).toHaveText('(None, 8)');
    await expect(shape('species')).toHaveText('(None, 3)');
    await expect(page.locator('.ll-node.has-error')).toHaveCount(0);
    await app.shot('import-keras-1280');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await app.shot('import-keras-1920');
    await page.setViewportSize({ width: 1280, height: 800 });

    // It trains, starting from the weights the file carried.
    await app.useDataset(join(ROOT, 'assets', 'datasets', 'iris.csv'));
    await app.tab('training');
    const epochs = page.getByTestId('train-epochs');
    await epochs.fill('2');
    await epochs.press('Enter');
    await page.getByTestId('train-start').click();
    await expect(page.getByTestId('train-status')).toContainText('completed', { timeout: 120_000 });
    await app.shot('import-keras-trained-1280');

    // A custom class and a Lambda: the import report lists both and offers to keep them.
    await app.shortcut('Control+s');
    await app.page.getByTestId('tb-open').click();
    const dialog = page.getByTestId('dialog-open');
    await dialog.getByTestId('path-input').fill(join(work, 'acme.keras'));
    await dialog.getByTestId('path-submit').click();
    const report = page.locator('.ll-toast.error').last();
    await expect(report).toContainText('2 layer(s) cannot be represented');
    await expect(report).toContainText('scale (Scale): custom class Acme>Scale');
    await expect(report).toContainText('twice (Lambda)');
    await app.shot('import-report-1280');
    await report.getByRole('button', { name: 'Keep unsupported layers' }).click({ timeout: 15_000 });
    await expect(dialog).toBeHidden();
    // The whole model in view (the canvas draws only the blocks in view).
    await page.locator('body').press('Shift+1');
    await app.settle();
    const kept = (await app.doc()).nodes.filter((n) => n.type === 'UnsupportedKerasLayer').map((n) => n.label);
    expect(kept).toEqual(['scale', 'twice']);
    await expect(page.locator('.ll-node.has-error')).toHaveCount(2);
    await expect(app.node('twice').getByTestId('node-badge')).toHaveAttribute('aria-label', /^unsupported: Lambda/);
    // Shapes flow past the opaque blocks (Keras recorded them): the head still has its shape.
    await expect(shape('scale')).toHaveText('(None, 8)');
    await expect(shape('head')).toHaveText('(None, 3)');
    await app.node('scale').getByTestId('node-badge').hover();
    await app.shot('import-unsupported-1280');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await app.shot('import-unsupported-1920');
    await page.setViewportSize({ width: 1280, height: 800 });

    // Dropping a model file on the window opens it: the browser host takes it by streamed upload.
    const bytes = [...(await readFile(join(work, 'iris.keras')))];
    await page.evaluate((data) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(data)], 'dropped iris.keras'));
      const target = document.querySelector('.react-flow__pane') ?? document.body;
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, bytes);
    await expect(page.getByTestId('status-params')).toHaveText('67 params');
    const dropped = await app.doc();
    expect(dropped.nodes.map((n) => n.label)).toEqual(['measurements', 'hidden', 'species', 'species']);
    const path = await page.evaluate(() => (globalThis as unknown as { __layerloom: { editor: { state: { path: string | null } } } }).__layerloom.editor.state.path);
    expect(path).toMatch(/layerloom-drop-[^/]+\/dropped iris\.layerloom$/);
    await app.shot('import-dropped-1280');
    // A file of another kind is refused by name, and nothing changes.
    await page.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['x'], 'notes.txt'));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    });
    await expect(app.lastToast()).toContainText('notes.txt is not a file Layerloom opens');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
