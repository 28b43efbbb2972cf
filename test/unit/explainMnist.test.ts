/**
 * `layerloom explain` on the mnist example after a short training run: Grad-CAM looks at the digit
 * (its mean over the stroke pixels exceeds its mean over the background), the files are what the
 * CLI promises (heatmap.png grey at the input's 28 × 28, overlay.png, one PNG per block and
 * activations.json), and bad arguments get clear errors. Needs the native backend for the
 * training (`npm run native:link`); the pure-JS backend would take many minutes.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { detectBestBackend } from '../../electron/services/backendService.js';
import { loadProjectFile } from '../../electron/services/projectService.js';
import { defaultSpawner, train, type WorkerChannel } from '../../electron/services/trainingService.js';
import { ExplainWorkers } from '../../electron/services/explainJob.js';
import { ExplainModelCache } from '../../electron/services/explainModelCache.js';
import { loadTrainingBackend } from '../../electron/services/trainingBackend.js';
import { loadExplainModel, prepareInputFile } from '../../electron/services/explainService.js';
import { gradCam } from '../../shared/explain/explain.js';
import { runCli } from '../../electron/cli/main.js';
import { createHostApi } from '../../electron/server/hostApi.js';
import type { ExplainResult, ExplainSample } from '../../shared/explain/protocol.js';
import type { CellSamples, RunPredictions } from '../../shared/explain/gallery.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const digits = join(root, 'assets/datasets/digits');
const work = mkdtempSync(join(tmpdir(), 'layerloom-explain-mnist-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const backend = await detectBestBackend();
const native = backend.id === 'native' || backend.id === 'native-gpu';
const skipReason = native ? '' : `the native TensorFlow backend is not available; run "npm run native:link"`;
if (skipReason) console.log(`explainMnist: skipped — ${skipReason}`);

/** The mnist example with its dataset path made absolute, saved in the work folder. */
function projectCopy(): string {
  const json = JSON.parse(readFileSync(join(root, 'examples/mnist-cnn.layerloom'), 'utf8')) as { dataset: { path: string } };
  json.dataset.path = digits;
  const file = join(work, 'mnist.layerloom');
  writeFileSync(file, JSON.stringify(json));
  return file;
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await runCli(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('layerloom explain: arguments', () => {
  it('names what is missing (exit 2) and refuses the initial weights (exit 1)', async () => {
    const file = projectCopy();
    expect(await cli(['explain', file, '--method', 'gradcam', '--out', join(work, 'x')])).toMatchObject({ code: 2, err: expect.stringContaining('Give the input with --input FILE') });
    expect(await cli(['explain', file, '--input', 'a.png', '--method', 'lime', '--out', join(work, 'x')])).toMatchObject({ code: 2, err: expect.stringContaining('--method must be gradcam, saliency or activations, not "lime"') });
    expect(await cli(['explain', file, '--input', 'a.png', '--method', 'gradcam', '--out', join(work, 'x'), '--class', '-1'])).toMatchObject({ code: 2 });
    // No run yet: --run best finds none and says how to get one.
    const none = await cli(['explain', file, '--input', join(digits, '3/0242.png'), '--method', 'gradcam', '--out', join(work, 'x')]);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/no completed or stopped run .* Train the model/);
  }, 120_000);
});

describe.skipIf(Boolean(skipReason))('layerloom explain on the trained mnist example', () => {
  it('Grad-CAM looks at the digit, and the CLI writes heatmap, overlay and per-block activations', { timeout: 300_000 }, async () => {
    const file = projectCopy();
    const { doc } = await loadProjectFile(file);
    const handle = train({ doc, projectPath: file, overrides: { epochs: 2, batchSize: 32, optimizer: 'adam', learningRate: 0.001, validationSplit: 0.2, seed: 42 } }, () => undefined);
    const finished = await handle.done;
    expect(['completed', 'stopped']).toContain(finished.status);

    const { tf } = await loadTrainingBackend('auto');
    const model = await loadExplainModel(tf, { doc, projectPath: file, source: { kind: 'run', run: 'best', checkpoint: 'best' } });
    // Two digits of each class: stroke = pixels brighter than half, background = black pixels.
    let above = 0;
    let count = 0;
    let strokeSum = 0;
    let backgroundSum = 0;
    for (let k = 0; k < 10; k++) {
      for (const name of readdirSync(join(digits, String(k))).sort().slice(0, 2)) {
        const input = await prepareInputFile(tf, model, join(digits, String(k), name));
        const cam = gradCam(tf, model.model, input.x, { classIndex: k });
        input.x.dispose();
        const pixels = input.image?.pixels ?? expect.unreachable();
        let s = 0;
        let ns = 0;
        let b = 0;
        let nb = 0;
        pixels.forEach((p, i) => {
          if (p > 127) {
            s += cam.heatmap[i];
            ns++;
          } else if (p === 0) {
            b += cam.heatmap[i];
            nb++;
          }
        });
        strokeSum += s / ns;
        backgroundSum += b / nb;
        if (s / ns > b / nb) above++;
        count++;
      }
    }
    console.log(`explainMnist: Grad-CAM mean over stroke ${(strokeSum / count).toFixed(3)} vs background ${(backgroundSum / count).toFixed(3)}; stroke above background on ${above}/${count} digits`);
    expect(strokeSum / count).toBeGreaterThan(backgroundSum / count);
    expect(above / count).toBeGreaterThanOrEqual(0.75);
    model.model.dispose();

    const image = join(digits, '7', readdirSync(join(digits, '7')).sort()[0]);
    for (const method of ['gradcam', 'saliency']) {
      const out = join(work, method);
      const r = await cli(['explain', file, '--input', image, '--method', method, '--out', out]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/Predicted class \d/);
      const heat = await sharp(join(out, 'heatmap.png')).metadata();
      expect({ width: heat.width, height: heat.height, channels: heat.channels }).toEqual({ width: 28, height: 28, channels: 1 });
      const { data } = await sharp(join(out, 'heatmap.png')).raw().toBuffer({ resolveWithObject: true });
      expect(Math.max(...data)).toBe(255);
      expect((await sharp(join(out, 'overlay.png')).metadata()).channels).toBe(3);
    }
    const out = join(work, 'activations');
    const r = await cli(['explain', file, '--input', image, '--method', 'activations', '--out', out, '--run', 'latest']);
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'activations.json'), 'utf8')) as { blocks: { layer: string; block: string; shape: number[]; min: number; max: number; mean: number; deadShare: number | null; image: string }[] };
    expect(summary.blocks.map((b) => b.block)).toEqual(['conv1', 'pool1', 'conv2', 'pool2', 'conv3', 'flatten', 'dense1', 'dense2']);
    expect(summary.blocks[0].shape).toEqual([26, 26, 32]);
    expect(summary.blocks[0].deadShare).toBeGreaterThan(0);
    expect(summary.blocks[1].deadShare).toBeNull();
    for (const b of summary.blocks) expect(readdirSync(out)).toContain(b.image);

    // The editor API: the same explanation computed in a training worker, with the dataset's samples.
    const host = await createHostApi({ host: 'web', stateDir: join(work, 'state') });
    const samples = (await host.dispatch('listExplainSamples', [{ doc, projectPath: file }])) as ExplainSample[];
    expect(samples).toHaveLength(40);
    expect(samples[0].thumbnail).toMatch(/^data:image\/png;base64,/);
    const view = (await host.dispatch('explainSample', [{ doc, projectPath: file, sample: image }])) as ExplainResult;
    expect(view.gradcam).toMatchObject({ layer: 'conv2d_2', width: 28, height: 28 });
    expect(view.saliency?.values).toHaveLength(28 * 28);
    expect(view.blocks.map((b) => b.block)).toEqual(summary.blocks.map((b) => b.block));
    expect(view.classes).toHaveLength(10);
    expect(view.classIndex).toBe(view.predicted);
    await expect(host.dispatch('explainSample', [{ doc, projectPath: file, sample: image, classIndex: 12 }])).rejects.toThrow(/Class 12 does not exist/);
    await expect(host.dispatch('explainSample', [{ doc, projectPath: file, sample: 42 }])).rejects.toThrow(/Invalid arguments for explainSample/);
    host.close();

    // One explain worker per run: later samples reuse it (and its loaded model); another run, a
    // crash or closing ends it, and a crashed worker fails its request clearly, then is replaced.
    const channels: WorkerChannel[] = [];
    const spawn = defaultSpawner();
    const workers = new ExplainWorkers({
      spawn: () => {
        const c = spawn();
        channels.push(c);
        return c;
      },
    });
    const request = { doc, projectPath: file, sample: image };
    const first = await workers.explain(request);
    const again = await workers.explain({ ...request, sample: join(digits, '3', readdirSync(join(digits, '3')).sort()[0]) });
    expect(workers.started).toBe(1);
    expect(first.gradcam?.values).toEqual(view.gradcam?.values);
    expect(again.blocks).toHaveLength(view.blocks.length);
    const pending = workers.explain(request);
    channels[0].kill();
    await expect(pending).rejects.toThrow(/stopped unexpectedly .* Explain again to start a new one/);
    expect((await workers.explain(request)).predicted).toBe(view.predicted);
    expect(workers.started).toBe(2);
    const superseded = workers.explain(request);
    const latest = workers.explain({ ...request, run: 'latest' });
    await expect(superseded).rejects.toThrow(/cancelled: another run was chosen/);
    expect((await latest).predicted).toBe(view.predicted);
    expect(workers.started).toBe(3);
    workers.close();

    // The worker's model cache: the same weights give the kept model; rewritten weights a new one.
    const cache = new ExplainModelCache();
    const source = { kind: 'run', run: 'best', checkpoint: 'best' } as const;
    const m1 = await loadExplainModel(tf, { doc, projectPath: file, source }, cache);
    const moved = { ...doc, nodes: doc.nodes.map((n) => ({ ...n, position: { x: n.position.x + 10, y: n.position.y } })) };
    expect(await loadExplainModel(tf, { doc: moved, projectPath: file, source }, cache)).toBe(m1);
    const weightsFile = join(finished.runDir ?? expect.unreachable(), 'checkpoints', 'best', 'model', 'weights.bin');
    utimesSync(weightsFile, new Date(), new Date(Date.now() + 5000));
    const m2 = await loadExplainModel(tf, { doc, projectPath: file, source }, cache);
    expect(m2).not.toBe(m1);
    m2.model.dispose();

    // The misclassified gallery: evaluation kept every validation sample's prediction and top 3.
    const runDir = finished.runDir ?? expect.unreachable();
    const stored = JSON.parse(readFileSync(join(runDir, 'predictions.json'), 'utf8')) as RunPredictions;
    expect(stored.split).toBe('validation');
    expect(stored.samples).toHaveLength(800);
    expect(stored.samples.every((p) => p.top.length === 3 && p.top[0][0] === p.predicted)).toBe(true);
    const wrongOne = stored.samples.find((p) => p.actual !== p.predicted) ?? stored.samples[0];
    const cell = (await host.dispatch('cellSamples', [{ runDir, actual: wrongOne.actual, predicted: wrongOne.predicted }])) as CellSamples;
    expect(cell.total).toBe(stored.samples.filter((p) => p.actual === wrongOne.actual && p.predicted === wrongOne.predicted).length);
    expect(cell.samples[0].file).toBe(join(digits, ...(cell.samples[0].path ?? '').split('/')));
    expect(cell.samples[0].thumbnail).toMatch(/^data:image\/png/);
    const evaluation = JSON.parse(readFileSync(join(runDir, 'evaluation.json'), 'utf8')) as { confusionMatrix: { counts: number[][] } };
    expect(cell.total).toBe(evaluation.confusionMatrix.counts[wrongOne.actual][wrongOne.predicted]);

    const wrong = await cli(['explain', file, '--input', image, '--method', 'gradcam', '--layer', 'flatten', '--out', join(work, 'bad')]);
    expect(wrong).toMatchObject({ code: 1, err: expect.stringContaining('"flatten" gives (576)') });
  });
});
