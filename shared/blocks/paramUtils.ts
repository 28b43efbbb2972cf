/**
 * Reading, checking and declaring block parameters. Shared by every block family so that
 * ranges, defaults and messages stay consistent.
 */
import type { Dim, KerasArg, ParamSpec, ParamValue, Params } from './types.js';

/** A number parameter (falls back to the spec default when the value is missing or mistyped). */
export function num(params: Params, name: string): number {
  const v = params[name];
  return typeof v === 'number' ? v : NaN;
}

/** A string/enum parameter. */
export function str(params: Params, name: string): string {
  const v = params[name];
  return typeof v === 'string' ? v : '';
}

/** A boolean parameter. */
export function bool(params: Params, name: string): boolean {
  return params[name] === true;
}

/** A tuple parameter of dims (ints or `null`). */
export function dims(params: Params, name: string): Dim[] {
  const v = params[name];
  return Array.isArray(v) ? [...(v as readonly Dim[])] : [];
}

/** A tuple of ints; a single number is accepted and repeated `n` times (Keras accepts `3` for `(3, 3)`). */
export function intTuple(params: Params, name: string, n: number): number[] {
  const v = params[name];
  if (typeof v === 'number') return Array.from({ length: n }, () => v);
  if (Array.isArray(v)) return (v as readonly Dim[]).map((d) => (d === null ? NaN : d));
  return Array.from({ length: n }, () => NaN);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  return JSON.stringify(value);
}

/**
 * Checks one value against its spec. Returns a message of the form
 * `expected integer ≥ 1, got "abc"`, or null when the value is acceptable.
 */
export function checkParamValue(spec: ParamSpec, value: unknown): string | null {
  if (value === null && spec.nullable) return null;
  const range = (): string => {
    const lo = spec.min === undefined ? '' : `${spec.minExclusive ? '>' : '≥'} ${spec.min}`;
    const hi = spec.max === undefined ? '' : `${spec.maxExclusive ? '<' : '≤'} ${spec.max}`;
    return [lo, hi].filter(Boolean).join(' and ');
  };
  const inRange = (x: number): boolean =>
    !(spec.min !== undefined && (spec.minExclusive ? x <= spec.min : x < spec.min)) &&
    !(spec.max !== undefined && (spec.maxExclusive ? x >= spec.max : x > spec.max));
  switch (spec.kind) {
    case 'int':
    case 'float': {
      const word = spec.kind === 'int' ? 'integer' : 'number';
      const ok = typeof value === 'number' && Number.isFinite(value) && (spec.kind === 'float' || Number.isInteger(value));
      if (!ok || !inRange(value)) {
        const r = range();
        return `expected ${word}${r ? ' ' + r : ''}, got ${describe(value)}`;
      }
      return null;
    }
    case 'bool':
      return typeof value === 'boolean' ? null : `expected true or false, got ${describe(value)}`;
    case 'string':
      return typeof value === 'string' ? null : `expected text, got ${describe(value)}`;
    case 'enum':
      return typeof value === 'string' && spec.options?.includes(value)
        ? null
        : `expected one of ${spec.options?.map((o) => `"${o}"`).join(', ')}, got ${describe(value)}`;
    case 'ints':
    case 'shape': {
      const allowNull = spec.kind === 'shape';
      const what = `a list of ${spec.length ?? ''}${spec.length ? ' ' : ''}integers ≥ ${spec.min ?? 1}${allowNull ? ' or null' : ''}`;
      if (typeof value === 'number' && spec.kind === 'ints' && spec.length !== undefined) {
        // Keras accepts a single int for a square kernel; so do we.
        return Number.isInteger(value) && value >= (spec.min ?? 1) ? null : `expected ${what}, got ${describe(value)}`;
      }
      if (!Array.isArray(value)) return `expected ${what}, got ${describe(value)}`;
      if (spec.length !== undefined && value.length !== spec.length) return `expected ${what}, got ${describe(value)}`;
      if (spec.kind === 'shape' && value.length === 0) return `expected at least one dimension, got []`;
      for (const d of value) {
        if (d === null && allowNull) continue;
        if (typeof d !== 'number' || !Number.isInteger(d) || d < (spec.min ?? 1)) return `expected ${what}, got ${describe(value)}`;
      }
      return null;
    }
  }
}

