/**
 * The training worker's entry. Host-agnostic: it talks through a {@link WorkerPort}, and
 * {@link startWorkerFromHost} adapts whichever host started it — a worker_threads Worker, a
 * child process with IPC (`fork`), or Electron's utilityProcess (`process.parentPort`).
 *
 * Protocol (shared/training/protocol.ts): the host sends `start` once, then maybe `stop`; the worker
 * streams TrainingEvents and always ends a job with a `finished` event. An explain worker instead
 * answers `explain` requests (shared/explain/protocol.ts) until the host ends it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WORKER_FLAG, type HostToWorker, type WorkerEvent } from '../../shared/training/protocol.js';
import { runTrainingJob } from './trainingEngine.js';
import { runAccuracyJob } from './quantizedAccuracy.js';
import { BackendError, loadTrainingBackend } from './trainingBackend.js';
import type { ExplainWorkerMessage, ExplainWorkerReply } from '../../shared/explain/protocol.js';
import { ExplainModelCache } from './explainModelCache.js';

/** The worker's side of a message channel. */
export interface WorkerPort {
  post(event: WorkerEvent | ExplainWorkerReply): void;
  onMessage(listener: (message: HostToWorker | ExplainWorkerMessage) => void): void;
  /** Called once the job has ended and its last event was posted. */
  close(): void;
}

/** Serves one training job over `port`. Resolves when the job has finished. */
export function runTrainingWorker(port: WorkerPort): Promise<void> {
  let stop = false;
  let started = false;
  let explaining = false;
  let explainQueue: Promise<void> = Promise.resolve();
  const explainCache = new ExplainModelCache();
  return new Promise<void>((resolveDone) => {
    port.onMessage((message) => {
      if (message.type === 'stop') {
        stop = true;
        return;
      }
      if (message.type === 'crash') {
        // Test hook: die the two ways a real failure would.
        if (message.mode === 'exit') process.exit(3);
        setTimeout(() => {
          throw new Error('Simulated crash of the training worker (test hook).');
        }, 0);
        return;
      }
      if (message.type === 'accuracy' && !started) {
        started = true;
        void (async () => {
          let backendName = '';
          try {
            const backend = await loadTrainingBackend(message.job.backend ?? 'auto');
            backendName = backend.name;
            // At most one progress event per 64-sample batch: cheap to post.
            const result = await runAccuracyJob(backend.tf, message.job, (done, total) => port.post({ kind: 'accuracy-progress', done, total }));
            port.post({ kind: 'accuracy-result', result, backend: backendName });
          } catch (e) {
            port.post({ kind: 'accuracy-result', result: null, backend: backendName, error: (e as Error).message ?? String(e) });
          } finally {
            port.close();
            resolveDone();
          }
        })();
        return;
      }
      if (message.type === 'explain' && (!started || explaining)) {
        // An explain worker: requests one after another on the same engine, which stays loaded
        // (with the last model) until the host ends the worker. It never trains.
        started = true;
        explaining = true;
        const { id, request, runsDir } = message;
        explainQueue = explainQueue.then(async () => {
          try {
            const backend = await loadTrainingBackend('auto');
            const { explainForView } = await import('./explainService.js');
            port.post({ kind: 'explained', id, result: await explainForView(backend.tf, request, runsDir, explainCache) });
          } catch (e) {
            port.post({ kind: 'explainFailed', id, message: (e as Error).message ?? String(e) });
          }
        });
        return;
      }
      if (message.type !== 'start' || started) return;
      started = true;
      const { job } = message;
      void (async () => {
        try {
          const backend = await loadTrainingBackend(job.backend ?? 'auto');
          const hooks = { emit: (e: WorkerEvent) => port.post(e), stopRequested: () => stop };
          if (job.engine === 'keras') {
            // Python trains; tfjs here builds the starting weights, writes checkpoints, scores the result.
            const { runKerasJob } = await import('./training/keras/engine.js');
            await runKerasJob(job, backend, hooks);
          } else await runTrainingJob(job, backend, hooks);
        } catch (e) {
          const code = e instanceof BackendError ? 'backend' : 'internal';
          const msg = (e as Error).message ?? String(e);
          port.post({ kind: 'finished', runId: job.runId, status: 'failed', message: msg, error: { code, message: msg }, finalMetrics: {}, epochsCompleted: 0 });
        } finally {
          port.close();
          resolveDone();
        }
      })();
    });
  });
}

interface ElectronParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

/** Starts the worker on whatever host launched this process or thread. */
export function startWorkerFromHost(): void {
  if (parentPort) {
    const port = parentPort;
    void runTrainingWorker({
      post: (e) => port.postMessage(e),
      onMessage: (fn) => port.on('message', (m: HostToWorker | ExplainWorkerMessage) => fn(m)),
      close: () => port.close(),
    });
    return;
  }
  const electronPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort) {
    void runTrainingWorker({
      post: (e) => electronPort.postMessage(e),
      onMessage: (fn) => electronPort.on('message', (e) => fn(e.data as HostToWorker | ExplainWorkerMessage)),
      close: () => process.exit(0),
    });
    return;
  }
  if (process.send) {
    // A child process: leave when the parent goes away, so a killed app never leaves TF running.
    process.on('disconnect', () => process.exit(0));
    // Ctrl-C in a terminal reaches the whole process group; the host decides (graceful stop first).
    process.on('SIGINT', () => undefined);
    let pending = 0;
    let closing = false;
    const maybeExit = () => {
      if (closing && pending === 0) process.exit(0);
    };
    void runTrainingWorker({
      post: (e) => {
        pending++;
        process.send?.(e, undefined, {}, () => {
          pending--;
          maybeExit();
        });
      },
      onMessage: (fn) => process.on('message', (m) => fn(m as HostToWorker | ExplainWorkerMessage)),
      // Exit once every message is flushed to the parent.
      close: () => {
        closing = true;
        maybeExit();
      },
    });
    return;
  }
  throw new Error('trainingWorker must be started by a host (worker thread, child process or utility process).');
}

const asWorkerData = workerData as Record<string, unknown> | null | undefined;
if (process.argv.includes(WORKER_FLAG) || asWorkerData?.[WORKER_FLAG] === true) startWorkerFromHost();
