/**
 * Final evaluation of a trained model: accuracy, per-class precision and recall and the confusion
 * matrix for classification; error measures for regression. Pure, so the UI can recompute it.
 */

/** Precision/recall of one class. */
export interface ClassScore {
  readonly name: string;
  /** Of the samples predicted as this class, the fraction that were (NaN when none was predicted). */
  readonly precision: number;
  /** Of the samples of this class, the fraction found. */
  readonly recall: number;
  readonly f1: number;
  /** Samples of this class in the evaluated set. */
  readonly support: number;
}

/** A confusion matrix: `counts[actual][predicted]`. */
export interface ConfusionMatrix {
  readonly labels: readonly string[];
  readonly counts: readonly (readonly number[])[];
}

/** Evaluation of a classifier. */
export interface ClassificationEvaluation {
  readonly task: 'classification';
  /** Which split was evaluated (`validation`, or `train` when there is no validation split). */
  readonly split: 'validation' | 'train';
  readonly samples: number;
  readonly accuracy: number;
  readonly loss: number;
  readonly perClass: readonly ClassScore[];
  readonly confusionMatrix: ConfusionMatrix;
}

/** Evaluation of a regression model. */
export interface RegressionEvaluation {
  readonly task: 'regression';
  readonly split: 'validation' | 'train';
  readonly samples: number;
  readonly loss: number;
  readonly meanSquaredError: number;
  readonly meanAbsoluteError: number;
  /** Coefficient of determination (1 = perfect, 0 = no better than the mean). */
  readonly r2: number;
}

/** Either kind of evaluation. */
export type Evaluation = ClassificationEvaluation | RegressionEvaluation;

/** Scores class predictions against true labels (both class indices). */
export function evaluateClassification(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classNames: readonly string[],
  loss: number,
  split: 'validation' | 'train',
): ClassificationEvaluation {
  const k = classNames.length;
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const p = predicted[i];
    if (a >= 0 && a < k && p >= 0 && p < k) counts[a][p]++;
    if (a === p) correct++;
  }
  const perClass = classNames.map((name, c) => {
    const tp = counts[c][c];
    const support = counts[c].reduce((s, v) => s + v, 0);
    const predictedAs = counts.reduce((s, row) => s + row[c], 0);
    const precision = predictedAs ? tp / predictedAs : Number.NaN;
    const recall = support ? tp / support : Number.NaN;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { name, precision, recall, f1: Number.isNaN(f1) ? 0 : f1, support };
  });
  return {
    task: 'classification',
    split,
    samples: actual.length,
    accuracy: actual.length ? correct / actual.length : Number.NaN,
    loss,
    perClass,
    confusionMatrix: { labels: [...classNames], counts },
  };
}

/** Scores numeric predictions. */
export function evaluateRegression(actual: ArrayLike<number>, predicted: ArrayLike<number>, loss: number, split: 'validation' | 'train'): RegressionEvaluation {
  const n = actual.length;
  let se = 0;
  let ae = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += actual[i] / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = predicted[i] - actual[i];
    se += d * d;
    ae += Math.abs(d);
    ss += (actual[i] - mean) ** 2;
  }
  return {
    task: 'regression',
    split,
    samples: n,
    loss,
    meanSquaredError: n ? se / n : Number.NaN,
    meanAbsoluteError: n ? ae / n : Number.NaN,
    r2: ss > 0 ? 1 - se / ss : Number.NaN,
  };
}
