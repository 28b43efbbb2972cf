/**
 * Adapters from the API contract to the service modules (datasets, training, code generation,
 * export, backend doctor). Type-checked static imports: a service whose signature drifts from the
 * contract fails `tsc` here, not at run time.
 *
 * `available`/`reason` let a host (or a test) run with a service switched off; its methods then
 * fail with `not-available` naming why, and the UI says so instead of offering the action.
 */
import type { ProjectDocument } from '../../shared/graph/document.js';
import { notAvailable } from '../../shared/api/errors.js';
import type {
  BackendStatus,
  PythonInterpreterStatus,
  CodeTarget,
  DatasetReport,
  DatasetScanRequest,
  ExportRequest,
  ExportResult,
  GeneratedCode,
  RunSummary,
  StartTrainingRequest,
  TrainingEvent,
  WeightChoices,
  WeightChoicesRequest,
  LabelRunRequest,
  RunDetails,
} from '../../shared/api/types.js';
import { labelRun, openRunFolder } from '../services/runBrowserService.js';
import type * as tfjs from '@tensorflow/tfjs';
import { silenceCpuBanner } from '../../shared/compile/quietTfjs.js';
import { parseWeightSource, WeightSourceError } from '../../shared/training/weightSource.js';
import { ApiError } from '../../shared/api/errors.js';
import { listWeightChoices } from '../services/weightSourceService.js';
import { generateKerasFiles, KERAS_WEIGHTS_FILE } from '../../shared/codegen/keras/index.js';
import { generateTs, TS_WEIGHTS_FOLDER } from '../../shared/codegen/typescript/index.js';
import { getBackendStatus } from '../services/backendService.js';
import { pythonInterpreterStatus, setPythonInterpreter } from '../services/engineService.js';
import { scanDataset } from '../services/datasetService.js';
import { exportProject } from '../services/exportService.js';
import { measureAccuracyInWorker } from '../services/accuracyCheck.js';
import { startTraining, stopTraining } from '../services/trainingService.js';
import { listRuns as listRunFolders } from '../services/runsService.js';

/** Whether a service is connected, and why not. */
export interface AdapterState {
  readonly available: boolean;
  /** Why it is not available (for the UI and the startup log); empty when it is. */
  readonly reason: string;
}

/** The services the host reaches through adapters. */
export interface ServiceAdapters {
  readonly datasets: AdapterState & { scan(request: DatasetScanRequest): Promise<DatasetReport> };
  readonly training: AdapterState & {
    /** `runsDir`: where the run goes instead of beside the project (a never-saved project's session folder). */
    start(request: StartTrainingRequest & { readonly runsDir?: string }, emit: (e: TrainingEvent) => void): Promise<{ runId: string }>;
    stop(runId: string): Promise<void>;
    listRuns(where: string | null | { readonly runsDir: string }): Promise<RunSummary[]>;
    openRun(dir: string): Promise<RunDetails>;
    labelRun(request: LabelRunRequest): Promise<RunSummary>;
  };
  readonly codegen: AdapterState & { generate(doc: ProjectDocument, target: CodeTarget): Promise<GeneratedCode> };
  readonly export: AdapterState & {
    /** `runsDir`: the runs to pick weights from instead of the project's. */
    write(request: ExportRequest & { readonly runsDir?: string }): Promise<ExportResult>;
    choices(request: WeightChoicesRequest & { readonly runsDir?: string }): Promise<WeightChoices>;
  };
  readonly backend: AdapterState & { status(): Promise<BackendStatus>; python(): Promise<PythonInterpreterStatus>; setPython(path: string): Promise<PythonInterpreterStatus> };
}

const ON: AdapterState = { available: true, reason: '' };

/** The code the export would write, without writing it (same generators, same weight file names). */
export function generateCode(doc: ProjectDocument, target: CodeTarget): GeneratedCode {
  return target === 'keras'
    ? { target, language: 'python', files: generateKerasFiles(doc, { weightsFile: KERAS_WEIGHTS_FILE }) }
    : { target, language: 'typescript', files: generateTs(doc, { weightsFolder: TS_WEIGHTS_FOLDER }) };
}

/** The pure-JS tfjs the export uses: enough to build a model and read its weight shapes. */
async function exportTf(): Promise<typeof tfjs> {
  const tf = await import('@tensorflow/tfjs');
  await tf.ready();
  silenceCpuBanner(tf);
  return tf;
}

