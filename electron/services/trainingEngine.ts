/**
 * The training loop. Runs inside the training worker (never on a thread that serves a UI) with the
 * tf namespace of the backend the worker loaded, and reports through `emit`.
 *
 * Speed: each step is `model.trainOnBatch`, the same compiled train function `model.fit` runs per
 * batch (measured equal to fit; see test/bench/trainBench.ts), fed by the streaming pipeline so data
 * loading overlaps compute. Control (stop, NaN check, learning-rate schedule, progress) happens at
 * batch boundaries between steps.
 */
import { getBlock } from '../../shared/blocks/registry.js';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import type { TF } from '../../shared/compile/tfTypes.js';
import { compileModel } from '../../shared/compile/compile.js';
import { applyConstraints, type ConstrainedWeight } from '../../shared/compile/constraints.js';
import { stepRandomness } from '../../shared/compile/stepRandomness.js';
import { regularizationPenalty } from '../../shared/compile/regularization.js';
import { CompileError } from '../../shared/codegen/plan.js';
import type { ProjectDocument } from '../../shared/graph/document.js';
import { serializeProject } from '../../shared/graph/serialization.js';
import { CallbackList, type EpochEnd, type TrainEnd, type TrainingLoop } from '../../shared/training/callbacks.js';
import type { DatasetTargetInfo, SkippedFile } from '../../shared/training/dataset.js';
import { evaluateClassification, evaluateRegression, type Evaluation } from '../../shared/training/evaluation.js';
import { checkLoss, outputHead, resolveLoss, suggestLoss, type ResolvedLoss } from '../../shared/training/lossCheck.js';
import { learningRateAt, resolveMonitor, selectMetrics } from '../../shared/training/monitor.js';
import type { EpochRecord, Metrics, RunSummary, TrainingErrorCode, TrainingEvent, TrainingJob } from '../../shared/training/protocol.js';
import type { TrainingSettings } from '../../shared/training/settings.js';
import { nothingToTrain } from '../../shared/training/trainable.js';
import { TFJS_LOSS, TFJS_METRIC, makeTfjsOptimizer } from '../../shared/training/compileTable.js';
import { DatasetError, scanDatasetPath } from './datasetService.js';
import { PREDICTIONS_FILE, topClasses, type RunPredictions } from '../../shared/explain/gallery.js';
import { batchStream, prepareDataset, warmCache, type PreparedDataset } from './datasets/pipeline.js';
import { createRunDir, currentProcess, loadOptimizer, loadWeightsInto, readCheckpointState, readRun, saveModel, writeJson, type CheckpointState } from './runsService.js';
import { EarlyStopping } from './training/callbacks/earlyStopping.js';
import { Heartbeat } from './training/callbacks/heartbeat.js';
import { RunHistory } from './training/callbacks/history.js';
import { LearningRateSchedule } from './training/callbacks/learningRateSchedule.js';
import { ModelCheckpoint } from './training/callbacks/modelCheckpoint.js';
import { NanGuard } from './training/callbacks/nanGuard.js';
import { Progress } from './training/callbacks/progress.js';
import { StepSeeds } from './training/callbacks/stepSeeds.js';
import type { LayersModel, Optimizer, Tensor } from './training/tfTypes.js';
import { TrainingError } from './training/trainingError.js';
import type { LoadedBackend } from './trainingBackend.js';
import { join, relative, sep } from 'node:path';
import { resolveProjectPath } from '../../shared/graph/projectPaths.js';
import { access, writeFile } from 'node:fs/promises';

/**
 * Where a run resumes from (either engine's run): its last checkpoint's position, the history up to
 * it, and which engine trained it. Loads the checkpoint's weights into `model`, and its optimizer
 * state into `optimizer` when given (the tfjs engine; the Keras engine builds its own optimizer).
 */
