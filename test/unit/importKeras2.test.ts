/**
 * Keras 2 `.h5` files (tf.keras 2.x `model.save("m.h5")`: `keras_version` 2.x, `batch_input_shape`,
 * `[[name, node, tensor, kwargs]]` inbound nodes, weight names ending in `:0`). No Keras 2 can be
 * installed here, so the fixtures in test/fixtures/keras2/ were written with h5py after that layout
 * by test/python/makeKeras2Fixtures.py (not saved by Keras 2). Keras 3's own legacy-HDF5 loader reads
 * them; the import gives Keras's parameter count and, with the file's weights, Keras's predictions
 * (max|a−b| / max|b| ≤ 1e-4). One Python process; skipped without Keras.
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildSummary } from '../../shared/analysis/summary.js';
import { importModelFile } from '../../electron/services/import/importService.js';
import { runPythonJson, whyNoKeras } from '../helpers/python.js';

const dir = fileURLToPath(new URL('../fixtures/keras2/', import.meta.url));
const FIXTURES = { 'mlp_functional.h5': [4], 'cnn_sequential.h5': [12, 12, 1] } as const;
const skip = whyNoKeras();
if (skip) console.log(`Keras 2 .h5 import checks skipped: ${skip}.`);

await tf.setBackend('cpu');

const KERAS = `
import sys, json, keras, numpy as np
out = {}
for name, shape in json.loads(sys.argv[2]).items():
    m = keras.models.load_model(sys.argv[1] + name, compile=False)
    x = np.random.default_rng(7).normal(0, 1, [3] + shape).astype('float32')
    out[name] = {'params': m.count_params(), 'x': x.tolist(), 'y': m.predict(x, verbose=0).tolist()}
print(json.dumps(out))
`;

describe.skipIf(skip !== null)('Keras 2 .h5 files (fixtures written after the Keras 2 layout)', () => {
  const keras = skip ? {} : runPythonJson<Record<string, { params: number; x: number[]; y: number[][] }>>(KERAS, [dir, JSON.stringify(FIXTURES)]);

  for (const name of Object.keys(FIXTURES)) {
    it(`${name}: Keras's count and predictions`, async () => {
      const imported = await importModelFile(`${dir}${name}`, { tf });
      try {
        const k = keras[name];
        expect(imported.report.format).toBe('h5');
        expect(buildSummary(imported.doc).total).toBe(k.params);
        const model = imported.model;
        if (!model) throw new Error('the .h5 file had weights, but none were loaded');
        const y = tf.tidy(() => (model.predict(tf.tensor(k.x)) as tf.Tensor).arraySync() as number[][]);
        const scale = Math.max(...k.y.flat().map(Math.abs));
        const diff = Math.max(...y.flat().map((v, i) => Math.abs(v - k.y.flat()[i])));
        expect(diff / scale).toBeLessThanOrEqual(1e-4);
      } finally {
        imported.model?.dispose();
      }
    });
  }
});
