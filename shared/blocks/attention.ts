/**
 * Attention blocks: MultiHeadAttention with Keras 3's semantics, parameter names and weights.
 * In tfjs it runs as Layerloom's own layer (compile/customLayers.ts), whose weights load into
 * `keras.layers.MultiHeadAttention` unchanged; exported Keras code uses Keras's own layer.
 */
import type { BlockDef, KerasCall, Params, PortSpec, Shape, ShapeProblem, ShapeResult } from './types.js';
import { BIAS_INITIALIZERS, bool, initializerParam, num, regularizerArgs, regularizerParams, str, tuple, useBiasParam } from './paramUtils.js';
import { fail, ok, rankError, warning } from './results.js';
import { formatShape } from './shapeUtils.js';
import { defineBlock } from './define.js';
import { LAYERLOOM_TFJS_CLASSES, insertArg } from './tfjsSpelling.js';

/** Ports in Keras's call order: `mha(query, value, key)`. */
const ATTENTION_PORTS: readonly PortSpec[] = [
  { name: 'query', label: 'Query' },
  { name: 'value', label: 'Value' },
  { name: 'key', label: 'Key', optional: true },
];

/** heads × key_dim outside [width / 4, width · 4] earns LL013. */
const WIDTH_RATIO_LIMIT = 4;

/** `value_dim`, falling back to `key_dim` as Keras does for `None`. */
function valueDim(params: Params): number {
  const v = params.value_dim;
  return typeof v === 'number' ? v : num(params, 'key_dim');
}

function sequenceWidth(port: string, shape: Shape): number | ShapeResult {
  if (shape.length < 2 || shape.length > 4) {
    return rankError(
      `MultiHeadAttention (${port})`,
      'a sequence (None, length, features), or rank 4–5 with attention_axes',
      shape,
      'Feed it from an Embedding, a recurrent layer with return_sequences, or Reshape to (length, features).',
    );
  }
  const width = shape[shape.length - 1];
  if (width === null) {
    return fail('LL018', `MultiHeadAttention needs a fixed feature size on its ${port}, got ${formatShape(shape)}. Set it on the Input or the layer before.`);
  }
  return width;
}

/**
 * The attention axes as per-sample indices (Keras's axis − 1), for an input of `sampleRank` axes:
 * every axis between batch and features when `attention_axes` is null (Keras's default); null when
 * the parameter does not fit that rank.
 */
function attentionAxesOf(params: Params, sampleRank: number): number[] | null {
  const raw = params.attention_axes;
  if (!Array.isArray(raw)) return Array.from({ length: sampleRank - 1 }, (_, i) => i);
  const axes = raw.map((a) => (typeof a === 'number' ? a - 1 : -1));
  if (axes.length === 0 || axes.some((a, i) => a < 0 || a > sampleRank - 2 || (i > 0 && a <= axes[i - 1]))) return null;
  return axes;
}

/** Product of the sizes at `axes` (null when one is variable). */
function sizeAt(shape: Shape, axes: readonly number[]): number | null {
  let n = 1;
  for (const a of axes) {
    const d = shape[a];
    if (d === null) return null;
    n *= d;
  }
  return n;
}

