/**
 * The Export dialog's accuracy check (float vs quantized validation accuracy) runs in a training
 * worker, on the worker's backend (native TensorFlow when it loads), not in the host process that
 * serves the UI: scoring the mnist example twice takes seconds natively and about a minute on the
 * pure-JavaScript backend, and the host must keep answering meanwhile. A worker that dies becomes an
 * error, never a hang.
 */
import type { QuantizedAccuracy } from '../../shared/codegen/quantize.js';
import type { AccuracyJob } from '../../shared/training/protocol.js';
import { currentSpawner, type WorkerSpawner } from './trainingService.js';

/** Scores the float and quantized weights of `job` in a new worker; rejects with why it failed. */
export function measureAccuracyInWorker(job: AccuracyJob, options: { spawn?: WorkerSpawner; onProgress?: (done: number, total: number) => void } = {}): Promise<QuantizedAccuracy | null> {
  const channel = (options.spawn ?? currentSpawner())();
  return new Promise((resolveCheck, reject) => {
    let settled = false;
    channel.onMessage((event) => {
      if (settled) return;
      if (event.kind === 'accuracy-progress') options.onProgress?.(event.done, event.total);
      if (event.kind !== 'accuracy-result') return;
      settled = true;
      // The worker exits by itself once flushed; make sure it does.
      setTimeout(() => channel.kill(), 2000).unref();
      if (event.error) reject(new Error(event.error));
      else resolveCheck(event.result);
    });
    channel.onExit(({ code, signal, detail }) => {
      if (settled) return;
      settled = true;
      const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
      reject(new Error(`the worker that measures accuracy stopped unexpectedly: it ${how}${detail ? `: ${detail}` : ''}`));
    });
    channel.send({ type: 'accuracy', job });
  });
}
