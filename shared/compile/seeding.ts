/**
 * Seeded randomness for models: initial weights and the random layers of a training step.
 *
 * Initial weights. tfjs's initializers take an optional seed and, without one, seed themselves with
 * `Math.random()` once per weight (tfjs-core `rand_util`: `seed ? seed : Math.random()`). Passing a
 * seed in every initializer config would miss the initializers a layer creates itself (the
 * backward copy of a Bidirectional RNN, Layerloom's own layers) and would give the forward and
 * backward copies the same values. So the compiler builds each layer inside
 * {@link withSeededRandom}: for that synchronous build, `Math.random` is a PRNG seeded from the
 * project seed and the block's id ({@link layerSeed}). Every initializer of the layer draws its
 * seed from that stream, in the layer's own build order, and the values themselves come from
 * tfjs-core's JavaScript generators (alea, Marsaglia–Bray), not from a backend kernel — so the same
 * project and seed give bit-identical initial weights on the cpu, wasm and native backends, and a
 * block added elsewhere in the graph leaves every other block's weights as they were.
 *
 * Training steps. Dropout masks are drawn at every step; a fixed tfjs `Dropout` seed would repeat
 * the same mask at every step. {@link stepSeed} gives each step its own seed from the project seed
 * and the step's position (a counter-based stream, so a run resumed mid-epoch continues on the same
 * seeds), and the training engine hands the random layers fresh seeds drawn from it before each
 * step (compile/stepRandomness.ts).
 */
import { seededRandom } from '../training/split.js';

/**
 * 32-bit FNV-1a of a string's UTF-16 code units, then a murmur3 finalizer to spread nearby ids
 * (`dense1`, `dense2`) over the whole range. Stable across platforms and releases: the initial
 * weights of saved projects depend on it.
 */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** murmur3's 32-bit finalizer: a bijection that mixes every input bit into every output bit. */
function fmix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines integers into one 32-bit seed, order-sensitive (`mix(a, b) !== mix(b, a)`). */
export function mixSeeds(...parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    // Seeds may be any safe integer: fold the high word in so 2**32 + 1 differs from 1.
    const lo = p | 0;
    const hi = Math.floor(p / 4294967296) | 0;
    h = fmix32(Math.imul(h ^ lo, 0x27d4eb2d) ^ fmix32(hi + 0x165667b1));
  }
  return h >>> 0;
}

/** The initializer seed of a block: a function of the project seed and the block's id only. */
export function layerSeed(projectSeed: number, nodeId: string): number {
  return mixSeeds(projectSeed, stableHash(nodeId));
}

/**
 * The seed of one training step (0-based epoch and batch within it): one stream per project seed,
 * indexed by position, so the same step of the same run always gets the same seed.
 */
export function stepSeed(projectSeed: number, epoch: number, batch: number): number {
  return mixSeeds(projectSeed, 0x5354, epoch, batch);
}

/** A positive 31-bit integer from a [0, 1) stream (tfjs treats a seed of 0 as "no seed"). */
export function drawSeed(random: () => number): number {
  return 1 + Math.floor(random() * 0x7ffffffe);
}

/**
 * Runs a synchronous `build` with `Math.random` replaced by a PRNG seeded with `seed`, and puts
 * the original back however `build` ends. Only synchronous code runs in between, so nothing else
 * can draw from the seeded stream. Used to seed the initializers tfjs seeds from `Math.random`.
 */
export function withSeededRandom<T>(seed: number, build: () => T): T {
  const original = Math.random;
  Math.random = seededRandom(seed);
  try {
    return build();
  } finally {
    Math.random = original;
  }
}
