/**
 * The TypeScript export type-checks with tsc and equals the app's tfjs model: for every example and
 * the random graphs of the Keras check, the exported buildModel() (run here under the project's
 * tfjs) has the same layer configs as compileModel's model, and with the exported weights loaded by
 * the exported loadWeights() gives the same predictions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { planModel } from '../../shared/codegen/plan.js';
import { compileModel } from '../../shared/compile/compile.js';
import { regularizationPenalty } from '../../shared/compile/regularization.js';
import { exportProject } from '../../electron/services/exportService.js';
import { folderSaveHandler } from '../../electron/services/weights/tfjsFolder.js';
import {
  leftOutReport,
  leftOut,
  coveringRandomCases,
  exampleCases,
  graphOf,
  handCases,
  INPUT_SEED,
  maxAbsDiff,
  pipelinePreprocessing,
  predictTfjs,
  randomInputs,
  smokeDataset,
  type ExportCase,
} from './exportCases.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Declarations of the part of @tensorflow/tfjs-node that train.ts uses beyond @tensorflow/tfjs (the
 * native package cannot be installed here); signatures as in tfjs-node 4.22's image.d.ts.
 */
const TFJS_NODE_TYPES = `declare module '@tensorflow/tfjs-node' {
  import type { Tensor3D, Tensor4D } from '@tensorflow/tfjs';
  export * from '@tensorflow/tfjs';
  export const node: {
    decodeImage(content: Uint8Array, channels?: number, dtype?: string, expandAnimations?: boolean): Tensor3D | Tensor4D;
    decodeJpeg(contents: Uint8Array, channels?: number, ratio?: number, fancyUpscaling?: boolean, tryRecoverTruncated?: boolean, acceptableFraction?: number, dctMethod?: string): Tensor3D;
  };
}
`;

/** Why train.ts cannot run here (tfjs-node not installed or its addon not built), or null. */
function whyNoTfjsNode(): string | null {
  const r = spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
  return r.status === 0 ? null : `@tensorflow/tfjs-node does not load (${(r.stderr || '').trim().split('\n').find((l) => /Error/.test(l)) ?? `exit ${r.status}`}); npm run native:link builds it`;
}
const hasRealTfjsNodeTypes = existsSync(join(repo, 'node_modules/@tensorflow/tfjs-node/dist/index.d.ts'));

type ModelModule = { buildModel: () => tf.LayersModel };
type WeightsModule = { loadWeights: (model: tf.LayersModel, folder: string) => Promise<void> };

await tf.setBackend('cpu');
const cases: ExportCase[] = [...exampleCases(), ...handCases(), ...coveringRandomCases(10).cases];
if (leftOut.length) console.log(`Random graphs left out as no user's model (an error in the others fails its case):\n${leftOutReport()}`);

/** A model's topology as JSON, for comparing two builds of the same graph. */
function topology(model: tf.LayersModel): unknown {
  return model.toJSON(null, false);
}

