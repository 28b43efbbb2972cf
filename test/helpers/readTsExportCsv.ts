/**
 * Reads CSV files with a TypeScript export's readTable() (train.ts, csv-parse), for the CSV
 * tokenizing parity test: `node --import tsx readTsExportCsv.ts TRAIN.ts JOBS.json OUT.json`.
 *
 * JOBS.json: [{ name, path }]. Writes per name the header, the rows, the rows' lines and the lines
 * of the rows it skipped, or `error` with the message it throws.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface Table {
  readonly header: readonly string[];
  readonly cells: readonly (readonly string[])[];
  readonly lines: ArrayLike<number>;
  readonly skipped: readonly { readonly path: string }[];
}

const { readTable } = (await import(pathToFileURL(process.argv[2]).href)) as { readTable: (path: string) => Promise<Table> };
const jobs = JSON.parse(readFileSync(process.argv[3], 'utf8')) as { name: string; path: string }[];
const out: Record<string, unknown> = {};
for (const job of jobs) {
  try {
    const t = await readTable(job.path);
    const lines = Array.from(t.lines);
    out[job.name] = {
      header: t.header,
      rows: lines.map((_, r) => t.header.map((_, c) => t.cells[c][r])),
      lines,
      skipped: t.skipped.map((s) => Number(s.path.slice(s.path.lastIndexOf(':') + 1))),
    };
  } catch (e) {
    out[job.name] = { error: (e as Error).message };
  }
}
writeFileSync(process.argv[4], JSON.stringify(out));
