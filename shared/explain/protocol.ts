/**
 * The Explain view's request and answer (shared by the API contract and the training worker, which
 * computes them on the tfjs engine), and the worker messages that carry them. Kept apart from the
 * training protocol: an explain job is one request and one reply.
 */
import type { ProjectDocument } from '../graph/document.js';
import type { BlockStats, WeightSummary } from './explain.js';

/** A file a person dropped or opened in the Explain view (an image, or a text for a text model). */
export interface ExplainUpload {
  readonly name: string;
  /** The file's bytes as a data URL (`data:<type>;base64,…`). */
  readonly dataUrl: string;
}

/**
 * What to explain: a trained run's weights on one input — a dataset sample, a dropped file, or
 * text typed into the view (exactly one of `sample`, `upload`, `text`).
 */
export interface ExplainRequest {
  readonly doc: ProjectDocument;
  readonly projectPath: string | null;
  /** Runs of a never-saved project live with its recovery state. */
  readonly sessionKey?: string;
  /** best, latest or a run id (default: best). */
  readonly run?: string;
  /** best (default) or last checkpoint of that run. */
  readonly checkpoint?: 'best' | 'last';
  /** A sample of the project's dataset (absolute path: an image, or a text file). */
  readonly sample?: string;
  /** A dropped or opened file, prepared as the dataset's samples are. */
  readonly upload?: ExplainUpload;
  /** Text typed into the view (text models), tokenized with the run's vocabulary. */
  readonly text?: string;
  /** SmoothGrad: average saliency over this many noisy copies of the input (0 or absent: plain). */
  readonly smoothGradSamples?: number;
  /** The class Grad-CAM and saliency explain (default: the predicted class). */
  readonly classIndex?: number;
  /** The block Grad-CAM explains (layer name; default: the last conv block). */
  readonly layer?: string;
}

/** One block's output, as the Explain view draws it. */
export interface ExplainBlock {
  readonly layer: string;
  /** The canvas node, when the layer is a block's. */
  readonly block: string | null;
  readonly kind: string;
  /** Output shape without the batch axis. */
  readonly shape: readonly number[];
  /** Row-major values; large outputs are cut to their first `EXPLAIN_VALUE_LIMIT` values (`truncated`). */
  readonly values: readonly number[];
  readonly truncated: boolean;
  readonly stats: BlockStats;
  /** The block's weight tensors with their histograms (none for blocks without weights). */
  readonly weights: readonly WeightSummary[];
}

/** A heat map over the input, values 0–1, row-major height × width. */
export interface ExplainHeatmap {
  readonly width: number;
  readonly height: number;
  readonly values: readonly number[];
}

/** The answer to an {@link ExplainRequest}. */
export interface ExplainResult {
  /** What the weights are (run, checkpoint, epoch). */
  readonly weights: string;
  readonly classes: readonly string[];
  readonly probabilities: readonly number[];
  readonly predicted: number;
  readonly classIndex: number;
  /** The input as the model sees it, as a PNG data URL (image models; null for text). */
  readonly image: string | null;
  readonly gradcam: (ExplainHeatmap & { readonly layer: string }) | null;
  /** Why there is no Grad-CAM (no conv block), when there is none. */
  readonly gradcamWhy: string | null;
  readonly saliency: (ExplainHeatmap & { readonly smoothGradSamples: number }) | null;
  readonly blocks: readonly ExplainBlock[];
  /** Text models: the tokens in model order, as the attention maps' axes ('' for padding). */
  readonly tokens: readonly string[] | null;
  /** Text models: gradient × embedding per position (same order as `tokens`). */
  readonly tokenScores: readonly number[] | null;
  /** Why there is no token attribution for a text model (no Embedding block), when there is none. */
  readonly tokensWhy: string | null;
  /** The attention weights of each MultiHeadAttention block. */
  readonly attention: readonly ExplainAttention[];
  /** The first Conv2D block's kernel (kh, kw, in, out), drawn as one image per filter. */
  readonly filters: { readonly layer: string; readonly shape: readonly [number, number, number, number]; readonly values: readonly number[] } | null;
}

/** One MultiHeadAttention block's weights for the sample. */
export interface ExplainAttention {
  readonly layer: string;
  readonly block: string | null;
  readonly heads: number;
  readonly queryLength: number;
  readonly keyLength: number;
  /** heads × query × key, row-major; each query row sums to 1. */
  readonly weights: readonly number[];
  /** Whether the block masks future keys (its upper triangle is 0 by design). */
  readonly causal: boolean;
}

/** Dataset samples offered to explain: a few per class. */
export interface ExplainSample {
  readonly path: string;
  readonly label: string;
  /** Image samples: a thumbnail as a PNG data URL. */
  readonly thumbnail?: string;
  /** Text samples: the start of the text. */
  readonly snippet?: string;
}

/** Values per block sent to the view at most (a 64 × 64 × 64 map is 262,144). */
export const EXPLAIN_VALUE_LIMIT = 300_000;

/**
 * Host → worker: compute one explanation (instead of `start`). An explain worker stays alive for
 * more of them (the engine and the loaded model are kept); each reply carries its request's `id`.
 */
export interface ExplainWorkerMessage {
  readonly type: 'explain';
  readonly id: number;
  readonly request: ExplainRequest;
  /** Where the runs are (a never-saved project's session runs), resolved by the host. */
  readonly runsDir?: string;
}

/** Worker → host: the reply to the {@link ExplainWorkerMessage} with the same `id`. */
export type ExplainWorkerReply = { readonly kind: 'explained'; readonly id: number; readonly result: ExplainResult } | { readonly kind: 'explainFailed'; readonly id: number; readonly message: string };
