/**
 * Turns a family file's {@link BlockSpec} into the {@link BlockDef} the rest of Layerloom reads:
 * defaults filled in, the parameters every layer shares appended, and the layer call (Keras call +
 * derived tfjs spelling) in one function.
 */
import { DEFAULT_OUTPUT_PORT, type BlockDef, type BlockSpec, type KerasCall, type LayerCall, type ParamCount, type ParamSpec, type Params, type PortSpec, type Shape, type ShapeResult } from './types.js';
import { deriveLayerCall } from './tfjsSpelling.js';
import { constraintProblem } from './constraintParams.js';
import { fail } from './results.js';
import { formatShape } from './shapeUtils.js';

/** The output ports of a block that declares none: one `out`. */
const SINGLE_OUTPUT: readonly PortSpec[] = [{ name: DEFAULT_OUTPUT_PORT, label: 'out' }];

/**
 * Keras's `layer.trainable`, on every layer block (project format 2). Off freezes the layer: its
 * weights stay as they are while the rest of the model trains (transfer learning).
 */
const TRAINABLE_PARAM: ParamSpec = {
  name: 'trainable',
  label: 'Trainable',
  kind: 'bool',
  default: true,
  help: 'Off freezes the layer (Keras’s layer.trainable = False): training leaves its weights unchanged, and a frozen BatchNormalization uses its moving statistics. Use it to train only the head on top of a pretrained backbone.',
};

/**
 * Blocks without `trainable`: Keras's SpatialDropout classes take no `trainable` argument (their
 * constructors have no **kwargs), and they hold no weights, so there is nothing to freeze.
 */
const NO_TRAINABLE_ARGUMENT: ReadonlySet<string> = new Set(['SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D']);

/** True when the node's layer is frozen (`trainable` off). */
function isFrozen(params: Params): boolean {
  return params.trainable === false;
}

/** Keras's count for a frozen layer: every weight of it is non-trainable. */
function frozenCount(count: ParamCount): ParamCount {
  return { trainable: 0, nonTrainable: count.trainable + count.nonTrainable };
}

/**
 * The Keras call with `trainable=False` last when the layer is frozen (a keyword every Keras layer
 * takes; tfjs's layers take `trainable: false` too). Inside Bidirectional it freezes both directions.
 */
function withTrainable(call: KerasCall, params: Params): KerasCall {
  return isFrozen(params) ? { ...call, kerasArgs: [...call.kerasArgs, ['trainable', false]] } : call;
}

/**
 * Keras's `TimeDistributed` wrapper as an option of the wrapped block (like Bidirectional on the
 * recurrent blocks): on the canvas a video model reads Conv2D → MaxPooling2D → Flatten → LSTM with
 * one switch on each, rather than a wrapper block holding a nested layer.
 */
const TIME_DISTRIBUTED_PARAM: ParamSpec = {
  name: 'time_distributed',
  label: 'Time distributed',
  kind: 'bool',
  default: false,
  advanced: true,
  help: 'Applies this layer to every step of the first axis on its own, with the same weights (Keras’s TimeDistributed): e.g. a Conv2D on each frame of a video (None, frames, height, width, channels).',
};

function isTimeDistributed(params: Params): boolean {
  return params.time_distributed === true;
}

/** The shapes the wrapped layer sees: each input without its first (time) axis. */
function perStep(inputs: readonly (Shape | null)[]): (Shape | null)[] {
  return inputs.map((s) => (s ? s.slice(1) : s));
}

/** Shape rule of a time-distributed block: the layer's rule on one step, the time axis kept in front. */
function timeDistributedShape(spec: BlockSpec, inputs: readonly (Shape | null)[], params: Params): ShapeResult {
  const input = inputs[0];
  if (!input) return spec.inferShape(inputs, params);
  if (input.length < 2) {
    return fail(
      'LL007',
      `${spec.type} with "Time distributed" needs a time axis before the per-step shape, e.g. (None, steps, features), got ${formatShape(input)}. Turn "Time distributed" off, or Reshape the input to (steps, ...).`,
      'time_distributed',
    );
  }
  const inner = spec.inferShape(perStep(inputs), params);
  const problems = inner.problems.map((p) => ({ ...p, message: `On each step (time distributed over ${input[0] ?? 'None'} steps): ${p.message}` }));
  return { shape: inner.shape ? [input[0], ...inner.shape] : null, problems };
}

