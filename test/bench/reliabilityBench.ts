/**
 * Large-data figures for the dataset pipeline (`npm run bench:reliability`):
 * - a 750k-row 3-class CSV and a 1M-row regression CSV through scan, split, a full pass over the
 *   batches, and one epoch of training in the real training worker (loss must fall);
 * - a ~200 MB CSV scanned through the host's scanDataset while the event loop is watched.
 * Each stage runs in its own process so its peak RSS is its own.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { scanDataset, scanDatasetPath } from '../../electron/services/datasetService.js';
import { batchStream, prepareDataset } from '../../electron/services/datasets/pipeline.js';
import { train } from '../../electron/services/trainingService.js';
import { emptyDocument, type ProjectDocument } from '../../shared/graph/document.js';
import { addNode, connect } from '../../shared/graph/operations.js';
import { DEFAULT_TRAINING } from '../../shared/training/settings.js';

const peakMB = () => (process.resourceUsage().maxRSS / 1024).toFixed(0);

function mlp(inputs: number, units: number, activation: string): ProjectDocument {
  const layers: [string, string, Record<string, number[] | number | string>?][] = [
    ['in', 'Input', { shape: [inputs] }],
    ['d1', 'Dense', { units: 16, activation: 'relu' }],
    ['d2', 'Dense', { units, activation }],
    ['out', 'Output'],
  ];
  let doc = emptyDocument('bench');
  for (const [id, type, params] of layers) doc = addNode(doc, type, { x: 0, y: 0 }, { id, ...(params ? { params } : {}) }).doc;
  for (let i = 1; i < layers.length; i++) doc = connect(doc, layers[i - 1][0], layers[i][0], 'in').doc;
  return { ...doc, training: DEFAULT_TRAINING };
}

async function writeCsv(path: string, rows: number, row: (i: number) => string, header: string): Promise<void> {
  const out = createWriteStream(path);
  out.write(header + '\n');
  let chunk: string[] = [];
  for (let i = 0; i < rows; i++) {
    chunk.push(row(i));
    if (chunk.length === 10_000) {
      if (!out.write(chunk.join('\n') + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = [];
    }
  }
  out.write(chunk.length ? chunk.join('\n') + '\n' : '');
  await new Promise<void>((r) => out.end(() => r()));
}

async function pipelineStage(kind: 'classes' | 'regression', dir: string): Promise<void> {
  const rows = kind === 'classes' ? 750_000 : 1_000_000;
  const path = join(dir, `${kind}.csv`);
  let s = 7;
  const rnd = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  await writeCsv(
    path,
    rows,
    kind === 'classes'
      ? (i) => {
          const label = i % 10 < 7 ? 0 : i % 10 < 9 ? 1 : 2;
          return `${(label + rnd()).toFixed(3)},${(rnd() - 0.5).toFixed(3)},${(label * 0.5 + rnd() * 0.2).toFixed(3)},${label}`;
        }
      : (i) => {
          const a = rnd() * 4 - 2;
          const b = rnd() * 4 - 2;
          return `${a.toFixed(4)},${b.toFixed(4)},${i % 5},${(3 * a - 2 * b + 0.1 * rnd()).toFixed(4)}`;
        },
    kind === 'classes' ? 'a,b,c,label' : 'a,b,c,y',
  );
  const t0 = performance.now();
  const scanned = await scanDatasetPath(path, { samplesPerClass: 0 });
  const tScan = performance.now();
  const data = await prepareDataset(scanned, { shape: [3], dtype: 'float32' }, { validationSplit: 0.2, seed: 1 });
  let seen = 0;
  for await (const b of batchStream(data, data.split.train, 1024, { shuffleSeed: 1 })) seen += b.size;
  const tPass = performance.now();
  if (seen !== data.split.train.length) throw new Error(`batches covered ${seen} of ${data.split.train.length} samples`);
  const losses: number[] = [];
  const handle = train(
    {
      doc: kind === 'classes' ? mlp(3, 3, 'softmax') : mlp(3, 1, 'linear'),
      projectPath: null,
      datasetPath: path,
      runsDir: join(dir, 'runs'),
      overrides: { epochs: 1, batchSize: 1024, learningRate: 0.01, validationSplit: 0.2 },
      progressIntervalMs: 0,
    },
    (e) => {
      if (e.kind === 'batch') losses.push(e.metrics.loss);
    },
  );
  const finished = await handle.done;
  const tTrain = performance.now();
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const first = mean(losses.slice(0, 10));
  const last = mean(losses.slice(-10));
  console.log(
    `${kind === 'classes' ? '3-class CSV ' : 'regression CSV'}: ${rows.toLocaleString('en')} rows (${(statSync(path).size / 1e6).toFixed(0)} MB); ` +
      `scan ${((tScan - t0) / 1000).toFixed(1)} s, split + full batch pass ${((tPass - tScan) / 1000).toFixed(1)} s (peak RSS ${peakMB()} MB); ` +
      `one epoch in the training worker ${((tTrain - tPass) / 1000).toFixed(1)} s: ${finished.status}, loss ${first.toFixed(3)} → ${last.toFixed(3)}`,
  );
  if (finished.status !== 'completed' || !(last < first)) process.exitCode = 1;
}

async function stallStage(dir: string): Promise<void> {
  const path = join(dir, 'big.csv');
  const target = 200e6;
  let written = 0;
  const out = createWriteStream(path);
  out.write('id,a,b,c,d,e,label\n');
  for (let i = 0; written < target; i += 10_000) {
    const lines: string[] = [];
    for (let k = i; k < i + 10_000; k++) lines.push(`${k},${(k % 97) * 0.37},${(k % 13) * 1.1},${k % 7},${(k % 1009) / 7},${k % 31},${k % 3}`);
    const text = lines.join('\n') + '\n';
    written += text.length;
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  const h = monitorEventLoopDelay({ resolution: 5 });
  let last = performance.now();
  let worstGap = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    worstGap = Math.max(worstGap, now - last);
    last = now;
  }, 2);
  h.enable();
  const t0 = performance.now();
  const report = await scanDataset({ path, projectPath: null }, { samplesPerClass: 0 });
  const seconds = (performance.now() - t0) / 1000;
  // A stall is recorded when the next timer fires: give it that turn.
  await new Promise((r) => setTimeout(r, 20));
  h.disable();
  clearInterval(tick);
  console.log(
    `200 MB CSV host scan: ${report.sampleCount.toLocaleString('en')} rows (${(statSync(path).size / 1e6).toFixed(0)} MB) in ${seconds.toFixed(1)} s; ` +
      `longest event-loop stall ${Math.max(h.max / 1e6, worstGap).toFixed(0)} ms; peak RSS ${peakMB()} MB`,
  );
}

const stage = process.argv[2];
if (stage) {
  const dir = process.argv[3];
  if (stage === 'stall') await stallStage(dir);
  else await pipelineStage(stage as 'classes' | 'regression', dir);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'layerloom-reliability-'));
  writeFileSync(join(dir, '.bench'), '');
  const self = fileURLToPath(import.meta.url);
  let failed = false;
  try {
    for (const s of process.env.BENCH_STAGES?.split(',') ?? ['classes', 'regression', 'stall']) {
      const r = spawnSync(process.execPath, [...process.execArgv, self, s, dir], { stdio: 'inherit' });
      if (r.status !== 0) failed = true;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}