export async function readResumePoint(from: string, model: LayersModel, tf: TF, optimizer?: Optimizer): Promise<{ state: CheckpointState; history: EpochRecord[]; engine: string }> {
  const ckpt = join(from, 'checkpoints', 'last');
  try {
    await access(join(ckpt, 'state.json'));
    const state = await readCheckpointState(ckpt);
    await loadWeightsInto(model, join(ckpt, 'model'), tf);
    if (optimizer) await loadOptimizer(optimizer, ckpt, tf);
    const previous = await readRun(from);
    return { state, history: (previous?.history ?? []).filter((h) => h.epoch <= state.epochsDone), engine: previous?.engine ?? 'tfjs' };
  } catch (e) {
    throw new TrainingError('resume', `Cannot resume from ${from}: ${(e as Error).message}`);
  }
}

/** How the engine talks to its host. */
export interface EngineHooks {
  emit(event: TrainingEvent): void;
  /** Polled at every batch boundary. */
  stopRequested(): boolean;
}

/** Creates the optimizer a setting names, with Keras's defaults for the rest (shared/training/compileTable.ts). */
export function makeOptimizer(tf: TF, settings: Pick<TrainingSettings, 'optimizer' | 'learningRate'>): Optimizer {
  return makeTfjsOptimizer(tf, settings.optimizer, settings.learningRate);
}

/**
 * Whether an error is a failed memory allocation: TensorFlow's `OOM when allocating tensor`,
 * `Cannot allocate` / `Failed to allocate`, Node's ERR_MEMORY_ALLOCATION_FAILED, V8's
 * `Array buffer allocation failed` and a typed array too large to create. Other RangeErrors
 * (`Maximum call stack size exceeded`, `Invalid array length`) are bugs, not memory.
 */
export function isOutOfMemory(e: unknown): boolean {
  if ((e as { code?: unknown } | null)?.code === 'ERR_MEMORY_ALLOCATION_FAILED') return true;
  const m = String((e as Error | null)?.message ?? e);
  return /\bOOM\b|out of memory|Cannot allocate|Failed to allocate|ERR_MEMORY_ALLOCATION_FAILED|Array buffer allocation failed|Invalid typed array length|allocation.*exceeds/i.test(m);
}

/** What the model's single input and output look like. */
interface ModelIo {
  shape: (number | null)[];
  dtype: 'float32' | 'int32';
  vocabularySize?: number;
}

/** The single Input of a trainable graph as the data pipeline needs it (throws when the graph is not trainable here). */
export function modelInput(doc: ProjectDocument): ModelIo {
  const analysis = analyzeGraph(doc);
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new CompileError(errors);
  if (analysis.inputs.length !== 1 || analysis.outputs.length !== 1) {
    throw new TrainingError(
      'graph',
      `Training reads one dataset into one Input and scores one Output; this graph has ${analysis.inputs.length} Input and ${analysis.outputs.length} Output blocks. Remove the extra ones to train it here (export handles multi-input models).`,
    );
  }
  const nothing = nothingToTrain(analysis.totals);
  if (nothing) throw new TrainingError('graph', nothing);
  const input = doc.nodes.find((n) => n.id === analysis.inputs[0]);
  const shape = (analysis.nodes.get(analysis.inputs[0])?.shape ?? []) as (number | null)[];
  // The vocabulary of the block that looks up the Input's token ids (an Embedding), if any.
  const lookup = doc.nodes
    .map((n) => ({ node: n, tokenIds: getBlock(n.type)?.tokenIds }))
    .find((x) => x.tokenIds && doc.edges.some((e) => e.source === input?.id && e.target === x.node.id));
  const dim = lookup?.tokenIds ? lookup.node.params[lookup.tokenIds.vocabularyParam] : undefined;
  return { shape, dtype: input?.params.dtype === 'int32' ? 'int32' : 'float32', ...(typeof dim === 'number' ? { vocabularySize: dim } : {}) };
}

/** Labels as the loss wants them: class ids `[B, 1]`, one-hot `[B, K]`, or values `[B, 1]`. */
function labelTensor(tf: TF, y: Float32Array, size: number, loss: ResolvedLoss, outUnits: number, task: 'classification' | 'regression'): Tensor {
  if (task === 'classification' && (loss === 'categorical_crossentropy' || (loss === 'binary_crossentropy' && outUnits > 1))) {
    const oneHot = new Float32Array(size * outUnits);
    for (let i = 0; i < size; i++) oneHot[i * outUnits + y[i]] = 1;
    return tf.tensor2d(oneHot, [size, outUnits]);
  }
  return tf.tensor2d(y.subarray(0, size), [size, 1]);
}

