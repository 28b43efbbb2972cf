/**
 * Reproducible runs: seeded initial weights (per block, from the project seed and the block's id,
 * bit-identical on the cpu, wasm and native backends), per-step dropout seeds (masks change from
 * step to step and repeat from run to run), and the CLI end to end — two `layerloom train --seed 3
 * --backend cpu` runs give the same losses, two `layerloom export --seed 7` the same weight bytes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { compileModel } from '../../shared/compile/compile.js';
import { layerSeed, stableHash, stepSeed } from '../../shared/compile/seeding.js';
import { stepRandomness } from '../../shared/compile/stepRandomness.js';
import type { ProjectDocument } from '../../shared/graph/document.js';
import { addNode, connect, disconnect } from '../../shared/graph/operations.js';
import type { EpochRecord } from '../../shared/training/protocol.js';
import { loadProjectFile } from '../../electron/services/projectService.js';
import { loadTrainingBackend } from '../../electron/services/trainingBackend.js';
import type { BackendChoice } from '../../shared/training/protocol.js';
import { chain } from '../helpers/chainDoc.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'bin/layerloom.js');
const example = (name: string) => join(root, 'examples', `${name}.layerloom`);
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'layerloom-repro-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

type TFNS = typeof tf;

/** Every weight of every built node, by node id then weight name, as raw float32 bytes. */
function initialWeights(doc: ProjectDocument, tfns: TFNS, seed: number | undefined): Map<string, Buffer> {
  const compiled = compileModel(doc, tfns, seed === undefined ? {} : { seed });
  const out = new Map<string, Buffer>();
  for (const [nodeId, name] of compiled.layerNames) {
    const layer = compiled.model.layers.find((l) => l.name === name);
    // By position in the layer: tfjs makes variable names unique per process (kernel, kernel_2, …).
    for (const [i, w] of (layer?.weights ?? []).entries()) {
      const values = w.read().dataSync() as Float32Array;
      out.set(`${nodeId}/${i}`, Buffer.from(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)));
    }
  }
  compiled.model.dispose();
  return out;
}

const sameBytes = (a: Map<string, Buffer>, b: Map<string, Buffer>) => [...a.keys()].filter((k) => !b.get(k)?.equals(a.get(k) as Buffer));

