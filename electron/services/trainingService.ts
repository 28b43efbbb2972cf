/**
 * Training, host side: starts the training worker, sends it the job, relays its events, stops it,
 * and turns a worker that dies (crash, kill, out of memory) into a `finished` event with status
 * `failed` — never a hang. Runs are listed from their folders (runsService.ts).
 *
 * The worker runs in a child process by default (a native TensorFlow abort or OOM kill then cannot
 * take the host down), or in a worker thread (`mode: 'thread'`, lighter). The Electron shell may pass
 * its own `spawn` (utilityProcess) — the worker entry speaks to any of them.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ProjectDocument } from '../../shared/graph/document.js';
import { WORKER_FLAG, workersProblem, type BackendChoice, type HostToWorker, type TrainingEngine, type TrainingEvent, type TrainingJob, type WorkerEvent } from '../../shared/training/protocol.js';
import { DEFAULT_TRAINING, type TrainingSettings } from '../../shared/training/settings.js';
import { resolveDatasetPath } from './datasetService.js';
import { defaultRunsDir, resumeNote, runIdFor, writeJson } from './runsService.js';

/** The `finished` event. */
export type FinishedEvent = Extract<TrainingEvent, { kind: 'finished' }>;

/** How the host reaches a worker, whatever runs it. */
export interface WorkerChannel {
  send(message: HostToWorker): void;
  onMessage(listener: (event: WorkerEvent) => void): void;
  /** Called once when the worker is gone; `detail` carries its last stderr lines or error. */
  onExit(listener: (info: { code: number | null; signal: string | null; detail: string }) => void): void;
  kill(): void;
}

/** Starts a worker (the default: child process or worker thread running trainingWorker). */
export type WorkerSpawner = () => WorkerChannel;

/** Options of {@link train}. */
export interface TrainOptions {
  readonly doc: ProjectDocument;
  /** The project file: runs go beside it, relative dataset paths resolve against it. */
  readonly projectPath: string | null;
  /** Dataset to use instead of the project's. */
  readonly datasetPath?: string;
  readonly targetColumn?: string;
  /** Settings that override the project's (e.g. `--epochs`). */
  readonly overrides?: Partial<TrainingSettings>;
  /** Where run folders go (default `<project folder>/runs`). */
  readonly runsDir?: string;
  /** A run folder to resume from. */
  readonly resumeFrom?: string;
  readonly backend?: BackendChoice;
  /** Which program trains (default `tfjs`); see TrainingJob. */
  readonly engine?: TrainingEngine;
  /** The Keras engine's Python interpreter. */
  readonly python?: string;
  /** The Keras engine: more options for model.py's command line. */
  readonly modelArgs?: readonly string[];
  /** The Keras engine: local worker processes of one multi-worker run (see TrainingJob). */
  readonly workers?: number;
  readonly cacheBudgetMB?: number;
  readonly progressIntervalMs?: number;
  /** `process` (default) or `thread`. Ignored when `spawn` is given. */
  readonly mode?: 'process' | 'thread';
  readonly spawn?: WorkerSpawner;
}

/** A training in progress. */
export interface TrainingHandle {
  readonly runId: string;
  /** Asks for a graceful stop at the next batch boundary; the model so far is kept. */
  stop(): void;
  /** Ends the worker at once (the run is reported as failed). */
  kill(): void;
  /** Test hook: makes the worker die (see HostToWorker `crash`). */
  crash(mode: 'exit' | 'throw'): void;
  /** Resolves with the last event; never rejects. */
  readonly done: Promise<FinishedEvent>;
}

const here = fileURLToPath(import.meta.url);
const workerEntry = here.replace(/trainingService\.(ts|js)$/, (_m, ext: string) => `trainingWorker.${ext}`);

/** Node flags that let a child run the TypeScript entry (source checkouts run through tsx). */
function tsExecArgv(): string[] {
  if (!workerEntry.endsWith('.ts')) return [];
  const loader = createRequire(import.meta.url).resolve('tsx');
  return ['--import', pathToFileURL(loader).href];
}

/** tsx's ESM register API (the `import` condition of `tsx/esm/api`). */
function tsxApiUrl(): string {
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  return pathToFileURL(pkg.replace(/package\.json$/, 'dist/esm/api/index.mjs')).href;
}

