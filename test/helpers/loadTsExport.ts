/**
 * Runs the dataset loaders of Layerloom's TypeScript exports, for the data parity tests (run in a
 * child process: `node --import tsx loadTsExport.ts JOBS.json OUT.json`, tfjs-node loaded).
 *
 * JOBS.json: [{ id, dir, kind, data }]. For each job: imports DIR/train.ts (which does not train when
 * imported) and runs its loadData() on DATA; writes per id the validation samples' files (relative
 * to DATA; images and text), their inputs flattened (`x`) and their labels.
 */
import * as tf from '@tensorflow/tfjs-node';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

interface Job {
  readonly id: string;
  readonly dir: string;
  readonly kind: string;
  readonly data: string;
}

interface Loaded {
  readonly x: tf.Tensor;
  readonly labels: Float32Array;
  readonly classes: readonly string[];
  readonly split: { readonly train: Int32Array; readonly validation: Int32Array };
  readonly files?: readonly string[];
}

const jobs = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Job[];
const out: Record<string, unknown> = {};
for (const job of jobs) {
  const { loadData } = (await import(pathToFileURL(join(job.dir, 'train.ts')).href)) as { loadData: (path: string) => Promise<Loaded> };
  const d = await loadData(job.data);
  const validation = Array.from(d.split.validation);
  const picked = tf.gather(d.x, tf.tensor1d(validation, 'int32'));
  out[job.id] = {
    files: d.files ? validation.map((i) => relative(job.data, (d.files as readonly string[])[i])) : null,
    classes: d.classes,
    x: Array.from(picked.dataSync()),
    labels: validation.map((i) => d.labels[i]),
  };
}
writeFileSync(process.argv[3], JSON.stringify(out));
