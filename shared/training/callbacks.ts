/**
 * The contract between a training loop and its callbacks, as Keras's `keras.callbacks.Callback`
 * shapes it: the loop only steps through epochs and batches; early stopping, checkpoints, the
 * learning-rate schedule, progress and the NaN guard are callbacks that hook the moments below.
 * Nothing here names an engine: the tfjs loop (electron/services/trainingEngine.ts) drives it, and
 * a second engine (a Keras process, say) can drive the same callbacks by calling the same hooks
 * with the same arguments.
 *
 * Epochs are 0-based in every hook, as in Keras; what a run records for people (history, events)
 * is 1-based.
 */
import type { Metrics } from './protocol.js';

/** A hook's result: nothing, now or later. The loop awaits each hook before the next. */
export type HookResult = void | Promise<void>;

/** What every callback may read and, for `stopTraining`, write; one object per run. */
export interface TrainingLoop {
  /** Epochs the run trains in all (a resumed run counts the ones done before). */
  readonly epochs: number;
  /** First epoch this process trains: 0, or the epochs done before a resume. */
  readonly startEpoch: number;
  /** Batches of `startEpoch` already trained before a resume (0 otherwise). */
  readonly skipBatches: number;
  readonly batchesPerEpoch: number;
  /** Samples in the validation split (0: validation metrics are not computed). */
  readonly validationSamples: number;
  /** Learning rate in force; the schedule callback sets it at each epoch's start. */
  learningRate: number;
  /** Set by a callback (early stopping) to end training after the current epoch (Keras `model.stop_training`). */
  stopTraining: boolean;
}

/** One training step, as `onBatchEnd` sees it. */
export interface BatchEnd {
  /** 0-based epoch. */
  readonly epoch: number;
  /** Batches done in this epoch, this one included (1-based; a resume counts the skipped ones). */
  readonly batch: number;
  /** Samples in this batch (0 when every sample of it was left out, e.g. undecodable images). */
  readonly size: number;
  /** The step's loss and metrics, in the order of `names` (empty when `size` is 0). */
  readonly values: readonly number[];
  /** `loss` and the metric names, matching `values`. */
  readonly names: readonly string[];
  /** Running means over the epoch so far. */
  readonly means: Metrics;
  /** Samples trained in this epoch so far. */
  readonly seen: number;
  /** Seconds since the previous step ended (waiting for data included, so a slow pipeline shows). */
  readonly seconds: number;
}

/** The end of an epoch, as `onEpochEnd` sees it. */
export interface EpochEnd {
  /** 0-based. */
  readonly epoch: number;
  /** Training means and, with a validation split, `val_` values. */
  readonly logs: Metrics;
  /** Learning rate the epoch trained with. */
  readonly learningRate: number;
  /** Wall time of the epoch, validation included. */
  readonly seconds: number;
  /** Seconds spent training (not validating) and the samples trained. */
  readonly trainSeconds: number;
  readonly samples: number;
  /** Seconds the validation pass took (0 without a split). */
  readonly validationSeconds: number;
}

/** How training ended, as `onTrainEnd` sees it. */
export interface TrainEnd {
  /** `completed`: all epochs or a callback stopped it; `requested`: the user stopped it. */
  readonly reason: 'completed' | 'requested';
  /** Epochs fully trained. */
  readonly epochsDone: number;
  /** Batches trained of the epoch that was interrupted (0 at an epoch boundary). */
  readonly batchesDone: number;
}

/**
 * A training callback: every hook is optional. Hooks run in the order the callbacks are listed;
 * a hook that throws ends the run as failed (the engine turns the error into a `finished` event).
 */
export interface TrainingCallback {
  onTrainBegin?(loop: TrainingLoop): HookResult;
  onEpochBegin?(epoch: number, loop: TrainingLoop): HookResult;
  /** Before a step; `batch` is the 0-based index of the step in its epoch. */
  onBatchBegin?(epoch: number, batch: number, loop: TrainingLoop): HookResult;
  onBatchEnd?(batch: BatchEnd, loop: TrainingLoop): HookResult;
  onEpochEnd?(end: EpochEnd, loop: TrainingLoop): HookResult;
  onTrainEnd?(end: TrainEnd, loop: TrainingLoop): HookResult;
}

/** Calls a list of callbacks in order, awaiting each hook (Keras `CallbackList`). */
export class CallbackList {
  constructor(private readonly callbacks: readonly TrainingCallback[]) {}

  async onTrainBegin(loop: TrainingLoop): Promise<void> {
    for (const c of this.callbacks) await c.onTrainBegin?.(loop);
  }

  async onEpochBegin(epoch: number, loop: TrainingLoop): Promise<void> {
    for (const c of this.callbacks) await c.onEpochBegin?.(epoch, loop);
  }

  async onBatchBegin(epoch: number, batch: number, loop: TrainingLoop): Promise<void> {
    for (const c of this.callbacks) await c.onBatchBegin?.(epoch, batch, loop);
  }

  async onBatchEnd(batch: BatchEnd, loop: TrainingLoop): Promise<void> {
    for (const c of this.callbacks) await c.onBatchEnd?.(batch, loop);
  }

  async onEpochEnd(end: EpochEnd, loop: TrainingLoop): Promise<void> {
    for (const c of this.callbacks) await c.onEpochEnd?.(end, loop);
  }

  async onTrainEnd(end: TrainEnd, loop: TrainingLoop): Promise<void> {
    for (const c of this.callbacks) await c.onTrainEnd?.(end, loop);
  }
}
