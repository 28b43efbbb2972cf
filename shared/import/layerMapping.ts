/**
 * One Keras layer config → one Layerloom block, by running the block specs' Keras printer backwards.
 * Nothing here lists blocks: the candidates for a Keras class are the blocks whose `keras()` prints
 * that class for some setting of their enum/bool params, their params are read from the config by
 * name (params are named as Keras names them), and the result is accepted only when printing it
 * again gives the config back — every printed argument equal, every other config key at its Keras
 * default. So a new block is importable the moment its spec exists, and a layer Layerloom would
 * build differently is reported, never approximated.
 *
 * The only tables are facts about Keras configs: keys that are harmless at their default
 * ({@link HARMLESS_DEFAULTS}) and values Keras resolves before writing them ({@link CANONICAL}).
 */
import { BLOCKS } from '../blocks/registry.js';
import { checkParamValue, defaultParams } from '../blocks/paramUtils.js';
import type { BlockDef, KerasCall, ParamSpec, ParamValue, Params, Shape } from '../blocks/types.js';
import { KERAS_DEFAULTS } from '../codegen/defaults.js';
import { canonicalString, isObject, regularizerFactors, sameKerasValue, showValue, type Json, type JsonObject } from './kerasValues.js';

/** One reason a layer cannot be imported: the option (config key), and why. */
export interface LayerProblem {
  /** Config key, e.g. `kernel_regularizer`; null when the layer as a whole is the problem (a custom class). */
  readonly option: string | null;
  readonly reason: string;
}

/** A layer mapped to a block. */
export interface MappedLayer {
  readonly type: string;
  readonly params: Record<string, ParamValue>;
}

/** What a layer is called with, besides its tensors. */
export interface LayerCallSite {
  /** How many tensors it is applied to (merge blocks' `num_inputs`). */
  readonly inputCount: number;
  /** Per-sample shapes of those tensors where the config records them (Keras 3), else null. */
  readonly inputShapes: readonly (Shape | null)[];
  /** Non-tensor keyword arguments of the call (`use_causal_mask=True`). */
  readonly callKwargs: JsonObject;
}

/**
 * Config keys Keras writes for options Layerloom has no parameter for, with the value at which they
 * change nothing. Any other value is reported as an unsupported option.
 */
const HARMLESS_DEFAULTS: Readonly<Record<string, Json>> = {
  kernel_regularizer: null,
  bias_regularizer: null,
  activity_regularizer: null,
  recurrent_regularizer: null,
  embeddings_regularizer: null,
  depthwise_regularizer: null,
  pointwise_regularizer: null,
  beta_regularizer: null,
  gamma_regularizer: null,
  kernel_constraint: null,
  bias_constraint: null,
  recurrent_constraint: null,
  embeddings_constraint: null,
  depthwise_constraint: null,
  pointwise_constraint: null,
  beta_constraint: null,
  gamma_constraint: null,
  alpha_regularizer: null,
  alpha_constraint: null,
  seed: null,
  noise_shape: null,
  // Preprocessing layers (Resizing, Normalization): the options that change nothing at these values;
  // Normalization's mean/variance are null when adapted, the statistics then travel as its weights.
  crop_to_aspect_ratio: false,
  pad_to_aspect_ratio: false,
  fill_mode: 'constant',
  fill_value: 0,
  antialias: false,
  invert: false,
  mean: null,
  variance: null,
  quantization_config: null,
  lora_rank: null,
  lora_alpha: null,
  data_format: 'channels_last',
  return_state: false,
  stateful: false,
  unroll: false,
  use_gate: false,
  sliding_window: null,
  output_shape: null,
  synchronized: false,
  rms_scaling: false,
  sparse: false,
  ragged: false,
  use_cudnn: 'auto',
  flash_attention: null,
  renorm: false,
  renorm_clipping: null,
  renorm_momentum: 0.99,
  input_dim: null,
  input_length: null,
  // Only matters for masked sequences, and a mask needs `mask_zero`, which is checked on its own.
  zero_output_for_mask: null,
  // Keras 2 / tfjs configs.
  time_major: false,
  implementation: null,
};

/** Blocks that compute differently in training without being random (batch statistics). */
const TRAINING_DEPENDENT: ReadonlySet<string> = new Set(['BatchNormalization']);

/** Keys whose value does not matter once the others match (masks are not part of Layerloom's graphs). */
const IRRELEVANT = new Set(['name', 'dtype', 'trainable', 'zero_output_for_mask', 'implementation', 'batch_input_shape', 'build_config']);

