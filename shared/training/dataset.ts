/**
 * What Layerloom knows about a dataset, and the conventions every consumer shares: the training
 * engine, the dataset panel, and the exported Keras/TS code (which must prepare data the same way,
 * or trained weights would mean something else there).
 *
 * Conventions (keep the exporters in step with these):
 * - Image classes are the sub-folder names sorted by code point (as Keras
 *   `image_dataset_from_directory` sorts them); label `i` is `classes[i]`. Class folders with no
 *   usable file are left out, with a warning.
 * - Images are resized to the Input's height × width with bilinear interpolation, aspect ratio not
 *   kept (Keras `crop_to_aspect_ratio=False`), converted to the Input's channels (1 grey, 3 RGB,
 *   4 RGBA) and scaled by {@link IMAGE_SCALE} to [0, 1].
 * - CSV: numeric feature columns are standardized with the training split's mean and standard
 *   deviation; text columns with at most MAX_CATEGORIES distinct values are one-hot encoded
 *   (categories sorted), others are rejected. Features keep the file's column order, a one-hot
 *   column expanding in place. The target column is a class label (classification) unless it is
 *   numeric with more than MAX_INTEGER_CLASSES distinct values or non-integer values
 *   (regression, used unscaled).
 * - CSV cells that read as numbers but are not finite (`NaN`, `inf`, `Infinity`, `1e400`) count as
 *   empty in an otherwise numeric column (filled with the mean, reported with their lines); a row
 *   whose target is one is skipped. See csvPrep.ts's csvCellKind.
 * - In a `;`-separated file, a column whose cells are all numbers written with a decimal comma
 *   (`1,5`) is read as numbers (`1.5`). See csvPrep.ts's isDecimalCommaColumn.
 * - Text: see tokenizer.ts.
 */
import type { DatasetKind, LossName } from './settings.js';
import type { CsvColumnInfo } from './csvPrep.js';


/** Pixel values are multiplied by this (0–255 → 0–1). */
export const IMAGE_SCALE = 1 / 255;

/** Image file extensions read from class folders (lower case, with the dot). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp', '.tif', '.tiff'] as const;

/** Text file extensions read from class folders. */
export const TEXT_EXTENSIONS = ['.txt'] as const;

/** A class this many times smaller than the largest one triggers an imbalance warning. */
export const IMBALANCE_RATIO = 3;

/** Classification predicts one class per sample; regression predicts numbers. */
export type DatasetTask = 'classification' | 'regression';

/** Why a file was left out. */
export type SkipReason = 'corrupt' | 'unsupported' | 'unreadable' | 'empty' | 'invalid';

/** A file (or CSV row) the scan left out, and why. */
export interface SkippedFile {
  /** Path relative to the dataset folder (CSV: `file.csv:LINE`). */
  readonly path: string;
  /** Human explanation, e.g. `corrupt: Input buffer contains unsupported image format`. */
  readonly reason: string;
  readonly code: SkipReason;
}

/** One class and how many usable samples it has. */
export interface DatasetClass {
  readonly name: string;
  readonly count: number;
}

/** A thumbnail (images) or a preview (csv/text) for the dataset panel. */
export interface DatasetSample {
  readonly label: string;
  /** `data:image/png;base64,…` for images. */
  readonly dataUrl?: string;
  readonly text?: string;
}

/** Details of an image folder. */
export interface ImageDatasetInfo {
  /** Size shared by most images (`null` when there are none). */
  readonly commonSize: { readonly width: number; readonly height: number; readonly channels: number } | null;
  /** How many distinct sizes were found (1: all images alike). */
  readonly distinctSizes: number;
}

/** Details of a text folder. */
export interface TextDatasetInfo {
  readonly averageTokens: number;
  readonly maxTokens: number;
  /** Distinct tokens in the whole dataset (before capping to the Embedding's vocabulary). */
  readonly distinctTokens: number;
}

/** Details of a CSV file. */
export interface CsvDatasetInfo {
  readonly file: string;
  readonly rows: number;
  readonly columns: readonly CsvColumnInfo[];
  readonly target: string;
  /** Model inputs after one-hot expansion. */
  readonly featureCount: number;
}

/**
 * What a dataset scan found. Field names match the editor API's `DatasetReport`; the rest are
 * details for the dataset panel and the training engine.
 */
export interface DatasetReport {
  /** The absolute path scanned (a folder, or a CSV file). */
  readonly path: string;
  readonly kind: DatasetKind;
  readonly task: DatasetTask;
  /** Usable samples. */
  readonly sampleCount: number;
  /** Classes in label order (empty for regression). */
  readonly classes: readonly DatasetClass[];
  /** Shape of one model input sample without the batch, or null when the data cannot say. */
  readonly inputShape: readonly (number | null)[] | null;
  /** Units the last layer needs: classes (or 1 for two classes with sigmoid, see suggestedLoss), 1 for regression. */
  readonly outputUnits: number;
  readonly suggestedLoss: Exclude<LossName, 'auto'>;
  readonly suggestedActivation: 'softmax' | 'sigmoid' | 'linear';
  readonly samples: readonly DatasetSample[];
  readonly skipped: readonly SkippedFile[];
  /** Problems that do not stop training: imbalance, empty class folders, rejected columns… */
  readonly warnings: readonly string[];
  readonly image?: ImageDatasetInfo;
  readonly csv?: CsvDatasetInfo;
  readonly text?: TextDatasetInfo;
  readonly scanSeconds: number;
}

/** What the loss check needs to know about the data. */
export interface DatasetTargetInfo {
  readonly task: DatasetTask;
  /** Number of classes (classification), 1 for regression. */
  readonly numClasses: number;
  readonly kind?: DatasetKind;
}

/** Progress of a long scan or decode, for progress bars. */
export interface ScanProgress {
  readonly phase: 'listing' | 'checking' | 'decoding' | 'reading';
  readonly done: number;
  /** Null while unknown (still listing). */
  readonly total: number | null;
  /** Seconds left, or null while unknown. */
  readonly etaSeconds: number | null;
}

/**
 * Warnings about class balance: a class `IMBALANCE_RATIO` times smaller than the largest, or with
 * fewer than 2 samples (it cannot appear on both sides of a split).
 */
export function imbalanceWarnings(classes: readonly DatasetClass[]): string[] {
  if (classes.length < 2) return [];
  const largest = classes.reduce((a, b) => (b.count > a.count ? b : a));
  const out: string[] = [];
  const small = classes.filter((c) => c.count * IMBALANCE_RATIO <= largest.count);
  if (small.length) {
    const list = small
      .slice(0, 5)
      .map((c) => `"${c.name}" (${c.count})`)
      .join(', ');
    out.push(
      `Classes are imbalanced: ${list}${small.length > 5 ? ` and ${small.length - 5} more` : ''} ha${small.length === 1 ? 's' : 've'} ` +
        `${IMBALANCE_RATIO}× or more fewer samples than "${largest.name}" (${largest.count}). The model may learn to ignore ` +
        `${small.length === 1 ? 'it' : 'them'} while accuracy still looks good: add samples, or check per-class recall after training.`,
    );
  }
  for (const c of classes.filter((c) => c.count === 1)) {
    out.push(`Class "${c.name}" has a single sample; it cannot be both trained on and validated. Add more samples of it.`);
  }
  return out;
}
