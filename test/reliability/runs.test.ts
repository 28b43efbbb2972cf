/**
 * Training runs when things go wrong: the process killed with its CLI, a diverging loss, errors that
 * look like memory but are not. Real `layerloom train` processes killed with SIGKILL, real run
 * folders, real TensorFlow.js.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEARTBEAT_STALE_MS, type RunSummary, type TrainingEvent } from '../../shared/training/protocol.js';
import { DEFAULT_TRAINING } from '../../shared/training/settings.js';
import { loadProjectFile } from '../../electron/services/projectService.js';
import { listRuns, readRun } from '../../electron/services/runsService.js';
import { classifyTrainingError } from '../../electron/services/trainingEngine.js';
import { train } from '../../electron/services/trainingService.js';
import { chain } from '../helpers/chainDoc.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/layerloom.js');
const example = join(root, 'examples/mlp.layerloom');
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'layerloom-runs-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The id of a process that has certainly exited (spawned and waited for). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  expect(r.pid).toBeGreaterThan(0);
  return r.pid;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts `layerloom train … --json` and collects its events as they arrive. */
function startCli(args: string[]): { child: ChildProcess; events: TrainingEvent[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, 'train', ...args, '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: TrainingEvent[] = [];
  let buffered = '';
  child.stdout?.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) events.push(JSON.parse(l) as TrainingEvent);
  });
  child.stderr?.resume();
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, events, exited };
}

/** A run folder as a training leaves it when its process dies: run.json says running. */
function fakeRunningRun(name: string, options: { pid: number; host?: string; heartbeatAt?: number; checkpoint?: boolean }): string {
  const dir = join(work, 'made', name);
  mkdirSync(dir, { recursive: true });
  const run = {
    id: name,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    status: 'running',
    epochs: 10,
    epochsCompleted: options.checkpoint ? 3 : 0,
    finalMetrics: {},
    dir,
    projectName: 'p',
    projectFile: '/projects/p.layerloom',
    datasetPath: '/data/iris.csv',
    backend: 'cpu',
    loss: 'sparse_categorical_crossentropy',
    settings: DEFAULT_TRAINING,
    pid: options.pid,
    host: options.host ?? hostname(),
  };
  writeFileSync(join(dir, 'run.json'), JSON.stringify(run));
  writeFileSync(join(dir, 'history.json'), '[]');
  if (options.heartbeatAt !== undefined) writeFileSync(join(dir, 'heartbeat.json'), JSON.stringify({ pid: options.pid, host: run.host, at: options.heartbeatAt }));
  if (options.checkpoint) {
    mkdirSync(join(dir, 'checkpoints', 'last'), { recursive: true });
    writeFileSync(join(dir, 'checkpoints', 'last', 'state.json'), JSON.stringify({ epochsDone: 3, batchesDone: 0, learningRate: 0.001, best: null, wait: 0 }));
  }
  return dir;
}

