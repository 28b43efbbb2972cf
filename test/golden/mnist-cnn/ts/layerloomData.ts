/**
 * Layerloom's data preparation, copied from Layerloom's source so this loader prepares exactly the
 * tensors Layerloom trains on: the seeded stratified split, the tokenizer (Keras TextVectorization's
 * rules), bilinear resizing with half-pixel centres and CSV column rules (types, missing values,
 * standardization, one-hot, label order).
 */

// ---- shared/training/split.ts

/**
 * The train/validation split, one algorithm for the app and both exports: a seeded PRNG
 * (mulberry32, 32-bit integer arithmetic) and Fisher–Yates per class, over samples enumerated in
 * the same order (class folders and files sorted by code point, CSV rows in file order). The
 * TypeScript export ships this file's source as it is (layerloomData.ts, see
 * shared/codegen/tsDataPrep.ts); model.py mirrors it line for line (`seeded_random`,
 * `stratified_split`), and the parity tests prove all three pick the same validation samples.
 *
 * This file imports nothing: it is copied into the export.
 */

/**
 * A small, fast, seedable PRNG (mulberry32). Returns floats in [0, 1). The same seed gives the same
 * sequence on every platform, so splits and shuffles are reproducible.
 */
export function seededRandom(seed: number): () => number {
  let a = (seed | 0) ^ 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles in place (Fisher–Yates) with the given random source; returns the array. */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(items: T, random: () => number): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}

/** Sample indices of a train/validation split. */
export interface Split {
  readonly train: Int32Array;
  readonly validation: Int32Array;
}

/**
 * Splits sample indices into train and validation sets. With `labels` (class indices) the split is
 * stratified: each class gives `round(n × fraction)` samples to validation (at least one when the
 * class has two or more and the fraction is > 0), so small classes are represented on both sides.
 * Deterministic for a given seed; both sets come out in ascending index order.
 */
export function stratifiedSplit(count: number, fraction: number, seed: number, labels?: ArrayLike<number>): Split {
  const random = seededRandom(seed);
  // Group indices by label without data-sized argument lists (`push(...xs)` overflows the stack
  // past ~125k elements): count each label, then fill one typed array per label.
  const sizes = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const key = labels ? labels[i] : 0;
    sizes.set(key, (sizes.get(key) ?? 0) + 1);
  }
  const groups = new Map<number, { members: Int32Array; filled: number }>();
  for (const [key, size] of sizes) groups.set(key, { members: new Int32Array(size), filled: 0 });
  for (let i = 0; i < count; i++) {
    const g = groups.get(labels ? labels[i] : 0) as { members: Int32Array; filled: number };
    g.members[g.filled++] = i;
  }
  const isValidation = new Uint8Array(count);
  let validationCount = 0;
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const members = shuffleInPlace((groups.get(key) as { members: Int32Array }).members, random);
    let take = fraction > 0 ? Math.round(members.length * fraction) : 0;
    if (fraction > 0 && take === 0 && members.length >= 2 && labels) take = 1;
    if (take >= members.length && members.length > 0) take = members.length - 1;
    for (let k = 0; k < take; k++) isValidation[members[k]] = 1;
    validationCount += take;
  }
  // Both sets in ascending index order.
  const train = new Int32Array(count - validationCount);
  const validation = new Int32Array(validationCount);
  let t = 0;
  let v = 0;
  for (let i = 0; i < count; i++) {
    if (isValidation[i]) validation[v++] = i;
    else train[t++] = i;
  }
  return { train, validation };
}

