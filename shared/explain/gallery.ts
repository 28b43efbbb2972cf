/**
 * The per-sample predictions a run's final evaluation stores (`predictions.json` in the run
 * folder), so the misclassified gallery opens a confusion-matrix cell without recomputing.
 */

/** File name in the run folder. */
export const PREDICTIONS_FILE = 'predictions.json';

/** One evaluated sample. */
export interface SamplePrediction {
  /** Image path relative to the dataset folder (images), or null (CSV and text rows). */
  readonly path: string | null;
  /** Sample index in the dataset. */
  readonly id: number;
  readonly actual: number;
  readonly predicted: number;
  /** The three most likely classes with their probabilities, most likely first. */
  readonly top: readonly (readonly [classIndex: number, probability: number])[];
}

/** predictions.json. */
export interface RunPredictions {
  readonly split: 'validation' | 'train';
  readonly classes: readonly string[];
  /** The dataset folder the paths are relative to (absolute), or null. */
  readonly datasetRoot: string | null;
  readonly samples: readonly SamplePrediction[];
}

/** The `k` most likely classes of one sample's probabilities (a sigmoid output counts as two classes). */
export function topClasses(probabilities: ArrayLike<number>, k = 3): [number, number][] {
  const p = probabilities.length === 1 ? [1 - probabilities[0], probabilities[0]] : Array.from(probabilities);
  return p
    .map((v, i) => [i, v] as [number, number])
    .sort((a, b) => b[1] - a[1])
    .slice(0, k);
}

/** A gallery item: a sample of one confusion-matrix cell, with its thumbnail. */
export interface CellSample extends SamplePrediction {
  /** Absolute image path (for the Explain panel), or null. */
  readonly file: string | null;
  /** PNG data URL, or null when the sample is not an image. */
  readonly thumbnail: string | null;
}

/** The samples of one cell (actual → predicted) of a run's confusion matrix. */
export interface CellSamples {
  readonly classes: readonly string[];
  readonly samples: readonly CellSample[];
  /** How many samples the cell holds (the gallery shows at most a limit of them). */
  readonly total: number;
}