describe('seeded initial weights', () => {
  it('hash and seeds are stable numbers (saved projects depend on them)', () => {
    expect(stableHash('dense1')).toBe(stableHash('dense1'));
    expect(stableHash('dense1')).not.toBe(stableHash('dense2'));
    expect(layerSeed(42, 'dense1')).not.toBe(layerSeed(43, 'dense1'));
    expect(stepSeed(3, 0, 1)).not.toBe(stepSeed(3, 1, 0));
    // Pinned: changing the hash would change every saved project's initial weights.
    expect([stableHash(''), stableHash('dense1'), layerSeed(42, 'dense1'), stepSeed(3, 0, 0)]).toEqual([2872998923, 997437929, 3818687117, 1491943605]);
  });

  it('the same project and seed give the same weights; another seed other weights; no seed differs each time', async () => {
    const { doc } = await loadProjectFile(example('mnist-cnn'));
    const a = initialWeights(doc, tf, 7);
    const b = initialWeights(doc, tf, 7);
    expect(a.size).toBeGreaterThan(3);
    expect(sameBytes(a, b)).toEqual([]);
    const c = initialWeights(doc, tf, 8);
    const kernels = [...a.keys()].filter((k) => k.endsWith('/0'));
    expect(kernels.filter((k) => c.get(k)?.equals(a.get(k) as Buffer))).toEqual([]);
    const unseeded = [initialWeights(doc, tf, undefined), initialWeights(doc, tf, undefined)];
    expect(kernels.filter((k) => unseeded[0].get(k)?.equals(unseeded[1].get(k) as Buffer))).toEqual([]);
  });

  it('inserting a block leaves every other block\'s initial weights unchanged', async () => {
    const { doc } = await loadProjectFile(example('mlp'));
    const edge = doc.edges.find((e) => e.source === 'dense1' && e.target === 'dropout');
    expect(edge).toBeDefined();
    let inserted = disconnect(doc, [edge?.id as string]);
    inserted = addNode(inserted, 'Dense', { x: 0, y: 0 }, { id: 'extra', params: { units: 32, activation: 'relu' } }).doc;
    inserted = connect(connect(inserted, 'dense1', 'extra', 'in').doc, 'extra', 'dropout', 'in').doc;
    const before = initialWeights(doc, tf, 5);
    const after = initialWeights(inserted, tf, 5);
    expect([...after.keys()].filter((k) => k.startsWith('extra/'))).toHaveLength(2);
    expect(sameBytes(before, after)).toEqual([]);
  });

  it('are bit-identical on the cpu, wasm and native backends (every bundled example)', { timeout: 600_000 }, async () => {
    const names = ['mlp', 'mnist-cnn', 'text-lstm', 'transformer-classifier', 'resnet-mini'];
    const docs = await Promise.all(names.map(async (n) => (await loadProjectFile(example(n))).doc));
    const byBackend = new Map<string, Map<string, Buffer>[]>();
    const previous = tf.getBackend();
    try {
      for (const choice of ['cpu', 'wasm', 'native'] as BackendChoice[]) {
        let backend;
        try {
          backend = await loadTrainingBackend(choice);
        } catch (e) {
          // The native backend is optional (npm run native:link builds it); cpu and wasm always load.
          if (choice === 'native') {
            console.log(`native backend not compared: ${(e as Error).message}`);
            continue;
          }
          throw e;
        }
        byBackend.set(backend.name, docs.map((d) => initialWeights(d, backend.tf, 11)));
      }
    } finally {
      await tf.setBackend(previous);
    }
    console.log(`initial weights compared on: ${[...byBackend.keys()].join(', ')}`);
    const [first, ...others] = [...byBackend.entries()];
    expect(byBackend.size).toBeGreaterThanOrEqual(2);
    for (const [name, weights] of others) {
      weights.forEach((w, i) => expect({ backend: name, example: names[i], differ: sameBytes(first[1][i], w) }).toEqual({ backend: name, example: names[i], differ: [] }));
    }
  });
});