const yieldToEvents = () => new Promise<void>((r) => setImmediate(r));

/** Everything the loop needs once the data, model and run folder are ready. */
export interface LoopInput {
  readonly tf: TF;
  readonly model: LayersModel;
  /** The model's constrained weights, projected after every step as Keras does (shared/compile/constraints.ts). */
  readonly constraints: readonly ConstrainedWeight[];
  readonly data: PreparedDataset;
  readonly loss: ResolvedLoss;
  readonly outUnits: number;
  readonly names: readonly string[];
  readonly settings: TrainingSettings;
  readonly split: () => { train: Int32Array; validation: Int32Array };
  /** Reports images that failed to decode in a batch; returns how many are new. */
  readonly reportFailed: (failed: readonly SkippedFile[]) => number;
  /** Called after each epoch's validation, before the callbacks: announces newly left-out samples. */
  readonly afterEpochData: () => Promise<void>;
  readonly hooks: EngineHooks;
}

/**
 * The training loop: epochs of `trainOnBatch` steps over the shuffled training split, a
 * validation pass per epoch, and the callbacks at each moment (shared/training/callbacks.ts).
 * Returns how it ended; a stop request is honoured at the next batch boundary.
 */
async function fit(input: LoopInput, loop: TrainingLoop, callbacks: CallbackList): Promise<TrainEnd> {
  const { tf, model, data, loss, outUnits, names, settings, hooks } = input;
  await callbacks.onTrainBegin(loop);
  for (let epoch = loop.startEpoch; epoch < loop.epochs; epoch++) {
    await callbacks.onEpochBegin(epoch, loop);
    const epochStart = performance.now();
    const epochLr = loop.learningRate;
    let trainSeconds = 0;
    const sums = new Array<number>(names.length).fill(0);
    let seen = 0;
    const skip = epoch === loop.startEpoch ? loop.skipBatches : 0;
    let batch = skip;
    let stopRequested = false;
    let batchStart = performance.now();
    const means = (): Record<string, number> => Object.fromEntries(names.map((n, i) => [n, seen ? sums[i] / seen : Number.NaN]));
    const trainIds = input.split().train;
    for await (const b of batchStream(data, trainIds, settings.batchSize, { shuffleSeed: settings.seed * 1000003 + epoch, prefetch: 3, augment: settings.augment && data.kind === 'images', skip })) {
      input.reportFailed(b.failed);
      let values: number[] = [];
      let seconds = 0;
      if (b.size > 0) {
        await callbacks.onBatchBegin(epoch, batch, loop);
        const xs = tf.tensor(b.x, [b.size, ...data.sampleShape], data.dtype);
        const ys = labelTensor(tf, b.y, b.size, loss, outUnits, data.task);
        let out: number | number[];
        try {
          out = await model.trainOnBatch(xs, ys);
          // Keras projects constrained weights right after each optimizer step; tfjs's step does not.
          if (input.constraints.length) applyConstraints(tf, model, input.constraints);
        } finally {
          tf.dispose([xs, ys]);
        }
        values = Array.isArray(out) ? out : [out];
        if (values.every((v) => Number.isFinite(v))) {
          values.forEach((v, i) => (sums[i] += v * b.size));
          seen += b.size;
        }
        // From the end of the previous step: includes waiting for data, so a slow pipeline shows.
        seconds = (performance.now() - batchStart) / 1000;
        trainSeconds += seconds;
      }
      batch++;
      await callbacks.onBatchEnd({ epoch, batch, size: b.size, values, names, means: means(), seen, seconds }, loop);
      // Let a stop message in (the step itself only resolves microtasks).
      await yieldToEvents();
      if (hooks.stopRequested()) {
        stopRequested = true;
        if (batch < loop.batchesPerEpoch) return { reason: 'requested', epochsDone: epoch, batchesDone: batch };
      }
      batchStart = performance.now();
    }

    // End of epoch: validation, then the callbacks (schedule, early stopping, checkpoints, progress).
    const logs: Record<string, number> = means();
    let validationSeconds = 0;
    const validationIds = input.split().validation;
    if (validationIds.length) {
      const v0 = performance.now();
      const v = await evaluateSplit(input, validationIds, false);
      validationSeconds = (performance.now() - v0) / 1000;
      for (const [k, value] of Object.entries(v.means)) logs[`val_${k}`] = value;
    }
    await input.afterEpochData();
    const seconds = (performance.now() - epochStart) / 1000;
    await callbacks.onEpochEnd({ epoch, logs, learningRate: epochLr, seconds, trainSeconds, samples: seen, validationSeconds }, loop);
    if (stopRequested) return { reason: 'requested', epochsDone: epoch + 1, batchesDone: 0 };
    if (loop.stopTraining) return { reason: 'completed', epochsDone: epoch + 1, batchesDone: 0 };
  }
  return { reason: 'completed', epochsDone: loop.epochs, batchesDone: 0 };
}

