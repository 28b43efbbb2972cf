/** Options and constants of the TypeScript export. */

/** Options of the TypeScript export. */
export interface TsExportOptions {
  /** Default of `--data` (relative to the export folder); default: the project's dataset path; null: none. */
  readonly dataPath?: string | null;
  /** Folder (inside the export) holding the tfjs weights (`model.json` + `weights.bin`), or null when none. */
  readonly weightsFolder?: string | null;
  /** The training run's preprocessing.json shipped with the export (classes, CSV scaling, vocabulary), or null. */
  readonly preprocessingFile?: string | null;
  /** A sentence saying which run and checkpoint the shipped weights come from (README's "Weights"). */
  readonly weightsNote?: string | null;
}

/** Default folder of the tfjs weights inside a TypeScript export. */
export const TS_WEIGHTS_FOLDER = 'weights';
