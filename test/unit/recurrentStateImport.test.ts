/**
 * Importing models whose recurrent layers pass states: Keras 3 `.keras` files saved by real Keras
 * (the classic seq2seq — `x, h, c = LSTM(return_state=True)(x)` into `LSTM(...)(y,
 * initial_state=[h, c])` — GRU and Bidirectional variants, a state as a model output) import with
 * each wire on the right output port, Keras's parameter count and Keras's predictions
 * (max|a−b| / max|b| ≤ 1e-4). Layerloom's own tfjs model.json (inputs listed, as Keras 2 and tfjs
 * record them) imports back into the same graph. One Python process; skipped without Keras.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSummary } from '../../shared/analysis/summary.js';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { compileModel } from '../../shared/compile/compile.js';
import { importKerasModel, modelConfigOf } from '../../shared/import/kerasModel.js';
import type { JsonObject } from '../../shared/import/kerasValues.js';
import { importModelFile } from '../../electron/services/import/importService.js';
import { runPythonJson, whyNoKeras } from '../helpers/python.js';
import { graphOf } from './exportCases.js';

const skip = whyNoKeras();
if (skip) console.log(`Recurrent state import checks skipped: ${skip}.`);

await tf.setBackend('cpu');

/** Builds, saves and runs the models; prints {name: {params, x: [inputs], y: [outputs]}}. */
const KERAS = `
import sys, json, keras, numpy as np
from keras import layers
out = {}
rng = np.random.default_rng(3)

def save(name, model):
    model.save(sys.argv[1] + '/' + name + '.keras')
    xs = [rng.normal(0, 1, [2] + list(i.shape[1:])).astype('float32') for i in model.inputs]
    ys = model.predict(xs, verbose=0)
    ys = ys if isinstance(ys, list) else [ys]
    out[name] = {'params': model.count_params(), 'x': [x.tolist() for x in xs], 'y': [np.asarray(y).tolist() for y in ys]}

enc_in = keras.Input((5, 3), name='encoder_in')
dec_in = keras.Input((4, 2), name='decoder_in')
_, h, c = layers.LSTM(4, return_state=True, name='encoder')(enc_in)
seq = layers.LSTM(4, return_sequences=True, name='decoder')(dec_in, initial_state=[h, c])
save('lstm_seq2seq', keras.Model([enc_in, dec_in], [layers.Dense(3, activation='softmax', name='tokens')(seq), c]))

steps, h = layers.GRU(3, return_sequences=True, return_state=True, name='encoder')(enc_in)
y, h2 = layers.GRU(3, return_state=True, name='decoder')(dec_in, initial_state=h)
save('gru_seq2seq', keras.Model([enc_in, dec_in], [y, h2, steps]))

_, fh, fc, bh, bc = layers.Bidirectional(layers.LSTM(2, return_state=True), name='encoder')(enc_in)
seq = layers.Bidirectional(layers.LSTM(2, return_sequences=True), merge_mode='sum', name='decoder')(dec_in, initial_state=[fh, fc, bh, bc])
save('bidirectional_lstm', keras.Model([enc_in, dec_in], [seq, bc]))

_, h = layers.SimpleRNN(3, return_state=True, name='encoder')(enc_in)
seq = layers.SimpleRNN(3, return_sequences=True, name='decoder')(dec_in, initial_state=h)
save('simplernn', keras.Model([enc_in, dec_in], seq))
print(json.dumps(out))
`;

type KerasRun = Record<string, { params: number; x: number[][][][]; y: number[][] }>;

function flatten(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flatten) : [v as number];
}

describe.skipIf(skip !== null)('Keras models that pass recurrent states import Keras-exact', () => {
  const dir = mkdtempSync(join(tmpdir(), 'layerloom-state-import-'));
  const keras = skip ? {} : runPythonJson<KerasRun>(KERAS, [dir]);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const ports: Record<string, string[]> = {
    lstm_seq2seq: ['c->in', 'c->initial_c', 'h->initial_h'],
    gru_seq2seq: ['h->in', 'h->initial_h'],
    bidirectional_lstm: ['c->initial_c', 'c_backward->in', 'c_backward->initial_c_backward', 'h->initial_h', 'h_backward->initial_h_backward'],
    simplernn: ['h->initial_h'],
  };

  for (const name of Object.keys(ports)) {
    it(`${name}: wires from the state ports, Keras's count and predictions`, async () => {
      const imported = await importModelFile(join(dir, `${name}.keras`), { tf });
      const model = imported.model;
      try {
        const k = keras[name];
        expect(analyzeGraph(imported.doc).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        expect(imported.doc.edges.filter((e) => e.sourcePort !== 'out').map((e) => `${e.sourcePort}->${e.targetPort}`).sort()).toEqual(ports[name]);
        expect(buildSummary(imported.doc).total).toBe(k.params);
        if (!model) throw new Error('the .keras file had weights, but none were loaded');
        const xs = k.x.map((x) => tf.tensor(x));
        const ys = model.predict(xs);
        const list = Array.isArray(ys) ? ys : [ys];
        expect(list.length).toBe(k.y.length);
        list.forEach((y, i) => {
          const want = flatten(k.y[i]);
          const got = Array.from(y.dataSync());
          const scale = Math.max(...want.map(Math.abs));
          expect(got.length).toBe(want.length);
          expect(Math.max(...got.map((v, j) => Math.abs(v - want[j]))) / scale).toBeLessThanOrEqual(1e-4);
        });
        tf.dispose([...xs, ...list]);
      } finally {
        model?.dispose();
      }
    });
  }
});

describe('Layerloom’s own tfjs model.json (states listed as inputs) imports back', () => {
  it('same blocks, ports and parameter count', async () => {
    const doc = graphOf('round trip', [
      { id: 'ei', type: 'Input', label: 'encoder_in', params: { shape: [5, 3] } },
      { id: 'di', type: 'Input', label: 'decoder_in', params: { shape: [4, 2] } },
      { id: 'enc', type: 'LSTM', label: 'encoder', params: { units: 2, return_state: true, bidirectional: true }, from: { in: 'ei' } },
      {
        id: 'dec',
        type: 'LSTM',
        label: 'decoder',
        params: { units: 2, initial_state: true, bidirectional: true },
        from: { in: 'di', initial_h: 'enc:h', initial_c: 'enc:c', initial_h_backward: 'enc:h_backward', initial_c_backward: 'enc:c_backward' },
      },
      { id: 'g', type: 'GRU', label: 'gru', params: { units: 2, initial_state: true }, from: { in: 'di', initial_h: 'enc:h' } },
      { id: 'o', type: 'Output', label: 'o', from: { in: 'dec' } },
      { id: 'o2', type: 'Output', label: 'o2', from: { in: 'g' } },
    ]);
    const model = compileModel(doc, tf).model;
    const topology = model.toJSON(null, false) as unknown as JsonObject;
    model.dispose();
    const back = importKerasModel(modelConfigOf(topology, 'model.json')).doc;
    const wires = (d: typeof doc): string[] =>
      d.edges
        .map((e) => ({ e, target: d.nodes.find((n) => n.id === e.target) }))
        .map(({ e, target }) => `${d.nodes.find((n) => n.id === e.source)?.label}:${e.sourcePort}->${target?.type === 'Output' ? 'Output' : target?.label}:${e.targetPort}`)
        .sort();
    expect(wires(back)).toEqual(wires(doc));
    expect(buildSummary(back).total).toBe(buildSummary(doc).total);
  });
});
