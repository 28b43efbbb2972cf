/**
 * Runs one dataset scan in a worker thread for the host (see scanDatasetInWorker): the scan's
 * parsing and its garbage collection then happen on another heap, so the host's event loop keeps
 * answering requests while a large CSV file is read.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DatasetError, SCAN_WORKER_FLAG, scanDatasetPath, type ScanOptions } from '../datasetService.js';

/** What the worker posts back. */
export type ScanWorkerMessage =
  | { readonly kind: 'progress'; readonly progress: import('../../../shared/training/dataset.js').ScanProgress }
  | { readonly kind: 'done'; readonly report: import('../../../shared/training/dataset.js').DatasetReport }
  | { readonly kind: 'error'; readonly message: string; readonly dataset: boolean };

interface ScanWorkerData {
  readonly [SCAN_WORKER_FLAG]: true;
  readonly path: string;
  readonly options: Pick<ScanOptions, 'kind' | 'targetColumn' | 'samplesPerClass' | 'concurrency'>;
}

const data = workerData as ScanWorkerData | null;
if (parentPort && data?.[SCAN_WORKER_FLAG]) {
  const port = parentPort;
  const post = (m: ScanWorkerMessage) => port.postMessage(m);
  scanDatasetPath(data.path, { ...data.options, onProgress: (progress) => post({ kind: 'progress', progress }) }).then(
    ({ report }) => post({ kind: 'done', report }),
    (e: unknown) => post({ kind: 'error', message: e instanceof Error ? e.message : String(e), dataset: e instanceof DatasetError }),
  );
}
