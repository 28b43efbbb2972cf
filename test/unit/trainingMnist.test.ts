/**
 * The headline check: the mnist CNN example, trained on the bundled handwritten digits in the
 * training worker on the native TensorFlow backend, passes 90% validation accuracy within 5 epochs.
 * Needs the native backend (`npm run native:link`): the pure-JS backend would take many minutes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { detectBestBackend } from '../../electron/services/backendService.js';
import { loadProjectFile } from '../../electron/services/projectService.js';
import { train } from '../../electron/services/trainingService.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const example = join(root, 'examples/mnist-cnn.layerloom');

const backend = await detectBestBackend();
const native = backend.id === 'native' || backend.id === 'native-gpu';
const skipReason = native
  ? ''
  : `the native TensorFlow backend is not available (${backend.attempts.map((a) => `${a.backend}: ${a.reason}`).join('; ')}); run "npm run native:link"`;
if (skipReason) console.log(`trainingMnist: skipped — ${skipReason}`);

const work = mkdtempSync(join(tmpdir(), 'layerloom-mnist-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(Boolean(skipReason))('mnist example on the bundled digits', () => {
  it('passes 90% validation accuracy within 5 epochs', { timeout: 300_000 }, async () => {
    const { doc } = await loadProjectFile(example);
    const projectPath = example;
    const valAccuracy: number[] = [];
    const handle = train(
      {
        doc,
        projectPath,
        datasetPath: join(root, 'assets/datasets/digits'),
        overrides: { epochs: 5, batchSize: 32, optimizer: 'adam', learningRate: 0.001, validationSplit: 0.2, seed: 42 },
        runsDir: join(work, 'runs'),
        progressIntervalMs: 1000,
      },
      (e) => {
        if (e.kind !== 'epoch') return;
        valAccuracy.push(e.metrics.val_accuracy);
        // Clearly past the bar (with margin for the batch a stop still trains): save CI time.
        if (e.metrics.val_accuracy > 0.93) handle.stop();
      },
    );
    const finished = await handle.done;
    console.log(`trainingMnist: val_accuracy per epoch ${valAccuracy.map((v) => v.toFixed(4)).join(', ')}; final ${finished.evaluation?.task === 'classification' ? finished.evaluation.accuracy.toFixed(4) : '?'}`);
    expect(finished.status === 'completed' || finished.status === 'stopped').toBe(true);
    expect(valAccuracy.length).toBeLessThanOrEqual(5);
    expect(Math.max(...valAccuracy)).toBeGreaterThan(0.9);
    expect(finished.evaluation?.task === 'classification' && finished.evaluation.accuracy).toBeGreaterThan(0.9);
    expect(finished.evaluation?.task === 'classification' && finished.evaluation.perClass).toHaveLength(10);
  });
});