/**
 * Values Keras resolves before writing its config, put back to what the block prints: a pooling
 * layer's `strides=None` is written as the pool size; MultiHeadAttention's `value_dim=None` as the
 * key size and `attention_axes=None` as the axes between batch and features.
 */
const CANONICAL: Readonly<Record<string, (config: JsonObject, site: LayerCallSite) => JsonObject>> = {
  ...Object.fromEntries(
    ['MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D'].map((c) => [
      c,
      (config: JsonObject) => (JSON.stringify(config.strides) === JSON.stringify(config.pool_size) ? { ...config, strides: null } : config),
    ]),
  ),
  // tfjs-layers writes the normalized axis counted from the front ([2] for the last axis of a sequence).
  LayerNormalization: (config, site) => {
    const input = site.inputShapes[0];
    const axis: Json | undefined = Array.isArray(config.axis) && config.axis.length === 1 ? (config.axis as readonly Json[])[0] : config.axis;
    return input && axis === input.length ? { ...config, axis: -1 } : config;
  },
  // keras.applications write the channel axis counted from the front (axis=3 on images).
  BatchNormalization: (config, site) => {
    const input = site.inputShapes[0];
    const axis: Json | undefined = Array.isArray(config.axis) && config.axis.length === 1 ? (config.axis as readonly Json[])[0] : config.axis;
    return input && axis === input.length ? { ...config, axis: -1 } : config;
  },
  // tfjs-layers writes mask_zero=null for Keras's False.
  Embedding: (config) => (config.mask_zero === null ? { ...config, mask_zero: false } : config),
  MultiHeadAttention: (config, site) => {
    let out = config;
    if (config.value_dim === config.key_dim) out = { ...out, value_dim: null };
    const query = site.inputShapes[0];
    const axes = query ? Array.from({ length: query.length - 1 }, (_, i) => i + 1) : null;
    if (config.attention_axes === null || (axes && JSON.stringify(config.attention_axes) === JSON.stringify(axes))) {
      const rest: Record<string, Json> = { ...out };
      delete rest.attention_axes;
      out = rest;
    }
    return out;
  },
};

interface Seeded {
  readonly def: BlockDef;
  readonly seed: Params;
}

let byClass: Map<string, Seeded[]> | null = null;

/** The param settings worth trying as a starting point: defaults, each enum option, each bool flipped. */
function seedsOf(def: BlockDef): Params[] {
  const base = defaultParams(def.params);
  const seeds: Params[] = [base];
  for (const p of def.params) {
    if (p.kind === 'enum') for (const o of p.options ?? []) if (o !== p.default) seeds.push({ ...base, [p.name]: o });
    if (p.kind === 'bool') seeds.push({ ...base, [p.name]: !p.default });
  }
  return seeds;
}

function printed(def: BlockDef, params: Params, shapes: readonly (Shape | null)[]): KerasCall | null {
  try {
    return def.keras ? def.keras(params, shapes) : null;
  } catch {
    return null;
  }
}

/** Blocks (with a seed) that print each Keras class; `Bidirectional(X)` is listed under `X`. */
function candidatesByClass(): Map<string, Seeded[]> {
  if (byClass) return byClass;
  const map = new Map<string, Seeded[]>();
  for (const def of BLOCKS) {
    for (const seed of seedsOf(def)) {
      const call = printed(def, seed, []);
      if (!call) continue;
      const list = map.get(call.kerasClass) ?? [];
      if (!list.some((s) => s.def === def && sameParams(s.seed, seed))) list.push({ def, seed });
      map.set(call.kerasClass, list);
    }
  }
  byClass = map;
  return map;
}

function sameParams(a: Params, b: Params): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A param value from a config value, in the param's kind; undefined when it does not fit. */
function paramFromConfig(spec: ParamSpec, value: Json): ParamValue | undefined {
  switch (spec.kind) {
    case 'int':
    case 'float':
      if (typeof value === 'number') return value;
      if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'number') return value[0];
      return value === null ? null : undefined;
    case 'bool':
      return typeof value === 'boolean' ? value : undefined;
    case 'enum':
    case 'string':
      // Keras writes `silu` for swish too (one function): kept where the block offers it.
      if (typeof value === 'string') return spec.options?.includes(value) ? value : canonicalString(value);
      if (value === null) return 'linear';
      return undefined;
    case 'ints':
    case 'shape':
      if (Array.isArray(value) && value.every((d) => typeof d === 'number' || d === null)) return value as readonly (number | null)[];
      // Keras writes per-axis pairs (`((top, bottom), (left, right))`) where a block stores one flat tuple.
      if (Array.isArray(value) && value.every((d) => Array.isArray(d) && d.every((x) => typeof x === 'number'))) {
        const flat = (value as readonly (readonly number[])[]).flat();
        return spec.length === undefined || flat.length === spec.length ? flat : undefined;
      }
      // A list of any length written as one number (LayerNormalization's `axis=-1`) is that list.
      if (typeof value === 'number') return spec.kind === 'ints' && spec.length === undefined ? [value] : value;
      return value === null ? null : undefined;
    default:
      return undefined;
  }
}

