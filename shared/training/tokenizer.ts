/**
 * The text tokenizer, following Keras `TextVectorization` defaults so an exported model sees the
 * same token ids: standardize = lower case and strip punctuation, split on whitespace, id 0 is
 * padding, id 1 is out-of-vocabulary (`[UNK]`), then the most frequent training tokens (ties broken
 * by code point order, for determinism); `maxTokens` counts padding and `[UNK]` as Keras's
 * `max_tokens` does. Sequences are cut or zero-padded at the end to `sequenceLength`
 * (Keras `output_sequence_length`). Exports should pass the saved vocabulary to
 * `TextVectorization(vocabulary=…)` rather than re-`adapt`, so tie order cannot differ.
 */

/** Token id of padding. */
export const PAD_ID = 0;
/** Token id of a word not in the vocabulary. */
export const OOV_ID = 1;
/** The out-of-vocabulary token's text, as Keras names it. */
export const OOV_TOKEN = '[UNK]';

// Keras's default punctuation set: string.punctuation.
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

/** Lower-cases and strips punctuation, then splits on whitespace. */
export function tokenize(text: string): string[] {
  return text
    .toLowerCase()
    .replace(PUNCTUATION, '')
    .split(/\s+/)
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
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
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
