/**
 * The mnist example, exported with `layerloom export --to keras` (initial weights of the project's
 * seed), trains on 2 workers of one MultiWorkerMirroredStrategy run on loopback, each started with
 * the command of the export's Kubeflow manifest (k8s/tfjob.yaml, parsed here: its volumes mapped to
 * local folders) and the TF_CONFIG the training operator writes (127.0.0.1 ports instead of pod
 * names), on the bundled digits (a subset: the first 100 images of each class), 1 epoch at the
 * project's global batch of 32. Checked against real Keras 3.15 / TF 2.21: both workers' logs say
 * `Replicas in sync: 2`; the non-chief's trained weights equal the chief's bit for bit; the final
 * validation loss is within 1e-3 of one process with the same seed, data and global batch, and
 * equals (to 1e-6) one process whose CPU is split into 2 replicas (MirroredStrategy): what is left
 * between 1 and 2 replicas is the rounding of summing two half-batch gradients. Then `python
 * model.py --workers 2` has a worker killed mid-run: the chief and the launcher name it, the
 * launcher exits 1 with no worker left running, and the chief's checkpoint from before is kept.
 */
import { afterAll, describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pythonStderr } from '../helpers/pythonLog.js';
import { PYTHON, whyNoKeras } from '../helpers/python.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const digits = join(repo, 'assets/datasets/digits');
const noKeras = whyNoKeras();
if (noKeras) console.log(`Distributed mnist tests skipped: ${noKeras}.`);

const root = mkdtempSync(join(tmpdir(), 'layerloom-distributed-mnist-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const exported = join(root, 'export');
const subset = join(root, 'digits-subset');
const pyEnv = { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', KERAS_BACKEND: 'tensorflow', PYTHONUNBUFFERED: '1' };

interface Ran {
  readonly code: number | null;
  readonly log: string;
  /** True when the hang guard had to kill it. */
  readonly hung: boolean;
}

/** Runs a Python command in its own process group; resolves when it exits (the group is killed after `limitS`). */
function runPython(args: readonly string[], limitS: number, onLog?: (log: string) => void, env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, args, { cwd: exported, env: { ...pyEnv, ...env }, detached: true });
    let log = '';
    let hung = false;
    const add = (b: Buffer) => {
      log += b.toString();
      onLog?.(log);
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    const timer = setTimeout(() => {
      hung = true;
      process.kill(-(child.pid as number), 'SIGKILL');
    }, limitS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, log, hung });
    });
  });
}

/** One process, model.py's own main(), with the CPU split into 2 devices and a MirroredStrategy over both. */
const TWO_REPLICAS = String.raw`
import importlib.util, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
spec = importlib.util.spec_from_file_location("model", sys.argv[1])
model = importlib.util.module_from_spec(spec)
spec.loader.exec_module(model)

def two_replicas(kind, worker_timeout):
    model.patch_keras_distribute()
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])

model.make_strategy = two_replicas
sys.argv = [sys.argv[1], *sys.argv[2:]]
model.main()
`;

/** True when every weight of the two saved models is equal, bit for bit. */
const SAME_WEIGHTS = 'import sys, keras, numpy as np\na, b = (keras.saving.load_model(p) for p in sys.argv[1:])\nprint(all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights())))';
/** Loads a weights checkpoint into model.py's build_model(). */
const LOADS_CHECKPOINT = 'import importlib.util, sys\nspec = importlib.util.spec_from_file_location("model", sys.argv[1])\nm = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(m)\nmodel = m.build_model()\nmodel.load_weights(sys.argv[2])\nprint("loaded", len(model.get_weights()))';

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

/** The parts of a TFJob this test reads. */
interface TfJob {
  apiVersion: string;
  kind: string;
  spec: {
    tfReplicaSpecs: {
      Worker: {
        replicas: number;
        template: {
          spec: {
            containers: { name: string; image: string; workingDir: string; command: string[]; ports: { name: string; containerPort: number }[]; volumeMounts: { name: string; mountPath: string }[] }[];
            volumes: { name: string; persistentVolumeClaim: { claimName: string } }[];
          };
        };
      };
    };
  };
}