describe('per-step dropout seeds', () => {
  const doc = (): ProjectDocument => {
    let d = chain('random layers', [
      ['in', 'Input', { shape: [5, 8] }],
      ['drop', 'Dropout', { rate: 0.5 }],
      ['lstm', 'LSTM', { units: 6, dropout: 0.4, recurrent_dropout: 0.3, return_sequences: true }],
      ['gru', 'GRU', { units: 8, dropout: 0.3, bidirectional: true, merge_mode: 'sum', return_sequences: true }],
    ]);
    d = addNode(d, 'MultiHeadAttention', { x: 0, y: 0 }, { id: 'mha', params: { num_heads: 2, key_dim: 4, dropout: 0.5 } }).doc;
    d = addNode(d, 'Output', { x: 0, y: 0 }, { id: 'out' }).doc;
    d = connect(d, 'gru', 'mha', 'query').doc;
    d = connect(d, 'gru', 'mha', 'value').doc;
    return connect(d, 'mha', 'out', 'in').doc;
  };

  /** Each random layer's training-mode output at a given step, for a fresh model built with seed 1. */
  function outputsAt(steps: [number, number][]): number[][][] {
    const d = doc();
    const compiled = compileModel(d, tf, { seed: 1 });
    const randomness = stepRandomness(compiled, d, tf);
    expect(randomness.layers).toHaveLength(4);
    const result = steps.map(([epoch, batch]) => {
      randomness.reseed(stepSeed(3, epoch, batch));
      return compiled.model.layers
        .filter((l) => randomness.layers.includes(l.name))
        .map((l) => {
          const shape = (l.input as tf.SymbolicTensor).shape.map((n) => n ?? 2);
          const input = tf.ones(shape);
          const y = l.apply(input, { training: true }) as tf.Tensor;
          const v = Array.from(y.dataSync());
          tf.dispose([y, input]);
          return v;
        });
    });
    compiled.model.dispose();
    return result.map((layers) => layers.map((v) => v.map((n) => Math.fround(n))));
  }

  it('masks differ between steps and repeat across runs, for Dropout, LSTM/GRU (bidirectional) and attention dropout', () => {
    const run1 = outputsAt([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
    const run2 = outputsAt([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
    expect(run2).toEqual(run1);
    for (let layer = 0; layer < 4; layer++) {
      expect(run1[1][layer], `layer ${layer}: step (0,1) vs (0,0)`).not.toEqual(run1[0][layer]);
      expect(run1[2][layer], `layer ${layer}: step (1,0) vs (0,0)`).not.toEqual(run1[0][layer]);
    }
  });

  it('refuses a model whose random block it cannot seed', () => {
    const d = doc();
    const compiled = compileModel(d, tf, { seed: 1 });
    const drop = compiled.model.layers.find((l) => l.getClassName() === 'Dropout') as tf.layers.Layer;
    // A layer class that draws at random but is not one this module knows.
    Object.defineProperty(drop, 'getClassName', { value: () => 'SomeNoise' });
    expect(() => stepRandomness(compiled, d, tf)).toThrow(/"dropout".*Dropout.*random in training.*takes no seed/);
    compiled.model.dispose();
  });
});

describe('layerloom train --seed / export --seed', () => {
  const runCli = (args: string[]) => {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 300_000, cwd: root });
    expect(r.status, `${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
    return r;
  };
  const losses = (out: string): number[][] => {
    const dir = readdirSync(out)[0];
    const history = JSON.parse(readFileSync(join(out, dir, 'history.json'), 'utf8')) as EpochRecord[];
    return history.map((h) => [h.metrics.loss, h.metrics.val_loss]);
  };

  it('two runs of the mlp example with --seed 3 on cpu give identical losses; --seed 4 others', { timeout: 600_000 }, () => {
    const train = (seed: number, out: string) => runCli(['train', example('mlp'), '--seed', String(seed), '--backend', 'cpu', '--epochs', '3', '--out', join(work, out), '--json']);
    train(3, 'a');
    train(3, 'b');
    train(4, 'c');
    const a = losses(join(work, 'a'));
    expect(a).toHaveLength(3);
    expect(losses(join(work, 'b'))).toEqual(a);
    expect(losses(join(work, 'c'))[0][0]).not.toBe(a[0][0]);
  });

  it('two exports with --seed 7 write byte-identical weights for every target, --seed 8 others', { timeout: 300_000 }, () => {
    const files = { keras: ['weights.npz'], ts: ['weights/model.json', 'weights/weights.bin'] };
    for (const [target, names] of Object.entries(files)) {
      const exp = (seed: number, out: string) => {
        runCli(['export', example('mnist-cnn'), '--to', target, '-o', join(work, out), '--seed', String(seed)]);
        return names.map((n) => readFileSync(join(work, out, n)));
      };
      const a = exp(7, `${target}-7a`);
      const b = exp(7, `${target}-7b`);
      const c = exp(8, `${target}-8`);
      a.forEach((bytes, i) => expect(bytes.equals(b[i]), `${target} ${names[i]}`).toBe(true));
      expect(a[a.length - 1].equals(c[c.length - 1])).toBe(false);
    }
  });

  it('export --seed writes the initial weights training starts from', async () => {
    runCli(['export', example('mlp'), '--to', 'ts', '-o', join(work, 'mlp-ts'), '--seed', '9']);
    const saved = await tf.loadLayersModel(tf.io.fromMemory(
      JSON.parse(readFileSync(join(work, 'mlp-ts/weights/model.json'), 'utf8')).modelTopology,
      JSON.parse(readFileSync(join(work, 'mlp-ts/weights/model.json'), 'utf8')).weightsManifest[0].weights,
      new Uint8Array(readFileSync(join(work, 'mlp-ts/weights/weights.bin'))).buffer,
    ));
    const { doc } = await loadProjectFile(example('mlp'));
    const compiled = compileModel(doc, tf, { seed: 9 });
    const expected = compiled.model.getWeights().map((w) => Array.from(w.dataSync()));
    expect(saved.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(expected);
    saved.dispose();
    compiled.model.dispose();
  });
});
