/**
 * Training settings saved in a project. Defaults are chosen so that a new project trains sensibly
 * without touching anything.
 */

import type { TrainingEngine } from './protocol.js';

/**
 * Optimizers both tfjs and Keras provide with the same semantics. `momentum` is SGD with momentum
 * 0.9 (Keras `SGD(momentum=0.9)`). AdamW is not offered: tfjs 4.22 has no AdamW optimizer, and a
 * setting the engine cannot honour would train something other than what the project says.
 */
export const OPTIMIZERS = ['adam', 'sgd', 'momentum', 'rmsprop'] as const;

/** Momentum used by the `momentum` optimizer, on both sides. */
export const MOMENTUM = 0.9;
/** An optimizer id. */
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Losses offered; `auto` picks one from the output block and dataset. */
export const LOSSES = [
  'auto',
  'sparse_categorical_crossentropy',
  'categorical_crossentropy',
  'binary_crossentropy',
  'mean_squared_error',
  'mean_absolute_error',
] as const;
/** A loss id. */
export type LossName = (typeof LOSSES)[number];


/** Early stopping settings (Keras `EarlyStopping`). */
export interface EarlyStoppingSettings {
  readonly enabled: boolean;
  readonly monitor: 'val_loss' | 'val_accuracy' | 'loss' | 'accuracy';
  readonly patience: number;
  readonly restoreBestWeights: boolean;
}

/** Everything needed to train a model on a dataset, as stored in the project. */
export interface TrainingSettings {
  readonly optimizer: OptimizerName;
  readonly learningRate: number;
  /**
   * Multiply the learning rate by this after each epoch (1 = constant): epoch e (0-based) trains
   * with `learningRate * learningRateDecay ** e`, i.e. Keras `ExponentialDecay(lr, steps_per_epoch,
   * decay, staircase=True)`.
   */
  readonly learningRateDecay: number;
  readonly loss: LossName;
  /** Keras metric names; see {@link METRICS}. */
  readonly metrics: readonly string[];
  readonly epochs: number;
  readonly batchSize: number;
  /** Fraction of the data held out for validation (0 to < 1). */
  readonly validationSplit: number;
  readonly earlyStopping: EarlyStoppingSettings;
  readonly seed: number;
  /** Random flips/shifts for image datasets. */
  readonly augment: boolean;
  /** Which engine trains the project (absent: `tfjs`, which needs nothing installed). */
  readonly engine?: TrainingEngine;
}

/** Defaults for a new project. */
export const DEFAULT_TRAINING: TrainingSettings = {
  optimizer: 'adam',
  learningRate: 0.001,
  learningRateDecay: 1,
  loss: 'auto',
  metrics: ['accuracy'],
  epochs: 5,
  batchSize: 32,
  validationSplit: 0.2,
  earlyStopping: { enabled: false, monitor: 'val_loss', patience: 3, restoreBestWeights: true },
  seed: 42,
  augment: false,
};

/** Kinds of dataset folders Layerloom reads. */
export type DatasetKind = 'images' | 'csv' | 'text';

/** The dataset a project trains on. */
export interface DatasetRef {
  /** Folder (or CSV file); relative paths are relative to the project file's folder. */
  readonly path: string;
  /** Detected or chosen kind; absent until the folder was scanned. */
  readonly kind?: DatasetKind;
  /** CSV only: the column to predict. */
  readonly targetColumn?: string;
}
