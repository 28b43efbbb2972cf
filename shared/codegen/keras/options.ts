/** Options and constants of the Keras export. */

/** Options of the Keras export. */
export interface KerasExportOptions {
  /**
   * Default of `--data`, as it should read from the export folder (the export service passes the
   * dataset path relative to it). Default: the project's dataset path as saved; null: none.
   */
  readonly dataPath?: string | null;
  /** File name of the weights shipped beside model.py (`weights.npz`), or null when there are none. */
  readonly weightsFile?: string | null;
  /**
   * File name of the training run's preprocessing.json shipped beside model.py (the classes, CSV
   * scaling or vocabulary the weights were trained with), or null: the script fits its own.
   */
  readonly preprocessingFile?: string | null;
  /** A sentence saying which run and checkpoint the shipped weights come from (README's "Weights"). */
  readonly weightsNote?: string | null;
  /** The TFLite conversion shipped beside model.py as model.tflite (README's files), if any. */
  readonly tflite?: 'dynamic' | 'float16' | 'int8' | null;
}

/** Default name of the weights file of a Keras export. */
export const KERAS_WEIGHTS_FILE = 'weights.npz';
