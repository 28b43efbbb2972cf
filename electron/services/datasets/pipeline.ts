/**
 * From a scanned dataset to training batches: split, encoding to the model's Input, and a
 * streaming batch iterator with prefetch. Images are decoded on demand (libvips threads, several
 * files in flight) and kept in a memory-budgeted cache, so a 100,000-image folder is never loaded
 * at once; CSV and text data are small once encoded and live in memory.
 *
 * Batches are plain typed arrays: the training worker turns them into tensors with whichever
 * backend it loaded.
 */
import { mixSeeds } from '../../../shared/compile/seeding.js';
import { IMAGE_SCALE, type DatasetTask, type ScanProgress, type SkippedFile } from '../../../shared/training/dataset.js';
import { stratifiedSplit, shuffleInPlace, seededRandom, type Split } from '../../../shared/training/split.js';
import { buildVocabulary, encodeTokens, vocabularyIndex, OOV_TOKEN, type Vocabulary } from '../../../shared/training/tokenizer.js';
import type { ScannedDataset } from '../datasetService.js';
import { DatasetError } from '../datasetService.js';
import { encodeCsv, fitScaling } from '../../../shared/training/csvPrep.js';
import { decodeImage, decoderMessage, runAlone, type ImageTarget } from './images.js';
import { relative } from 'node:path';

/** What the model's Input block wants. */
export interface ModelInputSpec {
  /** Per-sample shape (no batch); `null` for a variable size. */
  readonly shape: readonly (number | null)[];
  readonly dtype: 'float32' | 'int32';
  /** Text: the Embedding's `input_dim` (vocabulary size incl. padding and [UNK]). */
  readonly vocabularySize?: number;
}

/** Options of {@link prepareDataset}. */
export interface PrepareOptions {
  readonly validationSplit: number;
  readonly seed: number;
  /** Decoded-image cache budget in bytes (default 512 MiB). */
  readonly cacheBudgetBytes?: number;
  /** Images decoded at once (default 16). */
  readonly concurrency?: number;
  readonly onProgress?: (p: ScanProgress) => void;
}

/**
 * How raw data became model input, saved with every run so the model can be used later (and by
 * exporters) with the same preprocessing.
 */
export type Preprocessing =
  | { readonly kind: 'images'; readonly height: number; readonly width: number; readonly channels: number; readonly scale: number; readonly resize: 'bilinear'; readonly classes: readonly string[] }
  | {
      readonly kind: 'csv';
      readonly target: string;
      readonly task: DatasetTask;
      readonly classes: readonly string[];
      /** In feature order; numeric: (x - mean) / std, missing → mean; categorical: one-hot over `categories`. */
      readonly features: readonly (
        | { readonly column: string; readonly type: 'numeric'; readonly mean: number; readonly std: number }
        | { readonly column: string; readonly type: 'categorical'; readonly categories: readonly string[] }
      )[];
      readonly rejected: readonly string[];
    }
  | { readonly kind: 'text'; readonly classes: readonly string[]; readonly vocabulary: readonly string[]; readonly oovToken: string; readonly sequenceLength: number; readonly maxTokens: number };

/** One batch of training data. */
export interface Batch {
  /** Row-major inputs: `size × prod(sampleShape)`. */
  readonly x: Float32Array | Int32Array;
  /** Targets: class index (classification) or value (regression), one per sample. */
  readonly y: Float32Array;
  /** Sample ids in this batch (after dropping samples that failed to decode). */
  readonly ids: Int32Array;
  readonly size: number;
  /** Samples that could not be decoded this time (reported, left out of the batch). */
  readonly failed: readonly SkippedFile[];
}

/** A dataset ready for training. */
export interface PreparedDataset {
  readonly kind: ScannedDataset['source']['kind'];
  readonly task: DatasetTask;
  readonly classes: readonly string[];
  readonly sampleShape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  readonly size: number;
  /** Per sample: class index or regression value. */
  readonly targets: Float32Array;
  readonly split: Split;
  readonly preprocessing: Preprocessing;
  /** Fills rows of a batch for the given sample ids. */
  batch(ids: Int32Array, options?: { augment?: boolean; random?: () => number }): Promise<Batch>;
  /** Decoded-image cache use (images only). */
  cacheStats(): { cached: number; bytes: number; budget: number };
  /** Whether every decoded sample fits the cache at once (images; always false for in-memory data). */
  fitsCache(): boolean;
  /** Ids of the samples that failed to decode so far (images; empty otherwise). */
  failedIds(): ReadonlySet<number>;
}

