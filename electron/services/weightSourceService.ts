/**
 * Resolves a weight source (shared/training/weightSource.ts) against a project's run folders: which
 * runs are usable with the current graph (completed or stopped, with a checkpoint whose saved
 * weights fit the graph by name and shape), which one `best` and `latest` name, and the model
 * folder to read. The CLI, the editor API and the export service all come through here.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { compileModel } from '../../shared/compile/compile.js';
import { resolveProjectPath } from '../../shared/graph/projectPaths.js';
import type { ProjectDocument } from '../../shared/graph/document.js';
import type { RunSummary } from '../../shared/training/protocol.js';
import {
  initialProvenance,
  pickRuns,
  runProvenance,
  runScore,
  USABLE_RUN_STATUSES,
  WeightSourceError,
  weightsMismatch,
  type CheckpointChoice,
  type RunCandidate,
  type WeightChoices,
  type WeightProvenance,
  type WeightSource,
  type WeightSpec,
} from '../../shared/training/weightSource.js';
import { listRuns } from './runsService.js';

type TF = typeof tfjs;

/** Where to look for runs, and the graph they must fit. */
export interface WeightContext {
  readonly doc: ProjectDocument;
  /** The project file (its runs are `runs/` beside it); null for an unsaved project. */
  readonly projectPath: string | null;
  /** A runs folder to use instead of the project's. */
  readonly runsDir?: string;
  readonly tf: TF;
}

/** A resolved source: the model folder to read (null for the initial weights) and its provenance. */
export interface ResolvedWeights {
  readonly modelDir: string | null;
  /** The run folder (for its preprocessing.json), when the weights come from a run. */
  readonly runDir: string | null;
  readonly provenance: WeightProvenance;
  /** Runs passed over and why, for the user. */
  readonly notes: readonly string[];
}

/** The model folder of a run's checkpoint: `checkpoints/<which>/model`. */
function checkpointModelDir(runDir: string, checkpoint: CheckpointChoice): string {
  return join(runDir, 'checkpoints', checkpoint, 'model');
}

const exists = (p: string) => stat(p).then(() => true, () => false);

/** The weights (name, shape) a saved tfjs model folder holds, from its model.json alone. */
async function savedWeightSpecs(modelDir: string): Promise<WeightSpec[]> {
  const json = JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8')) as { weightsManifest?: { weights?: { name: string; shape: number[] }[] }[] };
  if (!Array.isArray(json.weightsManifest)) throw new Error(`${join(modelDir, 'model.json')} has no weights manifest`);
  return json.weightsManifest.flatMap((g) => g.weights ?? []).map((w) => ({ name: w.name, shape: w.shape }));
}

/** The weights (original name, shape) the current graph's model has. */
function graphWeightSpecs(doc: ProjectDocument, tf: TF): WeightSpec[] {
  const { model } = compileModel(doc, tf);
  try {
    // Weight shapes are fully known once the model is built.
    return model.weights.map((w) => ({ name: w.originalName, shape: w.shape.map((d) => d ?? -1) }));
  } finally {
    model.dispose();
  }
}

/** One run judged as a weight source for a graph with `graph` weights. */
async function candidate(run: RunSummary, graph: readonly WeightSpec[] | null): Promise<RunCandidate> {
  const checkpoints = {
    best: await exists(join(checkpointModelDir(run.dir, 'best'), 'model.json')),
    last: await exists(join(checkpointModelDir(run.dir, 'last'), 'model.json')),
  };
  const base = {
    id: run.id,
    ...(run.name ? { name: run.name } : {}),
    startedAt: run.startedAt,
    status: run.status,
    dir: run.dir,
    best: runScore(run, 'best'),
    last: runScore(run, 'last'),
    checkpoints,
  };
  let why: string | null = null;
  if (!USABLE_RUN_STATUSES.includes(run.status)) {
    why = run.status === 'running' ? 'it is still training' : run.status === 'failed' ? `it failed${run.error ? ` (${run.error.code})` : ''}` : 'it was interrupted before it finished';
  } else if (!checkpoints.best && !checkpoints.last) {
    why = 'it has no checkpoint (it ended before its first epoch)';
  } else if (graph) {
    const folder = checkpointModelDir(run.dir, checkpoints.best ? 'best' : 'last');
    why = await savedWeightSpecs(folder).then(
      (saved) => weightsMismatch(graph, saved),
      (e: unknown) => `its checkpoint cannot be read: ${(e as Error).message}`,
    );
  }
  return { ...base, usable: why === null, why };
}

/**
 * Every run of the project as a weight source, newest first, with which ones `best` and `latest`
 * pick. A run whose weights do not fit the current graph is listed with why.
 */