function inferAttention([query, value, key]: readonly (Shape | null)[], params: Params): ShapeResult {
  if (!query) return fail('LL004', 'Connect the query (the sequence that asks; for self-attention wire the same tensor into query and value).');
  if (!value) return fail('LL004', 'Connect the value (the sequence attended to; for self-attention the same tensor as the query).');
  const widths: number[] = [];
  for (const [port, shape] of [['query', query], ['value', value], ['key', key]] as const) {
    if (!shape) continue;
    const width = sequenceWidth(port, shape);
    if (typeof width !== 'number') return width;
    if (shape.length !== query.length) {
      return fail('LL010', `MultiHeadAttention: the ${port} ${formatShape(shape)} and the query ${formatShape(query)} differ in rank. Give them the same number of axes.`);
    }
    widths.push(width);
  }
  const axes = attentionAxesOf(params, query.length);
  if (!axes) {
    return fail(
      'LL011',
      `Attention axes ${JSON.stringify(params.attention_axes)} do not fit the query ${formatShape(query)}: give increasing axes from 1 to ${query.length - 1} (axis 0 is the batch, the last the features), or leave it empty for all of them.`,
      'attention_axes',
    );
  }
  const others = Array.from({ length: query.length - 1 }, (_, i) => i).filter((i) => !axes.includes(i));
  for (const [port, shape] of [['value', value], ['key', key]] as const) {
    if (!shape) continue;
    const bad = others.find((i) => shape[i] !== query[i]);
    if (bad !== undefined) {
      return fail(
        'LL010',
        `MultiHeadAttention: the ${port} ${formatShape(shape)} and the query ${formatShape(query)} differ on axis ${bad + 1}, which is not an attention axis (each position there attends separately). Make the sizes equal, or add the axis to attention_axes.`,
      );
    }
  }
  if (key) {
    const bad = axes.find((i) => key[i] !== null && value[i] !== null && key[i] !== value[i]);
    if (bad !== undefined) {
      return fail(
        'LL010',
        `MultiHeadAttention: key ${formatShape(key)} and value ${formatShape(value)} differ on axis ${bad + 1} (length ${key[bad]} vs ${value[bad]}). ` +
          'Each value needs one key: feed both from sequences of the same length, or leave key unconnected to use the value.',
      );
    }
  }
  if (query.length > 2 && bool(params, 'use_causal_mask')) {
    return fail('LL011', `MultiHeadAttention: the causal mask is offered for sequences (None, length, features) only, got ${formatShape(query)}. Turn use_causal_mask off, or Reshape to a sequence.`, 'use_causal_mask');
  }
  const problems: ShapeProblem[] = [];
  const width = widths[0];
  const inner = num(params, 'num_heads') * num(params, 'key_dim');
  if (inner * WIDTH_RATIO_LIMIT < width || inner > width * WIDTH_RATIO_LIMIT) {
    problems.push(
      warning(
        'LL013',
        `num_heads × key_dim = ${inner} is far from the query width ${width}. Usually key_dim ≈ width / num_heads: ` +
          `try key_dim ${Math.max(1, Math.round(width / num(params, 'num_heads')))} for ${num(params, 'num_heads')} heads.`,
        'key_dim',
      ),
    );
  }
  return ok(query, problems);
}

function attentionCall(params: Params): KerasCall {
  const explicitValueDim = typeof params.value_dim === 'number' ? params.value_dim : null;
  return {
    kerasClass: 'MultiHeadAttention',
    kerasArgs: [
      ['num_heads', num(params, 'num_heads')],
      ['key_dim', num(params, 'key_dim')],
      ['value_dim', explicitValueDim],
      ['dropout', num(params, 'dropout')],
      ['use_bias', bool(params, 'use_bias')],
      ['kernel_initializer', str(params, 'kernel_initializer')],
      ['bias_initializer', str(params, 'bias_initializer')],
      ['attention_axes', Array.isArray(params.attention_axes) ? tuple(params.attention_axes) : null],
      ...regularizerArgs(params, ['kernel', 'bias']),
    ],
    // Keras takes the causal mask per call (`mha(q, v, use_causal_mask=True)`); the tfjs layer keeps it in its config.
    ...(bool(params, 'use_causal_mask') ? { callArgs: [['use_causal_mask', true]] as const } : {}),
  };
}

