/**
 * Trains the model of model.ts on the project's dataset with TensorFlow.js on Node
 * (@tensorflow/tfjs-node runs TensorFlow's C library). Same data preparation and settings as the
 * Python export's main(); checkpoints and the trained model go to --output.
 *
 *   npx tsx train.ts [--data PATH] [--epochs N] [--batch-size N] [--weights FOLDER|none] [--output DIR]
 */
import * as tf from '@tensorflow/tfjs-node';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { CsvTableBuilder, csvDelimiter, csvParseOptions, encodeCsv, fitScaling, planCsv, stratifiedSplit, type CsvPlan, type CsvScaling, type CsvTable, type Split } from './layerloomData.js';
import { buildModel } from './model.js';
import { loadWeights } from './weights.js';

const HERE = dirname(fileURLToPath(import.meta.url));

// Settings saved in the project (paths relative to this file); --data, --epochs, --batch-size and
// --weights override the first four.
const DATA: string | null = join(HERE, '../assets/datasets/iris.csv');
const EPOCHS = 30;
const BATCH_SIZE = 32;
const WEIGHTS = join(HERE, 'weights');
const VALIDATION_SPLIT = 0.2;
const LEARNING_RATE = 0.001;
const LEARNING_RATE_DECAY: number = 1; // multiplies the learning rate each epoch
const SEED = 42;
const EARLY_STOPPING: EarlyStopping | null = null;

/** Early stopping as Keras's EarlyStopping(monitor, patience, restore_best_weights). */
interface EarlyStopping {
  readonly monitor: string;
  readonly patience: number;
  readonly restoreBestWeights: boolean;
}

/** Samples in memory: inputs, labels (class ids or numbers), class names and Layerloom's split. */
interface Dataset {
  readonly x: tf.Tensor;
  readonly labels: Float32Array;
  readonly classes: readonly string[];
  /** Sample indices of training and validation, both ascending (layerloomData.ts's stratifiedSplit). */
  readonly split: Split;
  /** Image and text folders: the file of each sample. */
  readonly files?: readonly string[];
}

const TARGET_COLUMN: string | null = 'species'; // null: the last column
const FEATURES = 4; // values per row the Input takes

/**
 * Reads a CSV file as Layerloom does (layerloomData.ts's CSV_DIALECT, CsvTableBuilder): UTF-8 (a
 * BOM is dropped), the delimiter (, ; or tab) that the first line holds most of, RFC 4180 quotes
 * (csv-parse), cells trimmed, blank lines dropped, rows with another number of fields than the
 * header left out (listed with their line), and in a ;-separated file a column of decimal commas
 * (1,5) read as numbers.
 */
