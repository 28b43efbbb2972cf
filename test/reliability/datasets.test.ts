/**
 * Big and messy datasets: read right, or refused with reasons. Real files in a temporary folder,
 * the real scan and pipeline, and the real training worker.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetError, scanDataset, scanDatasetPath } from '../../electron/services/datasetService.js';
import { CsvReader, parseCsv } from '../../electron/services/datasets/csv.js';
import { batchStream, prepareDataset } from '../../electron/services/datasets/pipeline.js';
import type { TrainingEvent } from '../../shared/training/protocol.js';
import { train } from '../../electron/services/trainingService.js';
import { chain } from '../helpers/chainDoc.js';
import { serializeProject } from '../../shared/graph/serialization.js';

const work = mkdtempSync(join(tmpdir(), 'layerloom-datasets-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));


/** A 3-class CSV whose largest class is far past the ~125k elements a spread argument list holds. */
function bigClassCsv(rows: number): string {
  const lines = ['a,b,c,label'];
  let s = 1;
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < rows; i++) {
    const label = i % 10 < 8 ? 0 : (i % 10) - 7; // 80% class 0
    const a = label + rnd() * 0.5;
    lines.push(`${a.toFixed(3)},${(rnd() - 0.5).toFixed(3)},${(label * 2 - a).toFixed(3)},${label}`);
  }
  return lines.join('\n') + '\n';
}

describe('large datasets', () => {
  const csv = join(work, 'big.csv');
  writeFileSync(csv, bigClassCsv(200_000));

  it('scans, splits and batches a 200k-row CSV with a 160k-sample class', { timeout: 30_000 }, async () => {
    const scanned = await scanDatasetPath(csv, { samplesPerClass: 0 });
    expect(scanned.report.sampleCount).toBe(200_000);
    expect(scanned.report.classes.map((c) => c.count)).toEqual([160_000, 20_000, 20_000]);
    const data = await prepareDataset(scanned, { shape: [3], dtype: 'float32' }, { validationSplit: 0.2, seed: 1 });
    expect(data.split.train.length).toBe(160_000);
    expect(data.split.validation.length).toBe(40_000);
    let seen = 0;
    let finite = true;
    for await (const b of batchStream(data, data.split.train, 512, { shuffleSeed: 3 })) {
      seen += b.size;
      if (!b.x.every(Number.isFinite)) finite = false;
    }
    expect(seen).toBe(160_000);
    expect(finite).toBe(true);
  });

  it('trains one epoch on it with the real training worker, loss falling', { timeout: 60_000 }, async () => {
    const doc = chain('big', [
      ['in', 'Input', { shape: [3] }],
      ['d1', 'Dense', { units: 8, activation: 'relu' }],
      ['d2', 'Dense', { units: 3, activation: 'softmax' }],
      ['out', 'Output'],
    ]);
    const losses: number[] = [];
    const events: TrainingEvent[] = [];
    const handle = train(
      { doc, projectPath: null, datasetPath: csv, runsDir: join(work, 'runs'), overrides: { epochs: 1, batchSize: 1024, learningRate: 0.01, validationSplit: 0.1 }, progressIntervalMs: 0 },
      (e) => {
        events.push(e);
        if (e.kind === 'batch') losses.push(e.metrics.loss);
      },
    );
    const finished = await handle.done;
    expect(finished.status, JSON.stringify(events.filter((e) => e.kind === 'log' || e.kind === 'finished').slice(-3))).toBe('completed');
    expect(losses.length).toBeGreaterThan(10);
    const head = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const tail = losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(tail).toBeLessThan(head);
  });
});