describe('runs killed with their CLI', () => {
  it('a training whose CLI is SIGKILLed mid-run is listed as interrupted, resumable, and resumes', async () => {
    const out = join(work, 'killed');
    const cli = startCli([example, '--epochs', '500', '--batch-size', '4', '--out', out]);
    const started = await until('the started event', () => cli.events.find((e) => e.kind === 'started'));
    await until('two epochs', () => (cli.events.filter((e) => e.kind === 'epoch').length >= 2 ? true : undefined), 40_000);
    const runDir = started.kind === 'started' ? started.runDir : '';
    const workerPid = (JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunSummary).pid as number;
    expect(workerPid).toBeGreaterThan(0);
    cli.child.kill('SIGKILL');
    await cli.exited;
    // The worker leaves when its parent is gone; wait for that, then list.
    await until('the worker to exit', () => (pidAlive(workerPid) ? undefined : true));
    const [run] = await listRuns({ runsDir: out });
    expect(run.status).toBe('interrupted');
    expect(run.resumable).toBe(true);
    expect(run.message).toMatch(/^Interrupted: its training process \(pid \d+\) ended without finishing\. Its last checkpoint \(after epoch \d+\) is kept in checkpoints\/last/);
    expect(run.message).toContain(`--resume ${runDir}`);
    expect(existsSync(join(runDir, 'checkpoints', 'last', 'state.json'))).toBe(true);
    // Recorded in run.json, so every reader sees it.
    expect((JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunSummary).status).toBe('interrupted');
    // The resume the message offers works.
    const done = run.epochsCompleted;
    const resumed = spawnSync(process.execPath, [bin, 'train', example, '--resume', runDir, '--epochs', String(done + 1), '--out', out, '--json'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(resumed.status).toBe(0);
    const events = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l) as TrainingEvent);
    expect(events.find((e) => e.kind === 'started')).toMatchObject({ startEpoch: done });
    expect(events.at(-1)).toMatchObject({ kind: 'finished', status: 'completed' });
  });

  it('a worker SIGKILLed while its host lives: the run fails and says how to resume from its checkpoint', async () => {
    const { doc } = await loadProjectFile(example);
    let epochs = 0;
    const handle = train({ doc, projectPath: example, runsDir: join(work, 'worker-killed'), overrides: { epochs: 500, batchSize: 4 } }, (e) => {
      if (e.kind === 'epoch') epochs++;
    });
    await until('two epochs', () => (epochs >= 2 ? true : undefined), 40_000);
    const [running] = await listRuns({ runsDir: join(work, 'worker-killed') });
    expect(running.status).toBe('running');
    process.kill(running.pid as number, 'SIGKILL');
    const finished = await handle.done;
    expect(finished).toMatchObject({ status: 'failed', error: { code: 'crash' } });
    expect(finished.message).toContain('was killed (SIGKILL)');
    expect(finished.message).toContain(`is kept in checkpoints/last; continue it with: layerloom train ${example} --resume ${running.dir}`);
    const [saved] = await listRuns({ runsDir: join(work, 'worker-killed') });
    expect(saved).toMatchObject({ status: 'failed', resumable: true });
  });

  it('a live training is not called interrupted (its heartbeat is fresh, its process alive)', async () => {
    const out = join(work, 'live');
    const cli = startCli([example, '--epochs', '500', '--batch-size', '4', '--out', out]);
    try {
      await until('an epoch', () => cli.events.find((e) => e.kind === 'epoch'), 40_000);
      const [run] = await listRuns({ runsDir: out });
      expect(run.status).toBe('running');
      expect(existsSync(join(run.dir, 'heartbeat.json'))).toBe(true);
    } finally {
      cli.child.kill('SIGKILL');
      await cli.exited;
    }
  });

  it('a run whose process is gone before its first checkpoint says it cannot be resumed', async () => {
    const dir = fakeRunningRun('no-checkpoint', { pid: deadPid(), heartbeatAt: Date.now() });
    const run = await readRun(dir);
    expect(run?.status).toBe('interrupted');
    expect(run?.resumable).toBe(false);
    expect(run?.message).toContain('no checkpoint was written and it cannot be resumed');
    const resumable = await readRun(fakeRunningRun('with-checkpoint', { pid: deadPid(), heartbeatAt: Date.now(), checkpoint: true }));
    expect(resumable?.message).toContain('(after epoch 3) is kept in checkpoints/last; continue it with: layerloom train /projects/p.layerloom --resume');
  });

  it('another machine\'s run counts as interrupted only once its heartbeat is stale', async () => {
    const fresh = await readRun(fakeRunningRun('remote-fresh', { pid: deadPid(), host: 'elsewhere.invalid', heartbeatAt: Date.now() }));
    expect(fresh?.status).toBe('running');
    const stale = await readRun(fakeRunningRun('remote-stale', { pid: process.pid, host: 'elsewhere.invalid', heartbeatAt: Date.now() - HEARTBEAT_STALE_MS - 60_000 }));
    expect(stale?.status).toBe('interrupted');
    expect(stale?.message).toMatch(/has given no sign of life for \d+ minutes/);
  });
});


