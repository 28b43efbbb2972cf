/**
 * Datasets: point at a folder (or a CSV file), find out what it is, and report it — classes,
 * counts, imbalance, every skipped file with its reason. A bad file is reported, never fatal and
 * never silently dropped; only a dataset with nothing usable is an error (DatasetError).
 *
 * Kinds: `images` (one sub-folder per class; png/jpg/jpeg/webp/gif/bmp/tiff), `text` (one
 * sub-folder per class of .txt files), `csv` (a header row; one column is the target).
 * Preparing data for training (split, decoding, batches) lives in datasets/pipeline.ts.
 */
import type { Dirent, Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { ProjectPathError, resolveProjectPath } from '../../shared/graph/projectPaths.js';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import {
  IMAGE_EXTENSIONS,
  imbalanceWarnings,
  TEXT_EXTENSIONS,
  type DatasetClass,
  type DatasetReport,
  type DatasetSample,
  type DatasetTask,
  type ScanProgress,
  type SkippedFile,
} from '../../shared/training/dataset.js';
import type { DatasetKind } from '../../shared/training/settings.js';
import { tokenize } from '../../shared/training/tokenizer.js';
import { compareCodePoints } from '../../shared/training/split.js';
import { CsvError, fileTypeName, planCsv, readCsvFile, type CsvPlan, type CsvTable } from './datasets/csv.js';
import type { ScanWorkerMessage } from './datasets/scanWorker.js';
import { decoderMessage, ImageFileError, imageHeader, imageHeaderAlone, isImageFile, mapLimit, readImageFile, thumbnail } from './datasets/images.js';

/** A dataset that cannot be used at all; the message names the problem and the fix. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

/** Options of a scan. */
export interface ScanOptions {
  /** Force a kind instead of detecting it. */
  readonly kind?: DatasetKind;
  /** CSV: the column to predict (default: the last one). */
  readonly targetColumn?: string;
  /** Thumbnails/previews per class in the report (default 2; 0 for none). */
  readonly samplesPerClass?: number;
  /** Called at most every ~100 ms during long scans. */
  readonly onProgress?: (p: ScanProgress) => void;
  /** Files checked at once (default 16). */
  readonly concurrency?: number;
  /** Cancels the scan (it then rejects with a DatasetError saying so). */
  readonly signal?: AbortSignal;
}

/** An image folder's usable files. */
export interface ImageSource {
  readonly kind: 'images';
  readonly root: string;
  readonly classes: readonly string[];
  /** Absolute paths. */
  readonly files: readonly string[];
  readonly labels: Int32Array;
}

/** A text folder's usable documents, tokenized. */
export interface TextSource {
  readonly kind: 'text';
  readonly root: string;
  readonly classes: readonly string[];
  readonly files: readonly string[];
  readonly tokens: readonly (readonly string[])[];
  readonly labels: Int32Array;
}

/** A parsed CSV file and how its columns are used. */
export interface CsvSource {
  readonly kind: 'csv';
  readonly file: string;
  readonly table: CsvTable;
  readonly plan: CsvPlan;
}

/** A scan's report plus the samples it found, for the training pipeline. */
export interface ScannedDataset {
  readonly report: DatasetReport;
  readonly source: ImageSource | TextSource | CsvSource;
}

/**
 * Resolves a dataset path as the project stores it, by the one rule of shared/graph/projectPaths.ts
 * (relative to the project file's folder; a relative path in an unsaved project is an error).
 */
export function resolveDatasetPath(path: string, projectPath: string | null | undefined): string {
  try {
    return resolve(resolveProjectPath(path, projectPath ? resolve(projectPath) : null));
  } catch (e) {
    if (e instanceof ProjectPathError) throw new DatasetError(e.message);
    throw e;
  }
}

/**
 * The editor API's `scanDataset`: `{ path, projectPath }` → report. Also accepts `targetColumn` and
 * `kind`. The scan runs in a worker thread (see {@link scanDatasetInWorker}) so a large dataset
 * does not stall the host.
 */
export async function scanDataset(
  request: { readonly path: string; readonly projectPath?: string | null; readonly targetColumn?: string; readonly kind?: DatasetKind },
  options: Omit<ScanOptions, 'kind' | 'targetColumn'> = {},
): Promise<DatasetReport> {
  const path = resolveDatasetPath(request.path, request.projectPath ?? null);
  return scanDatasetInWorker(path, { ...options, kind: request.kind, targetColumn: request.targetColumn });
}

/** The flag in workerData that marks a scan worker thread. */
export const SCAN_WORKER_FLAG = 'layerloomDatasetScan';

const here = fileURLToPath(import.meta.url);
const scanWorkerEntry = join(dirname(here), 'datasets', here.endsWith('.ts') ? 'scanWorker.ts' : 'scanWorker.js');

/**
 * Scans a dataset in a worker thread and returns its report: parsing and garbage collection happen
 * on the worker's heap, so the calling thread's event loop keeps answering. Progress arrives
 * through `onProgress`; aborting `signal` stops the worker at once.
 */
export function scanDatasetInWorker(path: string, options: ScanOptions = {}): Promise<DatasetReport> {
  const { onProgress, signal, ...rest } = options;
  if (signal?.aborted) return Promise.reject(new DatasetError(`Scanning ${path} was cancelled.`));
  const entryUrl = pathToFileURL(scanWorkerEntry).href;
  // A worker thread does not inherit a source checkout's TypeScript loader: register tsx first.
  const code = scanWorkerEntry.endsWith('.ts')
    ? `import(${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve('tsx/package.json').replace(/package\.json$/, 'dist/esm/api/index.mjs')).href)}).then((m) => m.register()).then(() => import(${JSON.stringify(entryUrl)}))`
    : `import(${JSON.stringify(entryUrl)})`;
  return new Promise<DatasetReport>((resolvePromise, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { [SCAN_WORKER_FLAG]: true, path, options: rest }, stdout: true });
    worker.stdout.resume();
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = () => finish(() => reject(new DatasetError(`Scanning ${path} was cancelled.`)));
    signal?.addEventListener('abort', onAbort, { once: true });
    let heard = false;
    worker.on('message', (m: ScanWorkerMessage) => {
      heard = true;
      if (m.kind === 'progress') onProgress?.(m.progress);
      else if (m.kind === 'done') finish(() => resolvePromise(m.report));
      else finish(() => reject(m.dataset ? new DatasetError(m.message) : new Error(m.message)));
    });
    worker.on('error', (e) => {
      // A worker that could not even start (a packaging that cannot load it): scan here instead,
      // cooperatively, rather than fail.
      if (!heard && !settled) {
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        scanDatasetPath(path, options).then((r) => resolvePromise(r.report), reject);
        return;
      }
      finish(() => reject(e));
    });
    worker.on('exit', (code) => finish(() => reject(new Error(`The dataset scan stopped unexpectedly (exit code ${code}).`))));
  });
}

