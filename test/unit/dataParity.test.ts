/**
 * Data parity: the app's pipeline, the exported Python loader (model.py, run in real Keras) and the
 * exported TypeScript loader (train.ts, run with tsx on tfjs-node) prepare the same tensors from the
 * same dataset: the same validation samples in the same order for a seed, the same values (≤ 1e-6;
 * JPEG ≤ 1/255, decoders differ) and the same token ids. On the bundled digits, iris and text
 * datasets and on fixtures for what those do not exercise (test/fixtures/parity: colour images of
 * other sizes with alpha and JPEG, texts with Unicode capitals and non-ASCII whitespace, a CSV with
 * quoted fields, missing values and a categorical column). Also the tokenizer against Keras
 * TextVectorization itself on tricky strings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProjectDocument } from '../../shared/graph/document.js';
import { generateKerasFiles } from '../../shared/codegen/keras/index.js';
import { generateTs } from '../../shared/codegen/typescript/index.js';
import { tokenize } from '../../shared/training/tokenizer.js';
import { DEFAULT_TRAINING, type DatasetKind } from '../../shared/training/settings.js';
import { scanDatasetPath } from '../../electron/services/datasetService.js';
import { prepareDataset } from '../../electron/services/datasets/pipeline.js';
import { readCsvFile } from '../../electron/services/datasets/csv.js';
import { chain, type Layer } from '../helpers/chainDoc.js';
import { pythonStderr } from '../helpers/pythonLog.js';
import { PYTHON, whyNoKeras } from '../helpers/python.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const assets = join(repo, 'assets/datasets');
const fixtures = join(repo, 'test/fixtures/parity');
const scratch = mkdtempSync(join(tmpdir(), 'layerloom-parity-data-'));

/** A ;-separated file with decimal commas, non-finite cells, a NaN target, a missing target and a short row. */
function messyCsv(): string {
  const rows = ['size;weight;colour;label'];
  for (let i = 0; i < 40; i++) {
    const size = i === 3 ? 'NaN' : i === 7 ? '1e400' : `${i},${i % 4}`;
    const label = i === 11 ? 'nan' : i === 13 ? '' : ['a', 'b', 'c'][i % 3];
    rows.push(`${size};${(i * 0.7).toFixed(1).replace('.', ',')};${['red', 'blue'][i % 2]};${label}`);
  }
  rows.push('1;2;red');
  const path = join(scratch, 'messy.csv');
  writeFileSync(path, rows.join('\n') + '\n');
  return path;
}

interface Case {
  readonly id: string;
  readonly kind: DatasetKind;
  readonly data: string;
  readonly layers: Layer[];
  readonly seed: number;
  readonly validationSplit: number;
}

/** One side's validation samples. */
interface Side {
  readonly files: string[] | null;
  readonly x: number[];
  readonly labels: number[];
}

const image = (shape: number[], classes: number): Layer[] => [
  ['in', 'Input', { shape }],
  ['flat', 'Flatten'],
  ['out', 'Dense', { units: classes, activation: 'softmax' }],
  ['prediction', 'Output'],
];
const text = (length: number, vocabulary: number, classes: number): Layer[] => [
  ['in', 'Input', { shape: [length], dtype: 'int32' }],
  ['emb', 'Embedding', { input_dim: vocabulary, output_dim: 4 }],
  ['flat', 'Flatten'],
  ['out', 'Dense', { units: classes, activation: 'softmax' }],
  ['prediction', 'Output'],
];
const table = (features: number, classes: number): Layer[] => [
  ['in', 'Input', { shape: [features] }],
  ['out', 'Dense', { units: classes, activation: 'softmax' }],
  ['prediction', 'Output'],
];

const cases: Case[] = [
  { id: 'digits', kind: 'images', data: join(assets, 'digits'), layers: image([28, 28, 1], 10), seed: 42, validationSplit: 0.2 },
  { id: 'colour-images', kind: 'images', data: join(fixtures, 'images'), layers: image([16, 20, 3], 2), seed: 1, validationSplit: 0.75 },
  { id: 'grey-from-colour', kind: 'images', data: join(fixtures, 'images'), layers: image([20, 12, 1], 2), seed: 1, validationSplit: 0.75 },
  { id: 'iris', kind: 'csv', data: join(assets, 'iris.csv'), layers: table(4, 3), seed: 42, validationSplit: 0.2 },
  { id: 'mixed-csv', kind: 'csv', data: join(fixtures, 'mixed.csv'), layers: table(18, 3), seed: 5, validationSplit: 0.34 },
  { id: 'messy-csv', kind: 'csv', data: messyCsv(), layers: table(4, 3), seed: 11, validationSplit: 0.25 },
  { id: 'texts', kind: 'text', data: join(assets, 'text'), layers: text(24, 60, 3), seed: 42, validationSplit: 0.2 },
  { id: 'unicode-texts', kind: 'text', data: join(fixtures, 'texts'), layers: text(10, 30, 2), seed: 9, validationSplit: 0.4 },
];

