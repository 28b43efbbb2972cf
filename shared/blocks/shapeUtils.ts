/**
 * Shape arithmetic in one place, mirroring Keras's `ops/operation_utils.py`. Blocks call these;
 * nobody re-derives `floor((n - k) / s) + 1`.
 */
import type { Dim, Shape } from './types.js';

/** Padding modes of Keras convolutions and pooling. */
export type Padding = 'valid' | 'same' | 'causal';

/** Effective kernel extent with dilation: `(k - 1) * d + 1`. */
export function dilatedKernel(kernel: number, dilation: number): number {
  return (kernel - 1) * dilation + 1;
}

/**
 * Output length of a convolution or pooling along one axis, as Keras computes it.
 * `valid`: `floor((n - dilated_k) / s) + 1`; `same` and `causal`: `ceil(n / s)`.
 * Returns `null` for a variable input length. May return ≤ 0: callers report that.
 */
export function convOutputLength(n: Dim, kernel: number, padding: Padding, stride: number, dilation = 1): Dim {
  if (n === null) return null;
  if (padding === 'valid') return Math.floor((n - dilatedKernel(kernel, dilation)) / stride) + 1;
  return Math.floor((n - 1) / stride) + 1;
}

/**
 * Output length of a transposed convolution along one axis (Keras `deconv_output_length`
 * with `output_padding=None`): `valid`: `n * s + max(dilated_k - s, 0)`; `same`: `n * s`.
 */
export function convTransposeOutputLength(n: Dim, kernel: number, padding: Padding, stride: number, dilation = 1, outputPadding: number | null = null): Dim {
  if (n === null) return null;
  const k = dilatedKernel(kernel, dilation);
  // Keras's deconv_output_length: with output_padding the length is exact, else the smallest that fits.
  if (outputPadding !== null) return (n - 1) * stride + k - 2 * (padding === 'same' ? Math.floor(k / 2) : 0) + outputPadding;
  if (padding === 'valid') return n * stride + Math.max(k - stride, 0);
  return n * stride;
}

/** Product of the dims, or `null` if any is variable. */
export function shapeSize(shape: Shape): number | null {
  let size = 1;
  for (const d of shape) {
    if (d === null) return null;
    size *= d;
  }
  return size;
}

/** Keras-style rendering with the batch dimension: `(None, 26, 26, 32)`. */
export function formatShape(shape: Shape | null): string {
  if (shape === null) return '?';
  const dims = ['None', ...shape.map((d) => (d === null ? 'None' : String(d)))];
  return dims.length === 1 ? '(None,)' : `(${dims.join(', ')})`;
}

/**
 * A shape without the batch axis, for wire labels where space is short: `26×26×32`, `?×64` for a
 * variable axis, `scalar` for a per-sample scalar, `?` when unknown. The full form is `formatShape`.
 */
export function formatShapeCompact(shape: Shape | null): string {
  if (shape === null) return '?';
  if (shape.length === 0) return 'scalar';
  return shape.map((d) => (d === null ? '?' : String(d))).join('×');
}

/**
 * Element-wise broadcast of two same-rank shapes, as Keras merge layers do
 * (`_compute_elemwise_op_output_shape`): equal dims pass, a 1 broadcasts, `None` stays `None`.
 * Returns the axis (0-based, without batch) of the first conflict instead of a shape when they clash.
 */
export function broadcastShapes(a: Shape, b: Shape): { shape: Shape } | { conflictAxis: number } {
  if (a.length !== b.length) return { conflictAxis: -1 };
  const out: Dim[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === null || y === null) out.push(null);
    else if (x === 1) out.push(y);
    else if (y === 1 || x === y) out.push(x);
    else return { conflictAxis: i };
  }
  return { shape: out };
}

/**
 * Output length of a pooling window along one axis (Keras `compute_pooling_output_shape`):
 * `valid`: `floor((n - pool) / s) + 1`; `same`: `ceil(n / s)`. Pooling has no dilation, so this is
 * the convolution rule with dilation 1. `null` for a variable length; may return ≤ 0.
 */
export function poolOutputLength(n: Dim, pool: number, padding: 'valid' | 'same', stride: number): Dim {
  return convOutputLength(n, pool, padding, stride, 1);
}

