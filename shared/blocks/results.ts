/**
 * Small constructors for shape-inference results, so block files read as their Keras rules.
 */
import type { DiagnosticCode } from '../analysis/diagnostics.js';
import type { Shape, ShapeProblem, ShapeResult } from './types.js';
import { formatShape } from './shapeUtils.js';

/** A valid output shape with no problems. */
export function ok(shape: Shape, problems: readonly ShapeProblem[] = []): ShapeResult {
  return { shape, problems };
}

/** An error: the output shape is unknowable. */
export function fail(code: DiagnosticCode, message: string, param?: string): ShapeResult {
  return { shape: null, problems: [{ code, message, param, severity: 'error' }] };
}

/** A warning that leaves the shape valid. */
export function warning(code: DiagnosticCode, message: string, param?: string): ShapeProblem {
  return { code, message, param, severity: 'warning' };
}

/** Keras-style rank (with batch) of a per-sample shape. */
export function kerasRank(shape: Shape): number {
  return shape.length + 1;
}

/**
 * The usual "needs rank N" error with a hint how to get there: names the shape received.
 */
export function rankError(block: string, want: string, got: Shape, hint: string): ShapeResult {
  return fail(
    'LL007',
    `${block} expects ${want} input, got ${formatShape(got)} (rank ${kerasRank(got)}). ${hint}`,
  );
}

/** Error for a dimension that became ≤ 0, naming the sizes and suggesting fixes. */
export function shrinkError(block: string, axisName: string, inputSize: number, window: number, param: string): ShapeResult {
  return fail(
    'LL009',
    `${block}: the ${axisName} is ${inputSize} but the window is ${window} with "valid" padding, so the output would be empty. ` +
      `Use padding "same", a smaller ${param.replace('_', ' ')}, or remove an earlier pooling/stride step.`,
    param,
  );
}
