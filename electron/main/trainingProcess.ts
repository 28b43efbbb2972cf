/**
 * Training workers as Electron utility processes. The training service (electron/services/
 * trainingService.ts) owns the run: it sends the job, relays progress, and turns a worker that
 * dies into a `failed` run with the worker's last output — so a native TensorFlow abort or an
 * out-of-memory kill shows an error in the editor while the app stays up. This file only says how
 * a worker starts here: `utilityProcess.fork` (a Node.js child that Electron manages, and that
 * works in packaged apps where plain `child_process.fork` of the app binary is not allowed).
 *
 * Electron's `fork` is passed in, so the file has no runtime Electron import.
 */
import type { ForkOptions, UtilityProcess } from 'electron';
import type { WorkerChannel, WorkerSpawner } from '../services/trainingService.js';
import type { HostToWorker, TrainingEvent } from '../../shared/training/protocol.js';

/** `utilityProcess.fork`. */
export type UtilityFork = (modulePath: string, args: string[], options: ForkOptions) => UtilityProcess;

/** Keeps the last lines of a worker's stderr for the error message of a crashed run. */
function tail(text: string, lines = 8): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** A spawner for the training service that runs `workerEntry` (with `flag`) in a utility process. */
export function utilityProcessSpawner(fork: UtilityFork, workerEntry: string, flag: string): WorkerSpawner {
  return (): WorkerChannel => {
    const child = fork(workerEntry, [flag], {
      serviceName: 'Layerloom training',
      stdio: 'pipe',
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' },
    });
    let stderr = '';
    let spawned = false;
    const queue: HostToWorker[] = [];
    child.stdout?.on('data', (d: Buffer) => process.stderr.write(d));
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-8000);
    });
    // Messages posted before the process is up are held, so the job is never lost.
    child.once('spawn', () => {
      spawned = true;
      for (const m of queue.splice(0)) child.postMessage(m);
    });
    let fatal = '';
    child.on('error', (type: string, location: string) => {
      fatal = `The training process hit a fatal ${type} error at ${location}.`;
    });
    return {
      send(message) {
        if (spawned) child.postMessage(message);
        else queue.push(message);
      },
      onMessage(listener) {
        child.on('message', (m: unknown) => listener(m as TrainingEvent));
      },
      onExit(listener) {
        child.once('exit', (code: number) => listener({ code, signal: null, detail: fatal || tail(stderr) }));
      },
      kill() {
        child.kill();
      },
    };
  };
}