/** Multi-head scaled dot-product attention (`keras.layers.MultiHeadAttention`). */
export const MultiHeadAttentionBlock: BlockDef = defineBlock({
  type: 'MultiHeadAttention',
  category: 'Attention',
  callConvention: 'query-value-key',
  randomInTraining: (params) => num(params, 'dropout') > 0,
  description: 'Each query position gathers information from the value sequence, weighted by learned similarity (self-attention: wire one tensor to query and value).',
  params: [
    { name: 'num_heads', label: 'Heads', kind: 'int', default: 2, min: 1, warnAbove: 1024, help: 'Number of attention heads, each attending separately. 2–16 is typical.' },
    { name: 'key_dim', label: 'Key size', kind: 'int', default: 16, min: 1, warnAbove: 65_536, help: 'Size of each head’s query and key projection. Usually the model width divided by the number of heads.' },
    {
      name: 'value_dim',
      label: 'Value size',
      kind: 'int',
      default: null,
      min: 1,
      nullable: true,
      help: 'Size of each head’s value projection. Empty (null) means the same as the key size, as in Keras.',
      advanced: true,
    },
    {
      name: 'dropout',
      label: 'Dropout',
      kind: 'float',
      default: 0,
      min: 0,
      max: 1,
      maxExclusive: true,
      help: 'Fraction of attention weights dropped while training.',
    },
    useBiasParam,
    {
      name: 'use_causal_mask',
      label: 'Causal mask',
      kind: 'bool',
      default: false,
      help: 'Each position may only look at itself and earlier positions (for models that predict the next token).',
    },
    initializerParam('kernel_initializer', 'Kernel initializer', 'glorot_uniform'),
    initializerParam('bias_initializer', 'Bias initializer', 'zeros', BIAS_INITIALIZERS),
    {
      name: 'attention_axes',
      label: 'Attention axes',
      kind: 'ints',
      default: null,
      nullable: true,
      min: 1,
      advanced: true,
      help: 'For rank-4/5 inputs (an image’s rows and columns, say): the axes attended over, counted as Keras does (1 = the first after the batch). Empty: all axes between batch and features. Positions along the other axes attend separately.',
    },
    ...regularizerParams('kernel'),
    ...regularizerParams('bias'),
  ],
  ports: () => ATTENTION_PORTS,
  inferShape: inferAttention,
  paramCount: ([query, value, key], params) => {
    const last = (x: Shape | null | undefined): number => (x ? (x[x.length - 1] ?? 0) : 0);
    const [dq, dv, dk] = [last(query), last(value), last(key ?? value)];
    const heads = num(params, 'num_heads');
    const [k, v] = [num(params, 'key_dim'), valueDim(params)];
    const bias = bool(params, 'use_bias') ? 1 : 0;
    const trainable = heads * k * (dq + bias) + heads * k * (dk + bias) + heads * v * (dv + bias) + heads * v * dq + bias * dq;
    return { trainable, nonTrainable: 0 };
  },
  macs: ([query, value, key], params) => {
    const k = key ?? value;
    if (!query || !value || !k) return null;
    const middle = (x: Shape): number[] => Array.from({ length: x.length - 1 }, (_, i) => i);
    const [pq, pv, pk] = [sizeAt(query, middle(query)), sizeAt(value, middle(value)), sizeAt(k, middle(k))];
    const axes = attentionAxesOf(params, query.length);
    // Key positions each query position scores: the key's sizes along the attention axes.
    const tk = axes ? sizeAt(k, axes) : null;
    const [dq, dv, dk] = [query[query.length - 1], value[value.length - 1], k[k.length - 1]];
    if (pq === null || pv === null || pk === null || tk === null || dq === null || dv === null || dk === null) return null;
    const heads = num(params, 'num_heads');
    const [kd, vd] = [num(params, 'key_dim'), valueDim(params)];
    return heads * (pq * dq * kd + pk * dk * kd + pv * dv * vd + pq * vd * dq + pq * tk * (kd + vd));
  },
  keras: attentionCall,
  tfjs: {
    ownLayer: () => LAYERLOOM_TFJS_CLASSES.multiHeadAttention,
    adjust: (call, params) => ({
      ...call,
      // The layer's own default (all axes between batch and features) needs no argument.
      args: insertArg(
        call.args.filter(([k, v]) => k !== 'attentionAxes' || v !== null),
        'useBias',
        'useCausalMask',
        bool(params, 'use_causal_mask'),
      ),
    }),
  },
});

/** Blocks in this family, registry order. */
export const attentionBlocks: readonly BlockDef[] = [MultiHeadAttentionBlock];
