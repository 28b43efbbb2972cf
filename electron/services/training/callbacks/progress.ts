/**
 * Progress for people (Keras `ProgbarLogger`): `batch` events at most every `intervalMs` (always
 * the last batch of an epoch) with running means, speed and the time left, and an `epoch` event
 * at each epoch's end.
 */
import type { BatchEnd, EpochEnd, TrainingCallback, TrainingLoop } from '../../../../shared/training/callbacks.js';
import type { TrainingEvent } from '../../../../shared/training/protocol.js';

export interface ProgressOptions {
  readonly runId: string;
  readonly emit: (event: TrainingEvent) => void;
  readonly intervalMs: number;
  /** Batch size of the validation pass (to guess its time before the first one ran). */
  readonly validationBatches: number;
  /** Whether the epoch just ended is the best so far (the best checkpoint's verdict). */
  readonly improved: () => boolean;
}

export class Progress implements TrainingCallback {
  private batchesDone = 0;
  private trainSeconds = 0;
  private epochTrainSeconds = 0;
  private validationSeconds = 0;
  private validationRuns = 0;
  private lastEmit = 0;

  constructor(private readonly options: ProgressOptions) {}

  onEpochBegin(): void {
    this.epochTrainSeconds = 0;
    this.lastEmit = 0;
  }

  onBatchEnd(b: BatchEnd, loop: TrainingLoop): void {
    if (b.size > 0) {
      this.trainSeconds += b.seconds;
      this.epochTrainSeconds += b.seconds;
    }
    this.batchesDone++;
    const now = performance.now();
    if (now - this.lastEmit < this.options.intervalMs && b.batch !== loop.batchesPerEpoch) return;
    this.lastEmit = now;
    this.options.emit({
      kind: 'batch',
      runId: this.options.runId,
      epoch: b.epoch + 1,
      batch: b.batch,
      batchesPerEpoch: loop.batchesPerEpoch,
      metrics: b.means,
      samplesPerSecond: this.epochTrainSeconds > 0 ? b.seen / this.epochTrainSeconds : 0,
      etaSeconds: this.eta(loop, b.epoch, b.batch),
      progress: Math.min(1, (b.epoch * loop.batchesPerEpoch + b.batch) / (loop.epochs * loop.batchesPerEpoch)),
    });
  }

  onEpochEnd(end: EpochEnd, loop: TrainingLoop): void {
    if (loop.validationSamples > 0) {
      this.validationSeconds += end.validationSeconds;
      this.validationRuns++;
    }
    this.options.emit({
      kind: 'epoch',
      runId: this.options.runId,
      epoch: end.epoch + 1,
      epochs: loop.epochs,
      metrics: end.logs,
      etaSeconds: this.eta(loop, end.epoch + 1, 0),
      progress: (end.epoch + 1) / loop.epochs,
      learningRate: end.learningRate,
      seconds: end.seconds,
      samplesPerSecond: end.trainSeconds > 0 ? end.samples / end.trainSeconds : 0,
      improved: this.options.improved(),
    });
  }

  /** Seconds left for the run: the batches left at the mean step time, plus the validation passes left. */
  private eta(loop: TrainingLoop, epoch: number, batchInEpoch: number): number | null {
    if (this.batchesDone === 0) return null;
    const perBatch = this.trainSeconds / this.batchesDone;
    const totalBatches = (loop.epochs - loop.startEpoch) * loop.batchesPerEpoch - loop.skipBatches;
    const left = Math.max(0, totalBatches - this.batchesDone);
    const validationPer = this.validationRuns
      ? this.validationSeconds / this.validationRuns
      : loop.validationSamples
        ? perBatch * this.options.validationBatches * 0.3
        : 0;
    const epochsLeft = loop.epochs - epoch - (batchInEpoch >= loop.batchesPerEpoch ? 1 : 0);
    return left * perBatch + Math.max(0, epochsLeft) * validationPer;
  }
}