function documentOf(c: Case): ProjectDocument {
  const doc = chain(c.id, c.layers);
  return { ...doc, dataset: { path: c.data, kind: c.kind }, training: { ...DEFAULT_TRAINING, seed: c.seed, validationSplit: c.validationSplit } };
}

/** The app's own pipeline: scan, prepare, the validation batch. */
async function appSide(c: Case): Promise<Side> {
  const scanned = await scanDatasetPath(c.data, { samplesPerClass: 0 });
  const input = c.layers[0][2] as { shape: number[]; dtype?: 'int32' };
  const embedding = c.layers.find((l) => l[1] === 'Embedding')?.[2] as { input_dim: number } | undefined;
  const prepared = await prepareDataset(
    scanned,
    { shape: input.shape, dtype: input.dtype ?? 'float32', ...(embedding ? { vocabularySize: embedding.input_dim } : {}) },
    { validationSplit: c.validationSplit, seed: c.seed },
  );
  const ids = prepared.split.validation;
  const batch = await prepared.batch(ids);
  const source = scanned.source;
  const files = source.kind === 'csv' ? null : Array.from(ids, (i) => relative(c.data, source.files[i]));
  return { files, x: Array.from(batch.x), labels: Array.from(batch.y) };
}

/** Largest |a - b| over the values of files whose name matches `only` (all when null). */
function worst(a: Side, b: Side, perSample: number, only: ((file: string) => boolean) | null): number {
  let max = 0;
  const n = a.x.length / perSample;
  for (let s = 0; s < n; s++) {
    if (only && a.files && !only(a.files[s])) continue;
    for (let k = s * perSample; k < (s + 1) * perSample; k++) max = Math.max(max, Math.abs(a.x[k] - b.x[k]));
  }
  return max;
}

/** Strings where a JS tokenizer is easily unlike Keras's: Unicode case, whitespace, punctuation. */
const TRICKY_TEXTS = [
  'ÉCOLE École Straße STRASSE',
  'a\u00a0b c\u2003d\u3000e\u2028f\u2029g\u0085h\tI\nJ\rK\u000bL\u000cM',
  "Don't-stop! x_y [z] ÀB (a+b)=c #tag @user ~tilde `q` {w} |p| \\s",
  'İstanbul ǅ Ⅻ ﬁ ΣΑΣ',
  '  lead  trail  ',
  '“quoted” — dash… 😀 𝐀𝐁',
  '',
];

const noKeras = whyNoKeras();
const tfjsNode = spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
const noTfjsNode = tfjsNode.status === 0 ? null : `@tensorflow/tfjs-node does not load (npm run native:link builds it)`;
if (noKeras) console.log(`Python side of the data parity tests skipped: ${noKeras}.`);
if (noTfjsNode) console.log(`TypeScript side of the data parity tests skipped: ${noTfjsNode}.`);

