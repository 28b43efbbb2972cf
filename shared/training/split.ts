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
