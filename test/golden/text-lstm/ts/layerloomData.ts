/**
 * Layerloom's data preparation, copied from Layerloom's source so this loader prepares exactly the
 * tensors Layerloom trains on: the seeded stratified split, the tokenizer (Keras TextVectorization's
 * rules) and bilinear resizing with half-pixel centres.
 */

// ---- shared/training/split.ts

/**
 * The train/validation split, one algorithm for the app and both exports: a seeded PRNG
 * (mulberry32, 32-bit integer arithmetic) and Fisher–Yates per class, over samples enumerated in
 * the same order (class folders and files sorted by code point, CSV rows in file order). The
 * TypeScript export ships this file's source as it is (layerloomData.ts, see
 * shared/codegen/tsDataPrep.ts); model.py mirrors it line for line (`seeded_random`,
 * `stratified_split`), and the parity tests prove all three pick the same validation samples.
 *
 * This file imports nothing: it is copied into the export.
 */

/**
 * A small, fast, seedable PRNG (mulberry32). Returns floats in [0, 1). The same seed gives the same
 * sequence on every platform, so splits and shuffles are reproducible.
 */
export function seededRandom(seed: number): () => number {
  let a = (seed | 0) ^ 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles in place (Fisher–Yates) with the given random source; returns the array. */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(items: T, random: () => number): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}

/** Sample indices of a train/validation split. */
export interface Split {
  readonly train: Int32Array;
  readonly validation: Int32Array;
}

/**
 * Splits sample indices into train and validation sets. With `labels` (class indices) the split is
 * stratified: each class gives `round(n × fraction)` samples to validation (at least one when the
 * class has two or more and the fraction is > 0), so small classes are represented on both sides.
 * Deterministic for a given seed; both sets come out in ascending index order.
 */
export function stratifiedSplit(count: number, fraction: number, seed: number, labels?: ArrayLike<number>): Split {
  const random = seededRandom(seed);
  // Group indices by label without data-sized argument lists (`push(...xs)` overflows the stack
  // past ~125k elements): count each label, then fill one typed array per label.
  const sizes = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const key = labels ? labels[i] : 0;
    sizes.set(key, (sizes.get(key) ?? 0) + 1);
  }
  const groups = new Map<number, { members: Int32Array; filled: number }>();
  for (const [key, size] of sizes) groups.set(key, { members: new Int32Array(size), filled: 0 });
  for (let i = 0; i < count; i++) {
    const g = groups.get(labels ? labels[i] : 0) as { members: Int32Array; filled: number };
    g.members[g.filled++] = i;
  }
  const isValidation = new Uint8Array(count);
  let validationCount = 0;
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const members = shuffleInPlace((groups.get(key) as { members: Int32Array }).members, random);
    let take = fraction > 0 ? Math.round(members.length * fraction) : 0;
    if (fraction > 0 && take === 0 && members.length >= 2 && labels) take = 1;
    if (take >= members.length && members.length > 0) take = members.length - 1;
    for (let k = 0; k < take; k++) isValidation[members[k]] = 1;
    validationCount += take;
  }
  // Both sets in ascending index order.
  const train = new Int32Array(count - validationCount);
  const validation = new Int32Array(validationCount);
  let t = 0;
  let v = 0;
  for (let i = 0; i < count; i++) {
    if (isValidation[i]) validation[v++] = i;
    else train[t++] = i;
  }
  return { train, validation };
}

/**
 * Compares two strings by Unicode code point, as Python's `sorted` does (JS's `<` compares UTF-16
 * code units, which puts a character above U+FFFF before U+E000–U+FFFF). Class folders, files and
 * vocabulary ties are ordered with it, so every side enumerates samples in the same order.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    // A surrogate starts a code point above U+FFFF: after every character of the first plane.
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

// ---- shared/training/tokenizer.ts

/**
 * The text tokenizer, following Keras `TextVectorization` defaults so an exported model sees the
 * same token ids: standardize = lower-case A–Z and strip ASCII punctuation, split on ASCII whitespace, id 0 is
 * padding, id 1 is out-of-vocabulary (`[UNK]`), then the most frequent training tokens (ties broken
 * by code point order, for determinism); `maxTokens` counts padding and `[UNK]` as Keras's
 * `max_tokens` does. Sequences are cut or zero-padded at the end to `sequenceLength`
 * (Keras `output_sequence_length`). Exports should pass the saved vocabulary to
 * `TextVectorization(vocabulary=…)` rather than re-`adapt`, so tie order cannot differ.
 */

/** Token id of padding. */
export const PAD_ID = 0;
/** Token id of a word not in the vocabulary. */
export const OOV_ID = 1;
/** The out-of-vocabulary token's text, as Keras names it. */
export const OOV_TOKEN = '[UNK]';

