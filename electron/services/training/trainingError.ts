/** The failures a training run reports by kind. */
import type { TrainingErrorCode } from '../../../shared/training/protocol.js';

/** A failure with a kind, turned into a `finished` event with status `failed`. */
export class TrainingError extends Error {
  constructor(
    readonly code: TrainingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TrainingError';
  }
}
