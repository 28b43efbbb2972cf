/**
 * The contract implemented over the services, shared by every host: the browser host wires it to
 * a WebSocket, Electron's main process to IPC. Hosts call `dispatch`, which validates every
 * argument before any service runs and turns failures into `ApiError`s people can read.
 */
import { readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import type { ApiEventName, ApiEvents, ApiImplementation } from '../../shared/api/contract.js';
import { ApiError, notAvailable } from '../../shared/api/errors.js';
import type { AppInfo, HostKind, PickPathRequest } from '../../shared/api/types.js';
import { validateArgs } from '../../shared/api/validation.js';
import { createFolder, listFolder } from '../services/folderService.js';
import { copyInitialWeights, loadProjectFile, ProjectFileError, saveProjectFile } from '../services/projectService.js';
import { isModelPath, openModelAsProject } from '../services/import/importService.js';
import { KerasImportError } from '../../shared/import/kerasModel.js';
import { silenceCpuBanner } from '../../shared/compile/quietTfjs.js';
import { RecentService } from '../services/recentService.js';
import { RecoveryService } from '../services/recoveryService.js';
import { TemplateService } from '../services/templateService.js';
import { adoptUnsavedRuns, unsavedRunsDir } from '../services/unsavedRunsService.js';
import { serviceAdapters, type ServiceAdapters } from './adapters.js';
import { ExplainWorkers } from '../services/explainJob.js';
import { cellSamples, explainSamples } from '../services/explainService.js';

/** Where a host keeps per-user state (recent list, recovery files). */
export function defaultStateDir(): string {
  if (process.env.LAYERLOOM_STATE_DIR) return resolve(process.env.LAYERLOOM_STATE_DIR);
  const home = homedir();
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'Layerloom');
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Layerloom');
  return join(process.env.XDG_STATE_HOME ?? join(home, '.local', 'state'), 'layerloom');
}

/** The repository (or app resources) root: where `examples/` and `assets/` live. */
export function appRoot(): string {
  return resolve(new URL('../..', import.meta.url).pathname.replace(/^\/([A-Za-z]:)/, '$1'));
}

/** Options for a host's API. */
export interface HostApiOptions {
  readonly host: HostKind;
  /** Folder with `examples/` and `assets/`; defaults to the app root. */
  readonly rootDir?: string;
  /** Folder of template projects; defaults to `<rootDir>/examples`. */
  readonly examplesDir?: string;
  /** Per-user state folder; defaults to `defaultStateDir()`. */
  readonly stateDir?: string;
  /** Project to open at start. */
  readonly startupProject?: string | null;
  /** Native path picker (Electron); absent in the browser host. */
  readonly pickPath?: (request: PickPathRequest) => Promise<string | null>;
  /** Injected adapters (tests, or services switched off); default: the real services. */
  readonly adapters?: ServiceAdapters;
  /** App version for `getAppInfo`; default: `package.json` in the root (the Electron shell passes its own). */
  readonly version?: string;
}

/** Sends an event to every connected editor of this host. */
export type EmitEvent = <K extends ApiEventName>(event: K, payload: ApiEvents[K]) => void;

/** A host's API: the implementation, the validating dispatcher and the event fan-out. */
export interface HostApi {
  readonly implementation: ApiImplementation;
  readonly adapters: ServiceAdapters;
  /** Validates `args` for `method` and runs it. Throws `ApiError` only. */
  dispatch(method: unknown, args: unknown): Promise<unknown>;
  /** Subscribes to events for delivery to editors. */
  onEvent(listener: (event: ApiEventName, payload: ApiEvents[ApiEventName]) => void): () => void;
  readonly emit: EmitEvent;
  /** Ends what the host keeps running between requests (the explain worker). */
  close(): void;
}