/**
 * Compares two strings by Unicode code point, as Python's `sorted` does (JS's `<` compares UTF-16
 * code units, which puts a character above U+FFFF before U+E000–U+FFFF). Class folders, files and
 * vocabulary ties are ordered with it, so every side enumerates samples in the same order.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    // A surrogate starts a code point above U+FFFF: after every character of the first plane.
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

// ---- shared/training/tokenizer.ts

/**
 * The text tokenizer, following Keras `TextVectorization` defaults so an exported model sees the
 * same token ids: standardize = lower-case A–Z and strip ASCII punctuation, split on ASCII whitespace, id 0 is
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

// ---- shared/training/resize.ts

/**
 * Image resizing, one rule for the app and both exports: bilinear with half-pixel centres and no
 * antialiasing, exactly as `tf.image.resize(method="bilinear")` (what Keras's
 * `image_dataset_from_directory` runs) and tfjs's `resizeBilinear(x, size, false, true)` compute it,
 * in float32 arithmetic. The aspect ratio is not kept.
 *
 * This file imports nothing: the TypeScript export ships its source (layerloomData.ts).
 */

const f32 = Math.fround;

/** Source rows/columns and weights of one output axis (TensorFlow's compute_interpolation_weights). */
function axisWeights(inSize: number, outSize: number): { lower: Int32Array; upper: Int32Array; lerp: Float32Array } {
  const scale = f32(inSize / outSize);
  const lower = new Int32Array(outSize);
  const upper = new Int32Array(outSize);
  const lerp = new Float32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const at = f32(f32((i + 0.5) * scale) - 0.5);
    const floor = Math.floor(at);
    lower[i] = Math.max(floor, 0);
    upper[i] = Math.min(Math.ceil(at), inSize - 1);
    lerp[i] = f32(at - floor);
  }
  return { lower, upper, lerp };
}

/**
 * Resizes a row-major `height × width × channels` image (any numeric array, e.g. decoded bytes) to
 * `outHeight × outWidth`, returning float32 values on the input's scale (0–255 stays 0–255).
 */
export function resizeBilinearHalfPixel(
  pixels: ArrayLike<number>,
  height: number,
  width: number,
  channels: number,
  outHeight: number,
  outWidth: number,
): Float32Array {
  const out = new Float32Array(outHeight * outWidth * channels);
  const ys = axisWeights(height, outHeight);
  const xs = axisWeights(width, outWidth);
  for (let y = 0; y < outHeight; y++) {
    const top = ys.lower[y] * width;
    const bottom = ys.upper[y] * width;
    const dy = ys.lerp[y];
    for (let x = 0; x < outWidth; x++) {
      const left = xs.lower[x];
      const right = xs.upper[x];
      const dx = xs.lerp[x];
      const o = (y * outWidth + x) * channels;
      for (let c = 0; c < channels; c++) {
        const tl = pixels[(top + left) * channels + c];
        const tr = pixels[(top + right) * channels + c];
        const bl = pixels[(bottom + left) * channels + c];
        const br = pixels[(bottom + right) * channels + c];
        const t = f32(tl + f32(f32(tr - tl) * dx));
        const b = f32(bl + f32(f32(br - bl) * dx));
        out[o + c] = f32(t + f32(f32(b - t) * dy));
      }
    }
  }
  return out;
}

/**
 * Colour to grey as TensorFlow decodes a colour PNG with `channels=1` (libpng's rgb_to_gray):
 * `(9798 R + 19235 G + 3735 B) >> 15`, ITU-R BT.601 weights in 15-bit fixed point. Grey stays
 * grey (R = G = B gives back the same value). Applied after decoding to RGB everywhere, JPEG
 * included, so the app and both exports agree.
 */
export function rgbToGrey(rgb: ArrayLike<number>, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) out[i] = (9798 * rgb[i * 3] + 19235 * rgb[i * 3 + 1] + 3735 * rgb[i * 3 + 2]) >> 15;
  return out;
}

// ---- shared/training/csvPrep.ts

/**
 * CSV after tokenizing, one pure module for the app and the TypeScript export (which ships this
 * source in layerloomData.ts; model.py mirrors it line for line): what a cell is, decimal commas,
 * column types and roles, the task and the classes (label order), missing values, standardization
 * with the training rows' statistics and one-hot encoding.
 *
 * - Numeric feature columns are standardized with the training split's mean and (population)
 *   standard deviation, computed in float64 with a plain running sum; empty cells and cells that
 *   read as numbers but are not finite (`NaN`, `inf`, `1e400`) are filled with the mean (0 after
 *   scaling). A constant column becomes zeros.
 * - Text columns with at most {@link MAX_CATEGORIES} distinct values (an empty cell is a category
 *   of its own) are one-hot encoded, categories in code point order; others are rejected.
 * - Features keep the file's column order, a one-hot column expanding in place.
 * - The target is a class label (classes in numeric order when all are numbers, else code point
 *   order) unless it is numeric with more than {@link MAX_INTEGER_CLASSES} distinct values or
 *   non-integer values (regression, used unscaled). A row whose target is empty or not finite is
 *   skipped.
 *
 * This file imports only compareCodePoints (split.ts, shipped alongside).
 */