function imageTarget(shape: readonly (number | null)[]): ImageTarget {
  const bad = () =>
    new DatasetError(
      `The Input block's shape (${shape.map((d) => d ?? 'None').join(', ')}) does not describe an image. Set it to (height, width, channels), ` +
        `e.g. (28, 28, 1) for grey or (64, 64, 3) for colour images; images are resized to it.` +
        // A volume or video Input (Conv3D models): no folder loader reads those yet.
        (shape.length === 4 ? ' A (depth, height, width, channels) volume has no dataset loader yet: train such a model from its exported Keras or TypeScript code with your own loader.' : ''),
    );
  if (shape.length === 2 && shape.every((d) => d !== null)) return { height: shape[0], width: shape[1], channels: 1 };
  if (shape.length !== 3 || shape.some((d) => d === null)) throw bad();
  const c = shape[2] as number;
  if (c !== 1 && c !== 3 && c !== 4) throw bad();
  return { height: shape[0] as number, width: shape[1] as number, channels: c };
}

/** Prepares a scanned dataset for a model input. Throws DatasetError when they do not fit. */
export async function prepareDataset(scanned: ScannedDataset, input: ModelInputSpec, options: PrepareOptions): Promise<PreparedDataset> {
  const { source } = scanned;
  const task = scanned.report.task;
  if (task === 'classification' && scanned.report.classes.length < 2) {
    throw new DatasetError(`The dataset has ${scanned.report.classes.length} class(es); a classifier needs at least two. ${scanned.report.warnings.join(' ')}`);
  }

  if (source.kind === 'csv') {
    const { plan, table } = source;
    if (input.shape.length !== 1 || input.shape[0] !== plan.featureCount) {
      const cols = plan.columns.filter((c) => c.role === 'feature').map((c) => (c.width > 1 ? `${c.name} (${c.width} one-hot)` : c.name));
      throw new DatasetError(
        `The CSV gives ${plan.featureCount} input values per row (${cols.join(', ')}), but the Input block's shape is (${input.shape.map((d) => d ?? 'None').join(', ')}). ` +
          `Set the Input's shape to ${plan.featureCount}.`,
      );
    }
    const split = stratifiedSplit(plan.usableRows.length, options.validationSplit, options.seed, task === 'classification' ? plan.targets : undefined);
    const scaling = fitScaling(table, plan, split.train);
    const x = encodeCsv(table, plan, scaling);
    const width = plan.featureCount;
    const features: Extract<Preprocessing, { kind: 'csv' }>['features'][number][] = [];
    plan.columns.forEach((col, c) => {
      if (col.role !== 'feature') return;
      if (col.type === 'numeric') features.push({ column: col.name, type: 'numeric', mean: scaling.mean.get(c) as number, std: scaling.std.get(c) as number });
      else features.push({ column: col.name, type: 'categorical', categories: plan.categories.get(c) as string[] });
    });
    return inMemory({
      kind: 'csv',
      task,
      classes: plan.classes,
      sampleShape: [width],
      dtype: 'float32',
      x,
      targets: plan.targets,
      split,
      preprocessing: { kind: 'csv', target: table.header[plan.targetIndex], task, classes: plan.classes, features, rejected: plan.columns.filter((c) => c.role === 'rejected').map((c) => c.name) },
    });
  }

  if (source.kind === 'text') {
    if (input.shape.length !== 1) {
      throw new DatasetError(`Text is fed to the model as one sequence of token ids per sample, but the Input block's shape is (${input.shape.map((d) => d ?? 'None').join(', ')}). Set it to the sequence length, e.g. 100, with dtype int32.`);
    }
    const maxLen = source.tokens.reduce((m, t) => Math.max(m, t.length), 1);
    const sequenceLength = input.shape[0] ?? Math.min(maxLen, 512);
    const targets = Float32Array.from(source.labels);
    const split = stratifiedSplit(source.tokens.length, options.validationSplit, options.seed, source.labels);
    const vocab: Vocabulary = buildVocabulary(
      Array.from(split.train, (i) => source.tokens[i]),
      input.vocabularySize ?? 10000,
      sequenceLength,
    );
    const index = vocabularyIndex(vocab);
    const ids = new Int32Array(source.tokens.length * sequenceLength);
    source.tokens.forEach((t, i) => encodeTokens(t, index, sequenceLength, ids, i * sequenceLength));
    return inMemory({
      kind: 'text',
      task,
      classes: source.classes,
      sampleShape: [sequenceLength],
      dtype: input.dtype,
      x: input.dtype === 'int32' ? ids : Float32Array.from(ids),
      targets,
      split,
      preprocessing: { kind: 'text', classes: source.classes, vocabulary: vocab.tokens, oovToken: OOV_TOKEN, sequenceLength, maxTokens: vocab.maxTokens },
    });
  }

  // Images: decode on demand with a cache.
  const target = imageTarget(input.shape);
  const sampleShape = input.shape.length === 2 ? [target.height, target.width] : [target.height, target.width, target.channels];
  const sampleSize = target.height * target.width * target.channels;
  const split = stratifiedSplit(source.files.length, options.validationSplit, options.seed, source.labels);
  const budget = options.cacheBudgetBytes ?? 512 * 1024 * 1024;
  // Bytes when an image already has the Input's size, float32 values 0–255 when it was resized.
  const cache = new Map<number, Uint8Array | Float32Array>();
  let cacheBytes = 0;
  const concurrency = options.concurrency ?? 16;
  const targets = Float32Array.from(source.labels);
  // Decodes in flight, so two batches that want the same file decode it once.
  const pending = new Map<number, Promise<Uint8Array | Float32Array>>();

  // Files that failed once are not retried every epoch (they are reported once).
  const broken = new Map<number, string>();
  const load = (id: number): Promise<Uint8Array | Float32Array> => {
    const hit = cache.get(id);
    if (hit) return Promise.resolve(hit);
    const known = broken.get(id);
    if (known !== undefined) return Promise.reject(new Error(known));
    const inFlight = pending.get(id);
    if (inFlight) return inFlight;
    // A failure is decoded again alone: libvips's error text is shared by the calls in flight, so
    // only a lone retry gives this file's own reason (and keeps a file that failed for company).
    const decode = (f: string) => decodeImage(f, target).catch(() => runAlone(() => decodeImage(f, target)));
    const p = decode(source.files[id]).then(
      (pixels) => {
        pending.delete(id);
        // Fill until the budget is reached, then stop caching: with shuffled epochs every sample is
        // equally likely next, so evicting (LRU) would only churn; a fixed resident set hits as often.
        if (cacheBytes + pixels.byteLength <= budget) {
          cache.set(id, pixels);
          cacheBytes += pixels.byteLength;
        }
        return pixels;
      },
      (e: unknown) => {
        pending.delete(id);
        broken.set(id, decoderMessage(e));
        throw e;
      },
    );
    pending.set(id, p);
    return p;
  };

  const dataset: PreparedDataset = {
    kind: 'images',
    task,
    classes: source.classes,
    sampleShape,
    dtype: 'float32',
    size: source.files.length,
    targets,
    split,
    preprocessing: { kind: 'images', height: target.height, width: target.width, channels: target.channels, scale: IMAGE_SCALE, resize: 'bilinear', classes: source.classes },
    async batch(ids, opts = {}) {
      const results = await mapSettled(ids, concurrency, load);
      const okIds: number[] = [];
      const failed: SkippedFile[] = [];
      results.forEach((r, k) => {
        if (r.ok) okIds.push(k);
        else failed.push({ path: relative(source.root, source.files[ids[k]]), code: 'corrupt', reason: `cannot be decoded: ${r.error}` });
      });
      const x = new Float32Array(okIds.length * sampleSize);
      const y = new Float32Array(okIds.length);
      const outIds = new Int32Array(okIds.length);
      okIds.forEach((k, row) => {
        const pixels = (results[k] as { ok: true; value: Uint8Array | Float32Array }).value;
        const o = row * sampleSize;
        for (let i = 0; i < sampleSize; i++) x[o + i] = pixels[i] * IMAGE_SCALE;
        if (opts.augment) augmentImage(x, o, target, opts.random ?? Math.random);
        y[row] = targets[ids[k]];
        outIds[row] = ids[k];
      });
      return { x, y, ids: outIds, size: okIds.length, failed };
    },
    cacheStats: () => ({ cached: cache.size, bytes: cacheBytes, budget }),
    fitsCache: () => source.files.length * sampleSize <= budget,
    failedIds: () => new Set(broken.keys()),
  };
  return dataset;
}

