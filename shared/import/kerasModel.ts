/**
 * A Keras model config (what `model.to_json()`, a `.keras` file's `config.json`, an `.h5` file's
 * `model_config` attribute or a tfjs `model.json`'s topology hold) → a Layerloom project document.
 *
 * Reads Sequential and functional models, Keras 3 spelling (`module` / `class_name` /
 * `registered_name`, `DTypePolicy` objects, `__keras_tensor__` references in `inbound_nodes`) and
 * the Keras 2 / tfjs-layers spelling (`[[name, node, tensor, kwargs]]` inbound nodes,
 * `batch_input_shape`). Nested models are flattened, their layers labelled `outer/inner`. A layer
 * called at two places (shared weights) stops the import: Layerloom blocks do not share weights.
 * Every layer Layerloom cannot represent is listed in one {@link KerasImportError}, never dropped.
 */
import { blockTypeWithRole, getBlock } from '../blocks/registry.js';
import { LAYERLOOM_TFJS_CLASSES } from '../blocks/tfjsSpelling.js';
import { analyzeGraph } from '../analysis/analyze.js';
import { DEFAULT_OUTPUT_PORT, type Shape } from '../blocks/types.js';
import { emptyDocument, type ProjectDocument } from '../graph/document.js';
import { addNode, connect as connectNodes, snakeCase, type OutputRef } from '../graph/operations.js';
import { isObject, showValue, type Json, type JsonObject } from './kerasValues.js';
import { dtypeName, mapKerasLayer, type LayerProblem } from './layerMapping.js';
import { layeredPositions } from './layout.js';
import { OPAQUE_LAYER_TYPE, opaqueParams } from '../graph/opaqueLayer.js';

/** One layer that cannot be imported, with each reason. */
export interface UnsupportedLayer {
  /** Layer name (nested models: `outer/inner`). */
  readonly layer: string;
  readonly kerasClass: string;
  readonly problems: readonly LayerProblem[];
}

/** The import stopped: what it is about, and each layer that cannot be represented. */
export class KerasImportError extends Error {
  constructor(
    /** The first line: what stopped the import. */
    readonly summary: string,
    readonly layers: readonly UnsupportedLayer[] = [],
  ) {
    const message = summary;
    super(
      layers.length
        ? `${message}\n${layers
            .map((l) => `  ${l.layer} (${l.kerasClass}): ${l.problems.map((p) => p.reason).join('; ')}`)
            .join('\n')}`
        : message,
    );
    this.name = 'KerasImportError';
  }
}

/** Where one imported layer's weights are, in each file format. */
export interface ImportedLayer {
  readonly nodeId: string;
  /** Layer name in the imported model (nested: `outer/inner`); also the block's label. */
  readonly name: string;
  /** Its name inside its own model (what `.h5` weight names start with). */
  readonly localName: string;
  readonly kerasClass: string;
  /** Path of the layer's weights in a `.keras` file's `model.weights.h5` (`layers/dense_1`). */
  readonly archivePath: string;
  /** Top-level layer group in an `.h5` file's `model_weights` (the outermost model's layer name). */
  readonly h5Group: string;
  /** True for a layer kept as an opaque block (`allowUnsupported`): its weights go into the block, not the compiled model. */
  readonly opaque?: boolean;
}

/** Options of {@link importKerasModel}. */
export interface KerasImportOptions {
  /** Project name (default: the model's name). */
  readonly name?: string;
  /**
   * Keep each layer Layerloom cannot represent (custom class, Lambda, unsupported option) as an
   * opaque block that keeps its config and weights and is reported as an error (LL027), instead of
   * stopping the import. Shared layers and damaged configs still stop it.
   */
  readonly allowUnsupported?: boolean;
}

/** The imported project and where each layer's weights are. */
export interface KerasImport {
  readonly doc: ProjectDocument;
  /** Layers with a block, in the model's layer order. */
  readonly layers: readonly ImportedLayer[];
}

interface TensorRef {
  readonly layer: string;
  readonly tensor: number;
  readonly shape: Shape | null;
}

const MODEL_CLASSES = new Set(['Functional', 'Sequential', 'Model']);

/** Stands for the output of a layer that cannot be imported (already reported). */
const BROKEN = '\u0000broken';
/** The tensor of a `not_equal(ids, 0)` that is an Embedding's padding mask (see {@link paddingMaskOf}). */
const PADDING_MASK = '\u0000padding-mask';

