/**
 * Keeps `heartbeat.json` in the run folder fresh while the run trains, so a run whose process died
 * is listed as interrupted (runsService.readRun). Started with the loop, stopped by the engine.
 */
import type { TrainingCallback } from '../../../../shared/training/callbacks.js';
import { startHeartbeat } from '../../runsService.js';

export class Heartbeat implements TrainingCallback {
  private stopTimer: (() => void) | null = null;

  constructor(private readonly runDir: string) {}

  onTrainBegin(): void {
    this.stopTimer ??= startHeartbeat(this.runDir);
  }

  /**
   * Stops the timer; safe to call more than once. The engine calls it once the run's end is
   * recorded, not at `onTrainEnd`: the final evaluation still belongs to a live run.
   */
  stop(): void {
    this.stopTimer?.();
    this.stopTimer = null;
  }
}
