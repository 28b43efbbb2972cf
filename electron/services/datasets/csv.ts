/**
 * CSV datasets: parsing (RFC 4180 quoting, BOM, CRLF, `,` `;` or tab separators), column typing,
 * and encoding into a feature matrix (numeric columns standardized with the training split's
 * statistics, text columns one-hot). Conventions are documented in shared/training/dataset.ts.
 *
 * Files are read in chunks and parsed as they arrive (never the whole text at once), so a large
 * file neither blocks the host's event loop nor holds its text and its cells in memory together.
 * Whatever does not read cleanly is reported with its line: rows with the wrong number of fields
 * and empty or non-finite targets are skipped and listed; a quote that is never closed, or bytes
 * that are not UTF-8, refuse the file with the line (and byte offset) to fix.
 */
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import {
  MAX_CATEGORIES,
  MAX_INTEGER_CLASSES,
  csvCellKind,
  isDecimalCommaColumn,
  type CsvColumnInfo,
  type DatasetTask,
  type ScanProgress,
  type SkippedFile,
} from '../../../shared/training/dataset.js';
import { compareCodePoints } from '../../../shared/training/split.js';

/** A CSV file that cannot be used; the message says why and what to do. */
export class CsvError extends Error {}

/** Parsed CSV text, column by column (one string array per column: far less memory than rows). */
export interface CsvTable {
  readonly header: readonly string[];
  /** `cells[c][r]`: column `c` of data row `r`; rows have exactly `header.length` fields. */
  readonly cells: readonly string[][];
  readonly rowCount: number;
  /** 1-based line number of each row in the file, for messages. */
  readonly lines: Int32Array;
  readonly skipped: readonly SkippedFile[];
  readonly delimiter: string;
  /** Things the parser did that the report should say (a decimal comma read as a point…). */
  readonly notes: readonly string[];
}

