/**
 * The policy behind the training callbacks, free of any engine: which metrics a run computes,
 * which quantity early stopping and the best checkpoint watch (and whether higher is better), when a
 * value counts as an improvement, when patience runs out, and the learning rate of each epoch.
 * The tfjs engine's callbacks (electron/services/training/callbacks) apply it; a second engine
 * reuses it unchanged. Semantics follow Keras 3's `callbacks/monitor_callback.py` and
 * `callbacks/early_stopping.py`, so a project trains here as its exported `model.py` trains.
 */
import type { DatasetTask } from './dataset.js';
import type { ResolvedLoss } from './lossCheck.js';
import type { Metrics } from './protocol.js';
import type { TrainingSettings } from './settings.js';

/**
 * Whether a quantity improves upward (`max`) or downward (`min`), by its Keras name without
 * `val_`: the direction Keras's metric objects declare (`_direction`), `loss` always `min`.
 */
const DIRECTION: Readonly<Record<string, 'min' | 'max'>> = {
  loss: 'min',
  accuracy: 'max',
  mean_absolute_error: 'min',
  mean_squared_error: 'min',
};

/**
 * Whether a larger value of `monitor` (`loss`, `val_accuracy`, …) is better, as Keras's
 * `mode="auto"` decides it. Throws for a quantity whose direction is unknown (Keras raises too).
 */
export function higherIsBetter(monitor: string): boolean {
  const name = monitor.replace(/^val_/, '');
  const direction = Object.prototype.hasOwnProperty.call(DIRECTION, name) ? DIRECTION[name] : undefined;
  if (!direction) throw new Error(`Cannot tell whether "${monitor}" should go up or down; monitor one of ${Object.keys(DIRECTION).join(', ')} (with or without val_).`);
  return direction === 'max';
}

/** The metrics a run computes, and a warning for each one asked for but left out. */
export interface MetricSelection {
  /** Keras metric names, in the order asked for (`mean_absolute_error` added for a numeric target). */
  readonly metrics: string[];
  readonly warnings: string[];
}

/**
 * Picks the metrics that make sense for the task and loss from those asked for: unknown names,
 * accuracy on a numeric target and number metrics on class labels are left out with a warning; a
 * numeric target always reports mean absolute error.
 */
export function selectMetrics(requested: readonly string[], available: readonly string[], task: DatasetTask, loss: ResolvedLoss): MetricSelection {
  const warnings: string[] = [];
  const metrics = requested.filter((m) => {
    if (!available.includes(m)) {
      warnings.push(`Unknown metric "${m}" is ignored; available: ${available.join(', ')}.`);
      return false;
    }
    if (m === 'accuracy' && task === 'regression') {
      warnings.push('accuracy is not defined for a numeric target; it is left out (mean absolute error is reported instead).');
      return false;
    }
    if (m !== 'accuracy' && task === 'classification' && loss === 'sparse_categorical_crossentropy') {
      warnings.push(`${m} compares numbers; with class labels it is left out.`);
      return false;
    }
    return true;
  });
  if (task === 'regression' && !metrics.includes('mean_absolute_error')) metrics.push('mean_absolute_error');
  return { metrics, warnings };
}

/** The quantity to watch, and warnings when it differs from the one asked for. */
export interface MonitorChoice {
  readonly monitor: string;
  readonly warnings: string[];
}

/**
 * The quantity early stopping and the best checkpoint watch: the one asked for; without a
 * validation split its training counterparts (`val_loss` → `loss`); when it is not computed at all
 * (accuracy on a numeric target), `val_loss` (or `loss`).
 */
export function resolveMonitor(requested: string, computed: { readonly hasValidation: boolean; readonly names: readonly string[] }): MonitorChoice {
  const warnings: string[] = [];
  let monitor = requested;
  if (monitor.startsWith('val_') && !computed.hasValidation) {
    monitor = monitor.slice(4);
    warnings.push(`There is no validation split, so early stopping and the best checkpoint watch "${monitor}" instead of "${requested}".`);
  }
  if (!computed.names.includes(monitor.replace(/^val_/, ''))) {
    const fallback = computed.hasValidation ? 'val_loss' : 'loss';
    warnings.push(`"${monitor}" is not computed in this run; watching "${fallback}" instead.`);
    monitor = fallback;
  }
  return { monitor, warnings };
}