function tail(text: string, lines = 8): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The default spawner: a child process (or thread) running trainingWorker. */
export function defaultSpawner(mode: 'process' | 'thread' = 'process'): WorkerSpawner {
  return () => {
    let stderr = '';
    const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' };
    if (mode === 'thread') {
      // A worker thread does not inherit the host's TypeScript loader: register tsx inside it first.
      const entryUrl = pathToFileURL(workerEntry).href;
      const code = workerEntry.endsWith('.ts')
        ? `import(${JSON.stringify(tsxApiUrl())}).then((m) => m.register()).then(() => import(${JSON.stringify(entryUrl)}))`
        : `import(${JSON.stringify(entryUrl)})`;
      const worker = new Worker(code, {
        eval: true,
        workerData: { [WORKER_FLAG]: true },
        stdout: true,
        stderr: true,
        env,
      });
      // Worker output must not mix into the host's stdout (the CLI prints JSON lines there).
      worker.stdout.on('data', (d: Buffer) => process.stderr.write(d));
      worker.stderr.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-8000);
      });
      let error = '';
      worker.on('error', (e) => (error = e.stack ?? e.message));
      return {
        send: (m) => worker.postMessage(m),
        onMessage: (fn) => worker.on('message', (m: WorkerEvent) => fn(m)),
        onExit: (fn) => worker.once('exit', (code) => fn({ code, signal: null, detail: error || tail(stderr) })),
        kill: () => void worker.terminate(),
      };
    }
    const child: ChildProcess = fork(workerEntry, [WORKER_FLAG], {
      execArgv: tsExecArgv(),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env,
      serialization: 'advanced',
    });
    child.stdout?.on('data', (d: Buffer) => process.stderr.write(d));
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-8000);
    });
    let spawnError = '';
    child.on('error', (e) => (spawnError = e.message));
    return {
      send: (m) => {
        if (child.connected) child.send(m);
      },
      onMessage: (fn) => child.on('message', (m) => fn(m as WorkerEvent)),
      onExit: (fn) => child.once('exit', (code, signal) => fn({ code, signal, detail: spawnError || tail(stderr) })),
      kill: () => void child.kill('SIGKILL'),
    };
  };
}

async function markRunFailed(dir: string, event: FinishedEvent, resumable: boolean): Promise<void> {
  try {
    const path = join(dir, 'run.json');
    const run = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    await writeJson(path, { ...run, status: 'failed', finishedAt: new Date().toISOString(), message: event.message, error: event.error, resumable });
  } catch {
    // No run.json yet: nothing to mark.
  }
}

/** Settings in force: defaults ← project ← overrides. */
export function effectiveSettings(doc: ProjectDocument, overrides: Partial<TrainingSettings> = {}): TrainingSettings {
  return { ...DEFAULT_TRAINING, ...(doc.training ?? {}), ...overrides };
}

