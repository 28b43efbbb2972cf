/**
 * Keras's weight constraints as block options (`kernel_constraint=keras.constraints.MaxNorm(2, axis=0)`):
 * per constrained weight a kind and its numbers, all advanced. Keras applies them after every
 * optimizer step; so does Layerloom's trainer (compile/constraints.ts), never on load.
 */
import type { KerasArg, ParamSpec, Params, ShapeProblem } from './types.js';
import { regularizerArgs, regularizerParams, tuple } from './paramUtils.js';

/** Weights a block can constrain, by the prefix of their Keras argument (`depthwise_constraint`). */
type ConstrainedWeightName = 'kernel' | 'bias' | 'embeddings' | 'depthwise' | 'pointwise' | 'recurrent';

/** The constraints offered, by Keras's short name ("none": no constraint). */
const CONSTRAINT_KINDS = ['none', 'max_norm', 'non_neg', 'unit_norm', 'min_max_norm'] as const;

/** Keras's class of each constraint kind, and back. */
const CONSTRAINT_CLASSES: Readonly<Record<string, string>> = { max_norm: 'MaxNorm', non_neg: 'NonNeg', unit_norm: 'UnitNorm', min_max_norm: 'MinMaxNorm' };

const LABELS: Readonly<Record<ConstrainedWeightName, string>> = {
  kernel: 'Kernel',
  bias: 'Bias',
  embeddings: 'Embeddings',
  depthwise: 'Depthwise kernel',
  pointwise: 'Pointwise kernel',
  recurrent: 'Recurrent kernel',
};

/** Keras's default `max_value` of MaxNorm (2) and MinMaxNorm (1), used when the block leaves it empty. */
function defaultMax(kind: string): number {
  return kind === 'min_max_norm' ? 1 : 2;
}

/**
 * The options of `<weight>_constraint`: `<weight>_constraint` (the kind), `_max_value` (empty: Keras's
 * default, 2 for max_norm and 1 for min_max_norm), `_min_value` and `_rate` (min_max_norm), and
 * `_axis` (the axes the norms run over; Keras's default 0). A bias is 1-D: its norm is over all of it.
 */
function constraintParams(weight: ConstrainedWeightName): ParamSpec[] {
  const label = LABELS[weight];
  const lower = label.toLowerCase();
  const p = `${weight}_constraint`;
  // The numbers show only for the kinds that read them.
  const kindIn =
    (...kinds: readonly string[]) =>
    (params: Params): boolean =>
      kinds.includes(kindOf(params, weight));
  return [
    {
      name: p,
      label: `${label} constraint`,
      kind: 'enum',
      default: 'none',
      options: CONSTRAINT_KINDS,
      help: `Projects the ${lower} after every training step, as Keras does: max_norm caps the norm of each slice along the axes, non_neg sets negative weights to 0, unit_norm scales each slice to norm 1, min_max_norm keeps each norm between a min and a max.`,
      advanced: true,
    },
    {
      name: `${p}_max_value`,
      label: `${label} constraint max`,
      kind: 'float',
      default: null,
      nullable: true,
      min: 0,
      minExclusive: true,
      help: 'Largest norm (max_norm, min_max_norm). Empty: Keras’s default, 2 for max_norm and 1 for min_max_norm.',
      advanced: true,
      shownWhen: kindIn('max_norm', 'min_max_norm'),
    },
    { name: `${p}_min_value`, label: `${label} constraint min`, kind: 'float', default: 0, min: 0, help: 'Smallest norm (min_max_norm; Keras’s default 0).', advanced: true, shownWhen: kindIn('min_max_norm') },
    {
      name: `${p}_rate`,
      label: `${label} constraint rate`,
      kind: 'float',
      default: 1,
      min: 0,
      minExclusive: true,
      max: 1,
      help: 'How far each step moves a norm into [min, max] (min_max_norm): 1 enforces it at once (Keras’s default), less moves it gradually.',
      advanced: true,
      shownWhen: kindIn('min_max_norm'),
    },
    ...(weight === 'bias'
      ? []
      : [
          {
            name: `${p}_axis`,
            label: `${label} constraint axes`,
            kind: 'ints' as const,
            default: [0],
            min: 0,
            help: `Axes of the ${lower} the norms run over (max_norm, unit_norm, min_max_norm; Keras’s default 0). 0 for a Dense kernel gives each unit’s incoming weights; for a convolution kernel list every axis but the last (0, 1, 2 for Conv2D) to constrain each filter.`,
            advanced: true,
            shownWhen: kindIn('max_norm', 'unit_norm', 'min_max_norm'),
          },
        ]),
  ];
}

