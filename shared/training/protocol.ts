/**
 * The training protocol: what the host (CLI, Electron main, browser host) sends to the training
 * worker, what the worker streams back, and what a run folder records. Plain JSON-safe objects, so
 * they cross worker_threads ports, child-process IPC, Electron's utilityProcess and WebSockets alike.
 *
 * Events carry the field names of the editor API's `TrainingEvent` / `RunSummary`
 * (shared/api/types.ts), with extra detail fields the UI may use.
 */
import type { QuantizedAccuracy } from '../codegen/quantize.js';
import type { ProjectDocument } from '../graph/document.js';
import type { ScanProgress, SkippedFile } from './dataset.js';
import type { ConfusionMatrix, Evaluation } from './evaluation.js';
import type { ResolvedLoss } from './lossCheck.js';
import type { TrainingSettings } from './settings.js';

/**
 * Hosts start the worker module (electron/services/trainingWorker) with this flag, as a process
 * argument or as a `workerData` key set to true; imported without it, the module only exports.
 */
export const WORKER_FLAG = '--layerloom-training-worker';

/**
 * Which TensorFlow.js backend to train on (ids of shared/api/backend.ts). `auto` takes the best one
 * that loads.
 */
export type BackendChoice = 'auto' | 'native-gpu' | 'native' | 'wasm' | 'cpu';

/** Every backend choice, for argument validation. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'native-gpu', 'native', 'wasm', 'cpu'];

/**
 * Which program trains: `tfjs` (the default, TensorFlow.js in the training worker) or `keras`
 * (the exported model.py in Python Keras/TensorFlow, driven by the worker: graph-mode speed).
 */
export type TrainingEngine = 'tfjs' | 'keras';

/** Every engine, for argument validation. */
export const TRAINING_ENGINES: readonly TrainingEngine[] = ['tfjs', 'keras'];

/**
 * The most local workers a Keras-engine run may start: each is a Python process with its own
 * TensorFlow (hundreds of MB and a few threads), so more than this on one machine is a mistake.
 */
const MAX_LOCAL_WORKERS = 32;

/**
 * Why `workers` local workers cannot train on `engine`, or null when they can: what the CLI and
 * the worker both check, so a message names the value and the fix wherever it came from. `given`
 * is the value as the user wrote it (the CLI's text).
 */
export function workersProblem(workers: number, engine: TrainingEngine, given: string = String(workers)): string | null {
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_LOCAL_WORKERS) {
    return `--workers: expected a whole number of local worker processes from 1 to ${MAX_LOCAL_WORKERS}, got "${given}". Each worker is a Python process with its own TensorFlow; to train on more, run the exported model.py on several machines (docs/distributed.md).`;
  }
  if (workers > 1 && engine !== 'keras') {
    return `--workers ${workers} needs the Keras engine (--engine keras): the tfjs engine trains in one process. Add --engine keras, or leave --workers out.`;
  }
  return null;
}

/** Everything the worker needs to run (or resume) one training. */
export interface TrainingJob {
  /** Id of the run; also its folder name under `runsDir`. */
  readonly runId: string;
  /** The graph to train (saved in the run as its snapshot). */
  readonly doc: ProjectDocument;
  /** Absolute path of the dataset folder or CSV file. */
  readonly datasetPath: string;
  /** CSV only: the column to predict (default: the last column). */
  readonly targetColumn?: string;
  /** Settings in force (the project's, with any overrides applied). */
  readonly settings: TrainingSettings;
  /** Folder that holds run folders (`<project folder>/runs` by default). */
  readonly runsDir: string;
  /** The project file, recorded in the run (null for an unsaved project). */
  readonly projectFile: string | null;
  /** A run folder to resume: its last checkpoint's weights, optimizer state and history. */
  readonly resumeFrom?: string;
  readonly backend?: BackendChoice;
  /** Which program trains (default `tfjs`). */
  readonly engine?: TrainingEngine;
  /** The Keras engine: the Python interpreter to run (default `python3`, `python` on Windows). */
  readonly python?: string;
  /** The Keras engine: more options for model.py's command line (e.g. a distribution mode). */
  readonly modelArgs?: readonly string[];
  /**
   * The Keras engine: local worker processes of one multi-worker run (default 1: one process, no
   * tf.distribute). Worker 0, the chief, reports progress and writes the run folder.
   */
  readonly workers?: number;
  /** Decoded images are kept in memory up to this many MiB (default 512). */
  readonly cacheBudgetMB?: number;
  /** At most one batch event per this many milliseconds (default 100; the last batch of an epoch is always sent). */
  readonly progressIntervalMs?: number;
}

/**
 * A check the worker runs instead of a training: the validation accuracy of a model with its float
 * weights and with quantized ones (the Export dialog's accuracy line), on the worker's backend, so
 * the host that serves the UI stays responsive.
 */