/** Mean loss and metrics over `ids`, and (for the final evaluation) the labels and predictions. */
async function evaluateSplit(input: LoopInput, ids: Int32Array, withPredictions: boolean) {
  const { tf, model, data, loss, outUnits, names } = input;
  const sums = new Array<number>(names.length).fill(0);
  let count = 0;
  const actual: number[] = [];
  const predicted: number[] = [];
  // Per sample, for the misclassified gallery: dataset id and the three most likely classes.
  const sampleIds: number[] = [];
  const top: [number, number][][] = [];
  for await (const b of batchStream(data, ids, Math.max(input.settings.batchSize, 64), { prefetch: 2 })) {
    input.reportFailed(b.failed);
    if (b.size === 0) continue;
    const xs = tf.tensor(b.x, [b.size, ...data.sampleShape], data.dtype);
    const ys = labelTensor(tf, b.y, b.size, loss, outUnits, data.task);
    const r = model.evaluate(xs, ys, { batchSize: b.size });
    const scalars = Array.isArray(r) ? r : [r];
    const values = await Promise.all(scalars.map(async (s) => (await s.data())[0]));
    tf.dispose(scalars);
    values.forEach((v, i) => (sums[i] += v * b.size));
    count += b.size;
    if (withPredictions) {
      const p = model.predict(xs) as Tensor;
      const pv = await p.data();
      p.dispose();
      for (let i = 0; i < b.size; i++) {
        actual.push(b.y[i]);
        sampleIds.push(b.ids[i]);
        if (data.task === 'classification') top.push(topClasses(pv.subarray(i * outUnits, (i + 1) * outUnits)));
        if (data.task === 'regression') predicted.push(pv[i * outUnits]);
        else if (outUnits === 1) predicted.push(pv[i] >= 0.5 ? 1 : 0);
        else {
          let m = 0;
          for (let k = 1; k < outUnits; k++) if (pv[i * outUnits + k] > pv[i * outUnits + m]) m = k;
          predicted.push(m);
        }
      }
    }
    tf.dispose([xs, ys]);
    await yieldToEvents();
  }
  const means: Record<string, number> = {};
  names.forEach((n, i) => (means[n] = count ? sums[i] / count : Number.NaN));
  // Keras's evaluate counts the weight regularization penalty in the loss (tfjs's leaves it out).
  if (count && names[0] === 'loss') means.loss += regularizationPenalty(model);
  return { means, count, actual, predicted, sampleIds, top };
}

/**
 * The final evaluation of a trained model, on the validation split (the training split without
 * one): writes evaluation.json and, for classification, the predictions the misclassified gallery
 * shows. Both engines end their runs with it, so their runs read the same.
 */
