/**
 * What the exported training scripts need to know, resolved once for both languages: the concrete
 * loss (never `auto`), how labels are encoded, which dataset loader to emit and its sizes.
 */
import type { Shape } from '../blocks/types.js';
import type { ProjectDocument } from '../graph/document.js';
import { IMAGE_SCALE } from '../training/dataset.js';
import { outputHead, suggestLoss, type ResolvedLoss } from '../training/lossCheck.js';
import { DEFAULT_TRAINING, type DatasetKind, type TrainingSettings } from '../training/settings.js';
import type { ModelPlan, PlanLayer } from './plan.js';

/**
 * Image pixels are divided by this in the exported scripts: the inverse of the training engine's
 * IMAGE_SCALE, so weights trained in one mean the same in the other.
 */
export const IMAGE_PIXEL_DIVISOR = Math.round(1 / IMAGE_SCALE);

/** A loss that is not `auto`. */
export type ConcreteLoss = ResolvedLoss;

/** How the scripts encode labels for the loss. */
export type LabelMode = 'int' | 'categorical' | 'binary' | 'float';

/** Image loader settings, from the Input's shape. */
export interface ImageData {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Keras `color_mode`. */
  readonly colorMode: 'grayscale' | 'rgb' | 'rgba';
}

/** Text loader settings, from the Input and the Embedding it feeds. */
export interface TextData {
  /** Embedding `input_dim`: token ids are < this (0 = padding, 1 = unknown word). */
  readonly vocabularySize: number;
  /** Tokens per text (cut or padded), or null to pad to the longest text in a batch. */
  readonly sequenceLength: number | null;
}

/** CSV loader settings. */
export interface CsvData {
  /** Column to predict; null = the last column. */
  readonly targetColumn: string | null;
  /** Number of feature values the Input expects. */
  readonly features: number;
}

/** Everything resolved. */
export interface TrainingPlan {
  readonly settings: TrainingSettings;
  readonly loss: ConcreteLoss;
  readonly labelMode: LabelMode;
  /** Which loader the scripts contain; null when none fits (see `dataProblem`). */
  readonly dataKind: DatasetKind | null;
  /** Why the scripts cannot load data for this model (they still build it), or null. */
  readonly dataProblem: string | null;
  readonly image: ImageData | null;
  readonly text: TextData | null;
  readonly csv: CsvData | null;
}

/**
 * The loss for `auto` without scanning the dataset: the training engine's rule (lossCheck.ts), told
 * that a softmax or sigmoid output means classification (as many classes as units, two for one
 * sigmoid unit) and anything else regression.
 */
export function suggestExportLoss(doc: Pick<ProjectDocument, 'nodes' | 'edges'>, plan: ModelPlan): ConcreteLoss {
  const head = outputHead(doc, plan.analysis);
  const units = head?.shape?.[head.shape.length - 1] ?? 1;
  const activation = head?.activation;
  if (activation === 'softmax' || activation === 'sigmoid') {
    const numClasses = activation === 'sigmoid' && units === 1 ? 2 : (units ?? 2);
    return suggestLoss(doc, { task: 'classification', numClasses }).loss;
  }
  return suggestLoss(doc, { task: 'regression', numClasses: 1 }).loss;
}

function labelModeFor(loss: ConcreteLoss): LabelMode {
  switch (loss) {
    case 'sparse_categorical_crossentropy':
      return 'int';
    case 'categorical_crossentropy':
      return 'categorical';
    case 'binary_crossentropy':
      return 'binary';
    default:
      return 'float';
  }
}

const COLOR_MODES: Readonly<Record<number, ImageData['colorMode']>> = { 1: 'grayscale', 3: 'rgb', 4: 'rgba' };

function guessKind(plan: ModelPlan): DatasetKind | null {
  const input = plan.inputs[0];
  if (!input) return null;
  if (input.dtype === 'int32') return 'text';
  if (input.shape.length === 3) return 'images';
  if (input.shape.length === 1) return 'csv';
  return null;
}