export interface AccuracyJob {
  readonly doc: ProjectDocument;
  /** The project file: the dataset path resolves against it. */
  readonly projectPath: string | null;
  /** The run the weights come from: its split settings are used (else the project's). */
  readonly runDir: string | null;
  /** A tfjs model folder with the float weights, or null for the initial weights of `seed`. */
  readonly modelDir: string | null;
  readonly seed: number;
  /** A tfjs model folder with the quantized weights (tfjs's quantized manifest form). */
  readonly quantizedDir: string;
  /** Names the quantized weights in messages, e.g. `the uint8 weights`. */
  readonly source: string;
  readonly backend?: BackendChoice;
}

/** Host → worker messages. */
export type HostToWorker =
  | { readonly type: 'start'; readonly job: TrainingJob }
  /** Run an {@link AccuracyJob} (instead of a training), then end. */
  | { readonly type: 'accuracy'; readonly job: AccuracyJob }
  /** Stop after the current batch; the model so far is saved and evaluated. */
  | { readonly type: 'stop' }
  /**
   * Test hook: make the worker die (`exit`: process.exit; `throw`: an uncaught asynchronous
   * exception), to prove a crashed worker becomes an error event and never a hang.
   */
  | { readonly type: 'crash'; readonly mode: 'exit' | 'throw' };

/** Metric values by Keras name: `loss`, `accuracy`, `val_loss`, `val_accuracy`, … */
export type Metrics = Readonly<Record<string, number>>;

/**
 * How a run ended (or that it has not). `interrupted`: the process training it died without
 * recording an end (killed with its CLI or app, power loss); found when the runs are listed, from
 * the run's process id and heartbeat. Never sent in a `finished` event.
 */
export type RunStatus = 'running' | 'completed' | 'stopped' | 'failed' | 'interrupted';

/** `heartbeat.json` in a running run's folder: who trains it, and when it last said so. */
export interface RunHeartbeat {
  readonly pid: number;
  readonly host: string;
  /** Milliseconds since the epoch. */
  readonly at: number;
}

/** How often a training rewrites its heartbeat. */
export const HEARTBEAT_INTERVAL_MS = 5_000;

/**
 * A `running` run whose heartbeat is older than this is taken as interrupted even when its process
 * id is alive (reused by another process) or belongs to another machine (a shared folder).
 */
export const HEARTBEAT_STALE_MS = 10 * 60_000;

/** What went wrong in a failed run, by kind. */
export type TrainingErrorCode =
  /** The loss became NaN or infinite. */
  | 'nan'
  | 'out-of-memory'
  /** The dataset could not be read or does not fit the model. */
  | 'dataset'
  /** The graph has errors, or its output does not fit the loss. */
  | 'graph'
  /** No TensorFlow backend could be loaded. */
  | 'backend'
  /** The checkpoint to resume from is missing or does not fit. */
  | 'resume'
  /** The worker died (crash, killed, out of memory at the process level). */
  | 'crash'
  | 'internal';

/** One epoch of a run's history. */
export interface EpochRecord {
  /** 1-based. */
  readonly epoch: number;
  readonly metrics: Metrics;
  readonly learningRate: number;
  readonly seconds: number;
  readonly samplesPerSecond: number;
}

