/**
 * Activation layers with their own options: ReLU (max_value, negative_slope, threshold — MobileNet's
 * ReLU6 is `ReLU(max_value=6)`), LeakyReLU, PReLU (a learned slope), ELU and Softmax (any axis).
 * Semantics, names and defaults follow `keras.layers` (Keras 3).
 *
 * tfjs-layers 4.22 has ReLU with max_value only and computes softmax on the last axis only: ReLU
 * with a negative slope or a threshold runs as Layerloom's own `LayerloomReLU`, Softmax on another
 * axis as `LayerloomSoftmax`; the Keras export uses Keras's classes.
 */
import type { BlockDef, KerasCall, ParamSpec, Params, Shape, ShapeResult } from './types.js';
import { dims, num, regularizerArgs, regularizerParams } from './paramUtils.js';
import { fail, ok } from './results.js';
import { formatShape } from './shapeUtils.js';
import { SINGLE_INPUT } from './core.js';
import { defineBlock } from './define.js';
import { LAYERLOOM_TFJS_CLASSES, tfjsArgs } from './tfjsSpelling.js';

const NO_PARAMS = { trainable: 0, nonTrainable: 0 } as const;

function same(block: string, input: Shape | null): ShapeResult {
  return input ? ok(input) : fail('LL004', `Connect an input to the ${block}.`);
}

/** A Keras axis (counted with the batch axis, may be negative) as a per-sample index, or null when out of range. */
function sampleAxisOf(axis: number, shape: Shape): number | null {
  const rank = shape.length + 1;
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 1 && a < rank ? a - 1 : null;
}

/** Keras's ReLU: `x` above `threshold` (capped at `max_value`), `negative_slope · (x − threshold)` below. */
export const ReLUBlock: BlockDef = defineBlock({
  type: 'ReLU',
  category: 'Core',
  description: 'Rectified linear unit with options: a cap (ReLU6 in MobileNet), a slope below zero, a threshold.',
  params: [
    {
      name: 'max_value',
      label: 'Max value',
      kind: 'float',
      default: null,
      nullable: true,
      min: 0,
      help: 'Caps the output: 6 gives ReLU6 (MobileNet). Leave empty for no cap.',
    },
    { name: 'negative_slope', label: 'Negative slope', kind: 'float', default: 0, min: 0, help: 'Slope below the threshold (0: plain ReLU; 0.1 makes it leaky).', advanced: true },
    { name: 'threshold', label: 'Threshold', kind: 'float', default: 0, min: 0, help: 'Values at or below it count as "negative" (0 for the usual ReLU).', advanced: true },
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input]) => same('ReLU', input),
  paramCount: () => NO_PARAMS,
  keras: (params): KerasCall => ({
    kerasClass: 'ReLU',
    kerasArgs: [
      ['max_value', typeof params.max_value === 'number' ? params.max_value : null],
      ['negative_slope', num(params, 'negative_slope')],
      ['threshold', num(params, 'threshold')],
    ],
  }),
  tfjs: {
    ownLayer: (params) => (num(params, 'negative_slope') !== 0 || num(params, 'threshold') !== 0 ? LAYERLOOM_TFJS_CLASSES.relu : null),
    // tfjs's own ReLU knows only maxValue, typed as a number (no cap: left out).
    adjust: (call, params) =>
      call.factory === 'reLU' ? { ...call, args: typeof params.max_value === 'number' ? tfjsArgs([['max_value', params.max_value]]) : [] } : call,
  },
});

/** Keras's LeakyReLU: `x` above zero, `negative_slope · x` below. */
export const LeakyReLUBlock: BlockDef = defineBlock({
  type: 'LeakyReLU',
  category: 'Core',
  description: 'ReLU that lets a small slope through below zero, so units never stop learning.',
  params: [{ name: 'negative_slope', label: 'Negative slope', kind: 'float', default: 0.3, min: 0, help: 'Slope below zero (Keras’s default 0.3; 0.2 and 0.01 are common).' }],
  ports: () => SINGLE_INPUT,
  inferShape: ([input]) => same('LeakyReLU', input),
  paramCount: () => NO_PARAMS,
  keras: (params): KerasCall => ({ kerasClass: 'LeakyReLU', kerasArgs: [['negative_slope', num(params, 'negative_slope')]] }),
  tfjs: { rename: { negative_slope: 'alpha' } },
});

/** PReLU's weight shape: the input's, with the shared axes (Keras axes, batch = 0) set to 1. */
function preluAlphaShape(input: Shape, params: Params): Shape {
  const shared = new Set(dims(params, 'shared_axes'));
  return input.map((d, i) => (shared.has(i + 1) ? 1 : d));
}

