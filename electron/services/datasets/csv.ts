/**
 * CSV datasets: reading and tokenizing. The tokenizer is csv-parse, with the dialect the exports
 * share (shared/training/csvPrep.ts CSV_DIALECT: `,` `;` or tab read off the first line, RFC 4180
 * quotes, any line break); everything after tokenizing (the header, ragged rows, column typing,
 * missing values, standardization, one-hot, label order) is shared/training/csvPrep.ts too.
 *
 * Files are read in chunks and tokenized as they arrive (never the whole text at once), so a large
 * file neither blocks the host's event loop nor holds its text and its cells in memory together.
 * Whatever does not read cleanly is reported with its line: rows with the wrong number of fields
 * and empty or non-finite targets are skipped and listed; a quote that is never closed, or bytes
 * that are not UTF-8, refuse the file with the line (and byte offset) to fix.
 */
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { Parser } from 'csv-parse';
import type { ScanProgress } from '../../../shared/training/dataset.js';
import { CsvError, CsvTableBuilder, csvDelimiter, csvParseOptions, planCsv as planCsvCells, type CsvPlan, type CsvTable } from '../../../shared/training/csvPrep.js';

export { CsvError, type CsvPlan, type CsvTable } from '../../../shared/training/csvPrep.js';

const LF = 0x0a;
/** Characters csv-parse tokenizes in one go (about 10 ms of work) before the event loop gets a turn. */
const WRITE_SLICE = 1 << 16;

/**
 * Streaming CSV reader: feed it text in pieces of any size (a quoted field, a CRLF or the first
 * line may span pieces), then call {@link CsvReader.end}. Records go straight from csv-parse into
 * the column builder, so only the cells are kept.
 */
export class CsvReader {
  private head: string | null = '';
  private parser: Parser | null = null;
  private builder: CsvTableBuilder | null = null;
  private failure: unknown = null;

  constructor(private readonly name: string) {}

  /** Tokenizes the next piece of text. */
  async push(text: string): Promise<void> {
    if (this.head !== null) {
      // The delimiter is read off the first line: wait until it is complete.
      this.head += text;
      if (this.head.charCodeAt(0) === 0xfeff) this.head = this.head.slice(1);
      const end = this.head.search(/\r|\n/);
      if (end < 0) return;
      text = this.head;
      this.start(text.slice(0, end));
    }
    await this.write(text);
  }

  private start(firstLine: string): void {
    const delimiter = csvDelimiter(firstLine);
    const builder = new CsvTableBuilder(this.name, delimiter);
    this.builder = builder;
    this.head = null;
    // Each record is handed to the builder and dropped (on_record returning null emits nothing).
    this.parser = new Parser({
      ...csvParseOptions(delimiter),
      on_record: (record: string[]) => {
        builder.add(record);
        return null;
      },
    });
    this.parser.on('error', (e) => {
      this.failure ??= e;
    });
  }

  private async write(text: string): Promise<void> {
    const parser = this.parser as Parser;
    // In slices, with a turn for the event loop after each: csv-parse tokenizes synchronously.
    for (let i = 0; i < text.length; i += WRITE_SLICE) {
      const slice = i === 0 && text.length <= WRITE_SLICE ? text : text.slice(i, i + WRITE_SLICE);
      await new Promise<void>((resolve) => parser.write(slice, () => resolve()));
      this.check();
      if (i + WRITE_SLICE < text.length) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private check(): void {
    if (this.failure === null) return;
    const e = this.failure as { code?: string; message: string };
    throw e instanceof CsvError ? e : (this.builder as CsvTableBuilder).parseError(e);
  }

  /** Finishes reading; throws CsvError for a file that cannot be read as a table. */
  async end(): Promise<CsvTable> {
    if (this.head !== null) {
      if (this.head === '') throw new CsvError(`${this.name} is empty. A CSV dataset needs a header row and data rows.`);
      const text = this.head;
      this.start(text);
      await this.write(text);
    }
    const parser = this.parser as Parser;
    parser.end();
    parser.resume();
    try {
      await finished(parser);
    } catch (e) {
      this.failure ??= e;
    }
    this.check();
    return (this.builder as CsvTableBuilder).finish();
  }
}

/** Parses CSV text held in memory. `name` is used in skipped-row paths (`data.csv:12`). */
export async function parseCsv(text: string, name: string): Promise<CsvTable> {
  const reader = new CsvReader(name);
  await reader.push(text);
  return reader.end();
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
    const reader = new CsvReader(name);
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
      await reader.push(text);
      if (bytesRead === 0) break;
      offset += bytesRead;
      const now = Date.now();
      if (options.onProgress && now - lastTick >= 100) {
        lastTick = now;
        const elapsed = (now - started) / 1000;
        options.onProgress({ phase: 'reading', done: offset, total: size, etaSeconds: offset ? (elapsed / offset) * Math.max(0, size - offset) : null });
      }
    }
    return await reader.end();
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
