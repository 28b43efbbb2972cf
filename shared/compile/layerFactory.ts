/**
 * The tfjs runtime of the blocks: builds a tfjs layer from a block's {@link LayerCall} and applies
 * it to its input tensors by the block's call convention. The same call is printed by the code
 * generators, so what runs in the app is what the exported code builds. Block specs
 * (shared/blocks) say what to build; only this folder builds it.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { BlockDef, CallConvention, KerasArg, LayerCall, Params, Shape } from '../blocks/types.js';
import {
  CUSTOM_LAYER_CLASSES,
  layerloomLayers,
  type AxisArgs,
  type ConvLayerArgs,
  type ELUArgs,
  type GlobalPoolingArgs,
  type BatchNormalizationLayerArgs,
  type LayerNormalizationLayerArgs,
  type GRULayerArgs,
  type MultiHeadAttentionArgs,
  type NoiseArgs,
  type PositionEmbeddingArgs,
  type ReLUArgs,
  type ResizeArgs,
  type SeparableConvLayerArgs,
  type DepthwiseConvLayerArgs,
  type Conv2DTransposeLayerArgs,
  type Sides1DArgs,
  type Sides3DArgs,
  type UpSampling3DArgs,
  type Conv3DTransposeLayerArgs,
  type UpSampling1DArgs,
  type Conv1DTransposeLayerArgs,
  type DepthwiseConv1DArgs,
} from './customLayers.js';
import { routeLayerInputs, type RoutedInput } from '../codegen/plan.js';
import type { SymbolicTensor, TF } from './tfTypes.js';

type Layer = tfjs.layers.Layer;

/** tfjs config value of a generated-code literal (tuples become arrays). */
export function tfjsValue(arg: KerasArg): unknown {
  if (arg !== null && typeof arg === 'object') {
    if ('tuple' in arg) return arg.tuple.map(tfjsValue);
    // tfjs deserializes a regularizer or constraint from `{className, config}`.
    if ('module' in arg) return { className: arg.className, config: Object.fromEntries(arg.args.map(([k, v]) => [k, tfjsValue(v)])) };
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

type LayerFactory = (config: Record<string, unknown>) => Layer;

/**
 * The layer of `call` built by `make`, inside the wrapper the call asks for: Bidirectional or
 * TimeDistributed (the inner layer named `<name>_inner`, the wrapper `<name>`).
 */
function wrapped(tf: TF, call: LayerCall, name: string, make: (config: Record<string, unknown>) => Layer): Layer {
  if (call.bidirectional) {
    const wrap = tf.layers.bidirectional as unknown as (c: Record<string, unknown>) => Layer;
    return wrap({ layer: make(tfjsConfig(call, `${name}_inner`)), mergeMode: call.bidirectional.mergeMode, name });
  }
  if (call.timeDistributed) {
    const wrap = tf.layers.timeDistributed as unknown as (c: Record<string, unknown>) => Layer;
    return wrap({ layer: make(tfjsConfig(call, `${name}_inner`)), name });
  }
  return make(tfjsConfig(call, name));
}

/** Creates the tfjs layer for a (non-custom) call, wrapping it in Bidirectional or TimeDistributed when asked. */
export function createLayer(tf: TF, call: LayerCall, name: string): Layer {
  // Installs Layerloom's fixes to tfjs's own layers too (recurrent layers count their penalties).
  layerloomLayers(tf);
  const factories = tf.layers as unknown as Record<string, LayerFactory | undefined>;
  const factory = factories[call.tfjsFactory];
  if (typeof factory !== 'function') throw new Error(`tf.layers.${call.tfjsFactory} does not exist in this tfjs version.`);
  return wrapped(tf, call, name, factory);
}

/**
 * Constructors of Layerloom's own tfjs layers, keyed by the class name a block's spec names
 * (`LayerCall.tfjsFactory` when `custom`). The constructors check every value they read, so the
 * plain config object is passed as is.
 */
const CUSTOM_CONSTRUCTORS: Readonly<Record<string, (tf: TF, config: unknown) => Layer>> = {
  [CUSTOM_LAYER_CLASSES.multiHeadAttention]: (tf, c) => new (layerloomLayers(tf).MultiHeadAttention)(c as MultiHeadAttentionArgs),
  [CUSTOM_LAYER_CLASSES.positionEmbedding]: (tf, c) => new (layerloomLayers(tf).PositionEmbedding)(c as PositionEmbeddingArgs),
  [CUSTOM_LAYER_CLASSES.conv1d]: (tf, c) => new (layerloomLayers(tf).Conv1D)(c as ConvLayerArgs),
  [CUSTOM_LAYER_CLASSES.conv2d]: (tf, c) => new (layerloomLayers(tf).Conv2D)(c as ConvLayerArgs),
  [CUSTOM_LAYER_CLASSES.conv3d]: (tf, c) => new (layerloomLayers(tf).Conv3D)(c as ConvLayerArgs),
  [CUSTOM_LAYER_CLASSES.separableConv2d]: (tf, c) => new (layerloomLayers(tf).SeparableConv2D)(c as SeparableConvLayerArgs),
  [CUSTOM_LAYER_CLASSES.depthwiseConv2d]: (tf, c) => new (layerloomLayers(tf).DepthwiseConv2D)(c as DepthwiseConvLayerArgs),
  [CUSTOM_LAYER_CLASSES.conv2dTranspose]: (tf, c) => new (layerloomLayers(tf).Conv2DTranspose)(c as Conv2DTransposeLayerArgs),
  [CUSTOM_LAYER_CLASSES.relu]: (tf, c) => new (layerloomLayers(tf).ReLU)(c as ReLUArgs),
  [CUSTOM_LAYER_CLASSES.elu]: (tf, c) => new (layerloomLayers(tf).ELU)(c as ELUArgs),
  [CUSTOM_LAYER_CLASSES.softmax]: (tf, c) => new (layerloomLayers(tf).Softmax)(c as AxisArgs),
  [CUSTOM_LAYER_CLASSES.normalization]: (tf, c) => new (layerloomLayers(tf).Normalization)(c as AxisArgs),
  [CUSTOM_LAYER_CLASSES.globalPooling]: (tf, c) => new (layerloomLayers(tf).GlobalPooling)(c as GlobalPoolingArgs),
  [CUSTOM_LAYER_CLASSES.gaussianNoise]: (tf, c) => new (layerloomLayers(tf).GaussianNoise)(c as NoiseArgs),
  [CUSTOM_LAYER_CLASSES.gaussianDropout]: (tf, c) => new (layerloomLayers(tf).GaussianDropout)(c as NoiseArgs),
  [CUSTOM_LAYER_CLASSES.spatialDropout2d]: (tf, c) => new (layerloomLayers(tf).SpatialDropout2D)(c as NoiseArgs),
  [CUSTOM_LAYER_CLASSES.resize]: (tf, c) => new (layerloomLayers(tf).Resize)(c as ResizeArgs),
  [CUSTOM_LAYER_CLASSES.zeroPadding1d]: (tf, c) => new (layerloomLayers(tf).ZeroPadding1D)(c as Sides1DArgs),
  [CUSTOM_LAYER_CLASSES.cropping1d]: (tf, c) => new (layerloomLayers(tf).Cropping1D)(c as Sides1DArgs),
  [CUSTOM_LAYER_CLASSES.zeroPadding3d]: (tf, c) => new (layerloomLayers(tf).ZeroPadding3D)(c as Sides3DArgs),
  [CUSTOM_LAYER_CLASSES.cropping3d]: (tf, c) => new (layerloomLayers(tf).Cropping3D)(c as Sides3DArgs),
  [CUSTOM_LAYER_CLASSES.upSampling3d]: (tf, c) => new (layerloomLayers(tf).UpSampling3D)(c as UpSampling3DArgs),
  [CUSTOM_LAYER_CLASSES.spatialDropout3d]: (tf, c) => new (layerloomLayers(tf).SpatialDropout3D)(c as NoiseArgs),
  [CUSTOM_LAYER_CLASSES.conv3dTranspose]: (tf, c) => new (layerloomLayers(tf).Conv3DTranspose)(c as Conv3DTransposeLayerArgs),
  [CUSTOM_LAYER_CLASSES.upSampling1d]: (tf, c) => new (layerloomLayers(tf).UpSampling1D)(c as UpSampling1DArgs),
  [CUSTOM_LAYER_CLASSES.conv1dTranspose]: (tf, c) => new (layerloomLayers(tf).Conv1DTranspose)(c as Conv1DTransposeLayerArgs),
  [CUSTOM_LAYER_CLASSES.depthwiseConv1d]: (tf, c) => new (layerloomLayers(tf).DepthwiseConv1D)(c as DepthwiseConv1DArgs),
  [CUSTOM_LAYER_CLASSES.separableConv1d]: (tf, c) => new (layerloomLayers(tf).SeparableConv1D)(c as DepthwiseConv1DArgs),
  [CUSTOM_LAYER_CLASSES.batchNormalization]: (tf, c) => new (layerloomLayers(tf).BatchNormalization)(c as BatchNormalizationLayerArgs),
  [CUSTOM_LAYER_CLASSES.layerNormalization]: (tf, c) => new (layerloomLayers(tf).LayerNormalization)(c as LayerNormalizationLayerArgs),
  [CUSTOM_LAYER_CLASSES.gru]: (tf, c) => new (layerloomLayers(tf).GRU)(c as GRULayerArgs),
  [CUSTOM_LAYER_CLASSES.subtract]: (tf, c) => new (layerloomLayers(tf).Subtract)(c as ConstructorParameters<ReturnType<typeof layerloomLayers>['Subtract']>[0]),
};

/**
 * Builds the custom layer of a {@link LayerCall} with `custom: true` (`tfjsFactory` is the class
 * name), wrapped in Bidirectional or TimeDistributed when asked.
 */
export function createCustomLayer(tf: TF, call: LayerCall, name: string): Layer {
  const make = Object.prototype.hasOwnProperty.call(CUSTOM_CONSTRUCTORS, call.tfjsFactory) ? CUSTOM_CONSTRUCTORS[call.tfjsFactory] : undefined;
  if (!make) throw new Error(`"${call.tfjsFactory}" is not one of Layerloom's custom layers (${Object.values(CUSTOM_LAYER_CLASSES).join(', ')}).`);
  return wrapped(tf, call, name, (config) => make(tf, config));
}

/**
 * Builds the layer of `call` and applies it to the tensors on the block's ports (port order;
 * `null` for an unconnected optional port), as its call convention says, and returns every tensor
 * it makes (one, or a recurrent layer's output then its final states with `return_state`).
 * Repeated inputs are routed as {@link routeLayerInputs} explains.
 */
export function applyLayerOutputs(tf: TF, convention: CallConvention, call: LayerCall, inputs: readonly (SymbolicTensor | null)[], name: string): SymbolicTensor[] {
  const layer = call.custom ? createCustomLayer(tf, call, name) : createLayer(tf, call, name);
  const routed = routedTensors(tf, routeLayerInputs(inputs, convention === 'query-value-key', name));
  if (routed.length === 0) throw new Error(`Layer "${name}" has no input connected.`);
  let out: SymbolicTensor | SymbolicTensor[];
  if (convention === 'initial-state') {
    // tfjs's RNN and Bidirectional take the starting states as `initialState` (Keras's initial_state).
    const [x, ...states] = routed;
    out = (states.length ? layer.apply(x, { initialState: states }) : layer.apply(x)) as SymbolicTensor | SymbolicTensor[];
  } else {
    // `single`: one tensor; `list`: always the list; attention: one tensor means self-attention.
    const arg = convention === 'list' ? routed : routed.length === 1 ? routed[0] : routed;
    out = layer.apply(arg) as SymbolicTensor | SymbolicTensor[];
  }
  return Array.isArray(out) ? out : [out];
}

/** {@link applyLayerOutputs} for a layer that makes one tensor (its first, `out`, otherwise). */
export function applyLayer(tf: TF, convention: CallConvention, call: LayerCall, inputs: readonly (SymbolicTensor | null)[], name: string): SymbolicTensor {
  return applyLayerOutputs(tf, convention, call, inputs, name)[0];
}

/**
 * Applies one block to its input tensors (port order, `null` for an unconnected optional port),
 * building its layer from the block's layer call for these params and input shapes.
 */
export function applyBlock(
  tf: TF,
  def: BlockDef,
  inputs: readonly (SymbolicTensor | null)[],
  params: Params,
  inputShapes: readonly (Shape | null)[],
  name: string,
): SymbolicTensor {
  if (!def.layerCall) throw new Error(`Block ${def.type} is not a layer.`);
  return applyLayer(tf, def.callConvention, def.layerCall(params, inputShapes), inputs, name);
}

/** Applies identity routing to symbolic tensors (see {@link routeLayerInputs}). */
export function routedTensors(tf: TF, routed: readonly RoutedInput<SymbolicTensor>[]): SymbolicTensor[] {
  return routed.map((r) =>
    r.identityName ? (tf.layers.activation({ activation: 'linear', name: r.identityName }).apply(r.source) as SymbolicTensor) : r.source,
  );
}
