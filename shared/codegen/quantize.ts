/**
 * Post-training weight quantization in TensorFlow.js's own weights-manifest form: each quantized
 * weight entry carries `quantization: {dtype: 'uint8', scale, min}` or `{dtype: 'float16'}`, and its
 * bytes in the shard are the quantized values. tfjs's `io.decodeWeights` (used by
 * `loadLayersModel`) dequantizes them with no extra code: uint8 as `q * scale + min`, float16 with
 * its half-float table decoder.
 *
 * The uint8 range is computed as the TensorFlow.js converter does (tensorflowjs/quantization.py
 * `quantize_weights`): per weight, min and max of the values; when 0 lies in the range it is nudged
 * so that 0 is exactly representable (zero padding, zero biases and ReLU zeros stay exact);
 * values are rounded half to even, as numpy's `np.round`. float16 is IEEE 754 binary16 with
 * round-to-nearest-even, as numpy's `astype(np.float16)`. Pure: no tfjs import.
 */
import { formatBytes } from '../analysis/numbers.js';

/** The quantizations an export can write. */
export type WeightQuantization = 'float16' | 'uint8';

/** Every {@link WeightQuantization}, for argument checks and menus. */
export const WEIGHT_QUANTIZATIONS: readonly WeightQuantization[] = ['float16', 'uint8'];

/** Whether `s` names a {@link WeightQuantization}. */
export function isWeightQuantization(s: unknown): s is WeightQuantization {
  return s === 'float16' || s === 'uint8';
}

/** The `quantization` field of a tfjs weight entry. */
export type QuantizationEntry = { readonly dtype: 'uint8'; readonly scale: number; readonly min: number } | { readonly dtype: 'float16' };

/** A tfjs weights-manifest entry (`tf.io.WeightsManifestEntry`), as far as quantization needs it. */
export interface WeightEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: QuantizationEntry | { readonly dtype: string; readonly scale?: number; readonly min?: number };
}

/** Bytes per value of a stored (unquantized) tfjs dtype. */
const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

const scratch = new DataView(new ArrayBuffer(4));

/** IEEE 754 binary16 bits of `x` (rounded to nearest, ties to even; overflow to ±Infinity; NaN kept). */
export function float16Bits(x: number): number {
  scratch.setFloat32(0, x);
  const f = scratch.getUint32(0);
  const sign = (f >>> 16) & 0x8000;
  const exp = (f >>> 23) & 0xff;
  const mant = f & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  // Unbiased exponent; binary16 normals cover -14..15.
  const e = exp - 127;
  if (e > 15) return sign | 0x7c00;
  if (e >= -14) {
    // Normal: keep 10 mantissa bits, round the 13 dropped ones to nearest even (a carry may bump the exponent, correctly).
    let h = ((e + 15) << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
    return sign | h;
  }
  if (e < -25) return sign; // Below half the smallest subnormal: rounds to zero.
  // Subnormal: value = m · 2^-24 with m = full mantissa (with its implicit 1) shifted right.
  const full = mant | 0x800000;
  const shift = -e - 14 + 13; // 14..24 bits dropped
  let h = full >>> shift;
  const rest = full & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (h & 1))) h++;
  return sign | h;
}

/** `np.round`: to nearest, ties to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The uint8 range of values as the tfjs converter computes it: `scale = (max - min) / 255`, and
 * when `min <= 0 <= max` the minimum nudged so that 0 lands on an integer. A constant weight
 * gets scale 1 and its value as min (every byte 0).
 */
export function uint8Range(values: Float32Array): { scale: number; min: number; max: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!values.length) return { scale: 1, min: 0, max: 0 };
  if (lo === hi) return { scale: 1, min: lo, max: hi };
  const scale = (hi - lo) / 255;
  if (lo <= 0 && 0 <= hi) {
    const zero = roundHalfEven((0 - lo) / scale);
    const min = -zero * scale;
    return { scale, min, max: 255 * scale + min };
  }
  return { scale, min: lo, max: hi };
}

