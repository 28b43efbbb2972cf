/**
 * Builds tfjs layers from a block's {@link LayerCall}. The same call is printed by the code
 * generators, so what runs in the app is what the exported code builds.
 */
import type { BlockDef, KerasArg, LayerCall, Params, Shape, SymbolicTensor, TF } from '../blocks/types.js';

/** tfjs config value of a generated-code literal (tuples become arrays). */
export function tfjsValue(arg: KerasArg): unknown {
  if (arg !== null && typeof arg === 'object') {
    if ('tuple' in arg) return arg.tuple.map(tfjsValue);
    throw new Error(`Raw code "${arg.raw}" cannot be turned into a tfjs config value.`);
  }
  return arg;
}

/** The tfjs config object of a layer call, with the layer name. */
export function tfjsConfig(call: LayerCall, name: string): Record<string, unknown> {
  const config: Record<string, unknown> = { name };
  for (const [key, value] of call.tfjsArgs) config[key] = tfjsValue(value);
  return config;
}

type LayerFactory = (config: Record<string, unknown>) => ReturnType<TF['layers']['dense']>;

/** Creates the tfjs layer for a (non-custom) call, wrapping it in Bidirectional when asked. */
export function createLayer(tf: TF, call: LayerCall, name: string): ReturnType<TF['layers']['dense']> {
  const factories = tf.layers as unknown as Record<string, LayerFactory | undefined>;
  const factory = factories[call.tfjsFactory];
  if (typeof factory !== 'function') throw new Error(`tf.layers.${call.tfjsFactory} does not exist in this tfjs version.`);
  if (call.bidirectional) {
    const inner = factory(tfjsConfig(call, `${name}_inner`));
    const wrap = tf.layers.bidirectional as unknown as (c: Record<string, unknown>) => ReturnType<TF['layers']['dense']>;
    return wrap({ layer: inner, mergeMode: call.bidirectional.mergeMode, name });
  }
  return factory(tfjsConfig(call, name));
}

/**
 * Applies one block to its input tensors: custom blocks build themselves (`apply`), all others go
 * through their layer call. `inputs` follow the block's port order (`null` for an unconnected optional port).
 */
export function applyBlock(
  tf: TF,
  def: BlockDef,
  inputs: readonly (SymbolicTensor | null)[],
  params: Params,
  inputShapes: readonly (Shape | null)[],
  name: string,
): SymbolicTensor {
  if (def.apply) return def.apply(tf, inputs, params, name);
  if (!def.layerCall) throw new Error(`Block ${def.type} is not a layer.`);
  const layer = createLayer(tf, def.layerCall(params, inputShapes), name);
  const connected = inputs.filter((t): t is SymbolicTensor => t !== null);
  const out = layer.apply(connected.length === 1 ? connected[0] : connected);
  return out as SymbolicTensor;
}
