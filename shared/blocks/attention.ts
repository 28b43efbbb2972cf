/**
 * Attention blocks: MultiHeadAttention with Keras 3's semantics, parameter names and weights.
 * In tfjs it runs as Layerloom's own layer (compile/customLayers.ts), whose weights load into
 * `keras.layers.MultiHeadAttention` unchanged; exported Keras code uses Keras's own layer.
 */
import type { BlockDef, KerasCall, Params, PortSpec, Shape, ShapeProblem, ShapeResult } from './types.js';
import { BIAS_INITIALIZERS, bool, initializerParam, num, str, useBiasParam } from './paramUtils.js';
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
  if (shape.length !== 2) {
    return rankError(
      `MultiHeadAttention (${port})`,
      'a sequence (None, length, features)',
      shape,
      'Feed it from an Embedding, a recurrent layer with return_sequences, or Reshape to (length, features).',
    );
  }
  const width = shape[1];
  if (width === null) {
    return fail('LL018', `MultiHeadAttention needs a fixed feature size on its ${port}, got ${formatShape(shape)}. Set it on the Input or the layer before.`);
  }
  return width;
}

function inferAttention([query, value, key]: readonly (Shape | null)[], params: Params): ShapeResult {
  if (!query) return fail('LL004', 'Connect the query (the sequence that asks; for self-attention wire the same tensor into query and value).');
  if (!value) return fail('LL004', 'Connect the value (the sequence attended to; for self-attention the same tensor as the query).');
  const widths: number[] = [];
  for (const [port, shape] of [['query', query], ['value', value], ['key', key]] as const) {
    if (!shape) continue;
    const width = sequenceWidth(port, shape);
    if (typeof width !== 'number') return width;
    widths.push(width);
  }
  if (key) {
    const [keyLength, valueLength] = [key[0], value[0]];
    if (keyLength !== null && valueLength !== null && keyLength !== valueLength) {
      return fail(
        'LL010',
        `MultiHeadAttention: key ${formatShape(key)} and value ${formatShape(value)} differ on axis 1 (length ${keyLength} vs ${valueLength}). ` +
          'Each value needs one key: feed both from sequences of the same length, or leave key unconnected to use the value.',
      );
    }
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
  // The output keeps the query's shape (Keras's `output_shape=None`).
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
  ],
  ports: () => ATTENTION_PORTS,
  inferShape: inferAttention,
  paramCount: ([query, value, key], params) => {
    const [dq, dv] = [query?.[1] ?? 0, value?.[1] ?? 0];
    const dk = (key ?? value)?.[1] ?? 0;
    const heads = num(params, 'num_heads');
    const [k, v] = [num(params, 'key_dim'), valueDim(params)];
    const bias = bool(params, 'use_bias') ? 1 : 0;
    // Keras: query/key/value kernels (d, heads, size) + biases (heads, size); output kernel (heads, value_dim, dq) + bias (dq).
    const trainable = heads * k * (dq + bias) + heads * k * (dk + bias) + heads * v * (dv + bias) + heads * v * dq + bias * dq;
    return { trainable, nonTrainable: 0 };
  },
  // Projections of query, key and value, the output projection, then per head Q·Kᵀ (key_dim per
  // score) and scores·V (value_dim per output element).
  macs: ([query, value, key], params) => {
    const k = key ?? value;
    if (!query || !value || !k) return null;
    const [tq, dq] = query;
    const [tv, dv] = value;
    const [tk, dk] = k;
    if (tq === null || tv === null || tk === null || dq === null || dv === null || dk === null) return null;
    const heads = num(params, 'num_heads');
    const [kd, vd] = [num(params, 'key_dim'), valueDim(params)];
    return heads * (tq * dq * kd + tk * dk * kd + tv * dv * vd + tq * vd * dq + tq * tk * (kd + vd));
  },
  keras: attentionCall,
  tfjs: {
    ownLayer: () => LAYERLOOM_TFJS_CLASSES.multiHeadAttention,
    adjust: (call, params) => ({ ...call, args: insertArg(call.args, 'useBias', 'useCausalMask', bool(params, 'use_causal_mask')) }),
  },
});

/** Blocks in this family, registry order. */
export const attentionBlocks: readonly BlockDef[] = [MultiHeadAttentionBlock];