function embeddingAfter(plan: ModelPlan, inputName: string): PlanLayer | undefined {
  return plan.steps.find(
    (s): s is PlanLayer => s.kind === 'layer' && s.def.tokenIds !== undefined && s.inputs.some((i) => i.source === inputName),
  );
}

function argNumber(step: PlanLayer, name: string): number | null {
  const v = step.call.kerasArgs.find(([k]) => k === name)?.[1];
  return typeof v === 'number' ? v : null;
}

/** Resolves the training side of an export. */
export function planTraining(doc: Pick<ProjectDocument, 'nodes' | 'edges' | 'dataset' | 'training'>, plan: ModelPlan): TrainingPlan {
  const settings = doc.training ?? DEFAULT_TRAINING;
  const loss: ConcreteLoss = settings.loss === 'auto' ? suggestExportLoss(doc, plan) : settings.loss;
  const base = { settings, loss, labelMode: labelModeFor(loss), image: null, text: null, csv: null };
  if (plan.inputs.length !== 1 || plan.outputs.length !== 1) {
    return {
      ...base,
      dataKind: null,
      dataProblem: `the model has ${plan.inputs.length} inputs and ${plan.outputs.length} outputs; the dataset loaders feed one input and one output. Write a loader that yields (inputs, targets) in model order.`,
    };
  }
  // The loaders give one label per sample; a prediction per step (a sequence tagger's, which Keras
  // scores on the real, unmasked steps only) needs targets of its own shape.
  const output = plan.outputs[0];
  if (output.shape.length !== 1) {
    return {
      ...base,
      dataKind: null,
      dataProblem: `the dataset loaders give one label per sample, but the output "${output.label}" has shape ${JSON.stringify(output.shape)} per sample (a prediction per step or position). Write a loader that yields targets of that shape (Keras leaves masked steps out of the loss).`,
    };
  }
  const kind = doc.dataset?.kind ?? guessKind(plan);
  const input = plan.inputs[0];
  const shape: Shape = input.shape;
  const problem = (why: string): TrainingPlan => ({ ...base, dataKind: null, dataProblem: why });
  switch (kind) {
    case 'images': {
      const [h, w, c] = shape;
      if (shape.length !== 3 || h === null || w === null || c === null || !COLOR_MODES[c]) {
        return problem(`image folders need an Input of shape (height, width, channels) with fixed sizes and 1, 3 or 4 channels; "${input.node.label}" has ${JSON.stringify(shape)}.`);
      }
      return { ...base, dataKind: 'images', dataProblem: null, image: { height: h, width: w, channels: c, colorMode: COLOR_MODES[c] } };
    }
    case 'text': {
      const embedding = embeddingAfter(plan, input.name);
      const vocabularySize = embedding?.def.tokenIds ? argNumber(embedding, embedding.def.tokenIds.vocabularyParam) : null;
      if (shape.length !== 1 || input.dtype !== 'int32' || vocabularySize === null) {
        return problem(`text folders need an int32 Input of shape (sequence_length,) feeding an Embedding; "${input.node.label}" is ${input.dtype} ${JSON.stringify(shape)}.`);
      }
      return { ...base, dataKind: 'text', dataProblem: null, text: { vocabularySize, sequenceLength: shape[0] } };
    }
    case 'csv': {
      const n = shape[0];
      if (shape.length !== 1 || n === null) {
        return problem(`CSV files need an Input of shape (features,) with a fixed size; "${input.node.label}" has ${JSON.stringify(shape)}.`);
      }
      return { ...base, dataKind: 'csv', dataProblem: null, csv: { targetColumn: doc.dataset?.targetColumn ?? null, features: n } };
    }
    default:
      return problem(`no dataset loader fits an Input of shape ${JSON.stringify(shape)} (${input.dtype}); write one that yields (inputs, targets) batches.`);
  }
}