describe('data parity: app pipeline, model.py and train.ts', () => {
  const root = mkdtempSync(join(tmpdir(), 'layerloom-parity-'));
  const app = new Map<string, Side>();
  let python: Record<string, Side> = {};
  let kerasTokens: string[][] = [];
  let ts: Record<string, Side> = {};

  beforeAll(async () => {
    symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
    for (const c of cases) {
      const doc = documentOf(c);
      for (const [sub, files] of [
        ['keras', generateKerasFiles(doc)],
        ['ts', generateTs(doc)],
      ] as const) {
        mkdirSync(join(root, c.id, sub), { recursive: true });
        for (const f of files) {
          mkdirSync(dirname(join(root, c.id, sub, f.path)), { recursive: true });
          writeFileSync(join(root, c.id, sub, f.path), f.content);
        }
      }
      app.set(c.id, await appSide(c));
    }
    const jobs = (sub: string) => cases.map((c) => ({ id: c.id, dir: join(root, c.id, sub), kind: c.kind, data: c.data }));
    writeFileSync(join(root, 'keras-jobs.json'), JSON.stringify({ loaders: jobs('keras'), texts: TRICKY_TEXTS }));
    writeFileSync(join(root, 'ts-jobs.json'), JSON.stringify(jobs('ts')));
    if (!noKeras) {
      const r = spawnSync(PYTHON, [join(repo, 'test/python/loadExports.py'), join(root, 'keras-jobs.json'), join(root, 'keras-out.json')], {
        encoding: 'utf8',
        timeout: 300_000,
        env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
      });
      if (r.status !== 0) throw new Error(`model.py loaders failed (exit ${r.status}):\n${pythonStderr(r.stderr).slice(-4000)}`);
      const out = JSON.parse(readFileSync(join(root, 'keras-out.json'), 'utf8')) as Record<string, Side> & { tokens: string[][] };
      kerasTokens = out.tokens;
      python = out;
    }
    if (!noTfjsNode) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'test/helpers/loadTsExport.ts'), join(root, 'ts-jobs.json'), join(root, 'ts-out.json')], {
        cwd: root,
        encoding: 'utf8',
        timeout: 300_000,
      });
      if (r.status !== 0) throw new Error(`train.ts loaders failed (exit ${r.status}):\n${r.stderr.slice(-4000)}`);
      ts = JSON.parse(readFileSync(join(root, 'ts-out.json'), 'utf8')) as Record<string, Side>;
    }
  }, 600_000);

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
    console.log(`Data parity (validation samples; max |export - app| over PNG/CSV values, over JPEG values):\n${report.join('\n')}`);
  });
  const report: string[] = [];

  for (const c of cases) {
    const perSample = c.layers[0][2] ? (c.layers[0][2] as { shape: number[] }).shape.reduce((a, b) => a * b, 1) : 1;
    const jpeg = (f: string) => /\.jpe?g$/i.test(f);
    const tolerance = c.kind === 'text' ? 0 : 1e-6;
    const onlyJpeg = (f: string) => jpeg(f);
    for (const [side, skip] of [
      ['model.py', noKeras],
      ['train.ts', noTfjsNode],
    ] as const) {
      it.skipIf(skip !== null)(`${c.id}: ${side} picks the same validation samples, in the same order, with the same values`, () => {
        const want = app.get(c.id) as Side;
        const got = (side === 'model.py' ? python : ts)[c.id];
        expect(want.labels.length).toBeGreaterThan(0);
        if (want.files) expect(got.files).toEqual(want.files);
        // The fixture's seed puts a JPEG, an RGBA and a grey PNG into validation: the checks below see them.
        if (c.data === join(fixtures, 'images')) expect(want.files?.filter((f) => /d-photo|rgba|grey/.test(f)).length).toBe(4);
        expect(got.labels).toEqual(want.labels);
        expect(got.x.length).toBe(want.x.length);
        const exact = worst(got, want, perSample, (f) => !jpeg(f));
        const decoded = want.files ? worst(got, want, perSample, onlyJpeg) : 0;
        report.push(`  ${c.id.padEnd(14)} ${side.padEnd(8)} ${String(want.labels.length).padStart(3)} samples  ${exact.toExponential(2)}  ${want.files?.some(jpeg) ? decoded.toExponential(2) : 'n/a'}`);
        expect(exact).toBeLessThanOrEqual(tolerance);
        // JPEG decoders (libvips's libjpeg-turbo settings vs TensorFlow's) may differ by one level.
        expect(decoded).toBeLessThanOrEqual(1 / 255 + 1e-6);
      });
    }
  }

  it.skipIf(noKeras !== null)('tokenize() equals Keras TextVectorization on Unicode capitals, punctuation and non-ASCII whitespace', () => {
    expect(TRICKY_TEXTS.map(tokenize)).toEqual(kerasTokens);
  });
});

/**
 * CSV files where readers easily disagree. Each is read by the app (csv-parse, streamed in chunks
 * of any size), by the exported model.py (Python's csv module), by the exported train.ts
 * (csv-parse) and by Python's csv module on its own with its default dialect: the same header,
 * rows, row lines and skipped lines, or all of them refuse the file.
 */