describe('messy CSV files', () => {
  const file = (name: string, text: string | Buffer) => {
    const path = join(work, name);
    writeFileSync(path, text);
    return path;
  };

  it('refuses an unterminated quote, naming its line, instead of swallowing the rows after it', async () => {
    const path = file('quote.csv', 'a,b,label\n1,2,x\n3,"4,y\n5,6,z\n7,8,x\n');
    await expect(scanDatasetPath(path)).rejects.toThrow(/quote\.csv: the quoted field that starts on line 3 is never closed, so the rest of the file from line 3 on .* Close the quote/);
  });

  it('reads NaN, Infinity and 1e400 in a numeric column as missing, with their lines, and skips a NaN target', async () => {
    const rows = ['a,b,y'];
    for (let i = 0; i < 30; i++) rows.push(`${i === 2 ? 'NaN' : i === 4 ? '1e400' : i === 6 ? '-Infinity' : i},${i % 3},${i === 9 ? 'nan' : i * 0.5 + 0.1}`);
    const { report } = await scanDatasetPath(file('nonfinite.csv', rows.join('\n')));
    const a = report.csv?.columns.find((c) => c.name === 'a');
    expect(a).toMatchObject({ type: 'numeric', role: 'feature', missing: 3 });
    expect(report.warnings.join('\n')).toMatch(/Column "a" has 3 cells that are not a finite number, on lines 4 \(NaN\), 6 \(1e400\), 8 \(-Infinity\)/);
    expect(report.task).toBe('regression');
    expect(report.skipped).toEqual([{ path: 'nonfinite.csv:11', code: 'invalid', reason: 'line 11: the target "y" is nan, not a finite number' }]);
    expect(report.sampleCount).toBe(29);
  });

  it('reads decimal commas in a ;-separated file as numbers', async () => {
    const rows = ['size;weight;label'];
    for (let i = 0; i < 20; i++) rows.push(`${i},5;${i % 4};${i % 2 ? 'a' : 'b'}`);
    const scanned = await scanDatasetPath(file('semicolon.csv', rows.join('\r\n')));
    const cols = Object.fromEntries((scanned.report.csv?.columns ?? []).map((c) => [c.name, [c.type, c.role, c.width]]));
    expect(cols).toEqual({ size: ['numeric', 'feature', 1], weight: ['numeric', 'feature', 1], label: ['categorical', 'target', 0] });
    expect(scanned.report.warnings.join(' ')).toMatch(/"size" uses a decimal comma/);
    const data = await prepareDataset(scanned, { shape: [2], dtype: 'float32' }, { validationSplit: 0, seed: 1 });
    const p = data.preprocessing;
    expect(p.kind === 'csv' && p.features[0]).toMatchObject({ column: 'size', type: 'numeric', mean: 10 });
  });

  it('refuses bytes that are not UTF-8, naming the byte offset and line', async () => {
    const head = Buffer.from('name,x,y\nab,1,0\ncd,2,1\n');
    const bad = Buffer.concat([head, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2c, 0x33, 0x2c, 0x30, 0x0a]), Buffer.from('ef,4,1\n')]);
    await expect(scanDatasetPath(file('latin1.csv', bad))).rejects.toThrow(new RegExp(`latin1\\.csv is not UTF-8 text: byte ${head.length + 3} \\(0xE9, on line 4\\).*Save the file as UTF-8`));
    // Valid multi-byte text is not refused.
    const { report } = await scanDatasetPath(file('utf8.csv', 'name,x,y\ncafé,1,0\n日本,2,1\nab,3,0\ncd,4,1\n'));
    expect(report.sampleCount).toBe(4);
  });

  it('parses the same table whatever the chunk boundaries', async () => {
    const text = '\ufeffa;"b ""q""";c\r\n1;"two\r\nlines";x\r\n"";"";y\r3;"4;5";z\n\n6;7\n8;"9""";w';
    const whole = await parseCsv(text, 't.csv');
    for (const size of [1, 2, 3, 5]) {
      const reader = new CsvReader('t.csv');
      for (let i = 0; i < text.length; i += size) await reader.push(text.slice(i, i + size));
      const pieces = await reader.end();
      expect({ ...pieces, lines: [...pieces.lines] }).toEqual({ ...whole, lines: [...whole.lines] });
    }
    expect(whole.header).toEqual(['a', 'b "q"', 'c']);
    expect(whole.cells).toEqual([['1', '', '3', '8'], ['two\r\nlines', '', '4;5', '9"'], ['x', 'y', 'z', 'w']]);
    expect([...whole.lines]).toEqual([2, 4, 5, 8]);
    expect(whole.skipped).toEqual([{ path: 't.csv:7', code: 'invalid', reason: 'line 7 has 2 fields, the header has 3' }]);
  });
});