/**
 * Checks only that a value has the right type for its spec (a number for `int`, a list for a
 * tuple...). Used when opening files: a wrong type makes the file unreadable, while a right-typed
 * value out of range is kept and reported on the node (LL011), so no work is lost.
 * Returns the full expectation message (with range) or null.
 */
export function checkParamType(spec: ParamSpec, value: unknown): string | null {
  if (value === null && spec.nullable) return null;
  const isInt = (x: unknown): boolean => typeof x === 'number' && Number.isInteger(x);
  let ok: boolean;
  switch (spec.kind) {
    case 'int':
      ok = isInt(value);
      break;
    case 'float':
      ok = typeof value === 'number' && Number.isFinite(value);
      break;
    case 'bool':
      ok = typeof value === 'boolean';
      break;
    case 'enum':
    case 'string':
      ok = typeof value === 'string';
      break;
    case 'ints':
    case 'shape':
      ok = (spec.kind === 'ints' && isInt(value)) || (Array.isArray(value) && value.every((d) => isInt(d) || (d === null && spec.kind === 'shape')));
      break;
  }
  return ok ? null : checkParamValue(spec, value);
}

/** The spec defaults as a params object. */
export function defaultParams(specs: readonly ParamSpec[]): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const s of specs) out[s.name] = s.default;
  return out;
}

/**
 * Activations usable as a layer's `activation` argument in both Keras and tfjs, same math. Keras 3
 * writes `swish` as `silu` in saved configs (EfficientNet's); import reads it back as `swish`.
 */
export const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'gelu', 'elu', 'selu', 'swish'] as const;

/** `activation` parameter. */
export function activationParam(def: string = 'linear'): ParamSpec {
  return {
    name: 'activation',
    label: 'Activation',
    kind: 'enum',
    default: def,
    options: ACTIVATIONS,
    help: 'Applied to the output. "linear" means none. Use softmax on a classifier’s last layer.',
  };
}

/** `use_bias` parameter. */
export const useBiasParam: ParamSpec = {
  name: 'use_bias',
  label: 'Use bias',
  kind: 'bool',
  default: true,
  help: 'Adds a learned bias. Turn off when a normalization layer follows (it has its own offset).',
};

/**
 * Variance-scaling initializers Keras has no short name for, under Layerloom's names: the ones
 * keras.applications' EfficientNet uses (He normal over the fan-out for convolutions, uniform with
 * limit 1/√fan_out for its classifier). Keras code spells them `keras.initializers.VarianceScaling(…)`;
 * a Keras config with exactly these settings imports as these names.
 */
export const VARIANCE_SCALING_INITIALIZERS: Readonly<Record<string, { readonly scale: number; readonly mode: 'fan_out'; readonly distribution: 'truncated_normal' | 'uniform' }>> = {
  he_normal_fan_out: { scale: 2, mode: 'fan_out', distribution: 'truncated_normal' },
  uniform_fan_out: { scale: 1 / 3, mode: 'fan_out', distribution: 'uniform' },
};

/** Initializers for kernels of any rank (orthogonal is 2-D only in tfjs, so it is offered for recurrent kernels). */
export const KERNEL_INITIALIZERS = ['glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal', 'lecun_uniform', 'lecun_normal', 'zeros', 'ones', ...Object.keys(VARIANCE_SCALING_INITIALIZERS)] as const;
/** Initializers that make sense for a 1-D bias. */
export const BIAS_INITIALIZERS = ['zeros', 'ones'] as const;
/** Initializers for recurrent kernels. */
export const RECURRENT_INITIALIZERS = ['orthogonal', ...KERNEL_INITIALIZERS] as const;