describe('failure messages say only what is true', () => {
  it('a diverging loss mentions the last good checkpoint only when one exists', async () => {
    const csv = ['a,b,c,y'];
    for (let i = 0; i < 200; i++) csv.push(`${i},${(i * 7) % 13},${Math.sin(i)},${(i * i * 0.5 + 1000).toFixed(2)}`);
    const file = join(work, 'big-target.csv');
    writeFileSync(file, csv.join('\n'));
    const doc = chain('regression', [
      ['in', 'Input', { shape: [3] }],
      ['d1', 'Dense', { units: 32, activation: 'relu' }],
      ['d2', 'Dense', { units: 1, activation: 'linear' }],
      ['out', 'Output'],
    ]);
    const handle = train({ doc, projectPath: null, runsDir: join(work, 'nan'), datasetPath: file, overrides: { epochs: 50, batchSize: 8, optimizer: 'sgd', learningRate: 10 } });
    const finished = await handle.done;
    expect(finished.error?.code).toBe('nan');
    const checkpoint = existsSync(join(finished.runDir as string, 'checkpoints', 'last', 'state.json'));
    expect(finished.message?.includes('is kept in')).toBe(checkpoint);
    if (!checkpoint) expect(finished.message).toContain('No checkpoint was written before it diverged');
  });

  it('the run folder keeps every skipped row with its reason (skipped.json), the log names the file', async () => {
    const csv = ['a,b,c,y'];
    for (let i = 0; i < 120; i++) csv.push(`${i % 7},${(i * 3) % 5},${i % 2},${i % 10 === 0 ? 'NaN' : (i % 4) * 1.5}`);
    const file = join(work, 'nan-targets.csv');
    writeFileSync(file, csv.join('\n'));
    const doc = chain('skips', [
      ['in', 'Input', { shape: [3] }],
      ['d', 'Dense', { units: 1, activation: 'linear' }],
      ['out', 'Output'],
    ]);
    const logs: string[] = [];
    const handle = train({ doc, projectPath: null, runsDir: join(work, 'skips'), datasetPath: file, overrides: { epochs: 1, batchSize: 16 } }, (e: TrainingEvent) => {
      if (e.kind === 'log') logs.push(e.message);
    });
    const finished = await handle.done;
    expect(finished.status, finished.message).toBe('completed');
    const skipped = JSON.parse(readFileSync(join(finished.runDir as string, 'skipped.json'), 'utf8')) as { path: string; reason: string }[];
    expect(skipped).toHaveLength(12);
    for (const s of skipped) expect(s.reason.length).toBeGreaterThan(5);
    expect(logs.some((m) => m.includes('12 file(s) skipped') && m.includes('skipped.json'))).toBe(true);
  });

  it('a stack overflow is an internal error with its message; only real allocation failures are out of memory', async () => {
    const batch = { batchSize: 32 };
    const thrown = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return e;
      }
      throw new Error('expected a throw');
    };
    const internal = [
      thrown(() => Math.max(...new Float32Array(5e6))), // a data-sized spread
      thrown(() => new Array(-1)),
    ];
    for (const e of internal) {
      const r = classifyTrainingError(e, batch);
      expect(r.code, (e as Error).message).toBe('internal');
      expect(r.message).toContain((e as Error).message);
      expect(r.message).not.toMatch(/batch size|memory/i);
    }
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    const memory = [
      thrown(() => new ArrayBuffer(2 ** 45)),
      thrown(() => tf.zeros([1e6, 1e6])), // a tensor far beyond memory
      new Error('OOM when allocating tensor with shape[4096,4096,64] and type float on /job:localhost/replica:0/task:0/device:GPU:0'),
      Object.assign(new Error('Cannot allocate memory'), { code: 'ERR_MEMORY_ALLOCATION_FAILED' }),
    ];
    for (const e of memory) expect(classifyTrainingError(e, batch).code, (e as Error).message).toBe('out-of-memory');
  });
});
