/**
 * Recurrent states between blocks equal real Keras 3: encoder/decoder graphs where a SimpleRNN,
 * LSTM or GRU (plain and Bidirectional) returns its final states (`return_state`) and another
 * starts from them (`initial_state`). For each graph the app's tfjs model is exported to Keras
 * (model.py + weights.npz); in one Python process, build_model() must have the analysis's parameter
 * counts and Keras's layer order as planned, and with the same weights its predictions (several
 * outputs, states among them) must equal the tfjs model's within 1e-4. Then the tfjs models train
 * a few steps. Skipped, saying why, without Python + Keras.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { kerasLayerOrder, planModel } from '../../shared/codegen/plan.js';
import { buildOnnxGraph } from '../../shared/codegen/onnx/index.js';
import { copyNodes, pastePayload, parseClipboard, serializeClipboard } from '../../shared/editing/clipboard.js';
import { checkConnection } from '../../shared/editing/connectCheck.js';
import { connect, setParam } from '../../shared/graph/operations.js';
import { parseProject, serializeProject } from '../../shared/graph/serialization.js';
import { compileModel } from '../../shared/compile/compile.js';
import { exportProject } from '../../electron/services/exportService.js';
import { decodeNpz, encodeNpz, type NpyArray } from '../../electron/services/weights/npz.js';
import { folderSaveHandler } from '../../electron/services/weights/tfjsFolder.js';
import { graphOf, INPUT_SEED, maxAbsDiff, predictTfjs, randomInputs, type ExportCase } from './exportCases.js';
import { lastPythonError, pythonStderr } from '../helpers/pythonLog.js';

const PYTHON = process.env.PYTHON ?? 'python3';
const script = fileURLToPath(new URL('../python/checkExports.py', import.meta.url));

function whyNoKeras(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import keras, numpy'], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
  if (r.error) return `${PYTHON} cannot be run (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} cannot import keras: ${lastPythonError(r.stderr)}`;
  return null;
}

await tf.setBackend('cpu');

/** The encoder/decoder graphs: small shapes, every recurrent kind, plain and bidirectional. */
function stateCases(): ExportCase[] {
  const inputs = [
    { id: 'ei', type: 'Input', label: 'encoder_in', params: { shape: [5, 3] } },
    { id: 'di', type: 'Input', label: 'decoder_in', params: { shape: [4, 2] } },
  ];
  return [
    {
      // The classic Keras seq2seq: LSTM encoder states start the LSTM decoder.
      id: 'lstm_seq2seq',
      doc: graphOf('LSTM seq2seq', [
        ...inputs,
        { id: 'enc', type: 'LSTM', label: 'encoder', params: { units: 4, return_state: true }, from: { in: 'ei' } },
        { id: 'dec', type: 'LSTM', label: 'decoder', params: { units: 4, return_sequences: true, initial_state: true }, from: { in: 'di', initial_h: 'enc:h', initial_c: 'enc:c' } },
        { id: 'd', type: 'Dense', label: 'tokens', params: { units: 3, activation: 'softmax' }, from: { in: 'dec' } },
        { id: 'o', type: 'Output', label: 'next_token', from: { in: 'd' } },
      ]),
    },
    {
      // GRU with reset_after (Layerloom's own tfjs GRU): the decoder also returns its state, and
      // that state is a model output of its own.
      id: 'gru_seq2seq_state_out',
      doc: graphOf('GRU seq2seq', [
        ...inputs,
        { id: 'enc', type: 'GRU', label: 'encoder', params: { units: 3, return_state: true, return_sequences: true }, from: { in: 'ei' } },
        { id: 'dec', type: 'GRU', label: 'decoder', params: { units: 3, initial_state: true, return_state: true }, from: { in: 'di', initial_h: 'enc:h' } },
        { id: 'd', type: 'Dense', label: 'score', params: { units: 2 }, from: { in: 'dec' } },
        { id: 'o', type: 'Output', label: 'score_out', from: { in: 'd' } },
        { id: 'o2', type: 'Output', label: 'decoder_state', from: { in: 'dec:h' } },
        { id: 'o3', type: 'Output', label: 'encoder_steps', from: { in: 'enc' } },
      ]),
    },
    {
      // SimpleRNN and tfjs's own GRU (reset_after off), a state through a Dense first.
      id: 'simplernn_gru_v1',
      doc: graphOf('SimpleRNN state', [
        ...inputs,
        { id: 'enc', type: 'SimpleRNN', label: 'encoder', params: { units: 3, return_state: true }, from: { in: 'ei' } },
        { id: 'proj', type: 'Dense', label: 'bridge', params: { units: 3, activation: 'tanh' }, from: { in: 'enc:h' } },
        { id: 'dec', type: 'GRU', label: 'decoder', params: { units: 3, initial_state: true, reset_after: false, return_sequences: true }, from: { in: 'di', initial_h: 'proj' } },
        { id: 'o', type: 'Output', label: 'steps', from: { in: 'dec' } },
        { id: 'o2', type: 'Output', label: 'summary', from: { in: 'enc' } },
      ]),
    },
    {
      // Bidirectional: Keras's order [out, forward h, forward c, backward h, backward c] both ways.
      id: 'bidirectional_lstm',
      doc: graphOf('Bidirectional seq2seq', [
        ...inputs,
        { id: 'enc', type: 'LSTM', label: 'encoder', params: { units: 2, return_state: true, bidirectional: true }, from: { in: 'ei' } },
        {
          id: 'dec',
          type: 'LSTM',
          label: 'decoder',
          params: { units: 2, return_sequences: true, initial_state: true, bidirectional: true, merge_mode: 'sum' },
          from: { in: 'di', initial_h: 'enc:h', initial_c: 'enc:c', initial_h_backward: 'enc:h_backward', initial_c_backward: 'enc:c_backward' },
        },
        { id: 'o', type: 'Output', label: 'steps', from: { in: 'dec' } },
        { id: 'o2', type: 'Output', label: 'backward_cell', from: { in: 'enc:c_backward' } },
      ]),
    },
    {
      // A bidirectional GRU's two final states, concatenated.
      id: 'bidirectional_gru_states',
      doc: graphOf('Bidirectional GRU states', [
        inputs[0],
        { id: 'enc', type: 'GRU', label: 'encoder', params: { units: 2, return_state: true, bidirectional: true }, from: { in: 'ei' } },
        { id: 'cat', type: 'Concatenate', label: 'both', from: { in0: 'enc:h', in1: 'enc:h_backward' } },
        { id: 'o', type: 'Output', label: 'state', from: { in: 'cat' } },
      ]),
    },
  ];
}