function version(root: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

async function sampleDatasets(root: string): Promise<{ name: string; path: string }[]> {
  const dir = join(root, 'assets', 'datasets');
  try {
    const names = await readdir(dir);
    const out: { name: string; path: string }[] = [];
    for (const name of names.sort()) {
      const p = join(dir, name);
      if ((await stat(p)).isDirectory() || name.endsWith('.csv')) out.push({ name, path: p });
    }
    return out;
  } catch {
    return [];
  }
}

/** Turns any failure into an ApiError with a message a person can act on. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof ProjectFileError) {
    const missingFile = e.problems.length === 1 && e.problems[0] === 'the file does not exist';
    return new ApiError(missingFile ? 'not-found' : 'failed', `Cannot open ${e.path}: ${e.problems[0] ?? 'unknown problem'}`, e.problems);
  }
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && typeof err.code === 'string') {
    const path = typeof err.path === 'string' ? err.path : 'the file';
    if (err.code === 'ENOENT') return new ApiError('not-found', `${path} does not exist. Check the path.`);
    if (err.code === 'EACCES' || err.code === 'EPERM') return new ApiError('failed', `Permission denied for ${path}. Choose a folder you can write to.`);
    if (err.code === 'EISDIR') return new ApiError('failed', `${path} is a folder; give a file name ending in .layerloom.`);
    if (err.code === 'ENOTDIR') return new ApiError('failed', `Part of ${path} is not a folder. Check the path.`);
    if (err.code === 'ENOSPC') return new ApiError('failed', `The disk is full; nothing was written to ${path}. Free some space and save again.`);
  }
  return new ApiError('failed', err instanceof Error ? err.message : String(e));
}

/** Builds the API of one host. */
export async function createHostApi(options: HostApiOptions): Promise<HostApi> {
  const root = options.rootDir ?? appRoot();
  const stateDir = options.stateDir ?? defaultStateDir();
  const recent = new RecentService(stateDir);
  const recovery = new RecoveryService(join(stateDir, 'recovery'));
  const templates = new TemplateService(options.examplesDir ?? join(root, 'examples'));
  const adapters = options.adapters ?? serviceAdapters();
  const listeners = new Set<(event: ApiEventName, payload: ApiEvents[ApiEventName]) => void>();
  const emit: EmitEvent = (event, payload) => {
    for (const l of listeners) l(event, payload);
  };

  // One explain worker, kept for the run last explained (TensorFlow loads once per run, not per sample).
  const explainWorkers = new ExplainWorkers();

  // A never-saved project's runs are kept with its session's recovery state until its first save.
  const sessionRuns = (projectPath: string | null, sessionKey: string | undefined): { runsDir?: string } =>
    projectPath === null && sessionKey ? { runsDir: unsavedRunsDir(stateDir, sessionKey) } : {};

  const implementation: ApiImplementation = {
    async getAppInfo(): Promise<AppInfo> {
      return {
        host: options.host,
        version: options.version ?? version(root),
        platform: process.platform,
        startupProject: options.startupProject ? resolve(options.startupProject) : null,
        defaultDirectory: process.cwd(),
        sampleDatasets: await sampleDatasets(root),
        capabilities: {
          nativeDialogs: Boolean(options.pickPath),
          datasets: adapters.datasets.available,
          training: adapters.training.available,
          codegen: adapters.codegen.available,
          export: adapters.export.available,
          backend: adapters.backend.available,
        },
      };
    },
    listTemplates: () => templates.list(),
    openTemplate: async (id) => {
      if (!(await templates.ids()).includes(id)) throw new ApiError('not-found', `There is no template "${id}".`);
      return templates.open(id);
    },
    async importModel(path, options) {
      const abs = resolve(path);
      if (!isModelPath(abs)) throw new ApiError('invalid-argument', `${abs} is not a model file (.keras, .h5 or .json).`);
      // A Keras or tfjs model: imported into a project written beside it, which is what opens.
      const tf = await import('@tensorflow/tfjs');
      silenceCpuBanner(tf);
      await tf.setBackend('cpu');
      const opened = await openModelAsProject(abs, tf, options).catch((e: unknown) => {
        // The report: the summary, then one line per layer that stopped the import.
        if (e instanceof KerasImportError && e.layers.length) throw new ApiError('invalid-argument', e.summary, e.message.split('\n').slice(1));
        throw new ApiError('invalid-argument', (e as Error).message);
      });
      await recent.add(opened.path, opened.doc.name).catch(() => undefined);
      return opened;
    },
    async openProject(path) {
      const abs = resolve(path);
      if (isModelPath(abs)) return implementation.importModel(abs, { allowUnsupported: false });
      const { doc, migratedFrom } = await loadProjectFile(abs);
      await recent.add(abs, doc.name).catch(() => undefined);
      return migratedFrom === undefined ? { path: abs, doc } : { path: abs, doc, migratedFrom };
    },
    async saveProject(path, doc, initialWeightsFrom) {
      const abs = resolve(path);
      if (!abs.endsWith('.layerloom')) throw new ApiError('invalid-argument', `Project files end in .layerloom; got ${abs}.`);
      // Imported weights move with the project (copied first: a project file never points at a
      // folder that is not there yet).
      if (initialWeightsFrom !== null) await copyInitialWeights(resolve(initialWeightsFrom), abs, doc);
      await saveProjectFile(abs, doc);
      await recent.add(abs, doc.name).catch(() => undefined);
      return { path: abs, savedAt: new Date().toISOString() };
    },
    listRecent: () => recent.list(),
    async pickPath(request) {
      if (!options.pickPath) throw notAvailable('A native file dialog', 'Type the path into the field instead.');
      return options.pickPath(request);
    },
    listFolder: (request) => listFolder(request.path, request.extensions ? { extensions: request.extensions } : {}),
    createFolder: (path) => createFolder(path),
    async writeRecovery(entry) {
      await recovery.write(entry);
      return null;
    },
    listRecovery: () => recovery.list(),
    async discardRecovery(key) {
      await recovery.discard(key);
      return null;
    },
    scanDataset: (request) => adapters.datasets.scan(request),
    startTraining: ({ sessionKey, ...request }) => adapters.training.start({ ...request, ...sessionRuns(request.projectPath, sessionKey) }, (e) => emit('trainingEvent', e)),
    async stopTraining(runId) {
      await adapters.training.stop(runId);
      return null;
    },
    listRuns: ({ projectPath, sessionKey }) => {
      const session = sessionRuns(projectPath, sessionKey);
      return adapters.training.listRuns(session.runsDir ? { runsDir: session.runsDir } : projectPath);
    },
    async adoptRuns({ sessionKey, projectPath }) {
      return adoptUnsavedRuns(unsavedRunsDir(stateDir, sessionKey), resolve(projectPath));
    },
    openRun: (dir) => adapters.training.openRun(dir),
    labelRun: (request) => adapters.training.labelRun(request),
    generateCode: (request) => adapters.codegen.generate(request.doc, request.target),
    listWeightChoices: (request) => adapters.export.choices({ ...request, ...sessionRuns(request.projectPath, request.sessionKey) }),
    exportCode: (request) => adapters.export.write({ ...request, ...sessionRuns(request.projectPath, request.sessionKey) }),
    getBackendStatus: () => adapters.backend.status(),
    getPythonInterpreter: () => adapters.backend.python(),
    setPythonInterpreter: (path) => adapters.backend.setPython(path),
    listExplainSamples: ({ doc, projectPath }) => explainSamples(doc, projectPath),
    cellSamples: ({ runDir, actual, predicted }) => cellSamples(runDir, actual, predicted),
    explainSample: (request) => explainWorkers.explain(request, sessionRuns(request.projectPath, request.sessionKey).runsDir),
  };

  async function dispatch(method: unknown, args: unknown): Promise<unknown> {
    const checked = validateArgs(method, args);
    if (!checked.ok) {
      if (checked.unknownMethod) throw new ApiError('unknown-method', checked.errors[0] ?? 'Unknown method.');
      throw new ApiError('invalid-argument', `Invalid arguments for ${String(method)}: ${checked.errors[0]}`, checked.errors);
    }
    const run = implementation[checked.method] as (...a: readonly unknown[]) => Promise<unknown>;
    try {
      return await run(...checked.args);
    } catch (e) {
      throw toApiError(e);
    }
  }

  return {
    implementation,
    adapters,
    dispatch,
    emit,
    close: () => explainWorkers.close(),
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