describe('scans that do not stall the host', () => {
  it('keeps the event loop answering during a 20 MB CSV scan, and can be cancelled', { timeout: 40_000 }, async () => {
    const path = join(work, 'twenty.csv');
    const parts: string[] = ['id,a,b,c,label\n'];
    for (let i = 0; parts.length < 640_000; i++) parts.push(`${i},${(i % 97) * 0.37},${(i % 13) * 1.1},${i % 7},${i % 3}\n`);
    writeFileSync(path, parts.join(''));
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const t0 = performance.now();
    const report = await scanDataset({ path, projectPath: null }, { samplesPerClass: 0 });
    const seconds = (performance.now() - t0) / 1000;
    // A stall is recorded when the next timer fires: give it that turn.
    await new Promise((r) => setTimeout(r, 20));
    h.disable();
    const maxStallMs = h.max / 1e6;
    console.log(`20 MB CSV scan: ${report.sampleCount} rows in ${seconds.toFixed(2)} s; longest event-loop stall ${maxStallMs.toFixed(0)} ms`);
    expect(report.sampleCount).toBe(639_999);
    // Far below the scan time (the parse used to hold the loop for all of it), with room for a
    // busy CI machine's timer jitter.
    expect(maxStallMs).toBeLessThan(Math.min(300, (seconds * 1000) / 4));

    // Cancelled from a progress report: the worker stops, the call says so.
    const abort = new AbortController();
    const cancelled = scanDataset({ path, projectPath: null }, { signal: abort.signal, onProgress: () => abort.abort() });
    await expect(cancelled).rejects.toThrow(DatasetError);
    await expect(cancelled).rejects.toThrow(/cancelled/);
    // In-process (the training worker's own scan): cancellation is checked between chunks.
    const inProcess = new AbortController();
    await expect(scanDatasetPath(path, { signal: inProcess.signal, onProgress: () => inProcess.abort() })).rejects.toThrow(/cancelled/);
  });

  it('refuses a named pipe given as the CSV, and skips one inside an image class folder, without hanging', { timeout: 20_000 }, async () => {
    const fifo = join(work, 'pipe.csv');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const folder = join(work, 'pipes');
    mkdirSync(join(folder, 'a'), { recursive: true });
    mkdirSync(join(folder, 'b'), { recursive: true });
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 9, g: 9, b: 9 } } }).png().toBuffer();
    writeFileSync(join(folder, 'a', 'one.png'), png);
    writeFileSync(join(folder, 'b', 'two.png'), png);
    const imageFifo = join(folder, 'a', 'stuck.png');
    expect(spawnSync('mkfifo', [imageFifo]).status).toBe(0);
    try {
      await expect(scanDatasetPath(fifo)).rejects.toThrow(/pipe\.csv is a named pipe \(FIFO\), not a regular file/);
      const { report } = await scanDatasetPath(folder);
      expect(report.sampleCount).toBe(2);
      expect(report.skipped).toEqual([{ path: join('a', 'stuck.png'), code: 'unreadable', reason: 'a named pipe (FIFO), not a regular file' }]);
    } finally {
      // Release any reader an old build left blocked on the pipes.
      for (const f of [fifo, imageFifo]) {
        try {
          closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
        } catch {
          /* no reader */
        }
      }
    }
  });
});

