/**
 * Training starts from a project's initial weights (project format 2's `initialWeights`, what an
 * import writes): with a learning rate too small to move them, the trained weights are the initial
 * weights; without the field, training starts from the seeded initialisers instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../shared/compile/compile.js';
import { train } from '../../electron/services/trainingService.js';
import { folderSaveHandler, readNamedWeights } from '../../electron/services/weights/tfjsFolder.js';
import { chain } from '../helpers/chainDoc.js';

const iris = fileURLToPath(new URL('../../assets/datasets/iris.csv', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'layerloom-initial-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

await tf.setBackend('cpu');

const doc = chain('iris', [
  ['in', 'Input', { shape: [4] }],
  ['d1', 'Dense', { units: 8, activation: 'relu' }],
  ['d2', 'Dense', { units: 3, activation: 'softmax' }],
  ['out', 'Output'],
]);

async function trainedWeights(projectDoc: typeof doc): Promise<tf.NamedTensorMap> {
  const handle = train(
    { doc: projectDoc, projectPath: join(work, 'iris.layerloom'), runsDir: join(work, 'runs'), datasetPath: iris, overrides: { epochs: 1, batchSize: 32, learningRate: 1e-9 }, mode: 'thread' },
    () => undefined,
  );
  const finished = await handle.done;
  if (finished.kind !== 'finished' || finished.status !== 'completed') throw new Error(`training did not complete: ${JSON.stringify(finished)}`);
  return readNamedWeights(tf, join(finished.runDir as string, 'model'));
}

function maxDiff(a: tf.NamedTensorMap, b: tf.NamedTensorMap): number {
  let worst = 0;
  for (const [name, t] of Object.entries(b)) {
    const x = a[name].dataSync();
    const y = t.dataSync();
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  }
  return worst;
}

describe('initial weights', () => {
  it('training starts from the folder initialWeights names; without it, from the initialisers', async () => {
    // Weights no seed of the project gives: those of seed 12345.
    const { model } = compileModel(doc, tf, { seed: 12345 });
    await model.save(folderSaveHandler(join(work, 'iris.weights')));
    model.dispose();
    const initial = await readNamedWeights(tf, join(work, 'iris.weights'));
    const fromImported = await trainedWeights({ ...doc, initialWeights: 'iris.weights' });
    expect(Object.keys(fromImported).sort()).toEqual(Object.keys(initial).sort());
    expect(maxDiff(fromImported, initial)).toBeLessThan(1e-5);
    const fromSeed = await trainedWeights(doc);
    expect(maxDiff(fromSeed, initial)).toBeGreaterThan(1e-2);
  }, 120_000);
});
