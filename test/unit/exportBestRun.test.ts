/**
 * `layerloom export --run best` on a project with two real runs (trained by `layerloom train`): the
 * better run on its monitored metric wins even when it is the older one, the README and the manifest
 * name its id and checkpoint, and the shipped weights are that checkpoint's. After the graph
 * changes, runs that no longer fit are passed over and each is listed with why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EpochRecord } from '../../shared/training/protocol.js';
import { decodeNpz } from '../../electron/services/weights/npz.js';
import { readNamedWeights } from '../../electron/services/weights/tfjsFolder.js';

await tf.setBackend('cpu');
const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(repo, 'bin/layerloom.js');
const root = mkdtempSync(join(tmpdir(), 'layerloom-best-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const project = join(root, 'iris.layerloom');

const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 180_000 });

interface Trained {
  readonly id: string;
  readonly bestValLoss: number;
  readonly bestEpoch: number;
}

/** The run's best val_loss, read from its own history (independent of the code under test). */
function trained(id: string): Trained {
  const history = JSON.parse(readFileSync(join(root, 'runs', id, 'history.json'), 'utf8')) as EpochRecord[];
  const best = history.reduce((a, b) => (b.metrics.val_loss < a.metrics.val_loss ? b : a));
  return { id, bestValLoss: best.metrics.val_loss, bestEpoch: best.epoch };
}

let good: Trained;
let poor: Trained;

beforeAll(() => {
  const doc = JSON.parse(readFileSync(join(repo, 'examples/mlp.layerloom'), 'utf8')) as { dataset: { path: string } };
  copyFileSync(join(repo, 'assets/datasets/iris.csv'), join(root, 'iris.csv'));
  doc.dataset.path = 'iris.csv';
  writeFileSync(project, JSON.stringify(doc, null, 2));
  // The older run learns well; the newer one barely moves.
  const a = cli('train', project, '--epochs', '25', '--lr', '0.02', '--backend', 'cpu');
  expect(a.status, a.stderr).toBe(0);
  const b = cli('train', project, '--epochs', '2', '--lr', '0.00001', '--backend', 'cpu');
  expect(b.status, b.stderr).toBe(0);
  const ids = readdirSync(join(root, 'runs')).sort();
  expect(ids).toHaveLength(2);
  good = trained(ids[0]);
  poor = trained(ids[1]);
  expect(good.bestValLoss).toBeLessThan(poor.bestValLoss);
}, 400_000);

describe('layerloom runs', () => {
  it('lists both runs newest first, with status, epochs, best epoch and the folder to export from', () => {
    const r = cli('runs', project);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const first = lines.findIndex((l) => l.startsWith(poor.id));
    const second = lines.findIndex((l) => l.startsWith(good.id));
    expect(first).toBeGreaterThanOrEqual(0);
    expect(second).toBeGreaterThan(first);
    expect(lines[second]).toContain(`completed  25/25 epochs · best epoch ${good.bestEpoch} by val_loss`);
    expect(r.stdout).toContain(join(root, 'runs', good.id));
    const json = JSON.parse(cli('runs', project, '--json').stdout) as { id: string; status: string; epochsCompleted: number; dir: string; history?: unknown }[];
    expect(json.map((x) => [x.id, x.status, x.epochsCompleted])).toEqual([
      [poor.id, 'completed', 2],
      [good.id, 'completed', 25],
    ]);
    expect(json[0].history).toBeUndefined();
    // Another project's folder: no runs, and it says how to make one.
    const other = join(root, 'other.layerloom');
    copyFileSync(project, other);
    const none = cli('runs', other);
    expect(none.status).toBe(0);
    expect(none.stdout).toContain('No runs for');
    expect(cli('runs', join(root, 'missing.layerloom')).status).toBe(1);
  });
});

describe('layerloom export --run best', () => {
  it('picks the better run, not the latest, and its README names the run id', async () => {
    const out = join(root, 'best');
    const r = cli('export', project, '--to', 'keras', '-o', out, '--run', 'best');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`--run ${good.id} --checkpoint best`);
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toContain(`run \`${good.id}\`, best checkpoint, epoch ${good.bestEpoch}`);
    expect(readme).not.toContain(poor.id);
    const manifest = JSON.parse(readFileSync(join(out, 'layerloom-export.json'), 'utf8')) as { weights: Record<string, unknown> };
    expect(manifest.weights).toMatchObject({ source: 'run', runId: good.id, checkpoint: 'best', epoch: good.bestEpoch, metric: 'val_loss' });
    expect(manifest.weights.value).toBeCloseTo(good.bestValLoss, 6);

    // The shipped weights are that checkpoint's, value for value.
    const shipped = decodeNpz(new Uint8Array(readFileSync(join(out, 'weights.npz'))));
    const saved = await readNamedWeights(tf, join(root, 'runs', good.id, 'checkpoints', 'best', 'model'));
    const sum = (xs: Iterable<number>) => [...xs].reduce((s, v) => s + v, 0);
    const savedSums = Object.values(saved).map((t) => sum(t.dataSync())).sort();
    tf.dispose(Object.values(saved));
    expect(shipped.map((e) => sum(e.array.data)).sort()).toEqual(savedSums);
  });

  it('exports the best run by default, and the latest or a named run on request', () => {
    const byDefault = cli('export', project, '--to', 'ts', '-o', join(root, 'default'));
    expect(byDefault.status, byDefault.stderr).toBe(0);
    expect(readFileSync(join(root, 'default', 'README.md'), 'utf8')).toContain(`run \`${good.id}\``);
    const latest = cli('export', project, '--to', 'keras', '-o', join(root, 'latest'), '--run', 'latest', '--checkpoint', 'last');
    expect(latest.status, latest.stderr).toBe(0);
    expect(readFileSync(join(root, 'latest', 'README.md'), 'utf8')).toContain(`run \`${poor.id}\`, last checkpoint, epoch 2`);
    const unknown = cli('export', project, '--to', 'keras', '-o', join(root, 'unknown'), '--run', 'nope');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain(`there is no run with that id`);
    expect(unknown.stderr).toContain(good.id);
  });

  it('passes over runs trained on another version of the graph, saying why', () => {
    const doc = JSON.parse(readFileSync(project, 'utf8')) as { nodes: { id: string; params: Record<string, unknown> }[] };
    const dense = doc.nodes.find((n) => n.id === 'dense1');
    if (!dense) throw new Error('the MLP example has no dense1');
    dense.params.units = 8;
    const changed = join(root, 'iris.layerloom');
    writeFileSync(changed, JSON.stringify(doc, null, 2));
    const r = cli('export', changed, '--to', 'keras', '-o', join(root, 'changed'), '--run', 'best');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`Run ${good.id} was not considered: weight "dense/kernel" is \\[4, 32\\], the graph needs \\[4, 8\\]`));
    expect(r.stderr).toContain(`Run ${poor.id} was not considered`);
    const fallback = cli('export', changed, '--to', 'keras', '-o', join(root, 'initial'));
    expect(fallback.status, fallback.stderr).toBe(0);
    expect(fallback.stdout).toContain('with initial weights (not trained)');
    expect(fallback.stdout).toContain(`note: Run ${good.id} was not used`);
    expect(readFileSync(join(root, 'initial', 'README.md'), 'utf8')).toContain("The weights are the model's initial weights (not trained, seed 42).");
  });
});
