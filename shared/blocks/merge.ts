/**
 * Merge blocks: Add, Subtract, Multiply, Average, Maximum, Minimum (element-wise, with Keras's
 * broadcasting of size-1 axes) and Concatenate (along one axis). Semantics and names follow
 * `keras.layers` (Keras 3).
 *
 * Inputs arrive on ports `in0` … `in{n-1}` (the graph stores edges by port name, and the order is
 * the order of the tensors in the Keras call); `num_inputs` sets n (2–8), except for Subtract,
 * which takes exactly two.
 *
 * Two restrictions keep the app's tfjs model equal to the Keras one:
 * - inputs of different ranks are refused (Keras lines up per-sample shapes from the right, but its
 *   runtime broadcasting also involves the batch axis, and tfjs inserts the missing axes elsewhere);
 * - Concatenate needs the other axes to agree exactly, a variable size matching only a variable
 *   size (tfjs refuses `None` against a fixed size where Keras lets it through).
 * tfjs-layers has no subtract layer, so Subtract runs as Layerloom's own `LayerloomSubtract`; the
 * Keras export uses `keras.layers.Subtract`. tfjs's Concatenate runs any negative axis as -1, so it is
 * given the equivalent positive axis.
 */
import type { BlockDef, KerasCall, ParamSpec, Params, PortSpec, Shape, ShapeResult } from './types.js';
import { num } from './paramUtils.js';
import { fail, kerasRank, ok } from './results.js';
import { broadcastShapes, concatenatedShape, formatShape, sampleAxis } from './shapeUtils.js';
import { defineBlock } from './define.js';
import { LAYERLOOM_TFJS_CLASSES, withArg } from './tfjsSpelling.js';

/** Fewest and most inputs of a merge block. */
export const MIN_MERGE_INPUTS = 2;
export const MAX_MERGE_INPUTS = 8;

const NO_PARAMS = { trainable: 0, nonTrainable: 0 } as const;

const numInputsParam: ParamSpec = {
  name: 'num_inputs',
  label: 'Inputs',
  kind: 'int',
  default: 2,
  min: MIN_MERGE_INPUTS,
  max: MAX_MERGE_INPUTS,
  help: `How many tensors to combine (${MIN_MERGE_INPUTS}–${MAX_MERGE_INPUTS}); each gets its own input port.`,
};

/** Port name of the i-th input (0-based): `in0`, `in1`, … */
export function mergePortName(i: number): string {
  return `in${i}`;
}

/** Ports of a merge block: `num_inputs` clamped to the allowed range, so a bad value never loses ports. */
function mergePorts(params: Params): readonly PortSpec[] {
  const n = num(params, 'num_inputs');
  const count = Number.isInteger(n) ? Math.min(MAX_MERGE_INPUTS, Math.max(MIN_MERGE_INPUTS, n)) : MIN_MERGE_INPUTS;
  return Array.from({ length: count }, (_, i) => ({ name: mergePortName(i), label: `Input ${i + 1}` }));
}

const SUBTRACT_PORTS: readonly PortSpec[] = [
  { name: mergePortName(0), label: 'Input 1' },
  { name: mergePortName(1), label: 'Input 2 (subtracted)' },
];

/** The connected shapes, or an LL004 result naming the first unconnected port. */
function connected(block: string, inputs: readonly (Shape | null)[]): Shape[] | ShapeResult {
  const missing = inputs.findIndex((s) => s === null);
  if (missing >= 0) return fail('LL004', `Connect input ${missing + 1} of the ${block} (port ${mergePortName(missing)}), or lower its number of inputs.`);
  return inputs as Shape[];
}

/** LL010 for inputs of different ranks, naming both shapes. */
function rankMismatch(block: string, shapes: readonly Shape[], i: number): ShapeResult {
  const a = shapes[0];
  const b = shapes[i];
  return fail(
    'LL010',
    `${block}: input ${i + 1} has shape ${formatShape(b)} but input 1 has ${formatShape(a)}; their ranks differ (${kerasRank(b)} vs ${kerasRank(a)}). ` +
      `Reshape one of them (or pool/flatten it) so both have the same axes.`,
  );
}

