/**
 * `layerloom export --to ts --quantize float16|uint8` on the mnist example after a short real
 * training run (`layerloom train --epochs 2`, 800 validation images): the CLI reports the weights
 * size before → after and the float vs quantized validation accuracy; the uint8 export loses at
 * most 1 point (8 of 800 images). The written folder is decoded by tfjs's own loader
 * (`tf.loadLayersModel` over `tf.io.getModelArtifactsForJSON`, as its file and http handlers do) and
 * by the exported model.ts + weights.ts, with no Layerloom code, and predicts as the float model does
 * within the stated tolerances.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decodeNpz } from '../../electron/services/weights/npz.js';
import { readNamedWeights } from '../../electron/services/weights/tfjsFolder.js';

await tf.setBackend('cpu');
const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(repo, 'bin/layerloom.js');
const root = mkdtempSync(join(tmpdir(), 'layerloom-quantized-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const project = join(root, 'mnist.layerloom');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 400_000 });

/** tfjs's own loading path for a model.json folder (what `file://` and `http://` handlers do). */
function folderHandler(folder: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8')) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const shards = await Promise.all(manifest.flatMap((g) => g.paths).map((p) => readFile(join(folder, p))));
        const data = new Uint8Array(Buffer.concat(shards)).buffer;
        return [manifest.flatMap((g) => g.weights), data];
      });
    },
  };
}

let runModelDir: string;
let runValAccuracy: number;
const inputs = tf.randomUniform([64, 28, 28, 1], 0, 1, 'float32', 11);

beforeAll(() => {
  const doc = JSON.parse(readFileSync(join(repo, 'examples/mnist-cnn.layerloom'), 'utf8')) as { dataset: { path: string } };
  doc.dataset.path = join(repo, 'assets/datasets/digits');
  writeFileSync(project, JSON.stringify(doc, null, 2));
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
  const r = cli('train', project, '--epochs', '2');
  expect(r.status, r.stderr).toBe(0);
  const [id] = readdirSync(join(root, 'runs'));
  runModelDir = join(root, 'runs', id, 'checkpoints', 'best', 'model');
  const run = JSON.parse(readFileSync(join(root, 'runs', id, 'run.json'), 'utf8')) as { finalMetrics: { val_accuracy: number } };
  runValAccuracy = run.finalMetrics.val_accuracy;
}, 600_000);

/** Greatest |a - b| over two prediction tensors, and how many rows pick a different class. */
async function compare(a: tf.Tensor, b: tf.Tensor): Promise<{ maxDiff: number; argmaxChanged: number }> {
  const maxDiff = (await tf.max(tf.abs(tf.sub(a, b))).data())[0];
  const changed = (await tf.notEqual(tf.argMax(a, 1), tf.argMax(b, 1)).sum().data())[0];
  return { maxDiff, argmaxChanged: changed };
}

/**
 * Tolerances on softmax outputs for random inputs in [0, 1]. float16 keeps 11 significant bits
 * (relative weight error ≤ 2^-11 ≈ 5e-4); through three conv and two dense layers that stays
 * well under 1e-2. uint8 errs by up to scale/2 per weight (≈ 0.2% of each weight's range), so
 * probabilities move by a few hundredths; 0.1 bounds that and still catches a wrong scale or min
 * (which moves them by whole units) or a misread byte order.
 */
const TOLERANCE = { float16: 1e-2, uint8: 0.1 } as const;
/** Validation accuracy lost at most: uint8 1 point (8 of 800, the bound); float16 2 images. */
const MAX_LOSS = { float16: 2 / 800, uint8: 8 / 800 } as const;