export async function readTable(path: string): Promise<CsvTable> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await readFile(path));
  } catch {
    throw new Error(`${path} is not UTF-8 text. Save the file as UTF-8.`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const delimiter = csvDelimiter(text.split(/\r|\n/, 1)[0] ?? '');
  const table = new CsvTableBuilder(path, delimiter);
  try {
    // Each record goes to the builder as it is read (returning null keeps none in memory).
    parse(text, { ...csvParseOptions(delimiter), on_record: (record: string[]) => (table.add(record), null) });
  } catch (e) {
    throw table.parseError(e as Error & { code?: string });
  }
  return table.finish();
}

/**
 * Reads a CSV file with a header row; the target column is predicted from the rest. Column types,
 * missing values, standardization (training rows' statistics), one-hot encoding and the split are
 * Layerloom's own (layerloomData.ts); class labels become ids in sorted order.
 */
export async function loadData(path: string): Promise<Dataset> {
  const table = await readTable(path);
  const fitted = await planCsv(table, path, TARGET_COLUMN ?? undefined);
  for (const warning of fitted.warnings) console.warn(warning);
  for (const row of [...table.skipped, ...fitted.skipped]) console.warn(`Skipped ${row.path}: ${row.reason}`);
  const targetCells = Array.from(fitted.usableRows, (r) => table.cells[fitted.targetIndex][r]);
  const classes: readonly string[] = fitted.classes;
  if (fitted.task !== 'classification') throw new Error(`${path}: the target column holds numbers to predict, but the model classifies; choose a class column.`);
  const unknown = [...new Set(targetCells)].filter((v) => !classes.includes(v));
  if (unknown.length) throw new Error(`${path}: the target has values the model has no class for: ${unknown.join(', ')}`);
  const labels = Float32Array.from(targetCells, (v) => classes.indexOf(v));
  const split = stratifiedSplit(labels.length, VALIDATION_SPLIT, SEED, fitted.task === 'classification' ? labels : undefined);
  const plan = fitted;
  const scaling = fitScaling(table, plan, split.train);
  if (plan.featureCount !== FEATURES) {
    throw new Error(`${path} gives ${plan.featureCount} feature values per row, but the model's input takes ${FEATURES}: change the Input shape or the CSV columns.`);
  }
  const x = tf.tensor2d(encodeCsv(table, plan, scaling), [labels.length, FEATURES]);
  return { x, labels, classes, split };
}

/**
 * Saves the model after every epoch (last/) and whenever `monitor` improves (best/), keeping the
 * best weights in memory so early stopping can restore them.
 */
class Checkpoints extends tf.Callback {
  private best = Infinity;
  bestWeights: tf.Tensor[] | null = null;

  constructor(
    private readonly target: tf.LayersModel,
    private readonly folder: string,
    private readonly monitor: string,
  ) {
    super();
  }

  override async onEpochEnd(_epoch: number, logs?: tf.Logs): Promise<void> {
    await this.target.save(`file://${join(this.folder, 'last')}`);
    const value = logs?.[this.monitor];
    if (value === undefined) return;
    // Losses improve downwards, accuracies upwards.
    const score = this.monitor.endsWith('acc') ? -value : value;
    if (score < this.best) {
      this.best = score;
      tf.dispose(this.bestWeights ?? []);
      this.bestWeights = this.target.getWeights().map((w) => w.clone());
      await this.target.save(`file://${join(this.folder, 'best')}`);
    }
  }
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      data: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      weights: { type: 'string' },
      output: { type: 'string' },
    },
  });
  const data = args.data ?? DATA;
  if (!data) throw new Error('Pass the dataset with --data PATH.');
  const epochs = Number(args.epochs ?? EPOCHS);
  const batchSize = Number(args['batch-size'] ?? BATCH_SIZE);
  const weights = args.weights ?? WEIGHTS;
  const output = resolve(args.output ?? 'training_output');

  const { x, labels, classes, split } = await loadData(data);
  if (classes.length) console.log(`Classes: ${classes.join(', ')}`);
  const pick = (ids: number[]): [tf.Tensor, tf.Tensor] => {
    const index = tf.tensor1d(ids, 'int32');
    const picked: [tf.Tensor, tf.Tensor] = [tf.gather(x, index), toTargets(Float32Array.from(ids.map((i) => labels[i])), classes)];
    index.dispose();
    return picked;
  };
  const [xTrain, yTrain] = pick([...split.train]);
  const validationData = split.validation.length > 0 ? pick([...split.validation]) : undefined;

  const model = buildModel();
  if (weights !== 'none' && existsSync(join(weights, 'model.json'))) {
    await loadWeights(model, weights);
    console.log(`Loaded weights from ${weights}`);
  }
  if (model.trainableWeights.length === 0) {
    // tfjs's fit would fail inside its first step with "variableGrads() expects at least one trainable variable".
    const frozen = model.countParams().toLocaleString('en-US');
    throw new Error(`Every layer with weights is frozen (Trainable off), so training would change nothing: all ${frozen} weights are non-trainable. Unfreeze at least one layer, e.g. the head: in Layerloom (Unfreeze, then export again), or in model.ts by removing trainable: false from its layer.`);
  }
  const optimizer = tf.train.adam(LEARNING_RATE, 0.9, 0.999, 1e-7);
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  model.summary();

  await mkdir(output, { recursive: true });
  const monitor = monitorKey(EARLY_STOPPING?.monitor ?? 'val_loss', validationData !== undefined);
  const checkpoints = new Checkpoints(model, output, monitor);
  const callbacks: (tf.Callback | tf.CustomCallback)[] = [checkpoints];
  if (LEARNING_RATE_DECAY !== 1) {
    callbacks.push(
      new tf.CustomCallback({
        onEpochBegin: async (epoch: number) => {
          // Keras's per-epoch staircase decay. SGD and momentum keep the rate in a tensor that only
          // setLearningRate updates; Adam and RMSprop read their learningRate field on every step.
          const rate = LEARNING_RATE * LEARNING_RATE_DECAY ** epoch;
          const o = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
          if (typeof o.setLearningRate === 'function') o.setLearningRate(rate);
          else o.learningRate = rate;
        },
      }),
    );
  }
  if (EARLY_STOPPING) callbacks.push(tf.callbacks.earlyStopping({ monitor, patience: EARLY_STOPPING.patience }));
  await model.fit(xTrain, yTrain, { epochs, batchSize, validationData, shuffle: true, callbacks });
  if (EARLY_STOPPING?.restoreBestWeights && checkpoints.bestWeights) model.setWeights(checkpoints.bestWeights);
  await model.save(`file://${join(output, 'model')}`);
  console.log(`Saved the trained model to ${join(output, 'model')}`);
}

/** tfjs's log key for a Keras monitor name (tfjs logs accuracy as "acc"); training values without validation data. */
function monitorKey(monitor: string, hasValidation: boolean): string {
  const key = monitor.replace(/accuracy$/, 'acc');
  return hasValidation ? key : key.replace(/^val_/, '');
}

/** Labels as the loss expects them (class ids). */
function toTargets(labels: Float32Array, _classes: readonly string[]): tf.Tensor {
  return tf.tensor1d(labels);
}

// Trains when run (npx tsx train.ts); importing the file (to reuse loadData) does not.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
