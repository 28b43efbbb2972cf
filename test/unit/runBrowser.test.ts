/**
 * The runs browser's pure and service parts: the diff between the graph a run trained and the
 * current one, opening a run folder on its own, and naming/annotating a run.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProjectDocument } from '../../shared/graph/document.js';
import { diffGraphs } from '../../shared/graph/graphDiff.js';
import { serializeProject } from '../../shared/graph/serialization.js';
import { DEFAULT_TRAINING } from '../../shared/training/settings.js';
import { labelRun, openRunFolder } from '../../electron/services/runBrowserService.js';
import { unsavedRunsDir } from '../../electron/services/unsavedRunsService.js';
import { createHostApi } from '../../electron/server/hostApi.js';
import { chain } from '../helpers/chainDoc.js';

const root = mkdtempSync(join(tmpdir(), 'layerloom-run-browser-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('diffGraphs', () => {
  const base: Pick<ProjectDocument, 'nodes' | 'edges'> = {
    nodes: [
      { id: 'in', type: 'Input', label: 'x', params: { shape: [4] }, position: { x: 0, y: 0 } },
      { id: 'd', type: 'Dense', label: 'dense', params: { units: 32, activation: 'relu' }, position: { x: 0, y: 0 } },
      { id: 'o', type: 'Output', label: 'y', params: {}, position: { x: 0, y: 0 } },
    ],
    edges: [
      { id: 'e1', source: 'in', sourcePort: 'out', target: 'd', targetPort: 'in' },
      { id: 'e2', source: 'd', sourcePort: 'out', target: 'o', targetPort: 'in' },
    ],
  };
  it('finds nothing between a graph and itself', () => {
    expect(diffGraphs(base, base).same).toBe(true);
  });
  it('names blocks added, removed, renamed and parameters changed, and connections', () => {
    const now: Pick<ProjectDocument, 'nodes' | 'edges'> = {
      nodes: [
        base.nodes[0],
        { ...base.nodes[1], label: 'hidden', params: { units: 16, activation: 'relu', use_bias: false } },
        { id: 'drop', type: 'Dropout', label: 'dropout', params: { rate: 0.2 }, position: { x: 0, y: 0 } },
      ],
      edges: [base.edges[0], { id: 'e3', source: 'd', sourcePort: 'out', target: 'drop', targetPort: 'in' }],
    };
    const d = diffGraphs(base, now);
    expect(d.same).toBe(false);
    expect(d.added.map((b) => b.label)).toEqual(['dropout']);
    expect(d.removed.map((b) => b.label)).toEqual(['y']);
    expect(d.changed).toEqual([
      { id: 'd', label: 'hidden', type: 'Dense', labelBefore: 'dense', params: [{ name: 'units', before: '32', after: '16' }, { name: 'use_bias', after: 'false' }] },
    ]);
    expect(d.connectionsAdded).toEqual(['hidden → dropout.in']);
    expect(d.connectionsRemoved).toEqual(['dense → y.in']);
  });
});

describe('run folders', () => {
  const dir = join(root, 'runs', '2026-12-03T08-41-00-000Z');
  mkdirSync(dir, { recursive: true });
  const doc = chain('p', [['in', 'Input', { shape: [4] }], ['d', 'Dense', { units: 3, activation: 'softmax' }], ['o', 'Output']]);
  const summary = {
    id: '2026-12-03T08-41-00-000Z',
    startedAt: '2026-12-03T08:41:00.000Z',
    finishedAt: '2026-12-03T08:42:00.000Z',
    status: 'completed',
    epochs: 2,
    epochsCompleted: 2,
    finalMetrics: { val_loss: 0.5 },
    projectName: 'p',
    projectFile: null,
    datasetPath: '/data/iris.csv',
    backend: 'tensorflow (TF 2.21.0, CPU)',
    loss: 'sparse_categorical_crossentropy',
    settings: DEFAULT_TRAINING,
  };
  writeFileSync(join(dir, 'run.json'), JSON.stringify(summary));
  writeFileSync(join(dir, 'history.json'), JSON.stringify([{ epoch: 1, metrics: { loss: 1, val_loss: 0.5 }, learningRate: 0.001, seconds: 1, samplesPerSecond: 1 }]));
  writeFileSync(join(dir, 'graph.layerloom'), serializeProject(doc));
  const evaluation = { task: 'classification', split: 'validation', samples: 2, accuracy: 0.5, loss: 0.5, perClass: [], confusionMatrix: { labels: ['a', 'b'], counts: [[1, 0], [1, 0]] } };
  writeFileSync(join(dir, 'evaluation.json'), JSON.stringify(evaluation));

  it('opens a run folder on its own: summary, history, evaluation and the trained graph', async () => {
    const d = await openRunFolder(dir);
    expect(d.run).toMatchObject({ id: summary.id, status: 'completed', dir });
    expect(d.run.history).toHaveLength(1);
    expect(d.evaluation).toEqual(evaluation);
    expect(d.graph?.nodes.map((n) => n.type)).toEqual(doc.nodes.map((n) => n.type));
    await expect(openRunFolder(root)).rejects.toThrow(/is not a run folder/);
  });

  it('names and annotates a run, and removes them with empty text; a running run is refused', async () => {
    const r = await labelRun(dir, { name: '  baseline ', note: 'lr 0.001' });
    expect(r).toMatchObject({ name: 'baseline', note: 'lr 0.001' });
    expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'))).toMatchObject({ name: 'baseline', note: 'lr 0.001', status: 'completed' });
    const cleared = await labelRun(dir, { name: '' });
    expect(cleared.name).toBeUndefined();
    expect(cleared.note).toBe('lr 0.001');
    const running = join(root, 'runs', 'live');
    mkdirSync(running);
    writeFileSync(join(running, 'run.json'), JSON.stringify({ ...summary, id: 'live', status: 'running', pid: process.pid, host: (await import('node:os')).hostname() }));
    writeFileSync(join(running, 'heartbeat.json'), JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), at: Date.now() }));
    await expect(labelRun(running, { name: 'x' })).rejects.toThrow(/still training/);
  });
});

describe('runs of a never-saved project', () => {
  it('are kept with the recovery state and move beside the project on its first save, also across disks', async () => {
    // /dev/shm is another file system than the temp folder here, so the move must copy then delete.
    const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/layerloom-state-') : mkdtempSync(join(tmpdir(), 'layerloom-state-'));
    try {
      const api = await createHostApi({ host: 'web', stateDir: shm });
      const from = unsavedRunsDir(shm, 'sABC');
      const run = join(from, '2026-12-03T08-41-00-000Z');
      mkdirSync(run, { recursive: true });
      writeFileSync(join(run, 'run.json'), JSON.stringify({ id: '2026-12-03T08-41-00-000Z', startedAt: '2026-12-03T08:41:00.000Z', status: 'completed', projectFile: null, settings: DEFAULT_TRAINING }));
      mkdirSync(join(run, 'checkpoints', 'best', 'model'), { recursive: true });
      writeFileSync(join(run, 'checkpoints', 'best', 'model', 'weights.bin'), Buffer.alloc(1024, 7));
      const listed = (await api.dispatch('listRuns', [{ projectPath: null, sessionKey: 'sABC' }])) as { id: string }[];
      expect(listed.map((r) => r.id)).toEqual(['2026-12-03T08-41-00-000Z']);

      const project = join(root, 'saved', 'net.layerloom');
      mkdirSync(join(root, 'saved'));
      const result = await api.dispatch('adoptRuns', [{ sessionKey: 'sABC', projectPath: project }]);
      expect(result).toEqual({ moved: ['2026-12-03T08-41-00-000Z'], left: [] });
      const moved = join(root, 'saved', 'runs', '2026-12-03T08-41-00-000Z');
      expect(JSON.parse(readFileSync(join(moved, 'run.json'), 'utf8'))).toMatchObject({ projectFile: project, status: 'completed' });
      expect(readFileSync(join(moved, 'checkpoints', 'best', 'model', 'weights.bin'))).toEqual(Buffer.alloc(1024, 7));
      expect(existsSync(from)).toBe(false);
      const after = (await api.dispatch('listRuns', [{ projectPath: project }])) as { id: string }[];
      expect(after.map((r) => r.id)).toEqual(['2026-12-03T08-41-00-000Z']);
    } finally {
      rmSync(shm, { recursive: true, force: true });
    }
  });
});