/** A CSV file that cannot be used; the message says why and what to do. */
export class CsvError extends Error {}

/** Classification predicts one class per sample; regression predicts numbers. */
type CsvTask = 'classification' | 'regression';

/** A row the plan left out, and why (a SkippedFile of the dataset report). */
export interface CsvSkippedRow {
  /** `file.csv:LINE`. */
  readonly path: string;
  readonly reason: string;
  readonly code: 'invalid';
}

/** Tokenized CSV, column by column: what the rules below read. */
export interface CsvCells {
  readonly header: readonly string[];
  /** `cells[c][r]`: column `c` of data row `r` (trimmed); rows have exactly `header.length` fields. */
  readonly cells: readonly string[][];
  readonly rowCount: number;
  /** 1-based line number of each row in the file, for messages. */
  readonly lines: ArrayLike<number>;
  /** Things the reader did that the report should say (a decimal comma read as a point…). */
  readonly notes: readonly string[];
}

/** A text CSV column with more distinct values than this is rejected instead of one-hot encoded. */
export const MAX_CATEGORIES = 50;

/** An integer CSV target with at most this many distinct values is treated as class labels. */
export const MAX_INTEGER_CLASSES = 20;

const NON_FINITE_WORD = /^[+-]?(nan|inf|infinity)$/i;

/**
 * What a (trimmed, non-empty) CSV cell is: a finite number, a number that is not finite (NaN,
 * infinities, or a numeral too large for a double such as `1e400`), or text.
 */
export function csvCellKind(cell: string): 'number' | 'non-finite' | 'text' {
  // Number() also reads hex/binary/octal literals, which no CSV reader (nor Python's float) does.
  if (cell === '' || /^[+-]?0[xob]/i.test(cell)) return 'text';
  const n = Number(cell);
  if (Number.isFinite(n)) return 'number';
  if (n === Infinity || n === -Infinity || NON_FINITE_WORD.test(cell)) return 'non-finite';
  return 'text';
}

/**
 * True when every non-empty cell of a column is a number written with a decimal comma (`1,5`,
 * `-0,25`, `3`), at least one of them with the comma: no point, at most one comma.
 */
export function isDecimalCommaColumn(cells: readonly string[]): boolean {
  let comma = false;
  for (const v of cells) {
    if (v === '') continue;
    if (v.includes('.')) return false;
    const at = v.indexOf(',');
    if (at >= 0) {
      if (v.indexOf(',', at + 1) >= 0) return false;
      comma = true;
    }
    if (csvCellKind(at >= 0 ? v.replace(',', '.') : v) === 'text') return false;
  }
  return comma;
}

/** One CSV column as the scan understood it. */
export interface CsvColumnInfo {
  readonly name: string;
  readonly type: 'numeric' | 'categorical';
  /** Distinct non-empty values (capped at MAX_CATEGORIES + 1 for text columns). */
  readonly distinct: number;
  /** Rows where the cell is empty (numeric: filled with the mean; text: its own category ""). */
  readonly missing: number;
  readonly role: 'feature' | 'target' | 'rejected';
  /** Model inputs this column becomes (1 numeric, k one-hot). */
  readonly width: number;
  /** Why a column was rejected. */
  readonly reason?: string;
}