describe.each(['float16', 'uint8'] as const)('layerloom export --to ts --quantize %s', (q) => {
  const out = join(root, `export-${q}`);
  let stdout = '';

  it('reports size before → after and float vs quantized accuracy on the run’s 800 validation images', () => {
    const r = cli('export', project, '--to', 'ts', '-o', out, '--quantize', q);
    expect(r.status, r.stderr).toBe(0);
    stdout = r.stdout;
    // The mnist CNN has 93,322 float32 weights: 4 bytes each, then 2 or 1 (KB = 1024 bytes, as the analyzer prints).
    const kb = (n: number) => (n / 1024).toFixed(2);
    expect(stdout).toContain(`weights float32 ${kb(93_322 * 4)} KB → ${q} ${kb(93_322 * (q === 'float16' ? 2 : 1))} KB (${q === 'float16' ? 50 : 25}%)`);
    expect(readFileSync(join(out, 'weights', 'weights.bin')).byteLength).toBe(93_322 * (q === 'float16' ? 2 : 1));
    const acc = /accuracy float (\d\.\d{4}) → quantized (\d\.\d{4}) \(validation, (\d+) samples\)/.exec(stdout);
    expect(acc, stdout).not.toBeNull();
    expect(Number(acc?.[3])).toBe(800);
    // The float model scored as the run scored itself: the same split, the same weights.
    expect(Number(acc?.[1])).toBeCloseTo(runValAccuracy, 4);
    expect(Number(acc?.[1]) - Number(acc?.[2])).toBeLessThanOrEqual(MAX_LOSS[q] + 1e-9);
  });

  it('puts a quantization entry on every weight, in tfjs’s form', () => {
    const json = JSON.parse(readFileSync(join(out, 'weights', 'model.json'), 'utf8')) as tf.io.ModelJSON;
    const weights = json.weightsManifest.flatMap((g) => g.weights);
    expect(weights.length).toBe(10);
    for (const w of weights) {
      if (q === 'float16') expect(w.quantization).toEqual({ dtype: 'float16' });
      else {
        expect(w.quantization?.dtype).toBe('uint8');
        expect(w.quantization?.scale).toBeGreaterThan(0);
        expect(Number.isFinite(w.quantization?.min)).toBe(true);
      }
    }
  });

  it('tf.loadLayersModel and the exported model.ts + weights.ts read it and predict as the float model', async () => {
    const float = await tf.loadLayersModel(folderHandler(runModelDir));
    const quantized = await tf.loadLayersModel(folderHandler(join(out, 'weights')));
    const { buildModel } = (await import(pathToFileURL(join(out, 'model.ts')).href)) as { buildModel: () => tf.LayersModel };
    const { loadWeights } = (await import(pathToFileURL(join(out, 'weights.ts')).href)) as { loadWeights: (m: tf.LayersModel, folder: string) => Promise<void> };
    const exported = buildModel();
    await loadWeights(exported, join(out, 'weights'));
    const [pf, pq, pe] = [float, quantized, exported].map((m) => m.predict(inputs) as tf.Tensor);
    const vsFloat = await compare(pf, pq);
    expect(vsFloat.maxDiff).toBeLessThanOrEqual(TOLERANCE[q]);
    expect(vsFloat.maxDiff).toBeGreaterThan(0); // really quantized
    // The exported code decodes exactly what tfjs's loader decodes.
    expect((await compare(pq, pe)).maxDiff).toBeLessThanOrEqual(1e-6);
    tf.dispose([pf, pq, pe]);
    [float, quantized, exported].forEach((m) => m.dispose());
  });

  it('is read back as weights: --weights on the quantized folder ships its dequantized values', async () => {
    const keras = join(root, `keras-from-${q}`);
    const r = cli('export', project, '--to', 'keras', '-o', keras, '--weights', join(out, 'weights'));
    expect(r.status, r.stderr).toBe(0);
    const shipped = decodeNpz(new Uint8Array(readFileSync(join(keras, 'weights.npz'))));
    const decoded = await readNamedWeights(tf, join(out, 'weights'));
    const sums = (xs: Iterable<number>[]) => xs.map((x) => [...x].reduce((a, b) => a + b, 0)).sort();
    expect(sums(shipped.map((e) => e.array.data))).toEqual(sums(Object.values(decoded).map((t) => t.dataSync())));
    tf.dispose(Object.values(decoded));
  });
});

describe('--quantize arguments', () => {
  it('refuses an unknown quantization and the Keras target, saying what works', () => {
    const bad = cli('export', project, '--to', 'ts', '-o', join(root, 'bad'), '--quantize', 'int4');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--quantize must be float16 or uint8, not "int4"');
    const keras = cli('export', project, '--to', 'keras', '-o', join(root, 'bad'), '--quantize', 'uint8');
    expect(keras.status).toBe(2);
    expect(keras.stderr).toContain('--quantize applies to --to ts');
  });
});