export async function finalEvaluation(
  input: LoopInput,
  dir: string,
  source: Awaited<ReturnType<typeof scanDatasetPath>>['source'],
  trainIds: Int32Array,
  valIds: Int32Array,
): Promise<{ evaluation: Evaluation; finalMetrics: Metrics }> {
  const { data } = input;
  const evalIds = valIds.length ? valIds : trainIds;
  const split = valIds.length ? 'validation' : 'train';
  const final = await evaluateSplit(input, evalIds, true);
  const evaluation: Evaluation =
    data.task === 'classification'
      ? evaluateClassification(final.actual, final.predicted, data.classes, final.means.loss, split)
      : evaluateRegression(final.actual, final.predicted, final.means.loss, split);
  await writeJson(join(dir, 'evaluation.json'), evaluation);
  if (data.task === 'classification') {
    const images = source.kind === 'images' ? source : null;
    const predictions: RunPredictions = {
      split,
      classes: data.classes,
      datasetRoot: images ? images.root : null,
      samples: final.sampleIds.map((id, i) => ({ id, path: images ? relative(images.root, images.files[id]).split(sep).join('/') : null, actual: final.actual[i], predicted: final.predicted[i], top: final.top[i] })),
    };
    await writeJson(join(dir, PREDICTIONS_FILE), predictions);
  }
  const prefix = valIds.length ? 'val_' : '';
  const finalMetrics: Metrics = Object.fromEntries(Object.entries(final.means).map(([k, v]) => [`${prefix}${k}`, v]));
  return { evaluation, finalMetrics };
}

