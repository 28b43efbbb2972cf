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
import { compareCodePoints, stratifiedSplit, type Split } from './layerloomData.js';
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

/** How Layerloom reads a cell: a finite number, a number that is not finite (NaN, Infinity, 1e400), or text. */
function cellKind(s: string): 'number' | 'non-finite' | 'text' {
  if (s === '' || /^[+-]?0[xob]/i.test(s)) return 'text';
  const n = Number(s);
  if (Number.isFinite(n)) return 'number';
  return n === Infinity || n === -Infinity || /^[+-]?(nan|inf|infinity)$/i.test(s) ? 'non-finite' : 'text';
}

function isNumber(s: string): boolean {
  return cellKind(s) === 'number';
}

/** True when every non-empty cell is a number written with a decimal comma (1,5), one at least. */
function decimalComma(cells: readonly string[]): boolean {
  const filled = cells.filter((c) => c !== '');
  return filled.some((c) => c.includes(',')) && filled.every((c) => !c.includes('.') && c.split(',').length <= 2 && cellKind(c.replace(',', '.')) !== 'text');
}

/**
 * Splits CSV text into rows of trimmed cells (quotes with "" escapes; , ; or tab separated). A
 * quoted field that is never closed is an error, as in Layerloom. Returns the delimiter too.
 */
function parseCsv(text: string, path: string): { rows: string[][]; delimiter: string } {
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = [',', ';', '\t'].reduce((best, d) => (firstLine.split(d).length > firstLine.split(best).length ? d : best));
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let quoteLine = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        cell += ch;
      }
    } else if (ch === '"' && cell.trim() === '') {
      quoted = true;
      quoteLine = line;
      cell = '';
    } else if (ch === delimiter) {
      row.push(cell.trim());
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      line++;
      row.push(cell.trim());
      if (row.some((c) => c !== '')) rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (quoted) {
    throw new Error(`${path}: the quoted field that starts on line ${quoteLine} is never closed, so the rest of the file would be read as one cell. Close the quote, or remove it (a quote inside a quoted field is written "").`);
  }
  row.push(cell.trim());
  if (row.some((c) => c !== '')) rows.push(row);
  return { rows, delimiter };
}

/** The file's text; bytes that are not UTF-8 are an error naming the first one, as in Layerloom. */
async function readUtf8(path: string): Promise<string> {
  const bytes = await readFile(path);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${path} is not UTF-8 text. Save the file as UTF-8.`);
  }
}

/** How one column becomes features (the format of Layerloom's preprocessing.json). */
type FeatureSpec =
  | { readonly column: string; readonly type: 'numeric'; readonly mean: number; readonly std: number }
  | { readonly column: string; readonly type: 'categorical'; readonly categories: readonly string[] };

/**
 * How each column becomes features, as Layerloom decides it: numeric columns are standardized with
 * the mean and (population) standard deviation of the training rows; text columns with at most
 * 50 distinct values are one-hot encoded (sorted); other columns are left out.
 */
function fitFeatures(header: readonly string[], target: number, rows: readonly string[][], train: readonly string[][]): FeatureSpec[] {
  const specs: FeatureSpec[] = [];
  header.forEach((column, c) => {
    const cells = rows.map((r) => r[c]);
    if (c === target || cells.every((v) => v === '')) return;
    const kinds = new Set(cells.filter((v) => v !== '').map(cellKind));
    if (!kinds.has('text') && !kinds.has('number')) {
      console.warn(`Column ${column} is left out: no cell is a finite number.`);
    } else if (!kinds.has('text')) {
      // Cells that are not finite numbers (NaN) count as empty.
      const known = train.map((r) => r[c]).filter(isNumber).map(Number);
      const mean = known.length ? known.reduce((a, b) => a + b, 0) / known.length : 0;
      const std = known.length ? Math.sqrt(known.reduce((a, b) => a + (b - mean) ** 2, 0) / known.length) : 0;
      specs.push({ column, type: 'numeric', mean, std: std || 1 });
    } else if (new Set(cells).size <= 50) {
      specs.push({ column, type: 'categorical', categories: [...new Set(cells)].sort(compareCodePoints) });
    } else {
      console.warn(`Column ${column} is left out: too many distinct texts to one-hot encode.`);
    }
  });
  return specs;
}

/**
 * Reads a CSV file with a header row; the target column is predicted from the rest. The split is
 * Layerloom's (seeded, stratified by class); numeric columns are standardized with the training rows'
 * statistics; class labels become ids in sorted order.
 */
export async function loadData(path: string): Promise<Dataset> {
  const { rows: table, delimiter } = parseCsv((await readUtf8(path)).replace(/^\uFEFF/, ''), path);
  const [header, ...all] = table;
  if (!header) throw new Error(`${path} is empty.`);
  const body = all.filter((r) => r.length === header.length);
  if (delimiter === ';') {
    // Files from locales that write 1,5 for 1.5: such columns are read as numbers.
    header.forEach((_, c) => {
      if (decimalComma(body.map((r) => r[c]))) for (const r of body) r[c] = r[c].replace(',', '.');
    });
  }
  const target = TARGET_COLUMN ?? header[header.length - 1];
  const t = header.indexOf(target);
  if (t < 0) throw new Error(`${path} has no column "${target}"; its columns are ${header.join(', ')}.`);
  // Rows without a target value, or with a target that is not a finite number (NaN), are left out.
  const rows = body.filter((r) => r[t] !== '' && cellKind(r[t]) !== 'non-finite');
  if (rows.length === 0) throw new Error(`${path} has no row with a value in the column "${target}".`);
  const savedClasses: readonly string[] | null = null;
  const values = rows.map((r) => r[t]);
  const numeric = values.every(isNumber);
  const classes = savedClasses ?? [...new Set(values)].sort(numeric ? (a, b) => Number(a) - Number(b) : compareCodePoints);
  const unknown = [...new Set(values)].filter((v) => !classes.includes(v));
  if (unknown.length) throw new Error(`${path}: ${target} has values the model has no class for: ${unknown.join(', ')}`);
  const labels = Float32Array.from(values.map((v) => classes.indexOf(v)));
  const split = stratifiedSplit(rows.length, VALIDATION_SPLIT, SEED, labels);
  const trainRows = Array.from(split.train, (i) => rows[i]);
  const specs = fitFeatures(header, t, rows, trainRows);
  const index = new Map(header.map((h, c) => [h, c]));
  const missing = specs.filter((f) => !index.has(f.column)).map((f) => f.column);
  if (specs.length === 0 || missing.length) throw new Error(`${path} lacks feature columns besides the target ${target}: ${missing.join(', ')}`);
  const x = rows.map((r) =>
    specs.flatMap((f) => {
      const cell = r[index.get(f.column) as number];
      if (f.type === 'numeric') return [((isNumber(cell) ? Number(cell) : f.mean) - f.mean) / f.std];
      return f.categories.map((k) => (cell === k ? 1 : 0));
    }),
  );
  if ((x[0]?.length ?? 0) !== FEATURES) {
    throw new Error(`${path} gives ${x[0]?.length ?? 0} feature values per row, but the model's input takes ${FEATURES}: change the Input shape or the CSV columns.`);
  }
  return { x: tf.tensor2d(x, [x.length, FEATURES]), labels, classes, split };
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