/** Output length of an up-sampling step: `n * size`, or `null` for a variable length. */
export function upsampledLength(n: Dim, size: number): Dim {
  return n === null ? null : n * size;
}

/**
 * A Keras axis argument (counting the batch as axis 0, negative from the end) as a 0-based index
 * into a per-sample shape of `length` dims. Returns null for the batch axis or an axis out of range.
 */
export function sampleAxis(axis: number, length: number): number | null {
  const rank = length + 1;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) return null;
  const positive = axis < 0 ? axis + rank : axis;
  return positive === 0 ? null : positive - 1;
}

/** Flatten's output: one axis holding every value, or `null` when a size is variable (Keras refuses it). */
export function flattenedShape(shape: Shape): Shape | null {
  const size = shapeSize(shape);
  return size === null ? null : [size];
}

/** Why a Reshape target does not fit its input (see {@link reshapedShape}). */
export type ReshapeProblem =
  /** A 0, an entry below -1, an empty target, or more than one -1. */
  | { readonly problem: 'invalid-target' }
  /** The input size is variable, so the target needs a -1 to take it. */
  | { readonly problem: 'needs-inferred-axis' }
  /** The input size is not a multiple of the target's fixed sizes (with a -1 entry). */
  | { readonly problem: 'not-divisible'; readonly size: number; readonly known: number }
  /** The target holds a different number of values than the input (no -1 entry). */
  | { readonly problem: 'size-mismatch'; readonly size: number; readonly known: number };

/**
 * Keras's Reshape rule (`Reshape.compute_output_shape`): `target` is the new per-sample shape with
 * at most one -1 (inferred from the input size). With a variable input size the -1 stays variable.
 */
export function reshapedShape(input: Shape, target: readonly number[]): { readonly shape: Shape } | ReshapeProblem {
  const unknown = target.filter((d) => d === -1).length;
  if (target.length === 0 || target.some((d) => d === 0 || d < -1 || !Number.isInteger(d)) || unknown > 1) return { problem: 'invalid-target' };
  const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const size = shapeSize(input);
  if (size === null) return unknown === 1 ? { shape: target.map((d) => (d === -1 ? null : d)) } : { problem: 'needs-inferred-axis' };
  if (unknown === 1) return size % known === 0 ? { shape: target.map((d) => (d === -1 ? size / known : d)) } : { problem: 'not-divisible', size, known };
  return known === size ? { shape: [...target] } : { problem: 'size-mismatch', size, known };
}

/** Why inputs cannot be concatenated (see {@link concatenatedShape}); `input` is 0-based. */
export type ConcatProblem =
  /** The axis is the batch axis or out of range for the first input's rank. */
  | { readonly problem: 'axis' }
  | { readonly problem: 'rank'; readonly input: number }
  /** Axis `axis` (0-based per sample) differs; `variable` when one side is `None` and the other fixed. */
  | { readonly problem: 'mismatch'; readonly input: number; readonly axis: number; readonly variable: boolean };

/**
 * Keras's Concatenate rule: same rank, every axis but the joined one equal (a variable size matches
 * only a variable size, which tfjs also requires), the joined axis summed (variable if any is).
 * `axis` is a Keras axis (batch = 0, negative from the end).
 */
export function concatenatedShape(shapes: readonly Shape[], axis: number): { readonly shape: Shape; readonly axis: number } | ConcatProblem {
  const first = shapes[0];
  const at = first ? sampleAxis(axis, first.length) : null;
  if (at === null) return { problem: 'axis' };
  let joined: Dim = first[at];
  for (let i = 1; i < shapes.length; i++) {
    const s = shapes[i];
    if (s.length !== first.length) return { problem: 'rank', input: i };
    for (let k = 0; k < s.length; k++) {
      if (k === at || s[k] === first[k]) continue;
      return { problem: 'mismatch', input: i, axis: k, variable: s[k] === null || first[k] === null };
    }
    const d = s[at];
    joined = joined === null || d === null ? null : joined + d;
  }
  const out = [...first];
  out[at] = joined;
  return { shape: out, axis: at };
}
