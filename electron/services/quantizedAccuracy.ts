/**
 * Measures what quantization costs before it ships: the validation accuracy of the float model and
 * of the same model with the quantized weights (as tfjs decodes them from the written files), on the
 * project's validation split, drawn as the run that trained the weights drew it (its seed and
 * validation fraction), through the same data pipeline as training.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import type { QuantizedAccuracy } from '../../shared/codegen/quantize.js';
import type { ProjectDocument } from '../../shared/graph/document.js';
import { DEFAULT_TRAINING } from '../../shared/training/settings.js';
import { resolveDatasetPath, scanDatasetPath } from './datasetService.js';
import { batchStream, prepareDataset } from './datasets/pipeline.js';
import { modelInput } from './trainingEngine.js';
import { loadWeightsInto, readNamedWeights, setNamedWeights } from './weights/tfjsFolder.js';
import { compileModel } from '../../shared/compile/compile.js';
import type { AccuracyJob } from '../../shared/training/protocol.js';

type TF = typeof tfjs;


/** The validation split and seed a run used (its run.json), else the project's training settings. */
async function splitSettings(doc: ProjectDocument, runDir: string | null): Promise<{ validationSplit: number; seed: number }> {
  const fallback = { validationSplit: doc.training?.validationSplit ?? DEFAULT_TRAINING.validationSplit, seed: doc.training?.seed ?? DEFAULT_TRAINING.seed };
  if (!runDir) return fallback;
  try {
    const run = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as { settings?: { validationSplit?: unknown; seed?: unknown } };
    const s = run.settings;
    if (typeof s?.validationSplit === 'number' && typeof s.seed === 'number') return { validationSplit: s.validationSplit, seed: s.seed };
  } catch {
    // No readable run.json: the project's settings draw the split.
  }
  return fallback;
}

async function accuracyOf(tf: TF, model: tfjs.LayersModel, batches: AsyncIterable<{ x: Float32Array | Int32Array; y: Float32Array; size: number }>, sampleShape: readonly number[], dtype: 'float32' | 'int32', onBatch: (size: number) => void): Promise<{ correct: number; count: number }> {
  let correct = 0;
  let count = 0;
  for await (const b of batches) {
    if (b.size === 0) continue;
    const xs = tf.tensor(b.x.subarray(0, b.size * sampleShape.reduce((n, d) => n * d, 1)), [b.size, ...sampleShape], dtype);
    const p = model.predict(xs) as tfjs.Tensor;
    const pv = await p.data();
    const units = p.shape[p.shape.length - 1] ?? 1;
    tf.dispose([xs, p]);
    for (let i = 0; i < b.size; i++) {
      let m = 0;
      if (units === 1) m = pv[i] >= 0.5 ? 1 : 0;
      else for (let k = 1; k < units; k++) if (pv[i * units + k] > pv[i * units + m]) m = k;
      if (m === b.y[i]) correct++;
      count++;
    }
    onBatch(b.size);
  }
  return { correct, count };
}

/**
 * Scores `model` (holding the float weights) and then the same model with `quantized` set, on the
 * validation split of the project's dataset (the training split when there is none). Returns null
 * when the project has no dataset or its target is numeric (accuracy is not defined); leaves the
 * quantized weights in `model`.
 */
export async function measureQuantizedAccuracy(
  tf: TF,
  options: { doc: ProjectDocument; projectPath: string | null; runDir: string | null; model: tfjs.LayersModel; quantized: tfjs.NamedTensorMap; source: string; onProgress?: (done: number, total: number) => void },
): Promise<QuantizedAccuracy | null> {
  const { doc } = options;
  if (!doc.dataset?.path) return null;
  const path = resolveDatasetPath(doc.dataset.path, options.projectPath);
  const scanned = await scanDatasetPath(path, { samplesPerClass: 0, ...(doc.dataset.targetColumn ? { targetColumn: doc.dataset.targetColumn } : {}) });
  if (scanned.report.task !== 'classification') return null;
  const data = await prepareDataset(scanned, modelInput(doc), await splitSettings(doc, options.runDir));
  const split = data.split.validation.length ? 'validation' : 'train';
  const ids = split === 'validation' ? data.split.validation : data.split.train;
  // Progress over both passes: the float model, then the quantized one.
  let done = 0;
  const onBatch = (size: number) => options.onProgress?.((done += size), 2 * ids.length);
  const run = () => accuracyOf(tf, options.model, batchStream(data, ids, 64, { prefetch: 2 }), data.sampleShape, data.dtype, onBatch);
  const float = await run();
  setNamedWeights(options.model, options.quantized, options.source);
  const quantized = await run();
  return { split, samples: float.count, float: float.count ? float.correct / float.count : 0, quantized: quantized.count ? quantized.correct / quantized.count : 0 };
}

/**
 * Runs an {@link AccuracyJob} (in the training worker): builds the model, loads the float weights
 * (a model folder, or the initial weights of the job's seed), reads the quantized weights through
 * tfjs's own decoder and scores both on the validation split.
 */
export async function runAccuracyJob(tf: TF, job: AccuracyJob, onProgress: (done: number, total: number) => void): Promise<QuantizedAccuracy | null> {
  const { model } = compileModel(job.doc, tf, { seed: job.seed });
  const quantized = await readNamedWeights(tf, job.quantizedDir);
  try {
    if (job.modelDir) await loadWeightsInto(tf, model, job.modelDir);
    return await measureQuantizedAccuracy(tf, { doc: job.doc, projectPath: job.projectPath, runDir: job.runDir, model, quantized, source: job.source, onProgress });
  } finally {
    tf.dispose(Object.values(quantized));
    model.dispose();
  }
}
