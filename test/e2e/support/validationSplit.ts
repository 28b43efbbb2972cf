/**
 * Writes the validation split a run trained with as an .npz (`x`: the model inputs exactly as the
 * app feeds them, `y`: class ids), so real Keras can score an exported model on the same samples.
 * Usage: tsx validationSplit.ts RUN_DIR OUT.npz. The split is made by the app's own pipeline from
 * the run's recorded dataset path and settings (seed, validation split) and its graph's Input.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { analyzeGraph } from '../../../shared/analysis/analyze.js';
import { parseProject } from '../../../shared/graph/serialization.js';
import type { RunSummary } from '../../../shared/training/protocol.js';
import { scanDatasetPath } from '../../../electron/services/datasetService.js';
import { prepareDataset } from '../../../electron/services/datasets/pipeline.js';
import { encodeNpz } from '../../../electron/services/weights/npz.js';

const [runDir, out] = process.argv.slice(2);
const run = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as RunSummary;
const parsed = parseProject(await readFile(join(runDir, 'graph.layerloom'), 'utf8'));
if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
const analysis = analyzeGraph(parsed.doc);
const shape = (analysis.nodes.get(analysis.inputs[0])?.shape ?? []) as (number | null)[];
const scanned = await scanDatasetPath(run.datasetPath, { samplesPerClass: 0 });
const data = await prepareDataset(scanned, { shape, dtype: 'float32' }, { validationSplit: run.settings.validationSplit, seed: run.settings.seed });
const batch = await data.batch(data.split.validation);
if (batch.failed.length) throw new Error(`${batch.failed.length} validation images failed to decode`);
await writeFile(
  out,
  encodeNpz([
    { name: 'x', array: { shape: [batch.size, ...data.sampleShape], dtype: 'float32', data: Float32Array.from(batch.x) } },
    { name: 'y', array: { shape: [batch.size], dtype: 'int32', data: Int32Array.from(batch.y) } },
  ]),
);
console.log(JSON.stringify({ samples: batch.size }));
