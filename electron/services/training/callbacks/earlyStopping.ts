/**
 * Keras `EarlyStopping` for the tfjs engine: the policy (shared/training/monitor.ts) decides;
 * this callback keeps the best epoch's weights and, as Keras 3 does in `on_train_end`, puts them
 * back when training ends (by patience or after the last epoch), but not when the user stopped the
 * run: then the model trained so far is what they asked to keep.
 */
import { EarlyStoppingPolicy, type BestValue } from '../../../../shared/training/monitor.js';
import type { EpochEnd, TrainEnd, TrainingCallback, TrainingLoop } from '../../../../shared/training/callbacks.js';
import type { TF } from '../../../../shared/compile/tfTypes.js';
import type { LayersModel, Tensor } from '../tfTypes.js';

export interface EarlyStoppingOptions {
  /** Off: the policy still counts `wait` (a resumed run may turn stopping on), nothing stops. */
  readonly enabled: boolean;
  readonly monitor: string;
  readonly patience: number;
  readonly restoreBestWeights: boolean;
  /** Resume: the best so far and the epochs waited since. */
  readonly best: BestValue | null;
  readonly wait: number;
  /**
   * Resume: loads the best weights saved before the resume into the model, for when no epoch
   * after the resume beats them.
   */
  readonly loadEarlierBest?: () => Promise<boolean>;
  readonly log: (message: string) => void;
}

export class EarlyStopping implements TrainingCallback {
  readonly policy: EarlyStoppingPolicy;
  /** 1-based epoch training stopped after, once patience ran out. */
  stoppedAfter: number | null = null;
  private bestWeights: { epoch: number; tensors: Tensor[] } | null = null;

  constructor(
    private readonly model: LayersModel,
    private readonly tf: TF,
    private readonly options: EarlyStoppingOptions,
  ) {
    this.policy = new EarlyStoppingPolicy({ monitor: options.monitor, patience: options.patience, best: options.best, wait: options.wait });
  }

  onEpochEnd(end: EpochEnd, loop: TrainingLoop): void {
    const verdict = this.policy.update(end.epoch, end.logs);
    if (!this.options.enabled) return;
    if (verdict.improved && this.options.restoreBestWeights) {
      this.disposeBest();
      this.bestWeights = { epoch: end.epoch + 1, tensors: this.model.getWeights().map((w) => this.tf.keep(w.clone())) };
    }
    if (verdict.stop) {
      loop.stopTraining = true;
      this.stoppedAfter = end.epoch + 1;
      this.options.log(`Early stopping: "${this.policy.monitor}" has not improved for ${this.policy.wait} epoch(s); best was epoch ${this.policy.best?.epoch}.`);
    }
  }

  async onTrainEnd(end: TrainEnd): Promise<void> {
    if (!this.options.enabled || !this.options.restoreBestWeights || end.reason !== 'completed') return;
    const best = this.policy.best;
    if (!best || best.epoch === end.epochsDone) return;
    if (this.bestWeights?.epoch === best.epoch) this.model.setWeights(this.bestWeights.tensors);
    else if (!(await this.options.loadEarlierBest?.())) return;
    this.options.log(`Restored the weights of epoch ${best.epoch}.`);
  }

  /** Frees the kept weights (the engine calls it however the run ends). */
  dispose(): void {
    this.disposeBest();
  }

  private disposeBest(): void {
    this.bestWeights?.tensors.forEach((t) => t.dispose());
    this.bestWeights = null;
  }
}