const CSV_CORPUS: readonly { readonly name: string; readonly text: string }[] = [
  { name: 'quoted-delimiters', text: 'a,b,label\n1,"x,y",p\n2,"z,,w",q\n' },
  { name: 'embedded-newlines-crlf', text: 'a,b,label\r\n1,"two\r\nlines",p\r\n2,"x\ny\rz",q\r\n3,4,r\r\n' },
  { name: 'doubled-quotes', text: 'a,b,label\n1,"he said ""hi""",p\n2,"""",q\n3,"",r\n' },
  // Not a quoted field: the quote is not the field's first character, as in Python's csv.
  { name: 'leading-space-quote', text: 'a,b,c,label\n1, "b,c",p\n2, "q",r\n' },
  { name: 'bare-quote', text: 'size,n,label\n5" screen,2,p\n6,x"y"z,q\n' },
  { name: 'bom-crlf', text: '\ufeffa,b,label\r\n1,2,p\r\n3,4,q\r\n' },
  { name: 'semicolon-decimal-comma', text: 'size;weight;label\n1,5;2;a\n2,25;"3,5";b\n-0,5;4;a\n' },
  { name: 'tab', text: 'a\tb\tlabel\n1\t"x\ty"\tp\n2\t3,5\tq\n' },
  // The delimiter comes from the first line alone, though later lines hold more of another.
  { name: 'delimiter-from-first-line', text: 'a,b,label\n1,"x;y;z;w;v",p\n2,"q;r;s;t;u",q\n' },
  { name: 'quoted-delimiter-in-header', text: '"a,b";c;label\n1;2;x\n3;4;y\n' },
  { name: 'blank-and-trailing-lines', text: 'a,b,label\n\n1,2,p\n   \n3,4,q\n""\n\n\n' },
  { name: 'ragged-rows', text: 'a,b,label\n1,2,p\n3,4\n5,6,q,extra\n7,8,r\n' },
  { name: 'lines-after-multiline-cell', text: 'a,b,label\n1,"l1\nl2\r\nl3",p\n4,5\n6,7,q\n' },
  { name: 'mixed-line-endings', text: 'a,b,label\n1,2,p\r\n3,4,q\r5,6,r' },
  { name: 'unicode', text: 'name,x,label\ncafé,"日本,語",p\n"😀 ""a""",2,q\n' },
  { name: 'no-final-newline-quoted', text: 'a,label\n1,"x"' },
  { name: 'spaces-trimmed', text: ' a , b ,label\n 1 ,"  2  ", p \n' },
  { name: 'unterminated-quote', text: 'a,b,label\n1,2,p\n3,"4,q\n5,6,r\n' },
];

