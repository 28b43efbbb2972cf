/**
 * Turns a family file's {@link BlockSpec} into the {@link BlockDef} the rest of Layerloom reads:
 * defaults filled in, the parameters every layer shares appended, and the layer call (Keras call +
 * derived tfjs spelling) in one function.
 */
import type { BlockDef, BlockSpec, KerasCall, ParamCount, ParamSpec, Params } from './types.js';
import { deriveLayerCall } from './tfjsSpelling.js';

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

/** The block definition of a spec. */
export function defineBlock(spec: BlockSpec): BlockDef {
  const { keras } = spec;
  const role = spec.role ?? 'layer';
  const frozenKeras = keras && ((params: Params, inputs: Parameters<typeof keras>[1]) => withTrainable(keras(params, inputs), params));
  return {
    ...spec,
    role,
    callConvention: spec.callConvention ?? 'single',
    params: role === 'layer' && !NO_TRAINABLE_ARGUMENT.has(spec.type) ? [...spec.params, TRAINABLE_PARAM] : spec.params,
    paramCount: (inputs, params) => (isFrozen(params) ? frozenCount(spec.paramCount(inputs, params)) : spec.paramCount(inputs, params)),
    ...(frozenKeras ? { keras: frozenKeras, layerCall: (params, inputs) => deriveLayerCall(frozenKeras(params, inputs), spec.tfjs, params, inputs) } : {}),
  };
}