/** The block definition of a spec. */
export function defineBlock(written: BlockSpec): BlockDef {
  const spec = { ...written, inferShape: withConstraintCheck(written) };
  return spec.timeDistributable ? timeDistributable(baseDefinition(spec), spec) : baseDefinition(spec);
}

/**
 * Adds the `time_distributed` option to a block: with it on, the shape rule, counts and the layer
 * call are those of the layer on one step, and the call is wrapped in TimeDistributed.
 */
function timeDistributable(def: BlockDef, spec: BlockSpec): BlockDef {
  const { keras, macs } = def;
  const layerCall = (p: Params, inputs: readonly (Shape | null)[]): LayerCall => {
    const call = def.layerCall?.(p, inputs);
    if (!call) throw new Error(`${def.type} has no layer call.`);
    return call;
  };
  const params = def.params.some((p) => p.name === 'trainable')
    ? [...def.params.filter((p) => p.name !== 'trainable'), TIME_DISTRIBUTED_PARAM, ...def.params.filter((p) => p.name === 'trainable')]
    : [...def.params, TIME_DISTRIBUTED_PARAM];
  return {
    ...def,
    params,
    inferShape: (inputs, p) => (isTimeDistributed(p) ? timeDistributedShape(spec, inputs, p) : def.inferShape(inputs, p)),
    paramCount: (inputs, p) => def.paramCount(isTimeDistributed(p) ? perStep(inputs) : inputs, p),
    ...(macs
      ? {
          macs: (inputs, p, output) => {
            if (!isTimeDistributed(p)) return macs(inputs, p, output);
            const steps = inputs[0]?.[0] ?? null;
            const one = macs(perStep(inputs), p, output.slice(1));
            return steps === null || one === null ? null : steps * one;
          },
        }
      : {}),
    ...(keras && def.layerCall
      ? {
          keras: (p: Params, inputs: readonly (Shape | null)[]) => (isTimeDistributed(p) ? { ...keras(p, perStep(inputs)), timeDistributed: true as const } : keras(p, inputs)),
          layerCall: (p: Params, inputs: readonly (Shape | null)[]) =>
            isTimeDistributed(p) ? { ...layerCall(p, perStep(inputs)), timeDistributed: true as const } : layerCall(p, inputs),
        }
      : {}),
  };
}

/** The block's shape rule, plus the check of its weight constraints' axes and bounds where it has any. */
function withConstraintCheck(spec: BlockSpec): BlockSpec['inferShape'] {
  const ranks = spec.constrainedWeightRanks;
  if (!ranks) return (inputs, params) => spec.inferShape(inputs, params);
  return (inputs, params) => {
    const result = spec.inferShape(inputs, params);
    const problem = constraintProblem(spec.type, params, ranks);
    return problem ? { ...result, problems: [...result.problems, problem] } : result;
  };
}

function baseDefinition(spec: BlockSpec): BlockDef {
  const { keras } = spec;
  const role = spec.role ?? 'layer';
  const frozenKeras = keras && ((params: Params, inputs: Parameters<typeof keras>[1]) => withTrainable(keras(params, inputs), params));
  return {
    ...spec,
    role,
    callConvention: spec.callConvention ?? 'single',
    outputs: spec.outputs ?? (() => SINGLE_OUTPUT),
    params: role === 'layer' && !NO_TRAINABLE_ARGUMENT.has(spec.type) ? [...spec.params, TRAINABLE_PARAM] : spec.params,
    paramCount: (inputs, params) => (isFrozen(params) ? frozenCount(spec.paramCount(inputs, params)) : spec.paramCount(inputs, params)),
    ...(frozenKeras ? { keras: frozenKeras, layerCall: (params, inputs) => deriveLayerCall(frozenKeras(params, inputs), spec.tfjs, params, inputs) } : {}),
  };
}
