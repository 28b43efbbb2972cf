/**
 * What the Keras engine needs of a Python installation, and the check of what one has: pure, so
 * the rule is unit-tested with real version strings (`2.21.0`, `3.15.0`, `2.16.0rc0`, …).
 */

/** What a Python interpreter reports (null: the module does not import; `<name>_error` says why). */
export interface KerasVersions {
  readonly python: string;
  readonly executable?: string;
  readonly numpy?: string | null;
  readonly tensorflow: string | null;
  readonly keras: string | null;
  readonly tensorflow_error?: string;
  readonly keras_error?: string;
  /** TensorFlow's logical devices, e.g. `/device:CPU:0 (CPU)`. */
  readonly devices?: readonly string[];
  /** CUDA and cuDNN versions TensorFlow was built with (absent for a CPU build). */
  readonly cuda?: string | null;
  readonly cudnn?: string | null;
}

/** Keras 3 (model.py is Keras 3 code) on TensorFlow 2.16 or newer (the first that ships Keras 3). */
export const MIN_KERAS = '3.0.0';
/** See {@link MIN_KERAS}. */
export const MIN_TENSORFLOW = '2.16.0';

/** The numeric release of a version string: `2.16.0rc0` → [2, 16, 0]. */
function release(version: string): number[] {
  return version
    .split(/[^0-9.]/)[0]
    .split('.')
    .filter((p) => p !== '')
    .map(Number);
}

/** Whether `version` is at least `minimum` (pre-releases count as their release). */
export function atLeast(version: string, minimum: string): boolean {
  const a = release(version);
  const b = release(minimum);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/**
 * Why the Keras engine cannot train with what was found, naming the versions found and needed;
 * null when it can.
 */
export function kerasVersionProblem(found: KerasVersions): string | null {
  const have = `found Python ${found.python}, TensorFlow ${found.tensorflow ?? 'not installed'}, Keras ${found.keras ?? 'not installed'}`;
  const need = `the Keras engine needs TensorFlow ${MIN_TENSORFLOW} or newer and Keras ${MIN_KERAS} or newer`;
  if (!found.tensorflow || !found.keras) {
    const why = [found.tensorflow_error, found.keras_error].filter(Boolean).join('; ');
    return `TensorFlow or Keras is missing: ${have}${why ? ` (${why})` : ''}; ${need}`;
  }
  if (!atLeast(found.tensorflow, MIN_TENSORFLOW) || !atLeast(found.keras, MIN_KERAS)) return `TensorFlow or Keras is too old: ${have}; ${need}`;
  return null;
}

/**
 * The Keras engine in a few words, for the status bar and the runs list: `Keras · TF 2.21 · CPU`
 * (`GPU`, or `2 GPUs`, when TensorFlow sees them).
 */
export function kerasEngineLabel(v: KerasVersions): string {
  const gpus = (v.devices ?? []).filter((d) => /\bGPU\b/.test(d)).length;
  const tf = v.tensorflow ? ` · TF ${release(v.tensorflow).slice(0, 2).join('.')}` : '';
  return `Keras${tf} · ${gpus > 1 ? `${gpus} GPUs` : gpus === 1 ? 'GPU' : 'CPU'}`;
}

/**
 * A run's engine and device in a few words: the label it recorded, else the engine and the device
 * named at the end of its backend line (`… on CPU: Intel Xeon …`, `… on GPU:0`).
 */
export function runEngineLabel(run: { readonly engine?: string; readonly backend: string; readonly engineLabel?: string }): string {
  if (run.engineLabel) return run.engineLabel;
  const device = / on (GPU|CPU)\b/.exec(run.backend)?.[1];
  return `${run.engine === 'keras' ? 'Keras' : 'tfjs'}${device ? ` · ${device}` : ''}`;
}