/** Quantizes one float32 weight; returns its bytes and its manifest `quantization` field. */
export function quantizeValues(values: Float32Array, q: WeightQuantization): { bytes: Uint8Array; quantization: QuantizationEntry } {
  if (q === 'float16') {
    const out = new Uint8Array(values.length * 2);
    const view = new DataView(out.buffer);
    // tfjs reads the shard through a Uint16Array: little-endian on every platform it runs on.
    for (let i = 0; i < values.length; i++) view.setUint16(i * 2, float16Bits(values[i]), true);
    return { bytes: out, quantization: { dtype: 'float16' } };
  }
  const { scale, min, max } = uint8Range(values);
  const out = new Uint8Array(values.length);
  if (scale !== 1 || min !== max) {
    for (let i = 0; i < values.length; i++) {
      const v = Math.min(Math.max(values[i], min), max);
      out[i] = Math.min(255, Math.max(0, roundHalfEven((v - min) / scale)));
    }
  }
  return { bytes: out, quantization: { dtype: 'uint8', scale, min } };
}

function entrySize(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/**
 * Quantizes the float32 weights of a tfjs weights manifest group. `data` holds the weights in
 * entry order, as `model.save` writes them; entries of other dtypes are copied unchanged (tfjs's
 * converter quantizes float weights only for float16, and a layers model's weights are float32).
 * Refuses entries that are already quantized.
 */
export function quantizeWeightData<E extends WeightEntry>(entries: readonly E[], data: Uint8Array, q: WeightQuantization): { entries: E[]; data: Uint8Array } {
  const parts: Uint8Array[] = [];
  const out: E[] = [];
  let at = 0;
  for (const e of entries) {
    if (e.quantization) throw new Error(`Weight ${e.name} is already quantized (${e.quantization.dtype}); quantize the float32 weights instead.`);
    const bytesPer = DTYPE_BYTES[e.dtype];
    if (bytesPer === undefined) throw new Error(`Weight ${e.name} has dtype ${e.dtype}, which cannot be quantized.`);
    const n = entrySize(e.shape) * bytesPer;
    if (at + n > data.byteLength) throw new Error(`The weight data ends before weight ${e.name}: it holds ${data.byteLength} bytes.`);
    const raw = data.subarray(at, at + n);
    at += n;
    if (e.dtype !== 'float32') {
      parts.push(raw.slice());
      out.push(e);
      continue;
    }
    const values = new Float32Array(raw.slice().buffer);
    const { bytes, quantization } = quantizeValues(values, q);
    parts.push(bytes);
    out.push({ ...e, quantization });
  }
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const joined = new Uint8Array(total);
  let w = 0;
  for (const p of parts) {
    joined.set(p, w);
    w += p.byteLength;
  }
  return { entries: out, data: joined };
}

/** Float vs quantized accuracy of an export, measured on one split of the project's data. */
export interface QuantizedAccuracy {
  readonly split: 'validation' | 'train';
  readonly samples: number;
  readonly float: number;
  readonly quantized: number;
}

/** What a quantized export reports: weight sizes before and after, and accuracy when measured. */
export interface QuantizationReport {
  readonly quantize: WeightQuantization;
  /** Bytes of the float32 weights. */
  readonly floatBytes: number;
  /** Bytes of the quantized weights written. */
  readonly quantizedBytes: number;
  /** Null when the project has no dataset or a numeric target. */
  readonly accuracy: QuantizedAccuracy | null;
  /** Why accuracy was not measured, for people (absent when it was). */
  readonly accuracyNote?: string;
}

/**
 * The report's lines: `weights float32 364.54 KB → uint8 91.13 KB (25%)` (sizes as the analyzer prints them) and
 * `accuracy float 0.9412 → quantized 0.9400 (validation, 800 samples)`.
 */
export function quantizationLines(r: QuantizationReport): string[] {
  const pct = r.floatBytes ? Math.round((100 * r.quantizedBytes) / r.floatBytes) : 100;
  const lines = [`weights float32 ${formatBytes(r.floatBytes)} → ${r.quantize} ${formatBytes(r.quantizedBytes)} (${pct}%)`];
  if (r.accuracy) lines.push(`accuracy float ${r.accuracy.float.toFixed(4)} → quantized ${r.accuracy.quantized.toFixed(4)} (${r.accuracy.split}, ${r.accuracy.samples} samples)`);
  else if (r.accuracyNote) lines.push(`accuracy not measured: ${r.accuracyNote}`);
  return lines;
}