/** A dataset whose encoded inputs fit in memory (CSV, text). */
function inMemory(d: {
  kind: PreparedDataset['kind'];
  task: DatasetTask;
  classes: readonly string[];
  sampleShape: number[];
  dtype: 'float32' | 'int32';
  x: Float32Array | Int32Array;
  targets: Float32Array;
  split: Split;
  preprocessing: Preprocessing;
}): PreparedDataset {
  const width = d.sampleShape.reduce((a, b) => a * b, 1);
  return {
    kind: d.kind,
    task: d.task,
    classes: d.classes,
    sampleShape: d.sampleShape,
    dtype: d.dtype,
    size: d.targets.length,
    targets: d.targets,
    split: d.split,
    preprocessing: d.preprocessing,
    async batch(ids) {
      const x = d.dtype === 'int32' ? new Int32Array(ids.length * width) : new Float32Array(ids.length * width);
      const y = new Float32Array(ids.length);
      for (let k = 0; k < ids.length; k++) {
        x.set(d.x.subarray(ids[k] * width, (ids[k] + 1) * width), k * width);
        y[k] = d.targets[ids[k]];
      }
      return { x, y, ids: Int32Array.from(ids), size: ids.length, failed: [] };
    },
    cacheStats: () => ({ cached: 0, bytes: 0, budget: 0 }),
    fitsCache: () => false,
    failedIds: () => new Set<number>(),
  };
}

