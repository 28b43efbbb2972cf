/**
 * The analyzer's export sizes (docs/analyzer.md, "Export sizes"): TensorFlow.js float32, float16 and
 * uint8 weights are 4, 2 and 1 bytes per weight (the quantized export test checks the files
 * written); the TFLite dynamic-range estimate is within 10% of the model.tflite that TensorFlow's
 * own converter writes for the exported Keras model (one Python process).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { exportSizes } from '../../shared/analysis/exportSize.js';
import { parseProject } from '../../shared/graph/serialization.js';
import { exportProject } from '../../electron/services/exportService.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'layerloom-export-size-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const keras = spawnSync('python3', ['-c', 'import tensorflow'], { encoding: 'utf8' }).status === 0;

const CONVERT = `
import importlib.util, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf
spec = importlib.util.spec_from_file_location("exported", sys.argv[1] + "/model.py")
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
c = tf.lite.TFLiteConverter.from_keras_model(m.build_model())
c.optimizations = [tf.lite.Optimize.DEFAULT]
print(len(c.convert()))
`;

describe('export sizes of the mnist example', () => {
  const parsed = parseProject(readFileSync(join(repo, 'examples/mnist-cnn.layerloom'), 'utf8'));
  if (!parsed.ok) throw new Error('the mnist example does not parse');
  const doc = parsed.doc;
  const sizes = exportSizes(analyzeGraph(doc));

  it('TensorFlow.js weights: 4, 2 and 1 bytes for each of its 93,322 weights', () => {
    expect([sizes.float32, sizes.float16, sizes.uint8]).toEqual([93_322 * 4, 93_322 * 2, 93_322]);
  });

  it.skipIf(!keras)('TFLite dynamic range: within 10% of what TensorFlow writes (skipped: Python TensorFlow is not installed)', async () => {
    const out = join(root, 'keras');
    await exportProject({ doc, target: 'keras', folder: out });
    const r = spawnSync('python3', ['-c', CONVERT, out], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const actual = Number(r.stdout.trim().split('\n').pop());
    expect(Math.abs(sizes.tfliteDynamic - actual) / actual).toBeLessThanOrEqual(0.1);
  }, 300_000);
});
