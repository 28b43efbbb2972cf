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
import { createServer, type AddressInfo, type Server } from 'node:net';
import { createInterface } from 'node:readline';
import { generateKerasFiles, KERAS_WEIGHTS_FILE, MIXED_PRECISION_CPU_NOTICE } from '../../../../shared/codegen/keras/index.js';
import { kerasLayerOrder, planModel } from '../../../../shared/codegen/plan.js';
import { compileModel } from '../../../../shared/compile/compile.js';
import { resolveProjectPath } from '../../../../shared/graph/projectPaths.js';
import { serializeProject } from '../../../../shared/graph/serialization.js';
import { CallbackList, type BatchEnd, type EpochEnd, type TrainingLoop } from '../../../../shared/training/callbacks.js';
import type { DatasetTargetInfo, SkippedFile } from '../../../../shared/training/dataset.js';
import { kerasEngineLabel, kerasVersionProblem, type KerasVersions } from '../../../../shared/training/kerasVersions.js';
import { checkLoss, outputHead, resolveLoss, suggestLoss } from '../../../../shared/training/lossCheck.js';
import { resolveMonitor, selectMetrics } from '../../../../shared/training/monitor.js';
import { workersProblem, type RunSummary, type TrainingJob } from '../../../../shared/training/protocol.js';
import { TFJS_LOSS, TFJS_METRIC } from '../../../../shared/training/compileTable.js';
import { scanDatasetPath } from '../../datasetService.js';
import { prepareDataset } from '../../datasets/pipeline.js';
import { createRunDir, currentProcess, loadWeightsInto, resumeNote, saveModel, writeJson } from '../../runsService.js';
import { classifyTrainingError, finalEvaluation, makeOptimizer, modelInput, readResumePoint, type EngineHooks, type LoopInput } from '../../trainingEngine.js';
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

/** The Python process died before the training ended: the run is recorded as interrupted. */
class Interrupted extends TrainingError {
  constructor(
    message: string,
    readonly resumable: boolean,
  ) {
    super('crash', message);
  }
}

/** A message of the driver (driver.ts documents them). */
type DriverMessage =
  | ({ type: 'versions' } & KerasVersions)
  | { type: 'begin'; epochs: number; steps: number }
  | { type: 'batch'; epoch: number; batch: number; batches: number; logs: Record<string, number | string>; seconds: number }
  | { type: 'epoch'; epoch: number; logs: Record<string, number | string>; learning_rate: number; seconds: number; train_seconds: number; validation_seconds: number; weights: string; wait: number | null }
  | { type: 'stopped'; epoch: number; batch: number; weights: string }
  | { type: 'end'; weights: string }
  | { type: 'error'; message: string }
  | { type: 'position'; step: number };

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

/** One process of the driver (one worker of a multi-worker run). */
interface Worker {
  readonly index: number;
  readonly proc: ChildProcess;
  readonly logPath: string;
  /** A non-chief's own folder (its scratch and model.py's copies), removed at the end. */
  readonly folder: string | null;
  /** The last line it wrote to its log, to name what it was doing when it ended. */
  lastLine: string;
  /** What its driver reported as the program's failure. */
  error: string | null;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly logClosed: Promise<void>;
}