/**
 * True when layer `l` is Keras 3's record of an Embedding's padding mask: `not_equal(ids, 0)` on the
 * tensor an Embedding with `mask_zero=True` of the same model reads.
 */
function paddingMaskOf(l: JsonObject, layers: readonly JsonObject[]): boolean {
  const node: Json = Array.isArray(l.inbound_nodes) && l.inbound_nodes.length === 1 ? (l.inbound_nodes[0] as Json) : null;
  if (!isObject(node) || !Array.isArray(node.args) || node.args.length !== 2 || node.args[1] !== 0) return false;
  const [ids] = keras3Refs(node.args[0] as Json);
  if (!ids) return false;
  return layers.some((other) => {
    if (kerasClassOf(other) !== 'Embedding' || !isObject(other.config) || other.config.mask_zero !== true || !Array.isArray(other.inbound_nodes)) return false;
    const call = other.inbound_nodes.length === 1 ? parseInbound(other.inbound_nodes[0] as Json) : null;
    return call !== null && call.args.length === 1 && call.args[0].layer === ids.layer && call.args[0].tensor === ids.tensor;
  });
}

/**
 * A tensor in a scope: the node id for a block's `out`, `id` + U+0001 + port for another output
 * port (a recurrent layer's final state, Keras tensor index 1, 2, …).
 */
function portRef(id: string, port: string): string {
  return port === DEFAULT_OUTPUT_PORT ? id : `${id}\u0001${port}`;
}

/** The node and output port of a scope tensor (see {@link portRef}). */
function outputOf(ref: string): OutputRef {
  const [node, port] = ref.split('\u0001');
  return { node, port: port ?? DEFAULT_OUTPUT_PORT };
}

/** {@link connectNodes} from a scope tensor (see {@link portRef}). */
function connect(doc: ProjectDocument, from: string, target: string, targetPort: string): { doc: ProjectDocument } {
  return connectNodes(doc, outputOf(from), target, targetPort);
}

/** The tensor of a Masking layer's `not_equal(x, mask_value)`, before its `any(axis=-1)` (see {@link maskingTestOf}). */
const MASKING_TEST = '\u0000masking-test';

/**
 * True when layer `l` is the first half of Keras 3's record of a Masking layer's mask:
 * `not_equal(x, mask_value)` on the tensor a Masking layer with that mask_value of the same model
 * reads (`any(..., axis=-1)` of it is the mask).
 */
function maskingTestOf(l: JsonObject, layers: readonly JsonObject[]): boolean {
  const node: Json = Array.isArray(l.inbound_nodes) && l.inbound_nodes.length === 1 ? (l.inbound_nodes[0] as Json) : null;
  if (!isObject(node) || !Array.isArray(node.args) || node.args.length !== 2 || typeof node.args[1] !== 'number') return false;
  const value = node.args[1];
  const [x] = keras3Refs(node.args[0] as Json);
  if (!x) return false;
  return layers.some((other) => {
    if (kerasClassOf(other) !== 'Masking' || !isObject(other.config) || other.config.mask_value !== value || !Array.isArray(other.inbound_nodes)) return false;
    const call = other.inbound_nodes.length === 1 ? parseInbound(other.inbound_nodes[0] as Json) : null;
    return call !== null && call.args.length === 1 && call.args[0].layer === x.layer && call.args[0].tensor === x.tensor;
  });
}

/** The model config object from any of the JSON shapes that carry one. */
export function modelConfigOf(json: Json, what: string): JsonObject {
  let v: Json = json;
  // tfjs model.json: {modelTopology: {model_config: {...}}} or {modelTopology: {...}}.
  if (isObject(v) && isObject(v.modelTopology)) v = v.modelTopology;
  if (isObject(v) && isObject(v.model_config)) v = v.model_config;
  if (!isObject(v) || typeof v.class_name !== 'string' || !isObject(v.config)) {
    throw new KerasImportError(`${what} holds no Keras model config (expected {"class_name": "Functional" or "Sequential", "config": {...}}).`);
  }
  if (!MODEL_CLASSES.has(v.class_name)) throw new KerasImportError(`${what} holds a ${v.class_name}, not a Keras model (Functional or Sequential).`);
  return v;
}

