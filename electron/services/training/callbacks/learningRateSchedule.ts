/**
 * Sets the optimizer's learning rate at the start of every epoch from the project's schedule
 * (Keras `LearningRateScheduler`); the rate of epoch e is `learningRateAt(settings, e)`.
 */
import type { TrainingCallback, TrainingLoop } from '../../../../shared/training/callbacks.js';
import type { Optimizer } from '../tfTypes.js';

/** Changes an optimizer's learning rate in place (SGD keeps it in a scalar tensor, the others in a field). */
export function setLearningRate(optimizer: Optimizer, lr: number): void {
  const o = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

export class LearningRateSchedule implements TrainingCallback {
  constructor(
    private readonly optimizer: Optimizer,
    private readonly schedule: (epoch: number) => number,
  ) {}

  onEpochBegin(epoch: number, loop: TrainingLoop): void {
    const lr = this.schedule(epoch);
    if (lr !== loop.learningRate) setLearningRate(this.optimizer, lr);
    loop.learningRate = lr;
  }
}