class Progress {
  private last = 0;
  private readonly start = Date.now();
  constructor(private readonly fn: ((p: ScanProgress) => void) | undefined) {}
  tick(phase: ScanProgress['phase'], done: number, total: number | null, force = false): void {
    if (!this.fn) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const elapsed = (now - this.start) / 1000;
    const etaSeconds = total && done > 0 ? (elapsed / done) * (total - done) : null;
    this.fn({ phase, done, total, etaSeconds });
  }
}

// Python's sorted() order, which model.py's loaders use: the same files in the same order.
const byCodePoint = compareCodePoints;

interface Listing {
  classes: string[];
  /** Files per class (absolute), in sorted order. */
  perClass: string[][];
  skipped: SkippedFile[];
  warnings: string[];
}

/** What a directory entry is, following a symbolic link (`broken`: a link to nothing). */
async function entryKind(full: string, e: Dirent): Promise<{ kind: 'dir' | 'file' | 'other' | 'broken'; stats?: Stats; error?: string }> {
  if (e.isDirectory()) return { kind: 'dir' };
  if (e.isFile()) return { kind: 'file' };
  if (!e.isSymbolicLink()) return { kind: 'other', stats: await lstat(full) };
  try {
    const s = await stat(full);
    return { kind: s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other', stats: s };
  } catch (err) {
    return { kind: 'broken', error: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
}

/**
 * Lists class sub-folders and their files (recursively), sorting everything for determinism.
 * Symbolic links to folders are followed; a link back into a folder being walked is reported and
 * not followed again. Anything but a regular file (a named pipe, a socket, a device) is skipped
 * before it is opened, so it cannot hang a read.
 */
async function listClassFolders(root: string, accept: (name: string) => boolean, what: string, progress: Progress): Promise<Listing> {
  const entries = (await readdir(root, { withFileTypes: true })).sort((a, b) => byCodePoint(a.name, b.name));
  const skipped: SkippedFile[] = [];
  const warnings: string[] = [];
  const classes: string[] = [];
  for (const e of entries) {
    const full = join(root, e.name);
    const k = await entryKind(full, e);
    if (k.kind === 'dir') {
      if (e.name.startsWith('.')) warnings.push(`Hidden folder "${e.name}" is not read as a class.`);
      else classes.push(e.name);
    } else if (k.kind === 'broken') skipped.push({ path: e.name, code: 'unreadable', reason: `symbolic link to something that cannot be opened (${k.error})` });
    else skipped.push({ path: e.name, code: 'unsupported', reason: `not inside a class folder (put each ${what} in a sub-folder named after its class)` });
  }
  const perClass: string[][] = [];
  let listed = 0;
  const walk = async (dir: string, out: string[], ancestors: ReadonlyMap<string, string>): Promise<void> => {
    let items;
    let real: string;
    try {
      real = await realpath(dir);
      items = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      skipped.push({ path: relative(root, dir), code: 'unreadable', reason: `folder cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
      return;
    }
    const seen = ancestors.get(real);
    if (seen !== undefined) {
      skipped.push({ path: relative(root, dir), code: 'invalid', reason: `symbolic link loop: leads back to ${seen || 'the dataset folder'}, which is already being read` });
      return;
    }
    const inside = new Map(ancestors).set(real, relative(root, dir));
    items.sort((a, b) => byCodePoint(a.name, b.name));
    for (const it of items) {
      const full = join(dir, it.name);
      const k = await entryKind(full, it);
      if (k.kind === 'dir') await walk(full, out, inside);
      else if (k.kind === 'broken') skipped.push({ path: relative(root, full), code: 'unreadable', reason: `symbolic link to something that cannot be opened (${k.error})` });
      else if (!accept(it.name)) {
        const ext = extname(it.name).toLowerCase();
        skipped.push({
          path: relative(root, full),
          code: 'unsupported',
          reason: it.name.startsWith('.') ? 'hidden file' : `not ${what === 'image' ? 'an image' : 'a text file'} (${ext || 'no extension'}); readable: ${(what === 'image' ? IMAGE_EXTENSIONS : TEXT_EXTENSIONS).join(' ')}`,
        });
      } else if (k.kind === 'other') {
        skipped.push({ path: relative(root, full), code: 'unreadable', reason: `${fileTypeName(k.stats as Stats)}, not a regular file` });
      } else {
        out.push(full);
        listed++;
        progress.tick('listing', listed, null);
      }
    }
  };
  const rootReal = await realpath(root);
  for (const c of classes) {
    const files: string[] = [];
    await walk(join(root, c), files, new Map([[rootReal, '']]));
    perClass.push(files);
  }
  return { classes, perClass, skipped, warnings };
}

function classReport(task: DatasetTask, classes: DatasetClass[], samples: DatasetSample[], skipped: SkippedFile[], warnings: string[]) {
  const numClasses = classes.length;
  return {
    task,
    classes,
    outputUnits: task === 'regression' ? 1 : numClasses,
    suggestedLoss: task === 'regression' ? ('mean_squared_error' as const) : ('sparse_categorical_crossentropy' as const),
    suggestedActivation: task === 'regression' ? ('linear' as const) : ('softmax' as const),
    samples,
    skipped,
    warnings: [...warnings, ...(task === 'classification' ? imbalanceWarnings(classes) : [])],
  };
}

async function detectKind(path: string): Promise<{ kind: DatasetKind; path: string }> {
  let s;
  try {
    s = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DatasetError(code === 'ENOENT' ? `The dataset ${path} does not exist. Choose a folder of class sub-folders, or a CSV file.` : `Cannot read the dataset ${path} (${code ?? (e as Error).message}).`);
  }
  if (s.isFile()) {
    if (['.csv', '.tsv'].includes(extname(path).toLowerCase())) return { kind: 'csv', path };
    throw new DatasetError(`${path} is a file but not a CSV. Choose a .csv file, or a folder with one sub-folder per class.`);
  }
  if (!s.isDirectory()) throw new DatasetError(`${path} is ${fileTypeName(s)}, not a regular file or a folder. Choose a folder of class sub-folders, or a CSV file saved on disk.`);
  let entries: Dirent[];
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (e) {
    throw new DatasetError(`Cannot read the dataset folder ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Check its permissions.`);
  }
  const kinds = await Promise.all(entries.map(async (e) => ({ e, kind: (await entryKind(join(path, e.name), e)).kind })));
  const dirs = kinds.filter((x) => x.kind === 'dir' && !x.e.name.startsWith('.')).map((x) => x.e);
  const csvs = kinds.filter((x) => x.kind === 'file' && extname(x.e.name).toLowerCase() === '.csv').map((x) => x.e);
  if (dirs.length === 0) {
    if (csvs.length === 1) return { kind: 'csv', path: join(path, csvs[0].name) };
    if (csvs.length > 1) throw new DatasetError(`${path} holds ${csvs.length} CSV files (${csvs.map((c) => c.name).join(', ')}). Choose one of them.`);
    throw new DatasetError(`${path} has no class sub-folders and no CSV file. Put each class's images (or .txt files) in a sub-folder named after the class.`);
  }
  // Peek into the class folders: images or text?
  let images = 0;
  let texts = 0;
  for (const d of dirs.slice(0, 50)) {
    const names = await readdir(join(path, d.name)).catch(() => [] as string[]);
    for (const n of names.slice(0, 50)) {
      if (isImageFile(n)) images++;
      else if ((TEXT_EXTENSIONS as readonly string[]).includes(extname(n).toLowerCase())) texts++;
    }
  }
  if (images === 0 && texts === 0) {
    throw new DatasetError(`The class folders in ${path} hold no images (${IMAGE_EXTENSIONS.join(' ')}) and no .txt files.`);
  }
  return { kind: images >= texts ? 'images' : 'text', path };
}

/** Scans a dataset and returns the report with the usable samples. Throws DatasetError when nothing is usable. */
export async function scanDatasetPath(path: string, options: ScanOptions = {}): Promise<ScannedDataset> {
  const started = Date.now();
  const detected = await detectKind(resolve(path));
  let kind = options.kind ?? detected.kind;
  let target = detected.path;
  if (options.kind === 'csv' && detected.kind !== 'csv') throw new DatasetError(`${path} is not a CSV file.`);
  if (options.kind && options.kind !== 'csv' && detected.kind === 'csv') kind = detected.kind;
  if (kind !== 'csv') target = resolve(path);
  const progress = new Progress(options.onProgress);
  const perClassSamples = options.samplesPerClass ?? 2;
  const seconds = () => (Date.now() - started) / 1000;

  if (kind === 'csv') {
    const name = basename(target);
    let table: CsvTable;
    let plan: CsvPlan;
    try {
      table = await readCsvFile(target, name, { onProgress: options.onProgress, signal: options.signal });
      plan = await planCsv(table, name, options.targetColumn, options.signal);
    } catch (e) {
      if (e instanceof CsvError) throw new DatasetError(e.message);
      const code = (e as NodeJS.ErrnoException).code;
      if (code) throw new DatasetError(`Cannot read ${target} (${code}).`);
      throw e;
    }
    const counts = plan.classes.map(() => 0);
    if (plan.task === 'classification') for (const t of plan.targets) counts[t]++;
    const classes = plan.classes.map((c, i) => ({ name: c, count: counts[i] }));
    const samples: DatasetSample[] = [];
    for (let r = 0; r < Math.min(plan.usableRows.length, perClassSamples ? 5 : 0); r++) {
      const row = plan.usableRows[r];
      samples.push({ label: table.cells[plan.targetIndex][row], text: table.header.map((h, i) => `${h}=${table.cells[i][row]}`).join(', ') });
    }
    const report: DatasetReport = {
      path: target,
      kind: 'csv',
      sampleCount: plan.usableRows.length,
      inputShape: [plan.featureCount],
      ...classReport(plan.task, classes, samples, [...table.skipped, ...plan.skipped], [...plan.warnings]),
      csv: { file: target, rows: table.rowCount, columns: plan.columns, target: table.header[plan.targetIndex], featureCount: plan.featureCount },
      scanSeconds: seconds(),
    };
    if (plan.task === 'classification' && classes.length < 2) {
      (report.warnings as string[]).push(`The target column "${report.csv?.target}" has a single value; a classifier needs at least two classes.`);
    }
    return { report, source: { kind: 'csv', file: target, table, plan } };
  }

  const accept = kind === 'images' ? isImageFile : (n: string) => (TEXT_EXTENSIONS as readonly string[]).includes(extname(n).toLowerCase()) && !n.startsWith('.');
  const listing = await listClassFolders(target, (n) => !n.startsWith('.') && accept(n), kind === 'images' ? 'image' : 'text', progress);
  const all = listing.perClass.flatMap((files, c) => files.map((f) => ({ f, c })));
  const total = all.length;
  const skipped = [...listing.skipped];
  const warnings = [...listing.warnings];
  let checked = 0;
  const concurrency = options.concurrency ?? 16;

  if (kind === 'images') {
    type Checked = { header: { width: number; height: number; channels: number } } | { error: { code: SkippedFile['code']; reason: string } };
    const check = async (f: string, header: (f: string) => Promise<{ width: number; height: number; channels: number }>): Promise<Checked> => {
      try {
        return { header: await header(f) };
      } catch (e) {
        if (e instanceof ImageFileError) return { error: { code: e.code, reason: e.message } };
        return { error: { code: 'corrupt', reason: `corrupt or not really an image: ${decoderMessage(e)}` } };
      }
    };
    const headers = await mapLimit(all, concurrency, async ({ f }) => {
      if (options.signal?.aborted) throw new DatasetError(`Scanning ${target} was cancelled.`);
      try {
        return await check(f, imageHeader);
      } finally {
        progress.tick('checking', ++checked, total);
      }
    });
    // The decoder's error text is shared by every call in flight: re-check each failure alone,
    // so its reason is its own (and a file that only failed for company is kept).
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i];
      if ('error' in h && h.error.code === 'corrupt') headers[i] = await check(all[i].f, imageHeaderAlone);
    }
    const files: string[][] = listing.classes.map(() => []);
    const sizes = new Map<string, number>();
    headers.forEach((h, i) => {
      const { f, c } = all[i];
      if ('error' in h) skipped.push({ path: relative(target, f), code: h.error.code, reason: h.error.reason });
      else {
        files[c].push(f);
        const key = `${h.header.width}x${h.header.height}x${h.header.channels}`;
        sizes.set(key, (sizes.get(key) ?? 0) + 1);
      }
    });
    progress.tick('checking', checked, total, true);
    const kept = keepNonEmpty(listing.classes, files, 'images', warnings);
    if (kept.classes.length === 0) {
      throw new DatasetError(`No usable image in ${target}${skipped.length ? ` (${skipped.length} file(s) skipped: ${skipped.slice(0, 3).map((s) => `${s.path}: ${s.reason}`).join('; ')})` : ''}.`);
    }
    const common = [...sizes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    const [w, h, ch] = common ? common.split('x').map(Number) : [0, 0, 0];
    const samples: DatasetSample[] = [];
    for (let c = 0; c < kept.classes.length && perClassSamples > 0 && c < 20; c++) {
      for (const f of kept.files[c].slice(0, perClassSamples)) {
        samples.push({ label: kept.classes[c], dataUrl: await thumbnail(f).catch(() => undefined) });
      }
    }
    if (sizes.size > 1) warnings.push(`Images come in ${sizes.size} different sizes (most are ${w}×${h}); all are resized to the Input block's size.`);
    const classes = kept.classes.map((name, c) => ({ name, count: kept.files[c].length }));
    if (classes.length === 1) warnings.push(`Only one class folder ("${classes[0].name}") has images; a classifier needs at least two.`);
    const flat = kept.files.flat();
    const labels = Int32Array.from(kept.files.flatMap((fs, c) => fs.map(() => c)));
    const report: DatasetReport = {
      path: target,
      kind: 'images',
      sampleCount: flat.length,
      inputShape: common ? [h, w, ch >= 3 ? 3 : 1] : null,
      ...classReport('classification', classes, samples, skipped, warnings),
      image: { commonSize: common ? { width: w, height: h, channels: ch } : null, distinctSizes: sizes.size },
      scanSeconds: seconds(),
    };
    return { report, source: { kind: 'images', root: target, classes: kept.classes, files: flat, labels } };
  }

  // Text folders.
  const docs = await mapLimit(all, concurrency, async ({ f }) => {
    try {
      const buf = await readImageFile(f);
      if (buf.includes(0)) return { error: { code: 'unsupported' as const, reason: 'binary data in a .txt file (a NUL byte); save it as plain UTF-8 text' } };
      const tokens = tokenize(buf.toString('utf8'));
      if (tokens.length === 0) return { error: { code: 'empty' as const, reason: 'no words in the file' } };
      return { tokens };
    } catch (e) {
      if (e instanceof ImageFileError) return { error: { code: e.code === 'empty' ? ('empty' as const) : ('unreadable' as const), reason: e.code === 'empty' ? 'no words in the file (0 bytes)' : e.message } };
      const err = e as NodeJS.ErrnoException;
      return { error: { code: 'unreadable' as const, reason: `cannot be read (${err.code ?? err.message})` } };
    } finally {
      progress.tick('reading', ++checked, total);
    }
  });
  const files: string[][] = listing.classes.map(() => []);
  const tokensPerClass: (readonly string[])[][] = listing.classes.map(() => []);
  docs.forEach((d, i) => {
    const { f, c } = all[i];
    if ('error' in d && d.error) skipped.push({ path: relative(target, f), code: d.error.code, reason: d.error.reason });
    else if ('tokens' in d && d.tokens) {
      files[c].push(f);
      tokensPerClass[c].push(d.tokens);
    }
  });
  progress.tick('reading', checked, total, true);
  const kept = keepNonEmpty(listing.classes, files, 'text files', warnings);
  if (kept.classes.length === 0) throw new DatasetError(`No usable .txt file in ${target}.`);
  const keptTokens = kept.indices.map((c) => tokensPerClass[c]);
  const allTokens = keptTokens.flat();
  const distinct = new Set<string>();
  let sum = 0;
  let max = 0;
  for (const t of allTokens) {
    sum += t.length;
    if (t.length > max) max = t.length;
    for (const w of t) distinct.add(w);
  }
  const samples: DatasetSample[] = [];
  for (let c = 0; c < kept.classes.length && perClassSamples > 0 && c < 20; c++) {
    for (const t of keptTokens[c].slice(0, perClassSamples)) samples.push({ label: kept.classes[c], text: t.slice(0, 20).join(' ') });
  }
  const classes = kept.classes.map((name, c) => ({ name, count: kept.files[c].length }));
  if (classes.length === 1) warnings.push(`Only one class folder ("${classes[0].name}") has text files; a classifier needs at least two.`);
  const report: DatasetReport = {
    path: target,
    kind: 'text',
    sampleCount: allTokens.length,
    inputShape: [Math.min(Math.max(max, 1), 256)],
    ...classReport('classification', classes, samples, skipped, warnings),
    text: { averageTokens: allTokens.length ? sum / allTokens.length : 0, maxTokens: max, distinctTokens: distinct.size },
    scanSeconds: seconds(),
  };
  return {
    report,
    source: {
      kind: 'text',
      root: target,
      classes: kept.classes,
      files: kept.files.flat(),
      tokens: allTokens,
      labels: Int32Array.from(kept.files.flatMap((fs, c) => fs.map(() => c))),
    },
  };
}

/** Leaves out classes with no usable file, with a warning naming them. */
function keepNonEmpty(classes: readonly string[], files: string[][], what: string, warnings: string[]): { classes: string[]; files: string[][]; indices: number[] } {
  const indices = classes.map((_, i) => i).filter((i) => files[i].length > 0);
  const empty = classes.filter((_, i) => files[i].length === 0);
  if (empty.length) {
    warnings.push(
      `Class folder${empty.length > 1 ? 's' : ''} ${empty.map((e) => `"${e}"`).join(', ')} ha${empty.length > 1 ? 've' : 's'} no usable ${what} and ${empty.length > 1 ? 'are' : 'is'} left out of the classes. ` +
        `Add ${what} to ${empty.length > 1 ? 'them' : 'it'} or remove ${empty.length > 1 ? 'them' : 'it'}.`,
    );
  }
  return { classes: indices.map((i) => classes[i]), files: indices.map((i) => files[i]), indices };
}

export { CsvError };