/** The best value seen of a monitored quantity, and its epoch (1-based). */
export interface BestValue {
  readonly epoch: number;
  readonly value: number;
}

/**
 * Keras's `MonitorCallback._is_improvement`: true when there is no reference yet, else when
 * `value` beats it by more than `minDelta` in the monitor's direction. A value that is not finite
 * never improves (Keras would compare NaN as false too).
 */
export function isImprovement(value: number, reference: number | null, higher: boolean, minDelta = 0): boolean {
  if (!Number.isFinite(value)) return false;
  if (reference === null) return true;
  const delta = Math.abs(minDelta);
  return higher ? value - delta > reference : value + delta < reference;
}

/** What {@link EarlyStoppingPolicy.update} decided for an epoch. */
export interface EarlyStoppingVerdict {
  /** The value improved on the best (the best weights are this epoch's). */
  readonly improved: boolean;
  /** Patience has run out: stop after this epoch. */
  readonly stop: boolean;
}

/** Options of {@link EarlyStoppingPolicy} (Keras `EarlyStopping` arguments). */
export interface EarlyStoppingOptions {
  readonly monitor: string;
  readonly patience: number;
  /** An absolute change smaller than this counts as no improvement (default 0). */
  readonly minDelta?: number;
  /** Resume: the best so far and the epochs waited since. */
  readonly best?: BestValue | null;
  readonly wait?: number;
}

/**
 * Keras 3 `EarlyStopping.on_epoch_end` as a state machine: each epoch the wait grows by one, an
 * improvement resets it and becomes the best, and training stops when the wait reaches `patience`
 * (never after the first epoch). Epochs are 0-based as in Keras; {@link best} records them 1-based
 * as the run history does.
 */
export class EarlyStoppingPolicy {
  readonly monitor: string;
  readonly higherIsBetter: boolean;
  private readonly patience: number;
  private readonly minDelta: number;
  private bestValue: BestValue | null;
  private waited: number;

  constructor(options: EarlyStoppingOptions) {
    this.monitor = options.monitor;
    this.higherIsBetter = higherIsBetter(options.monitor);
    this.patience = options.patience;
    this.minDelta = options.minDelta ?? 0;
    this.bestValue = options.best ?? null;
    this.waited = options.wait ?? 0;
  }

  /** The best value so far, or null before the first finite one. */
  get best(): BestValue | null {
    return this.bestValue;
  }

  /** Epochs since the last improvement. */
  get wait(): number {
    return this.waited;
  }

  /** Records epoch `epoch` (0-based) with its logs; a missing monitored value changes nothing. */
  update(epoch: number, logs: Metrics): EarlyStoppingVerdict {
    const current = logs[this.monitor];
    if (current === undefined) return { improved: false, stop: false };
    this.waited++;
    if (isImprovement(current, this.bestValue?.value ?? null, this.higherIsBetter, this.minDelta)) {
      this.bestValue = { epoch: epoch + 1, value: current };
      this.waited = 0;
      return { improved: true, stop: false };
    }
    return { improved: false, stop: this.waited >= this.patience && epoch > 0 };
  }
}

/**
 * The learning rate of epoch `epoch` (0-based): `learningRate * learningRateDecay ** epoch`, as
 * Keras `ExponentialDecay(lr, steps_per_epoch, decay, staircase=True)` gives it. Computed from the
 * epoch rather than multiplied step by step, so a resumed run continues on the same values.
 */
export function learningRateAt(settings: Pick<TrainingSettings, 'learningRate' | 'learningRateDecay'>, epoch: number): number {
  return settings.learningRateDecay === 1 ? settings.learningRate : settings.learningRate * settings.learningRateDecay ** epoch;
}