/**
 * What to suggest when input `input` (1-based) has size `b` where an earlier one has `a`, on
 * `axis` (0-based per-sample index) of `shape`.
 */
function sizeFix(shape: Shape, axis: number, a: number, b: number, input: number): string {
  if (axis === shape.length - 1) {
    return `Make them match, e.g. a Dense (or 1×1 convolution) with ${a} units on input ${input}'s path, or use Concatenate to stack them side by side.`;
  }
  const ratio = Math.max(a, b) / Math.min(a, b);
  const conv = shape.length === 3 ? 'Conv2D' : shape.length === 2 ? 'Conv1D' : 'convolution';
  return Number.isInteger(ratio) && ratio > 1
    ? `Make them match (e.g. a stride-${ratio} ${conv} on the shortcut, or pooling of size ${ratio} on the larger input's path).`
    : 'Make them match, e.g. with padding "same" and the same strides and pooling on both branches.';
}

/** The element-wise merge kinds. */
interface ElementwiseKind {
  readonly type: 'Add' | 'Subtract' | 'Multiply' | 'Average' | 'Maximum' | 'Minimum';
  readonly description: string;
}

function inferElementwise(kind: ElementwiseKind, inputs: readonly (Shape | null)[]): ShapeResult {
  const shapes = connected(kind.type, inputs);
  if (!Array.isArray(shapes)) return shapes;
  let out: Shape = shapes[0];
  for (let i = 1; i < shapes.length; i++) {
    const s = shapes[i];
    if (s.length !== shapes[0].length) return rankMismatch(kind.type, shapes, i);
    const merged = broadcastShapes(out, s);
    if ('shape' in merged) {
      out = merged.shape;
      continue;
    }
    const axis = merged.conflictAxis;
    const b = s[axis] as number;
    // The earlier input whose size clashes (the running shape took it from one of them).
    const j = shapes.findIndex((t, k) => k < i && t[axis] !== null && t[axis] !== 1 && t[axis] !== b);
    const other = shapes[j];
    const a = other[axis] as number;
    return fail(
      'LL010',
      `${kind.type}: input ${i + 1} has shape ${formatShape(s)} but input ${j + 1} has ${formatShape(other)}; sizes differ on axis ${axis + 1} (${a} vs ${b}). ` +
        sizeFix(s, axis, a, b, i + 1),
    );
  }
  return ok(out);
}

function elementwiseBlock(kind: ElementwiseKind): BlockDef {
  const subtract = kind.type === 'Subtract';
  return defineBlock({
    type: kind.type,
    category: 'Merge',
    description: kind.description,
    callConvention: 'list',
    params: subtract ? [] : [numInputsParam],
    ports: (params) => (subtract ? SUBTRACT_PORTS : mergePorts(params)),
    inferShape: (inputs) => inferElementwise(kind, inputs),
    paramCount: () => NO_PARAMS,
    keras: (): KerasCall => ({ kerasClass: kind.type, kerasArgs: [] }),
    ...(subtract ? { tfjs: { ownLayer: () => LAYERLOOM_TFJS_CLASSES.subtract } } : {}),
  });
}

/** Element-wise sum (residual connections). */
export const AddBlock = elementwiseBlock({
  type: 'Add',
  description: 'Adds its inputs element-wise: the skip connection of residual networks and Transformers.',
});

/** First input minus the second. */
export const SubtractBlock = elementwiseBlock({
  type: 'Subtract',
  description: 'Subtracts input 2 from input 1, element-wise.',
});

/** Element-wise product (gating). */
export const MultiplyBlock = elementwiseBlock({
  type: 'Multiply',
  description: 'Multiplies its inputs element-wise, e.g. to gate one branch with a sigmoid from another.',
});

