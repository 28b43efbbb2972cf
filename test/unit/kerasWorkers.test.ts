/**
 * `layerloom train --engine keras --workers N`: the Keras engine trains as N local workers of one
 * multi-worker run (real Python TensorFlow, 2 workers on loopback, the iris MLP, small runs).
 * The CLI runs as a user starts it; Ctrl-C is sent to its whole process group, as a terminal does.
 * Skipped, with the reason, only where Python Keras is absent.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TrainingEvent } from '../../shared/training/protocol.js';
import { runTrain } from '../../electron/cli/train.js';
import { train } from '../../electron/services/trainingService.js';
import { loadProjectFile } from '../../electron/services/projectService.js';
import { PYTHON, whyNoKeras } from '../helpers/python.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/layerloom.js');
const project = join(root, 'examples/mlp.layerloom');
const noKeras = whyNoKeras();
/** Two Python processes import TensorFlow side by side: a minute or more on a busy 2-core machine. */
const SLOW = 300_000;
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'layerloom-keras-workers-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Whether a process still runs (a zombie, ended but not yet reaped, does not). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

interface CliRun {
  code: number | null;
  events: TrainingEvent[];
  stderr: string;
  /** The driver's Python processes, worker 0 first (from the engine's log line). */
  pids: number[];
}

/** Runs `layerloom train --json …` in its own process group; `onEvent` may act on the run. */
function cli(args: string[], onEvent: (e: TrainingEvent, run: CliRun, group: number) => void = () => undefined): Promise<CliRun> {
  const child = spawn(process.execPath, [bin, 'train', project, '--engine', 'keras', '--python', PYTHON, '--json', '--out', join(work, 'runs'), ...args], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: CliRun = { code: null, events: [], stderr: '', pids: [] };
  let buffer = '';
  child.stdout.on('data', (d: Buffer) => {
    const lines = (buffer + d.toString()).split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines.filter((l) => l.startsWith('{'))) {
      const e = JSON.parse(line) as TrainingEvent;
      run.events.push(e);
      const m = e.kind === 'log' ? /Python processes ([\d, ]+);/.exec(e.message) : null;
      if (m) run.pids = m[1].split(', ').map(Number);
      onEvent(e, run, child.pid as number);
    }
  });
  child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ ...run, code })));
}

const finishedOf = (run: CliRun) => run.events.find((e) => e.kind === 'finished');
const runJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { status: string; epochsCompleted: number };

