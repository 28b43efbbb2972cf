/**
 * Run folders: one per training, `runs/<timestamp>/` beside the project file (or under `--out`).
 *
 *   run.json            RunSummary: status, settings, backend, loss, best epoch, final metrics
 *   history.json        per-epoch metrics (EpochRecord[])
 *   graph.layerloom     the graph that was trained (a normal project file)
 *   preprocessing.json  how raw data becomes model input (classes, image size, CSV scaling, vocabulary)
 *   evaluation.json     final evaluation (accuracy, per-class precision/recall, confusion matrix)
 *   model/              the final model, tfjs layers format (model.json + weights.bin)
 *   checkpoints/last/   model + optimizer state + position, written every epoch (and on stop)
 *   checkpoints/best/   the best epoch so far on the early-stopping monitor
 *   heartbeat.json      while training: the training process's id, machine and last sign of life
 *
 * A run whose process died without recording its end (killed with its CLI or app) still says
 * `running` in run.json; {@link readRun} finds it from the heartbeat (dead process id, or a
 * heartbeat older than HEARTBEAT_STALE_MS) and reports it, and records it, as `interrupted`.
 *
 * Models are written through a tfjs IOHandler of our own (`tf.io.withSaveHandler`), so saving
 * works the same on every backend, and read back with `tf.loadLayersModel` and a load handler.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { TF } from '../../shared/compile/tfTypes.js';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_STALE_MS, type EpochRecord, type RunHeartbeat, type RunSummary } from '../../shared/training/protocol.js';
import { writeFileAtomic } from './projectService.js';
import { errnoOf, processAlive } from './osUtil.js';

type LayersModel = Awaited<ReturnType<TF['loadLayersModel']>>;
type Optimizer = ReturnType<TF['train']['adam']>;
type ModelArtifacts = Parameters<Parameters<TF['io']['withSaveHandler']>[0]>[0];
type WeightsManifestEntry = NonNullable<ModelArtifacts['weightSpecs']>[number];

/** Where the runs of a project live: `<project folder>/runs`, or a per-user folder for unsaved projects. */
export function defaultRunsDir(projectPath: string | null): string {
  return projectPath ? join(dirname(resolve(projectPath)), 'runs') : join(homedir(), '.layerloom', 'unsaved-runs');
}

/** A sortable, file-name-safe run id from a time: `2026-11-29T10-15-30-123Z`. */
export function runIdFor(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/** Creates a fresh run folder; appends `-2`, `-3`… when the id is taken. Returns id and path. */
export async function createRunDir(runsDir: string, id: string): Promise<{ id: string; dir: string }> {
  await mkdir(runsDir, { recursive: true });
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? id : `${id}-${n}`;
    const dir = join(runsDir, candidate);
    try {
      await mkdir(dir);
      return { id: candidate, dir };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Writes JSON atomically (pretty, trailing newline). NaN/Infinity become null. */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

function joinBuffers(data: ModelArtifacts['weightData']): Buffer {
  if (!data) return Buffer.alloc(0);
  const parts = Array.isArray(data) ? data : [data];
  return Buffer.concat(parts.map((b) => Buffer.from(b)));
}

/**
 * Saves a model in tfjs layers format: `dir/model.json` (topology + weights manifest) and
 * `dir/weights.bin`. Written to a temp folder and renamed, so a crash never leaves half a model.
 */
export async function saveModel(model: LayersModel, dir: string, tf: TF): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  await mkdir(tmp, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = joinBuffers(artifacts.weightData);
      const modelJson = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFileAtomic(join(tmp, 'model.json'), JSON.stringify(modelJson));
      await writeFileAtomic(join(tmp, 'weights.bin'), weights);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs).length,
          weightDataBytes: weights.length,
        },
      };
    }),
  );
  // The old folder is first renamed aside (atomic, unlike a recursive rm another save could refill);
  // another save of the same folder may land in between, then this one moves that aside too.
  for (let attempt = 0; ; attempt++) {
    const old = `${dir}.old-${process.pid}-${randomBytes(6).toString('hex')}`;
    const moved = await rename(dir, old).then(
      () => true,
      (e: unknown) => {
        if (errnoOf(e) === 'ENOENT') return false;
        throw e;
      },
    );
    try {
      await rename(tmp, dir);
      return;
    } catch (e) {
      const code = errnoOf(e);
      if (attempt >= 20 || (code !== 'ENOTEMPTY' && code !== 'EEXIST')) {
        await rm(tmp, { recursive: true, force: true });
        throw e;
      }
    } finally {
      if (moved) await rm(old, { recursive: true, force: true });
    }
  }
}