export async function listWeightChoices(ctx: WeightContext): Promise<WeightChoices> {
  const runs = await listRuns(ctx.runsDir ? { runsDir: ctx.runsDir } : ctx.projectPath);
  let graph: WeightSpec[] | null = null;
  try {
    graph = graphWeightSpecs(ctx.doc, ctx.tf);
  } catch {
    // A graph with errors fits nothing; each run says so below.
  }
  const candidates: RunCandidate[] = [];
  for (const run of runs) {
    const c = await candidate(run, graph);
    candidates.push(graph || !c.usable ? c : { ...c, usable: false, why: 'the current graph has errors, so no weights can be checked against it' });
  }
  return { runs: candidates, ...pickRuns(candidates) };
}

/**
 * The project's own initial weights (format 2's `initialWeights`: the weights an imported model came
 * with), as a weight source; null when the project has none. They rank below `--weights` / `--run`
 * and above the seeded initialisers.
 */
export function importedInitialWeights(ctx: Pick<WeightContext, 'doc' | 'projectPath'>): ResolvedWeights | null {
  if (!ctx.doc.initialWeights || !ctx.projectPath) return null;
  const modelDir = resolveProjectPath(ctx.doc.initialWeights, ctx.projectPath);
  return {
    modelDir,
    runDir: null,
    provenance: { source: 'folder', args: `--weights ${modelDir}`, label: `the project's initial weights (${ctx.doc.initialWeights})`, path: modelDir },
    notes: [],
  };
}

/** Runs passed over, one line each, for notes. */
function passedOver(choices: WeightChoices): string[] {
  return choices.runs.filter((r) => !r.usable).map((r) => `Run ${r.id} was not considered: ${r.why ?? 'unknown'}.`);
}

/**
 * Resolves a weight source to a model folder and its provenance. `run` sources name a run that is
 * usable with the current graph; a missing checkpoint or an unusable run is an error naming why and
 * what to do. `folder` sources are read as given (their fit is checked when they are loaded).
 */
export async function resolveWeightSource(source: WeightSource, ctx: WeightContext): Promise<ResolvedWeights> {
  if (source.kind === 'initial') {
    // The initial weights of an imported model are the ones it came with, unless a seed is named.
    const imported = source.seed === undefined ? importedInitialWeights(ctx) : null;
    return imported ?? { modelDir: null, runDir: null, provenance: initialProvenance(source.seed), notes: [] };
  }
  if (source.kind === 'folder') {
    const path = resolve(source.path);
    const modelDir = path.endsWith('.json') ? resolve(path, '..') : path;
    if (!(await exists(join(modelDir, 'model.json')))) {
      throw new WeightSourceError(`--weights ${source.path}: there is no model.json in ${modelDir}. Give the folder of a saved model (for a run: runs/<id>/checkpoints/best/model).`);
    }
    return { modelDir, runDir: null, provenance: { source: 'folder', args: `--weights ${modelDir}`, label: `saved model ${modelDir}`, path: modelDir }, notes: [] };
  }
  const choices = await listWeightChoices(ctx);
  const where = ctx.runsDir ?? (ctx.projectPath ? join(resolve(ctx.projectPath, '..'), 'runs') : 'the unsaved project’s runs');
  let id: string | null;
  if (source.run === 'best' || source.run === 'latest') {
    id = source.run === 'best' ? choices.best : choices.latest;
    if (!id) {
      const why = choices.runs.length ? ` ${passedOver(choices).join(' ')}` : '';
      throw new WeightSourceError(`--run ${source.run}: no completed or stopped run in ${where} fits the current graph.${why} Train the model, or export the initial weights (leave out --run).`);
    }
  } else {
    id = source.run;
  }
  const run = choices.runs.find((r) => r.id === id);
  if (!run) {
    const known = choices.runs.map((r) => r.id);
    throw new WeightSourceError(`--run ${source.run}: there is no run with that id in ${where}.${known.length ? ` Runs: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''}.` : ' It has no runs.'}`);
  }
  if (!run.usable) throw new WeightSourceError(`--run ${run.id}: its weights cannot be used: ${run.why ?? 'unknown'}.`);
  if (!run.checkpoints[source.checkpoint]) {
    const other: CheckpointChoice = source.checkpoint === 'best' ? 'last' : 'best';
    throw new WeightSourceError(`--run ${run.id} has no ${source.checkpoint} checkpoint${run.checkpoints[other] ? `; use --checkpoint ${other}` : ''}.`);
  }
  const modelDir = checkpointModelDir(run.dir, source.checkpoint);
  const notes = source.run === 'best' || source.run === 'latest' ? passedOver(choices) : [];
  return { modelDir, runDir: run.dir, provenance: runProvenance(run, source.checkpoint, modelDir), notes };
}