/** A config value as text (names and classes are strings; anything else is shown as JSON). */
function text(v: Json | undefined): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
}

/** A per-sample shape from a batch shape (`[null, 28, 28, 1]` → `[28, 28, 1]`). */
function sampleShape(batch: Json | undefined): Shape | null {
  if (!Array.isArray(batch) || batch.length < 1) return null;
  const rest = batch.slice(1);
  return rest.every((d) => d === null || typeof d === 'number') ? (rest as Shape) : null;
}

/** Tensor references in a Keras 3 call argument (nested lists allowed), in order. */
function keras3Refs(arg: Json): TensorRef[] {
  if (Array.isArray(arg)) return arg.flatMap(keras3Refs);
  if (isObject(arg) && arg.class_name === '__keras_tensor__' && isObject(arg.config)) {
    const h = arg.config.keras_history;
    if (Array.isArray(h) && typeof h[0] === 'string') return [{ layer: h[0], tensor: typeof h[2] === 'number' ? h[2] : 0, shape: sampleShape(arg.config.shape) }];
  }
  return [];
}

/** One call of a layer: positional tensors, keyword tensors and other keyword arguments. */
interface CallNode {
  readonly args: TensorRef[];
  readonly kwTensors: Record<string, TensorRef>;
  readonly kwargs: Record<string, Json>;
}

function parseInbound(node: Json): CallNode {
  if (isObject(node)) {
    const args = Array.isArray(node.args) ? node.args.flatMap(keras3Refs) : [];
    const kwTensors: Record<string, TensorRef> = {};
    const kwargs: Record<string, Json> = {};
    for (const [k, v] of Object.entries(isObject(node.kwargs) ? node.kwargs : {})) {
      const refs = keras3Refs(v);
      if (refs.length === 1) kwTensors[k] = refs[0];
      else kwargs[k] = v;
    }
    return { args, kwTensors, kwargs };
  }
  // Keras 2 / tfjs: [[name, nodeIndex, tensorIndex, kwargs], ...].
  const args: TensorRef[] = [];
  const kwargs: Record<string, Json> = {};
  if (Array.isArray(node)) {
    for (const e of node) {
      if (Array.isArray(e) && typeof e[0] === 'string') {
        args.push({ layer: e[0], tensor: typeof e[2] === 'number' ? e[2] : 0, shape: null });
        if (isObject(e[3])) Object.assign(kwargs, e[3]);
      }
    }
  }
  return { args, kwTensors: {}, kwargs };
}

/** `[name, 0, 0]` or a list of them → names with tensor indices. */
function endpointList(v: Json | undefined): { layer: string; tensor: number }[] {
  if (!Array.isArray(v)) return [];
  if (typeof v[0] === 'string') return [{ layer: v[0], tensor: typeof v[2] === 'number' ? v[2] : 0 }];
  return (v as readonly Json[]).flatMap((e: Json) => endpointList(e));
}

/** State shared while flattening a model and the models nested in it. */
class Builder {
  doc: ProjectDocument;
  readonly layers: ImportedLayer[] = [];
  readonly unsupported: UnsupportedLayer[] = [];
  readonly usedIds = new Set<string>();

  constructor(
    name: string,
    readonly allowUnsupported: boolean,
  ) {
    this.doc = emptyDocument(name);
  }

  nodeId(name: string): string {
    const base = name.replace(/[^A-Za-z0-9_]+/g, '_') || 'layer';
    let id = base;
    for (let i = 2; this.usedIds.has(id); i++) id = `${base}_${i}`;
    this.usedIds.add(id);
    return id;
  }
}

/** One model being flattened: its layers' outputs as node ids, by `layer#tensor`. */
interface Scope {
  readonly prefix: string;
  readonly archivePath: string;
  readonly h5Group: string | null;
  /** Node id producing each tensor of this model (`name#index`). */
  readonly tensors: Map<string, string>;
}

function label(scope: Scope, name: string): string {
  return scope.prefix ? `${scope.prefix}/${name}` : name;
}

/** Archive names of a model's layers, as Keras's saver names them: snake-case class, numbered per class. */
function archiveNames(layers: readonly JsonObject[]): string[] {
  const used = new Map<string, number>();
  return layers.map((l) => {
    const base = snakeCase(typeof l.class_name === 'string' ? l.class_name : 'layer');
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    return n === undefined ? base : `${base}_${n + 1}`;
  });
}

