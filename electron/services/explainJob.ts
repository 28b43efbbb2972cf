/**
 * The editor API's explain requests: an explanation is computed in a training worker (the process
 * that owns tfjs and its native engine), never on the thread that serves the UI; a crash there
 * becomes an error, not a dead window.
 *
 * Starting a worker and loading TensorFlow takes seconds, so one explain worker is kept per run:
 * later samples of the same run reuse its engine and its loaded model. It is ended when another
 * run is explained, after `idleMs` without requests, and when the host closes; a worker that dies
 * fails its pending requests with a clear error and the next request starts a new one.
 */
import type { ExplainRequest, ExplainResult, ExplainWorkerMessage, ExplainWorkerReply } from '../../shared/explain/protocol.js';
import type { HostToWorker, WorkerEvent } from '../../shared/training/protocol.js';
import { currentSpawner, type WorkerChannel, type WorkerSpawner } from './trainingService.js';

/** How long an explain worker waits for its next request before it is ended (default). */
const IDLE_MS = 5 * 60_000;

interface Pending {
  readonly resolve: (r: ExplainResult) => void;
  readonly reject: (e: Error) => void;
}

interface LiveWorker {
  readonly key: string;
  readonly channel: WorkerChannel;
  readonly pending: Map<number, Pending>;
  /** Set when the host ends it on purpose (another run, idle, close): its exit is no crash. */
  ending: string | null;
  idle: ReturnType<typeof setTimeout> | null;
}

/** Options of {@link ExplainWorkers}. */
export interface ExplainWorkersOptions {
  /** How workers start (default: the host's spawner, else a child process). */
  readonly spawn?: WorkerSpawner;
  readonly idleMs?: number;
}

/** The explain workers of one host: at most one alive, for the run last explained. */
export class ExplainWorkers {
  private worker: LiveWorker | null = null;
  private nextId = 1;
  /** Workers started so far (one per run explained, plus one per crash). */
  started = 0;

  constructor(private readonly options: ExplainWorkersOptions = {}) {}

  /** Computes one explanation in the run's worker (starting it when needed). */
  explain(request: ExplainRequest, runsDir?: string): Promise<ExplainResult> {
    // The weights a request names: its project (or unsaved session), run and checkpoint.
    const key = JSON.stringify([request.projectPath, request.sessionKey ?? null, runsDir ?? null, request.run ?? 'best', request.checkpoint ?? 'best']);
    if (this.worker && this.worker.key !== key) this.end(this.worker, 'another run was chosen to explain');
    const worker = this.worker ?? this.spawn(key);
    if (worker.idle) clearTimeout(worker.idle);
    worker.idle = null;
    const id = this.nextId++;
    return new Promise<ExplainResult>((resolve, reject) => {
      worker.pending.set(id, { resolve, reject });
      const message: ExplainWorkerMessage = { type: 'explain', id, request, ...(runsDir ? { runsDir } : {}) };
      // The channel is typed for training; an explain worker shares it with its own message kinds.
      worker.channel.send(message as unknown as HostToWorker);
    });
  }

  /** Ends the worker (the host is closing); pending requests fail. */
  close(): void {
    if (this.worker) this.end(this.worker, 'the app is closing');
  }

  private spawn(key: string): LiveWorker {
    const channel = (this.options.spawn ?? currentSpawner())();
    this.started++;
    const worker: LiveWorker = { key, channel, pending: new Map(), ending: null, idle: null };
    this.worker = worker;
    channel.onMessage((raw: WorkerEvent) => {
      const reply = raw as unknown as ExplainWorkerReply;
      const pending = worker.pending.get(reply.id);
      if (!pending) return;
      worker.pending.delete(reply.id);
      if (reply.kind === 'explained') pending.resolve(reply.result);
      else if (reply.kind === 'explainFailed') pending.reject(new Error(reply.message));
      if (worker.pending.size === 0 && this.worker === worker) {
        const idle = setTimeout(() => this.end(worker, 'it was idle'), this.options.idleMs ?? IDLE_MS);
        idle.unref();
        worker.idle = idle;
      }
    });
    channel.onExit(({ code, signal, detail }) => {
      if (this.worker === worker) this.worker = null;
      if (worker.idle) clearTimeout(worker.idle);
      const why = worker.ending
        ? `The explanation was cancelled: ${worker.ending}.`
        : `The worker computing the explanation stopped unexpectedly (${signal ?? `exit code ${code}`}). Explain again to start a new one.${detail ? `\n${detail}` : ''}`;
      for (const p of worker.pending.values()) p.reject(new Error(why));
      worker.pending.clear();
    });
    return worker;
  }

  private end(worker: LiveWorker, why: string): void {
    worker.ending = why;
    if (worker.idle) clearTimeout(worker.idle);
    if (this.worker === worker) this.worker = null;
    worker.channel.kill();
  }
}
