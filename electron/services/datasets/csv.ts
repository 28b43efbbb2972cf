/**
 * CSV datasets: parsing (RFC 4180 quoting, BOM, CRLF, `,` `;` or tab separators), column typing,
 * and encoding into a feature matrix (numeric columns standardized with the training split's
 * statistics, text columns one-hot). Conventions are documented in shared/training/dataset.ts.
 */
import { MAX_CATEGORIES, MAX_INTEGER_CLASSES, type CsvColumnInfo, type DatasetTask, type SkippedFile } from '../../../shared/training/dataset.js';

/** A CSV file that cannot be used; the message says why and what to do. */
export class CsvError extends Error {}

/** Parsed CSV text. */
export interface CsvTable {
  readonly header: readonly string[];
  /** Data rows with exactly `header.length` cells. */
  readonly rows: readonly (readonly string[])[];
  /** 1-based line number of each row in the file, for messages. */
  readonly lines: readonly number[];
  readonly skipped: readonly SkippedFile[];
  readonly delimiter: string;
}

function detectDelimiter(firstLine: string): string {
  const counts = [',', ';', '\t'].map((d) => [d, firstLine.split(d).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0][1] > 0 ? counts[0][0] : ',';
}

/** Parses CSV text. `name` is used in skipped-row paths (`data.csv:12`). */
export function parseCsv(text: string, name: string): CsvTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const firstLineEnd = text.search(/\r?\n/);
  const delimiter = detectDelimiter(firstLineEnd < 0 ? text : text.slice(0, firstLineEnd));
  const records: { cells: string[]; line: number }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const n = text.length;
  const endRecord = () => {
    cells.push(cell);
    cell = '';
    if (!(cells.length === 1 && cells[0].trim() === '')) records.push({ cells, line: recordLine });
    cells = [];
  };
  while (i < n) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      if (ch === '\n') line++;
      cell += ch;
      i++;
      continue;
    }
    if (ch === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
      i++;
    } else if (ch === delimiter) {
      cells.push(cell);
      cell = '';
      i++;
    } else if (ch === '\n' || ch === '\r') {
      endRecord();
      if (ch === '\r' && text[i + 1] === '\n') i++;
      i++;
      line++;
      recordLine = line;
    } else {
      cell += ch;
      i++;
    }
  }
  if (cell !== '' || cells.length) endRecord();
  if (records.length === 0) throw new CsvError(`${name} is empty. A CSV dataset needs a header row and data rows.`);
  const header = records[0].cells.map((h) => h.trim());
  const seen = new Set<string>();
  header.forEach((h, idx) => {
    if (h === '') throw new CsvError(`${name}: column ${idx + 1} of the header row has no name. Give every column a name in the first row.`);
    if (seen.has(h)) throw new CsvError(`${name}: the header names column "${h}" twice. Column names must be unique.`);
    seen.add(h);
  });
  const rows: string[][] = [];
  const lines: number[] = [];
  const skipped: SkippedFile[] = [];
  for (const r of records.slice(1)) {
    if (r.cells.length !== header.length) {
      skipped.push({ path: `${name}:${r.line}`, code: 'invalid', reason: `line ${r.line} has ${r.cells.length} fields, the header has ${header.length}` });
      continue;
    }
    rows.push(r.cells.map((c) => c.trim()));
    lines.push(r.line);
  }
  return { header, rows, lines, skipped, delimiter };
}

function isNumber(s: string): boolean {
  return s !== '' && Number.isFinite(Number(s));
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
  /** Row indices (into table.rows) that have a target value. */
  readonly usableRows: Int32Array;
  /** Categories of one-hot columns, by column index. */
  readonly categories: ReadonlyMap<number, readonly string[]>;
  readonly featureCount: number;
  readonly skipped: readonly SkippedFile[];
  readonly warnings: readonly string[];
}

