/**
 * The Keras engine: trains a job in Python Keras/TensorFlow (graph mode, the speed tfjs cannot
 * reach) by running the exported model.py under a small driver (driver.ts), and turns what the
 * driver reports into the same events, run folder and checkpoints as the tfjs engine.
 *
 * It runs inside the training worker, like the tfjs loop, with a tfjs backend loaded: tfjs builds
 * the starting weights (Layerloom's seeded initialisers, or the project's imported weights), holds
 * each checkpoint the driver sends (an .npz in Keras `get_weights()` order) to write it in the
 * app's own format, and scores the final model, so evaluate, export, explain and resume read a
 * Keras-engine run like any other. Behaviour that Keras does itself (early stopping, the learning
 * rate schedule, the split and data loading of model.py) stays Keras's; the NaN guard, checkpoints,
 * history and progress are the app's callbacks, fed from the driver's messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateKerasFiles, KERAS_WEIGHTS_FILE, MIXED_PRECISION_CPU_NOTICE } from '../../../../shared/codegen/keras/index.js';
import { kerasLayerOrder, planModel } from '../../../../shared/codegen/plan.js';
import { compileModel } from '../../../../shared/compile/compile.js';
import { resolveProjectPath } from '../../../../shared/graph/projectPaths.js';
import { serializeProject } from '../../../../shared/graph/serialization.js';
import { CallbackList, type BatchEnd, type EpochEnd, type TrainingLoop } from '../../../../shared/training/callbacks.js';
import type { DatasetTargetInfo, SkippedFile } from '../../../../shared/training/dataset.js';
import { kerasVersionProblem, type KerasVersions } from '../../../../shared/training/kerasVersions.js';
import { checkLoss, outputHead, resolveLoss, suggestLoss } from '../../../../shared/training/lossCheck.js';
import { resolveMonitor, selectMetrics } from '../../../../shared/training/monitor.js';
import type { RunSummary, TrainingJob } from '../../../../shared/training/protocol.js';
import { TFJS_LOSS, TFJS_METRIC } from '../../../../shared/training/compileTable.js';
import { scanDatasetPath } from '../../datasetService.js';
import { prepareDataset } from '../../datasets/pipeline.js';
import { createRunDir, currentProcess, loadWeightsInto, saveModel, writeJson } from '../../runsService.js';
import { classifyTrainingError, finalEvaluation, makeOptimizer, modelInput, type EngineHooks, type LoopInput } from '../../trainingEngine.js';
import type { LoadedBackend } from '../../trainingBackend.js';
import { kerasWeightEntries } from '../../weights/kerasWeights.js';
import { decodeNpz, encodeNpz } from '../../weights/npz.js';
import { Heartbeat } from '../callbacks/heartbeat.js';
import { RunHistory } from '../callbacks/history.js';
import { ModelCheckpoint } from '../callbacks/modelCheckpoint.js';
import { NanGuard } from '../callbacks/nanGuard.js';
import { Progress } from '../callbacks/progress.js';
import type { LayersModel, Optimizer } from '../tfTypes.js';
import { TrainingError } from '../trainingError.js';
import { KERAS_DRIVER, KERAS_VERSION_PROBE } from './driver.js';
import { defaultPython } from '../../tfliteService.js';

const pythonEnv = () => ({ ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2', PYTHONUNBUFFERED: '1', KERAS_BACKEND: 'tensorflow' });

/** How to install what the engine needs, for messages. */
const INSTALL = 'Install them with `python3 -m pip install "tensorflow>=2.16" "keras>=3"`, name another interpreter (--python, or the Python interpreter setting), or train with the tfjs engine (--engine tfjs).';

/**
 * The versions of Python, TensorFlow and Keras that `python` has. Throws a {@link TrainingError}
 * (`backend`) that says how to fix it when the interpreter cannot be run.
 */
