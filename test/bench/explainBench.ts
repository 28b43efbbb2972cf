/**
 * bench:explain — how long the Explain view waits for an explanation, on the mnist example after a
 * one-epoch training run on the bundled digits:
 *   (a) a fresh worker per explanation (what every explanation cost before the worker was kept:
 *       start a process, load TensorFlow, compile the graph, read the weights, compute),
 *   (b) one kept worker per run: its first explanation, then later ones (other samples) that reuse
 *       the loaded engine and model.
 *
 *   npm run bench:explain [-- --samples 5]
 *
 * Figures are noisy on shared machines: compare (a) with (b)'s later explanations.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ExplainWorkers } from '../../electron/services/explainJob.js';
import { loadProjectFile } from '../../electron/services/projectService.js';
import { train } from '../../electron/services/trainingService.js';

const { values } = parseArgs({ options: { samples: { type: 'string', default: '5' } } });
const N = Math.max(2, Number(values.samples));
const root = fileURLToPath(new URL('../../', import.meta.url));
const digits = join(root, 'assets/datasets/digits');
const work = mkdtempSync(join(tmpdir(), 'layerloom-bench-explain-'));

try {
  const json = JSON.parse(readFileSync(join(root, 'examples/mnist-cnn.layerloom'), 'utf8')) as { dataset: { path: string } };
  json.dataset.path = digits;
  const file = join(work, 'mnist.layerloom');
  writeFileSync(file, JSON.stringify(json));
  const { doc } = await loadProjectFile(file);
  console.log('Training the mnist example for one epoch…');
  const done = await train({ doc, projectPath: file, overrides: { epochs: 1, batchSize: 32, seed: 1 } }, () => undefined).done;
  if (done.status !== 'completed') throw new Error(`training ${done.status}: ${done.message ?? ''}`);
  const samples = Array.from({ length: N }, (_, i) => {
    const dir = join(digits, String(i % 10));
    return join(dir, readdirSync(dir).sort()[Math.floor(i / 10)]);
  });
  const time = async (f: () => Promise<unknown>) => {
    const t0 = performance.now();
    await f();
    return performance.now() - t0;
  };
  const fresh: number[] = [];
  for (const sample of samples) {
    const workers = new ExplainWorkers();
    fresh.push(await time(() => workers.explain({ doc, projectPath: file, sample })));
    workers.close();
  }
  const kept: number[] = [];
  const workers = new ExplainWorkers();
  for (const sample of samples) kept.push(await time(() => workers.explain({ doc, projectPath: file, sample })));
  workers.close();
  const ms = (v: number) => `${Math.round(v)} ms`;
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  console.log(`(a) fresh worker per explanation: ${fresh.map(ms).join(', ')} (median ${ms(median(fresh))})`);
  console.log(`(b) kept worker: first ${ms(kept[0])}; later ${kept.slice(1).map(ms).join(', ')} (median ${ms(median(kept.slice(1)))})`);
  console.log(`later explanations ${(median(fresh) / median(kept.slice(1))).toFixed(1)}× faster than a fresh worker; workers started: ${workers.started}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