/** Params for `def` read from a config, on top of `seed`; initializer objects are read by the printer comparison. */
function readParams(def: BlockDef, seed: Params, config: JsonObject): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = { ...seed };
  for (const spec of def.params) {
    if (!(spec.name in config)) continue;
    const raw = config[spec.name];
    let v = paramFromConfig(spec, raw);
    // Initializers are objects in a config: take the short name the printer compares against.
    if (v === undefined && spec.kind === 'enum' && isObject(raw)) {
      const hit = (spec.options ?? []).find((o) => sameKerasValue(o, raw));
      v = hit;
    }
    if (v !== undefined) params[spec.name] = v;
  }
  // `kernel_regularizer=L2(0.01)` → the block's factors `kernel_l1`, `kernel_l2` (the printer
  // comparison then checks that printing them gives the same penalty back).
  for (const [key, raw] of Object.entries(config)) {
    const weight = /^(.*)_regularizer$/.exec(key)?.[1];
    const factors = weight ? regularizerFactors(raw) : null;
    if (!weight || !factors || !def.params.some((p) => p.name === `${weight}_l1`)) continue;
    params[`${weight}_l1`] = shortFloat32(factors.l1);
    params[`${weight}_l2`] = shortFloat32(factors.l2);
  }
  // `kernel_constraint=MaxNorm(2, axis=0)` → `kernel_constraint` "max_norm" and its numbers (the
  // printer comparison then checks that printing them gives the same constraint back).
  for (const [key, raw] of Object.entries(config)) {
    const weight = /^(.*)_constraint$/.exec(key)?.[1];
    if (!weight || !def.params.some((p) => p.name === key)) continue;
    // No constraint (the generic reading takes null for "linear", the activations' None).
    params[key] = 'none';
    const read = constraintSettings(raw);
    if (!read) continue;
    params[key] = read.kind;
    if (read.maxValue !== undefined) params[`${key}_max_value`] = shortFloat32(read.maxValue);
    if (read.minValue !== undefined) params[`${key}_min_value`] = shortFloat32(read.minValue);
    if (read.rate !== undefined) params[`${key}_rate`] = shortFloat32(read.rate);
    if (read.axis !== undefined && def.params.some((p) => p.name === `${key}_axis`)) params[`${key}_axis`] = read.axis;
  }
  return params;
}

/** Keras's constraint classes and their snake-case aliases → the block's constraint kind. */
const CONSTRAINT_KIND: Readonly<Record<string, string>> = {
  MaxNorm: 'max_norm',
  max_norm: 'max_norm',
  NonNeg: 'non_neg',
  non_neg: 'non_neg',
  UnitNorm: 'unit_norm',
  unit_norm: 'unit_norm',
  MinMaxNorm: 'min_max_norm',
  min_max_norm: 'min_max_norm',
};

/** A Keras MaxNorm, NonNeg, UnitNorm or MinMaxNorm config as the block's settings; null for another constraint. */
function constraintSettings(v: Json | undefined): { kind: string; maxValue?: number; minValue?: number; rate?: number; axis?: number[] } | null {
  if (!isObject(v) || typeof v.class_name !== 'string') return null;
  const kind = CONSTRAINT_KIND[v.class_name];
  if (!kind) return null;
  const config = isObject(v.config) ? v.config : {};
  const n = (k: string): number | undefined => (typeof config[k] === 'number' ? config[k] : undefined);
  const rawAxis = config.axis;
  const axis = typeof rawAxis === 'number' ? [rawAxis] : Array.isArray(rawAxis) && rawAxis.every((a) => typeof a === 'number') ? rawAxis : undefined;
  return { kind, maxValue: n('max_value'), minValue: n('min_value'), rate: n('rate'), axis };
}

/**
 * The shortest decimal with the same float32 value: Keras stores L1's factor as float32 and writes
 * 0.01 as 0.009999999776482582; the block (and the exported code) shows 0.01.
 */
function shortFloat32(x: number): number {
  const short = Number(x.toPrecision(7));
  return Math.fround(short) === Math.fround(x) ? short : x;
}

