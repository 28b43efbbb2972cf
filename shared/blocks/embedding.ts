/**
 * Embedding blocks: Embedding (`keras.layers.Embedding`), PositionEmbedding
 * (`keras_hub.layers.PositionEmbedding`, built as Layerloom's own tfjs layer), and Masking
 * (`keras.layers.Masking`), the padding mask of sequences that arrive as vectors rather than ids.
 *
 * Embedding's `mask_zero` marks id 0 as padding: the blocks after it that Keras masks (recurrent
 * layers, GlobalAveragePooling1D) skip those steps. Which blocks pass, use or drop the mask, and
 * which cannot take it yet, is the graph analysis's (analysis/masking.ts).
 * Whether the ids are integers is checked by the graph analysis (LL019, LL021) for every block that
 * declares `tokenIds`: it sees the Input's dtype.
 */
import type { BlockDef, KerasCall, ParamSpec } from './types.js';
import { KERNEL_INITIALIZERS, bool, initializerParam, num, str } from './paramUtils.js';
import { weightPenaltyArgs, weightPenaltyParams } from './constraintParams.js';
import { fail, ok, rankError } from './results.js';
import { formatShape } from './shapeUtils.js';
import { SINGLE_INPUT } from './core.js';
import { defineBlock } from './define.js';
import { LAYERLOOM_TFJS_CLASSES } from './tfjsSpelling.js';

/** Embedding table initializers: Keras's `uniform`/`normal` (±0.05 / σ 0.05) plus the kernel ones. */
const EMBEDDING_INITIALIZERS = ['uniform', 'normal', ...KERNEL_INITIALIZERS] as const;

const embeddingsInitializer: ParamSpec = {
  ...initializerParam('embeddings_initializer', 'Initializer', 'uniform', EMBEDDING_INITIALIZERS),
  help: 'How the table starts before training. Keras’s default "uniform" draws from −0.05 to 0.05.',
};

/** Looks up a learned vector for each integer token id. */
export const EmbeddingBlock: BlockDef = defineBlock({
  type: 'Embedding',
  category: 'Core',
  tokenIds: { vocabularyParam: 'input_dim' },
  description: 'Turns integer token ids into learned vectors: (batch, length) → (batch, length, output_dim).',
  params: [
    { name: 'input_dim', label: 'Vocabulary size', kind: 'int', default: 10000, min: 1, warnAbove: 10_000_000, help: 'Number of distinct token ids: the largest id plus one. Ids outside 0…input_dim−1 fail at run time.' },
    { name: 'output_dim', label: 'Vector size', kind: 'int', default: 64, min: 1, warnAbove: 65_536, help: 'Length of each token’s vector (the model width). 32–512 is typical.' },
    embeddingsInitializer,
    {
      name: 'mask_zero',
      label: 'Id 0 is padding',
      kind: 'bool',
      default: false,
      advanced: true,
      help: 'Treat token id 0 as padding (Keras’s mask_zero): recurrent layers carry their state over padded steps and GlobalAveragePooling1D averages only the real ones. Id 0 then cannot be a real token.',
    },
    ...weightPenaltyParams(['embeddings']),
  ],
  constrainedWeightRanks: { embeddings: 2 },
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params) => {
    if (!input) return fail('LL004', 'Connect the token ids (an Input of shape (length), data type int32).');
    // Like Keras: any input shape, one vector appended per id; variable length stays variable.
    return ok([...input, num(params, 'output_dim')]);
  },
  paramCount: (_inputs, params) => ({ trainable: num(params, 'input_dim') * num(params, 'output_dim'), nonTrainable: 0 }),
  keras: (params): KerasCall => ({
    kerasClass: 'Embedding',
    kerasArgs: [
      ['input_dim', num(params, 'input_dim')],
      ['output_dim', num(params, 'output_dim')],
      ['embeddings_initializer', str(params, 'embeddings_initializer')],
      ['mask_zero', bool(params, 'mask_zero')],
      ...weightPenaltyArgs(params, ['embeddings']),
    ],
  }),
  // tfjs writes an unset maskZero as null and false as false; leaving it unset when off keeps the
  // saved configs of existing models as they were.
  tfjs: { adjust: (call, params) => (bool(params, 'mask_zero') ? call : { ...call, args: call.args.filter(([k]) => k !== 'maskZero') }) },
});