describe('TypeScript export', () => {
  const root = mkdtempSync(join(tmpdir(), 'layerloom-ts-export-'));
  const diffs = new Map<string, number>();

  beforeAll(async () => {
    // Resolve @tensorflow/tfjs, typescript and @types/node from the repository, as an installed export would.
    symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
    const examples = new Set([...exampleCases(), ...handCases()].map((c) => c.id));
    for (const c of cases) {
      const { model } = compileModel(c.doc, tf);
      try {
        await model.save(folderSaveHandler(join(root, `${c.id}-saved`)));
      } finally {
        model.dispose();
      }
      // Examples ship the preprocessing Layerloom's pipeline records, as trained weights would.
      const data = examples.has(c.id) ? smokeDataset(c, join(root, `${c.id}-data`)) : null;
      if (data) writeFileSync(join(root, `${c.id}-saved`, 'preprocessing.json'), await pipelinePreprocessing(c, data));
      await exportProject({ doc: c.doc, target: 'ts', folder: join(root, c.id), source: { kind: 'folder', path: join(root, `${c.id}-saved`) }, tf });
    }
  }, 600_000);

  afterAll(() => {
    console.log(`TypeScript export vs the app's tfjs model:\n${cases.map((c) => `  ${c.id.padEnd(24)} max |export - app| ${diffs.get(c.id)?.toExponential(2) ?? 'n/a'}`).join('\n')}`);
    rmSync(root, { recursive: true, force: true });
  });

  it('every exported folder type-checks with tsc (strict, its own tsconfig options)', () => {
    const exported = JSON.parse(readFileSync(join(root, cases[0].id, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
    // The real @tensorflow/tfjs-node types when the package is installed, else the declarations above.
    const extra = hasRealTfjsNodeTypes ? [] : ['tfjs-node.d.ts'];
    if (!hasRealTfjsNodeTypes) writeFileSync(join(root, 'tfjs-node.d.ts'), TFJS_NODE_TYPES);
    writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: exported.compilerOptions, include: [...cases.map((c) => `${c.id}/*.ts`), ...extra] }));
    const r = spawnSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { encoding: 'utf8', timeout: 300_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 300_000);

  const noTfjsNode = whyNoTfjsNode();
  if (noTfjsNode) console.log(`train.ts smoke runs skipped: ${noTfjsNode}.`);
  it.skipIf(noTfjsNode !== null)('train.ts trains every example and hand case with a dataset (tfjs-node), projecting constrained weights after each batch', async () => {
    const runs = [...exampleCases(), ...handCases()].flatMap((c) => {
      const data = smokeDataset(c, join(root, `${c.id}-data`));
      return data ? [{ c, data }] : [];
    });
    // Each export ships its run's preprocessing, which its train.ts then uses.
    for (const { c } of runs) expect(existsSync(join(root, c.id, 'preprocessing.json')), c.id).toBe(true);
    expect(runs.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const { c, data } of runs) {
      const output = join(root, `${c.id}-trained`);
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'train.ts', '--data', data, '--epochs', '2', '--batch-size', '8', '--output', output], {
        cwd: join(root, c.id),
        encoding: 'utf8',
        timeout: 300_000,
      });
      if (r.status !== 0) failures.push(`${c.id}: exit ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      else for (const f of ['model/model.json', 'model/weights.bin', 'last/model.json']) if (!existsSync(join(output, f))) failures.push(`${c.id}: no ${f}`);
    }
    expect(failures).toEqual([]);
    // Weight constraints: train.ts projects after each batch. hand_norm_options's conv_l1l2 kernel
    // (max_norm 0.5 per filter, axes 0 and 1) starts near norm 1 and ends within the cap.
    const constrained = runs.find(({ c }) => c.id === 'hand_norm_options');
    expect(constrained).toBeDefined();
    if (constrained) {
      const { loadWeights } = (await import(pathToFileURL(join(root, 'hand_norm_options', 'weights.ts')).href)) as WeightsModule;
      const model = compileModel(constrained.c.doc, tf).model;
      try {
        const norms = (): number[] => tf.tidy(() => Array.from(tf.sqrt(tf.sum(tf.square(model.getLayer('conv_l1l2').getWeights()[0]), [0, 1])).dataSync()));
        await loadWeights(model, join(root, 'hand_norm_options', 'weights'));
        expect(Math.max(...norms()), 'the exported weights break the constraint').toBeGreaterThan(0.5);
        await loadWeights(model, join(root, 'hand_norm_options-trained', 'model'));
        for (const n of norms()) expect(n).toBeLessThanOrEqual(0.5 + 1e-6);
      } finally {
        model.dispose();
      }
    }
  }, 600_000);

  it('the exported model counts tfjs’s recurrent layers’ regularization penalties by itself (fresh process), as the app does', async () => {
    // Only tfjs's own recurrent layers (no Layerloom layer that would load layerloomLayers anyway).
    const doc = graphOf('Regularized recurrent', [
      { id: 'in', type: 'Input', label: 'steps', params: { shape: [4, 2] } },
      { id: 'l', type: 'LSTM', label: 'lstm', params: { units: 3, bidirectional: true, return_sequences: true, kernel_l2: 0.05, recurrent_l1: 0.01, bias_l2: 0.1 }, from: { in: 'in' } },
      { id: 'g', type: 'GRU', label: 'gru', params: { units: 2, reset_after: false, recurrent_l2: 0.02 }, from: { in: 'l' } },
      { id: 'out', type: 'Output', label: 'out', from: { in: 'g' } },
    ]);
    const dir = join(root, 'regularized_rnn');
    const { model: app } = compileModel(doc, tf);
    try {
      await app.save(folderSaveHandler(`${dir}-saved`));
      await exportProject({ doc, target: 'ts', folder: dir, source: { kind: 'folder', path: `${dir}-saved` }, tf });
      const want = regularizationPenalty(app);
      expect(want).toBeGreaterThan(0.01);
      // A process where only the exported files have touched tfjs: tfjs alone leaves these out.
      const script = join(root, 'penalty-check.mts');
      writeFileSync(
        script,
        `import { buildModel } from './regularized_rnn/model.js';\nimport { loadWeights } from './regularized_rnn/weights.js';\n` +
          `const model = buildModel();\nawait loadWeights(model, ${JSON.stringify(join(dir, 'weights'))});\n` +
          'console.log(JSON.stringify(model.calculateLosses().reduce((a, p) => a + p.dataSync()[0], 0)));\n',
      );
      const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: root, encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      const got = Number(r.stdout.trim().split('\n').pop());
      expect(Math.abs(got - want)).toBeLessThan(1e-6 * want);
    } finally {
      app.dispose();
    }
  });

  for (const c of cases) {
    it(`${c.id}: buildModel() equals the app's model (config, weights, predictions)`, async () => {
      const dir = join(root, c.id);
      const { buildModel } = (await import(pathToFileURL(join(dir, 'model.ts')).href)) as ModelModule;
      const { loadWeights } = (await import(pathToFileURL(join(dir, 'weights.ts')).href)) as WeightsModule;
      const exported = buildModel();
      const app = compileModel(c.doc, tf).model;
      try {
        expect(topology(exported)).toEqual(topology(app));
        await loadWeights(exported, join(dir, 'weights'));
        await loadWeights(app, join(dir, 'weights'));
        const inputs = randomInputs(planModel(c.doc), INPUT_SEED);
        const want = predictTfjs(tf, app, inputs);
        const got = predictTfjs(tf, exported, inputs);
        const worst = Math.max(0, ...got.map((g, i) => maxAbsDiff(g, want[i])));
        diffs.set(c.id, worst);
        expect(worst).toBeLessThanOrEqual(1e-4);
      } finally {
        exported.dispose();
        app.dispose();
      }
    });
  }
});
