/**
 * The one API contract between the renderer and a host (Electron main via the preload, or the
 * browser host over a loopback WebSocket). Requests are async methods; events are `onXxx`
 * subscriptions. Hosts validate every argument (validation.ts) before any service runs.
 */
import type { ProjectDocument } from '../graph/document.js';
import type {
  AppCommandEvent,
  AppInfo,
  BackendStatus,
  PythonInterpreterStatus,
  DatasetReport,
  DatasetScanRequest,
  ExportRequest,
  ExportResult,
  FolderListing,
  GenerateCodeRequest,
  GeneratedCode,
  ListFolderRequest,
  ListRunsRequest,
  OpenFileEvent,
  ImportModelOptions,
  OpenedProject,
  PickPathRequest,
  RecentProject,
  RecoveryEntry,
  RecoveryWrite,
  RunSummary,
  SavedProject,
  StartTrainingRequest,
  TemplateInfo,
  TrainingEvent,
  WeightChoices,
  WeightChoicesRequest,
  LabelRunRequest,
  RunDetails,
  AdoptRunsRequest,
} from './types.js';
import type { ExplainRequest, ExplainResult, ExplainSample } from '../explain/protocol.js';
import type { CellSamples } from '../explain/gallery.js';

/** Every request: its positional arguments and its result. Results are JSON (`null` for none). */
export interface ApiRequests {
  /** Host kind, version, capabilities, the project to open at start. */
  getAppInfo: { args: []; result: AppInfo };
  /** The bundled example projects, for "New from template". */
  listTemplates: { args: []; result: TemplateInfo[] };
  /** A template as a new, unsaved project. */
  openTemplate: { args: [id: string]; result: OpenedProject };
  /** Reads and validates a project file; every problem is listed in the error's details. */
  openProject: { args: [path: string]; result: OpenedProject };
  /**
   * Imports a model file as a project written beside it (what Open does for a model), with options:
   * the import report's "Keep unsupported layers" asks again with `allowUnsupported`.
   */
  importModel: { args: [path: string, options: ImportModelOptions]; result: OpenedProject };
  /**
   * Writes a project atomically (temp file, fsync, rename) and adds it to the recent list.
   * `initialWeightsFrom`: on Save As of a project with imported weights, the folder they are in now;
   * the host copies it to where `doc.initialWeights` points beside the new file (null: nothing to copy).
   */
  saveProject: { args: [path: string, doc: ProjectDocument, initialWeightsFrom: string | null]; result: SavedProject };
  /** Recently opened or saved projects, newest first. */
  listRecent: { args: []; result: RecentProject[] };
  /** A native path dialog; null when cancelled. Only where `capabilities.nativeDialogs`. */
  pickPath: { args: [request: PickPathRequest]; result: string | null };
  /** A folder's folders and (matching) files, for the browser host's file browser; capped at a limit. */
  listFolder: { args: [request: ListFolderRequest]; result: FolderListing };
  /** Creates one new folder (its parent must exist); returns its absolute path. */
  createFolder: { args: [path: string]; result: { path: string } };
  /** Autosaves unsaved work to the recovery folder. */
  writeRecovery: { args: [entry: RecoveryWrite]; result: null };
  /** Unsaved work left by editors that did not close cleanly. */
  listRecovery: { args: []; result: RecoveryEntry[] };
  /** Deletes a recovery entry (after a save, a clean close, or when the user discards it). */
  discardRecovery: { args: [key: string]; result: null };
  /** Scans a dataset folder or CSV file. */
  scanDataset: { args: [request: DatasetScanRequest]; result: DatasetReport };
  /** Starts training in a background worker; progress arrives as `onTrainingEvent`. */
  startTraining: { args: [request: StartTrainingRequest]; result: { runId: string } };
  /** Stops a run after the current batch (its state so far is kept). */
  stopTraining: { args: [runId: string]; result: null };
  /** Past runs of a project, newest first. */
  listRuns: { args: [request: ListRunsRequest]; result: RunSummary[] };
  /** After a never-saved project's first save: moves its session's runs into `runs/` beside it. */
  adoptRuns: { args: [request: AdoptRunsRequest]; result: { moved: readonly string[]; left: readonly string[] } };
  /** Opens one run folder (also on its own, without its project): summary, evaluation, trained graph. */
  openRun: { args: [dir: string]; result: RunDetails };
  /** Names or annotates a run that has ended. */
  labelRun: { args: [request: LabelRunRequest]; result: RunSummary };
  /** Keras or TypeScript code for a graph (no files written). */
  generateCode: { args: [request: GenerateCodeRequest]; result: GeneratedCode };
  /** Every run of the project as a weight source: usable or not (and why), and which ones `best` and `latest` pick. */
  listWeightChoices: { args: [request: WeightChoicesRequest]; result: WeightChoices };
  /** Writes generated code (and trained weights when there are any) to a folder. */
  exportCode: { args: [request: ExportRequest]; result: ExportResult };
  /** Which TensorFlow backend and device training will use, and why. */
  getBackendStatus: { args: []; result: BackendStatus };
  /** The Keras engine's Python interpreter, where it comes from, and its Keras/TensorFlow versions. */
  getPythonInterpreter: { args: []; result: PythonInterpreterStatus };
  /** Checks an interpreter (as `layerloom doctor --set-python` does) and saves it; "" removes the setting. Fails, saving nothing, when the Keras engine cannot use it. */
  setPythonInterpreter: { args: [path: string]; result: PythonInterpreterStatus };
  /** A few images per class of the project's dataset, with thumbnails, to explain. */
  listExplainSamples: { args: [request: { doc: ProjectDocument; projectPath: string | null }]; result: ExplainSample[] };
  /** A trained run's prediction on one sample, Grad-CAM, saliency and every block's output (computed in a worker). */
  explainSample: { args: [request: ExplainRequest]; result: ExplainResult };
  /** The validation samples of one confusion-matrix cell of a run, with thumbnails and top-3 probabilities. */
  cellSamples: { args: [request: { runDir: string; actual: number; predicted: number }]; result: CellSamples };
}

