/**
 * Which weights: one grammar for the command line, the editor API and the dialogs.
 *
 *   --run best|latest|<run id>   a run of the project
 *   --checkpoint best|last       a checkpoint within that run (default best)
 *   --weights DIR                a saved model folder (model.json + weights)
 *   (none of them)               the project's initial weights (seeded by --seed)
 *
 * "best" is the run with the best value of its own monitored metric (`val_loss` unless the run
 * watched another; higher is better for accuracies) among completed or stopped runs whose weights
 * fit the current graph. Parsing and ranking are pure and live here; reading run folders and
 * checking the fit is `electron/services/weightSourceService.ts`.
 */
import { higherIsBetter as monitorHigherIsBetter } from './monitor.js';
import type { RunStatus, RunSummary } from './protocol.js';

/** Which checkpoint of a run. `best`: the epoch best on the run's monitored metric; `last`: the last one written. */
export type CheckpointChoice = 'best' | 'last';

/** Every checkpoint choice, for argument validation and pickers. */
export const CHECKPOINT_CHOICES: readonly CheckpointChoice[] = ['best', 'last'];

/** A parsed weight source. */
export type WeightSource =
  | { readonly kind: 'initial'; readonly seed?: number }
  | { readonly kind: 'run'; readonly run: string; readonly checkpoint: CheckpointChoice }
  | { readonly kind: 'folder'; readonly path: string };

/** The weight options as given (command-line flags, or the fields of an API request). */
export interface WeightSourceOptions {
  readonly run?: string;
  readonly checkpoint?: string;
  readonly weights?: string;
  readonly seed?: number;
}

/** A weight source that cannot be parsed; the message names the option and the fix. */
export class WeightSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeightSourceError';
  }
}

/** Run ids are folder names: letters, digits, `.`, `_`, `-`. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Parses the weight options. `--run` and `--weights` exclude each other; `--checkpoint` needs
 * `--run`; `--seed` only applies to the initial weights. Throws {@link WeightSourceError}.
 */
export function parseWeightSource(options: WeightSourceOptions): WeightSource {
  const run = options.run?.trim();
  const weights = options.weights?.trim();
  const checkpoint = options.checkpoint?.trim();
  if (options.run !== undefined && !run) throw new WeightSourceError('--run needs a value: best, latest or a run id (the name of its folder under runs/).');
  if (options.weights !== undefined && !weights) throw new WeightSourceError('--weights needs a folder with a saved model (model.json and its weights).');
  if (run && weights) throw new WeightSourceError(`Give either --run (a run of the project) or --weights (a model folder), not both: got --run ${run} and --weights ${weights}.`);
  if (checkpoint !== undefined && !(CHECKPOINT_CHOICES as readonly string[]).includes(checkpoint)) {
    throw new WeightSourceError(`--checkpoint must be best or last, not "${checkpoint}".`);
  }
  if (checkpoint !== undefined && !run) throw new WeightSourceError(`--checkpoint ${checkpoint} picks a checkpoint within a run: add --run best, --run latest or --run <run id>.`);
  if (options.seed !== undefined && (run || weights)) throw new WeightSourceError('--seed seeds the initial weights; it does not apply to the weights of a run or a model folder. Leave out --seed, or --run/--weights.');
  if (options.seed !== undefined && !Number.isInteger(options.seed)) throw new WeightSourceError(`--seed must be a whole number, not ${String(options.seed)}.`);
  if (run) {
    if (run !== 'best' && run !== 'latest' && !RUN_ID.test(run)) {
      throw new WeightSourceError(`--run must be best, latest or a run id (the name of its folder under runs/, e.g. 2026-12-03T08-41-00-000Z), not "${run}".`);
    }
    return { kind: 'run', run, checkpoint: (checkpoint as CheckpointChoice | undefined) ?? 'best' };
  }
  if (weights) return { kind: 'folder', path: weights };
  return options.seed === undefined ? { kind: 'initial' } : { kind: 'initial', seed: options.seed };
}

/** Whether a larger value of `metric` is better, by the training monitor's rule (accuracies); unknown metrics count as lower-is-better. */
function higherIsBetter(metric: string): boolean {
  try {
    return monitorHigherIsBetter(metric);
  } catch {
    return false;
  }
}

