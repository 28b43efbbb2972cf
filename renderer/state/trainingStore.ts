/**
 * Live state of training: the current run's progress and curves, and the runs list. Fed by the
 * host's `onTrainingEvent` stream.
 */
import { create } from 'zustand';
import type { Metrics, RunSummary, TrainingEvent } from '../../shared/api/types.js';
import { api, errorMessage, errorDetails } from '../platform/api.js';
import { toast } from './uiStore.js';
import { SESSION_KEY } from '../app/sessionKey.js';

type Started = Extract<TrainingEvent, { kind: 'started' }>;
type Batch = Extract<TrainingEvent, { kind: 'batch' }>;
type Finished = Extract<TrainingEvent, { kind: 'finished' }>;

/** Where the current run is. */
export type TrainingPhase = 'idle' | 'starting' | 'running' | 'stopping' | 'completed' | 'stopped' | 'failed';

interface TrainingState {
  runId: string | null;
  phase: TrainingPhase;
  started: Started | null;
  lastBatch: Batch | null;
  /** Per batch: x = fractional epoch (0…epochs), running metrics. */
  batchX: number[];
  batchMetrics: Record<string, number[]>;
  /** Per epoch. */
  epochs: { epoch: number; metrics: Metrics }[];
  finished: Finished | null;
  logs: { level: 'info' | 'warning' | 'error'; message: string }[];
  runs: RunSummary[];
  runsError: string | null;
  /** Runs ticked for comparison. */
  compare: string[];
  /** The one metric compared runs are drawn on (null: val_loss, else the first recorded). */
  compareMetric: string | null;
}

/** The training store. */
export const useTraining = create<TrainingState>(() => ({
  runId: null,
  phase: 'idle',
  started: null,
  lastBatch: null,
  batchX: [],
  batchMetrics: {},
  epochs: [],
  finished: null,
  logs: [],
  runs: [],
  runsError: null,
  compare: [],
  compareMetric: null,
}));

function onEvent(e: TrainingEvent): void {
  const s = useTraining.getState();
  // Events of another window's run are not ours to draw.
  if (s.runId !== null && e.runId !== s.runId) return;
  switch (e.kind) {
    case 'started':
      useTraining.setState({ runId: e.runId, phase: 'running', started: e });
      break;
    case 'batch': {
      const x = e.epoch - 1 + e.batch / Math.max(1, e.batchesPerEpoch);
      const batchMetrics: Record<string, number[]> = { ...s.batchMetrics };
      for (const [k, v] of Object.entries(e.metrics)) batchMetrics[k] = [...(batchMetrics[k] ?? new Array<number>(s.batchX.length).fill(NaN)), v];
      useTraining.setState({ lastBatch: e, batchX: [...s.batchX, x], batchMetrics, phase: s.phase === 'stopping' ? 'stopping' : 'running' });
      break;
    }
    case 'epoch':
      useTraining.setState({ epochs: [...s.epochs, { epoch: e.epoch, metrics: e.metrics }] });
      break;
    case 'finished':
      useTraining.setState({ phase: e.status, finished: e });
      if (e.status === 'failed') toast('error', `Training failed: ${e.message ?? 'unknown error'}`);
      else toast(e.status === 'completed' ? 'success' : 'info', e.status === 'completed' ? 'Training finished.' : 'Training stopped.');
      void refreshRuns(currentProjectPath);
      // The worker finishes writing the run folder just after it reports; look again shortly.
      window.setTimeout(() => void refreshRuns(currentProjectPath), 1500);
      break;
    case 'samples':
      // The counts the run really uses (files that failed to decode are left out).
      if (s.started) useTraining.setState({ started: { ...s.started, trainSamples: e.trainSamples, validationSamples: e.validationSamples } });
      break;
    case 'log':
      useTraining.setState({ logs: [...s.logs.slice(-199), { level: e.level, message: e.message }] });
      break;
  }
}

let currentProjectPath: string | null = null;

/** Subscribes to the host's training events (once, at boot). */
export function startTrainingEvents(): void {
  api.onTrainingEvent(onEvent);
}

/** Starts training the given project. */
export async function startTraining(request: Parameters<typeof api.startTraining>[0]): Promise<void> {
  currentProjectPath = request.projectPath;
  useTraining.setState({ runId: null, phase: 'starting', started: null, lastBatch: null, batchX: [], batchMetrics: {}, epochs: [], finished: null, logs: [] });
  try {
    const { runId } = await api.startTraining(request);
    // Events may have arrived before the reply; keep them, and bind to this run from now on.
    useTraining.setState((s) => ({ runId, phase: s.phase === 'starting' ? 'running' : s.phase }));
  } catch (e) {
    useTraining.setState({ phase: 'idle' });
    toast('error', errorMessage(e), errorDetails(e));
  }
}

/** Stops the current run after its current batch. */
export async function stopTraining(): Promise<void> {
  const { runId } = useTraining.getState();
  if (!runId) return;
  useTraining.setState({ phase: 'stopping' });
  try {
    await api.stopTraining(runId);
  } catch (e) {
    toast('error', errorMessage(e));
  }
}

/** Reloads the runs list of a project. */
export async function refreshRuns(projectPath: string | null): Promise<void> {
  currentProjectPath = projectPath;
  try {
    const runs = await api.listRuns({ projectPath, ...(projectPath ? {} : { sessionKey: SESSION_KEY }) });
    useTraining.setState({ runs, runsError: null });
  } catch (e) {
    useTraining.setState({ runs: [], runsError: errorMessage(e) });
  }
}

/** Ticks or unticks a run for comparison (at most four). */
export function toggleCompare(id: string): void {
  useTraining.setState((s) => ({ compare: s.compare.includes(id) ? s.compare.filter((x) => x !== id) : [...s.compare, id].slice(-4) }));
}

/**
 * Clears what the Training tab shows of the previous project (charts, status, run list) when
 * another project is loaded. A run still going keeps its view: it belongs to the work in progress.
 */
export function resetTrainingView(): void {
  const { phase } = useTraining.getState();
  if (phase === 'starting' || phase === 'running' || phase === 'stopping') return;
  useTraining.setState({ runId: null, phase: 'idle', started: null, lastBatch: null, batchX: [], batchMetrics: {}, epochs: [], finished: null, logs: [], runs: [], runsError: null, compare: [] });
}

/** Chooses the metric compared runs are drawn on. */
export function setCompareMetric(metric: string): void {
  useTraining.setState({ compareMetric: metric });
}
