/**
 * Keras `ModelCheckpoint` twice over: `checkpoints/last` after every epoch (and where the user
 * stopped mid-epoch), `checkpoints/best` when the monitored value improves. Each holds the model,
 * the optimizer state and the position to resume from.
 */
import { join } from 'node:path';
import type { TF } from '../../../../shared/compile/tfTypes.js';
import type { EpochEnd, TrainEnd, TrainingCallback } from '../../../../shared/training/callbacks.js';
import { higherIsBetter, isImprovement, type BestValue } from '../../../../shared/training/monitor.js';
import { readCheckpointState, saveCheckpoint, type CheckpointState } from '../../runsService.js';
import type { LayersModel, Optimizer } from '../tfTypes.js';

export interface ModelCheckpointOptions {
  readonly runDir: string;
  readonly monitor: string;
  /** Resume: the best value so far. */
  readonly best: BestValue | null;
  /** Learning rate of a (0-based) epoch, recorded so a resume shows where the schedule is. */
  readonly schedule: (epoch: number) => number;
  /** Epochs waited without improvement (early stopping's count, kept across a resume). */
  readonly wait: () => number;
}

export class ModelCheckpoint implements TrainingCallback {
  /** Whether the last epoch improved on the best (and was saved as `best`). */
  improved = false;
  private bestValue: BestValue | null;
  private readonly higher: boolean;

  constructor(
    private readonly model: LayersModel,
    private readonly optimizer: Optimizer,
    private readonly tf: TF,
    private readonly options: ModelCheckpointOptions,
  ) {
    this.bestValue = options.best;
    this.higher = higherIsBetter(options.monitor);
  }

  get best(): BestValue | null {
    return this.bestValue;
  }

  get lastDir(): string {
    return join(this.options.runDir, 'checkpoints', 'last');
  }

  async onEpochEnd(end: EpochEnd): Promise<void> {
    const current = end.logs[this.options.monitor];
    this.improved = current !== undefined && isImprovement(current, this.bestValue?.value ?? null, this.higher);
    if (this.improved) this.bestValue = { epoch: end.epoch + 1, value: current };
    const state = this.state(end.epoch + 1, 0);
    await saveCheckpoint(this.lastDir, this.model, this.optimizer, state, this.tf);
    if (this.improved) await saveCheckpoint(join(this.options.runDir, 'checkpoints', 'best'), this.model, this.optimizer, state, this.tf);
  }

  async onTrainEnd(end: TrainEnd): Promise<void> {
    // A stop mid-epoch: keep the batches trained so far, to resume from that batch.
    if (end.reason === 'requested' && end.batchesDone > 0) await saveCheckpoint(this.lastDir, this.model, this.optimizer, this.state(end.epochsDone, end.batchesDone), this.tf);
  }

  /** What is true about checkpoints when a run fails: where the last good one is, if any. */
  async failureNote(resumeFrom: string | undefined): Promise<string> {
    const state = await readCheckpointState(this.lastDir).catch(() => null);
    if (state) return `The last good checkpoint (after epoch ${state.epochsDone}${state.batchesDone ? `, batch ${state.batchesDone}` : ''}) is kept in ${this.lastDir}.`;
    const previousDir = resumeFrom ? join(resumeFrom, 'checkpoints', 'last') : null;
    const previous = previousDir ? await readCheckpointState(previousDir).catch(() => null) : null;
    if (previousDir && previous) return `This run wrote no checkpoint before it diverged; the run it resumed from keeps its checkpoint (after epoch ${previous.epochsDone}) in ${previousDir}.`;
    return 'No checkpoint was written before it diverged (the first epoch did not finish), so there is none to go back to: train again with the changes above.';
  }

  private state(epochsDone: number, batchesDone: number): CheckpointState {
    return { epochsDone, batchesDone, learningRate: this.options.schedule(epochsDone), best: this.bestValue, wait: this.options.wait() };
  }
}
