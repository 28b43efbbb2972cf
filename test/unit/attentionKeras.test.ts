/**
 * tfjs = Keras, numerically, for attention, recurrent layers and Embedding: the shared harness in
 * test/helpers/kerasNumeric.ts builds each layer through the compiler's own path with seeded
 * weights and runs real Keras 3 on the same weights and inputs. Skipped, saying why, when Python
 * cannot import Keras.
 */
import { describeKerasNumeric, type NumericCase } from '../helpers/kerasNumeric.js';

const CASES: readonly NumericCase[] = [
  { id: 'mha self-attention', block: 'MultiHeadAttention', params: { num_heads: 2, key_dim: 4 }, inputs: [[5, 8], [5, 8]] },
  { id: 'mha causal', block: 'MultiHeadAttention', params: { num_heads: 2, key_dim: 4, use_causal_mask: true }, inputs: [[5, 8], [5, 8]] },
  { id: 'mha key ≠ value, value_dim', block: 'MultiHeadAttention', params: { num_heads: 3, key_dim: 2, value_dim: 4 }, inputs: [[4, 6], [7, 5], [7, 3]] },
  { id: 'mha causal T≠S, no bias', block: 'MultiHeadAttention', params: { num_heads: 2, key_dim: 3, use_bias: false, use_causal_mask: true }, inputs: [[3, 6], [5, 6]] },
  { id: 'mha dropout inactive at inference', block: 'MultiHeadAttention', params: { num_heads: 2, key_dim: 4, dropout: 0.3 }, inputs: [[5, 8], [5, 8]] },
  { id: 'lstm', block: 'LSTM', params: { units: 5 }, inputs: [[6, 3]] },
  { id: 'lstm sequences backwards', block: 'LSTM', params: { units: 5, return_sequences: true, go_backwards: true }, inputs: [[6, 3]] },
  { id: 'gru reset_after=False sequences', block: 'GRU', params: { units: 4, return_sequences: true }, inputs: [[6, 3]] },
  { id: 'gru backwards', block: 'GRU', params: { units: 4, go_backwards: true }, inputs: [[6, 3]] },
  { id: 'simple rnn sequences', block: 'SimpleRNN', params: { units: 4, return_sequences: true }, inputs: [[6, 3]] },
  { id: 'bidirectional lstm concat sequences', block: 'LSTM', params: { units: 4, bidirectional: true, return_sequences: true }, inputs: [[6, 3]] },
  { id: 'bidirectional lstm ave', block: 'LSTM', params: { units: 4, bidirectional: true, merge_mode: 'ave' }, inputs: [[6, 3]] },
  { id: 'bidirectional gru sum sequences', block: 'GRU', params: { units: 3, bidirectional: true, merge_mode: 'sum', return_sequences: true }, inputs: [[6, 3]] },
  { id: 'bidirectional simple rnn mul', block: 'SimpleRNN', params: { units: 3, bidirectional: true, merge_mode: 'mul' }, inputs: [[6, 3]] },
  { id: 'embedding', block: 'Embedding', params: { input_dim: 7, output_dim: 3 }, inputs: [[5]], ids: 7 },
];

describeKerasNumeric('tfjs layers equal Keras 3 numerically (same weights, same inputs)', CASES);