/** Every event a host can send. */
export interface ApiEvents {
  trainingEvent: TrainingEvent;
  /** A menu or other host UI asks the editor to run one of its commands. */
  appCommand: AppCommandEvent;
  /** The host asks the editor to open a project file. */
  openFileRequest: OpenFileEvent;
}

/** A request method name. */
export type ApiMethod = keyof ApiRequests;
/** An event name. */
export type ApiEventName = keyof ApiEvents;
/** The arguments of a method. */
export type ApiArgs<K extends ApiMethod> = ApiRequests[K]['args'];
/** The result of a method. */
export type ApiResult<K extends ApiMethod> = ApiRequests[K]['result'];

/** Stops a subscription. */
export type Unsubscribe = () => void;

/** The name of the subscription function for an event: `trainingEvent` → `onTrainingEvent`. */
export type EventSubscriptionName<K extends ApiEventName> = `on${Capitalize<K>}`;

/** The API as the renderer sees it: one async function per request, one `onXxx` per event. */
export type LayerloomApi = {
  readonly [K in ApiMethod]: (...args: ApiArgs<K>) => Promise<ApiResult<K>>;
} & {
  readonly [K in ApiEventName as EventSubscriptionName<K>]: (listener: (payload: ApiEvents[K]) => void) => Unsubscribe;
};

/** What a host implements: the requests, each already given validated arguments. */
export type ApiImplementation = {
  readonly [K in ApiMethod]: (...args: ApiArgs<K>) => Promise<ApiResult<K>>;
};

// The lists below are typed as complete records so adding a method or event to the interfaces above
// without listing it here is a compile error.
const METHOD_SET: Record<ApiMethod, true> = {
  getAppInfo: true,
  listTemplates: true,
  openTemplate: true,
  openProject: true,
  importModel: true,
  saveProject: true,
  listRecent: true,
  pickPath: true,
  listFolder: true,
  createFolder: true,
  writeRecovery: true,
  listRecovery: true,
  discardRecovery: true,
  scanDataset: true,
  startTraining: true,
  stopTraining: true,
  listRuns: true,
  openRun: true,
  adoptRuns: true,
  labelRun: true,
  generateCode: true,
  listWeightChoices: true,
  exportCode: true,
  getBackendStatus: true,
  getPythonInterpreter: true,
  setPythonInterpreter: true,
  listExplainSamples: true,
  explainSample: true,
  cellSamples: true,
};
const EVENT_SET: Record<ApiEventName, true> = { trainingEvent: true, appCommand: true, openFileRequest: true };

/** Every method name, for building facades (preload, WebSocket client) and handler tables. */
export const API_METHODS: readonly ApiMethod[] = Object.keys(METHOD_SET) as ApiMethod[];
/** Every event name. */
export const API_EVENTS: readonly ApiEventName[] = Object.keys(EVENT_SET) as ApiEventName[];

/** True when `name` is a method of the contract. */
export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(METHOD_SET, name);
}

/** True when `name` is an event of the contract. */
export function isApiEventName(name: unknown): name is ApiEventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(EVENT_SET, name);
}

/** `trainingEvent` → `onTrainingEvent`. */
export function subscriptionName<K extends ApiEventName>(event: K): EventSubscriptionName<K> {
  return `on${event[0].toUpperCase()}${event.slice(1)}` as EventSubscriptionName<K>;
}
