/**
 * The editor API's explain requests: an explanation is computed in a training worker (the process
 * that owns tfjs and its native engine), never on the thread that serves the UI; a crash there
 * becomes an error, not a dead window.
 */
import type { ExplainRequest, ExplainResult, ExplainWorkerMessage, ExplainWorkerReply } from '../../shared/explain/protocol.js';
import type { HostToWorker, WorkerEvent } from '../../shared/training/protocol.js';
import { currentSpawner, type WorkerSpawner } from './trainingService.js';

/** Starts a worker, sends it the explain job, and resolves with its one reply. */
export function explainInWorker(request: ExplainRequest, options: { runsDir?: string; spawn?: WorkerSpawner } = {}): Promise<ExplainResult> {
  const channel = (options.spawn ?? currentSpawner())();
  return new Promise<ExplainResult>((resolveResult, reject) => {
    let done = false;
    const end = (fn: () => void) => {
      if (done) return;
      done = true;
      fn();
      setTimeout(() => channel.kill(), 2000).unref();
    };
    // The channel is typed for training; an explain job shares it with its own two message kinds.
    channel.onMessage((raw: WorkerEvent) => {
      const reply = raw as unknown as ExplainWorkerReply;
      if (reply.kind === 'explained') end(() => resolveResult(reply.result));
      else if (reply.kind === 'explainFailed') end(() => reject(new Error(reply.message)));
    });
    channel.onExit(({ code, signal, detail }) =>
      end(() => reject(new Error(`The worker computing the explanation stopped unexpectedly (${signal ?? `exit code ${code}`}).${detail ? `\n${detail}` : ''}`))),
    );
    const message: ExplainWorkerMessage = { type: 'explain', request, ...(options.runsDir ? { runsDir: options.runsDir } : {}) };
    channel.send(message as unknown as HostToWorker);
  });
}