/**
 * A layer's class name. Keras's legacy .h5 writer stores a registered class as `package>Class`;
 * Layerloom's own classes (`layerloom>PositionEmbedding`) are read as the class.
 */
function kerasClassOf(l: JsonObject): string {
  const cls = text(l.class_name);
  if (cls.startsWith('layerloom>')) return cls.slice('layerloom>'.length);
  // Layerloom's own tfjs classes (a tfjs model saved by Layerloom) stand for the Keras class they implement.
  if (OWN_TFJS_CLASSES.has(cls)) return cls.slice('Layerloom'.length);
  return cls;
}

const OWN_TFJS_CLASSES: ReadonlySet<string> = new Set(Object.values(LAYERLOOM_TFJS_CLASSES));

/**
 * tfjs-layers keeps a few Keras call arguments in the layer config (Layerloom's attention layer
 * stores `use_causal_mask`): moved to the call, where a Keras config has them.
 */
const CONFIG_CALL_ARGS: readonly string[] = ['use_causal_mask'];

function layerName(l: JsonObject): string {
  if (typeof l.name === 'string') return l.name;
  if (isObject(l.config) && typeof l.config.name === 'string') return l.config.name;
  return '';
}

/** A layer config's class, refusing classes registered by other packages (custom code). */
function customClassProblem(l: JsonObject): LayerProblem | null {
  const reg = l.registered_name;
  const cls = kerasClassOf(l);
  if (typeof reg === 'string' && reg !== cls && !reg.startsWith('layerloom>')) {
    return { option: null, reason: `custom class ${reg}: its code is not part of the file, so Layerloom cannot know what it computes` };
  }
  const module = typeof l.module === 'string' ? l.module : null;
  if (text(l.class_name).includes('>') && !text(l.class_name).startsWith('layerloom>')) {
    return { option: null, reason: `custom class ${text(l.class_name)}: its code is not part of the file, so Layerloom cannot know what it computes` };
  }
  if (module && !module.startsWith('keras') && !(typeof reg === 'string' && reg.startsWith('layerloom>'))) {
    return { option: null, reason: `custom class from module ${module}: its code is not part of the file` };
  }
  return null;
}

/**
 * A layer that works on channels-first tensors (`data_format="channels_first"`, or
 * BatchNormalization on axis 1 of an image or sequence): the channels-last config Layerloom's block
 * takes, and the input shapes as that block sees them. Layerloom's blocks are channels last, so the
 * layer is imported between two Permute blocks (to channels last and back), which compute exactly
 * what Keras does: Keras itself transposes around its channels-first kernels on CPU. Null for an
 * ordinary channels-last layer.
 */
function channelsFirstLayer(cls: string, config: JsonObject, shapes: readonly (Shape | null)[]): { config: JsonObject; shapes: Shape[] } | null {
  const input = shapes[0];
  if (shapes.length !== 1 || !input || input.length < 2) return null;
  const axis: Json | undefined = Array.isArray(config.axis) && config.axis.length === 1 ? (config.axis as readonly Json[])[0] : config.axis;
  let last: JsonObject;
  if (config.data_format === 'channels_first') last = { ...config, data_format: 'channels_last' };
  else if (cls === 'BatchNormalization' && (axis === 1 || axis === -input.length)) last = { ...config, axis: -1 };
  else return null;
  return { config: last, shapes: [[...input.slice(1), input[0]]] };
}

/** Keras's Permute `dims` moving the channels (axis 1) last, for a per-sample rank. */
function toChannelsLast(rank: number): number[] {
  return [...Array.from({ length: rank - 1 }, (_, i) => i + 2), 1];
}

/** Keras's Permute `dims` moving the last axis (the channels) back to axis 1. */
function toChannelsFirst(rank: number): number[] {
  return [rank, ...Array.from({ length: rank - 1 }, (_, i) => i + 1)];
}

/**
 * Adds a model's layers to the builder. `inputs` binds the model's input layers to node ids of the
 * outer model (null at the top). Returns the node ids of the model's outputs.
 */