describe('image folders', () => {
  const png = () => sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 10, b: 10 } } }).png().toBuffer();

  it('gives every broken image its own, non-empty reason, once', { timeout: 20_000 }, async () => {
    const root = join(work, 'broken');
    mkdirSync(join(root, 'a'), { recursive: true });
    mkdirSync(join(root, 'b'), { recursive: true });
    const good = await png();
    const jpg = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 1, g: 2, b: 3 } } }).jpeg().toBuffer();
    writeFileSync(join(root, 'a', 'ok.png'), good);
    writeFileSync(join(root, 'b', 'ok.png'), good);
    for (let i = 0; i < 12; i++) {
      writeFileSync(join(root, 'a', `text${i}.png`), `not an image ${i}`);
      writeFileSync(join(root, 'a', `jpeg${i}.jpg`), Buffer.concat([jpg.subarray(0, 2), Buffer.from([0xff, 0xc0, 0x00, 0x03, 0x00]), Buffer.alloc(50, 7)]));
      writeFileSync(join(root, 'a', `png${i}.png`), Buffer.concat([good.subarray(0, 16), Buffer.alloc(20, 1)]));
      writeFileSync(join(root, 'a', `gif${i}.gif`), Buffer.from('GIF89a\x10\x00\x10\x00garbage'));
    }
    const { report } = await scanDatasetPath(root, { samplesPerClass: 0 });
    expect(report.skipped).toHaveLength(48);
    const reasons = new Map<string, Set<string>>();
    const bad: string[] = [];
    for (const s of report.skipped) {
      const kind = s.path.replace(/\d+\.\w+$/, '');
      reasons.set(kind, (reasons.get(kind) ?? new Set()).add(s.reason));
      const pieces = s.reason.split(/; |\n/);
      const foreign = (kind.endsWith('png') || kind.endsWith('text')) && /jpeg|gif/i.test(s.reason) || (kind.endsWith('gif') && /jpeg|png/i.test(s.reason)) || (kind.endsWith('jpeg') && /gif|png/i.test(s.reason));
      if (foreign || new Set(pieces).size !== pieces.length || /:\s*$/.test(s.reason) || s.code !== 'corrupt') bad.push(`${s.path}: ${s.reason}`);
    }
    expect(bad).toEqual([]);
    // The same damage gets the same words, whatever else was being read at the time.
    expect([...reasons.values()].map((r) => r.size)).toEqual([1, 1, 1, 1]);
  });

  describe('images that pass the scan but fail to decode', () => {
    // Noisy pixels, so the PNG's image data is long and cutting it in half leaves the header whole.
    const noisy = () => {
      const px = Buffer.alloc(32 * 32 * 3);
      for (let i = 0; i < px.length; i++) px[i] = (i * 7919) % 251;
      return sharp(px, { raw: { width: 32, height: 32, channels: 3 } }).png().toBuffer();
    };
    const folder = async (name: string) => {
      const root = join(work, name);
      for (const c of ['a', 'b']) mkdirSync(join(root, c), { recursive: true });
      const good = await noisy();
      for (let i = 0; i < 10; i++) for (const c of ['a', 'b']) writeFileSync(join(root, c, `ok${i}.png`), good);
      for (let i = 0; i < 3; i++) writeFileSync(join(root, 'a', `cut${i}.png`), good.subarray(0, Math.floor(good.length / 2)));
      return root;
    };
    const doc = () =>
      chain('cut', [
        ['in', 'Input', { shape: [8, 8, 3] }],
        ['f', 'Flatten', {}],
        ['d', 'Dense', { units: 2, activation: 'softmax' }],
        ['out', 'Output'],
      ]);
    const run = async (root: string, cacheBudgetMB?: number) => {
      const events: TrainingEvent[] = [];
      const handle = train(
        { doc: doc(), projectPath: null, datasetPath: root, runsDir: join(root, '..', `${root.split('/').at(-1)}-runs`), overrides: { epochs: 2, batchSize: 4, validationSplit: 0.25 }, progressIntervalMs: 0, ...(cacheBudgetMB ? { cacheBudgetMB } : {}) },
        (e) => events.push(e),
      );
      const finished = await handle.done;
      expect(finished.status, JSON.stringify(events.filter((e) => e.kind === 'log' || e.kind === 'finished').slice(-3))).toBe('completed');
      return { events, finished };
    };
    const seenPerEpoch = (events: TrainingEvent[]) => {
      const last = new Map<number, number>();
      for (const e of events) if (e.kind === 'batch') last.set(e.epoch, e.batch);
      return last;
    };

    it('a folder that fits the cache is decoded first, so the split announced is the split trained on', { timeout: 60_000 }, async () => {
      const scanned = await scanDatasetPath(await folder('cut-small'), { samplesPerClass: 0 });
      expect(scanned.report.sampleCount).toBe(23); // the scan reads headers only: the cut files pass it
      const { events, finished } = await run(join(work, 'cut-small'));
      const kinds = events.map((e) => e.kind);
      const samples = events.find((e) => e.kind === 'samples');
      const started = events.find((e) => e.kind === 'started');
      if (samples?.kind !== 'samples' || started?.kind !== 'started') throw new Error(`no samples/started event: ${kinds.join(',')}`);
      expect(kinds.indexOf('samples')).toBeLessThan(kinds.indexOf('started'));
      expect(samples.skipped.map((f) => f.path).sort()).toEqual([0, 1, 2].map((i) => join('a', `cut${i}.png`)));
      expect(samples.skipped.every((f) => f.code === 'corrupt' && /^cannot be decoded: \S/.test(f.reason))).toBe(true);
      expect(started.trainSamples + started.validationSamples).toBe(20);
      expect(started.trainSamples).toBe(samples.trainSamples);
      // Every announced batch is full-size or the last one: nothing is dropped mid-epoch.
      expect(started.batchesPerEpoch).toBe(Math.ceil(started.trainSamples / 4));
      expect(events.filter((e) => e.kind === 'samples')).toHaveLength(1);
      const runDir = finished.runDir as string;
      expect(JSON.parse(readFileSync(join(runDir, 'skipped.json'), 'utf8'))).toHaveLength(3);
      const record = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { trainSamples: number; validationSamples: number };
      expect([record.trainSamples, record.validationSamples]).toEqual([started.trainSamples, started.validationSamples]);
    });

    it('a folder too big for the cache says, after the first epoch, how many samples it really uses', { timeout: 60_000 }, async () => {
      const { events, finished } = await run(await folder('cut-big'), 0.001);
      const started = events.find((e) => e.kind === 'started');
      const updates = events.filter((e) => e.kind === 'samples');
      if (started?.kind !== 'started') throw new Error('no started event');
      expect(started.trainSamples + started.validationSamples).toBe(23);
      expect(updates).toHaveLength(1);
      const u = updates[0];
      if (u.kind !== 'samples') throw new Error('unreachable');
      expect(u.trainSamples + u.validationSamples).toBe(20);
      expect(u.skipped).toHaveLength(3);
      // It comes with the first epoch's results, before the second epoch starts.
      const firstEpoch2Batch = events.findIndex((e) => e.kind === 'batch' && e.epoch === 2);
      expect(events.indexOf(u)).toBeLessThan(firstEpoch2Batch);
      expect(seenPerEpoch(events).size).toBe(2);
      const record = JSON.parse(readFileSync(join(finished.runDir as string, 'run.json'), 'utf8')) as { trainSamples: number; validationSamples: number };
      expect([record.trainSamples, record.validationSamples]).toEqual([u.trainSamples, u.validationSamples]);
      expect(JSON.parse(readFileSync(join(finished.runDir as string, 'skipped.json'), 'utf8'))).toHaveLength(3);
    });
  });

  it('train --json lists every skipped file, not the first five', { timeout: 60_000 }, async () => {
    const root = join(work, 'many-broken');
    for (const c of ['a', 'b']) mkdirSync(join(root, c), { recursive: true });
    const good = await png();
    for (let i = 0; i < 6; i++) for (const c of ['a', 'b']) writeFileSync(join(root, c, `ok${i}.png`), good);
    for (let i = 0; i < 9; i++) writeFileSync(join(root, 'b', `junk${i}.png`), `not an image ${i}`);
    const project = join(work, 'many-broken.layerloom');
    writeFileSync(project, serializeProject(chain('junk', [['in', 'Input', { shape: [8, 8, 3] }], ['f', 'Flatten', {}], ['d', 'Dense', { units: 2, activation: 'softmax' }], ['out', 'Output']])));
    const r = spawnSync(process.execPath, [fileURLToPath(new URL('../../bin/layerloom.js', import.meta.url)), 'train', project, '--data', root, '--epochs', '1', '--json'], { encoding: 'utf8', timeout: 50_000 });
    expect(r.status, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as TrainingEvent);
    const samples = events.filter((e) => e.kind === 'samples');
    expect(samples).toHaveLength(1);
    if (samples[0].kind !== 'samples') throw new Error('unreachable');
    expect(samples[0].skipped.map((f) => f.path).sort()).toEqual(Array.from({ length: 9 }, (_, i) => join('b', `junk${i}.png`)));
    expect(samples[0].trainSamples + samples[0].validationSamples).toBe(12);
  });

  it('reports a file it may not read as unreadable (EACCES), not as an unsupported format', { timeout: 30_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'layerloom-eacces-'));
    try {
      chmodSync(root, 0o755);
      for (const c of ['a', 'b']) mkdirSync(join(root, c));
      const good = await png();
      writeFileSync(join(root, 'a', 'ok.png'), good);
      writeFileSync(join(root, 'b', 'ok.png'), good);
      writeFileSync(join(root, 'a', 'secret.png'), good);
      chmodSync(join(root, 'a', 'secret.png'), 0);
      // Root reads anything: a child process loads the service (and sharp) first, then drops to an
      // unprivileged user before scanning — the checkout itself may not be readable by that user.
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
      const service = fileURLToPath(new URL('../../electron/services/datasetService.ts', import.meta.url));
      const drop = process.getuid?.() === 0 ? 'process.setgid(65534); process.setuid(65534);' : '';
      const script = `const m = await import(${JSON.stringify(pathToFileURL(service).href)}); await import('sharp'); ${drop} const s = await m.scanDatasetPath(${JSON.stringify(root)}); console.log(JSON.stringify(s.report.skipped));`;
      const r = spawnSync(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), env: { PATH: process.env.PATH, HOME: tmpdir() }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').at(-1) as string)).toEqual([{ path: join('a', 'secret.png'), code: 'unreadable', reason: 'cannot be read (EACCES: permission denied)' }]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('follows symbolic links to class folders, and stops at a link loop', async () => {
    const root = join(work, 'linked');
    const elsewhere = join(work, 'elsewhere');
    mkdirSync(join(root, 'cats'), { recursive: true });
    mkdirSync(join(elsewhere, 'dogs', 'more'), { recursive: true });
    const good = await png();
    writeFileSync(join(root, 'cats', 'a.png'), good);
    writeFileSync(join(elsewhere, 'dogs', 'b.png'), good);
    writeFileSync(join(elsewhere, 'dogs', 'more', 'c.png'), good);
    writeFileSync(join(elsewhere, 'real.png'), good);
    symlinkSync(join(elsewhere, 'dogs'), join(root, 'dogs'));
    symlinkSync(join(elsewhere, 'dogs'), join(elsewhere, 'dogs', 'more', 'loop'));
    symlinkSync(join(elsewhere, 'real.png'), join(root, 'cats', 'linked.png'));
    symlinkSync(join(elsewhere, 'missing.png'), join(root, 'cats', 'dangling.png'));
    const { report, source } = await scanDatasetPath(root, { samplesPerClass: 0 });
    expect(report.classes).toEqual([
      { name: 'cats', count: 2 },
      { name: 'dogs', count: 2 },
    ]);
    expect(source.kind === 'images' && source.files.map((f) => f.slice(root.length + 1))).toEqual([join('cats', 'a.png'), join('cats', 'linked.png'), join('dogs', 'b.png'), join('dogs', 'more', 'c.png')]);
    expect(report.skipped).toEqual([
      { path: join('cats', 'dangling.png'), code: 'unreadable', reason: 'symbolic link to something that cannot be opened (ENOENT)' },
      { path: join('dogs', 'more', 'loop'), code: 'invalid', reason: 'symbolic link loop: leads back to dogs, which is already being read' },
    ]);
  });
});

// The exported loaders' reading of a messy CSV (decimal commas, NaN cells and targets, a short row)
// is proven equal to the app's, sample for sample, in test/unit/dataParity.test.ts.