/** Starts a training in a worker. `onEvent` gets every event, the last one being `finished`. */
export function train(options: TrainOptions, onEvent: (event: TrainingEvent) => void = () => undefined): TrainingHandle {
  const runId = runIdFor();
  const datasetRef = options.datasetPath ?? options.doc.dataset?.path;
  let finishedResolve: (e: FinishedEvent) => void = () => undefined;
  const done = new Promise<FinishedEvent>((r) => (finishedResolve = r));
  let finished = false;
  const finish = (e: FinishedEvent) => {
    if (finished) return;
    finished = true;
    onEvent(e);
    finishedResolve(e);
  };
  const workersRefused = workersProblem(options.workers ?? 1, options.engine ?? 'tfjs');
  if (workersRefused) {
    queueMicrotask(() => finish({ kind: 'finished', runId, status: 'failed', message: workersRefused, error: { code: 'backend', message: workersRefused }, finalMetrics: {}, epochsCompleted: 0 }));
    return { runId, stop: () => undefined, kill: () => undefined, crash: () => undefined, done };
  }
  if (!datasetRef) {
    const message = 'The project has no dataset. Choose a dataset folder (or CSV file) first.';
    queueMicrotask(() => finish({ kind: 'finished', runId, status: 'failed', message, error: { code: 'dataset', message }, finalMetrics: {}, epochsCompleted: 0 }));
    return { runId, stop: () => undefined, kill: () => undefined, crash: () => undefined, done };
  }
  const job: TrainingJob = {
    runId,
    doc: options.doc,
    datasetPath: resolveDatasetPath(datasetRef, options.projectPath),
    ...((options.targetColumn ?? options.doc.dataset?.targetColumn) ? { targetColumn: options.targetColumn ?? options.doc.dataset?.targetColumn } : {}),
    settings: effectiveSettings(options.doc, options.overrides),
    runsDir: options.runsDir ?? defaultRunsDir(options.projectPath),
    projectFile: options.projectPath,
    ...(options.resumeFrom ? { resumeFrom: options.resumeFrom } : {}),
    backend: options.backend ?? 'auto',
    ...(options.engine && options.engine !== 'tfjs' ? { engine: options.engine } : {}),
    ...(options.python ? { python: options.python } : {}),
    ...(options.modelArgs?.length ? { modelArgs: options.modelArgs } : {}),
    ...(options.workers !== undefined && options.workers !== 1 ? { workers: options.workers } : {}),
    ...(options.cacheBudgetMB ? { cacheBudgetMB: options.cacheBudgetMB } : {}),
    ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
  };
  const channel = (options.spawn ?? defaultSpawner(options.mode))();
  let stopRequested = false;
  let runDir: string | undefined;
  let epochsCompleted = 0;
  channel.onMessage((event) => {
    if (finished || event.kind === 'accuracy-progress' || event.kind === 'accuracy-result') return;
    if (event.kind === 'started') runDir = event.runDir;
    if (event.kind === 'epoch') epochsCompleted = event.epoch;
    if (event.kind === 'log' && event.message === '') return;
    if (event.kind === 'finished') {
      finish(event);
      // The worker exits by itself once flushed; make sure it does.
      setTimeout(() => channel.kill(), 2000).unref();
      return;
    }
    onEvent(event);
  });
  channel.onExit(({ code, signal, detail }) => {
    if (finished) return;
    const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
    const oom = signal === 'SIGKILL' && !stopRequested ? ' The system may have run out of memory: try a smaller batch size.' : '';
    const dir = runDir;
    void (async () => {
      // What is left to continue from: the worker's last checkpoint, if it wrote one.
      const resume = dir ? await resumeNote(dir, { projectFile: job.projectFile, datasetPath: job.datasetPath }).catch(() => null) : null;
      const after = resume ? `\n${resume.resumable ? resume.note : `It stopped ${resume.note}`}` : '';
      const message = `The training worker stopped unexpectedly: it ${how}.${oom}${detail ? `\n${detail}` : ''}${after}`;
      const event: FinishedEvent = { kind: 'finished', runId, status: 'failed', message, error: { code: 'crash', message }, finalMetrics: {}, epochsCompleted, ...(dir ? { runDir: dir } : {}) };
      // The worker could not record its own end: mark its run folder failed, so the runs list is right.
      if (dir) await markRunFailed(dir, event, resume?.resumable === true);
      finish(event);
    })();
  });
  channel.send({ type: 'start', job });
  return {
    runId,
    stop: () => {
      stopRequested = true;
      channel.send({ type: 'stop' });
    },
    kill: () => {
      stopRequested = true;
      channel.kill();
    },
    crash: (mode) => channel.send({ type: 'crash', mode }),
    done,
  };
}

const active = new Map<string, TrainingHandle>();

let hostSpawner: WorkerSpawner | undefined;

/**
 * Lets a host choose how workers start for `startTraining` (the Electron shell passes a
 * utilityProcess spawner); `undefined` restores the default child process.
 */
export function setWorkerSpawner(spawn: WorkerSpawner | undefined): void {
  hostSpawner = spawn;
}

/** How workers start now: the host's spawner (Electron's utilityProcess), else a child process. */
export function currentSpawner(): WorkerSpawner {
  return hostSpawner ?? defaultSpawner();
}

/**
 * The editor API's `startTraining`: trains the project as it is in the editor, streaming events to
 * `emit`. Resolves once the worker has been started.
 */
export async function startTraining(
  request: { readonly doc: ProjectDocument; readonly projectPath: string | null; readonly resumeFrom?: string; readonly backend?: BackendChoice; readonly runsDir?: string; readonly engine?: TrainingEngine },
  emit: (event: TrainingEvent) => void,
): Promise<{ runId: string }> {
  // The Keras engine runs the interpreter the settings name (engineService.resolvePython).
  const keras = request.engine === 'keras' ? { engine: 'keras' as const, python: await (await import('./engineService.js')).resolvePython() } : {};
  const handle = train({ doc: request.doc, projectPath: request.projectPath, ...keras, ...(request.runsDir ? { runsDir: request.runsDir } : {}), ...(request.resumeFrom ? { resumeFrom: request.resumeFrom } : {}), ...(request.backend ? { backend: request.backend } : {}), ...(hostSpawner ? { spawn: hostSpawner } : {}) }, emit);
  active.set(handle.runId, handle);
  void handle.done.then(() => active.delete(handle.runId));
  return { runId: handle.runId };
}

/** The editor API's `stopTraining`: graceful stop at the next batch boundary. Unknown ids are ignored. */
export async function stopTraining(runId: string): Promise<void> {
  active.get(runId)?.stop();
}

/** Stops every running training (app quit). */
export function stopAllTraining(): void {
  for (const h of active.values()) h.stop();
}