function addModel(b: Builder, model: JsonObject, scope: Scope, inputs: readonly string[] | null): string[] {
  const config = model.config as JsonObject;
  const rawLayers = Array.isArray(config.layers) ? config.layers.filter(isObject) : [];
  const sequential = model.class_name === 'Sequential';
  let layers = rawLayers;
  // A Sequential model without an InputLayer records its input shape on the first layer or in build_input_shape.
  if (sequential && (layers.length === 0 || layers[0].class_name !== 'InputLayer')) {
    const first = layers[0];
    const batch =
      (isObject(first?.config) ? first.config.batch_input_shape ?? first.config.batch_shape : undefined) ?? config.build_input_shape ?? (isObject(model.build_config) ? model.build_config.input_shape : undefined);
    if (inputs === null) {
      if (!Array.isArray(batch)) throw new KerasImportError(`Sequential model "${text(config.name)}" does not record its input shape. Save it after building it (call it once, or start it with keras.Input).`);
      layers = [{ class_name: 'InputLayer', config: { name: 'input_layer', batch_shape: batch, dtype: isObject(first?.config) ? dtypeName(first.config.dtype) ?? 'float32' : 'float32' } }, ...layers];
    } else {
      layers = [{ class_name: 'InputLayer', config: { name: `${text(config.name)}_input` } }, ...layers];
    }
  }
  // Sequential models save their layers without the InputLayer.
  const saved = sequential ? layers.filter((l) => l.class_name !== 'InputLayer') : layers;
  const savedNames = archiveNames(saved);
  const archiveOf = new Map<JsonObject, string>(saved.map((l, i) => [l, `${scope.archivePath}/layers/${savedNames[i]}`]));
  // Keras 3 records the shape of each tensor a layer is called on: what an opaque layer makes.
  const recordedShapes = new Map<string, Shape>();
  for (const l of layers) {
    for (const node of sequential || !Array.isArray(l.inbound_nodes) ? [] : l.inbound_nodes) {
      const call = parseInbound(node as Json);
      for (const r of [...call.args, ...Object.values(call.kwTensors)]) if (r.shape) recordedShapes.set(`${r.layer}#${r.tensor}`, r.shape);
    }
  }
  let previous: string | null = null;
  let inputIndex = 0;
  for (const l of layers) {
    const name = layerName(l);
    let cls = kerasClassOf(l);
    let lconf: JsonObject = isObject(l.config) ? l.config : {};
    const inbound = sequential ? [] : Array.isArray(l.inbound_nodes) ? l.inbound_nodes : [];
    if (inbound.length > 1) {
      b.unsupported.push({ layer: label(scope, name), kerasClass: cls, problems: [{ option: null, reason: `the layer is called at ${inbound.length} places (shared weights); Layerloom blocks do not share weights. Give each call its own layer.` }] });
      inbound.forEach((_, i) => scope.tensors.set(`${name}#${i}`, BROKEN));
      previous = BROKEN;
      continue;
    }
    const call = inbound.length ? parseInbound(inbound[0] as Json) : { args: [], kwTensors: {}, kwargs: {} };
    const source = (r: { layer: string; tensor: number }): string | undefined => scope.tensors.get(`${r.layer}#${r.tensor}`);
    // Keras 3 records an Embedding's padding mask as `not_equal(ids, 0)` passed to the layers that
    // take it (`lstm(x, mask=...)`); the graph derives the same mask from the Embedding's mask_zero.
    if (cls === 'NotEqual' && paddingMaskOf(l, layers)) {
      scope.tensors.set(`${name}#0`, PADDING_MASK);
      continue;
    }
    // A Masking layer's mask is recorded as `any(not_equal(x, mask_value), axis=-1)`; the graph
    // derives it from the Masking block.
    if (cls === 'NotEqual' && maskingTestOf(l, layers)) {
      scope.tensors.set(`${name}#0`, MASKING_TEST);
      continue;
    }
    if (cls === 'Any' && call.args.length === 1 && source(call.args[0]) === MASKING_TEST && lconf.axis === -1 && lconf.keepdims === false) {
      scope.tensors.set(`${name}#0`, PADDING_MASK);
      continue;
    }
    const maskRef = call.kwTensors.mask as TensorRef | undefined;
    let kwTensors = maskRef && source(maskRef) === PADDING_MASK ? Object.fromEntries(Object.entries(call.kwTensors).filter(([k]) => k !== 'mask')) : call.kwTensors;
    // A recurrent layer's `initial_state=[h, c]` (Keras 3 records it as a keyword): its states come
    // right after the sequence, as the block's ports do. Keras 2 and tfjs list them as inputs already.
    const stateRefs = call.kwTensors.initial_state ? [call.kwTensors.initial_state] : keras3Refs(call.kwargs.initial_state ?? null);
    kwTensors = Object.fromEntries(Object.entries(kwTensors).filter(([k]) => k !== 'initial_state'));
    const refs = [...call.args, ...stateRefs, ...Object.values(kwTensors)];
    if (cls === 'InputLayer') {
      if (inputs !== null) {
        const bound = inputs[inputIndex++];
        if (bound) scope.tensors.set(`${name}#0`, bound);
        previous = bound ?? null;
        continue;
      }
      const shape = sampleShape(lconf.batch_shape ?? lconf.batch_input_shape);
      const dtype = dtypeName(lconf.dtype) ?? 'float32';
      if (!shape) {
        b.unsupported.push({ layer: name, kerasClass: cls, problems: [{ option: 'batch_shape', reason: `batch_shape=${showValue(lconf.batch_shape)} is not a shape` }] });
        scope.tensors.set(`${name}#0`, BROKEN);
        continue;
      }
      if (dtype !== 'float32' && dtype !== 'int32') {
        b.unsupported.push({ layer: name, kerasClass: cls, problems: [{ option: 'dtype', reason: `dtype=${dtype}: inputs are float32 or int32 (token ids)` }] });
        scope.tensors.set(`${name}#0`, BROKEN);
        continue;
      }
      const id = b.nodeId(name);
      b.doc = addNode(b.doc, blockTypeWithRole('input'), { x: 0, y: 0 }, { id, label: label(scope, name), params: { shape: [...shape], dtype } }).doc;
      scope.tensors.set(`${name}#0`, id);
      previous = id;
      continue;
    }
    const sources = sequential ? [previous ?? BROKEN] : refs.map(source);
    if (sources.some((s) => s === undefined)) {
      throw new KerasImportError(`Layer "${label(scope, name)}" reads a tensor no earlier layer makes (${refs.map((r) => r.layer).join(', ')}). The model config is damaged.`);
    }
    const inputIds = sources as string[];
    // A layer fed by one that cannot be imported is still checked, so the report lists every layer.
    const broken = inputIds.includes(BROKEN);
    if (MODEL_CLASSES.has(cls)) {
      const outs = addModel(
        b,
        l,
        { prefix: label(scope, name), archivePath: archiveOf.get(l) ?? `${scope.archivePath}/layers/${snakeCase(cls)}`, h5Group: scope.h5Group ?? name, tensors: new Map() },
        inputIds,
      );
      outs.forEach((o, i) => scope.tensors.set(`${name}#${i}`, o));
      previous = outs[0] ?? null;
      continue;
    }
    const custom = customClassProblem(l);
    let kwargs = stateRefs.length ? Object.fromEntries(Object.entries(call.kwargs).filter(([k]) => k !== 'initial_state')) : call.kwargs;
    if (OWN_TFJS_CLASSES.has(text(l.class_name))) {
      const moved = Object.fromEntries(CONFIG_CALL_ARGS.filter((k) => lconf[k] === true).map((k) => [k, true]));
      kwargs = { ...kwargs, ...moved };
      lconf = Object.fromEntries(Object.entries(lconf).filter(([k]) => !CONFIG_CALL_ARGS.includes(k)));
    }
    // Keras 3 records each input's shape in the call; older configs do not, so they come from the graph so far.
    let shapes: (Shape | null)[] = sequential ? [null] : refs.map((r) => r.shape);
    if (!broken && shapes.some((s) => s === null)) {
      const analysis = analyzeGraph(b.doc);
      shapes = inputIds.map((ref) => {
        const { node, port } = outputOf(ref);
        return analysis.nodes.get(node)?.outputShapes.get(port) ?? null;
      });
    }
    // Layerloom's own global pooling layer (a tfjs model saved by Layerloom) names its reduction;
    // the Keras class follows from it and the input's rank.
    if (cls === 'GlobalPooling' && shapes[0] && shapes[0].length >= 2 && shapes[0].length <= 4) {
      cls = `Global${lconf.reduction === 'max' ? 'Max' : 'Average'}Pooling${shapes[0].length - 1}D`;
      lconf = Object.fromEntries(Object.entries(lconf).filter(([k]) => k !== 'reduction'));
    }
    if (inputIds.includes(PADDING_MASK) || inputIds.includes(MASKING_TEST)) {
      b.unsupported.push({ layer: label(scope, name), kerasClass: cls, problems: [{ option: null, reason: 'computes with a padding mask (of an Embedding or a Masking layer) as a tensor; Layerloom passes the mask only as Keras does on its own' }] });
      scope.tensors.set(`${name}#0`, BROKEN);
      previous = BROKEN;
      continue;
    }
    const channelsFirst = custom || broken ? null : channelsFirstLayer(cls, lconf, shapes);
    const mapped = custom
      ? [custom]
      : mapKerasLayer(cls, channelsFirst?.config ?? lconf, { inputCount: inputIds.length, inputShapes: channelsFirst?.shapes ?? shapes, callKwargs: kwargs });
    if (Array.isArray(mapped) && b.allowUnsupported && !broken) {
      const id = b.nodeId(label(scope, name));
      const reg = l.registered_name;
      const { inbound_nodes: _wiring, ...entry } = l;
      // Not a catalog block (addNode would refuse it): a node that holds the layer as it was.
      const node = {
        id,
        type: OPAQUE_LAYER_TYPE,
        label: label(scope, name),
        position: { x: 0, y: 0 },
        params: opaqueParams({
          kerasClass: typeof reg === 'string' && reg.includes('>') ? reg : cls,
          entry,
          reason: mapped.map((p) => (p.option ? `${p.option}: ${p.reason}` : p.reason)).join('; '),
          inputs: Math.max(1, inputIds.length),
          outputShape: sequential ? null : recordedShapes.get(`${name}#0`) ?? null,
          trainable: lconf.trainable !== false,
          weights: [],
        }),
      };
      b.doc = { ...b.doc, nodes: [...b.doc.nodes, node] };
      inputIds.forEach((src, i) => {
        b.doc = connect(b.doc, src, id, inputIds.length === 1 ? 'in' : `in${i}`).doc;
      });
      scope.tensors.set(`${name}#0`, id);
      previous = id;
      b.layers.push({ nodeId: id, name: label(scope, name), localName: name, kerasClass: cls, archivePath: archiveOf.get(l) ?? '', h5Group: scope.h5Group ?? name, opaque: true });
      continue;
    }
    if (Array.isArray(mapped)) {
      b.unsupported.push({ layer: label(scope, name), kerasClass: cls, problems: mapped });
      scope.tensors.set(`${name}#0`, BROKEN);
      previous = BROKEN;
      continue;
    }
    if (broken) {
      scope.tensors.set(`${name}#0`, BROKEN);
      previous = BROKEN;
      continue;
    }
    const def = getBlock(mapped.type);
    if (!def) throw new Error(`Block ${mapped.type} vanished from the catalog.`);
    // A recurrent layer called with starting states takes them on its initial-state ports.
    if (def.callConvention === 'initial-state' && inputIds.length > 1) mapped.params.initial_state = true;
    if (channelsFirst) {
      // Permute → channels-last block → Permute back (unless the block's output has no channel axis left).
      const rank = channelsFirst.shapes[0].length;
      const before = b.nodeId(label(scope, `${name}_to_channels_last`));
      b.doc = addNode(b.doc, 'Permute', { x: 0, y: 0 }, { id: before, label: label(scope, `${name}_to_channels_last`), params: { dims: toChannelsLast(rank) } }).doc;
      b.doc = connect(b.doc, inputIds[0], before, 'in').doc;
      const id = b.nodeId(label(scope, name));
      b.doc = addNode(b.doc, mapped.type, { x: 0, y: 0 }, { id, label: label(scope, name), params: mapped.params }).doc;
      b.doc = connect(b.doc, before, id, def.ports(mapped.params)[0]?.name ?? 'in').doc;
      const out = def.inferShape(channelsFirst.shapes, mapped.params).shape;
      let result = id;
      if (out && out.length >= 2) {
        result = b.nodeId(label(scope, `${name}_to_channels_first`));
        b.doc = addNode(b.doc, 'Permute', { x: 0, y: 0 }, { id: result, label: label(scope, `${name}_to_channels_first`), params: { dims: toChannelsFirst(out.length) } }).doc;
        b.doc = connect(b.doc, id, result, 'in').doc;
      }
      scope.tensors.set(`${name}#0`, result);
      previous = result;
      b.layers.push({ nodeId: id, name: label(scope, name), localName: name, kerasClass: cls, archivePath: archiveOf.get(l) ?? '', h5Group: scope.h5Group ?? name });
      continue;
    }
    const id = b.nodeId(label(scope, name));
    b.doc = addNode(b.doc, mapped.type, { x: 0, y: 0 }, { id, label: label(scope, name), params: mapped.params }).doc;
    // Ports: attention takes (query, value, key=...); other blocks take their tensors in port order.
    const ports = def.ports(mapped.params).map((p) => p.name);
    const wiring: [string, string][] =
      def.callConvention === 'query-value-key'
        ? ([
            ['query', sources[0]],
            ['value', sources[1] ?? sources[0]],
            ...(call.kwTensors.key ? ([['key', source(call.kwTensors.key) as string]] as [string, string][]) : []),
          ] as [string, string][])
        : inputIds.map((s, i): [string, string] => [ports[i] ?? `in${i}`, s]);
    if (def.callConvention !== 'query-value-key' && inputIds.length > ports.length) {
      b.unsupported.push({ layer: label(scope, name), kerasClass: cls, problems: [{ option: null, reason: `called on ${inputIds.length} tensors; the block takes ${ports.length}` }] });
      scope.tensors.set(`${name}#0`, BROKEN);
      continue;
    }
    for (const [port, src] of wiring) b.doc = connect(b.doc, src, id, port).doc;
    // Keras's tensor index i is the block's i-th output port (a recurrent layer's final states after its output).
    def.outputs(mapped.params).forEach((p, i) => scope.tensors.set(`${name}#${i}`, portRef(id, p.name)));
    previous = id;
    b.layers.push({ nodeId: id, name: label(scope, name), localName: name, kerasClass: cls, archivePath: archiveOf.get(l) ?? '', h5Group: scope.h5Group ?? name });
  }
  if (sequential) return previous ? [previous] : [];
  return endpointList(config.output_layers).map((e) => {
    const id = scope.tensors.get(`${e.layer}#${e.tensor}`);
    if (!id) {
      if (b.unsupported.length) return '';
      throw new KerasImportError(`The model's output "${e.layer}" is not one of its layers. The model config is damaged.`);
    }
    return id;
  });
}