const history = (dir: string) => JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8')) as Record<string, number[]>;
const lastValLoss = (dir: string) => history(dir).val_loss.at(-1) as number;
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(noKeras !== null)('the mnist example trains on 2 workers of tf.distribute on loopback', () => {
  // The example as a user exports it, its dataset pointing at the bundled digits.
  const doc = JSON.parse(readFileSync(join(repo, 'examples/mnist-cnn.layerloom'), 'utf8')) as { dataset: { path: string }; training: { seed: number } };
  doc.dataset.path = digits;
  const project = join(root, 'mnist.layerloom');
  writeFileSync(project, JSON.stringify(doc));
  // The first 100 images of each class (names sorted), linked: 800 training and 200 validation images.
  for (const label of readdirSync(digits).sort()) {
    mkdirSync(join(subset, label), { recursive: true });
    for (const f of readdirSync(join(digits, label)).sort().slice(0, 100)) symlinkSync(join(digits, label, f), join(subset, label, f));
  }

  it('2 workers started as k8s/tfjob.yaml says: Replicas in sync: 2, the same weights on both, the validation loss of one process', { timeout: 900_000 }, async () => {
    const cli = spawnSync(process.execPath, [join(repo, 'bin/layerloom.js'), 'export', project, '--to', 'keras', '-o', exported, '--seed', String(doc.training.seed)], { encoding: 'utf8', timeout: 300_000 });
    expect(cli.status, cli.stderr).toBe(0);

    // The manifest: N workers of the one container the training operator configures, its port, volumes.
    const job = yaml.load(readFileSync(join(exported, 'k8s/tfjob.yaml'), 'utf8')) as TfJob;
    expect([job.apiVersion, job.kind]).toEqual(['kubeflow.org/v1', 'TFJob']);
    const workerSpec = job.spec.tfReplicaSpecs.Worker;
    expect(workerSpec.replicas).toBe(2);
    const [container, ...others] = workerSpec.template.spec.containers;
    expect(others).toEqual([]);
    expect(container.name).toBe('tensorflow');
    expect(container.ports).toEqual([{ name: 'tfjob-port', containerPort: 2222 }]);
    // The image is this export folder at workingDir (k8s/Dockerfile), so the command runs here.
    const dockerfile = readFileSync(join(exported, 'k8s/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(new RegExp(`^WORKDIR ${container.workingDir}$`, 'm'));
    expect(dockerfile).toMatch(/^RUN pip install --no-cache-dir -r requirements\.txt$/m);
    const mounts = Object.fromEntries(container.volumeMounts.map((m) => [m.name, m.mountPath]));
    expect(mounts).toEqual({ data: '/data', output: '/output' });
    expect(workerSpec.template.spec.volumes.map((v) => v.persistentVolumeClaim.claimName)).toEqual(['mnist-cnn-data', 'mnist-cnn-output']);
    expect(container.command).toEqual(['python', 'model.py', '--distribute', 'multiworker', '--data', '/data/digits', '--output', '/output']);
    // The volumes, here: the data volume holds the digits (the subset), the output volume a folder.
    const dataVolume = join(root, 'volume-data');
    mkdirSync(dataVolume);
    symlinkSync(subset, join(dataVolume, 'digits'), 'dir');
    const local = (arg: string) => arg.replace(/^\/data(?=\/|$)/, dataVolume).replace(/^\/output(?=\/|$)/, join(root, 'workers'));
    const [python, ...args] = container.command;
    expect(python).toBe('python');
    const workerArgs = [...args.map(local), '--epochs', '1'];
    // TF_CONFIG as the operator writes it, with loopback ports for the pods' names.
    const cluster = { worker: [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`] };
    const tfConfig = (index: number) => ({ TF_CONFIG: JSON.stringify({ cluster, task: { type: 'worker', index }, environment: 'cloud' }) });
    const train = ['--data', subset, '--epochs', '1'];

    const started = Date.now();
    const [single, replicas, chief, worker1] = await Promise.all([
      runPython(['model.py', ...train, '--output', join(root, 'single')], 600),
      runPython(['-c', TWO_REPLICAS, 'model.py', ...train, '--output', join(root, 'replicas'), '--distribute', 'mirrored'], 600),
      runPython(workerArgs, 600, undefined, tfConfig(0)),
      runPython(workerArgs, 600, undefined, tfConfig(1)),
    ]);
    console.log(`mnist example, 1 epoch of 800 images: one process, 2 replicas in one process and 2 workers ran together in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const r of [single, replicas, chief, worker1]) expect(r.code, pythonStderr(r.log).slice(-3000)).toBe(0);
    expect(replicas.log).toMatch(/Replicas in sync: 2\b/);
    for (const r of [single, chief, worker1]) expect(r.log).toMatch(/Loaded weights from .*weights\.npz/);
    // The same arithmetic in all: Keras compiles no step with XLA here (CPU), distributed or not.
    for (const r of [single, replicas, chief, worker1]) expect(r.log).toMatch(/XLA \(jit_compile\): False\n/);
    expect(chief.log).toMatch(/Replicas in sync: 2\b/);
    expect(worker1.log).toMatch(/Replicas in sync: 2\b/);

    // The chief writes to /output; worker 1 to a scratch folder it names.
    const chiefModel = join(root, 'workers', 'model.keras');
    expect(chief.log).toContain(`Saved the trained model to ${chiefModel}`);
    const otherModel = /Saved the trained model to (.*model\.keras)/.exec(worker1.log)?.[1] as string;
    expect(otherModel).toBeDefined();
    expect(otherModel).not.toBe(chiefModel);
    const same = spawnSync(PYTHON, ['-c', SAME_WEIGHTS, chiefModel, otherModel], { encoding: 'utf8', timeout: 300_000, env: pyEnv });
    expect(same.stdout.trim().split('\n').pop(), pythonStderr(same.stderr).slice(-2000)).toBe('True');

    const one = lastValLoss(join(root, 'single'));
    const split = lastValLoss(join(root, 'replicas'));
    const two = lastValLoss(join(root, 'workers'));
    console.log(`final val_loss: one process ${one.toFixed(6)}, 2 replicas in one process ${split.toFixed(6)}, 2 workers ${two.toFixed(6)} (|2 workers - one process| = ${Math.abs(two - one).toExponential(2)})`);
    expect(Math.abs(two - one)).toBeLessThan(1e-3);
    expect(Math.abs(two - split)).toBeLessThan(1e-6);
  });

  it('a worker killed mid-run: the chief and the launcher name it, exit 1 in bounded time, the checkpoint is kept', { timeout: 900_000 }, async () => {
    const output = join(root, 'killed');
    const checkpoint = join(output, 'last.weights.h5');
    let killed: { pid: number; at: number; sha: string } | null = null;
    // Once both workers start epoch 2 (the chief prints it after writing epoch 1's checkpoint),
    // worker 1 is killed (SIGKILL).
    const run = await runPython(['model.py', '--data', subset, '--epochs', '100', '--output', output, '--workers', '2', '--worker-timeout', '300'], 300, (log) => {
      if (killed || (log.match(/Epoch 2\/100/g)?.length ?? 0) < 2) return;
      const pid = Number(/process ids \d+, (\d+)/.exec(log)?.[1]);
      process.kill(pid, 'SIGKILL');
      killed = { pid, at: Date.now(), sha: sha(checkpoint) };
    });
    expect(killed, run.log.slice(-3000)).not.toBeNull();
    const { pid, at, sha: before } = killed as unknown as { pid: number; at: number; sha: string };
    console.log(`after worker 1 was killed, the launcher exited in ${((Date.now() - at) / 1000).toFixed(1)} s`);
    expect(run.hung, 'the launcher did not exit within 300 s').toBe(false);
    expect(run.code).toBe(1);
    const chiefPid = Number(/process ids (\d+), \d+/.exec(run.log)?.[1]);
    expect(alive(chiefPid)).toBe(false);
    // The launcher: which worker, its address and process, how it ended.
    expect(run.log).toMatch(new RegExp(`Training failed: worker 1 \\(127\\.0\\.0\\.1:\\d+, process ${pid}\\) was killed by SIGKILL \\(its messages are above\\); every other worker has stopped\\. Checkpoints saved before then are kept in ${output.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.`));
    // The chief, on its own: the peer it lost, and where its checkpoints are.
    expect(run.log).toMatch(/Training stopped: worker 1 of this multi-worker run stopped or cannot be reached \((UnavailableError|DeadlineExceededError|CancelledError|AbortedError): .+\)\. Checkpoints saved before then are kept in /);
    expect(run.log).not.toMatch(/Traceback/);
    // The checkpoint from before the kill is still there, unchanged, and loads; no final model was written.
    expect(sha(checkpoint)).toBe(before);
    expect(existsSync(join(output, 'model.keras'))).toBe(false);
    const loads = spawnSync(PYTHON, ['-c', LOADS_CHECKPOINT, join(exported, 'model.py'), checkpoint], { encoding: 'utf8', timeout: 300_000, env: pyEnv });
    expect(loads.stdout.trim().split('\n').pop(), pythonStderr(loads.stderr).slice(-2000)).toBe('loaded 10');
  });
});