function detectDelimiter(firstLine: string): string {
  const counts = [',', ';', '\t'].map((d) => [d, firstLine.split(d).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0][1] > 0 ? counts[0][0] : ',';
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Grows an Int32Array by doubling. */
class IntList {
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
 * An incremental CSV parser: feed it text in pieces of any size (a quoted field may span pieces),
 * then call {@link CsvParser.end}. Cells are cut from the input with `slice`, not built a
 * character at a time.
 */
export class CsvParser {
  private delimiter = -1;
  private head = '';
  private header: string[] | null = null;
  private columns: string[][] = [];
  private readonly lines = new IntList();
  private readonly skipped: SkippedFile[] = [];
  private record: string[] = [];
  /** Text of the current cell from earlier pieces (or unescaped quoted parts). */
  private cell = '';
  private quoted = false;
  /** In a quoted field, the previous piece ended with a quote: `""` or the closing quote. */
  private quotePending = false;
  private crPending = false;
  private line = 1;
  private recordLine = 1;
  private quoteLine = 0;
  private started = false;
  private rows = 0;

  constructor(private readonly name: string) {}

  /** Parses the next piece of text. */
  push(text: string): void {
    if (!this.started) {
      if (text.length === 0) return;
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.delimiter < 0) {
      // The delimiter is read off the first line: wait until it is complete.
      this.head += text;
      const end = this.head.search(/\r|\n/);
      if (end < 0) return;
      this.delimiter = detectDelimiter(this.head.slice(0, end)).charCodeAt(0);
      text = this.head;
      this.head = '';
    }
    this.scan(text);
  }

  private scan(text: string): void {
    const n = text.length;
    const d = this.delimiter;
    let i = 0;
    let start = 0;
    if (this.crPending) {
      this.crPending = false;
      if (text.charCodeAt(0) === LF) {
        i = 1;
        start = 1;
      }
    }
    if (this.quotePending) {
      this.quotePending = false;
      if (text.charCodeAt(0) === QUOTE) {
        this.cell += '"';
        i = 1;
        start = 1;
      } else this.quoted = false;
    }
    while (i < n) {
      const ch = text.charCodeAt(i);
      if (this.quoted) {
        if (ch === QUOTE) {
          this.cell += text.slice(start, i);
          if (i + 1 === n) {
            this.quotePending = true;
            return;
          }
          if (text.charCodeAt(i + 1) === QUOTE) {
            this.cell += '"';
            i += 2;
            start = i;
            continue;
          }
          this.quoted = false;
          i++;
          start = i;
          continue;
        }
        if (ch === LF) this.line++;
        i++;
        continue;
      }
      if (ch === QUOTE) {
        const before = this.cell + text.slice(start, i);
        if (before.trim() === '') {
          this.quoted = true;
          this.quoteLine = this.line;
          this.cell = '';
          i++;
          start = i;
          continue;
        }
        i++;
        continue;
      }
      if (ch === d) {
        this.record.push(this.cell + text.slice(start, i));
        this.cell = '';
        i++;
        start = i;
        continue;
      }
      if (ch === LF || ch === CR) {
        this.record.push(this.cell + text.slice(start, i));
        this.cell = '';
        this.endRecord();
        if (ch === CR) {
          if (i + 1 === n) this.crPending = true;
          else if (text.charCodeAt(i + 1) === LF) i++;
        }
        i++;
        start = i;
        this.line++;
        this.recordLine = this.line;
        continue;
      }
      i++;
    }
    if (start < n) this.cell += text.slice(start, n);
  }

  private endRecord(): void {
    const cells = this.record;
    this.record = [];
    if (cells.length === 1 && cells[0].trim() === '') return;
    if (this.header === null) {
      this.header = cells.map((h) => h.trim());
      this.columns = this.header.map(() => []);
      return;
    }
    if (cells.length !== this.header.length) {
      this.skipped.push({
        path: `${this.name}:${this.recordLine}`,
        code: 'invalid',
        reason: `line ${this.recordLine} has ${cells.length} field${cells.length === 1 ? '' : 's'}, the header has ${this.header.length}`,
      });
      return;
    }
    for (let c = 0; c < cells.length; c++) this.columns[c].push(cells[c].trim());
    this.lines.push(this.recordLine);
    this.rows++;
  }

  /** Finishes parsing; throws CsvError for a file that cannot be read as a table. */
  end(): CsvTable {
    if (this.delimiter < 0 && this.head !== '') {
      this.delimiter = detectDelimiter(this.head).charCodeAt(0);
      const text = this.head;
      this.head = '';
      this.scan(text);
    }
    if (this.quotePending) {
      this.quotePending = false;
      this.quoted = false;
    }
    if (this.quoted) {
      const lines = this.line - this.quoteLine + 1;
      throw new CsvError(
        `${this.name}: the quoted field that starts on line ${this.quoteLine} is never closed, so ` +
          (lines > 1 ? `lines ${this.quoteLine} to ${this.line} (the rest of the file) would be read as one cell` : `the rest of line ${this.quoteLine} would be read as one cell`) +
          `. Close the quote, or remove it (a quote inside a quoted field is written "").`,
      );
    }
    if (this.cell !== '' || this.record.length) {
      this.record.push(this.cell);
      this.cell = '';
      this.endRecord();
    }
    if (this.header === null) throw new CsvError(`${this.name} is empty. A CSV dataset needs a header row and data rows.`);
    const header = this.header;
    const seen = new Set<string>();
    header.forEach((h, idx) => {
      if (h === '') throw new CsvError(`${this.name}: column ${idx + 1} of the header row has no name. Give every column a name in the first row.`);
      if (seen.has(h)) throw new CsvError(`${this.name}: the header names column "${h}" twice. Column names must be unique.`);
      seen.add(h);
    });
    const delimiter = String.fromCharCode(this.delimiter < 0 ? 0x2c : this.delimiter);
    const notes: string[] = [];
    if (delimiter === ';') {
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
    return { header, cells: this.columns, rowCount: this.rows, lines: this.lines.toArray(), skipped: this.skipped, delimiter, notes };
  }
}

/** Parses CSV text held in memory. `name` is used in skipped-row paths (`data.csv:12`). */
export function parseCsv(text: string, name: string): CsvTable {
  const parser = new CsvParser(name);
  parser.push(text);
  return parser.end();
}

/** Where the first byte that is not UTF-8 is, counting from the start of the file. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return i;
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Options of {@link readCsvFile}. */
export interface ReadCsvOptions {
  readonly onProgress?: (p: ScanProgress) => void;
  readonly signal?: AbortSignal;
  /** Longest wait for one read before the file is given up on (default 30 s). */
  readonly readTimeoutMs?: number;
  /** Bytes per read (default 1 MiB). */
  readonly chunkBytes?: number;
}

/** A stalled or cancelled read. */
export class CsvReadError extends CsvError {}

function withTimeout<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new CsvReadError(what())), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** What a path is, in words, for a file that is not a regular one. */
export function fileTypeName(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a named pipe (FIFO)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Reads and parses a CSV file in chunks. Refuses anything but a regular file before reading it
 * (the file is opened non-blocking and checked with fstat, so a named pipe cannot hang the read),
 * checks the bytes are UTF-8 exactly, and gives up on a read that stalls.
 */
export async function readCsvFile(path: string, name: string, options: ReadCsvOptions = {}): Promise<CsvTable> {
  const timeoutMs = options.readTimeoutMs ?? 30_000;
  const handle = await withTimeout(open(path, constants.O_RDONLY | constants.O_NONBLOCK), timeoutMs, () => `Opening ${name} took over ${timeoutMs / 1000} s; is it on a drive that stopped answering?`);
  let stalled = false;
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw new CsvError(`${name} is ${fileTypeName(s)}, not a regular file. Choose a CSV file saved on disk.`);
    const parser = new CsvParser(name);
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const size = s.size;
    const buffer = Buffer.allocUnsafe(options.chunkBytes ?? 1 << 20);
    let offset = 0;
    let lastTick = 0;
    const started = Date.now();
    for (;;) {
      if (options.signal?.aborted) throw new CsvReadError(`Reading ${name} was cancelled.`);
      const { bytesRead } = await withTimeout(handle.read(buffer, 0, buffer.length, offset), timeoutMs, () => {
        stalled = true;
        return `Reading ${name} stalled for over ${timeoutMs / 1000} s at byte ${offset}; is it on a drive that stopped answering?`;
      });
      const bytes = buffer.subarray(0, bytesRead);
      let text: string;
      try {
        text = decoder.decode(bytes, { stream: bytesRead > 0 });
      } catch {
        throw new CsvError(await describeBadUtf8(path, name));
      }
      parser.push(text);
      if (bytesRead === 0) break;
      offset += bytesRead;
      const now = Date.now();
      if (options.onProgress && now - lastTick >= 100) {
        lastTick = now;
        const elapsed = (now - started) / 1000;
        options.onProgress({ phase: 'reading', done: offset, total: size, etaSeconds: offset ? (elapsed / offset) * Math.max(0, size - offset) : null });
      }
    }
    return parser.end();
  } finally {
    // Closing waits for a read in flight: after a stall, let it close whenever that read returns.
    if (stalled) void handle.close().catch(() => undefined);
    else await handle.close();
  }
}

/** Finds the first byte that is not UTF-8 (a second pass, only for a file that has one). */
async function describeBadUtf8(path: string, name: string): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const chunk = 1 << 20;
    const buffer = Buffer.alloc(chunk + 4);
    let offset = 0;
    let line = 1;
    for (;;) {
      // Re-read from a character boundary: step back over a sequence cut by the chunk end.
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) break;
      const bytes = buffer.subarray(0, bytesRead);
      const bad = firstInvalidUtf8(bytes);
      const last = bytesRead < buffer.length;
      if (bad >= 0 && (last || bad < chunk)) {
        for (let k = 0; k < bad; k++) if (bytes[k] === LF) line++;
        const at = offset + bad;
        return (
          `${name} is not UTF-8 text: byte ${at} (0x${bytes[bad].toString(16).toUpperCase().padStart(2, '0')}, on line ${line}) is not valid UTF-8. ` +
          `Save the file as UTF-8 (in Excel: "CSV UTF-8"; in LibreOffice: character set "Unicode (UTF-8)").`
        );
      }
      if (last) break;
      let step = chunk;
      while (step > chunk - 4 && (bytes[step] & 0xc0) === 0x80) step--;
      for (let k = 0; k < step; k++) if (bytes[k] === LF) line++;
      offset += step;
    }
  } finally {
    await handle.close();
  }
  return `${name} is not UTF-8 text. Save the file as UTF-8.`;
}

