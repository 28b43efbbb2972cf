/**
 * Reproducible training steps: before each step, the model's random layers (dropout) get seeds
 * drawn from the step's own seed, one stream per project seed indexed by (epoch, batch). Masks
 * differ from step to step and repeat from run to run; a run resumed mid-epoch continues on the
 * seeds it would have had. Shuffling and augmentation are seeded by the data pipeline.
 */
import type { TrainingCallback } from '../../../../shared/training/callbacks.js';
import { stepSeed } from '../../../../shared/compile/seeding.js';
import type { StepRandomness } from '../../../../shared/compile/stepRandomness.js';

export class StepSeeds implements TrainingCallback {
  constructor(
    private readonly randomness: StepRandomness,
    private readonly seed: number,
  ) {}

  onBatchBegin(epoch: number, batch: number): void {
    if (this.randomness.layers.length) this.randomness.reseed(stepSeed(this.seed, epoch, batch));
  }
}