describe('CSV tokenizing: the app, model.py, train.ts and Python csv read the same rows', () => {
  const root = mkdtempSync(join(tmpdir(), 'layerloom-csv-parity-'));
  type Read = { header: string[]; rows: string[][]; lines: number[]; skipped: number[]; delimiter?: string } | { error: string };
  const app = new Map<string, Read>();
  let python: Record<string, { export: Read; csv: Read }> = {};
  let ts: Record<string, Read> = {};

  beforeAll(async () => {
    symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
    const jobs = CSV_CORPUS.map((c) => ({ name: c.name, path: join(root, `${c.name}.csv`) }));
    for (const c of CSV_CORPUS) writeFileSync(join(root, `${c.name}.csv`), c.text);
    for (const job of jobs) {
      const reads: Read[] = [];
      // Whole, and in 3-byte chunks (cut inside quotes, CRLFs and multi-byte characters).
      for (const chunkBytes of [1 << 20, 3]) {
        try {
          const t = await readCsvFile(job.path, `${job.name}.csv`, { chunkBytes });
          const lines = Array.from(t.lines);
          reads.push({
            header: [...t.header],
            rows: lines.map((_, r) => t.header.map((_, c) => t.cells[c][r])),
            lines,
            skipped: t.skipped.map((s) => Number(s.path.slice(s.path.lastIndexOf(':') + 1))),
            delimiter: t.delimiter,
          });
        } catch (e) {
          reads.push({ error: (e as Error).message });
        }
      }
      expect(reads[1], `${job.name} read in 3-byte chunks`).toEqual(reads[0]);
      app.set(job.name, reads[0]);
    }
    const doc: ProjectDocument = { ...chain('csv', table(1, 2)), dataset: { path: jobs[0].path, kind: 'csv' }, training: DEFAULT_TRAINING };
    for (const [sub, files] of [
      ['keras', generateKerasFiles(doc)],
      ['ts', generateTs(doc)],
    ] as const) {
      mkdirSync(join(root, sub));
      for (const f of files) {
        mkdirSync(dirname(join(root, sub, f.path)), { recursive: true });
        writeFileSync(join(root, sub, f.path), f.content);
      }
    }
    writeFileSync(join(root, 'jobs.json'), JSON.stringify(jobs));
    if (!noKeras) {
      const r = spawnSync(PYTHON, [join(repo, 'test/python/readCsv.py'), join(root, 'keras/model.py'), join(root, 'jobs.json'), join(root, 'python.json')], {
        encoding: 'utf8',
        timeout: 300_000,
        env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
      });
      if (r.status !== 0) throw new Error(`readCsv.py failed (exit ${r.status}):\n${pythonStderr(r.stderr).slice(-4000)}`);
      python = JSON.parse(readFileSync(join(root, 'python.json'), 'utf8')) as typeof python;
    }
    if (!noTfjsNode) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'test/helpers/readTsExportCsv.ts'), join(root, 'ts/train.ts'), join(root, 'jobs.json'), join(root, 'ts.json')], {
        cwd: join(root, 'ts'),
        encoding: 'utf8',
        timeout: 300_000,
      });
      if (r.status !== 0) throw new Error(`readTsExportCsv.ts failed (exit ${r.status}):\n${r.stderr.slice(-4000)}`);
      ts = JSON.parse(readFileSync(join(root, 'ts.json'), 'utf8')) as typeof ts;
    }
  }, 600_000);

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** What readers must agree on: the same table (the delimiter aside), or all refusing the file. */
  // A refusal names the line the bad record starts on, the same line in every reader.
  const same = (a: Read) => ('error' in a ? { error: /line (\d+)/.exec(a.error)?.[1] ?? a.error } : { header: a.header, rows: a.rows, lines: a.lines, skipped: a.skipped });

  for (const { name } of CSV_CORPUS) {
    it.skipIf(noKeras !== null)(`${name}: the app's rows equal Python csv's and model.py's`, () => {
      const want = app.get(name) as Read;
      expect(same(python[name].csv), JSON.stringify(python[name].csv)).toEqual(same(want));
      expect(same(python[name].export), JSON.stringify(python[name].export)).toEqual(same(want));
    });
    it.skipIf(noTfjsNode !== null)(`${name}: the app's rows equal train.ts's`, () => {
      const want = app.get(name) as Read;
      expect(same(ts[name]), JSON.stringify(ts[name])).toEqual(same(want));
    });
  }

  it('reads the tricky cases as the docs say (whatever the exports do)', () => {
    const rows = (name: string) => {
      const r = app.get(name) as Read;
      if ('error' in r) throw new Error(r.error);
      return r;
    };
    expect(rows('leading-space-quote').rows).toEqual([['1', '"b', 'c"', 'p']]);
    expect(rows('leading-space-quote').skipped).toEqual([3]);
    expect(rows('bare-quote').rows).toEqual([
      ['5" screen', '2', 'p'],
      ['6', 'x"y"z', 'q'],
    ]);
    expect(rows('embedded-newlines-crlf').rows.map((r) => r[1])).toEqual(['two\r\nlines', 'x\ny\rz', '4']);
    expect(rows('embedded-newlines-crlf').lines).toEqual([2, 4, 7]);
    expect(rows('lines-after-multiline-cell')).toMatchObject({ lines: [2, 6], skipped: [5] });
    expect(rows('semicolon-decimal-comma')).toMatchObject({ delimiter: ';', rows: [['1.5', '2', 'a'], ['2.25', '3.5', 'b'], ['-0.5', '4', 'a']] });
    expect(rows('tab')).toMatchObject({ delimiter: '\t', rows: [['1', 'x\ty', 'p'], ['2', '3,5', 'q']] });
    expect(rows('delimiter-from-first-line')).toMatchObject({ delimiter: ',', rows: [['1', 'x;y;z;w;v', 'p'], ['2', 'q;r;s;t;u', 'q']] });
    expect(rows('quoted-delimiter-in-header')).toMatchObject({ delimiter: ';', header: ['a,b', 'c', 'label'] });
    expect(rows('blank-and-trailing-lines')).toMatchObject({ rows: [['1', '2', 'p'], ['3', '4', 'q']], lines: [3, 5], skipped: [] });
    expect(rows('ragged-rows')).toMatchObject({ lines: [2, 5], skipped: [3, 4] });
    expect(rows('bom-crlf').header).toEqual(['a', 'b', 'label']);
    expect(rows('spaces-trimmed')).toMatchObject({ header: ['a', 'b', 'label'], rows: [['1', '2', 'p']] });
    expect((app.get('unterminated-quote') as { error: string }).error).toMatch(/^unterminated-quote\.csv: the quoted field that starts on line 3 is never closed/);
  });
});
