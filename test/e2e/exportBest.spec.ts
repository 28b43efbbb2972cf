/**
 * Export ships the best run, not the latest (issue 13, broken flow 1): train the digits CNN well,
 * then train it again badly; the Export dialog names the better run ("run 12-03 08:41 ·
 * val_accuracy 0.9375 · best checkpoint, epoch 2") and exports it, and real Python Keras scores the
 * exported model.py + weights.npz on the same validation split within one sample of that run.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { EpochRecord } from '../../shared/training/protocol.js';
import { expect, test } from './fixtures.js';
import { ROOT } from './support/hostProcess.js';

const run = promisify(execFile);

/** The run's best epoch on val_accuracy, from its own history. */
async function bestOf(runDir: string): Promise<{ epoch: number; accuracy: number }> {
  const history = JSON.parse(await readFile(join(runDir, 'history.json'), 'utf8')) as EpochRecord[];
  const best = history.reduce((a, b) => (b.metrics.val_accuracy > a.metrics.val_accuracy ? b : a));
  return { epoch: best.epoch, accuracy: best.metrics.val_accuracy };
}

const SCORE = `
import importlib.util, json, sys
import numpy as np
folder, data = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location("exported", folder + "/model.py")
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
model = m.build_model()
m.load_weights(model, folder + "/weights.npz")
d = np.load(data)
p = model.predict(d["x"], verbose=0, batch_size=256)
print(json.dumps({"correct": int((p.argmax(-1) == d["y"]).sum()), "n": int(len(d["y"]))}))
`;

test('Export picks the best run and Keras scores it as the run did', async ({ app, page }, testInfo) => {
  // Two trainings, an export and Keras: longer than the default budget on a busy machine.
  test.setTimeout(480_000);
  const caps = await app.capabilities();
  test.skip(!caps.training || !caps.export, 'the training or export service is not part of this build');
  const python = await run('python3', ['-c', 'import keras']).then(
    () => true,
    () => false,
  );
  test.skip(!python, 'Python Keras is not installed, so the exported model cannot be scored');
  const work = await mkdtemp(join(tmpdir(), 'll-export-best-'));
  try {
    const project = join(work, 'digits.layerloom');
    const doc = JSON.parse(await readFile(join(ROOT, 'examples', 'mnist-cnn.layerloom'), 'utf8')) as {
      dataset: { path: string };
      training: { earlyStopping: { monitor: string } };
    };
    doc.dataset.path = join(ROOT, 'assets', 'datasets', 'digits');
    doc.training.earlyStopping.monitor = 'val_accuracy';
    await writeFile(project, JSON.stringify(doc, null, 2));
    await app.openPath(project);
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
      await expect(page.getByTestId('train-status')).toContainText('completed', { timeout: 200_000 });
    };
    await test.step('a good run, then a worse, later one', async () => {
      await train('3', '0.001');
      await train('1', '0.00001');
    });
    const runsDir = join(work, 'runs');
    const ids = (await readdir(runsDir)).sort();
    expect(ids).toHaveLength(2);
    const [good, poor] = await Promise.all(ids.map((id) => bestOf(join(runsDir, id))));
    expect(good.accuracy).toBeGreaterThan(poor.accuracy);

    const folder = join(work, 'export');
    await test.step('the Export dialog names the best run and exports it', async () => {
      await page.getByTestId('tb-template').focus();
      await app.shortcut('Control+e');
      const dialog = page.getByTestId('dialog-export');
      const label = dialog.getByTestId('export-weights-label');
      await expect(label).toContainText(`val_accuracy ${String(Number(good.accuracy.toFixed(4)))} · best checkpoint, epoch ${good.epoch}`);
      await expect(label).toContainText(`--run ${ids[0]} --checkpoint best`);
      await app.shot('export-best');
      await dialog.getByTestId('path-input').fill(folder);
      await dialog.getByTestId('path-submit').click();
      await expect(dialog.getByTestId('export-files')).toBeVisible({ timeout: 120_000 });
      await page.keyboard.press('Escape');
    });
    const manifest = JSON.parse(await readFile(join(folder, 'layerloom-export.json'), 'utf8')) as { weights: { runId: string; checkpoint: string; epoch: number } };
    expect(manifest.weights).toMatchObject({ runId: ids[0], checkpoint: 'best', epoch: good.epoch });
    expect(await readFile(join(folder, 'README.md'), 'utf8')).toContain(`run \`${ids[0]}\`, best checkpoint, epoch ${good.epoch}`);

    await test.step('Keras scores the export on the same validation split within one sample', async () => {
      const npz = join(work, 'validation.npz');
      await run(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'test', 'e2e', 'support', 'validationSplit.ts'), join(runsDir, ids[0]), npz], { cwd: ROOT, timeout: 120_000 });
      const script = join(work, 'score.py');
      await writeFile(script, SCORE);
      const { stdout } = await run('python3', [script, folder, npz], { timeout: 180_000, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
      const keras = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { correct: number; n: number };
      const runCorrect = Math.round(good.accuracy * keras.n);
      testInfo.annotations.push({ type: 'accuracy', description: `run ${good.accuracy} (${runCorrect}/${keras.n}), Keras ${keras.correct}/${keras.n}` });
      console.log(`val_accuracy: run ${good.accuracy} (${runCorrect}/${keras.n}); Keras ${keras.correct}/${keras.n}`);
      expect(Math.abs(keras.correct - runCorrect)).toBeLessThanOrEqual(1);
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
