/**
 * Keras `History` for a run folder: appends each epoch's record to `history.json` and updates
 * `run.json` (epochs done, best epoch) as soon as the epoch ends, so a run that dies keeps them.
 */
import { join } from 'node:path';
import type { EpochEnd, TrainingCallback } from '../../../../shared/training/callbacks.js';
import type { EpochRecord, RunSummary } from '../../../../shared/training/protocol.js';
import { writeJson } from '../../runsService.js';

export interface RunHistoryOptions {
  readonly runDir: string;
  /** Records of the epochs trained before a resume. */
  readonly previous: readonly EpochRecord[];
  /** Best epoch so far (1-based), for run.json. */
  readonly bestEpoch: () => number | undefined;
  /** Merges fields into run.json. */
  readonly writeSummary: (patch: Partial<RunSummary>) => Promise<void>;
}

export class RunHistory implements TrainingCallback {
  private records: EpochRecord[];

  constructor(private readonly options: RunHistoryOptions) {
    this.records = [...options.previous];
  }

  async onEpochEnd(end: EpochEnd): Promise<void> {
    const record: EpochRecord = {
      epoch: end.epoch + 1,
      metrics: end.logs,
      learningRate: end.learningRate,
      seconds: end.seconds,
      samplesPerSecond: end.trainSeconds > 0 ? end.samples / end.trainSeconds : 0,
    };
    this.records = [...this.records, record];
    await writeJson(join(this.options.runDir, 'history.json'), this.records);
    const bestEpoch = this.options.bestEpoch();
    await this.options.writeSummary({ epochsCompleted: end.epoch + 1, history: this.records, ...(bestEpoch !== undefined ? { bestEpoch } : {}) });
  }
}