/**
 * Imports a Keras model config as a project document, laid out top-down. Throws
 * {@link KerasImportError} listing every layer that cannot be represented (each with its class and
 * the options at fault), or naming what is damaged.
 */
export function importKerasModel(modelConfig: JsonObject, options: KerasImportOptions = {}): KerasImport {
  const config = modelConfig.config as JsonObject;
  const modelName = options.name ?? (typeof config.name === 'string' ? config.name : 'imported');
  const b = new Builder(modelName, options.allowUnsupported === true);
  const outputs = addModel(b, modelConfig, { prefix: '', archivePath: '', h5Group: null, tensors: new Map() }, null);
  if (b.unsupported.length) {
    throw new KerasImportError(
      `${b.unsupported.length} layer(s) cannot be represented in Layerloom, so nothing was imported (nothing is dropped or approximated). ` +
        (b.allowUnsupported
          ? 'These cannot be kept as opaque blocks either:'
          : 'To keep each as an opaque block that holds its config and weights (shown as an error until you replace it), import with --allow-unsupported (the app: Keep unsupported layers):'),
      b.unsupported,
    );
  }
  const outputType = blockTypeWithRole('output');
  const layerNames = new Map(b.doc.nodes.map((n) => [n.id, n.label]));
  for (const src of outputs) {
    const { node, port } = outputOf(src);
    const name = `${layerNames.get(node) ?? 'output'}${port === DEFAULT_OUTPUT_PORT ? '' : `_${port}`}`;
    const id = b.nodeId(`${name}_output`);
    b.doc = addNode(b.doc, outputType, { x: 0, y: 0 }, { id, label: name }).doc;
    b.doc = connect(b.doc, src, id, 'in').doc;
  }
  const positions = layeredPositions(b.doc);
  const doc = { ...b.doc, nodes: b.doc.nodes.map((n) => ({ ...n, position: positions.get(n.id) ?? n.position })) };
  return { doc, layers: b.layers.map((l) => ({ ...l, archivePath: l.archivePath.replace(/^\//, '') })) };
}
