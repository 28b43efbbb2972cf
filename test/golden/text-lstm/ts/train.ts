/**
 * Trains the model of model.ts on the project's dataset with TensorFlow.js on Node
 * (@tensorflow/tfjs-node runs TensorFlow's C library). Same data preparation and settings as the
 * Python export's main(); checkpoints and the trained model go to --output.
 *
 *   npx tsx train.ts [--data PATH] [--epochs N] [--batch-size N] [--weights FOLDER|none] [--output DIR]
 */
import * as tf from '@tensorflow/tfjs-node';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildVocabulary, compareCodePoints, encodeTokens, stratifiedSplit, tokenize, type Split } from './layerloomData.js';
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

/**
 * Class folders (names not starting with ".") and their files, as Layerloom lists them: names in
 * code point order, sub-folders walked recursively, symbolic links followed, files kept when
 * `accept` says so. The split depends on this order.
 */
async function listClassFiles(path: string, accept: (name: string) => boolean): Promise<{ classes: string[]; perClass: string[][] }> {
  const sorted = async (dir: string) => (await readdir(dir)).sort(compareCodePoints);
  const classes: string[] = [];
  const perClass: string[][] = [];
  for (const name of await sorted(path)) {
    if (name.startsWith('.') || !(await stat(join(path, name))).isDirectory()) continue;
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await sorted(dir)) {
        const full = join(dir, entry);
        const s = await stat(full);
        if (s.isDirectory()) await walk(full);
        else if (s.isFile() && accept(entry)) files.push(full);
      }
    };
    await walk(join(path, name));
    classes.push(name);
    perClass.push(files);
  }
  return { classes, perClass };
}

/** Leaves out class folders with no usable file, as Layerloom does; labels are the kept classes' order. */
function keepNonEmpty(classes: readonly string[], perClass: readonly (readonly string[])[]): { classes: string[]; files: string[]; labels: Float32Array } {
  const kept = classes.flatMap((name, c) => (perClass[c].length ? [{ name, files: perClass[c] }] : []));
  return {
    classes: kept.map((k) => k.name),
    files: kept.flatMap((k) => k.files),
    labels: Float32Array.from(kept.flatMap((k, label) => k.files.map(() => label))),
  };
}

const VOCABULARY_SIZE = 10000; // the Embedding's input_dim
const SEQUENCE_LENGTH: number | null = 100; // the Input's length (null: the longest text, at most 512)

/**
 * Reads a text folder with one subfolder of .txt files per class (sorted names are the classes).
 * Texts are tokenized as Keras TextVectorization does (layerloomData.ts's tokenize; files with no
 * word are left out, as in Layerloom). Token ids: 0 = padding, 1 = unknown word, then the most
 * frequent words of the training texts (ties in code point order) up to VOCABULARY_SIZE ids;
 * texts are cut or padded at the end to SEQUENCE_LENGTH.
 */
export async function loadData(path: string): Promise<Dataset> {
  const listed = await listClassFiles(path, (name) => extname(name).toLowerCase() === '.txt');
  const tokens = new Map<string, string[]>();
  const usable: string[][] = [];
  for (const files of listed.perClass) {
    const kept: string[] = [];
    for (const file of files) {
      const bytes = await readFile(file);
      const words = bytes.includes(0) ? [] : tokenize(bytes.toString('utf8'));
      if (words.length === 0) {
        console.warn(`Skipped ${file}: no words in it.`);
        continue;
      }
      tokens.set(file, words);
      kept.push(file);
    }
    usable.push(kept);
  }
  const { classes, files, labels } = keepNonEmpty(listed.classes, usable);
  if (files.length === 0) throw new Error(`${path} has no .txt files with words in class subfolders.`);
  const texts = files.map((f) => tokens.get(f) as string[]);
  const split = stratifiedSplit(files.length, VALIDATION_SPLIT, SEED, labels);
  const length = SEQUENCE_LENGTH ?? Math.min(Math.max(1, ...texts.map((words) => words.length)), 512);
  let vocabulary: readonly string[];
  {
    // From the training texts only, as Layerloom builds it.
    vocabulary = buildVocabulary(Array.from(split.train, (i) => texts[i]), VOCABULARY_SIZE, length).tokens;
  }
  const index = new Map(vocabulary.map((w, i) => [w, i + 2]));
  const ids = new Int32Array(texts.length * length);
  texts.forEach((words, row) => encodeTokens(words, index, length, ids, row * length));
  const x = tf.tensor2d(ids, [texts.length, length], 'int32');
  return { x, labels, classes, files, split };
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
