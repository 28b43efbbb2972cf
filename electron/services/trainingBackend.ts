/**
 * Loads the TensorFlow.js namespace a training runs on: the backend doctor's choice
 * (backendService.ts `loadBestBackend`: native GPU → native → wasm → cpu), or the backend asked for.
 * Training only needs the namespace and a one-line description; the doctor's full report comes along.
 */
import type { BackendReport } from '../../shared/api/backend.js';
import type { TF } from '../../shared/compile/tfTypes.js';
import type { BackendChoice } from '../../shared/training/protocol.js';
import { BackendUnavailableError, describeDevice, loadBestBackend } from './backendService.js';

/** A loaded backend. */
export interface LoadedBackend {
  readonly tf: TF;
  /** tfjs backend name: `tensorflow`, `cpu`, `wasm`. */
  readonly name: string;
  /** One line for people: `tensorflow (TensorFlow 2.21.0) on CPU: … (2 cores, 23.4 GiB)`. */
  readonly description: string;
  /** Why a better backend was not used (absent when the best one loaded, or one was asked for). */
  readonly fallbackReason?: string;
  readonly report?: BackendReport;
}

/** The backend asked for could not be loaded. */
export class BackendError extends Error {}

/** Loads the backend for `choice`. */
export async function loadTrainingBackend(choice: BackendChoice = 'auto'): Promise<LoadedBackend> {
  try {
    const { tf, report } = await loadBestBackend({ backend: choice });
    const engine = report.tfVersion ? `${report.backend} (TensorFlow ${report.tfVersion})` : report.backend;
    const notUsed = report.attempts.filter((a) => !a.ok);
    const fallbackReason = !report.fast && notUsed.length ? notUsed.map((a) => `${a.backend}: ${a.reason}`).join('; ') : undefined;
    return { tf, name: report.backend, description: `${engine} on ${describeDevice(report.device)}`, report, ...(fallbackReason ? { fallbackReason } : {}) };
  } catch (e) {
    if (e instanceof BackendUnavailableError) throw new BackendError(e.message);
    throw e;
  }
}
