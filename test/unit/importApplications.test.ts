/**
 * keras.applications round trips: MobileNetV2 (alpha 0.35, 96×96), ResNet50, DenseNet121 and
 * EfficientNetB0, built by real Keras with weights=None and seeded random non-zero weights
 * (BatchNormalization statistics included), saved as .keras and imported: the summary totals equal
 * Keras's (total and trainable, so non-trainable too) and the predictions of the compiled tfjs model
 * equal Keras's (max|a−b| / max|b| ≤ 1e-4). Inputs are small where the parameter count does not
 * depend on the size (32×32), to keep the test fast. ConvNeXtTiny (with drop_path_rate 0.1) is
 * refused with a report naming each layer Layerloom cannot build (LayerScale, StochasticDepth, and
 * Normalization with its statistics given as constants). One Python process builds every
 * model; skipped, saying why, without Python + Keras.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSummary } from '../../shared/analysis/summary.js';
import { KerasImportError } from '../../shared/import/kerasModel.js';
import { importModelFile } from '../../electron/services/import/importService.js';
import { decodeNpz, type NpyArray } from '../../electron/services/weights/npz.js';
import { maxAbsDiff, predictTfjs } from './exportCases.js';
import { PYTHON, whyNoKeras } from '../helpers/python.js';
import { pythonStderr } from '../helpers/pythonLog.js';

const script = fileURLToPath(new URL('../python/kerasApplications.py', import.meta.url));
const skipReason = whyNoKeras();
if (skipReason) console.log(`keras.applications checks skipped: ${skipReason}. Install keras 3.15 and tensorflow-cpu 2.21 (see FACTS.md) to run them.`);

await tf.setBackend('cpu');

/** Parameter totals of keras.applications at 1000 classes (Keras's own summary, the issue's figures). */
const EXPECTED_TOTAL: Readonly<Record<string, number>> = {
  MobileNetV2: 1_691_208,
  ResNet50: 25_636_712,
  DenseNet121: 8_062_504,
  EfficientNetB0: 5_330_571,
};

interface PyResult {
  readonly id: string;
  readonly total?: number;
  readonly trainable?: number;
  readonly classes?: readonly string[];
  readonly seconds?: number;
  readonly error?: string;
  readonly trace?: string;
}

function relativeError(a: NpyArray, b: NpyArray): number {
  let scale = 0;
  for (const v of b.data) scale = Math.max(scale, Math.abs(v));
  return maxAbsDiff(a, b) / (scale || 1);
}

describe.skipIf(skipReason !== null)('keras.applications saved by real Keras import into Layerloom', () => {
  const root = mkdtempSync(join(tmpdir(), 'layerloom-apps-'));
  const results = new Map<string, PyResult>();
  const measured: string[] = [];
  let kerasVersion = '';

  beforeAll(() => {
    const r = spawnSync(PYTHON, [script, root], { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    let parsed: { error?: string; keras?: string; results?: PyResult[] };
    try {
      parsed = JSON.parse(last) as typeof parsed;
    } catch {
      throw new Error(`kerasApplications.py gave no result (exit ${r.status}, signal ${r.signal}):\n${pythonStderr(r.stderr).slice(-4000)}`);
    }
    if (parsed.error) throw new Error(parsed.error);
    kerasVersion = parsed.keras ?? '';
    for (const res of parsed.results ?? []) results.set(res.id, res);
  }, 600_000);

  afterAll(() => {
    console.log(`keras.applications (Keras ${kerasVersion}) in Layerloom:\n${measured.join('\n')}`);
    rmSync(root, { recursive: true, force: true });
  });

  function keras(id: string): PyResult {
    const res = results.get(id);
    if (!res) throw new Error(`no Keras result for ${id}`);
    if (res.error) throw new Error(`${id}: ${res.error}\n${res.trace ?? ''}`);
    return res;
  }

  for (const id of Object.keys(EXPECTED_TOTAL)) {
    it(`${id}: Keras's parameter totals and predictions`, async () => {
      const res = keras(id);
      expect(res.total).toBe(EXPECTED_TOTAL[id]);
      const dir = join(root, id);
      const imported = await importModelFile(join(dir, 'model.keras'), { tf });
      try {
        const s = buildSummary(imported.doc);
        expect({ total: s.total, trainable: s.trainable, nonTrainable: s.total - s.trainable }).toEqual({
          total: res.total,
          trainable: res.trainable,
          nonTrainable: (res.total ?? 0) - (res.trainable ?? 0),
        });
        expect(imported.model, 'weights loaded').not.toBeNull();
        const inputs = decodeNpz(new Uint8Array(readFileSync(join(dir, 'inputs.npz')))).map((e) => e.array);
        const want = decodeNpz(new Uint8Array(readFileSync(join(dir, 'keras_outputs.npz')))).map((e) => e.array);
        const started = performance.now();
        const got = predictTfjs(tf, imported.model as tf.LayersModel, inputs);
        const predictMs = Math.round(performance.now() - started);
        expect(got.map((g) => g.shape)).toEqual(want.map((w) => w.shape));
        const errors = got.map((g, i) => relativeError(g, want[i]));
        measured.push(
          `  ${id.padEnd(15)} params ${String(s.total).padStart(10)} (Keras ${res.total}), trainable ${s.trainable} (Keras ${res.trainable}); ` +
            `max|a−b|/max|b| ${errors.map((e) => e.toExponential(2)).join(', ')}; import + compile ${imported.report.ms} ms, predict ${predictMs} ms (cpu backend), ${imported.doc.nodes.length} blocks; Keras build+save+predict ${res.seconds} s`,
        );
        errors.forEach((e, i) => expect(e, `output ${i}`).toBeLessThanOrEqual(1e-4));
      } finally {
        imported.model?.dispose();
      }
    }, 120_000);
  }

  it('ConvNeXtTiny is refused with a report naming every layer Layerloom cannot build: LayerScale, StochasticDepth, Normalization with fixed statistics', async () => {
    const res = keras('ConvNeXtTiny');
    expect(res.classes).toEqual(expect.arrayContaining(['LayerScale', 'StochasticDepth']));
    const err = await importModelFile(join(root, 'ConvNeXtTiny', 'model.keras'), { tf }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KerasImportError);
    const e = err as KerasImportError;
    expect(e.message).toContain('model.keras');
    const byClass = new Map<string, string[]>();
    for (const l of e.layers) byClass.set(l.kerasClass, [...(byClass.get(l.kerasClass) ?? []), l.layer]);
    // 18 blocks over 4 stages: one LayerScale each; StochasticDepth on all but the first block.
    expect(byClass.get('LayerScale')).toHaveLength(18);
    expect(byClass.get('StochasticDepth')).toHaveLength(17);
    expect(e.layers.filter((l) => l.kerasClass === 'LayerScale').every((l) => l.problems.some((p) => /no block for LayerScale/.test(p.reason)))).toBe(true);
    // Its grouped (depthwise) Conv2D layers are Conv2D blocks with groups, so they are not listed.
    expect(e.layers.find((l) => l.kerasClass === 'Normalization')?.problems.map((p) => p.option)).toEqual(['mean', 'variance']);
    expect([...byClass.keys()].sort()).toEqual(['LayerScale', 'Normalization', 'StochasticDepth']);
    measured.push(`  ConvNeXtTiny    refused: ${[...byClass].map(([c, ls]) => `${c} ×${ls.length}`).join(', ')} (Keras ${res.total} params)`);
  });
});
