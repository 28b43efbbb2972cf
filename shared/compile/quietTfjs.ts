/**
 * tfjs's CPU backend prints a banner on its first use in Node.js ("Hi, looks like you are running
 * TensorFlow.js in Node.js…") that points at the native backend. Layerloom chooses the backend
 * itself and says why in `layerloom doctor`, so the banner is noise in the CLI, the training log and
 * test output. This turns it off on the CPU backend only; every other tfjs warning stays.
 */
import type { TF } from './tfTypes.js';

/**
 * Marks the CPU backend as already used, which is the only condition of its Node.js banner. Call
 * once a backend is set (`await tf.ready()`): choosing the first backend makes new backend instances.
 */
export function silenceCpuBanner(tf: TF): void {
  if (!tf.findBackendFactory('cpu')) return;
  const backend = tf.findBackend('cpu') as { firstUse?: unknown } | null;
  if (backend && typeof backend.firstUse === 'boolean') backend.firstUse = false;
}
