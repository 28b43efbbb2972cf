/**
 * Turns a family file's {@link BlockSpec} into the {@link BlockDef} the rest of Layerloom reads:
 * defaults filled in, and the layer call (Keras call + derived tfjs spelling) in one function.
 */
import type { BlockDef, BlockSpec } from './types.js';
import { deriveLayerCall } from './tfjsSpelling.js';

/** The block definition of a spec. */
export function defineBlock(spec: BlockSpec): BlockDef {
  const { keras } = spec;
  return {
    ...spec,
    role: spec.role ?? 'layer',
    callConvention: spec.callConvention ?? 'single',
    ...(keras ? { layerCall: (params, inputs) => deriveLayerCall(keras(params, inputs), spec.tfjs, params, inputs) } : {}),
  };
}