describe('layerloom train --workers', () => {
  it('refuses --workers with the tfjs engine and counts that are not 1 to 32, naming the fix', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((m: unknown) => void errors.push(String(m)));
    try {
      expect(await runTrain([project, '--workers', '2'])).toBe(2);
      expect(errors.pop()).toMatch(/^--workers 2 needs the Keras engine \(--engine keras\).*Add --engine keras, or leave --workers out\./);
      for (const bad of ['0', '1000', '1.5', 'two', '']) {
        expect(await runTrain([project, '--engine', 'keras', '--workers', bad]), bad).toBe(2);
        expect(errors.pop()).toContain(`--workers: expected a whole number of local worker processes from 1 to 32, got "${bad}".`);
      }
    } finally {
      spy.mockRestore();
    }
    // The same rule where the app starts a run (no CLI in between).
    const { doc } = await loadProjectFile(project);
    const finished = await train({ doc, projectPath: project, runsDir: join(work, 'refused'), workers: 2, mode: 'thread' }).done;
    expect([finished.status, finished.error?.code]).toEqual(['failed', 'backend']);
    expect(finished.message).toMatch(/needs the Keras engine/);
    expect(existsSync(join(work, 'refused'))).toBe(false);
  });

  it.skipIf(noKeras !== null)('trains as 2 workers to the end: Replicas in sync: 2, the run folder from the chief, nothing left behind', async () => {
    const run = await cli(['--workers', '2', '--epochs', '1', '--batch-size', '8']);
    const finished = finishedOf(run);
    expect(finished?.kind === 'finished' && [run.code, finished.status, finished.message ?? '']).toEqual([0, 'completed', '']);
    expect(run.events.some((e) => e.kind === 'log' && e.message === 'Replicas in sync: 2')).toBe(true);
    const started = run.events.find((e) => e.kind === 'started');
    expect(started?.kind === 'started' && started.backend).toMatch(/^Keras 3\.\d+\.\d+ \/ TensorFlow 2\.\d+\.\d+ \(Python [\d.]+\) on 2 local workers$/);
    const dir = finished?.kind === 'finished' ? (finished.runDir as string) : '';
    for (const log of ['keras.log', 'keras-worker-1.log']) expect(readFileSync(join(dir, log), 'utf8'), log).toContain('Replicas in sync: 2');
    expect([runJson(dir).status, runJson(dir).epochsCompleted]).toEqual(['completed', 1]);
    for (const f of ['checkpoints/last/model/model.json', 'checkpoints/best/state.json', 'model/model.json', 'evaluation.json', 'history.json', 'keras/output/model.keras']) expect(existsSync(join(dir, f)), f).toBe(true);
    // The app scored the chief's final weights: Keras's last validation loss.
    const epoch = run.events.find((e) => e.kind === 'epoch');
    expect(finished?.kind === 'finished' && finished.finalMetrics.val_loss).toBeCloseTo(epoch?.kind === 'epoch' ? epoch.metrics.val_loss : NaN, 5);
    // The non-chief's folder (its copies of the model and checkpoints) is gone; so are both processes.
    expect(existsSync(join(dir, 'keras/worker-1'))).toBe(false);
    expect(run.pids).toHaveLength(2);
    expect(run.pids.filter(alive)).toEqual([]);
  }, SLOW);

  it.skipIf(noKeras !== null)('Ctrl-C to the process group stops both workers after the same step; the run is stopped with its checkpoints', async () => {
    let interrupted = false;
    const run = await cli(['--workers', '2', '--epochs', '300', '--batch-size', '4'], (e, _run, group) => {
      // Mid-run: after the first epoch, at the next batch.
      if (e.kind === 'batch' && e.epoch >= 2 && !interrupted) {
        interrupted = true;
        process.kill(-group, 'SIGINT');
      }
    });
    expect(interrupted).toBe(true);
    const finished = finishedOf(run);
    expect(finished?.kind === 'finished' && [run.code, finished.status]).toEqual([0, 'stopped']);
    const dir = finished?.kind === 'finished' ? (finished.runDir as string) : '';
    expect(runJson(dir).status).toBe('stopped');
    expect(runJson(dir).epochsCompleted).toBeLessThan(300);
    const state = JSON.parse(readFileSync(join(dir, 'checkpoints/last/state.json'), 'utf8')) as { epochsDone: number; batchesDone: number };
    expect(state.epochsDone).toBeGreaterThanOrEqual(1);
    // Both workers name the same step (neither waits in a collective the other never joins).
    const steps = ['keras.log', 'keras-worker-1.log'].map((f) => /Stopping after step (\d+), as every worker does/.exec(readFileSync(join(dir, f), 'utf8'))?.[1]);
    expect(steps[0]).toBeDefined();
    expect(steps[1]).toBe(steps[0]);
    expect(readFileSync(join(dir, 'keras-worker-1.log'), 'utf8')).not.toContain('Traceback');
    expect(existsSync(join(dir, 'keras/worker-1'))).toBe(false);
    expect(run.pids.filter(alive)).toEqual([]);
  }, SLOW);

  it.skipIf(noKeras !== null)('a killed worker ends the other, named with its last log line; the run is interrupted with its checkpoints kept', async () => {
    let killed = 0;
    const run = await cli(['--workers', '2', '--epochs', '300', '--batch-size', '4'], (e, r) => {
      if (e.kind === 'epoch' && !killed) {
        killed = r.pids[1];
        process.kill(killed, 'SIGKILL');
      }
    });
    expect(killed).toBeGreaterThan(0);
    const finished = finishedOf(run);
    expect(finished?.kind === 'finished' && [run.code, finished.status, finished.error?.code]).toEqual([1, 'failed', 'crash']);
    const message = finished?.kind === 'finished' ? (finished.message ?? '') : '';
    expect(message).toMatch(new RegExp(`^Interrupted: worker 1 of 2 \\(Python process ${killed}, 127\\.0\\.0\\.1:\\d+\\) was killed \\(SIGKILL\\) before the training ended; its last log line: ".+"\\. Every other worker was stopped`));
    // Resumable from the chief's checkpoint, on as many workers.
    expect(message).toMatch(/Its last checkpoint \(after epoch \d+\) is kept in checkpoints\/last; continue it with: layerloom train .* --resume .* --engine keras --workers 2$/);
    const dir = finished?.kind === 'finished' ? (finished.runDir as string) : '';
    expect(runJson(dir).status).toBe('interrupted');
    expect(existsSync(join(dir, 'checkpoints/last/model/model.json'))).toBe(true);
    expect(existsSync(join(dir, 'keras/worker-1'))).toBe(false);
    expect(run.pids.filter(alive)).toEqual([]);
  }, SLOW);
});