/** Grows an Int32Array by doubling. */
export class IntList {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/**
 * The CSV dialect, one definition for the app, the TypeScript export and model.py. The app and
 * the TypeScript export tokenize with csv-parse ({@link csvParseOptions}); model.py with Python's
 * csv module, whose keyword arguments the Keras generator writes from this object. The parity
 * tests read a corpus of tricky files with all three and with Python's csv module on its own.
 */
export const CSV_DIALECT = {
  /** Candidate delimiters: the one the first line (up to its first line break) holds most of; ties go to the earlier. */
  delimiters: [',', ';', '\t'],
  /** Quotes a field (RFC 4180); a quote inside a quoted field is written twice (`""`). */
  quote: '"',
  /**
   * A quote opens a quoted field only as the field's first character: `5" screen` and `a, "b,c"`
   * (a space before the quote) are plain text, as in Python's csv (no skipinitialspace).
   */
  quoteOnlyAtFieldStart: true,
  /** Every line break ends a record outside quotes, mixed in one file or not (Python's csv reads them all). */
  lineBreaks: ['\r\n', '\r', '\n'],
} as const;

/** The delimiter of a CSV file, from its first line ({@link CSV_DIALECT}). */
export function csvDelimiter(firstLine: string): string {
  let best: string = CSV_DIALECT.delimiters[0];
  let most = 0;
  for (const d of CSV_DIALECT.delimiters) {
    const count = firstLine.split(d).length - 1;
    if (count > most) {
      best = d;
      most = count;
    }
  }
  return best;
}

/** csv-parse's options for {@link CSV_DIALECT} with this delimiter. */
export function csvParseOptions(delimiter: string): {
  delimiter: string;
  quote: string;
  escape: string;
  relax_quotes: boolean;
  relax_column_count: boolean;
  record_delimiter: string[];
} {
  return {
    delimiter,
    quote: CSV_DIALECT.quote,
    escape: CSV_DIALECT.quote,
    // A quote that is not a field's first character is text (csv-parse would refuse the file).
    relax_quotes: CSV_DIALECT.quoteOnlyAtFieldStart,
    // Rows with another number of fields than the header are listed by CsvTableBuilder, not fatal.
    relax_column_count: true,
    record_delimiter: [...CSV_DIALECT.lineBreaks],
  };
}

/** Tokenized CSV as a dataset: the cells, the rows left out, and how the file was read. */
export interface CsvTable extends CsvCells {
  readonly lines: Int32Array;
  readonly skipped: readonly CsvSkippedRow[];
  readonly delimiter: string;
}

/** Line breaks inside a record's cells (quoted fields), a CRLF counting once. */
function lineBreaksIn(record: readonly string[]): number {
  let n = 0;
  for (const cell of record) {
    if (cell.indexOf('\n') < 0 && cell.indexOf('\r') < 0) continue;
    n += (cell.match(/\r\n?|\n/g) as RegExpMatchArray).length;
  }
  return n;
}

/**
 * Builds the table from the tokenizer's records, in file order: blank lines dropped, the first
 * record the header, cells trimmed, rows with another number of fields than the header left out
 * and listed with their line, each row's line kept for messages. Then {@link CsvTableBuilder.finish}
 * checks the header and reads a `;`-separated column of decimal commas (1,5) as numbers.
 */
export class CsvTableBuilder {
  private header: string[] | null = null;
  private columns: string[][] = [];
  private readonly rowLines = new IntList();
  private readonly skipped: CsvSkippedRow[] = [];
  private line = 1;
  private rows = 0;

  constructor(
    private readonly name: string,
    private readonly delimiter: string,
  ) {}

  /** The line the next record starts on (every record but the last ends with a line break). */
  get nextLine(): number {
    return this.line;
  }

  /** Adds the next record of the file. */
  add(record: readonly string[]): void {
    const line = this.line;
    this.line += 1 + lineBreaksIn(record);
    if (record.length <= 1 && (record.length === 0 || record[0].trim() === '')) return;
    if (this.header === null) {
      this.header = record.map((h) => h.trim());
      this.columns = this.header.map(() => []);
      return;
    }
    const n = this.header.length;
    if (record.length !== n) {
      this.skipped.push({ path: `${this.name}:${line}`, code: 'invalid', reason: `line ${line} has ${record.length} field${record.length === 1 ? '' : 's'}, the header has ${n}` });
      return;
    }
    for (let c = 0; c < n; c++) this.columns[c].push(record[c].trim());
    this.rowLines.push(line);
    this.rows++;
  }

