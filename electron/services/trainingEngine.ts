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
import { CompileError } from '../../shared/codegen/plan.js';
import type { ProjectDocument } from '../../shared/graph/document.js';
import { serializeProject } from '../../shared/graph/serialization.js';
import type { DatasetTargetInfo, SkippedFile } from '../../shared/training/dataset.js';
import { evaluateClassification, evaluateRegression, type Evaluation } from '../../shared/training/evaluation.js';
import { checkLoss, outputHead, resolveLoss, suggestLoss, type ResolvedLoss } from '../../shared/training/lossCheck.js';
import type { EpochRecord, Metrics, RunSummary, TrainingErrorCode, TrainingEvent, TrainingJob } from '../../shared/training/protocol.js';
import { MOMENTUM, type TrainingSettings } from '../../shared/training/settings.js';
import { DatasetError, scanDatasetPath } from './datasetService.js';
import { batchStream, prepareDataset, warmCache } from './datasets/pipeline.js';
import {
  createRunDir,
  currentProcess,
  loadOptimizer,
  loadWeightsInto,
  readCheckpointState,
  readRun,
  saveCheckpoint,
  saveModel,
  startHeartbeat,
  writeJson,
  type CheckpointState,
} from './runsService.js';
import type { LoadedBackend } from './trainingBackend.js';
import { join } from 'node:path';
import { access, writeFile } from 'node:fs/promises';

type Optimizer = ReturnType<TF['train']['adam']>;
type Tensor = ReturnType<TF['tensor']>;

/** How the engine talks to its host. */
export interface EngineHooks {
  emit(event: TrainingEvent): void;
  /** Polled at every batch boundary. */
  stopRequested(): boolean;
}

/** A failure with a kind, turned into a `finished` event with status `failed`. */
export class TrainingError extends Error {
  constructor(
    readonly code: TrainingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TrainingError';
  }
}

const TFJS_LOSS: Record<ResolvedLoss, string> = {
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  binary_crossentropy: 'binaryCrossentropy',
  mean_squared_error: 'meanSquaredError',
  mean_absolute_error: 'meanAbsoluteError',
};

// tfjs's metric registry knows `mae`/`mse`, not the long names.
const TFJS_METRIC: Record<string, string> = {
  accuracy: 'accuracy',
  mean_absolute_error: 'mae',
  mean_squared_error: 'mse',
};

/** Creates the optimizer a setting names, with Keras's defaults for the rest. */
export function makeOptimizer(tf: TF, settings: Pick<TrainingSettings, 'optimizer' | 'learningRate'>): Optimizer {
  const lr = settings.learningRate;
  switch (settings.optimizer) {
    case 'sgd':
      return tf.train.sgd(lr) as unknown as Optimizer;
    case 'momentum':
      return tf.train.momentum(lr, MOMENTUM) as unknown as Optimizer;
    case 'rmsprop':
      // Keras RMSprop: rho 0.9, momentum 0, epsilon 1e-7.
      return tf.train.rmsprop(lr, 0.9, 0, 1e-7) as unknown as Optimizer;
    case 'adam':
    default:
      return tf.train.adam(lr, 0.9, 0.999, 1e-7);
  }
}

