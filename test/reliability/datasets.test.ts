/**
 * Big and messy datasets: read right, or refused with reasons. Real files in a temporary folder,
 * the real scan and pipeline, and the real training worker.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanDatasetPath } from '../../electron/services/datasetService.js';
import { batchStream, prepareDataset } from '../../electron/services/datasets/pipeline.js';
import { emptyDocument, type ProjectDocument } from '../../shared/graph/document.js';
import { addNode, connect } from '../../shared/graph/operations.js';
import type { ParamValue } from '../../shared/blocks/types.js';
import { DEFAULT_TRAINING } from '../../shared/training/settings.js';
import type { TrainingEvent } from '../../shared/training/protocol.js';
import { train } from '../../electron/services/trainingService.js';

const work = mkdtempSync(join(tmpdir(), 'layerloom-datasets-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Layer = [id: string, type: string, params?: Record<string, ParamValue>];
function chain(name: string, layers: Layer[]): ProjectDocument {
  let doc = emptyDocument(name);
  for (const [id, type, params] of layers) doc = addNode(doc, type, { x: 0, y: 0 }, { id, ...(params ? { params } : {}) }).doc;
  for (let i = 1; i < layers.length; i++) doc = connect(doc, layers[i - 1][0], layers[i][0], 'in').doc;
  return { ...doc, training: DEFAULT_TRAINING };
}

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