/** Random horizontal flip and a shift of up to 10% (zero fill), in place on one sample. */
function augmentImage(x: Float32Array, offset: number, t: ImageTarget, random: () => number): void {
  const { height: h, width: w, channels: c } = t;
  const flip = random() < 0.5;
  const dy = Math.round((random() * 2 - 1) * 0.1 * h);
  const dx = Math.round((random() * 2 - 1) * 0.1 * w);
  if (!flip && dx === 0 && dy === 0) return;
  const src = x.slice(offset, offset + h * w * c);
  for (let yy = 0; yy < h; yy++) {
    for (let xx = 0; xx < w; xx++) {
      const sy = yy - dy;
      let sx = xx - dx;
      if (flip) sx = w - 1 - sx;
      const o = offset + (yy * w + xx) * c;
      if (sy < 0 || sy >= h || sx < 0 || sx >= w) for (let k = 0; k < c; k++) x[o + k] = 0;
      else for (let k = 0; k < c; k++) x[o + k] = src[(sy * w + sx) * c + k];
    }
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: string };

async function mapSettled<T>(ids: Int32Array, limit: number, fn: (id: number) => Promise<T>): Promise<Settled<T>[]> {
  const out = new Array<Settled<T>>(ids.length);
  let next = 0;
  const run = async () => {
    for (;;) {
      const k = next++;
      if (k >= ids.length) return;
      try {
        out[k] = { ok: true, value: await fn(ids[k]) };
      } catch (e) {
        out[k] = { ok: false, error: (e as Error).message };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, ids.length) }, run));
  return out;
}

/**
 * Yields the batches of one pass over `ids` (shuffled with `seed` when given), keeping up to
 * `prefetch` batches loading ahead of the consumer so decoding overlaps training.
 */
export async function* batchStream(
  dataset: PreparedDataset,
  ids: Int32Array,
  batchSize: number,
  options: { shuffleSeed?: number; prefetch?: number; augment?: boolean; skip?: number } = {},
): AsyncGenerator<Batch> {
  const order = Int32Array.from(ids);
  if (options.shuffleSeed !== undefined) shuffleInPlace(order, seededRandom(options.shuffleSeed));
  const starts: number[] = [];
  for (let s = (options.skip ?? 0) * batchSize; s < order.length; s += batchSize) starts.push(s);
  const prefetch = Math.max(1, options.prefetch ?? 2);
  const queue: Promise<Batch>[] = [];
  let next = 0;
  const fill = () => {
    while (queue.length < prefetch && next < starts.length) {
      const s = starts[next++];
      // Augmentation draws from a stream of the batch's own (seeded by the pass's seed and the
      // batch's position): prefetched batches finish decoding in any order, and a shared stream
      // would hand out its numbers in that order.
      const random = seededRandom(mixSeeds(options.shuffleSeed ?? 0, 7919, s));
      queue.push(dataset.batch(order.subarray(s, Math.min(s + batchSize, order.length)), { augment: options.augment, random }));
    }
  };
  fill();
  while (queue.length) {
    const b = await (queue.shift() as Promise<Batch>);
    fill();
    yield b;
  }
}

/** Decodes every sample once (filling the cache) and reports progress; for small image folders. */
export async function warmCache(dataset: PreparedDataset, ids: Int32Array, onProgress?: (p: ScanProgress) => void, chunk = 256): Promise<SkippedFile[]> {
  const failed: SkippedFile[] = [];
  const start = Date.now();
  for (let s = 0; s < ids.length; s += chunk) {
    const b = await dataset.batch(ids.subarray(s, Math.min(s + chunk, ids.length)));
    for (const f of b.failed) failed.push(f);
    const done = Math.min(s + chunk, ids.length);
    const elapsed = (Date.now() - start) / 1000;
    onProgress?.({ phase: 'decoding', done, total: ids.length, etaSeconds: done ? (elapsed / done) * (ids.length - done) : null });
    if (dataset.cacheStats().bytes >= dataset.cacheStats().budget) break;
  }
  return failed;
}