const skipReason = whyNoKeras();
if (skipReason) console.log(`Recurrent state check against Keras skipped: ${skipReason}. Install keras 3.15 and tensorflow-cpu 2.21 (see FACTS.md) to run it.`);

interface PyResult {
  readonly id: string;
  readonly error?: string;
  readonly trace?: string;
  readonly total?: number;
  readonly trainable?: number;
  readonly layers?: string[];
}

const cases = stateCases();

describe('recurrent states between blocks', () => {
  it('every case analyses without a problem; state ports have (units) shapes', () => {
    for (const c of cases) expect([c.id, analyzeGraph(c.doc).diagnostics]).toEqual([c.id, []]);
    const enc = analyzeGraph(cases[3].doc).nodes.get('enc');
    expect(enc?.outputs.map((p) => p.name)).toEqual(['out', 'h', 'c', 'h_backward', 'c_backward']);
    expect([...(enc?.outputShapes.entries() ?? [])]).toEqual([['out', [4]], ['h', [2]], ['c', [2]], ['h_backward', [2]], ['c_backward', [2]]]);
  });

  it('turning Return state off keeps the wires from the states and says how to fix them', () => {
    const doc = setParam(cases[0].doc, 'enc', 'return_state', false);
    expect(doc.edges.filter((e) => e.source === 'enc').map((e) => e.sourcePort)).toEqual(['h', 'c']);
    const dec = analyzeGraph(doc).nodes.get('dec');
    expect(dec?.shape).toBeNull();
    expect(dec?.diagnostics.map((d) => [d.code, d.message])).toEqual([
      ['LL016', 'The wire into "decoder" comes from the "h" output of "encoder", which it no longer has. Turn "Return state" back on in "encoder", or reconnect the wire from an output it has ("out").'],
      ['LL016', 'The wire into "decoder" comes from the "c" output of "encoder", which it no longer has. Turn "Return state" back on in "encoder", or reconnect the wire from an output it has ("out").'],
    ]);
    expect(() => connect(doc, { node: 'enc', port: 'h' }, 'd', 'in')).toThrow('encoder has no output "h". Turn on "Return state" to get its final states.');
    expect(checkConnection(doc, { node: 'enc', port: 'c' }, 'd', 'in')).toEqual({ ok: false, reason: 'encoder has no output "c".' });
  });

  it('an initial state of the wrong size is an error naming the size it needs', () => {
    // The decoder's c fed from the encoder's output steps (5, 3): not (None, 3).
    const doc = connect(cases[1].doc, 'enc', 'dec', 'initial_h').doc;
    const diagnostics = analyzeGraph(doc).nodes.get('dec')?.diagnostics ?? [];
    expect(diagnostics.map((d) => [d.code, d.param])).toEqual([['LL007', 'initial_state']]);
    expect(diagnostics[0].message).toContain('the initial state on "h" must be (None, 3) — (batch, units) — but got (None, 5, 3)');
  });

  it('project files and the clipboard keep each wire\'s output port; unknown ports are refused on load', () => {
    const doc = cases[3].doc;
    const text = serializeProject(doc);
    const back = parseProject(text);
    expect(back.ok && back.doc.edges.map((e) => e.sourcePort)).toEqual(doc.edges.map((e) => e.sourcePort));
    const raw = JSON.parse(text) as { edges: { sourcePort?: string }[] };
    raw.edges[2].sourcePort = 'state';
    const bad = parseProject(JSON.stringify(raw));
    expect(bad.ok ? null : bad.errors.join('\n')).toContain('sourcePort: expected one of "out", "h", "c", "h_backward", "c_backward", got "state"');
    const payload = parseClipboard(serializeClipboard(copyNodes(doc, ['ei', 'di', 'enc', 'dec']) ?? ({} as never)));
    if (!payload) throw new Error('clipboard not read back');
    const pasted = pastePayload(doc, payload, { offset: { x: 40, y: 40 } });
    const ports = pasted.doc.edges.filter((e) => pasted.edgeIds.includes(e.id)).map((e) => `${e.sourcePort}->${e.targetPort}`);
    expect(ports.sort()).toEqual(['c->initial_c', 'c_backward->initial_c_backward', 'h->initial_h', 'h_backward->initial_h_backward', 'out->in', 'out->in'].sort());
  });

  it('the tfjs models survive save and load (model.json) with the same predictions', async () => {
    for (const c of cases) {
      const model = compileModel(c.doc, tf, { seed: 5 }).model;
      let artifacts: tf.io.ModelArtifacts | undefined;
      await model.save(
        tf.io.withSaveHandler(async (a) => {
          artifacts = a;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      if (!artifacts) throw new Error('nothing saved');
      const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      const inputs = randomInputs(planModel(c.doc), INPUT_SEED);
      const want = predictTfjs(tf, model, inputs);
      const got = predictTfjs(tf, loaded, inputs);
      expect([c.id, got.map((g, i) => maxAbsDiff(g, want[i]))]).toEqual([c.id, want.map(() => 0)]);
      model.dispose();
      loaded.dispose();
    }
  });

  it('the ONNX export refuses wired states, naming the block and the way out; unwired states are no obstacle', () => {
    expect(() => buildOnnxGraph(planModel(cases[0].doc), new Map())).toThrow(
      /LSTM "encoder" passes recurrent states .*Export to Keras or TensorFlow\.js, or turn both options off for ONNX/,
    );
    // return_state on with nothing wired to the states: only the missing weights stop it here.
    const plain = graphOf('unwired', [
      { id: 'ei', type: 'Input', label: 'encoder_in', params: { shape: [5, 3] } },
      { id: 'enc', type: 'LSTM', label: 'encoder', params: { units: 2, return_state: true }, from: { in: 'ei' } },
      { id: 'o', type: 'Output', label: 'o', from: { in: 'enc' } },
    ]);
    expect(() => buildOnnxGraph(planModel(plain), new Map())).toThrow(/its weights lack/);
  });

  it('the TypeScript export builds the same model (topology, predictions) and type-checks', async () => {
    const root = mkdtempSync(join(tmpdir(), 'layerloom-rnn-state-ts-'));
    const repo = fileURLToPath(new URL('../../', import.meta.url));
    symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
    try {
      for (const c of cases) {
        const app = compileModel(c.doc, tf, { seed: 7 }).model;
        await app.save(folderSaveHandler(join(root, `${c.id}-saved`)));
        await exportProject({ doc: c.doc, target: 'ts', folder: join(root, c.id), source: { kind: 'folder', path: join(root, `${c.id}-saved`) }, tf });
        const { buildModel } = (await import(pathToFileURL(join(root, c.id, 'model.ts')).href)) as { buildModel: () => tf.LayersModel };
        const { loadWeights } = (await import(pathToFileURL(join(root, c.id, 'weights.ts')).href)) as { loadWeights: (m: tf.LayersModel, folder: string) => Promise<void> };
        const exported = buildModel();
        try {
          expect(exported.toJSON(null, false)).toEqual(app.toJSON(null, false));
          await loadWeights(exported, join(root, c.id, 'weights'));
          const inputs = randomInputs(planModel(c.doc), INPUT_SEED);
          const want = predictTfjs(tf, app, inputs);
          const got = predictTfjs(tf, exported, inputs);
          expect([c.id, Math.max(...got.map((g, i) => maxAbsDiff(g, want[i])))]).toEqual([c.id, 0]);
        } finally {
          exported.dispose();
          app.dispose();
        }
      }
      // The destructured `const [x, x_h, x_c] = ... as tf.SymbolicTensor[]` type-checks (strict).
      const options = (JSON.parse(readFileSync(join(root, cases[0].id, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> }).compilerOptions;
      writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, include: cases.map((c) => `${c.id}/model.ts`) }));
      const r = spawnSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { encoding: 'utf8', timeout: 300_000 });
      expect(r.stdout + r.stderr).toBe('');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 300_000);

  it('train a few steps in tfjs (loss falls, weights stay finite)', async () => {
    const c = cases[0];
    const model = compileModel(c.doc, tf, { seed: 3 }).model;
    model.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy' });
    const xs = [tf.randomNormal([8, 5, 3], 0, 1, 'float32', 1), tf.randomNormal([8, 4, 2], 0, 1, 'float32', 2)];
    const ys = tf.oneHot(tf.tensor2d(Array.from({ length: 32 }, (_, i) => i % 3), [8, 4], 'int32'), 3).toFloat();
    try {
      const h = await model.fit(xs, ys, { epochs: 8, batchSize: 8, verbose: 0 });
      const loss = h.history.loss as number[];
      expect(loss.every(Number.isFinite)).toBe(true);
      expect(loss[loss.length - 1]).toBeLessThan(loss[0]);
    } finally {
      tf.dispose([...xs, ys]);
      model.dispose();
    }
  });
});

describe.skipIf(skipReason !== null)('recurrent states equal Keras 3', () => {
  const root = mkdtempSync(join(tmpdir(), 'layerloom-rnn-state-'));
  const expected = new Map<string, NpyArray[]>();
  const results = new Map<string, PyResult>();
  const prepErrors = new Map<string, string>();

  beforeAll(async () => {
    const jobs: { id: string; dir: string; inputs: string }[] = [];
    for (const c of cases) {
      const dir = join(root, c.id);
      let model: tf.LayersModel | null = null;
      try {
        model = compileModel(c.doc, tf, { seed: 11 }).model;
        await model.save(folderSaveHandler(join(root, `${c.id}-tfjs`)));
        await exportProject({ doc: c.doc, target: 'keras', folder: dir, source: { kind: 'folder', path: join(root, `${c.id}-tfjs`) }, tf });
        const inputs = randomInputs(planModel(c.doc), INPUT_SEED);
        writeFileSync(join(dir, 'inputs.npz'), encodeNpz(inputs.map((array, i) => ({ name: `in${i}`, array }))));
        expected.set(c.id, predictTfjs(tf, model, inputs));
        jobs.push({ id: c.id, dir, inputs: join(dir, 'inputs.npz') });
      } catch (e) {
        prepErrors.set(c.id, (e as Error).message);
      } finally {
        model?.dispose();
      }
    }
    const jobsFile = join(root, 'jobs.json');
    writeFileSync(jobsFile, JSON.stringify({ cases: jobs, trains: [], mixed: [], defaults: {} }));
    const r = spawnSync(PYTHON, [script, jobsFile], { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    let parsed: { error?: string; results?: PyResult[] };
    try {
      parsed = JSON.parse(last) as typeof parsed;
    } catch {
      throw new Error(`checkExports.py gave no result (exit ${r.status}):\n${pythonStderr(r.stderr).slice(-4000)}`);
    }
    if (parsed.error) throw new Error(parsed.error);
    for (const res of parsed.results ?? []) results.set(res.id, res);
  }, 400_000);

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  for (const c of cases) {
    it(`${c.id}: same params, Keras layer order as planned, same predictions`, () => {
      const prep = prepErrors.get(c.id);
      if (prep) throw new Error(`${c.id}: exporting or running the app's tfjs model failed: ${prep}`);
      const res = results.get(c.id);
      if (res?.error) throw new Error(`${c.id}: ${res.error}\n${res.trace ?? ''}\n${readFileSync(join(root, c.id, 'model.py'), 'utf8')}`);
      const totals = analyzeGraph(c.doc).totals;
      expect([res?.total, res?.trainable]).toEqual([totals.trainable + totals.nonTrainable, totals.trainable]);
      expect(res?.layers).toEqual(kerasLayerOrder(planModel(c.doc)));
      const outputs = decodeNpz(new Uint8Array(readFileSync(join(root, c.id, 'keras_outputs.npz'))));
      const want = expected.get(c.id) ?? [];
      expect(outputs.length).toBe(want.length);
      outputs.forEach((o, i) => {
        expect(o.array.shape).toEqual(want[i].shape);
        expect(maxAbsDiff(o.array, want[i])).toBeLessThanOrEqual(1e-4);
      });
    });
  }
});
