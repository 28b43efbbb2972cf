/**
 * The exported model.py trains under tf.distribute in real Keras 3.15 / TF 2.21: two workers of
 * `--distribute multiworker` on loopback (TF_CONFIG, free 127.0.0.1 ports) run to the end with 2
 * replicas in sync and end with the loss of a single process at the same global batch; the
 * non-chief's trained weights equal the chief's bit for bit; `--distribute mirrored` runs on this
 * machine's devices (the CPU here: one replica); a worker whose cluster never forms gives up after
 * --worker-timeout with a message instead of hanging. A tiny model on iris for 2 epochs keeps it
 * short. `--workers 2` starts the two workers (free ports, a TF_CONFIG each), as a user would.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProjectDocument } from '../../shared/graph/document.js';
import { generateKerasFiles } from '../../shared/codegen/keras/index.js';
import { DEFAULT_TRAINING } from '../../shared/training/settings.js';
import { chain } from '../helpers/chainDoc.js';
import { pythonStderr } from '../helpers/pythonLog.js';
import { PYTHON, whyNoKeras } from '../helpers/python.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const iris = join(repo, 'assets/datasets/iris.csv');
const noKeras = whyNoKeras();
if (noKeras) console.log(`Distributed model.py tests skipped: ${noKeras}.`);

/** A port nothing listens on now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Ran {
  readonly code: number | null;
  readonly log: string;
}

/** Runs model.py with `args` and extra environment; resolves when it exits (killed after 300 s). */
function runModel(dir: string, args: readonly string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, [join(dir, 'model.py'), '--data', iris, '--weights', 'none', ...args], {
      cwd: dir,
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', KERAS_BACKEND: 'tensorflow', ...env },
    });
    let log = '';
    child.stdout.on('data', (b: Buffer) => (log += b.toString()));
    child.stderr.on('data', (b: Buffer) => (log += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, log });
    });
  });
}

const history = (dir: string) => JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8')) as Record<string, number[]>;

describe.skipIf(noKeras !== null)('model.py --distribute (real tf.distribute)', () => {
  const root = mkdtempSync(join(tmpdir(), 'layerloom-distribute-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  // No dropout: each replica would draw its own masks, unlike the single process.
  const doc: ProjectDocument = {
    ...chain('tiny-iris', [
      ['in', 'Input', { shape: [4] }],
      ['hidden', 'Dense', { units: 8, activation: 'relu' }],
      ['out', 'Dense', { units: 3, activation: 'softmax' }],
      ['prediction', 'Output'],
    ]),
    dataset: { path: iris, kind: 'csv', targetColumn: 'species' },
    training: { ...DEFAULT_TRAINING, epochs: 2, batchSize: 32, seed: 7, validationSplit: 0.2 },
  };
  mkdirSync(join(root, 'export'));
  for (const f of generateKerasFiles(doc)) {
    mkdirSync(dirname(join(root, 'export', f.path)), { recursive: true });
    writeFileSync(join(root, 'export', f.path), f.content);
  }
  const dir = join(root, 'export');

  it('two workers on loopback train with 2 replicas in sync, the same weights, and the loss of one process; a lone worker gives up', { timeout: 900_000 }, async () => {
    // A worker whose cluster never comes together (its peer's port has no one) gives up in time.
    const lonelyCluster = { worker: [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`] };
    const [single, mirrored, lonely] = await Promise.all([
      runModel(dir, ['--output', join(root, 'single')]),
      runModel(dir, ['--output', join(root, 'mirrored'), '--distribute', 'mirrored']),
      runModel(dir, ['--output', join(root, 'lonely'), '--distribute', 'multiworker', '--worker-timeout', '10'], {
        TF_CONFIG: JSON.stringify({ cluster: lonelyCluster, task: { type: 'worker', index: 0 } }),
      }),
    ]);
    expect(lonely.code).toBe(1);
    expect(lonely.log).toMatch(/Joining the cluster in TF_CONFIG \(every worker must start; this gives up after 10 s, see --worker-timeout\)[\s\S]*Timeout \(0:00:10\)/);
    expect(single.code, pythonStderr(single.log).slice(-3000)).toBe(0);
    expect(mirrored.code, pythonStderr(mirrored.log).slice(-3000)).toBe(0);
    // No GPU here: MirroredStrategy mirrors over the CPU, one replica.
    expect(mirrored.log).toMatch(/Replicas in sync: 1\b/);

    // --workers 2: model.py starts two workers of one run on free loopback ports, a TF_CONFIG each.
    const run = await runModel(dir, ['--output', join(root, 'workers'), '--workers', '2', '--worker-timeout', '120']);
    expect(run.code, pythonStderr(run.log).slice(-3000)).toBe(0);
    expect(run.log).toMatch(/Started 2 workers on 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+/);
    expect(run.log.match(/Replicas in sync: 2\b/g)?.length).toBe(2);
    const saved = [...run.log.matchAll(/Saved the trained model to (.*model\.keras)/g)].map((m) => m[1]);
    expect(saved.length).toBe(2);
    // Worker 0 is the chief: it writes to --output; the other worker to a scratch folder it names.
    const chiefModel = join(root, 'workers', 'model.keras');
    expect(saved).toContain(chiefModel);
    const otherModel = saved.find((p) => p !== chiefModel) as string;

    const one = history(join(root, 'single'));
    const two = history(join(root, 'workers'));
    const mirror = history(join(root, 'mirrored'));
    const last = (h: Record<string, number[]>) => h.val_loss[h.val_loss.length - 1];
    console.log(`final val_loss: one process ${last(one).toFixed(6)}, mirrored (1 replica) ${last(mirror).toFixed(6)}, 2 workers ${last(two).toFixed(6)}`);
    expect(Math.abs(last(two) - last(one))).toBeLessThan(1e-3);
    expect(Math.abs(last(mirror) - last(one))).toBeLessThan(1e-3);

    const same = spawnSync(
      PYTHON,
      ['-c', 'import sys, keras, numpy as np\na, b = (keras.saving.load_model(p) for p in sys.argv[1:])\nprint(all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights())))', chiefModel, otherModel],
      { encoding: 'utf8', timeout: 300_000, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', KERAS_BACKEND: 'tensorflow' } },
    );
    expect(same.stdout.trim().split('\n').pop(), pythonStderr(same.stderr).slice(-2000)).toBe('True');
  });
});