  /** The table; throws CsvError for a file without a usable header. */
  finish(): CsvTable {
    const header = this.header;
    if (header === null) throw new CsvError(`${this.name} is empty. A CSV dataset needs a header row and data rows.`);
    const seen = new Set<string>();
    header.forEach((h, idx) => {
      if (h === '') throw new CsvError(`${this.name}: column ${idx + 1} of the header row has no name. Give every column a name in the first row.`);
      if (seen.has(h)) throw new CsvError(`${this.name}: the header names column "${h}" twice. Column names must be unique.`);
      seen.add(h);
    });
    const notes: string[] = [];
    if (this.delimiter === ';') {
      // `;`-separated files often come from locales that write 1,5 for 1.5.
      const converted: string[] = [];
      this.columns.forEach((cells, c) => {
        if (!isDecimalCommaColumn(cells)) return;
        for (let r = 0; r < cells.length; r++) cells[r] = cells[r].replace(',', '.');
        converted.push(header[c]);
      });
      if (converted.length) {
        notes.push(`Column${converted.length > 1 ? 's' : ''} ${converted.map((c) => `"${c}"`).join(', ')} use${converted.length > 1 ? '' : 's'} a decimal comma (1,5); read as numbers.`);
      }
    }
    return { header, cells: this.columns, rowCount: this.rows, lines: this.rowLines.toArray(), skipped: this.skipped, delimiter: this.delimiter, notes };
  }

  /** The message for a tokenizer error in the record that starts on {@link nextLine}. */
  parseError(error: { readonly code?: string; readonly message: string }): CsvError {
    const line = this.line;
    if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
      return new CsvError(
        `${this.name}: the quoted field that starts on line ${line} is never closed, so the rest of the file from line ${line} on would be read as one cell. ` +
          `Close the quote, or remove it (a quote inside a quoted field is written "").`,
      );
    }
    return new CsvError(`${this.name}: line ${line} cannot be read as CSV (${error.message}).`);
  }
}

/** How the table will be used: column roles, the task and the classes. */
export interface CsvPlan {
  readonly columns: readonly CsvColumnInfo[];
  readonly targetIndex: number;
  readonly task: CsvTask;
  /** Class names in label order (classification). */
  readonly classes: readonly string[];
  /** Per usable row: class index or numeric target. */
  readonly targets: Float32Array;
  /** Row indices (into the table's rows) that have a target value. */
  readonly usableRows: Int32Array;
  /** Categories of one-hot columns, by column index. */
  readonly categories: ReadonlyMap<number, readonly string[]>;
  readonly featureCount: number;
  readonly skipped: readonly CsvSkippedRow[];
  readonly warnings: readonly string[];
}

const ROW_SLICE = 16_384;

/** Lines of the first few rows in a list, for messages. */
function lineList(lines: readonly (number | string)[], total: number): string {
  return `line${total > 1 ? 's' : ''} ${lines.join(', ')}${total > lines.length ? ` and ${total - lines.length} more` : ''}`;
}

/**
 * Decides column types and roles and extracts the target. Cells that read as numbers but are not
 * finite (NaN, Infinity, 1e400) are treated as empty in a numeric column (filled with the mean,
 * reported with their lines); a row whose target is one is skipped and listed.
 */