/** Reads `dir/model.json` + its weight files as tfjs model artifacts. */
export async function readModelArtifacts(dir: string): Promise<ModelArtifacts> {
  const json = await readJson<{
    format?: string;
    generatedBy?: string;
    convertedBy?: string | null;
    modelTopology: ModelArtifacts['modelTopology'];
    weightsManifest: { paths: string[]; weights: WeightsManifestEntry[] }[];
  }>(join(dir, 'model.json'));
  const specs: WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(await readFile(join(dir, p)));
  }
  const all = Buffer.concat(buffers);
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
    weightSpecs: specs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  };
}

/** Loads a saved model (`dir/model.json`) with `tf.loadLayersModel`. */
export async function loadModel(dir: string, tf: TF): Promise<LayersModel> {
  const artifacts = await readModelArtifacts(dir);
  return tf.loadLayersModel({ load: async () => artifacts });
}

/** Copies saved weights into a model with the same architecture (matched by order and shape). */
export async function loadWeightsInto(model: LayersModel, dir: string, tf: TF): Promise<void> {
  const artifacts = await readModelArtifacts(dir);
  const named = tf.io.decodeWeights(artifacts.weightData as ArrayBuffer, artifacts.weightSpecs ?? []);
  const specs = artifacts.weightSpecs ?? [];
  const weights = model.weights;
  if (specs.length !== weights.length) {
    Object.values(named).forEach((t) => t.dispose());
    throw new Error(`the checkpoint has ${specs.length} weight arrays but the model has ${weights.length}; was the graph changed?`);
  }
  const values = specs.map((s, i) => {
    const t = named[s.name];
    const want = weights[i].shape;
    if (t.shape.join(',') !== want.join(',')) {
      throw new Error(`weight ${i} (${s.name}) has shape [${t.shape.join(', ')}] in the checkpoint but [${want.join(', ')}] in the model; was the graph changed?`);
    }
    return t;
  });
  model.setWeights(values);
  Object.values(named).forEach((t) => t.dispose());
}

/** Saves an optimizer's state (iterations, moments) as `optimizer.json` + `optimizer.bin`. */
export async function saveOptimizer(optimizer: Optimizer, dir: string, tf: TF): Promise<void> {
  const weights = await optimizer.getWeights();
  const { data, specs } = await tf.io.encodeWeights(weights);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, 'optimizer.bin'), Buffer.from(data));
  await writeJson(join(dir, 'optimizer.json'), { className: optimizer.getClassName(), weights: specs });
}

/** Restores optimizer state saved by {@link saveOptimizer}. */
export async function loadOptimizer(optimizer: Optimizer, dir: string, tf: TF): Promise<void> {
  const meta = await readJson<{ className: string; weights: WeightsManifestEntry[] }>(join(dir, 'optimizer.json'));
  if (meta.className !== optimizer.getClassName()) {
    throw new Error(`the checkpoint's optimizer is ${meta.className}, the settings ask for ${optimizer.getClassName()}; resume with the same optimizer.`);
  }
  const buf = await readFile(join(dir, 'optimizer.bin'));
  const decoded = tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), meta.weights);
  await optimizer.setWeights(meta.weights.map((w) => ({ name: w.name, tensor: decoded[w.name] })));
}

/** Position of a checkpoint in the run: the next epoch/batch to train and the learning rate. */
export interface CheckpointState {
  /** Epochs fully trained. */
  readonly epochsDone: number;
  /** Batches already trained of the next epoch (a stop mid-epoch); 0 at an epoch boundary. */
  readonly batchesDone: number;
  readonly learningRate: number;
  /** Best monitored value so far and its epoch (for early stopping across a resume). */
  readonly best: { readonly epoch: number; readonly value: number } | null;
  readonly wait: number;
}

/** Writes a checkpoint: model, optimizer state and position. */
export async function saveCheckpoint(dir: string, model: LayersModel, optimizer: Optimizer, state: CheckpointState, tf: TF): Promise<void> {
  await mkdir(dir, { recursive: true });
  await saveModel(model, join(dir, 'model'), tf);
  await saveOptimizer(optimizer, dir, tf);
  await writeJson(join(dir, 'state.json'), state);
}

/** Reads a checkpoint's position. */
export async function readCheckpointState(dir: string): Promise<CheckpointState> {
  return readJson<CheckpointState>(join(dir, 'state.json'));
}

/** Who this process is, as recorded in run.json and heartbeat.json. */
export function currentProcess(): { pid: number; host: string } {
  return { pid: process.pid, host: hostname() };
}

/**
 * Writes `dir/heartbeat.json` now and every `intervalMs` until the returned function is called.
 * The timer does not keep the process alive; a failed write is retried at the next beat.
 */