/** Learned position vectors (keras_hub semantics): output = the first `length` rows of a table, shaped like the input. */
export const PositionEmbeddingBlock: BlockDef = defineBlock({
  type: 'PositionEmbedding',
  category: 'Core',
  description: 'Learned position vectors shaped like its input; Add them to the token embeddings so order matters.',
  params: [
    {
      name: 'sequence_length',
      label: 'Max length',
      kind: 'int',
      default: 128,
      min: 1,
      warnAbove: 1_000_000,
      help: 'Longest sequence the table covers (one learned vector per position). Inputs may be shorter, never longer.',
    },
    {
      ...initializerParam('initializer', 'Initializer', 'glorot_uniform'),
      help: 'How the position table starts before training (keras_hub’s default: glorot_uniform).',
    },
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params) => {
    if (!input) return fail('LL004', 'Connect the token embeddings (the Embedding block’s output).');
    if (input.length < 2) {
      return rankError('PositionEmbedding', 'a sequence of vectors (None, length, features)', input, 'Feed it from an Embedding, or Reshape to (length, features).');
    }
    const width = input[input.length - 1];
    if (width === null) {
      return fail('LL018', `PositionEmbedding needs a fixed vector size on the last axis, got ${formatShape(input)}. Set that size on the Input or the Embedding.`);
    }
    const length = input[input.length - 2];
    const max = num(params, 'sequence_length');
    if (length !== null && length > max) {
      return fail(
        'LL011',
        `PositionEmbedding covers ${max} positions but its input ${formatShape(input)} has ${length}. Set sequence_length to at least ${length}.`,
        'sequence_length',
      );
    }
    return ok(input);
  },
  paramCount: ([input], params) => ({ trainable: num(params, 'sequence_length') * ((input ? input[input.length - 1] : 0) ?? 0), nonTrainable: 0 }),
  // keras_hub's class in Keras (model.py defines it), Layerloom's own layer in tfjs.
  keras: (params): KerasCall => ({
    kerasClass: 'PositionEmbedding',
    kerasArgs: [
      ['sequence_length', num(params, 'sequence_length')],
      ['initializer', str(params, 'initializer')],
    ],
  }),
  tfjs: { ownLayer: () => LAYERLOOM_TFJS_CLASSES.positionEmbedding },
});

/**
 * Keras's Masking: a step whose features all equal `mask_value` is padding. Like Keras (and tfjs's
 * Masking layer, which computes the same), it zeroes those steps and masks them for the layers
 * after it, by the same rules as Embedding's mask_zero (analysis/masking.ts).
 */
export const MaskingBlock: BlockDef = defineBlock({
  type: 'Masking',
  category: 'Core',
  description: 'Marks steps whose features all equal the mask value as padding: recurrent layers skip them, GlobalAveragePooling1D leaves them out.',
  params: [
    {
      name: 'mask_value',
      label: 'Mask value',
      kind: 'float',
      default: 0,
      help: 'A step (the last axis) whose every feature equals this value is padding. Keras’s default is 0. Padded steps come out as zeros.',
    },
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input]) => {
    if (!input) return fail('LL004', 'Connect a sequence of vectors (None, steps, features) to the Masking.');
    // Keras accepts any rank: the mask covers every axis but the last (the features).
    return ok(input);
  },
  paramCount: () => ({ trainable: 0, nonTrainable: 0 }),
  keras: (params): KerasCall => ({ kerasClass: 'Masking', kerasArgs: [['mask_value', num(params, 'mask_value')]] }),
});

/** Blocks in this family, registry order. */
export const embeddingBlocks: readonly BlockDef[] = [EmbeddingBlock, PositionEmbeddingBlock, MaskingBlock];