/** The real services. */
export function serviceAdapters(): ServiceAdapters {
  return {
    datasets: { ...ON, scan: (request) => scanDataset(request) },
    training: {
      ...ON,
      start: (request, emit) => startTraining(request, emit),
      stop: (runId) => stopTraining(runId),
      listRuns: async (where) => [...(await listRunFolders(where))],
      openRun: (dir) => openRunFolder(dir),
      labelRun: ({ dir, ...change }) => labelRun(dir, change),
    },
    codegen: { ...ON, generate: async (doc, target) => generateCode(doc, target) },
    export: {
      ...ON,
      write: async (request) => {
        const { weights, overwrite, quantize, tflite, sessionKey: _session, ...rest } = request;
        void _session;
        if (tflite && request.target !== 'keras') throw new ApiError('invalid-argument', `TFLite (${tflite}) is converted by the Keras export's model.py; choose the Keras target.`);
        if (quantize && request.target !== 'tfjs') throw new ApiError('invalid-argument', `Quantized weights (${quantize}) are written by the TensorFlow.js export; the Keras export ships float32 weights.`);
        let source;
        try {
          source = weights ? parseWeightSource(weights) : undefined;
        } catch (e) {
          if (e instanceof WeightSourceError) throw new ApiError('invalid-argument', e.message);
          throw e;
        }
        // The accuracy check of a quantized export runs in a training worker: the host keeps serving the UI.
        const r = await exportProject({ ...rest, ...(source ? { source } : {}), ...(quantize ? { quantize, measureAccuracy: (job) => measureAccuracyInWorker(job) } : {}), ...(tflite ? { tflite } : {}), force: overwrite === true });
        return { folder: r.folder, files: r.files, provenance: r.provenance, notes: r.notes, ...(r.quantization ? { quantization: r.quantization } : {}), ...(r.tflite ? { tflite: r.tflite } : {}) };
      },
      choices: async ({ sessionKey: _session, ...request }) => {
        void _session;
        return listWeightChoices({ ...request, tf: await exportTf() });
      },
    },
    backend: {
      ...ON,
      status: () => getBackendStatus(),
      python: () => pythonInterpreterStatus(),
      setPython: async (path) => {
        try {
          return await setPythonInterpreter(path);
        } catch (e) {
          // Nothing was saved: say why, and keep the person's typing (the renderer shows it).
          throw new ApiError('invalid-argument', `Not saved: ${(e as Error).message}`);
        }
      },
    },
  };
}

/** Kept for hosts that load adapters asynchronously (the Electron shell); resolves to `serviceAdapters()`. */
export async function loadServiceAdapters(): Promise<ServiceAdapters> {
  return serviceAdapters();
}

/**
 * Adapters with some services switched off (tests, or a host that must not train): each switched
 * off service fails with `not-available` and `reason`.
 */
export function withServicesOff(base: ServiceAdapters, off: Partial<Record<keyof ServiceAdapters, string>>): ServiceAdapters {
  const fail = (what: string, reason: string) => async (): Promise<never> => {
    throw notAvailable(what, reason);
  };
  const state = (reason: string | undefined): AdapterState => (reason === undefined ? ON : { available: false, reason });
  return {
    datasets: off.datasets === undefined ? base.datasets : { ...state(off.datasets), scan: fail('Dataset scanning', off.datasets) },
    training:
      off.training === undefined
        ? base.training
        : {
            ...state(off.training),
            start: fail('Training', off.training),
            stop: fail('Training', off.training),
            listRuns: fail('Training runs', off.training),
            openRun: fail('Training runs', off.training),
            labelRun: fail('Training runs', off.training),
          },
    codegen: off.codegen === undefined ? base.codegen : { ...state(off.codegen), generate: fail('Code generation', off.codegen) },
    export: off.export === undefined ? base.export : { ...state(off.export), write: fail('Export', off.export), choices: fail('Export', off.export) },
    backend: off.backend === undefined ? base.backend : { ...state(off.backend), status: fail('The backend doctor', off.backend), python: fail('The Python interpreter check', off.backend), setPython: fail('The Python interpreter setting', off.backend) },
  };
}

/** Every adapter's availability, for startup notes (each adapter by name: no `any` from Object.values). */
export function adapterStates(adapters: ServiceAdapters): AdapterState[] {
  return [adapters.datasets, adapters.training, adapters.codegen, adapters.export, adapters.backend];
}