export async function planCsv(table: CsvCells, name: string, targetColumn?: string, pause?: () => Promise<void>): Promise<CsvPlan> {
  const targetIndex = targetColumn === undefined ? table.header.length - 1 : table.header.indexOf(targetColumn);
  if (targetIndex < 0) {
    throw new CsvError(`${name} has no column "${targetColumn}". Columns: ${table.header.join(', ')}. Choose one of them as the target.`);
  }
  if (table.header.length < 2) throw new CsvError(`${name} has only one column; it needs at least one feature column besides the target.`);
  // The host's turn to breathe (and to cancel) every ROW_SLICE rows of a large file.
  const check = async () => {
    if (pause) await pause();
  };
  const warnings: string[] = [...table.notes];
  const skipped: CsvSkippedRow[] = [];
  const targetName = table.header[targetIndex];
  const targetCells = table.cells[targetIndex];
  const usableList = new IntList();
  for (let r = 0; r < table.rowCount; r++) {
    if ((r & (ROW_SLICE - 1)) === 0) await check();
    const v = targetCells[r];
    const line = table.lines[r];
    if (v === '') skipped.push({ path: `${name}:${line}`, code: 'invalid', reason: `line ${line} has no value in the target column "${targetName}"` });
    else if (csvCellKind(v) === 'non-finite') skipped.push({ path: `${name}:${line}`, code: 'invalid', reason: `line ${line}: the target "${targetName}" is ${v}, not a finite number` });
    else usableList.push(r);
  }
  const usable = usableList.toArray();
  if (usable.length === 0) throw new CsvError(`${name} has no row with a value in the target column "${targetName}".`);

  const columns: CsvColumnInfo[] = [];
  const categories = new Map<number, string[]>();
  let featureCount = 0;
  let task: CsvTask = 'classification';
  let classes: string[] = [];
  const targets = new Float32Array(usable.length);
  for (let c = 0; c < table.header.length; c++) {
    const col = table.header[c];
    const cells = table.cells[c];
    let missing = 0;
    let numeric = true;
    let finite = 0;
    const nonFiniteRows: number[] = [];
    const distinct = new Set<string>();
    for (let k = 0; k < usable.length; k++) {
      if ((k & (ROW_SLICE - 1)) === 0) await check();
      const v = cells[usable[k]];
      if (v === '') missing++;
      else {
        if (numeric) {
          const kind = csvCellKind(v);
          if (kind === 'number') finite++;
          else if (kind === 'non-finite') nonFiniteRows.push(usable[k]);
          else numeric = false;
        }
        if (distinct.size <= Math.max(MAX_CATEGORIES, 100_000)) distinct.add(v);
      }
    }
    if (c === targetIndex) {
      const values = [...distinct];
      const integers = numeric && values.every((v) => Number.isInteger(Number(v)));
      if (numeric && !(integers && values.length <= MAX_INTEGER_CLASSES)) {
        task = 'regression';
        for (let k = 0; k < usable.length; k++) targets[k] = Number(cells[usable[k]]);
      } else {
        classes = numeric ? values.sort((a, b) => Number(a) - Number(b)) : values.sort(compareCodePoints);
        const index = new Map(classes.map((v, k) => [v, k]));
        for (let k = 0; k < usable.length; k++) targets[k] = index.get(cells[usable[k]]) as number;
      }
      columns.push({ name: col, type: numeric ? 'numeric' : 'categorical', distinct: distinct.size, missing: 0, role: 'target', width: 0 });
      continue;
    }
    if (numeric) {
      if (nonFiniteRows.length) {
        // Not a number the model can use: the cell counts as empty (filled with the mean).
        const shown = nonFiniteRows.slice(0, 5).map((r) => `${table.lines[r]} (${cells[r]})`);
        warnings.push(
          `Column "${col}" has ${nonFiniteRows.length} cell${nonFiniteRows.length > 1 ? 's' : ''} that ${nonFiniteRows.length > 1 ? 'are' : 'is'} not a finite number, on ${lineList(shown, nonFiniteRows.length)}; ` +
            `${nonFiniteRows.length > 1 ? 'they are' : 'it is'} treated as empty and filled with the column's mean. Fix ${nonFiniteRows.length > 1 ? 'them' : 'it'} in the file if they are typos.`,
        );
        for (const r of nonFiniteRows) {
          distinct.delete(cells[r]);
          cells[r] = '';
        }
        missing += nonFiniteRows.length;
      }
      if (finite === 0) {
        const reason = nonFiniteRows.length ? 'no cell is a finite number' : 'every cell is empty';
        columns.push({ name: col, type: 'numeric', distinct: 0, missing, role: 'rejected', width: 0, reason });
        warnings.push(`Column "${col}" ${nonFiniteRows.length ? 'has no finite number in any row' : 'is empty in every row'}; it is left out.`);
        continue;
      }
      const empty = missing - nonFiniteRows.length;
      if (empty) warnings.push(`Column "${col}" has ${empty} empty cell${empty > 1 ? 's' : ''}; they are filled with the column's mean.`);
      columns.push({ name: col, type: 'numeric', distinct: distinct.size, missing, role: 'feature', width: 1 });
      featureCount += 1;
      continue;
    }
    if (missing) distinct.add('');
    if (distinct.size > MAX_CATEGORIES) {
      const reason = `${distinct.size > 100_000 ? 'over 100,000' : distinct.size} distinct text values; one-hot encoding takes at most ${MAX_CATEGORIES}`;
      columns.push({ name: col, type: 'categorical', distinct: distinct.size, missing, role: 'rejected', width: 0, reason });
      warnings.push(`Column "${col}" is left out: it has ${reason}. If it is a number with stray text, clean those cells; if it is an id or free text, remove the column.`);
      continue;
    }
    const cats = [...distinct].sort(compareCodePoints);
    categories.set(c, cats);
    columns.push({ name: col, type: 'categorical', distinct: distinct.size, missing, role: 'feature', width: cats.length });
    featureCount += cats.length;
  }
  if (featureCount === 0) throw new CsvError(`${name}: no usable feature column is left besides the target "${targetName}".`);
  return { columns, targetIndex, task, classes, targets, usableRows: usable, categories, featureCount, skipped, warnings };
}

