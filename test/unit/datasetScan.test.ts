import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError, scanDataset, scanDatasetPath } from '../../electron/services/datasetService.js';
import { decodeBmp } from '../../electron/services/datasets/bmp.js';
import { batchStream, prepareDataset, warmCache } from '../../electron/services/datasets/pipeline.js';
import type { ScanProgress } from '../../shared/training/dataset.js';

const assets = fileURLToPath(new URL('../../assets/datasets/', import.meta.url));
let dir: string;

/** A 24-bit bottom-up BMP with the given RGB pixels (rows top first). */
function bmp24(width: number, height: number, rgb: number[][]): Buffer {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const size = 54 + stride * height;
  const b = Buffer.alloc(size);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(size, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(width, 18);
  b.writeInt32LE(height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  for (let y = 0; y < height; y++) {
    const row = 54 + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const [r, g, bl] = rgb[y * width + x];
      b[row + x * 3] = bl;
      b[row + x * 3 + 1] = g;
      b[row + x * 3 + 2] = r;
    }
  }
  return b;
}

/** An 8-bit palette BMP, 4×1 pixels using palette entries 0..3. */
function bmp8(): Buffer {
  const palette = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [10, 20, 30],
  ];
  const size = 54 + 256 * 4 + 4;
  const b = Buffer.alloc(size);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(size, 2);
  b.writeUInt32LE(54 + 256 * 4, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(4, 18);
  b.writeInt32LE(1, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(8, 28);
  b.writeUInt32LE(256, 46);
  palette.forEach(([r, g, bl], i) => {
    b[54 + i * 4] = bl;
    b[54 + i * 4 + 1] = g;
    b[54 + i * 4 + 2] = r;
  });
  b.set([0, 1, 2, 3], 54 + 256 * 4);
  return b;
}

const grey = (v: number, w = 8, h = 8) => sharp(Buffer.alloc(w * h, v), { raw: { width: w, height: h, channels: 1 } });
const colour = (r: number, g: number, b: number, w = 12, h = 10) => sharp({ create: { width: w, height: h, channels: 3, background: { r, g, b } } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'layerloom-ds-'));
  // An image folder with one of every supported format, and every kind of bad file.
  const img = join(dir, 'images');
  mkdirSync(join(img, 'cats'), { recursive: true });
  mkdirSync(join(img, 'dogs', 'nested'), { recursive: true });
  mkdirSync(join(img, 'empty_class'), { recursive: true });
  await grey(200).png().toFile(join(img, 'cats', 'a.png'));
  await colour(255, 0, 0).jpeg().toFile(join(img, 'cats', 'b.jpg'));
  await colour(0, 255, 0).webp().toFile(join(img, 'cats', 'c.webp'));
  await colour(0, 0, 255).gif().toFile(join(img, 'cats', 'd.gif'));
  await colour(10, 20, 30).tiff().toFile(join(img, 'cats', 'e.tiff'));
  writeFileSync(join(img, 'cats', 'f.bmp'), bmp24(2, 2, [[255, 255, 255], [0, 0, 0], [0, 0, 0], [255, 255, 255]]));
  writeFileSync(join(img, 'cats', 'broken.png'), Buffer.from('this is not a png at all'));
  writeFileSync(join(img, 'cats', 'zero.jpg'), Buffer.alloc(0));
  writeFileSync(join(img, 'cats', 'notes.txt'), 'not an image');
  await grey(50).png().toFile(join(img, 'dogs', 'a.png'));
  await grey(60).png().toFile(join(img, 'dogs', 'nested', 'b.png'));
  // A truncated PNG: the header reads fine, the pixels do not.
  const good = await grey(90, 64, 64).png({ compressionLevel: 0 }).toBuffer();
  writeFileSync(join(img, 'dogs', 'truncated.png'), good.subarray(0, 200));
  writeFileSync(join(img, 'stray.png'), good);

  // CSV with quoting, a one-hot column, a rejected id-like column, a missing target and a bad row.
  const rows = ['size,"colour, name",id,price,label'];
  for (let i = 0; i < 60; i++) rows.push(`${i % 10},${['red', 'green', '"blue"'][i % 3]},id${i},${(i * 1.5).toFixed(1)},${i % 2 ? 'yes' : 'no'}`);
  rows.push('1,red,idx,2.0,');
  rows.push('1,red,2.0');
  writeFileSync(join(dir, 'table.csv'), rows.join('\r\n') + '\r\n');
  const reg = ['x1,x2,y'];
  for (let i = 0; i < 40; i++) reg.push(`${i},${i % 7},${(i * 3.3 + 0.25).toFixed(2)}`);
  writeFileSync(join(dir, 'regression.csv'), reg.join('\n'));

  // Text folder with a binary and an empty file.
  mkdirSync(join(dir, 'text', 'pos'), { recursive: true });
  mkdirSync(join(dir, 'text', 'neg'), { recursive: true });
  writeFileSync(join(dir, 'text', 'pos', '1.txt'), 'Great film, GREAT acting!');
  writeFileSync(join(dir, 'text', 'pos', '2.txt'), 'great fun');
  writeFileSync(join(dir, 'text', 'neg', '1.txt'), 'Dull film.');
  writeFileSync(join(dir, 'text', 'neg', '2.txt'), 'dull, dull and slow');
  writeFileSync(join(dir, 'text', 'neg', 'bin.txt'), Buffer.from([0x41, 0x00, 0x42]));
  writeFileSync(join(dir, 'text', 'neg', 'blank.txt'), '  \n ');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('image folders', () => {
  it('reports the bundled digits: 10 classes, ≥ 3,000 28×28 grey images, nothing skipped', async () => {
    const report = await scanDataset({ path: join(assets, 'digits'), projectPath: null });
    expect(report.kind).toBe('images');
    expect(report.classes.map((c) => c.name)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(report.sampleCount).toBeGreaterThanOrEqual(3000);
    expect(Math.min(...report.classes.map((c) => c.count))).toBeGreaterThanOrEqual(300);
    expect(report.skipped).toEqual([]);
    expect(report.inputShape).toEqual([28, 28, 1]);
    expect(report.outputUnits).toBe(10);
    expect(report.suggestedLoss).toBe('sparse_categorical_crossentropy');
    expect(report.samples.length).toBe(20);
    expect(report.samples[0].dataUrl).toMatch(/^data:image\/png;base64,/);
  });

  it('reports corrupt, empty, unsupported and stray files and an empty class folder, without failing', async () => {
    const progress: ScanProgress[] = [];
    const { report, source } = await scanDatasetPath(join(dir, 'images'), { onProgress: (p) => progress.push(p) });
    expect(report.classes).toEqual([
      { name: 'cats', count: 6 },
      { name: 'dogs', count: 3 },
    ]);
    const byPath = Object.fromEntries(report.skipped.map((s) => [s.path, s.code]));
    expect(byPath).toEqual({
      'stray.png': 'unsupported',
      'cats/broken.png': 'corrupt',
      'cats/zero.jpg': 'empty',
      'cats/notes.txt': 'unsupported',
    });
    expect(report.skipped.every((s) => s.reason.length > 5)).toBe(true);
    expect(report.warnings.join('\n')).toContain('"empty_class"');
    expect(report.warnings.join('\n')).toMatch(/different sizes/);
    expect(source.kind === 'images' && source.files.some((f) => f.endsWith('nested/b.png'))).toBe(true);
    expect(progress.at(-1)).toMatchObject({ phase: 'checking', done: 11, total: 11 });
  });

  it('decodes every format to the Input shape and reports a truncated file at decode time', async () => {
    const scanned = await scanDatasetPath(join(dir, 'images'));
    const data = await prepareDataset(scanned, { shape: [16, 16, 3], dtype: 'float32' }, { validationSplit: 0, seed: 1 });
    const all = Int32Array.from({ length: data.size }, (_, i) => i);
    const b = await data.batch(all);
    expect(b.size).toBe(data.size - 1);
    expect(b.failed.map((f) => f.path)).toEqual(['dogs/truncated.png']);
    expect(b.x.length).toBe(b.size * 16 * 16 * 3);
    expect(Math.min(...b.x)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...b.x)).toBeLessThanOrEqual(1);
    // The jpeg is red, the webp green: check the first pixel's channels.
    const at = (file: string) => {
      const id = (scanned.source as { files: readonly string[] }).files.findIndex((f) => f.endsWith(file));
      const row = Array.from(b.ids).indexOf(id);
      return Array.from(b.x.subarray(row * 768, row * 768 + 3)).map((v) => Math.round(v * 255));
    };
    expect(at('b.jpg')[0]).toBeGreaterThan(240);
    expect(at('c.webp')[1]).toBeGreaterThan(240);
    expect(at('a.png')).toEqual([200, 200, 200]);
    // Grey input: one channel.
    const greyData = await prepareDataset(scanned, { shape: [8, 8, 1], dtype: 'float32' }, { validationSplit: 0, seed: 1 });
    const g = await greyData.batch(Int32Array.from([0]));
    expect(g.x.length).toBe(64);
  });

  it('refuses an Input shape that is not an image, naming the fix', async () => {
    const scanned = await scanDatasetPath(join(dir, 'images'));
    await expect(prepareDataset(scanned, { shape: [784], dtype: 'float32' }, { validationSplit: 0.2, seed: 1 })).rejects.toThrow(/height, width, channels/);
  });

  it('decodes BMP files (24-bit and 8-bit palette)', () => {
    const a = decodeBmp(bmp24(2, 2, [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]));
    expect([a.width, a.height, a.channels]).toEqual([2, 2, 3]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const p = decodeBmp(bmp8());
    expect(Array.from(p.data)).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    expect(() => decodeBmp(Buffer.from('BMxx'))).toThrow(/BMP/);
  });

  it('streams batches within a cache budget and fills the cache up to it', async () => {
    const scanned = await scanDatasetPath(join(assets, 'digits'), { samplesPerClass: 0 });
    const budget = 100 * 784;
    const data = await prepareDataset(scanned, { shape: [28, 28, 1], dtype: 'float32' }, { validationSplit: 0.25, seed: 7, cacheBudgetBytes: budget });
    expect(data.split.train.length + data.split.validation.length).toBe(data.size);
    const ids = data.split.validation.subarray(0, 300);
    let seen = 0;
    for await (const b of batchStream(data, ids, 64, { shuffleSeed: 3, prefetch: 2 })) {
      seen += b.size;
      expect(b.size).toBeLessThanOrEqual(64);
    }
    expect(seen).toBe(300);
    expect(data.cacheStats()).toEqual({ cached: 100, bytes: budget, budget });
    const failed = await warmCache(data, ids);
    expect(failed).toEqual([]);
  });
});

describe('CSV files', () => {
  it('parses quoting, one-hot encodes text, rejects id-like columns and skips bad rows', async () => {
    const { report } = await scanDatasetPath(join(dir, 'table.csv'));
    expect(report.kind).toBe('csv');
    expect(report.task).toBe('classification');
    expect(report.classes).toEqual([
      { name: 'no', count: 30 },
      { name: 'yes', count: 30 },
    ]);
    const cols = Object.fromEntries((report.csv?.columns ?? []).map((c) => [c.name, [c.type, c.role, c.width]]));
    expect(cols).toEqual({ size: ['numeric', 'feature', 1], 'colour, name': ['categorical', 'feature', 3], id: ['categorical', 'rejected', 0], price: ['numeric', 'feature', 1], label: ['categorical', 'target', 0] });
    expect(report.inputShape).toEqual([5]);
    expect(report.skipped.map((s) => s.code)).toEqual(['invalid', 'invalid']);
    expect(report.skipped.map((s) => s.path)).toEqual(['table.csv:63', 'table.csv:62']);
    expect(report.warnings.join(' ')).toMatch(/"id" is left out/);
  });

  it('standardizes numeric features with the training split and checks the Input size', async () => {
    const scanned = await scanDatasetPath(join(dir, 'table.csv'));
    const data = await prepareDataset(scanned, { shape: [5], dtype: 'float32' }, { validationSplit: 0.2, seed: 3 });
    const b = await data.batch(data.split.train);
    const col = (c: number) => Array.from({ length: b.size }, (_, i) => b.x[i * 5 + c]);
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    expect(Math.abs(mean(col(0)))).toBeLessThan(1e-5);
    expect(Math.abs(mean(col(0).map((x) => x * x)) - 1)).toBeLessThan(1e-4);
    for (let i = 0; i < b.size; i++) expect(b.x[i * 5 + 1] + b.x[i * 5 + 2] + b.x[i * 5 + 3]).toBe(1);
    expect(data.preprocessing.kind).toBe('csv');
    await expect(prepareDataset(scanned, { shape: [4], dtype: 'float32' }, { validationSplit: 0.2, seed: 3 })).rejects.toThrow(/gives 5 input values.*Set the Input's shape to 5/s);
  });

  it('treats a continuous numeric target as regression and names a missing target column', async () => {
    const { report } = await scanDatasetPath(join(dir, 'regression.csv'));
    expect(report.task).toBe('regression');
    expect(report.suggestedLoss).toBe('mean_squared_error');
    expect(report.outputUnits).toBe(1);
    await expect(scanDatasetPath(join(dir, 'regression.csv'), { targetColumn: 'price' })).rejects.toThrow(/no column "price".*x1, x2, y/);
  });

  it('reads the bundled iris file', async () => {
    const report = await scanDataset({ path: '../assets/datasets/iris.csv', projectPath: fileURLToPath(new URL('../../examples/mlp.layerloom', import.meta.url)) });
    expect(report.sampleCount).toBe(150);
    expect(report.classes.map((c) => c.count)).toEqual([50, 50, 50]);
    expect(report.inputShape).toEqual([4]);
  });
});

describe('text folders', () => {
  it('tokenizes like Keras TextVectorization and skips binary and empty files', async () => {
    const scanned = await scanDatasetPath(join(dir, 'text'));
    expect(scanned.report.kind).toBe('text');
    expect(scanned.report.classes).toEqual([
      { name: 'neg', count: 2 },
      { name: 'pos', count: 2 },
    ]);
    expect(Object.fromEntries(scanned.report.skipped.map((s) => [s.path, s.code]))).toEqual({ 'neg/bin.txt': 'unsupported', 'neg/blank.txt': 'empty' });
    const data = await prepareDataset(scanned, { shape: [5], dtype: 'int32', vocabularySize: 6 }, { validationSplit: 0, seed: 1 });
    expect(data.preprocessing).toMatchObject({ kind: 'text', vocabulary: ['dull', 'great', 'film', 'acting'], sequenceLength: 5, maxTokens: 6 });
    const b = await data.batch(Int32Array.from([0, 1, 2, 3]));
    expect(b.x).toBeInstanceOf(Int32Array);
    // "Dull film." → dull film, then padding; "dull, dull and slow" → "and"/"slow" are out of vocabulary (1).
    expect(Array.from(b.x.subarray(0, 10))).toEqual([2, 4, 0, 0, 0, 2, 2, 1, 1, 0]);
    expect(Array.from(b.y)).toEqual([0, 0, 1, 1]);
  });

  it('reads the bundled text samples', async () => {
    const report = await scanDataset({ path: join(assets, 'text'), projectPath: null });
    expect(report.classes.map((c) => c.name)).toEqual(['cooking', 'sports', 'weather']);
    expect(report.sampleCount).toBe(90);
  });
});

describe('detection', () => {
  it('explains a missing path and a folder without classes', async () => {
    await expect(scanDatasetPath(join(dir, 'nope'))).rejects.toThrow(DatasetError);
    await expect(scanDatasetPath(join(dir, 'nope'))).rejects.toThrow(/does not exist/);
    mkdirSync(join(dir, 'flat'), { recursive: true });
    writeFileSync(join(dir, 'flat', 'a.png'), 'x');
    await expect(scanDatasetPath(join(dir, 'flat'))).rejects.toThrow(/no class sub-folders/);
  });
});
