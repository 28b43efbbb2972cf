/**
 * Turns a family file's {@link BlockSpec} into the {@link BlockDef} the rest of Layerloom reads:
 * defaults filled in, the parameters every layer shares appended, and the layer call (Keras call +
 * derived tfjs spelling) in one function.
 */
import type { BlockDef, BlockSpec, ParamSpec } from './types.js';
import { deriveLayerCall } from './tfjsSpelling.js';

/**
 * Keras's `layer.trainable`, on every layer block (project format 2). Off freezes the layer: its
 * weights stay as they are while the rest of the model trains (transfer learning).
 */
export const TRAINABLE_PARAM: ParamSpec = {
  name: 'trainable',
  label: 'Trainable',
  kind: 'bool',
  default: true,
  help: 'Off freezes the layer (Keras’s layer.trainable = False): training leaves its weights unchanged, and a frozen BatchNormalization uses its moving statistics. Use it to train only the head on top of a pretrained backbone.',
};

/** The block definition of a spec. */
export function defineBlock(spec: BlockSpec): BlockDef {
  const { keras } = spec;
  const role = spec.role ?? 'layer';
  return {
    ...spec,
    role,
    callConvention: spec.callConvention ?? 'single',
    params: role === 'layer' ? [...spec.params, TRAINABLE_PARAM] : spec.params,
    ...(keras ? { layerCall: (params, inputs) => deriveLayerCall(keras(params, inputs), spec.tfjs, params, inputs) } : {}),
  };
}
