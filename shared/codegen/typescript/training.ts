/**
 * train.ts of the TypeScript export: the same data preparation and training as the Python export's
 * main(), on tfjs-node (settings, seeded split, checkpoints, early stopping, learning-rate decay).
 */
import { isAbsolutePath } from '../exportFile.js';
import { tsString } from '../literals.js';
import { TFJS_LOSS, TFJS_METRIC, tfjsOptimizerExpression } from '../../training/compileTable.js';
import type { ResolvedLoss } from '../../training/lossCheck.js';
import { everyLayerFrozen } from '../../training/trainable.js';
import type { TrainingPlan } from '../training.js';
import { loaderTs } from './data.js';
import { importLines } from './imports.js';
import type { TsExportOptions } from './options.js';
import type { ConstrainedWeight } from '../../compile/constraints.js';
import { constraintsCallbackTs, constraintsTs } from './constraints.js';

function tsLoss(loss: ResolvedLoss): string {
  return TFJS_LOSS[loss];
}

/** tfjs metric names (tfjs logs `accuracy` as `acc`). */
function tsMetric(metric: string): string {
  return TFJS_METRIC[metric] ?? metric;
}

function tsOptimizer(t: TrainingPlan): string {
  // The shared table: every hyperparameter explicit, as the app's engine builds it.
  return tfjsOptimizerExpression(t.settings.optimizer, 'LEARNING_RATE');
}

/** What train.ts takes from layerloomData.ts (Layerloom's own data preparation). */
function dataImports(t: TrainingPlan): string {
  if (t.dataKind === 'text') return '{ buildVocabulary, compareCodePoints, encodeTokens, stratifiedSplit, tokenize, type Split }';
  if (t.dataKind === 'csv') {
    return '{ CsvTableBuilder, csvDelimiter, csvParseOptions, encodeCsv, fitScaling, planCsv, stratifiedSplit, type CsvPlan, type CsvScaling, type CsvTable, type Split }';
  }
  if (t.dataKind === 'images' && t.image?.channels === 1) return '{ compareCodePoints, rgbToGrey, stratifiedSplit, type Split }';
  if (t.dataKind) return '{ compareCodePoints, stratifiedSplit, type Split }';
  return 'type { Split }';
}