/** Runs one training job to the end; every outcome (including failures) ends with a `finished` event. */
export async function runTrainingJob(job: TrainingJob, backend: LoadedBackend, hooks: EngineHooks): Promise<RunSummary | null> {
  const { tf } = backend;
  const runId = job.runId;
  const log = (level: 'info' | 'warning' | 'error', message: string) => hooks.emit({ kind: 'log', runId, level, message });
  let runDir: string | undefined;
  let heartbeat: Heartbeat | null = null;
  let earlyStopping: EarlyStopping | null = null;
  let model: LayersModel | null = null;
  let optimizer: Optimizer | null = null;
  let summary: RunSummary | null = null;
  let epochsCompleted = 0;
  const writeSummary = async (patch: Partial<RunSummary>) => {
    if (!summary || !runDir) return;
    summary = { ...summary, ...patch };
    const { history, ...rest } = summary;
    void history;
    await writeJson(join(runDir, 'run.json'), rest);
  };
  try {
    const settings = job.settings;
    if (backend.fallbackReason) log('warning', `Training on ${backend.description}: ${backend.fallbackReason}.`);

    // Graph and data.
    const io = modelInput(job.doc);
    const scanned = await scanDatasetPath(job.datasetPath, {
      targetColumn: job.targetColumn,
      samplesPerClass: 0,
      onProgress: (p) => hooks.emit({ kind: 'log', runId, level: 'info', message: `Dataset: ${p.phase} ${p.done}${p.total ? `/${p.total}` : ''}`, progress: p }),
    });
    const report = scanned.report;
    for (const w of report.warnings) log('warning', w);
    if (report.skipped.length) {
      const shown = report.skipped.slice(0, 5).map((s) => `${s.path} (${s.reason})`);
      log('warning', `${report.skipped.length} file(s) skipped: ${shown.join('; ')}${report.skipped.length > 5 ? '; … (all of them in the run folder’s skipped.json)' : ''}`);
    }
    const data = await prepareDataset(scanned, io, {
      validationSplit: settings.validationSplit,
      seed: settings.seed,
      cacheBudgetBytes: (job.cacheBudgetMB ?? 512) * 1024 * 1024,
    });
    // Everything left out of this run, with reasons: the scan's skips, then images that pass the
    // scan but fail to decode. A folder whose decoded images fit the cache is decoded once here
    // (the first epoch would decode it anyway), so the split announced is the split used.
    const leftOut: SkippedFile[] = [...report.skipped];
    const reported = new Set<string>();
    const reportFailed = (failed: readonly SkippedFile[]): number => {
      let fresh = 0;
      for (const f of failed) {
        if (reported.has(f.path)) continue;
        reported.add(f.path);
        leftOut.push(f);
        fresh++;
        log('warning', `Skipped ${f.path}: ${f.reason}`);
      }
      return fresh;
    };
    let trainIds = data.split.train;
    let valIds = data.split.validation;
    const withoutFailed = () => {
      const bad = data.failedIds();
      return { train: bad.size ? trainIds.filter((id) => !bad.has(id)) : trainIds, validation: bad.size ? valIds.filter((id) => !bad.has(id)) : valIds };
    };
    if (data.fitsCache()) {
      const all = Int32Array.from({ length: data.size }, (_, i) => i);
      const failed = await warmCache(data, all, (p) => hooks.emit({ kind: 'log', runId, level: 'info', message: `Dataset: ${p.phase} ${p.done}/${p.total}`, progress: p }));
      if (reportFailed(failed)) ({ train: trainIds, validation: valIds } = withoutFailed());
    }
    if (leftOut.length) hooks.emit({ kind: 'samples', runId, trainSamples: trainIds.length, validationSamples: valIds.length, skipped: leftOut });
    const target: DatasetTargetInfo = { task: data.task, numClasses: data.task === 'classification' ? data.classes.length : 1, kind: data.kind };
    const lossProblems = checkLoss(job.doc, settings.loss, target);
    for (const d of lossProblems.filter((p) => p.severity === 'warning')) log('warning', `${d.code}: ${d.message}`);
    const lossErrors = lossProblems.filter((p) => p.severity === 'error');
    if (lossErrors.length) throw new TrainingError('graph', lossErrors.map((d) => `${d.code}: ${d.message}`).join('\n'));
    const loss = resolveLoss(job.doc, settings.loss, target);
    const lossReason = settings.loss === 'auto' ? suggestLoss(job.doc, target).reason : `Loss set in the training settings: ${loss}.`;
    const head = outputHead(job.doc);
    const outUnits = (head?.shape?.[head.shape.length - 1] ?? 1);

    // Metrics that make sense for the task.
    const selection = selectMetrics(settings.metrics, Object.keys(TFJS_METRIC), data.task, loss);
    for (const w of selection.warnings) log('warning', w);
    const metrics = selection.metrics;

    // Model, optimizer.
    // Initial weights from the project seed and each block's id (shared/compile/seeding.ts).
    const compiled = compileModel(job.doc, tf, { seed: settings.seed });
    const randomness = stepRandomness(compiled, job.doc, tf);
    model = compiled.model;
    optimizer = makeOptimizer(tf, settings);
    model.compile({ optimizer, loss: TFJS_LOSS[loss], metrics: metrics.map((m) => TFJS_METRIC[m]) });
    const names = ['loss', ...metrics];

    // An imported model starts from the weights it came with (project format 2's initialWeights).
    if (!job.resumeFrom && job.doc.initialWeights) {
      const from = resolveProjectPath(job.doc.initialWeights, job.projectFile);
      try {
        await loadWeightsInto(model, from, tf);
      } catch (e) {
        throw new TrainingError('graph', `Cannot start from the project's initial weights in ${from}: ${(e as Error).message}. Remove initialWeights from the project to start from the initialisers.`);
      }
      log('info', `Starting from the initial weights in ${from}.`);
    }

    // Resume.
    let startEpoch = 0;
    let skipBatches = 0;
    let resumed: CheckpointState | null = null;
    let previousHistory: EpochRecord[] = [];
    if (job.resumeFrom) {
      const point = await readResumePoint(job.resumeFrom, model, tf, optimizer);
      // Keras keeps its optimizer's moments in its own form: a Keras-engine checkpoint holds the
      // weights and position only, so the optimizer starts afresh.
      if (point.engine === 'keras') log('info', `${job.resumeFrom} trained on the Keras engine: its weights and position carry over; the optimizer's state starts afresh.`);
      resumed = point.state;
      previousHistory = point.history;
      startEpoch = resumed.epochsDone;
      epochsCompleted = startEpoch;
      skipBatches = resumed.batchesDone;
    }

    // Run folder.
    const created = await createRunDir(job.runsDir, runId);
    runDir = created.dir;
    const dir = runDir;
    heartbeat = new Heartbeat(dir);
    heartbeat.onTrainBegin();
    const startedAt = new Date().toISOString();
    summary = {
      id: created.id,
      startedAt,
      finishedAt: null,
      status: 'running',
      epochs: settings.epochs,
      epochsCompleted: startEpoch,
      history: previousHistory,
      finalMetrics: {},
      dir,
      projectName: job.doc.name,
      projectFile: job.projectFile,
      datasetPath: job.datasetPath,
      backend: backend.description,
      loss,
      settings,
      ...(job.resumeFrom ? { resumedFrom: job.resumeFrom } : {}),
      trainSamples: trainIds.length,
      validationSamples: valIds.length,
      ...currentProcess(),
    };
    await writeFile(join(dir, 'graph.layerloom'), serializeProject(job.doc));
    await writeJson(join(dir, 'preprocessing.json'), data.preprocessing);
    // Every file left out, with its reason (the log shows the first five of the scan's).
    if (leftOut.length) await writeJson(join(dir, 'skipped.json'), leftOut);
    await writeJson(join(dir, 'history.json'), previousHistory);
    await writeSummary({});

    const batchSize = settings.batchSize;
    const batchesPerEpoch = Math.ceil(trainIds.length / batchSize);
    let announcedLeftOut = leftOut.length;
    if (trainIds.length === 0) throw new TrainingError('dataset', 'No samples are left for training after the validation split. Lower the validation split or add data.');
    hooks.emit({
      kind: 'started',
      runId,
      startedAt,
      epochs: settings.epochs,
      batchesPerEpoch,
      trainSamples: trainIds.length,
      validationSamples: valIds.length,
      backend: backend.description,
      runDir: dir,
      loss,
      lossReason,
      classes: data.classes,
      startEpoch,
    });

    const es = settings.earlyStopping;
    const { monitor, warnings: monitorWarnings } = resolveMonitor(es.monitor, { hasValidation: valIds.length > 0, names });
    for (const w of monitorWarnings) log('warning', w);
    // Recorded so "the best run" compares each run on the metric it was judged by.
    await writeSummary({ monitor });

    // Images that failed to decode this epoch (only the first visits each file): say how many
    // samples the run really uses from now on.
    const afterEpochData = async () => {
      if (leftOut.length <= announcedLeftOut) return;
      const used = withoutFailed();
      const fresh = leftOut.slice(announcedLeftOut);
      announcedLeftOut = leftOut.length;
      log('warning', `${fresh.length} image(s) could not be decoded and are left out: the run trains on ${used.train.length} and validates on ${used.validation.length} samples.`);
      hooks.emit({ kind: 'samples', runId, trainSamples: used.train.length, validationSamples: used.validation.length, skipped: fresh });
      await writeJson(join(dir, 'skipped.json'), leftOut);
      await writeSummary({ trainSamples: used.train.length, validationSamples: used.validation.length });
    };

    // The callbacks, in the order they run at each moment.
    const schedule = (epoch: number) => learningRateAt(settings, epoch);
    const resumeFrom = job.resumeFrom;
    const fitted = model;
    earlyStopping = new EarlyStopping(model, tf, {
      enabled: es.enabled,
      monitor,
      patience: es.patience,
      restoreBestWeights: es.restoreBestWeights,
      best: resumed?.best ?? null,
      wait: resumed?.wait ?? 0,
      log: (m) => log('info', m),
      ...(resumeFrom
        ? {
            loadEarlierBest: async () => {
              const best = join(resumeFrom, 'checkpoints', 'best', 'model');
              return loadWeightsInto(fitted, best, tf).then(
                () => true,
                () => false,
              );
            },
          }
        : {}),
    });
    const stopper = earlyStopping;
    const checkpoint = new ModelCheckpoint(model, optimizer, tf, { runDir: dir, monitor, best: resumed?.best ?? null, schedule, wait: () => stopper.policy.wait });
    const history = new RunHistory({ runDir: dir, previous: previousHistory, bestEpoch: () => checkpoint.best?.epoch, writeSummary });
    const callbacks = new CallbackList([
      new LearningRateSchedule(optimizer, schedule),
      new StepSeeds(randomness, settings.seed),
      new NanGuard(() => checkpoint.failureNote(resumeFrom)),
      earlyStopping,
      checkpoint,
      history,
      new Progress({ runId, emit: (e) => hooks.emit(e), intervalMs: job.progressIntervalMs ?? 100, validationBatches: Math.ceil(valIds.length / batchSize), improved: () => checkpoint.improved }),
      {
        onEpochEnd: (end: EpochEnd) => {
          epochsCompleted = end.epoch + 1;
        },
      },
    ]);
    const loop: TrainingLoop = {
      epochs: settings.epochs,
      startEpoch,
      skipBatches,
      batchesPerEpoch,
      validationSamples: valIds.length,
      learningRate: resumed?.learningRate ?? settings.learningRate,
      stopTraining: false,
    };
    const input: LoopInput = { tf, model, constraints: compiled.constraints, data, loss, outUnits, names, settings, split: () => ({ train: trainIds, validation: valIds }), reportFailed, afterEpochData, hooks };
    const end = await fit(input, loop, callbacks);
    if (end.reason === 'requested' && end.batchesDone > 0) log('info', `Stopped at epoch ${end.epochsDone + 1}, batch ${end.batchesDone} of ${batchesPerEpoch}; the model so far is saved.`);
    await callbacks.onTrainEnd(end, loop);
    const stopped = end.reason === 'requested';
    const earlyStopped = earlyStopping.stoppedAfter !== null;
    const best = checkpoint.best;

    // Final model and evaluation.
    await saveModel(model, join(dir, 'model'), tf);
    const { evaluation, finalMetrics } = await finalEvaluation(input, dir, scanned.source, trainIds, valIds);
    const status = stopped ? 'stopped' : 'completed';
    const message = stopped
      ? `Stopped by request after ${epochsCompleted} full epoch(s); the model trained so far is saved.`
      : earlyStopped
        ? `Stopped early at epoch ${epochsCompleted}: "${monitor}" stopped improving (best: epoch ${best?.epoch}).`
        : undefined;
    heartbeat.stop();
    await writeSummary({ status, finishedAt: new Date().toISOString(), finalMetrics, epochsCompleted, ...(message ? { message } : {}), ...(best ? { bestEpoch: best.epoch } : {}) });
    const confusionMatrix = evaluation.task === 'classification' ? evaluation.confusionMatrix : undefined;
    hooks.emit({
      kind: 'finished',
      runId,
      status,
      ...(message ? { message } : {}),
      finalMetrics,
      ...(confusionMatrix ? { confusionMatrix } : {}),
      evaluation,
      runDir: dir,
      epochsCompleted,
      ...(best ? { bestEpoch: best.epoch } : {}),
    });
    return summary;
  } catch (e) {
    heartbeat?.stop();
    const error = classifyTrainingError(e, job.settings);
    await writeSummary({ status: 'failed', finishedAt: new Date().toISOString(), error, message: error.message, epochsCompleted }).catch(() => undefined);
    hooks.emit({
      kind: 'finished',
      runId,
      status: 'failed',
      message: error.message,
      error,
      finalMetrics: {},
      ...(runDir ? { runDir } : {}),
      epochsCompleted,
    });
    return summary;
  } finally {
    heartbeat?.stop();
    earlyStopping?.dispose();
    // However the run ended (a failure included), its model and optimizer state are freed (the
    // model does not free an optimizer it was given).
    model?.dispose();
    optimizer?.dispose();
  }
}

/** The failure a thrown error stands for, with a message for people. */
export function classifyTrainingError(e: unknown, settings: Pick<TrainingSettings, 'batchSize'>): { code: TrainingErrorCode; message: string } {
  if (e instanceof TrainingError) return { code: e.code, message: e.message };
  if (e instanceof DatasetError) return { code: 'dataset', message: e.message };
  if (e instanceof CompileError) return { code: 'graph', message: e.message };
  if (isOutOfMemory(e)) {
    return {
      code: 'out-of-memory',
      message: `Out of memory with batch size ${settings.batchSize}: ${(e as Error).message.split('\n')[0]}. Lower the batch size, or the Input's image size, and try again.`,
    };
  }
  const err = e as Error | null;
  const where = err?.stack?.split('\n').find((l) => /^\s+at /.test(l))?.trim();
  return {
    code: 'internal',
    message: `Training failed with an internal error: ${err?.message ?? String(e)}${where ? ` (${where})` : ''}. This is a fault in Layerloom, not in the settings; please report it with the run folder.`,
  };
}