// Keras's default punctuation set: string.punctuation (its regex `[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_\`{|}~\']`).
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
// tf.strings.lower without an encoding changes A–Z only: `É`, `Ä`, `İ` stay as they are.
const ASCII_UPPER = /[A-Z]+/g;
// tf.strings.split splits on ASCII whitespace only (space, \t, \n, \v, \f, \r); JS's \s would
// also split on NBSP, U+2003, U+3000, U+2028 and others, which Keras keeps inside a token.
const ASCII_WHITESPACE = /[ \t\n\v\f\r]+/;

/**
 * Keras `TextVectorization`'s default standardize and split ("lower_and_strip_punctuation",
 * "whitespace"): A–Z lower-cased (nothing else), ASCII punctuation removed, split on ASCII
 * whitespace, empty pieces dropped.
 */
export function tokenize(text: string): string[] {
  return text
    .replace(ASCII_UPPER, (s) => s.toLowerCase())
    .replace(PUNCTUATION, '')
    .split(ASCII_WHITESPACE)
    .filter((t) => t.length > 0);
}

/** A fitted vocabulary. `tokens[i]` is the text of id `i + 2` (ids 0 and 1 are padding and `[UNK]`). */
export interface Vocabulary {
  readonly tokens: readonly string[];
  readonly maxTokens: number;
  readonly sequenceLength: number;
}

/** Builds the vocabulary from tokenized training texts. */
export function buildVocabulary(texts: Iterable<readonly string[]>, maxTokens: number, sequenceLength: number): Vocabulary {
  if (maxTokens < 3) throw new Error(`The vocabulary needs room for padding, [UNK] and at least one word: maxTokens is ${maxTokens}.`);
  const counts = new Map<string, number>();
  for (const tokens of texts) for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]));
  return { tokens: sorted.slice(0, maxTokens - 2).map(([t]) => t), maxTokens, sequenceLength };
}

/** Encodes tokens as ids into `out` (length = sequenceLength), zero-padded or cut at the end. */
export function encodeTokens(tokens: readonly string[], index: ReadonlyMap<string, number>, sequenceLength: number, out: Int32Array, offset = 0): void {
  for (let i = 0; i < sequenceLength; i++) {
    out[offset + i] = i < tokens.length ? (index.get(tokens[i]) ?? OOV_ID) : PAD_ID;
  }
}

/** Token → id map of a vocabulary. */
export function vocabularyIndex(vocab: Vocabulary): Map<string, number> {
  return new Map(vocab.tokens.map((t, i) => [t, i + 2]));
}

// ---- shared/training/resize.ts

/**
 * Image resizing, one rule for the app and both exports: bilinear with half-pixel centres and no
 * antialiasing, exactly as `tf.image.resize(method="bilinear")` (what Keras's
 * `image_dataset_from_directory` runs) and tfjs's `resizeBilinear(x, size, false, true)` compute it,
 * in float32 arithmetic. The aspect ratio is not kept.
 *
 * This file imports nothing: the TypeScript export ships its source (layerloomData.ts).
 */

const f32 = Math.fround;

/** Source rows/columns and weights of one output axis (TensorFlow's compute_interpolation_weights). */
function axisWeights(inSize: number, outSize: number): { lower: Int32Array; upper: Int32Array; lerp: Float32Array } {
  const scale = f32(inSize / outSize);
  const lower = new Int32Array(outSize);
  const upper = new Int32Array(outSize);
  const lerp = new Float32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const at = f32(f32((i + 0.5) * scale) - 0.5);
    const floor = Math.floor(at);
    lower[i] = Math.max(floor, 0);
    upper[i] = Math.min(Math.ceil(at), inSize - 1);
    lerp[i] = f32(at - floor);
  }
  return { lower, upper, lerp };
}

/**
 * Resizes a row-major `height × width × channels` image (any numeric array, e.g. decoded bytes) to
 * `outHeight × outWidth`, returning float32 values on the input's scale (0–255 stays 0–255).
 */
export function resizeBilinearHalfPixel(
  pixels: ArrayLike<number>,
  height: number,
  width: number,
  channels: number,
  outHeight: number,
  outWidth: number,
): Float32Array {
  const out = new Float32Array(outHeight * outWidth * channels);
  const ys = axisWeights(height, outHeight);
  const xs = axisWeights(width, outWidth);
  for (let y = 0; y < outHeight; y++) {
    const top = ys.lower[y] * width;
    const bottom = ys.upper[y] * width;
    const dy = ys.lerp[y];
    for (let x = 0; x < outWidth; x++) {
      const left = xs.lower[x];
      const right = xs.upper[x];
      const dx = xs.lerp[x];
      const o = (y * outWidth + x) * channels;
      for (let c = 0; c < channels; c++) {
        const tl = pixels[(top + left) * channels + c];
        const tr = pixels[(top + right) * channels + c];
        const bl = pixels[(bottom + left) * channels + c];
        const br = pixels[(bottom + right) * channels + c];
        const t = f32(tl + f32(f32(tr - tl) * dx));
        const b = f32(bl + f32(f32(br - bl) * dx));
        out[o + c] = f32(t + f32(f32(b - t) * dy));
      }
    }
  }
  return out;
}