/** Everything that keeps `params` from being exactly this config; empty when they are. */
function differences(def: BlockDef, params: Params, kerasClass: string, config: JsonObject, site: LayerCallSite, wrapper: JsonObject | null, timeDistributed: boolean): LayerProblem[] {
  const problems: LayerProblem[] = [];
  for (const spec of def.params) {
    const why = checkParamValue(spec, params[spec.name]);
    if (why) problems.push({ option: spec.name, reason: `${spec.name}=${showValue(config[spec.name] ?? params[spec.name])}: Layerloom's ${def.type} takes ${why.replace(/^expected /, '').replace(/, got .*$/, '')}` });
  }
  const call = printed(def, params, site.inputShapes);
  if (!call || call.kerasClass !== kerasClass) return [...problems, { option: null, reason: `these settings make a ${call?.kerasClass ?? 'different layer'}, not ${kerasClass}` }];
  if (Boolean(call.bidirectional) !== Boolean(wrapper)) return [...problems, { option: null, reason: wrapper ? `Layerloom's ${def.type} cannot be wrapped in Bidirectional` : 'not bidirectional' }];
  if (Boolean(call.timeDistributed) !== timeDistributed) {
    return [...problems, { option: null, reason: timeDistributed ? `Layerloom's ${def.type} cannot be wrapped in TimeDistributed (Dense, Conv1D/2D, 1-D/2-D pooling and Flatten can)` : 'not time distributed' }];
  }
  if (call.bidirectional && wrapper && call.bidirectional.mergeMode !== wrapper.merge_mode) {
    problems.push({ option: 'merge_mode', reason: `merge_mode=${showValue(wrapper.merge_mode)} is not supported` });
  }
  const defaults = KERAS_DEFAULTS[kerasClass] ?? {};
  const seen = new Set<string>(IRRELEVANT);
  for (const [name, value] of call.kerasArgs) {
    seen.add(name);
    const written = name in config ? config[name] : undefined;
    if (written === undefined) {
      if (name in defaults && sameKerasValue(value, toJson(defaults[name]))) continue;
      problems.push({ option: name, reason: `${name} is missing from the config` });
    } else if (!sameKerasValue(value, written)) {
      problems.push({ option: name, reason: `${name}=${showValue(written)} is not supported by Layerloom's ${def.type}` });
    }
  }
  for (const [name, value] of Object.entries(config)) {
    if (seen.has(name)) continue;
    if (name in HARMLESS_DEFAULTS) {
      const harmless = HARMLESS_DEFAULTS[name];
      if (harmless === null ? value === null || value === undefined : JSON.stringify(harmless) === JSON.stringify(value)) continue;
    }
    if (name in defaults && sameKerasValue(defaults[name], value)) continue;
    problems.push({ option: name, reason: `${name}=${showValue(value)} is not supported` });
  }
  // Call arguments: the ones the block prints must match, any other is unsupported.
  const callArgs = new Map((call.callArgs ?? []).map(([k, v]) => [k, v]));
  for (const [k, v] of Object.entries(site.callKwargs)) {
    // A `training` flag on the call only matters for layers that act randomly while training.
    if (k === 'training' && !(def.randomInTraining?.(params) ?? false)) continue;
    const mine = callArgs.get(k);
    if (mine !== undefined ? sameKerasValue(mine, v) : v === false || v === null) continue;
    // Keras records `training` on some calls (its preprocessing layers, e.g. Resizing); it changes
    // nothing on a layer that computes the same in training and prediction.
    if (k === 'training' && mine === undefined && !(def.randomInTraining?.(params) ?? false) && !TRAINING_DEPENDENT.has(def.type)) continue;
    problems.push({ option: k, reason: `called with ${k}=${showValue(v)}, which Layerloom's ${def.type} does not support` });
  }
  for (const [k] of callArgs) if (!(k in site.callKwargs)) problems.push({ option: k, reason: `${k} is not set in the call` });
  // Layer-level settings Keras writes on every layer.
  if (config.trainable === false && !def.params.some((p) => p.name === 'trainable')) problems.push({ option: 'trainable', reason: 'trainable=false (frozen) is not supported' });
  const dtype = dtypeName(config.dtype);
  if (dtype !== null && dtype !== 'float32') problems.push({ option: 'dtype', reason: `dtype=${showValue(dtype)}: Layerloom computes in float32` });
  return problems;
}

function toJson(arg: import('../blocks/types.js').KerasArg): Json {
  if (arg !== null && typeof arg === 'object') {
    if ('tuple' in arg) return arg.tuple.map(toJson);
    if ('module' in arg) return { class_name: arg.className, config: Object.fromEntries(arg.args.map(([k, v]) => [k, toJson(v)])) };
    return arg.raw;
  }
  return arg;
}

