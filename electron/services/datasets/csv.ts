/**
 * CSV datasets: reading and parsing (RFC 4180 quoting, BOM, CRLF, `,` `;` or tab separators).
 * Everything after tokenizing (column typing, missing values, standardization, one-hot, label
 * order) is shared/training/csvPrep.ts, which the exports share.
 *
 * Files are read in chunks and parsed as they arrive (never the whole text at once), so a large
 * file neither blocks the host's event loop nor holds its text and its cells in memory together.
 * Whatever does not read cleanly is reported with its line: rows with the wrong number of fields
 * and empty or non-finite targets are skipped and listed; a quote that is never closed, or bytes
 * that are not UTF-8, refuse the file with the line (and byte offset) to fix.
 */
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import type { ScanProgress, SkippedFile } from '../../../shared/training/dataset.js';
import { CsvError, IntList, isDecimalCommaColumn, planCsv as planCsvCells, type CsvPlan } from '../../../shared/training/csvPrep.js';

export { CsvError, type CsvPlan } from '../../../shared/training/csvPrep.js';

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

/**
 * Decides column types and roles and extracts the target (csvPrep.ts's planCsv), giving the event
 * loop turns on a large file and stopping when `signal` is aborted.
 */
export function planCsv(table: CsvTable, name: string, targetColumn?: string, signal?: AbortSignal): Promise<CsvPlan> {
  const turn = cooperative();
  return planCsvCells(table, name, targetColumn, async () => {
    await turn();
    if (signal?.aborted) throw new CsvReadError(`Scanning ${name} was cancelled.`);
  });
}
