/**
 * The Export dialog's accuracy check (float vs quantized validation accuracy of a quantized
 * TensorFlow.js export) runs in a training worker, not in the host that serves the UI: while the
 * worker scores the mnist example's 800 validation images, the host answers another request; the
 * worker reports progress and the backend it ran on, and its numbers equal the same check run in
 * this process on the same backend.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceAdapters } from '../../electron/server/adapters.js';
import { exportProject } from '../../electron/services/exportService.js';
import { loadTrainingBackend } from '../../electron/services/trainingBackend.js';
import { defaultSpawner, setWorkerSpawner } from '../../electron/services/trainingService.js';
import type { ProjectDocument } from '../../shared/graph/document.js';
import type { WorkerEvent } from '../../shared/training/protocol.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'layerloom-accuracy-'));
afterAll(() => {
  setWorkerSpawner(undefined);
  rmSync(root, { recursive: true, force: true });
});

const doc = JSON.parse(readFileSync(join(repo, 'examples/mnist-cnn.layerloom'), 'utf8')) as ProjectDocument & { dataset: { path: string } };
doc.dataset.path = join(repo, 'assets/datasets/digits');
const projectPath = join(root, 'mnist.layerloom');
writeFileSync(projectPath, JSON.stringify(doc));

describe('the Export dialog’s accuracy check', () => {
  it('runs in a training worker while the host answers other requests, with the same numbers as in-process', async () => {
    const seen: WorkerEvent[] = [];
    let exportDone = false;
    let answeredDuringCheck: Promise<boolean> | null = null;
    const adapters = serviceAdapters();
    // The real worker, watched: at its first progress event the host is asked for something else.
    setWorkerSpawner(() => {
      const channel = defaultSpawner()();
      return {
        ...channel,
        onMessage: (fn) =>
          channel.onMessage((event) => {
            seen.push(event);
            if (event.kind === 'accuracy-progress' && !answeredDuringCheck) {
              answeredDuringCheck = adapters.codegen.generate(doc, 'keras').then((code) => code.files.length > 0 && !exportDone);
            }
            fn(event);
          }),
      };
    });
    const result = await adapters.export.write({ doc, target: 'tfjs', folder: join(root, 'u8'), projectPath, quantize: 'uint8' }).finally(() => (exportDone = true));

    const progress = seen.filter((e) => e.kind === 'accuracy-progress');
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toEqual({ kind: 'accuracy-progress', done: 1600, total: 1600 });
    // Assigned in the worker's event handler, which TypeScript's flow analysis does not see.
    const answered = answeredDuringCheck as Promise<boolean> | null;
    expect(answered).not.toBeNull();
    expect(await answered).toBe(true);
    const end = seen.find((e) => e.kind === 'accuracy-result');
    const backend = await loadTrainingBackend('auto');
    expect(end).toMatchObject({ kind: 'accuracy-result', backend: backend.name });
    expect(result.quantization?.accuracy).toMatchObject({ split: 'validation', samples: 800 });

    // The same check in this process on the same backend gives the same numbers.
    const here = await exportProject({ doc, target: 'ts', folder: join(root, 'u8-here'), projectPath, quantize: 'uint8', tf: backend.tf });
    expect(here.quantization?.accuracy).toEqual(result.quantization?.accuracy);
  }, 300_000);

  it('a worker that cannot score says why in the report, and the export is still written', async () => {
    setWorkerSpawner(undefined);
    const broken = { ...doc, dataset: { ...doc.dataset, path: join(root, 'no-such-folder') } };
    const result = await serviceAdapters().export.write({ doc: broken, target: 'tfjs', folder: join(root, 'u8-broken'), projectPath, quantize: 'float16' });
    expect(result.quantization?.accuracy).toBeNull();
    expect(result.quantization?.accuracyNote).toMatch(/^the accuracy could not be measured: .*no-such-folder/);
    expect(result.files.some((f) => f.endsWith('weights.bin'))).toBe(true);
  }, 120_000);
});