export function probeKeras(python: string): Promise<KerasVersions> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let child: ChildProcess;
    try {
      child = spawn(python, ['-c', KERAS_VERSION_PROBE], { env: pythonEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      reject(new TrainingError('backend', noPython(python, (e as Error).message)));
      return;
    }
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', (e) => reject(new TrainingError('backend', noPython(python, e.message))));
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) {
        resolve(JSON.parse(last) as KerasVersions);
        return;
      }
      const why = err.trim().split('\n').pop() || `exit code ${code}`;
      reject(new TrainingError('backend', `The Keras engine cannot use the Python interpreter "${python}": ${why}. ${INSTALL}`));
    });
  });
}

function noPython(python: string, why: string): string {
  return `The Keras engine needs Python with TensorFlow and Keras, but the Python interpreter "${python}" cannot be started (${why}). ${INSTALL}`;
}

/** One line for people: `Keras 3.15.0 / TensorFlow 2.21.0 (Python 3.11.2) on CPU:0`. */
export function describeKeras(v: KerasVersions): string {
  const devices = (v.devices ?? []).map((d) => d.replace(/^\/device:/, '').replace(/ \(.*\)$/, ''));
  return `Keras ${v.keras} / TensorFlow ${v.tensorflow} (Python ${v.python}) on ${devices.length ? devices.join(', ') : 'CPU'}`;
}

/** A message of the driver (driver.ts documents them). */
type DriverMessage =
  | ({ type: 'versions' } & KerasVersions)
  | { type: 'begin'; epochs: number; steps: number }
  | { type: 'batch'; epoch: number; batch: number; batches: number; logs: Record<string, number | string>; seconds: number }
  | { type: 'epoch'; epoch: number; logs: Record<string, number | string>; learning_rate: number; seconds: number; train_seconds: number; validation_seconds: number; weights: string }
  | { type: 'stopped'; epoch: number; batch: number; weights: string }
  | { type: 'end'; weights: string }
  | { type: 'error'; message: string };

/** Sets a tfjs model's weights from an .npz in Keras `get_weights()` order (the inverse of kerasWeightEntries). */
async function loadKerasNpz(model: LayersModel, order: readonly string[], path: string, tf: LoadedBackend['tf']): Promise<void> {
  const entries = decodeNpz(await readFile(path));
  const variables = order.flatMap((name) => model.getLayer(name).weights);
  if (entries.length !== variables.length) throw new Error(`${path} holds ${entries.length} arrays, the model has ${variables.length} weights.`);
  tf.tidy(() => {
    variables.forEach((v, i) => {
      const { array } = entries[i];
      if (array.shape.join(',') !== v.shape.join(',')) throw new Error(`${path}: array ${i} has shape (${array.shape.join(', ')}), ${v.originalName} needs (${v.shape.join(', ')}).`);
      v.write(tf.tensor(array.data, [...array.shape], array.dtype));
    });
  });
}