function kindOf(params: Params, weight: ConstrainedWeightName): string {
  const v = params[`${weight}_constraint`];
  return typeof v === 'string' ? v : 'none';
}

function maxValue(params: Params, weight: ConstrainedWeightName): number {
  const v = params[`${weight}_constraint_max_value`];
  return typeof v === 'number' ? v : defaultMax(kindOf(params, weight));
}

function numberOr(params: Params, name: string, fallback: number): number {
  const v = params[name];
  return typeof v === 'number' ? v : fallback;
}

function axes(params: Params, weight: ConstrainedWeightName): number[] {
  if (weight === 'bias') return [0];
  const v = params[`${weight}_constraint_axis`];
  return Array.isArray(v) ? v.filter((a): a is number => typeof a === 'number') : [0];
}

/**
 * The Keras `<weight>_constraint` arguments of the constrained weights (none when every kind is
 * "none", so the call reads as before): `MaxNorm(max_value=…, axis=…)`, `NonNeg()`,
 * `UnitNorm(axis=…)`, `MinMaxNorm(min_value=…, max_value=…, rate=…, axis=…)`; one axis prints as an int.
 */
function constraintArgs(params: Params, weights: readonly ConstrainedWeightName[]): [string, KerasArg][] {
  const out: [string, KerasArg][] = [];
  for (const w of weights) {
    const kind = kindOf(params, w);
    const className = CONSTRAINT_CLASSES[kind];
    if (!className) continue;
    const list = axes(params, w);
    const axis: KerasArg = list.length === 1 ? list[0] : tuple(list);
    const args: [string, KerasArg][] =
      kind === 'max_norm'
        ? [['max_value', maxValue(params, w)], ['axis', axis]]
        : kind === 'unit_norm'
          ? [['axis', axis]]
          : kind === 'min_max_norm'
            ? [['min_value', numberOr(params, `${w}_constraint_min_value`, 0)], ['max_value', maxValue(params, w)], ['rate', numberOr(params, `${w}_constraint_rate`, 1)], ['axis', axis]]
            : [];
    out.push([`${w}_constraint`, { module: 'constraints', className, args }]);
  }
  return out;
}

/**
 * The first problem with the constraints' numbers that the ranges of single params cannot catch:
 * an axis the weight does not have (`ranks`: each constrained weight's rank, e.g. 4 for a Conv2D
 * kernel), an axis named twice, min above max. Null when all is well.
 */
export function constraintProblem(block: string, params: Params, ranks: Readonly<Record<string, number>>): ShapeProblem | null {
  for (const [w, rank] of Object.entries(ranks) as [ConstrainedWeightName, number][]) {
    const kind = kindOf(params, w);
    if (kind === 'none' || kind === 'non_neg') continue;
    const list = axes(params, w);
    const name = `${w}_constraint_axis`;
    const label = LABELS[w].toLowerCase();
    if (list.length === 0) return { code: 'LL011', message: `${block}: the ${label} constraint needs at least one axis to take norms over (Keras's default is 0).`, param: name };
    const bad = list.find((a) => !Number.isInteger(a) || a < 0 || a >= rank);
    if (bad !== undefined) {
      return { code: 'LL011', message: `${block}: the ${label} has ${rank} axes (0 to ${rank - 1}), so its constraint cannot take norms over axis ${bad}. Use axes from 0 to ${rank - 1}.`, param: name };
    }
    if (new Set(list).size !== list.length) return { code: 'LL011', message: `${block}: the ${label} constraint names an axis twice (${list.join(', ')}). List each axis once.`, param: name };
    if (kind === 'min_max_norm') {
      const min = numberOr(params, `${w}_constraint_min_value`, 0);
      const max = maxValue(params, w);
      if (min > max) {
        return { code: 'LL011', message: `${block}: the ${label} constraint's min norm ${min} is above its max norm ${max}. Set min ≤ max.`, param: `${w}_constraint_min_value` };
      }
    }
  }
  return null;
}

/**
 * The regularizer and the constraint options of each weight (`kernel_l1` … `bias_constraint_axis`),
 * regularizers first as Keras's constructors list them.
 */
export function weightPenaltyParams(weights: readonly ConstrainedWeightName[]): ParamSpec[] {
  return [...weights.flatMap((w) => regularizerParams(w)), ...weights.flatMap((w) => constraintParams(w))];
}

/** The Keras arguments of {@link weightPenaltyParams}: each weight's regularizer, then its constraint. */
export function weightPenaltyArgs(params: Params, weights: readonly ConstrainedWeightName[]): [string, KerasArg][] {
  return [...regularizerArgs(params, weights), ...constraintArgs(params, weights)];
}