/** Decides column types and roles and extracts the target. */
export function planCsv(table: CsvTable, name: string, targetColumn?: string): CsvPlan {
  const targetIndex = targetColumn === undefined ? table.header.length - 1 : table.header.indexOf(targetColumn);
  if (targetIndex < 0) {
    throw new CsvError(`${name} has no column "${targetColumn}". Columns: ${table.header.join(', ')}. Choose one of them as the target.`);
  }
  if (table.header.length < 2) throw new CsvError(`${name} has only one column; it needs at least one feature column besides the target.`);
  const warnings: string[] = [];
  const skipped: SkippedFile[] = [];
  const usable: number[] = [];
  table.rows.forEach((r, i) => {
    if (r[targetIndex] === '') skipped.push({ path: `${name}:${table.lines[i]}`, code: 'invalid', reason: `line ${table.lines[i]} has no value in the target column "${table.header[targetIndex]}"` });
    else usable.push(i);
  });
  if (usable.length === 0) throw new CsvError(`${name} has no row with a value in the target column "${table.header[targetIndex]}".`);

  const columns: CsvColumnInfo[] = [];
  const categories = new Map<number, string[]>();
  let featureCount = 0;
  let task: DatasetTask = 'classification';
  let classes: string[] = [];
  const targets = new Float32Array(usable.length);
  table.header.forEach((col, c) => {
    let missing = 0;
    let numeric = true;
    const distinct = new Set<string>();
    for (const r of usable) {
      const v = table.rows[r][c];
      if (v === '') missing++;
      else {
        if (numeric && !isNumber(v)) numeric = false;
        if (distinct.size <= Math.max(MAX_CATEGORIES, 100_000)) distinct.add(v);
      }
    }
    if (c === targetIndex) {
      const values = [...distinct];
      const integers = numeric && values.every((v) => Number.isInteger(Number(v)));
      if (numeric && !(integers && values.length <= MAX_INTEGER_CLASSES)) {
        task = 'regression';
        usable.forEach((r, k) => (targets[k] = Number(table.rows[r][c])));
      } else {
        classes = numeric ? values.sort((a, b) => Number(a) - Number(b)) : values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const index = new Map(classes.map((v, k) => [v, k]));
        usable.forEach((r, k) => (targets[k] = index.get(table.rows[r][c]) as number));
      }
      columns.push({ name: col, type: numeric ? 'numeric' : 'categorical', distinct: distinct.size, missing: 0, role: 'target', width: 0 });
      return;
    }
    if (numeric) {
      if (missing === usable.length) {
        columns.push({ name: col, type: 'numeric', distinct: 0, missing, role: 'rejected', width: 0, reason: 'every cell is empty' });
        warnings.push(`Column "${col}" is empty in every row; it is left out.`);
        return;
      }
      if (missing) warnings.push(`Column "${col}" has ${missing} empty cell${missing > 1 ? 's' : ''}; they are filled with the column's mean.`);
      columns.push({ name: col, type: 'numeric', distinct: distinct.size, missing, role: 'feature', width: 1 });
      featureCount += 1;
      return;
    }
    if (missing) distinct.add('');
    if (distinct.size > MAX_CATEGORIES) {
      const reason = `${distinct.size > 100_000 ? 'over 100,000' : distinct.size} distinct text values; one-hot encoding takes at most ${MAX_CATEGORIES}`;
      columns.push({ name: col, type: 'categorical', distinct: distinct.size, missing, role: 'rejected', width: 0, reason });
      warnings.push(`Column "${col}" is left out: it has ${reason}. If it is a number with stray text, clean those cells; if it is an id or free text, remove the column.`);
      return;
    }
    const cats = [...distinct].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    categories.set(c, cats);
    columns.push({ name: col, type: 'categorical', distinct: distinct.size, missing, role: 'feature', width: cats.length });
    featureCount += cats.length;
  });
  if (featureCount === 0) throw new CsvError(`${name}: no usable feature column is left besides the target "${table.header[targetIndex]}".`);
  return { columns, targetIndex, task, classes, targets, usableRows: Int32Array.from(usable), categories, featureCount, skipped, warnings };
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
    let sum = 0;
    let count = 0;
    for (let k = 0; k < samples.length; k++) {
      const v = table.rows[plan.usableRows[samples[k]]][c];
      if (v !== '') {
        sum += Number(v);
        count++;
      }
    }
    const m = count ? sum / count : 0;
    let sq = 0;
    for (let k = 0; k < samples.length; k++) {
      const v = table.rows[plan.usableRows[samples[k]]][c];
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
  const out = new Float32Array(plan.usableRows.length * plan.featureCount);
  for (let k = 0; k < plan.usableRows.length; k++) {
    const row = table.rows[plan.usableRows[k]];
    let o = k * plan.featureCount;
    plan.columns.forEach((col, c) => {
      if (col.role !== 'feature') return;
      if (col.type === 'numeric') {
        const v = row[c];
        out[o++] = v === '' ? 0 : (Number(v) - (scaling.mean.get(c) as number)) / (scaling.std.get(c) as number);
      } else {
        const cats = plan.categories.get(c) as readonly string[];
        const at = cats.indexOf(row[c]);
        if (at >= 0) out[o + at] = 1;
        o += cats.length;
      }
    });
  }
  return out;
}