/** The dtype of a config's `dtype` (a string, or Keras 3's `DTypePolicy` object), or null. */
export function dtypeName(v: Json | undefined): string | null {
  if (typeof v === 'string') return v;
  if (isObject(v) && isObject(v.config) && typeof v.config.name === 'string') return v.config.name;
  return null;
}

/**
 * The block for one Keras layer, or the problems that keep every candidate block from being it
 * (those of the closest candidate). `className` is the layer's class; a `Bidirectional` config is
 * read as its inner layer with the wrapper's merge mode, a `TimeDistributed` one as its inner layer
 * with the block's `time_distributed` option on.
 */
export function mapKerasLayer(className: string, rawConfig: JsonObject, site: LayerCallSite): MappedLayer | LayerProblem[] {
  let kerasClass = className;
  let config = rawConfig;
  let wrapper: JsonObject | null = null;
  const wrapperProblems: LayerProblem[] = [];
  const timeDistributed = className === 'TimeDistributed';
  if (timeDistributed) {
    const inner = rawConfig.layer;
    if (!isObject(inner) || typeof inner.class_name !== 'string' || !isObject(inner.config)) return [{ option: 'layer', reason: 'the TimeDistributed wrapper has no inner layer config' }];
    kerasClass = inner.class_name;
    config = inner.config;
    if (kerasClass === 'Bidirectional' || kerasClass === 'TimeDistributed') return [{ option: 'layer', reason: `TimeDistributed around ${kerasClass} is not supported` }];
    for (const [k, v] of Object.entries(rawConfig)) {
      if (['name', 'trainable', 'dtype', 'layer'].includes(k)) continue;
      wrapperProblems.push({ option: k, reason: `TimeDistributed ${k}=${showValue(v)} is not supported` });
    }
    if (rawConfig.trainable === false) config = { ...config, trainable: false };
  }
  if (className === 'Bidirectional') {
    const inner = rawConfig.layer;
    if (!isObject(inner) || typeof inner.class_name !== 'string' || !isObject(inner.config)) return [{ option: 'layer', reason: 'the Bidirectional wrapper has no inner layer config' }];
    wrapper = rawConfig;
    kerasClass = inner.class_name;
    config = inner.config;
    // Keras builds the backward copy from the forward layer; a hand-made backward layer is something else.
    const back = rawConfig.backward_layer;
    if (isObject(back) && isObject(back.config)) {
      const strip = (c: JsonObject): string => JSON.stringify({ ...c, name: null, go_backwards: null }, (k, v: unknown) => (k === 'shared_object_id' ? undefined : v));
      if (back.class_name !== inner.class_name || strip(back.config) !== strip(config) || back.config.go_backwards === config.go_backwards) {
        wrapperProblems.push({ option: 'backward_layer', reason: 'a backward layer that differs from the forward one is not supported' });
      }
    }
    for (const [k, v] of Object.entries(rawConfig)) {
      if (['name', 'trainable', 'dtype', 'merge_mode', 'layer', 'backward_layer'].includes(k)) continue;
      if (k === 'weights' && v === null) continue;
      wrapperProblems.push({ option: k, reason: `Bidirectional ${k}=${showValue(v)} is not supported` });
    }
    if (rawConfig.trainable === false) config = { ...config, trainable: false };
  }
  const canon = CANONICAL[kerasClass];
  if (canon) config = canon(config, site);
  const candidates = candidatesByClass().get(kerasClass) ?? [];
  if (!candidates.length) return [{ option: null, reason: `Layerloom has no block for ${kerasClass}` }];
  let best: LayerProblem[] | null = null;
  for (const { def, seed } of candidates) {
    const params = readParams(def, seed, config);
    if (def.params.some((p) => p.name === 'num_inputs')) params.num_inputs = site.inputCount;
    if (def.params.some((p) => p.name === 'bidirectional')) {
      params.bidirectional = wrapper !== null;
      if (wrapper && typeof wrapper.merge_mode === 'string') params.merge_mode = wrapper.merge_mode;
    }
    if (def.params.some((p) => p.name === 'time_distributed')) params.time_distributed = timeDistributed;
    for (const [k, v] of Object.entries(site.callKwargs)) if (def.params.some((p) => p.name === k) && typeof v === 'boolean') params[k] = v;
    const problems = [...wrapperProblems, ...differences(def, params, kerasClass, config, site, wrapper, timeDistributed)];
    if (!problems.length) return { type: def.type, params };
    if (!best || problems.length < best.length) best = problems;
  }
  return best ?? [];
}