/** The metric a run watched for its best checkpoint: recorded in the run, else its settings' monitor. */
export function runMonitor(run: Pick<RunSummary, 'monitor' | 'settings' | 'history'>): string {
  if (run.monitor) return run.monitor;
  const wanted = run.settings?.earlyStopping?.monitor ?? 'val_loss';
  const seen = new Set((run.history ?? []).flatMap((h) => Object.keys(h.metrics)));
  if (seen.size === 0 || seen.has(wanted)) return wanted;
  // The engine watches the training metric when there is no validation split.
  const plain = wanted.replace(/^val_/, '');
  return seen.has(plain) ? plain : 'loss';
}

/** A run's value of its monitored metric at one epoch. */
export interface RunScore {
  readonly metric: string;
  readonly value: number;
  /** 1-based epoch the value belongs to. */
  readonly epoch: number;
  readonly higherIsBetter: boolean;
}

/**
 * The monitored metric's value at a checkpoint: at the run's best epoch for `best` (the best over
 * its history when the run did not record it), at its last recorded epoch for `last`. Null when
 * the run recorded no finite value.
 */
export function runScore(run: Pick<RunSummary, 'monitor' | 'settings' | 'history' | 'bestEpoch'>, checkpoint: CheckpointChoice): RunScore | null {
  const metric = runMonitor(run);
  const higher = higherIsBetter(metric);
  const points = (run.history ?? []).map((h) => ({ epoch: h.epoch, value: h.metrics[metric] })).filter((p): p is { epoch: number; value: number } => Number.isFinite(p.value));
  if (points.length === 0) return null;
  let pick: { epoch: number; value: number } | undefined;
  if (checkpoint === 'last') pick = points[points.length - 1];
  else {
    pick = run.bestEpoch !== undefined ? points.find((p) => p.epoch === run.bestEpoch) : undefined;
    pick ??= points.reduce((a, b) => (higher ? (b.value > a.value ? b : a) : b.value < a.value ? b : a));
  }
  return { metric, value: pick.value, epoch: pick.epoch, higherIsBetter: higher };
}

/** Run statuses whose weights can be exported: the others are still training, failed or were cut off. */
export const USABLE_RUN_STATUSES: readonly RunStatus[] = ['completed', 'stopped'];

/** One run as a weight source: whether it can be used with the current graph, and why not. */
export interface RunCandidate {
  readonly id: string;
  /** A name given to the run, if any. */
  readonly name?: string;
  readonly startedAt: string;
  readonly status: RunStatus;
  readonly dir: string;
  /** Score at the best checkpoint, or null when the run recorded none. */
  readonly best: RunScore | null;
  /** Score at the last recorded epoch. */
  readonly last: RunScore | null;
  /** Which checkpoints exist on disk. */
  readonly checkpoints: { readonly best: boolean; readonly last: boolean };
  /** Usable: a completed or stopped run whose saved weights fit the current graph. */
  readonly usable: boolean;
  /** Why it is not usable (status, no checkpoint, weights of another graph); null when usable. */
  readonly why: string | null;
}

/** The weight sources a project offers: every run (usable or not), and which ones `best` and `latest` pick. */
export interface WeightChoices {
  /** Newest first. */
  readonly runs: readonly RunCandidate[];
  /** Id of the run `--run best` picks, or null when none is usable and scored. */
  readonly best: string | null;
  /** Id of the run `--run latest` picks, or null when none is usable. */
  readonly latest: string | null;
}

/** True when score `a` is better than score `b` (they watch the same direction; a missing score loses). */
function better(a: RunScore | null, b: RunScore | null): boolean {
  if (!a) return false;
  if (!b) return true;
  return a.higherIsBetter ? a.value > b.value : a.value < b.value;
}

/**
 * Which run `best` and `latest` name among candidates (newest first). Runs that watched different
 * metrics are ranked by their own metric's direction: each run's best value is compared as it was
 * judged during training. Ties go to the newer run.
 */
export function pickRuns(runs: readonly RunCandidate[]): { best: string | null; latest: string | null } {
  const usable = runs.filter((r) => r.usable);
  const latest = usable[0]?.id ?? null;
  let best: RunCandidate | null = null;
  for (const r of usable) {
    if (!r.best || !r.checkpoints.best) continue;
    if (!best || better(r.best, best.best)) best = r;
  }
  return { best: best?.id ?? null, latest };
}

/**
 * What an export takes when no weights are named: the best run's best checkpoint; else the latest
 * usable run's last checkpoint (a run stopped before its first epoch ended has no best one); else
 * null, the initial weights. The command line and the Export dialog both start from this.
 */
export function defaultWeightPick(choices: WeightChoices): { readonly run: string; readonly checkpoint: CheckpointChoice } | null {
  if (choices.best) return { run: choices.best, checkpoint: 'best' };
  const latest = choices.runs.find((r) => r.id === choices.latest);
  if (latest) return { run: latest.id, checkpoint: latest.checkpoints.best ? 'best' : 'last' };
  return null;
}