/** Mean and standard deviation of each numeric feature column (training rows only). */
export interface CsvScaling {
  readonly mean: ReadonlyMap<number, number>;
  readonly std: ReadonlyMap<number, number>;
}

/** Computes standardization statistics over the given samples (indices into plan.usableRows). */
export function fitScaling(table: CsvCells, plan: CsvPlan, samples: ArrayLike<number>): CsvScaling {
  const mean = new Map<number, number>();
  const std = new Map<number, number>();
  plan.columns.forEach((col, c) => {
    if (col.role !== 'feature' || col.type !== 'numeric') return;
    const cells = table.cells[c];
    let sum = 0;
    let count = 0;
    for (let k = 0; k < samples.length; k++) {
      const v = cells[plan.usableRows[samples[k]]];
      if (v !== '') {
        sum += Number(v);
        count++;
      }
    }
    const m = count ? sum / count : 0;
    let sq = 0;
    for (let k = 0; k < samples.length; k++) {
      const v = cells[plan.usableRows[samples[k]]];
      if (v !== '') sq += (Number(v) - m) ** 2;
    }
    const s = count > 1 ? Math.sqrt(sq / count) : 0;
    mean.set(c, m);
    // A constant column would divide by zero; it becomes all zeros instead.
    std.set(c, s > 0 ? s : 1);
  });
  return { mean, std };
}

/** Encodes every usable row into a row-major feature matrix. */
export function encodeCsv(table: CsvCells, plan: CsvPlan, scaling: CsvScaling): Float32Array {
  const width = plan.featureCount;
  const rows = plan.usableRows.length;
  const out = new Float32Array(rows * width);
  let offset = 0;
  plan.columns.forEach((col, c) => {
    if (col.role !== 'feature') return;
    const cells = table.cells[c];
    if (col.type === 'numeric') {
      const m = scaling.mean.get(c) as number;
      const s = scaling.std.get(c) as number;
      for (let k = 0; k < rows; k++) {
        const v = cells[plan.usableRows[k]];
        out[k * width + offset] = v === '' ? 0 : (Number(v) - m) / s;
      }
      offset += 1;
    } else {
      const cats = plan.categories.get(c) as readonly string[];
      const index = new Map(cats.map((v, i) => [v, i]));
      for (let k = 0; k < rows; k++) {
        const at = index.get(cells[plan.usableRows[k]]);
        if (at !== undefined) out[k * width + offset + at] = 1;
      }
      offset += cats.length;
    }
  });
  return out;
}