/** Distinct free TCP ports on 127.0.0.1 (held together while chosen, so no two are the same). */
async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<Server>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** The message for a multi-worker run ended by one of its workers. */
function lostWorker(w: Worker, workers: number, address: string | undefined, code: number | null, signal: NodeJS.Signals | null): string {
  const how = signal ? `was killed (${signal})` : w.error ? `failed (${w.error})` : `exited with code ${code}`;
  const last = w.lastLine ? `its last log line: "${w.lastLine}"` : 'it wrote no log line';
  return `worker ${w.index}${w.index === 0 ? ' (the chief)' : ''} of ${workers} (Python process ${w.proc.pid ?? '?'}, ${address ?? 'loopback'}) ${how} before the training ended; ${last}. Every other worker was stopped (a multi-worker run cannot go on without one of its workers). Its log is ${w.logPath}.`;
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
  // The driver's processes: one, or one per worker of a multi-worker run (worker 0, the chief, first).
  const procs: Worker[] = [];
  const killAll = () => {
    for (const w of procs) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
  };
  const writeSummary = async (patch: Partial<RunSummary>) => {
    if (!summary || !runDir) return;
    summary = { ...summary, ...patch };
    const { history, ...rest } = summary;
    void history;
    await writeJson(join(runDir, 'run.json'), rest);
  };
  try {
    const settings = job.settings;
    const workers = job.workers ?? 1;
    const workersRefused = workersProblem(workers, 'keras');
    if (workersRefused) throw new TrainingError('backend', workersRefused);
    const multi = workers > 1;
    // Until the driver reports its versions.
    let engineDescription = 'Keras (Python)';
    let engineLabel = 'Keras';

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
    if (!job.resumeFrom && job.doc.initialWeights) {
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

    // Resume: the checkpoint's weights and position (either engine's run). Keras starts at its
    // epoch (fit's initial_epoch) and its EarlyStopping takes over the best value and the wait.
    const resumed = job.resumeFrom ? await readResumePoint(job.resumeFrom, model, tf) : null;
    if (resumed) {
      const { state } = resumed;
      epochsCompleted = state.epochsDone;
      log('info', `${job.resumeFrom} trained on the ${resumed.engine === 'keras' ? 'Keras' : 'tfjs'} engine: its weights and position (epoch ${state.epochsDone}, early stopping's best and wait) carry over; the optimizer's state starts afresh (Keras builds its own optimizer in model.py, so the checkpoint's moments are not carried over).`);
      if (state.batchesDone) log('info', `The checkpoint was taken at batch ${state.batchesDone} of epoch ${state.epochsDone + 1}: Keras trains that epoch again from its first batch, starting from the weights trained so far.`);
    }

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
      epochsCompleted: resumed?.state.epochsDone ?? 0,
      history: resumed?.history ?? [],
      finalMetrics: {},
      dir,
      projectName: job.doc.name,
      projectFile: job.projectFile,
      datasetPath: job.datasetPath,
      backend: engineDescription,
      engine: 'keras',
      loss,
      settings,
      ...(job.resumeFrom ? { resumedFrom: job.resumeFrom } : {}),
      trainSamples: trainIds.length,
      validationSamples: valIds.length,
      ...currentProcess(),
    };
    await writeFile(join(dir, 'graph.layerloom'), serializeProject(job.doc));
    await writeJson(join(dir, 'preprocessing.json'), data.preprocessing);
    await writeJson(join(dir, 'history.json'), resumed?.history ?? []);
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
    // A multi-worker run: model.py's own tf.distribute path, each worker with its TF_CONFIG.
    const addresses = multi ? (await freeLoopbackPorts(workers)).map((port) => `127.0.0.1:${port}`) : [];
    const argv = [
      ...['--data', job.datasetPath, '--epochs', String(settings.epochs), '--batch-size', String(settings.batchSize), '--weights', join(kerasDir, KERAS_WEIGHTS_FILE), '--output', join(kerasDir, 'output')],
      ...(multi ? ['--distribute', 'multiworker'] : []),
      ...(job.modelArgs ?? []),
    ];
    const scratch = join(kerasDir, 'scratch');
    const es = settings.earlyStopping;
    let earlyStopping: Record<string, unknown> | null = null;
    if (resumed && es.enabled) {
      const { best, wait } = resumed.state;
      earlyStopping = { wait, best: best?.value ?? null, best_epoch: best ? best.epoch - 1 : 0, best_weights: null };
      // Keras restores the best weights at the end: those of the run resumed from, while no later epoch beats them.
      if (best && es.restoreBestWeights) {
        const bestModel = compileModel(job.doc, tf, { seed: settings.seed }).model;
        try {
          await loadWeightsInto(bestModel, join(job.resumeFrom as string, 'checkpoints', 'best', 'model'), tf);
          await writeFile(join(kerasDir, 'best-start.npz'), encodeNpz(kerasWeightEntries(bestModel, plan)));
          earlyStopping.best_weights = join(kerasDir, 'best-start.npz');
        } catch {
          log('warning', `${job.resumeFrom} has no best checkpoint to restore at the end; early stopping keeps the best weights from this run on.`);
        } finally {
          bestModel.dispose();
        }
      }
    }
    const resume = resumed ? { initial_epoch: resumed.state.epochsDone, early_stopping: earlyStopping } : null;
    const config = { model: join(kerasDir, 'model.py'), argv, scratch, interval_ms: job.progressIntervalMs ?? 100, workers, ...(resume ? { resume } : {}) };
    await writeJson(join(kerasDir, 'driver.json'), config);
    for (let i = 1; i < workers; i++) {
      // A non-chief writes nothing the run keeps: its copies go to its own folder, removed at the end.
      const own = join(kerasDir, `worker-${i}`);
      await mkdir(own, { recursive: true });
      await writeJson(join(kerasDir, `driver-worker-${i}.json`), { ...config, scratch: join(own, 'scratch'), chief: false });
    }

    const batchSize = settings.batchSize;
    // Keras says how many steps an epoch has when it begins (batchesPerEpoch is updated then).
    const loop: { -readonly [K in keyof TrainingLoop]: TrainingLoop[K] } = {
      epochs: settings.epochs,
      startEpoch: resumed?.state.epochsDone ?? 0,
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
    // Keras's EarlyStopping counts the wait; the driver sends it with each epoch.
    let kerasWait = resumed?.state.wait ?? 0;
    const checkpoint = new ModelCheckpoint(fitted, optimizer, tf, { runDir: dir, monitor, best: resumed?.state.best ?? null, schedule: () => loop.learningRate, wait: () => kerasWait });
    const history = new RunHistory({ runDir: dir, previous: resumed?.history ?? [], bestEpoch: () => checkpoint.best?.epoch, writeSummary });
    const callbacks = new CallbackList([
      new NanGuard(() => checkpoint.failureNote(job.resumeFrom)),
      checkpoint,
      history,
      new Progress({ runId, emit: (e) => hooks.emit(e), intervalMs: job.progressIntervalMs ?? 100, validationBatches: Math.ceil(valIds.length / batchSize), improved: () => checkpoint.improved }),
      { onEpochEnd: (end: EpochEnd) => void (epochsCompleted = end.epoch + 1) },
    ]);

    // The driver: one process, or one per worker (each with its TF_CONFIG; worker 0 is the chief).
    const logPath = join(dir, 'keras.log');
    const said: { failure: Error | null; programError: string | null; ended: boolean; stoppedAt: { epoch: number; batch: number } | null; lost: string | null; lostWorker: Worker | null } = { failure: null, programError: null, ended: false, stoppedAt: null, lost: null, lostWorker: null };
    let spawnError: Error | null = null;
    let onChiefLine: (line: string) => void = () => undefined;
    // Multi-worker stop: every worker's last finished step; all of them stop one step past the largest.
    const positions = new Map<number, number>();
    const onPosition = (index: number, step: number) => {
      positions.set(index, step);
      if (positions.size !== workers) return;
      const target = Math.max(...positions.values()) + 1;
      for (const w of procs) w.proc.stdin?.write(`stop-at ${target}\n`);
    };
    for (let index = 0; index < workers; index++) {
      const own = index === 0 ? null : join(kerasDir, `worker-${index}`);
      const env = {
        ...pythonEnv(),
        ...(multi ? { TF_CONFIG: JSON.stringify({ cluster: { worker: addresses }, task: { type: 'worker', index } }) } : {}),
        // model.py's non-chief copies (tempfile.mkdtemp) land in the worker's own folder.
        ...(own ? { TMPDIR: own, TEMP: own, TMP: own } : {}),
      };
      const configPath = join(kerasDir, index === 0 ? 'driver.json' : `driver-worker-${index}.json`);
      const proc = spawn(python, [join(kerasDir, 'driver.py'), configPath], { cwd: kerasDir, env, stdio: ['pipe', 'pipe', 'pipe'] });
      const workerLog = index === 0 ? logPath : join(dir, `keras-worker-${index}.log`);
      const logFile = createWriteStream(workerLog);
      const w: Worker = {
        index,
        proc,
        logPath: workerLog,
        logClosed: new Promise<void>((r) => logFile.on('close', () => r())),
        folder: own,
        lastLine: '',
        error: null,
        exited: new Promise((resolve) => proc.on('close', (code, signal) => resolve({ code, signal }))),
      };
      procs.push(w);
      proc.on('error', (e) => {
        spawnError ??= e;
        killAll();
      });
      proc.stdin.on('error', () => undefined);
      proc.stderr.pipe(logFile);
      let partial = '';
      proc.stderr.on('data', (d: Buffer) => {
        const lines = (partial + d.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines.map((l) => l.trim()).filter(Boolean)) {
          w.lastLine = line;
          if (index === 0 && multi && line.startsWith('Replicas in sync:')) log('info', line);
        }
      });
      createInterface({ input: proc.stdout }).on('line', (line) => {
        if (!line.startsWith('{')) return;
        let message: DriverMessage;
        try {
          message = JSON.parse(line) as DriverMessage;
        } catch {
          return;
        }
        if (message.type === 'error') w.error = message.message;
        // Answered at once, not after the chief's queue of messages: every worker holds meanwhile.
        if (message.type === 'position') onPosition(index, message.step);
        else if (index === 0) onChiefLine(line);
      });
      void w.exited.then(({ code, signal }) => {
        // A multi-worker run cannot go on without any of its workers: the others would wait in
        // the next collective. The first to end badly is the one named.
        if (!multi || (code === 0 && signal === null) || said.lost !== null || said.failure) return;
        said.lost = lostWorker(w, workers, addresses[index], code, signal);
        said.lostWorker = w;
        killAll();
      });
    }
    const chief = procs[0];
    log(
      'info',
      multi
        ? `Keras engine: ${workers} workers of one multi-worker run on ${addresses.join(', ')} (Python processes ${procs.map((w) => w.proc.pid ?? '?').join(', ')}; worker 0, the chief, reports progress and writes the run folder) run ${join(kerasDir, 'model.py')}; their logs are ${procs.map((w) => w.logPath).join(', ')}.`
        : `Keras engine: Python process ${chief.proc.pid ?? '?'} runs ${join(kerasDir, 'model.py')}; its log is ${logPath}.`,
    );
    let stopSent = false;
    const stopPoll = setInterval(() => {
      if (!stopSent && hooks.stopRequested()) {
        stopSent = true;
        for (const w of procs) w.proc.stdin?.write('stop\n');
      }
    }, 50);
    // What the driver said (a closure writes it, so it is an object TypeScript does not narrow).
    let seenInEpoch = 0;
    let currentEpoch = -1;
    let chain = Promise.resolve();
    const handle = async (message: DriverMessage) => {
      switch (message.type) {
        case 'versions': {
          // The driver reports what it imported before it imports model.py.
          const problem = kerasVersionProblem(message);
          if (problem) throw new TrainingError('backend', `${problem} (Python interpreter "${python}"). ${INSTALL}`);
          // A worker of a multi-worker run lists no devices (that would start TensorFlow before
          // its strategy): the run says how many workers instead.
          engineDescription = multi ? `${describeKeras({ ...message, devices: [] }).replace(/ on CPU$/, '')} on ${workers} local workers` : describeKeras(message);
          engineLabel = kerasEngineLabel(message);
          // model.py says it too, but into keras.log: the person who asked should see it.
          // (A multi-worker run's workers list no devices: its workers' logs say it.)
          if (!multi && job.modelArgs?.includes('--mixed-precision') && !(message.devices ?? []).some((d) => d.endsWith('(GPU)'))) log('warning', MIXED_PRECISION_CPU_NOTICE);
          await writeSummary({ backend: engineDescription, engineLabel });
          break;
        }
        case 'begin':
          loop.batchesPerEpoch = message.steps || loop.batchesPerEpoch;
          await callbacks.onTrainBegin(loop);
          hooks.emit({ kind: 'started', runId, startedAt, epochs: settings.epochs, batchesPerEpoch: loop.batchesPerEpoch, trainSamples: trainIds.length, validationSamples: valIds.length, backend: engineDescription, engineLabel, runDir: dir, loss, lossReason, classes: data.classes, startEpoch: loop.startEpoch });
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
          kerasWait = message.wait ?? 0;
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
    onChiefLine = (line) => {
      chain = chain.then(async () => {
        if (said.failure) return;
        try {
          await handle(JSON.parse(line) as DriverMessage);
        } catch (e) {
          // The NaN guard (or a checkpoint that cannot be written) ends the run: stop Python too.
          said.failure = e instanceof Error ? e : new Error(String(e));
          killAll();
        }
      });
    };
    const outcomes = await Promise.all(procs.map((w) => w.exited));
    clearInterval(stopPoll);
    if (spawnError) throw new TrainingError('backend', noPython(python, (spawnError as Error).message));
    const outcome = outcomes[0];
    await chain;
    await Promise.all(procs.map((w) => w.logClosed));
    if (said.failure) throw said.failure;
    if (said.lost !== null && said.lostWorker?.error) {
      // The program failed on a worker (bad data, a bad option): a failure, not an interruption.
      const note = await checkpoint.failureNote(undefined);
      const kept = note.startsWith('No checkpoint') ? 'No checkpoint was written.' : note.replace('The last good checkpoint', 'The last checkpoint');
      throw new TrainingError('internal', `The Keras program failed: ${said.lost} ${kept}`);
    }
    if (said.lost !== null) {
      // Like a killed process: the run is interrupted and resumes from its last checkpoint.
      const { resumable, note } = await resumeNote(dir, { projectFile: job.projectFile, datasetPath: job.datasetPath });
      throw new Interrupted(`Interrupted: ${said.lost}${resumable ? ' ' : ' The run stopped '}${note}${resumable ? ` --engine keras --workers ${workers}` : ''}`, resumable);
    }
    if (said.programError !== null || outcome.code !== 0 || !said.ended) {
      if (said.programError !== null) {
        const note = await checkpoint.failureNote(undefined);
        const kept = note.startsWith('No checkpoint') ? 'No checkpoint was written.' : note.replace('The last good checkpoint', 'The last checkpoint');
        throw new TrainingError('internal', `The Keras program failed: ${said.programError}. The full log is in ${logPath}. ${kept}`);
      }
      // The process died (killed, out of memory) rather than the program failing: the run is
      // interrupted, as when the worker itself dies, and resumes from its last checkpoint.
      const how = outcome.signal ? `was killed (${outcome.signal})` : `exited with code ${outcome.code}`;
      const { resumable, note } = await resumeNote(dir, { projectFile: job.projectFile, datasetPath: job.datasetPath });
      throw new Interrupted(`Interrupted: the Keras engine's Python process ${how}${resumable ? '. ' : ' '}${note} Its log is in ${logPath}.`, resumable);
    }
    await rm(scratch, { recursive: true, force: true });

    // A stop mid-epoch keeps the batches trained so far, to resume from that batch.
    const stopped = stopSent;
    const position = said.stoppedAt;
    await callbacks.onTrainEnd(position ? { reason: 'requested', epochsDone: position.epoch, batchesDone: position.batch } : { reason: stopped ? 'requested' : 'completed', epochsDone: epochsCompleted, batchesDone: 0 }, loop);
    if (position) log('info', `Stopped at epoch ${position.epoch + 1}, batch ${position.batch} of ${loop.batchesPerEpoch}; the model so far is saved.`);

    await saveModel(fitted, join(dir, 'model'), tf);
    // Keras applied the constraints while it trained; this input only evaluates.
    const input: LoopInput = { tf, model: fitted, constraints: [], data, loss, outUnits, names, settings, split: () => ({ train: trainIds, validation: valIds }), reportFailed: (failed: readonly SkippedFile[]) => failed.length, afterEpochData: async () => undefined, hooks };
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
    killAll();
    const error = classifyTrainingError(e, job.settings);
    const interrupted = e instanceof Interrupted ? { status: 'interrupted' as const, resumable: e.resumable } : { status: 'failed' as const };
    await writeSummary({ ...interrupted, finishedAt: new Date().toISOString(), error, message: error.message, epochsCompleted }).catch(() => undefined);
    hooks.emit({ kind: 'finished', runId, status: 'failed', message: error.message, error, finalMetrics: {}, ...(runDir ? { runDir } : {}), epochsCompleted });
    return summary;
  } finally {
    heartbeat?.stop();
    // Every worker has ended (killed ones within moments) before their own folders go.
    killAll();
    await Promise.race([Promise.all(procs.map((w) => w.exited)), new Promise((r) => setTimeout(r, 10_000))]);
    for (const w of procs) if (w.folder) await rm(w.folder, { recursive: true, force: true }).catch(() => undefined);
    model?.dispose();
    optimizer?.dispose();
  }
}