/** Where exported weights came from, as READMEs, manifests and dialogs name it. */
export interface WeightProvenance {
  readonly source: 'initial' | 'run' | 'folder';
  /** The options that pick these weights again (`--run 2026-… --checkpoint best`). */
  readonly args: string;
  /** One line for people: `run 12-03 08:41 · val_accuracy 0.9375 · best checkpoint, epoch 2`. */
  readonly label: string;
  readonly runId?: string;
  readonly runName?: string;
  readonly runDir?: string;
  readonly checkpoint?: CheckpointChoice;
  readonly epoch?: number;
  readonly metric?: string;
  readonly value?: number;
  /** The model folder the weights were read from. */
  readonly path?: string;
  readonly seed?: number;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** `run 12-03 08:41` (local time), or the run's name when it has one. */
export function runTitle(run: { readonly id: string; readonly startedAt: string; readonly name?: string }): string {
  if (run.name) return run.name;
  const d = new Date(run.startedAt);
  if (Number.isNaN(d.getTime())) return `run ${run.id}`;
  return `run ${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** A metric value as labels show it: four significant decimals, no trailing noise. */
export function formatMetric(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(1) : String(Number(value.toFixed(4)));
}

/** `run 12-03 08:41 · val_accuracy 0.9375 · best checkpoint, epoch 2`. */
export function candidateLabel(run: RunCandidate, checkpoint: CheckpointChoice): string {
  const score = checkpoint === 'best' ? run.best : run.last;
  const parts = [runTitle(run)];
  if (score) parts.push(`${score.metric} ${formatMetric(score.value)}`);
  parts.push(`${checkpoint} checkpoint${score ? `, epoch ${score.epoch}` : ''}`);
  return parts.join(' · ');
}

/** Provenance of a run's checkpoint. */
export function runProvenance(run: RunCandidate, checkpoint: CheckpointChoice, path: string): WeightProvenance {
  const score = checkpoint === 'best' ? run.best : run.last;
  return {
    source: 'run',
    args: `--run ${run.id} --checkpoint ${checkpoint}`,
    label: candidateLabel(run, checkpoint),
    runId: run.id,
    ...(run.name ? { runName: run.name } : {}),
    runDir: run.dir,
    checkpoint,
    ...(score ? { epoch: score.epoch, metric: score.metric, value: score.value } : {}),
    path,
  };
}

/** Provenance of the initial weights. */
export function initialProvenance(seed?: number): WeightProvenance {
  return seed === undefined
    ? { source: 'initial', args: '', label: 'initial weights (not trained)' }
    : { source: 'initial', args: `--seed ${seed}`, label: `initial weights (not trained), seed ${seed}`, seed };
}

/** A sentence for an export README saying where its weights came from. */
export function provenanceSentence(p: WeightProvenance): string {
  if (p.source === 'initial') return `The weights are the model's initial weights (not trained${p.seed !== undefined ? `, seed ${p.seed}` : ''}).`;
  if (p.source === 'folder') return `The weights were read from the saved model ${p.path ?? ''}.`;
  const score = p.metric !== undefined && p.value !== undefined ? ` (${p.metric} ${formatMetric(p.value)})` : '';
  return `The weights come from run \`${p.runId ?? ''}\`${p.runName ? ` (“${p.runName}”)` : ''}, ${p.checkpoint ?? 'best'} checkpoint${p.epoch !== undefined ? `, epoch ${p.epoch}` : ''}${score}. Export the same again with \`${p.args}\`.`;
}

/** A saved weight: its name and shape. */
export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

/**
 * Whether saved weights fit a model: every weight the model needs is present, by name, with its
 * shape. Returns null when they fit, else why not (the first mismatch and how many there are).
 */
export function weightsMismatch(model: readonly WeightSpec[], saved: readonly WeightSpec[]): string | null {
  const byName = new Map(saved.map((s) => [s.name, s.shape]));
  const problems: string[] = [];
  for (const w of model) {
    const s = byName.get(w.name);
    if (!s) problems.push(`it has no weight "${w.name}"`);
    else if (s.join(',') !== w.shape.join(',')) problems.push(`weight "${w.name}" is [${s.join(', ')}], the graph needs [${w.shape.join(', ')}]`);
  }
  if (problems.length === 0) return null;
  return `${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more difference${problems.length > 2 ? 's' : ''})` : ''}: it was trained on another version of the graph`;
}
