/**
 * The one table of losses, metrics and optimizers: their Keras names, their tfjs names and every
 * hyperparameter with Keras 3's default written out. The training engine builds its tfjs optimizer
 * from it and both code generators print their `compile(...)` from it, so the app, model.py and
 * train.ts train with the same optimizer. Nothing is left to a library default: tfjs's Adam and
 * RMSprop take their epsilon from the backend when none is given (1e-7 in float32, 1e-4 on a
 * float16 WebGL backend), Keras's is always 1e-7.
 */
import type { TF } from '../compile/tfTypes.js';
import type { ResolvedLoss } from './lossCheck.js';
import { MOMENTUM, type OptimizerName } from './settings.js';

/** Keras loss name → tfjs loss name. */
export const TFJS_LOSS: Readonly<Record<ResolvedLoss, string>> = {
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  binary_crossentropy: 'binaryCrossentropy',
  mean_squared_error: 'meanSquaredError',
  mean_absolute_error: 'meanAbsoluteError',
};

/** Keras metric name → tfjs metric name (tfjs's registry knows `mae`/`mse`, not the long names). */
export const TFJS_METRIC: Readonly<Record<string, string>> = {
  accuracy: 'accuracy',
  mean_absolute_error: 'mae',
  mean_squared_error: 'mse',
};

/** How one optimizer is built on both sides. */
export interface OptimizerSpec {
  /** The Keras class under `keras.optimizers`. */
  readonly kerasClass: 'Adam' | 'SGD' | 'RMSprop';
  /** Keyword arguments after `learning_rate`, with Keras 3's defaults (checked against Keras in tests). */
  readonly kerasArgs: readonly (readonly [string, number | boolean])[];
  /** The `tf.train` factory. */
  readonly tfjsFactory: 'adam' | 'sgd' | 'momentum' | 'rmsprop';
  /** Positional arguments after the learning rate, the same values as `kerasArgs`. */
  readonly tfjsArgs: readonly (number | boolean)[];
}

const EPSILON = 1e-7;

/** Every optimizer a project can name. `momentum` is Keras `SGD(momentum=0.9)`. */
export const OPTIMIZER_TABLE: Readonly<Record<OptimizerName, OptimizerSpec>> = {
  adam: {
    kerasClass: 'Adam',
    kerasArgs: [
      ['beta_1', 0.9],
      ['beta_2', 0.999],
      ['epsilon', EPSILON],
    ],
    tfjsFactory: 'adam',
    tfjsArgs: [0.9, 0.999, EPSILON],
  },
  sgd: { kerasClass: 'SGD', kerasArgs: [['momentum', 0]], tfjsFactory: 'sgd', tfjsArgs: [] },
  momentum: {
    kerasClass: 'SGD',
    kerasArgs: [
      ['momentum', MOMENTUM],
      ['nesterov', false],
    ],
    tfjsFactory: 'momentum',
    tfjsArgs: [MOMENTUM, false],
  },
  rmsprop: {
    kerasClass: 'RMSprop',
    kerasArgs: [
      ['rho', 0.9],
      ['momentum', 0],
      ['epsilon', EPSILON],
      ['centered', false],
    ],
    tfjsFactory: 'rmsprop',
    tfjsArgs: [0.9, 0, EPSILON, false],
  },
};

/** A tfjs optimizer (what `tf.train.*` returns). */
export type TfjsOptimizer = ReturnType<TF['train']['adam']>;

/** Builds the tfjs optimizer a project names, with the table's hyperparameters. */
export function makeTfjsOptimizer(tf: TF, name: OptimizerName, learningRate: number): TfjsOptimizer {
  const spec = OPTIMIZER_TABLE[name] ?? OPTIMIZER_TABLE.adam;
  const train = tf.train as unknown as Record<OptimizerSpec['tfjsFactory'], (lr: number, ...args: (number | boolean)[]) => TfjsOptimizer>;
  return train[spec.tfjsFactory](learningRate, ...spec.tfjsArgs);
}

/**
 * Changes a tfjs optimizer's learning rate in place. SGD and momentum keep it in a scalar tensor
 * (`setLearningRate`); writing their `learningRate` field would change nothing they compute.
 */
export function setTfjsLearningRate(optimizer: TfjsOptimizer, learningRate: number): void {
  const o = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(learningRate);
  else o.learningRate = learningRate;
}

function pyValue(v: number | boolean): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

/**
 * The Keras expression of an optimizer, e.g. `keras.optimizers.Adam(learning_rate=LR, beta_1=0.9, …)`,
 * wrapped as black would to stay within 88 columns when it starts at column `indent` after `prefix`.
 */
export function kerasOptimizerExpression(name: OptimizerName, learningRate: string, indent = 0, prefix = ''): string {
  const spec = OPTIMIZER_TABLE[name] ?? OPTIMIZER_TABLE.adam;
  const args = [`learning_rate=${learningRate}`, ...spec.kerasArgs.map(([k, v]) => `${k}=${pyValue(v)}`)];
  const head = `keras.optimizers.${spec.kerasClass}(`;
  const flat = `${head}${args.join(', ')})`;
  if (indent + prefix.length + flat.length + 1 <= 88) return flat;
  const pad = ' '.repeat(indent + 4);
  const oneLine = `${pad}${args.join(', ')}`;
  if (oneLine.length <= 88) return `${head}\n${oneLine}\n${' '.repeat(indent)})`;
  return `${head}\n${args.map((a) => `${pad}${a},`).join('\n')}\n${' '.repeat(indent)})`;
}

/** The tfjs expression of an optimizer, e.g. `tf.train.adam(LR, 0.9, 0.999, 1e-7)`. */
export function tfjsOptimizerExpression(name: OptimizerName, learningRate: string): string {
  const spec = OPTIMIZER_TABLE[name] ?? OPTIMIZER_TABLE.adam;
  return `tf.train.${spec.tfjsFactory}(${[learningRate, ...spec.tfjsArgs.map(String)].join(', ')})`;
}