/** The text of train.ts. */
export function trainTs(t: TrainingPlan, opts: TsExportOptions, dataDefault: string | null, constrained: readonly ConstrainedWeight[] = []): string {
  const s = t.settings;
  const es = s.earlyStopping;
  const saved = Boolean(opts.preprocessingFile) && t.dataKind !== null;
  const labelsToTensor =
    t.labelMode === 'categorical'
      ? `tf.oneHot(tf.tensor1d(labels, 'int32'), Math.max(classes.length, 1)).toFloat()`
      : t.labelMode === 'binary' || t.labelMode === 'float'
        ? `tf.tensor2d(labels, [labels.length, 1])`
        : `tf.tensor1d(labels)`;
  const weightsDefault = opts.weightsFolder ? `join(HERE, ${tsString(opts.weightsFolder)})` : `'none'`;
  return `/**
 * Trains the model of model.ts on the project's dataset with TensorFlow.js on Node
 * (@tensorflow/tfjs-node runs TensorFlow's C library). Same data preparation and settings as the
 * Python export's main(); checkpoints and the trained model go to --output.
 *
 *   npx tsx train.ts [--data PATH] [--epochs N] [--batch-size N] [--weights FOLDER|none] [--output DIR]
 */
${importLines([['* as tf', '@tensorflow/tfjs-node'], ['{ existsSync }', 'node:fs'], [t.dataKind === 'images' || t.dataKind === 'text' ? '{ mkdir, readdir, readFile, stat }' : '{ mkdir, readdir, readFile }', 'node:fs/promises'], ['{ dirname, extname, join, resolve }', 'node:path'], ['{ fileURLToPath }', 'node:url'], ['{ parseArgs }', 'node:util'], ...(t.dataKind === 'csv' ? [['{ parse }', 'csv-parse/sync'] as const] : []), [dataImports(t), './layerloomData.js'], ['{ buildModel }', './model.js'], ['{ loadWeights }', './weights.js']])}

const HERE = dirname(fileURLToPath(import.meta.url));

// Settings saved in the project (paths relative to this file); --data, --epochs, --batch-size and
// --weights override the first four.
const DATA: string | null = ${dataDefault === null ? 'null' : isAbsolutePath(dataDefault) ? tsString(dataDefault) : `join(HERE, ${tsString(dataDefault)})`};
const EPOCHS = ${s.epochs};
const BATCH_SIZE = ${s.batchSize};
const WEIGHTS = ${weightsDefault};
const VALIDATION_SPLIT = ${s.validationSplit};
const LEARNING_RATE = ${s.learningRate};
const LEARNING_RATE_DECAY: number = ${s.learningRateDecay}; // multiplies the learning rate each epoch
const SEED = ${s.seed};
const EARLY_STOPPING: EarlyStopping | null = ${es.enabled ? `{ monitor: ${tsString(es.monitor)}, patience: ${es.patience}, restoreBestWeights: ${es.restoreBestWeights} }` : 'null'};

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

${loaderTs(t, saved, opts.preprocessingFile)}
/**
 * Saves the model after every epoch (last/) and whenever \`monitor\` improves (best/), keeping the
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
    await this.target.save(\`file://\${join(this.folder, 'last')}\`);
    const value = logs?.[this.monitor];
    if (value === undefined) return;
    // Losses improve downwards, accuracies upwards.
    const score = this.monitor.endsWith('acc') ? -value : value;
    if (score < this.best) {
      this.best = score;
      tf.dispose(this.bestWeights ?? []);
      this.bestWeights = this.target.getWeights().map((w) => w.clone());
      await this.target.save(\`file://\${join(this.folder, 'best')}\`);
    }
  }
}

${constraintsTs(constrained)}async function main(): Promise<void> {
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

${
  saved
    ? `  // How the exported weights' training run prepared its data, when those weights are used.
  const saved = weights === 'none' ? null : await savedPreprocessing(${tsString(t.dataKind ?? '')});
  const { x, labels, classes, split } = await loadData(data, saved);`
    : '  const { x, labels, classes, split } = await loadData(data);'
}
  if (classes.length) console.log(\`Classes: \${classes.join(', ')}\`);
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
    console.log(\`Loaded weights from \${weights}\`);
  }
  if (model.trainableWeights.length === 0) {
    // tfjs's fit would fail inside its first step with "variableGrads() expects at least one trainable variable".
    const frozen = model.countParams().toLocaleString('en-US');
    throw new Error(\`${everyLayerFrozen('${frozen}', 'Unfreeze at least one layer, e.g. the head: in Layerloom (Unfreeze, then export again), or in model.ts by removing trainable: false from its layer.')}\`);
  }
  const optimizer = ${tsOptimizer(t)};
  model.compile({ optimizer, loss: ${tsString(tsLoss(t.loss))}, metrics: [${s.metrics.map((m) => tsString(tsMetric(m))).join(', ')}] });
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
${constraintsCallbackTs(constrained)}  if (EARLY_STOPPING) callbacks.push(tf.callbacks.earlyStopping({ monitor, patience: EARLY_STOPPING.patience }));
  await model.fit(xTrain, yTrain, { epochs, batchSize, validationData, shuffle: true, callbacks });
  if (EARLY_STOPPING?.restoreBestWeights && checkpoints.bestWeights) model.setWeights(checkpoints.bestWeights);
  await model.save(\`file://\${join(output, 'model')}\`);
  console.log(\`Saved the trained model to \${join(output, 'model')}\`);
}

/** tfjs's log key for a Keras monitor name (tfjs logs accuracy as "acc"); training values without validation data. */
function monitorKey(monitor: string, hasValidation: boolean): string {
  const key = monitor.replace(/accuracy$/, 'acc');
  return hasValidation ? key : key.replace(/^val_/, '');
}

/** Labels as the loss expects them${t.labelMode === 'categorical' ? ' (one-hot)' : t.labelMode === 'int' ? ' (class ids)' : ''}. */
function toTargets(labels: Float32Array, ${t.labelMode === 'categorical' ? 'classes' : '_classes'}: readonly string[]): tf.Tensor {
  return ${labelsToTensor};
}

// Trains when run (npx tsx train.ts); importing the file (to reuse loadData) does not.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
`.replace(/\n{3,}/g, '\n\n');
}