/** Changes an optimizer's learning rate in place (SGD keeps it in a scalar tensor, the others in a field). */
export function setLearningRate(optimizer: Optimizer, lr: number): void {
  const o = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
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

function modelInput(doc: ProjectDocument): ModelIo {
  const analysis = analyzeGraph(doc);
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new CompileError(errors);
  if (analysis.inputs.length !== 1 || analysis.outputs.length !== 1) {
    throw new TrainingError(
      'graph',
      `Training reads one dataset into one Input and scores one Output; this graph has ${analysis.inputs.length} Input and ${analysis.outputs.length} Output blocks. Remove the extra ones to train it here (export handles multi-input models).`,
    );
  }
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

/** Runs one training job to the end; every outcome (including failures) ends with a `finished` event. */
export async function runTrainingJob(job: TrainingJob, backend: LoadedBackend, hooks: EngineHooks): Promise<RunSummary | null> {
  const { tf } = backend;
  const runId = job.runId;
  const log = (level: 'info' | 'warning' | 'error', message: string) => hooks.emit({ kind: 'log', runId, level, message });
  let runDir: string | undefined;
  let stopHeartbeat: () => void = () => undefined;
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
    const metrics = settings.metrics.filter((m) => {
      if (!(m in TFJS_METRIC)) {
        log('warning', `Unknown metric "${m}" is ignored; available: ${Object.keys(TFJS_METRIC).join(', ')}.`);
        return false;
      }
      if (m === 'accuracy' && data.task === 'regression') {
        log('warning', 'accuracy is not defined for a numeric target; it is left out (mean absolute error is reported instead).');
        return false;
      }
      if (m !== 'accuracy' && data.task === 'classification' && loss === 'sparse_categorical_crossentropy') {
        log('warning', `${m} compares numbers; with class labels it is left out.`);
        return false;
      }
      return true;
    });
    if (data.task === 'regression' && !metrics.includes('mean_absolute_error')) metrics.push('mean_absolute_error');

    // Model, optimizer.
    const compiled = compileModel(job.doc, tf);
    const model = compiled.model;
    const optimizer = makeOptimizer(tf, settings);
    model.compile({ optimizer, loss: TFJS_LOSS[loss], metrics: metrics.map((m) => TFJS_METRIC[m]) });
    const names = ['loss', ...metrics];

    // Resume.
    let startEpoch = 0;
    let skipBatches = 0;
    let lr = settings.learningRate;
    let best: CheckpointState['best'] = null;
    let wait = 0;
    let history: EpochRecord[] = [];
    if (job.resumeFrom) {
      const ckpt = join(job.resumeFrom, 'checkpoints', 'last');
      try {
        await access(join(ckpt, 'state.json'));
        const state = await readCheckpointState(ckpt);
        await loadWeightsInto(model, join(ckpt, 'model'), tf);
        await loadOptimizer(optimizer, ckpt, tf);
        const previous = await readRun(job.resumeFrom);
        history = (previous?.history ?? []).filter((h) => h.epoch <= state.epochsDone);
        startEpoch = state.epochsDone;
        epochsCompleted = startEpoch;
        skipBatches = state.batchesDone;
        lr = state.learningRate;
        best = state.best;
        wait = state.wait;
        setLearningRate(optimizer, lr);
      } catch (e) {
        throw new TrainingError('resume', `Cannot resume from ${job.resumeFrom}: ${(e as Error).message}`);
      }
    }

    // Run folder.
    const created = await createRunDir(job.runsDir, runId);
    runDir = created.dir;
    stopHeartbeat = startHeartbeat(runDir);
    const startedAt = new Date().toISOString();
    summary = {
      id: created.id,
      startedAt,
      finishedAt: null,
      status: 'running',
      epochs: settings.epochs,
      epochsCompleted: startEpoch,
      history,
      finalMetrics: {},
      dir: runDir,
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
    await writeFile(join(runDir, 'graph.layerloom'), serializeProject(job.doc));
    await writeJson(join(runDir, 'preprocessing.json'), data.preprocessing);
    // Every file left out, with its reason (the log shows the first five of the scan's).
    if (leftOut.length) await writeJson(join(runDir, 'skipped.json'), leftOut);
    await writeJson(join(runDir, 'history.json'), history);
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
      runDir,
      loss,
      lossReason,
      classes: data.classes,
      startEpoch,
    });

    const es = settings.earlyStopping;
    let monitor: string = es.monitor;
    if (monitor.startsWith('val_') && valIds.length === 0) {
      monitor = monitor.slice(4);
      log('warning', `There is no validation split, so early stopping and the best checkpoint watch "${monitor}" instead of "${es.monitor}".`);
    }
    if (!names.includes(monitor.replace(/^val_/, ''))) {
      const fallback = valIds.length ? 'val_loss' : 'loss';
      log('warning', `"${monitor}" is not computed in this run; watching "${fallback}" instead.`);
      monitor = fallback;
    }
    const higherIsBetter = /accuracy$/.test(monitor);
    let bestWeights: Tensor[] | null = null;

    const intervalMs = job.progressIntervalMs ?? 100;
    const totalBatches = (settings.epochs - startEpoch) * batchesPerEpoch - skipBatches;
    let batchesDoneTotal = 0;
    let trainSeconds = 0;
    let valSeconds = 0;
    let valRuns = 0;
    let stopped = false;
    let earlyStopped = false;
    let currentEpochBatches = 0;

    const eta = (epochIndex: number, batchInEpoch: number): number | null => {
      if (batchesDoneTotal === 0) return null;
      const perBatch = trainSeconds / batchesDoneTotal;
      const left = Math.max(0, totalBatches - batchesDoneTotal);
      const valPer = valRuns ? valSeconds / valRuns : valIds.length ? perBatch * Math.ceil(valIds.length / batchSize) * 0.3 : 0;
      const epochsLeft = settings.epochs - epochIndex - (batchInEpoch >= batchesPerEpoch ? 1 : 0);
      return left * perBatch + Math.max(0, epochsLeft) * valPer;
    };

    const evaluateSplit = async (ids: Int32Array, withPredictions: boolean) => {
      const sums = new Array<number>(names.length).fill(0);
      let count = 0;
      const actual: number[] = [];
      const predicted: number[] = [];
      for await (const b of batchStream(data, ids, Math.max(batchSize, 64), { prefetch: 2 })) {
        reportFailed(b.failed);
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
      return { means, count, actual, predicted };
    };

    const checkpointState = (epochsDone: number, batchesDone: number): CheckpointState => ({ epochsDone, batchesDone, learningRate: lr, best, wait });

    epochLoop: for (let epoch = startEpoch; epoch < settings.epochs; epoch++) {
      const epochStart = performance.now();
      let epochTrainSeconds = 0;
      const sums = new Array<number>(names.length).fill(0);
      let seen = 0;
      let lastEmit = 0;
      const skip = epoch === startEpoch ? skipBatches : 0;
      currentEpochBatches = skip;
      let batchStart = performance.now();
      for await (const b of batchStream(data, trainIds, batchSize, { shuffleSeed: settings.seed * 1000003 + epoch, prefetch: 3, augment: settings.augment && data.kind === 'images', skip })) {
        reportFailed(b.failed);
        if (b.size > 0) {
          const xs = tf.tensor(b.x, [b.size, ...data.sampleShape], data.dtype);
          const ys = labelTensor(tf, b.y, b.size, loss, outUnits, data.task);
          let out: number | number[];
          try {
            out = await model.trainOnBatch(xs, ys);
          } finally {
            tf.dispose([xs, ys]);
          }
          const values = Array.isArray(out) ? out : [out];
          const bad = values.findIndex((v) => !Number.isFinite(v));
          if (bad >= 0) {
            throw new TrainingError(
              'nan',
              `The ${bad === 0 ? 'loss' : names[bad]} became ${Number.isNaN(values[bad]) ? 'NaN' : 'infinite'} at epoch ${epoch + 1}, batch ${currentEpochBatches + 1} ` +
                `(learning rate ${lr}). The weights diverged: lower the learning rate (try ${lr / 10}), check the data for extreme or missing values, ` +
                `and make sure the output and loss fit (LL014). ${await checkpointNote(runDir, job.resumeFrom)}`,
            );
          }
          values.forEach((v, i) => (sums[i] += v * b.size));
          seen += b.size;
          // From the end of the previous step: includes waiting for data, so a slow pipeline shows.
          const dt = (performance.now() - batchStart) / 1000;
          epochTrainSeconds += dt;
          trainSeconds += dt;
        }
        currentEpochBatches++;
        batchesDoneTotal++;
        const now = performance.now();
        if (now - lastEmit >= intervalMs || currentEpochBatches === batchesPerEpoch) {
          lastEmit = now;
          const m: Record<string, number> = {};
          names.forEach((n, i) => (m[n] = seen ? sums[i] / seen : Number.NaN));
          hooks.emit({
            kind: 'batch',
            runId,
            epoch: epoch + 1,
            batch: currentEpochBatches,
            batchesPerEpoch,
            metrics: m,
            samplesPerSecond: epochTrainSeconds > 0 ? seen / epochTrainSeconds : 0,
            etaSeconds: eta(epoch, currentEpochBatches),
            progress: Math.min(1, (epoch * batchesPerEpoch + currentEpochBatches) / (settings.epochs * batchesPerEpoch)),
          });
        }
        // Let a stop message in (the step itself only resolves microtasks).
        await yieldToEvents();
        if (hooks.stopRequested()) {
          stopped = true;
          if (currentEpochBatches < batchesPerEpoch) {
            await saveCheckpoint(join(runDir, 'checkpoints', 'last'), model, optimizer, checkpointState(epoch, currentEpochBatches), tf);
            log('info', `Stopped at epoch ${epoch + 1}, batch ${currentEpochBatches} of ${batchesPerEpoch}; the model so far is saved.`);
            break epochLoop;
          }
        }
        batchStart = performance.now();
      }

      // End of epoch: validation, schedule, checkpoints, early stopping.
      const logs: Record<string, number> = {};
      names.forEach((n, i) => (logs[n] = seen ? sums[i] / seen : Number.NaN));
      if (valIds.length) {
        const v0 = performance.now();
        const v = await evaluateSplit(valIds, false);
        valSeconds += (performance.now() - v0) / 1000;
        valRuns++;
        for (const [k, value] of Object.entries(v.means)) logs[`val_${k}`] = value;
      }
      // Images that failed to decode this epoch (only the first visits each file): say how many
      // samples the run really uses from now on.
      if (leftOut.length > announcedLeftOut) {
        const used = withoutFailed();
        const fresh = leftOut.slice(announcedLeftOut);
        announcedLeftOut = leftOut.length;
        log('warning', `${fresh.length} image(s) could not be decoded and are left out: the run trains on ${used.train.length} and validates on ${used.validation.length} samples.`);
        hooks.emit({ kind: 'samples', runId, trainSamples: used.train.length, validationSamples: used.validation.length, skipped: fresh });
        await writeJson(join(runDir, 'skipped.json'), leftOut);
        await writeSummary({ trainSamples: used.train.length, validationSamples: used.validation.length });
      }
      const epochLr = lr;
      epochsCompleted = epoch + 1;
      const current = logs[monitor];
      const improved = Number.isFinite(current) && (best === null || (higherIsBetter ? current > best.value : current < best.value));
      if (improved) {
        best = { epoch: epoch + 1, value: current };
        wait = 0;
        if (es.enabled && es.restoreBestWeights) {
          bestWeights?.forEach((t) => t.dispose());
          bestWeights = model.getWeights().map((w) => tf.keep(w.clone()));
        }
      } else wait++;
      lr = lr * settings.learningRateDecay;
      if (settings.learningRateDecay !== 1) setLearningRate(optimizer, lr);
      const seconds = (performance.now() - epochStart) / 1000;
      const record: EpochRecord = { epoch: epoch + 1, metrics: logs, learningRate: epochLr, seconds, samplesPerSecond: epochTrainSeconds > 0 ? seen / epochTrainSeconds : 0 };
      history = [...history, record];
      await writeJson(join(runDir, 'history.json'), history);
      await saveCheckpoint(join(runDir, 'checkpoints', 'last'), model, optimizer, checkpointState(epoch + 1, 0), tf);
      if (improved) await saveCheckpoint(join(runDir, 'checkpoints', 'best'), model, optimizer, checkpointState(epoch + 1, 0), tf);
      await writeSummary({ epochsCompleted, history, ...(best ? { bestEpoch: best.epoch } : {}) });
      hooks.emit({
        kind: 'epoch',
        runId,
        epoch: epoch + 1,
        epochs: settings.epochs,
        metrics: logs,
        etaSeconds: eta(epoch + 1, 0),
        progress: (epoch + 1) / settings.epochs,
        learningRate: epochLr,
        seconds,
        samplesPerSecond: record.samplesPerSecond,
        improved,
      });
      if (stopped) break;
      if (es.enabled && wait >= es.patience && epoch > 0) {
        earlyStopped = true;
        log('info', `Early stopping: "${monitor}" has not improved for ${wait} epoch(s); best was epoch ${best?.epoch}.`);
        if (es.restoreBestWeights && bestWeights) {
          model.setWeights(bestWeights);
          log('info', `Restored the weights of epoch ${best?.epoch}.`);
        }
        break;
      }
    }
    bestWeights?.forEach((t) => t.dispose());

    // Final model and evaluation.
    await saveModel(model, join(runDir, 'model'), tf);
    const evalIds = valIds.length ? valIds : trainIds;
    const split = valIds.length ? 'validation' : 'train';
    const final = await evaluateSplit(evalIds, true);
    const evaluation: Evaluation =
      data.task === 'classification'
        ? evaluateClassification(final.actual, final.predicted, data.classes, final.means.loss, split)
        : evaluateRegression(final.actual, final.predicted, final.means.loss, split);
    await writeJson(join(runDir, 'evaluation.json'), evaluation);
    const prefix = valIds.length ? 'val_' : '';
    const finalMetrics: Metrics = Object.fromEntries(Object.entries(final.means).map(([k, v]) => [`${prefix}${k}`, v]));
    const status = stopped ? 'stopped' : 'completed';
    const message = stopped
      ? `Stopped by request after ${epochsCompleted} full epoch(s); the model trained so far is saved.`
      : earlyStopped
        ? `Stopped early at epoch ${epochsCompleted}: "${monitor}" stopped improving (best: epoch ${best?.epoch}).`
        : undefined;
    stopHeartbeat();
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
      runDir,
      epochsCompleted,
      ...(best ? { bestEpoch: best.epoch } : {}),
    });
    model.dispose();
    return summary;
  } catch (e) {
    stopHeartbeat();
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
  }
}

/** What is true about checkpoints when a run fails: where the last good one is, if any. */
async function checkpointNote(runDir: string, resumeFrom: string | undefined): Promise<string> {
  const last = join(runDir, 'checkpoints', 'last');
  const state = await readCheckpointState(last).catch(() => null);
  if (state) return `The last good checkpoint (after epoch ${state.epochsDone}${state.batchesDone ? `, batch ${state.batchesDone}` : ''}) is kept in ${last}.`;
  const previous = resumeFrom ? await readCheckpointState(join(resumeFrom, 'checkpoints', 'last')).catch(() => null) : null;
  if (resumeFrom && previous) return `This run wrote no checkpoint before it diverged; the run it resumed from keeps its checkpoint (after epoch ${previous.epochsDone}) in ${join(resumeFrom, 'checkpoints', 'last')}.`;
  return 'No checkpoint was written before it diverged (the first epoch did not finish), so there is none to go back to: train again with the changes above.';
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