/** Worker → host events. */
export type TrainingEvent =
  | {
      readonly kind: 'started';
      readonly runId: string;
      readonly startedAt: string;
      readonly epochs: number;
      readonly batchesPerEpoch: number;
      readonly trainSamples: number;
      readonly validationSamples: number;
      /** Backend and device actually used, e.g. `tensorflow (TF 2.21.0, CPU)`. */
      readonly backend: string;
      /** The Keras engine in a few words (`Keras · TF 2.21 · CPU`, see kerasEngineLabel); absent on tfjs. */
      readonly engineLabel?: string;
      readonly runDir: string;
      readonly loss: ResolvedLoss;
      /** Why this loss (for `auto`). */
      readonly lossReason: string;
      /** Class names in label order (empty for regression). */
      readonly classes: readonly string[];
      /** 0 for a new run; the epochs already done when resuming. */
      readonly startEpoch: number;
    }
  | {
      readonly kind: 'batch';
      readonly runId: string;
      /** 1-based. */
      readonly epoch: number;
      /** 1-based within the epoch. */
      readonly batch: number;
      readonly batchesPerEpoch: number;
      /** Running means over the epoch so far (`loss`, `accuracy`, …), as Keras's progress bar shows. */
      readonly metrics: Metrics;
      readonly samplesPerSecond: number;
      /** Seconds left for the whole run, or null while unknown. */
      readonly etaSeconds: number | null;
      /** 0…1 over the whole run. */
      readonly progress: number;
    }
  | {
      readonly kind: 'epoch';
      readonly runId: string;
      readonly epoch: number;
      readonly epochs: number;
      /** Train and validation metrics of the epoch. */
      readonly metrics: Metrics;
      readonly etaSeconds: number | null;
      readonly progress: number;
      readonly learningRate: number;
      readonly seconds: number;
      readonly samplesPerSecond: number;
      /** True when this epoch is the best so far on the early-stopping monitor (saved as `best`). */
      readonly improved: boolean;
    }
  | {
      readonly kind: 'finished';
      readonly runId: string;
      readonly status: Exclude<RunStatus, 'running' | 'interrupted'>;
      /** Why it failed or stopped early (a message for people). */
      readonly message?: string;
      readonly error?: { readonly code: TrainingErrorCode; readonly message: string };
      /** Metrics of the final model on the evaluation split. */
      readonly finalMetrics: Metrics;
      readonly confusionMatrix?: ConfusionMatrix;
      readonly evaluation?: Evaluation;
      /** The run folder (absent when the run failed before it was created). */
      readonly runDir?: string;
      readonly epochsCompleted: number;
      readonly bestEpoch?: number;
    }
  | {
      /**
       * The samples this run actually uses, and every file or row left out (all of them, not the
       * first few). Sent before `started` when the scan or the first decode pass left files out, and
       * again after the first epoch when images that passed the scan failed to decode.
       */
      readonly kind: 'samples';
      readonly runId: string;
      readonly trainSamples: number;
      readonly validationSamples: number;
      /** Left out since the previous `samples` event of this run. */
      readonly skipped: readonly SkippedFile[];
    }
  | {
      readonly kind: 'log';
      readonly runId: string;
      readonly level: 'info' | 'warning' | 'error';
      readonly message: string;
      /** Present on dataset scan/decode progress messages. */
      readonly progress?: ScanProgress;
    };

/** Worker → host events of an {@link AccuracyJob}. */
export type AccuracyEvent =
  /** Samples scored so far of `total` (the float model, then the quantized one). */
  | { readonly kind: 'accuracy-progress'; readonly done: number; readonly total: number }
  /** The job's end: the accuracies (null: no classification dataset), or why it failed. */
  | { readonly kind: 'accuracy-result'; readonly result: QuantizedAccuracy | null; readonly backend: string; readonly error?: string };

/** Everything a worker posts. */
export type WorkerEvent = TrainingEvent | AccuracyEvent;

/** `run.json` in a run folder, and one entry of the runs list. */
export interface RunSummary {
  readonly id: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly status: RunStatus;
  /** Epochs asked for. */
  readonly epochs: number;
  readonly epochsCompleted: number;
  readonly history: readonly EpochRecord[];
  readonly finalMetrics: Metrics;
  readonly confusionMatrix?: ConfusionMatrix;
  /** Absolute path of the run folder. */
  readonly dir: string;
  readonly projectName: string;
  readonly projectFile: string | null;
  readonly datasetPath: string;
  readonly backend: string;
  /** Which program trained it (absent in runs of versions before the Keras engine: tfjs). */
  readonly engine?: TrainingEngine;
  /** The Keras engine's label (`Keras · TF 2.21 · CPU`); see runEngineLabel. */
  readonly engineLabel?: string;
  readonly loss: ResolvedLoss | null;
  readonly settings: TrainingSettings;
  readonly bestEpoch?: number;
  readonly message?: string;
  readonly error?: { readonly code: TrainingErrorCode; readonly message: string };
  /** The run folder this one continued from. */
  readonly resumedFrom?: string;
  /** Samples actually trained and validated on (after leaving out files that failed to decode). */
  readonly trainSamples?: number;
  readonly validationSamples?: number;
  /** The process training it, and its machine (to tell a live run from an interrupted one). */
  readonly pid?: number;
  readonly host?: string;
  /** For an `interrupted` run: whether checkpoints/last holds a checkpoint to resume from. */
  readonly resumable?: boolean;
  /** The metric the run watched for its best checkpoint (`val_loss`, `val_accuracy`, …). */
  readonly monitor?: string;
  /** A name given to the run in the runs browser. */
  readonly name?: string;
  /** A note written on the run in the runs browser. */
  readonly note?: string;
}

/** One run opened in the runs browser: its summary, final evaluation and the graph it trained. */
export interface RunDetails {
  readonly run: RunSummary;
  /** evaluation.json, or null when the run ended before its final evaluation. */
  readonly evaluation: Evaluation | null;
  /** graph.layerloom: the graph as it was trained, or null (see graphProblem). */
  readonly graph: ProjectDocument | null;
  readonly graphProblem?: string;
}