/** Keras's PReLU: a learned slope below zero, one per value unless axes share it. */
export const PReLUBlock: BlockDef = defineBlock({
  type: 'PReLU',
  category: 'Core',
  description: 'Leaky ReLU whose slope below zero is learned (one per value, or per channel with shared axes).',
  params: [
    { name: 'alpha_initializer', label: 'Slope initializer', kind: 'enum', default: 'zeros', options: ['zeros', 'ones'], help: 'Starting slope: zeros starts as a plain ReLU (Keras’s default).', advanced: true },
    {
      name: 'shared_axes',
      label: 'Shared axes',
      kind: 'ints',
      default: null,
      nullable: true,
      min: 1,
      help: 'Axes (1 = first axis after the batch) that share one slope: 1, 2 on an image learns one slope per channel. Empty: one slope per value.',
    },
    ...regularizerParams('alpha'),
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params): ShapeResult => {
    if (!input) return fail('LL004', 'Connect an input to the PReLU.');
    for (const a of dims(params, 'shared_axes')) {
      if (a === null || a < 1 || a > input.length) {
        return fail('LL011', `PReLU: shared axis ${a} does not exist on ${formatShape(input)}; use axes 1 to ${input.length} (1 = first axis after the batch).`, 'shared_axes');
      }
    }
    const alpha = preluAlphaShape(input, params);
    if (alpha.some((d) => d === null)) {
      return fail('LL018', `PReLU learns one slope per value, but ${formatShape(input)} has a variable size. Share that axis (shared_axes), or fix its size on the Input.`, 'shared_axes');
    }
    return ok(input);
  },
  paramCount: ([input], params) => ({ trainable: input ? preluAlphaShape(input, params).reduce<number>((a, d) => a * (d ?? 0), 1) : 0, nonTrainable: 0 }),
  keras: (params): KerasCall => {
    const shared = dims(params, 'shared_axes');
    return {
      kerasClass: 'PReLU',
      kerasArgs: [
        ['alpha_initializer', params.alpha_initializer === 'ones' ? 'ones' : 'zeros'],
        ['shared_axes', shared.length ? { tuple: shared } : null],
        ...regularizerArgs(params, ['alpha']),
      ],
    };
  },
  // tfjs spells the factory `prelu`; its sharedAxes is typed as numbers (none shared: left out).
  tfjs: { adjust: (call, params) => ({ factory: 'prelu', args: dims(params, 'shared_axes').length ? call.args : call.args.filter(([k]) => k !== 'sharedAxes') }) },
});

/** Keras's ELU layer. */
export const ELUBlock: BlockDef = defineBlock({
  type: 'ELU',
  category: 'Core',
  description: 'Exponential linear unit: x above zero, alpha · (exp(x) − 1) below.',
  params: [{ name: 'alpha', label: 'Alpha', kind: 'float', default: 1, help: 'Scale of the negative part (Keras’s default 1).' }],
  ports: () => SINGLE_INPUT,
  inferShape: ([input]) => same('ELU', input),
  paramCount: () => NO_PARAMS,
  keras: (params): KerasCall => ({ kerasClass: 'ELU', kerasArgs: [['alpha', num(params, 'alpha')]] }),
  // tfjs's ELU throws on alpha ≠ 1.
  tfjs: { ownLayer: (params) => (num(params, 'alpha') === 1 ? null : LAYERLOOM_TFJS_CLASSES.elu) },
});

const softmaxAxis: ParamSpec = {
  name: 'axis',
  label: 'Axis',
  kind: 'int',
  default: -1,
  help: 'Axis whose values sum to 1 (Keras numbering: -1 the last axis, 1 the first after the batch).',
};

/** Keras's Softmax layer on one axis. */
export const SoftmaxBlock: BlockDef = defineBlock({
  type: 'Softmax',
  category: 'Core',
  description: 'Softmax along one axis: the values along it become probabilities that sum to 1.',
  params: [softmaxAxis],
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params): ShapeResult => {
    if (!input) return fail('LL004', 'Connect an input to the Softmax.');
    if (input.length === 0 || sampleAxisOf(num(params, 'axis'), input) === null) {
      return fail('LL011', `Softmax: axis ${num(params, 'axis')} does not exist on ${formatShape(input)}; use -1 (the last axis) or 1 to ${input.length}.`, 'axis');
    }
    return ok(input);
  },
  paramCount: () => NO_PARAMS,
  keras: (params): KerasCall => ({ kerasClass: 'Softmax', kerasArgs: [['axis', num(params, 'axis')]] }),
  tfjs: {
    // tfjs's softmax runs on the last axis only.
    ownLayer: (params, [input]) => (input && sampleAxisOf(num(params, 'axis'), input) === input.length - 1 ? null : LAYERLOOM_TFJS_CLASSES.softmax),
  },
});

/** Blocks in this family, registry order. */
export const activationBlocks: readonly BlockDef[] = [ReLUBlock, LeakyReLUBlock, PReLUBlock, ELUBlock, SoftmaxBlock];
