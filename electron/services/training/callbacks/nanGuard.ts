/**
 * Ends the run as failed when the loss or a metric of a step becomes NaN or infinite (Keras
 * `TerminateOnNaN`, with a message that says what to change and which checkpoint survives).
 */
import type { BatchEnd, TrainingCallback, TrainingLoop } from '../../../../shared/training/callbacks.js';
import { TrainingError } from '../trainingError.js';

export class NanGuard implements TrainingCallback {
  /** `checkpointNote` says where the last good checkpoint is (read when a step diverges). */
  constructor(private readonly checkpointNote: () => Promise<string>) {}

  async onBatchEnd(b: BatchEnd, loop: TrainingLoop): Promise<void> {
    const bad = b.values.findIndex((v) => !Number.isFinite(v));
    if (bad < 0) return;
    const lr = loop.learningRate;
    throw new TrainingError(
      'nan',
      `The ${bad === 0 ? 'loss' : b.names[bad]} became ${Number.isNaN(b.values[bad]) ? 'NaN' : 'infinite'} at epoch ${b.epoch + 1}, batch ${b.batch} ` +
        `(learning rate ${lr}). The weights diverged: lower the learning rate (try ${lr / 10}), check the data for extreme or missing values, ` +
        `and make sure the output and loss fit (LL014). ${await this.checkpointNote()}`,
    );
  }
}