export function startHeartbeat(dir: string, intervalMs = HEARTBEAT_INTERVAL_MS): () => void {
  const beat = () => {
    const hb: RunHeartbeat = { ...currentProcess(), at: Date.now() };
    // A plain write: a torn read only makes readRun fall back to run.json's pid and time.
    void writeFile(join(dir, 'heartbeat.json'), JSON.stringify(hb) + '\n').catch(() => undefined);
  };
  beat();
  const timer = setInterval(beat, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function quote(path: string): string {
  return /^[\w./:@-]+$/.test(path) ? path : JSON.stringify(path);
}

/**
 * What can be done with a run that ended without finishing: whether checkpoints/last holds a
 * checkpoint, and a sentence saying where it is and the command that continues the run (or that
 * there is none).
 */
export async function resumeNote(dir: string, run: Pick<RunSummary, 'projectFile' | 'datasetPath'>): Promise<{ resumable: boolean; note: string }> {
  const state = await readCheckpointState(join(dir, 'checkpoints', 'last')).catch(() => null);
  if (!state || typeof state.epochsDone !== 'number') {
    return { resumable: false, note: 'before its first epoch ended, so no checkpoint was written and it cannot be resumed; train again.' };
  }
  const project = run.projectFile ? quote(run.projectFile) : `${quote(join(dir, 'graph.layerloom'))} --data ${quote(run.datasetPath)}`;
  const where = `after epoch ${state.epochsDone}${state.batchesDone ? `, batch ${state.batchesDone}` : ''}`;
  return { resumable: true, note: `Its last checkpoint (${where}) is kept in checkpoints/last; continue it with: layerloom train ${project} --resume ${quote(dir)}` };
}

/**
 * For a run that says `running`: the interrupted summary when its process is gone (same machine,
 * dead process id) or silent for longer than HEARTBEAT_STALE_MS; null while it may still be alive.
 */
async function interruptedRun(dir: string, run: RunSummary, now = Date.now()): Promise<RunSummary | null> {
  const hb = await readJson<RunHeartbeat>(join(dir, 'heartbeat.json')).catch(() => null);
  const pid = typeof hb?.pid === 'number' ? hb.pid : run.pid;
  const host = typeof hb?.host === 'string' ? hb.host : run.host;
  const lastSeen = typeof hb?.at === 'number' ? hb.at : (await stat(join(dir, 'run.json'))).mtimeMs;
  const dead = pid !== undefined && host === hostname() && !processAlive(pid);
  if (!dead && now - lastSeen <= HEARTBEAT_STALE_MS) return null;
  const how = dead ? `its training process (pid ${pid}) ended without finishing` : `its training process${pid !== undefined ? ` (pid ${pid}${host ? ` on ${host}` : ''})` : ''} has given no sign of life for ${Math.round((now - lastSeen) / 60_000)} minutes`;
  const { resumable, note } = await resumeNote(dir, run);
  const message = `Interrupted: ${how}${resumable ? '. ' : ' '}${note}`;
  return { ...run, status: 'interrupted', finishedAt: new Date(lastSeen).toISOString(), message, resumable };
}

/**
 * Reads one run folder's summary with its history; null when it is not a run folder. A `running`
 * run whose process is gone is returned as `interrupted`, and run.json is updated to say so.
 */
export async function readRun(dir: string): Promise<RunSummary | null> {
  let run: RunSummary;
  try {
    run = await readJson<RunSummary>(join(dir, 'run.json'));
  } catch {
    return null;
  }
  const history = await readJson<EpochRecord[]>(join(dir, 'history.json')).catch(() => run.history ?? []);
  if (run.status === 'running') {
    const interrupted = await interruptedRun(dir, run).catch(() => null);
    if (interrupted) {
      run = interrupted;
      // Best effort (the folder may be read-only); the next listing finds it again anyway.
      await writeJson(join(dir, 'run.json'), interrupted).catch(() => undefined);
    }
  }
  return { ...run, dir: resolve(dir), history };
}

/**
 * Lists runs, newest first. With a project path: the runs beside it that trained that project file;
 * with `{ runsDir }`: every run in that folder.
 */
export async function listRuns(where: string | null | { readonly runsDir: string }): Promise<RunSummary[]> {
  const runsDir = where !== null && typeof where === 'object' ? where.runsDir : defaultRunsDir(where);
  const projectFile = typeof where === 'string' ? basename(where) : null;
  let names: string[];
  try {
    names = await readdir(runsDir);
  } catch {
    return [];
  }
  const runs: RunSummary[] = [];
  for (const name of names) {
    const dir = join(runsDir, name);
    if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) continue;
    const run = await readRun(dir);
    if (!run) continue;
    if (projectFile && run.projectFile && basename(run.projectFile) !== projectFile) continue;
    runs.push(run);
  }
  return runs.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}
