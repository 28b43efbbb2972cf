/**
 * The text tokenizer, following Keras `TextVectorization` defaults so an exported model sees the
 * same token ids: standardize = lower-case A–Z and strip ASCII punctuation, split on ASCII whitespace, id 0 is
 * padding, id 1 is out-of-vocabulary (`[UNK]`), then the most frequent training tokens (ties broken
 * by code point order, for determinism); `maxTokens` counts padding and `[UNK]` as Keras's
 * `max_tokens` does. Sequences are cut or zero-padded at the end to `sequenceLength`
 * (Keras `output_sequence_length`). Exports should pass the saved vocabulary to
 * `TextVectorization(vocabulary=…)` rather than re-`adapt`, so tie order cannot differ.
 */

import { compareCodePoints } from './split.js';

/** Token id of padding. */
export const PAD_ID = 0;
/** Token id of a word not in the vocabulary. */
export const OOV_ID = 1;
/** The out-of-vocabulary token's text, as Keras names it. */
export const OOV_TOKEN = '[UNK]';

// Keras's default punctuation set: string.punctuation (its regex `[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_\`{|}~\']`).
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
// tf.strings.lower without an encoding changes A–Z only: `É`, `Ä`, `İ` stay as they are.
const ASCII_UPPER = /[A-Z]+/g;
// tf.strings.split splits on ASCII whitespace only (space, \t, \n, \v, \f, \r); JS's \s would
// also split on NBSP, U+2003, U+3000, U+2028 and others, which Keras keeps inside a token.
const ASCII_WHITESPACE = /[ \t\n\v\f\r]+/;

/**
 * Keras `TextVectorization`'s default standardize and split ("lower_and_strip_punctuation",
 * "whitespace"): A–Z lower-cased (nothing else), ASCII punctuation removed, split on ASCII
 * whitespace, empty pieces dropped.
 */
export function tokenize(text: string): string[] {
  return text
    .replace(ASCII_UPPER, (s) => s.toLowerCase())
    .replace(PUNCTUATION, '')
    .split(ASCII_WHITESPACE)
    .filter((t) => t.length > 0);
}

/** A fitted vocabulary. `tokens[i]` is the text of id `i + 2` (ids 0 and 1 are padding and `[UNK]`). */
export interface Vocabulary {
  readonly tokens: readonly string[];
  readonly maxTokens: number;
  readonly sequenceLength: number;
}

/** Builds the vocabulary from tokenized training texts. */
export function buildVocabulary(texts: Iterable<readonly string[]>, maxTokens: number, sequenceLength: number): Vocabulary {
  if (maxTokens < 3) throw new Error(`The vocabulary needs room for padding, [UNK] and at least one word: maxTokens is ${maxTokens}.`);
  const counts = new Map<string, number>();
  for (const tokens of texts) for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]));
  return { tokens: sorted.slice(0, maxTokens - 2).map(([t]) => t), maxTokens, sequenceLength };
}

/** Encodes tokens as ids into `out` (length = sequenceLength), zero-padded or cut at the end. */
export function encodeTokens(tokens: readonly string[], index: ReadonlyMap<string, number>, sequenceLength: number, out: Int32Array, offset = 0): void {
  for (let i = 0; i < sequenceLength; i++) {
    out[offset + i] = i < tokens.length ? (index.get(tokens[i]) ?? OOV_ID) : PAD_ID;
  }
}

/** Token → id map of a vocabulary. */
export function vocabularyIndex(vocab: Vocabulary): Map<string, number> {
  return new Map(vocab.tokens.map((t, i) => [t, i + 2]));
}