/** Element-wise mean (ensembles). */
export const AverageBlock = elementwiseBlock({
  type: 'Average',
  description: 'Averages its inputs element-wise, e.g. the predictions of several branches.',
});

/** Element-wise maximum. */
export const MaximumBlock = elementwiseBlock({
  type: 'Maximum',
  description: 'Keeps the largest value of its inputs at each position.',
});

/** Element-wise minimum. */
export const MinimumBlock = elementwiseBlock({
  type: 'Minimum',
  description: 'Keeps the smallest value of its inputs at each position.',
});

function inferConcatenate(inputs: readonly (Shape | null)[], params: Params): ShapeResult {
  const shapes = connected('Concatenate', inputs);
  if (!Array.isArray(shapes)) return shapes;
  const first = shapes[0];
  const axisParam = num(params, 'axis');
  const result = concatenatedShape(shapes, axisParam);
  if ('shape' in result) return ok(result.shape);
  if (result.problem === 'axis') {
    const rank = kerasRank(first);
    const what = axisParam === 0 || axisParam === -rank ? 'is the batch axis' : `is out of range for inputs of rank ${rank} like ${formatShape(first)}`;
    return fail('LL011', `Concatenate axis ${axisParam} ${what}: use 1 to ${rank - 1}, or -1 to -${rank - 1} counting from the end (-1, the features, is usual).`, 'axis');
  }
  const i = result.input;
  if (result.problem === 'rank') return rankMismatch('Concatenate', shapes, i);
  const s = shapes[i];
  const k = result.axis;
  const joinedAxis = (sampleAxis(axisParam, first.length) as number) + 1;
  const head = `Concatenate: input ${i + 1} has shape ${formatShape(s)} but input 1 has ${formatShape(first)}; all axes except the joined axis ${joinedAxis} must match`;
  if (result.variable) {
    const [varying, fixed, size] = first[k] === null ? [1, i + 1, s[k]] : [i + 1, 1, first[k]];
    return fail(
      'LL010',
      `${head}, but axis ${k + 1} is variable in input ${varying} and ${size} in input ${fixed}. Make it fixed in both (set the size on the Input) or variable in both.`,
    );
  }
  return fail(
    'LL010',
    `${head}, and they differ on axis ${k + 1} (${first[k]} vs ${s[k]}). Resize one branch so they agree (strides, pooling or padding "same"), or set axis to ${k + 1} if that is the axis to join along.`,
  );
}

/** Joins its inputs along one axis. */
export const ConcatenateBlock: BlockDef = defineBlock({
  type: 'Concatenate',
  category: 'Merge',
  callConvention: 'list',
  description: 'Joins its inputs along one axis (by default the features): all other sizes must match.',
  params: [
    numInputsParam,
    {
      name: 'axis',
      label: 'Axis',
      kind: 'int',
      default: -1,
      help: 'Axis to join along, counting the batch as axis 0 as Keras does: -1 (the last axis: features or channels) is usual; 1 joins along the first axis of each sample (e.g. sequence steps).',
    },
  ],
  ports: mergePorts,
  inferShape: inferConcatenate,
  paramCount: () => NO_PARAMS,
  keras: (params): KerasCall => ({ kerasClass: 'Concatenate', kerasArgs: [['axis', num(params, 'axis')]] }),
  tfjs: {
    // tfjs's concatenate turns every negative axis into -1 when it runs (its shape inference gets
    // them right), so tfjs is given the axis counted from the front, as Keras means it.
    adjust: (call, params, inputs) => {
      const axis = num(params, 'axis');
      const first = inputs.find((s): s is Shape => s !== null);
      const index = first ? sampleAxis(axis, first.length) : null;
      return axis < -1 && index !== null ? { ...call, args: withArg(call.args, 'axis', index + 1) } : call;
    },
  },
});

/** Blocks in this family, registry order. */
export const mergeBlocks: readonly BlockDef[] = [AddBlock, SubtractBlock, MultiplyBlock, AverageBlock, MaximumBlock, MinimumBlock, ConcatenateBlock];