/**
 * An initializer parameter (advanced). Pass `BIAS_INITIALIZERS` for biases, `RECURRENT_INITIALIZERS`
 * for recurrent kernels; the default list suits kernels of any rank.
 */
export function initializerParam(name: string, label: string, def: string, options: readonly string[] = KERNEL_INITIALIZERS): ParamSpec {
  return {
    name,
    label,
    kind: 'enum',
    default: def,
    options,
    help: 'How weights start before training. Keras defaults are used unless you change them.',
    advanced: true,
  };
}

/** Weights a block can regularize, by the prefix of their Keras arguments (`kernel_regularizer`). */
export type RegularizedWeight = 'kernel' | 'bias' | 'recurrent' | 'embeddings' | 'depthwise' | 'pointwise' | 'gamma' | 'beta' | 'alpha';

const WEIGHT_LABELS: Readonly<Record<RegularizedWeight, string>> = {
  kernel: 'Kernel',
  bias: 'Bias',
  recurrent: 'Recurrent kernel',
  embeddings: 'Embeddings',
  depthwise: 'Depthwise kernel',
  pointwise: 'Pointwise kernel',
  gamma: 'Gamma (scale)',
  beta: 'Beta (offset)',
  alpha: 'Slope (alpha)',
};

/**
 * Keras's `<weight>_regularizer` as two factors (advanced): `<weight>_l1` and `<weight>_l2`, both 0
 * (no regularizer) by default. The training loss adds l1 · Σ|w| + l2 · Σw², as Keras's L1, L2 and
 * L1L2 regularizers do.
 */
export function regularizerParams(weight: RegularizedWeight): ParamSpec[] {
  const label = WEIGHT_LABELS[weight];
  return [
    {
      name: `${weight}_l1`,
      label: `${label} L1`,
      kind: 'float',
      default: 0,
      min: 0,
      help: `Adds this factor × the sum of |w| over the ${label.toLowerCase()} weights to the training loss (Keras’s ${weight}_regularizer=L1). Pushes weights to exactly 0. 0 turns it off.`,
      advanced: true,
    },
    {
      name: `${weight}_l2`,
      label: `${label} L2`,
      kind: 'float',
      default: 0,
      min: 0,
      help: `Adds this factor × the sum of w² over the ${label.toLowerCase()} weights to the training loss (Keras’s ${weight}_regularizer=L2, “weight decay”; typical 1e-4 to 1e-2). 0 turns it off.`,
      advanced: true,
    },
  ];
}

/** A factor param read as a number ≥ 0 (0 where a document written before the option has none). */
function factor(params: Params, name: string): number {
  const v = params[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/**
 * The Keras `<weight>_regularizer` arguments of the weights whose factors are set (none when all
 * are 0, so the call reads as before): `L1(l1=…)`, `L2(l2=…)` or `L1L2(l1=…, l2=…)`.
 */
export function regularizerArgs(params: Params, weights: readonly RegularizedWeight[]): [string, KerasArg][] {
  const out: [string, KerasArg][] = [];
  for (const w of weights) {
    const l1 = factor(params, `${w}_l1`);
    const l2 = factor(params, `${w}_l2`);
    if (l1 === 0 && l2 === 0) continue;
    const args: [string, KerasArg][] = l1 && l2 ? [['l1', l1], ['l2', l2]] : l1 ? [['l1', l1]] : [['l2', l2]];
    out.push([`${w}_regularizer`, { module: 'regularizers', className: l1 && l2 ? 'L1L2' : l1 ? 'L1' : 'L2', args }]);
  }
  return out;
}

/** A Python/TS tuple literal. */
export function tuple(values: readonly KerasArg[]): KerasArg {
  return { tuple: values };
}
