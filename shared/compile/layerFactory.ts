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
  if (def.apply) {
    // Attention routes its own inputs (self-attention takes one tensor); other custom layers get
    // repeated inputs routed like built-in layers, keeping port positions.
    if (def.layerCall?.(params, inputShapes).kerasClass === 'MultiHeadAttention') return def.apply(tf, inputs, params, name);
    const routed = routedTensors(tf, routeLayerInputs(inputs, false, name));
    let next = 0;
    return def.apply(tf, inputs.map((t) => (t === null || t === undefined ? null : routed[next++])), params, name);
  }
  if (!def.layerCall) throw new Error(`Block ${def.type} is not a layer.`);
  const layer = createLayer(tf, def.layerCall(params, inputShapes), name);
  const connected = routedTensors(tf, routeLayerInputs(inputs, false, name));
  const out = layer.apply(connected.length === 1 ? connected[0] : connected);
  return out as SymbolicTensor;
}

/** One tensor a layer is applied to: a source, optionally routed through a weightless identity layer. */
export interface RoutedInput<T> {
  readonly source: T;
  /** Name of the identity layer this input passes through first, when it repeats an earlier input. */
  readonly identityName?: string;
}

/**
 * The tensors a layer is applied to, in order. tfjs-layers' inference executor releases a tensor
 * once per input slot but counts it once per consuming layer, so a layer fed the same tensor twice
 * (`Add(x, x)`, self-attention `mha(x, x)`) frees it while another layer still needs it
 * ("Tensor is disposed" in `predict`). So: self-attention is applied to the single tensor (the
 * attention layer reads one input as query = value = key), a key equal to the value is dropped (it
 * defaults to the value), and any other repeat goes through an identity layer. The compiler and
 * the TypeScript export both route inputs through here, so they build the same graph.
 *
 * `ports` are the sources in port order (`null` = unconnected optional port); for attention the
 * order is `[query, value, key]`.
 */
export function routeLayerInputs<T>(ports: readonly (T | null)[], attention: boolean, layerName: string): RoutedInput<T>[] {
  let list = ports.filter((p): p is T => p !== null && p !== undefined);
  if (attention) {
    const [query, value, key] = list;
    if (key !== undefined && key === value) list = [query, value];
    if (list.length === 2 && list[0] === list[1]) list = [list[0]];
  }
  const seen = new Set<T>();
  let repeats = 0;
  return list.map((source) => {
    if (!seen.has(source)) {
      seen.add(source);
      return { source };
    }
    repeats++;
    return { source, identityName: `${layerName}_repeat${repeats}` };
  });
}

/** Applies identity routing to symbolic tensors (see {@link routeLayerInputs}). */
export function routedTensors(tf: TF, routed: readonly RoutedInput<SymbolicTensor>[]): SymbolicTensor[] {
  return routed.map((r) =>
    r.identityName ? (tf.layers.activation({ activation: 'linear', name: r.identityName }).apply(r.source) as SymbolicTensor) : r.source,
  );
}
