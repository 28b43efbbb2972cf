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
export function convTransposeOutputLength(n: Dim, kernel: number, padding: Padding, stride: number, dilation = 1): Dim {
  if (n === null) return null;
  const k = dilatedKernel(kernel, dilation);
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

/** True when both shapes have the same rank and every dim is equal (variable dims match only variable dims). */
export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
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