/** Runs one training job on the Keras engine; every outcome ends with a `finished` event. */
export async function runKerasJob(job: TrainingJob, backend: LoadedBackend, hooks: EngineHooks): Promise<RunSummary | null> {
  const { tf } = backend;
  const runId = job.runId;
  const log = (level: 'info' | 'warning' | 'error', message: string) => hooks.emit({ kind: 'log', runId, level, message });
  // The host resolves the setting (engineService.resolvePython); a job without one uses the default.
  const python = job.python || defaultPython();
  let runDir: string | undefined;
  let heartbeat: Heartbeat | null = null;
  let model: LayersModel | null = null;
  let optimizer: Optimizer | null = null;
  let summary: RunSummary | null = null;
  let epochsCompleted = 0;
  let child: ChildProcess | null = null;
  const writeSummary = async (patch: Partial<RunSummary>) => {
    if (!summary || !runDir) return;
    summary = { ...summary, ...patch };
    const { history, ...rest } = summary;
    void history;
    await writeJson(join(runDir, 'run.json'), rest);
  };
  try {
    const settings = job.settings;
    if (job.resumeFrom) {
      throw new TrainingError('resume', `The Keras engine does not resume runs yet. Resume ${job.resumeFrom} with the tfjs engine (--engine tfjs): it continues from the run's checkpoint with its weights and position.`);
    }
    // Until the driver reports its versions.
    let engineDescription = 'Keras (Python)';

    const io = modelInput(job.doc);
    const scanned = await scanDatasetPath(job.datasetPath, { targetColumn: job.targetColumn, samplesPerClass: 0 });
    for (const w of scanned.report.warnings) log('warning', w);
    const data = await prepareDataset(scanned, io, { validationSplit: settings.validationSplit, seed: settings.seed, cacheBudgetBytes: (job.cacheBudgetMB ?? 512) * 1024 * 1024 });
    const trainIds = data.split.train;
    const valIds = data.split.validation;
    if (trainIds.length === 0) throw new TrainingError('dataset', 'No samples are left for training after the validation split. Lower the validation split or add data.');
    const target: DatasetTargetInfo = { task: data.task, numClasses: data.task === 'classification' ? data.classes.length : 1, kind: data.kind };
    const lossProblems = checkLoss(job.doc, settings.loss, target);
    for (const d of lossProblems.filter((p) => p.severity === 'warning')) log('warning', `${d.code}: ${d.message}`);
    const lossErrors = lossProblems.filter((p) => p.severity === 'error');
    if (lossErrors.length) throw new TrainingError('graph', lossErrors.map((d) => `${d.code}: ${d.message}`).join('\n'));
    const loss = resolveLoss(job.doc, settings.loss, target);
    const lossReason = settings.loss === 'auto' ? suggestLoss(job.doc, target).reason : `Loss set in the training settings: ${loss}.`;
    const outUnits = outputHead(job.doc)?.shape?.at(-1) ?? 1;
    const selection = selectMetrics(settings.metrics, Object.keys(TFJS_METRIC), data.task, loss);
    for (const w of selection.warnings) log('warning', w);
    const names = ['loss', ...selection.metrics];

    // The starting weights: Layerloom's seeded initialisers, or the project's imported weights.
    const compiled = compileModel(job.doc, tf, { seed: settings.seed });
    model = compiled.model;
    optimizer = makeOptimizer(tf, settings);
    model.compile({ optimizer, loss: TFJS_LOSS[loss], metrics: selection.metrics.map((m) => TFJS_METRIC[m]) });
    if (job.doc.initialWeights) {
      const from = resolveProjectPath(job.doc.initialWeights, job.projectFile);
      try {
        await loadWeightsInto(model, from, tf);
      } catch (e) {
        throw new TrainingError('graph', `Cannot start from the project's initial weights in ${from}: ${(e as Error).message}. Remove initialWeights from the project to start from the initialisers.`);
      }
      log('info', `Starting from the initial weights in ${from}.`);
    }
    const plan = planModel(job.doc);
    const order = kerasLayerOrder(plan);

    // Run folder, as the tfjs engine writes it, plus keras/ (the program that trained it and its log).
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
      epochsCompleted: 0,
      history: [],
      finalMetrics: {},
      dir,
      projectName: job.doc.name,
      projectFile: job.projectFile,
      datasetPath: job.datasetPath,
      backend: engineDescription,
      engine: 'keras',
      loss,
      settings,
      trainSamples: trainIds.length,
      validationSamples: valIds.length,
      ...currentProcess(),
    };
    await writeFile(join(dir, 'graph.layerloom'), serializeProject(job.doc));
    await writeJson(join(dir, 'preprocessing.json'), data.preprocessing);
    await writeJson(join(dir, 'history.json'), []);
    await writeSummary({});

    const kerasDir = join(dir, 'keras');
    await mkdir(kerasDir, { recursive: true });
    // model.py as the Keras export writes it, for the settings in force and this run's data.
    const doc = { ...job.doc, training: settings, ...(job.doc.dataset ? { dataset: { ...job.doc.dataset, ...(job.targetColumn ? { targetColumn: job.targetColumn } : {}) } } : {}) };
    for (const f of generateKerasFiles(doc, { dataPath: job.datasetPath, weightsFile: KERAS_WEIGHTS_FILE, preprocessingFile: 'preprocessing.json' })) {
      // The export has a k8s/ folder (the Kubeflow TFJob) beside model.py.
      await mkdir(dirname(join(kerasDir, f.path)), { recursive: true });
      await writeFile(join(kerasDir, f.path), f.content);
    }
    await writeJson(join(kerasDir, 'preprocessing.json'), data.preprocessing);
    await writeFile(join(kerasDir, KERAS_WEIGHTS_FILE), encodeNpz(kerasWeightEntries(model, plan)));
    await writeFile(join(kerasDir, 'driver.py'), KERAS_DRIVER);
    const argv = ['--data', job.datasetPath, '--epochs', String(settings.epochs), '--batch-size', String(settings.batchSize), '--weights', join(kerasDir, KERAS_WEIGHTS_FILE), '--output', join(kerasDir, 'output'), ...(job.modelArgs ?? [])];
    const scratch = join(kerasDir, 'scratch');
    await writeJson(join(kerasDir, 'driver.json'), { model: join(kerasDir, 'model.py'), argv, scratch, interval_ms: job.progressIntervalMs ?? 100 });

    const batchSize = settings.batchSize;
    // Keras says how many steps an epoch has when it begins (batchesPerEpoch is updated then).
    const loop: { -readonly [K in keyof TrainingLoop]: TrainingLoop[K] } = {
      epochs: settings.epochs,
      startEpoch: 0,
      skipBatches: 0,
      batchesPerEpoch: Math.ceil(trainIds.length / batchSize),
      validationSamples: valIds.length,
      learningRate: settings.learningRate,
      stopTraining: false,
    };
    const { monitor, warnings: monitorWarnings } = resolveMonitor(settings.earlyStopping.monitor, { hasValidation: valIds.length > 0, names });
    for (const w of monitorWarnings) log('warning', w);
    await writeSummary({ monitor });
    const fitted = model;
    const checkpoint = new ModelCheckpoint(fitted, optimizer, tf, { runDir: dir, monitor, best: null, schedule: () => loop.learningRate, wait: () => 0 });
    const history = new RunHistory({ runDir: dir, previous: [], bestEpoch: () => checkpoint.best?.epoch, writeSummary });
    const callbacks = new CallbackList([
      new NanGuard(() => checkpoint.failureNote(undefined)),
      checkpoint,
      history,
      new Progress({ runId, emit: (e) => hooks.emit(e), intervalMs: job.progressIntervalMs ?? 100, validationBatches: Math.ceil(valIds.length / batchSize), improved: () => checkpoint.improved }),
      { onEpochEnd: (end: EpochEnd) => void (epochsCompleted = end.epoch + 1) },
    ]);

    // The driver.
    const logPath = join(dir, 'keras.log');
    const logFile = createWriteStream(logPath);
    const proc = spawn(python, [join(kerasDir, 'driver.py'), join(kerasDir, 'driver.json')], { cwd: kerasDir, env: pythonEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    child = proc;
    log('info', `Keras engine: Python process ${proc.pid ?? '?'} runs ${join(kerasDir, 'model.py')}; its log is ${logPath}.`);
    proc.stderr.pipe(logFile);
    proc.stdin.on('error', () => undefined);
    let stopSent = false;
    const stopPoll = setInterval(() => {
      if (!stopSent && hooks.stopRequested()) {
        stopSent = true;
        proc.stdin.write('stop\n');
      }
    }, 50);
    // What the driver said (a closure writes it, so it is an object TypeScript does not narrow).
    const said: { failure: Error | null; programError: string | null; ended: boolean; stoppedAt: { epoch: number; batch: number } | null } = { failure: null, programError: null, ended: false, stoppedAt: null };
    let seenInEpoch = 0;
    let currentEpoch = -1;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('close', (code, signal) => resolve({ code, signal })));
    let spawnError: Error | null = null;
    const spawnFailed = new Promise<Error>((resolve) => proc.on('error', (e) => resolve((spawnError = e))));
    let chain = Promise.resolve();
    const handle = async (message: DriverMessage) => {
      switch (message.type) {
        case 'versions': {
          // The driver reports what it imported before it imports model.py.
          const problem = kerasVersionProblem(message);
          if (problem) throw new TrainingError('backend', `${problem} (Python interpreter "${python}"). ${INSTALL}`);
          engineDescription = describeKeras(message);
          // model.py says it too, but into keras.log: the person who asked should see it.
          if (job.modelArgs?.includes('--mixed-precision') && !(message.devices ?? []).some((d) => d.endsWith('(GPU)'))) log('warning', MIXED_PRECISION_CPU_NOTICE);
          await writeSummary({ backend: engineDescription });
          break;
        }
        case 'begin':
          loop.batchesPerEpoch = message.steps || loop.batchesPerEpoch;
          await callbacks.onTrainBegin(loop);
          hooks.emit({ kind: 'started', runId, startedAt, epochs: settings.epochs, batchesPerEpoch: loop.batchesPerEpoch, trainSamples: trainIds.length, validationSamples: valIds.length, backend: engineDescription, runDir: dir, loss, lossReason, classes: data.classes, startEpoch: 0 });
          break;
        case 'batch': {
          if (message.epoch !== currentEpoch) {
            currentEpoch = message.epoch;
            seenInEpoch = 0;
            await callbacks.onEpochBegin(message.epoch, loop);
          }
          // One message stands for the batches since the last one: the app's callbacks see each.
          const trainLogs = Object.fromEntries(Object.entries(message.logs).filter(([k]) => !k.startsWith('val_')).map(([k, v]) => [k, Number(v)]));
          const keys = Object.keys(trainLogs);
          const values = keys.map((k) => trainLogs[k]);
          const count = Math.max(1, message.batches);
          for (let i = 0; i < count; i++) {
            const batch = message.batch - count + 1 + i;
            const size = Math.max(0, Math.min(batchSize, trainIds.length - (batch - 1) * batchSize));
            seenInEpoch += size;
            const end: BatchEnd = { epoch: message.epoch, batch, size, values, names: keys, means: trainLogs, seen: seenInEpoch, seconds: message.seconds / count };
            await callbacks.onBatchEnd(end, loop);
          }
          break;
        }
        case 'epoch': {
          await loadKerasNpz(fitted, order, message.weights, tf);
          await rm(message.weights, { force: true });
          loop.learningRate = message.learning_rate;
          const logs = Object.fromEntries(Object.entries(message.logs).map(([k, v]) => [k, Number(v)]));
          await callbacks.onEpochEnd({ epoch: message.epoch, logs, learningRate: message.learning_rate, seconds: message.seconds, trainSeconds: message.train_seconds, samples: trainIds.length, validationSeconds: message.validation_seconds }, loop);
          break;
        }
        case 'stopped':
          await loadKerasNpz(fitted, order, message.weights, tf);
          await rm(message.weights, { force: true });
          said.stoppedAt = { epoch: message.epoch, batch: message.batch };
          break;
        case 'end':
          await loadKerasNpz(fitted, order, message.weights, tf);
          await rm(message.weights, { force: true });
          said.ended = true;
          break;
        case 'error':
          said.programError = message.message;
          break;
      }
    };
    createInterface({ input: proc.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      chain = chain.then(async () => {
        if (said.failure) return;
        try {
          await handle(JSON.parse(line) as DriverMessage);
        } catch (e) {
          // The NaN guard (or a checkpoint that cannot be written) ends the run: stop Python too.
          said.failure = e instanceof Error ? e : new Error(String(e));
          proc.kill('SIGKILL');
        }
      });
    });
    const outcome = await Promise.race([exited, spawnFailed.then((e) => Promise.reject(new TrainingError('backend', noPython(python, e.message))))]);
    if (spawnError) throw new TrainingError('backend', noPython(python, (spawnError as Error).message));
    clearInterval(stopPoll);
    await chain;
    await new Promise<void>((r) => logFile.end(r));
    if (said.failure) throw said.failure;
    if (said.programError !== null || outcome.code !== 0 || !said.ended) {
      const note = await checkpoint.failureNote(undefined);
      const kept = note.startsWith('No checkpoint') ? 'No checkpoint was written.' : note.replace('The last good checkpoint', 'The last checkpoint');
      if (said.programError !== null) throw new TrainingError('internal', `The Keras program failed: ${said.programError}. The full log is in ${logPath}. ${kept}`);
      const how = outcome.signal ? `was killed (${outcome.signal})` : `exited with code ${outcome.code}`;
      throw new TrainingError('crash', `The Keras engine's Python process ${how} before the training ended. Its log is in ${logPath}. ${kept}`);
    }
    await rm(scratch, { recursive: true, force: true });

    // A stop mid-epoch keeps the batches trained so far, to resume from that batch.
    const stopped = stopSent;
    const position = said.stoppedAt;
    await callbacks.onTrainEnd(position ? { reason: 'requested', epochsDone: position.epoch, batchesDone: position.batch } : { reason: stopped ? 'requested' : 'completed', epochsDone: epochsCompleted, batchesDone: 0 }, loop);
    if (position) log('info', `Stopped at epoch ${position.epoch + 1}, batch ${position.batch} of ${loop.batchesPerEpoch}; the model so far is saved.`);

    await saveModel(fitted, join(dir, 'model'), tf);
    const input: LoopInput = { tf, model: fitted, data, loss, outUnits, names, settings, split: () => ({ train: trainIds, validation: valIds }), reportFailed: (failed: readonly SkippedFile[]) => failed.length, afterEpochData: async () => undefined, hooks };
    const { evaluation, finalMetrics } = await finalEvaluation(input, dir, scanned.source, trainIds, valIds);
    const best = checkpoint.best;
    const earlyStopped = !stopped && epochsCompleted < settings.epochs;
    const status = stopped ? 'stopped' : 'completed';
    const message = stopped
      ? `Stopped by request after ${epochsCompleted} full epoch(s); the model trained so far is saved.`
      : earlyStopped
        ? `Stopped early at epoch ${epochsCompleted}: "${settings.earlyStopping.monitor}" stopped improving (Keras EarlyStopping).`
        : undefined;
    heartbeat.stop();
    await writeSummary({ status, finishedAt: new Date().toISOString(), finalMetrics, epochsCompleted, ...(message ? { message } : {}), ...(best ? { bestEpoch: best.epoch } : {}) });
    const confusionMatrix = evaluation.task === 'classification' ? evaluation.confusionMatrix : undefined;
    hooks.emit({ kind: 'finished', runId, status, ...(message ? { message } : {}), finalMetrics, ...(confusionMatrix ? { confusionMatrix } : {}), evaluation, runDir: dir, epochsCompleted, ...(best ? { bestEpoch: best.epoch } : {}) });
    return summary;
  } catch (e) {
    heartbeat?.stop();
    if (child && child.exitCode === null) child.kill('SIGKILL');
    const error = classifyTrainingError(e, job.settings);
    await writeSummary({ status: 'failed', finishedAt: new Date().toISOString(), error, message: error.message, epochsCompleted }).catch(() => undefined);
    hooks.emit({ kind: 'finished', runId, status: 'failed', message: error.message, error, finalMetrics: {}, ...(runDir ? { runDir } : {}), epochsCompleted });
    return summary;
  } finally {
    heartbeat?.stop();
    model?.dispose();
    optimizer?.dispose();
  }
}

