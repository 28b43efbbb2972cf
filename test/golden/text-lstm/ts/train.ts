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
import { buildModel } from './model.js';
import { loadWeights } from './weights.js';

const HERE = dirname(fileURLToPath(import.meta.url));

// Settings saved in the project (paths relative to this file); --data, --epochs, --batch-size and
// --weights override the first four.
const DATA: string | null = null;
const EPOCHS = 5;
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

/** Samples in memory: inputs, labels (class ids or numbers) and class names. */
interface Dataset {
  readonly x: tf.Tensor;
  readonly labels: Float32Array;
  readonly classes: readonly string[];
  /** True when loadData already shuffled the rows with SEED. */
  readonly shuffled?: boolean;
}

/** Mulberry32: a small seeded random source, so the split is the same on every run. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), a | 1);
    r ^= r + Math.imul(r ^ (r >>> 7), r | 61);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates shuffle with SEED (a copy). */
function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  const random = seededRandom(SEED);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const VOCABULARY_SIZE = 10000; // the Embedding's input_dim
const SEQUENCE_LENGTH: number | null = 100; // the Input's length (null: the longest text)

/** Keras TextVectorization's standardization: lower case, punctuation stripped, split on whitespace. */
function tokenize(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g, '')
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

/**
 * Reads a text folder with one subfolder of .txt files per class (sorted names are the classes).
 * Token ids follow Layerloom (and Keras TextVectorization): 0 = padding, 1 = unknown word, then the
 * most frequent words (ties in code point order) up to VOCABULARY_SIZE ids; texts are cut or
 * padded at the end to SEQUENCE_LENGTH.
 */
async function loadData(path: string): Promise<Dataset> {
  const classes = (await readdir(path, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const texts: string[][] = [];
  const labels: number[] = [];
  for (const [label, name] of classes.entries()) {
    for (const file of (await readdir(join(path, name))).sort()) {
      if (extname(file).toLowerCase() !== '.txt') continue;
      texts.push(tokenize(await readFile(join(path, name, file), 'utf8')));
      labels.push(label);
    }
  }
  if (texts.length === 0) throw new Error(`${path} has no .txt files in class subfolders.`);
  // Shuffled here so the vocabulary comes from the training texts only (the first VALIDATION_SPLIT are held out).
  const order = shuffle([...texts.keys()]);
  const shuffledTexts = order.map((i) => texts[i]);
  const training = shuffledTexts.slice(Math.round(order.length * VALIDATION_SPLIT));
  let vocabulary: readonly string[];
  {
    const counts = new Map<string, number>();
    for (const tokens of training) for (const w of tokens) counts.set(w, (counts.get(w) ?? 0) + 1);
    vocabulary = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, VOCABULARY_SIZE - 2)
      .map(([w]) => w);
  }
  const index = new Map(vocabulary.map((w, i) => [w, i + 2]));
  const length = SEQUENCE_LENGTH ?? Math.max(1, ...texts.map((tokens) => tokens.length));
  const ids = new Int32Array(texts.length * length);
  shuffledTexts.forEach((tokens, row) => {
    for (let i = 0; i < Math.min(length, tokens.length); i++) ids[row * length + i] = index.get(tokens[i]) ?? 1;
  });
  const x = tf.tensor2d(ids, [texts.length, length], 'int32');
  return { x, labels: Float32Array.from(order.map((i) => labels[i])), classes, shuffled: true };
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

  const { x, labels, classes, shuffled } = await loadData(data);
  if (classes.length) console.log(`Classes: ${classes.join(', ')}`);
  // Shuffle once with SEED, then hold out the first VALIDATION_SPLIT of the samples.
  const order = shuffled ? [...labels.keys()] : shuffle([...labels.keys()]);
  const nVal = Math.round(order.length * VALIDATION_SPLIT);
  const pick = (ids: number[]): [tf.Tensor, tf.Tensor] => {
    const index = tf.tensor1d(ids, 'int32');
    const picked: [tf.Tensor, tf.Tensor] = [tf.gather(x, index), toTargets(Float32Array.from(ids.map((i) => labels[i])), classes)];
    index.dispose();
    return picked;
  };
  const [xTrain, yTrain] = pick(order.slice(nVal));
  const validationData = nVal > 0 ? pick(order.slice(0, nVal)) : undefined;

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

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