/** How the table will be used: column roles, the task and the classes. */
export interface CsvPlan {
  readonly columns: readonly CsvColumnInfo[];
  readonly targetIndex: number;
  readonly task: DatasetTask;
  /** Class names in label order (classification). */
  readonly classes: readonly string[];
  /** Per usable row: class index or numeric target. */
  readonly targets: Float32Array;
  /** Row indices (into the table's rows) that have a target value. */
  readonly usableRows: Int32Array;
  /** Categories of one-hot columns, by column index. */
  readonly categories: ReadonlyMap<number, readonly string[]>;
  readonly featureCount: number;
  readonly skipped: readonly SkippedFile[];
  readonly warnings: readonly string[];
}

/** Gives the event loop a turn about every `sliceMs` of work, so a large plan does not stall a host. */
function cooperative(sliceMs = 15): () => Promise<void> {
  let last = performance.now();
  return async () => {
    const now = performance.now();
    if (now - last < sliceMs) return;
    await new Promise<void>((r) => setImmediate(r));
    last = performance.now();
  };
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
export async function planCsv(table: CsvTable, name: string, targetColumn?: string, signal?: AbortSignal): Promise<CsvPlan> {
  const targetIndex = targetColumn === undefined ? table.header.length - 1 : table.header.indexOf(targetColumn);
  if (targetIndex < 0) {
    throw new CsvError(`${name} has no column "${targetColumn}". Columns: ${table.header.join(', ')}. Choose one of them as the target.`);
  }
  if (table.header.length < 2) throw new CsvError(`${name} has only one column; it needs at least one feature column besides the target.`);
  const pause = cooperative();
  const check = async () => {
    await pause();
    if (signal?.aborted) throw new CsvReadError(`Scanning ${name} was cancelled.`);
  };
  const warnings: string[] = [...table.notes];
  const skipped: SkippedFile[] = [];
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
  let task: DatasetTask = 'classification';
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
export function fitScaling(table: CsvTable, plan: CsvPlan, samples: ArrayLike<number>): CsvScaling {
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
export function encodeCsv(table: CsvTable, plan: CsvPlan, scaling: CsvScaling): Float32Array {
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
