/**
 * Explaining a model gives Keras's numbers: Grad-CAM's raw map equals `tf.GradientTape` in real
 * Keras on the same weights and input (before upsampling and normalisation), each block's output
 * equals `keras.Model(inputs, layer.output)`, MultiHeadAttention's weights per head equal Keras's
 * `return_attention_scores=True` (with and without the causal mask); saliency equals a
 * finite-difference gradient. The Keras models are the project's own Keras export with the same
 * seeded weights. Skipped, saying why, when Python cannot import Keras.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../../shared/compile/compile.js';
import { activations, attentionMaps, blockStats, gradCam, lastConvLayer, saliency, tokenAttribution, ExplainError } from '../../shared/explain/explain.js';
import { exportProject } from '../../electron/services/exportService.js';
import { chain } from '../helpers/chainDoc.js';
import { addNode, connect } from '../../shared/graph/operations.js';
import type { ProjectDocument } from '../../shared/graph/document.js';
import { rng } from '../helpers/randomGraphs.js';
import { runPythonJson, whyNoKeras } from '../helpers/python.js';

await tf.setBackend('cpu');
const SEED = 7;
const root = mkdtempSync(join(tmpdir(), 'layerloom-explain-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const cnn = chain('explain cnn', [
  ['in', 'Input', { shape: [12, 12, 2] }],
  ['c1', 'Conv2D', { filters: 4, kernel_size: [3, 3], activation: 'relu' }],
  ['p1', 'MaxPooling2D'],
  ['c2', 'Conv2D', { filters: 6, kernel_size: [3, 3], activation: 'relu', padding: 'same' }],
  ['f', 'Flatten'],
  ['d', 'Dense', { units: 5, activation: 'softmax' }],
  ['out', 'Output'],
]);

/** Input → self-attention (query = value) → pooling → softmax; the transformer examples' wiring. */
function attention(causal: boolean): ProjectDocument {
  let doc = chain(`explain attention ${causal ? 'causal' : 'full'}`, [['in', 'Input', { shape: [6, 8] }]]);
  doc = addNode(doc, 'MultiHeadAttention', { x: 0, y: 0 }, { id: 'mha', params: { num_heads: 2, key_dim: 4, use_causal_mask: causal } }).doc;
  doc = addNode(doc, 'GlobalAveragePooling1D', { x: 0, y: 0 }, { id: 'gap' }).doc;
  doc = addNode(doc, 'Dense', { x: 0, y: 0 }, { id: 'd', params: { units: 3, activation: 'softmax' } }).doc;
  doc = addNode(doc, 'Output', { x: 0, y: 0 }, { id: 'out' }).doc;
  doc = connect(doc, 'in', 'mha', 'query').doc;
  doc = connect(doc, 'in', 'mha', 'value').doc;
  doc = connect(doc, 'mha', 'gap', 'in').doc;
  doc = connect(doc, 'gap', 'd', 'in').doc;
  return connect(doc, 'd', 'out', 'in').doc;
}

function uniform(n: number, seed: number, lo = -1, hi = 1): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.fround(lo + r() * (hi - lo)));
}

/** max |a − b| / max |b|: the difference relative to the reference's scale. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}

describe('explain: pure computations', () => {
  it('block stats count the histogram, the mean and exact ReLU zeros', () => {
    const s = blockStats([0, 0, 1, 3], true, 3);
    expect(s).toEqual({ min: 0, max: 3, mean: 1, histogram: [2, 1, 1], deadShare: 0.5 });
    expect(blockStats([2, 2], false).histogram).toEqual([2]);
    expect(blockStats([2, 2], false).deadShare).toBeNull();
  });

  it('picks the last conv block for Grad-CAM and refuses a model without one, naming the way out', () => {
    const { model } = compileModel(cnn, tf, { seed: SEED });
    expect(lastConvLayer(model)).toBe('conv2d_1');
    const { model: att } = compileModel(attention(false), tf, { seed: SEED });
    expect(() => gradCam(tf, att, tf.zeros([1, 6, 8]))).toThrow(ExplainError);
    expect(() => gradCam(tf, att, tf.zeros([1, 6, 8]))).toThrow(/Use saliency/);
    expect(() => gradCam(tf, model, tf.zeros([1, 12, 12, 2]), { layer: 'nope' })).toThrow(/no block named "nope".*conv2d/);
    expect(() => gradCam(tf, model, tf.zeros([1, 12, 12, 2]), { classIndex: 9 })).toThrow(/Class 9 does not exist: the model has 5 outputs/);
  });

  it('saliency equals a central finite-difference gradient of the class score', () => {
    const doc = chain('saliency', [
      ['in', 'Input', { shape: [5, 5, 1] }],
      ['c', 'Conv2D', { filters: 3, kernel_size: [3, 3], activation: 'tanh' }],
      ['f', 'Flatten'],
      ['d', 'Dense', { units: 2, activation: 'linear' }],
      ['out', 'Output'],
    ]);
    const { model } = compileModel(doc, tf, { seed: SEED });
    const values = uniform(25, 11);
    const x = tf.tensor(values, [1, 5, 5, 1]);
    const result = saliency(tf, model, x, { classIndex: 1 });
    const score = (v: number[]) => tf.tidy(() => (model.predict(tf.tensor(v, [1, 5, 5, 1])) as tf.Tensor).dataSync()[1]);
    const eps = 1e-2;
    const fd = values.map((_, i) => {
      const plus = [...values];
      const minus = [...values];
      plus[i] += eps;
      minus[i] -= eps;
      return Math.abs((score(plus) - score(minus)) / (2 * eps));
    });
    const rel = relDiff(result.gradient, fd);
    console.log(`saliency vs finite differences: max rel diff ${rel.toExponential(2)}`);
    expect(rel).toBeLessThan(2e-3);
    expect(Math.max(...result.heatmap)).toBeCloseTo(1, 6);
    // SmoothGrad averages noisy copies: a different map, same shape, still normalised.
    const smooth = saliency(tf, model, x, { classIndex: 1, smoothGradSamples: 4, seed: 3 });
    expect(smooth.heatmap.length).toBe(25);
    expect(relDiff(smooth.gradient, fd)).toBeGreaterThan(1e-4);
  });

  it('token attribution sums gradient × embedding per token (checked against finite differences along the embedding)', () => {
    const doc = chain('tokens', [
      ['in', 'Input', { shape: [4], dtype: 'int32' }],
      ['e', 'Embedding', { input_dim: 10, output_dim: 3 }],
      ['f', 'Flatten'],
      ['d', 'Dense', { units: 2, activation: 'linear' }],
      ['out', 'Output'],
    ]);
    const { model } = compileModel(doc, tf, { seed: SEED });
    const ids = tf.tensor([[1, 5, 2, 9]], [1, 4], 'int32');
    const a = tokenAttribution(tf, model, ids, { classIndex: 0 });
    // Linear model: Σ_t attribution_t = score(E) − score(0·E) − bias: the dense part is exact.
    const kernel = model.getLayer('dense').getWeights()[0].arraySync() as number[][];
    const table = model.getLayer('embedding').getWeights()[0].arraySync() as number[][];
    const expected = [1, 5, 2, 9].map((id, t) => table[id].reduce((s, v, d) => s + v * kernel[t * 3 + d][0], 0));
    expect(relDiff(a.scores, expected)).toBeLessThan(1e-5);
  });
});

const skipReason = whyNoKeras();
if (skipReason) console.log(`explain: Keras comparison skipped — ${skipReason}. Install keras 3.15 and tensorflow-cpu 2.21 (see FACTS.md).`);

interface KerasOut {
  readonly cases: Record<
    string,
    {
      readonly activations: Record<string, number[]>;
      readonly gradcam?: { linear: number[]; cam: number[]; alpha: number[] };
      readonly attention?: number[];
    }
  >;
}

const PY = String.raw`
import importlib.util, json, os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras
import tensorflow as tf

jobs = json.load(open(sys.argv[1]))
out = {}
for job in jobs:
    spec = importlib.util.spec_from_file_location("export_" + job["id"], os.path.join(job["dir"], "model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build_model()
    module.load_weights(model, os.path.join(job["dir"], "weights.npz"))
    x = np.array(job["x"], dtype="float32").reshape(job["shape"])
    res = {"activations": {}}
    for name in job["layers"]:
        sub = keras.Model(model.inputs, model.get_layer(name).output)
        res["activations"][name] = np.asarray(sub(x, training=False)).ravel().tolist()
    if "gradcam" in job:
        g = job["gradcam"]
        conv = model.get_layer(g["layer"])
        last = model.get_layer(g["output"])
        grad_model = keras.Model(model.inputs, [conv.output, last.input])
        with tf.GradientTape() as tape:
            a, h = grad_model(x, training=False)
            logits = tf.matmul(h, last.kernel) + last.bias
            score = logits[:, g["class"]]
        grads = tape.gradient(score, a)
        alpha = tf.reduce_mean(grads, axis=(0, 1, 2))
        linear = tf.reduce_sum(a * alpha, axis=-1)
        res["gradcam"] = {"linear": linear.numpy().ravel().tolist(), "cam": tf.nn.relu(linear).numpy().ravel().tolist(), "alpha": alpha.numpy().tolist()}
    if "attention" in job:
        t = job["attention"]
        mha = model.get_layer(t["layer"])
        before = keras.Model(model.inputs, model.get_layer(t["input"]).output)(x, training=False) if t["input"] else x
        _, scores = mha(before, before, return_attention_scores=True, use_causal_mask=t["causal"], training=False)
        res["attention"] = np.asarray(scores).ravel().tolist()
    out[job["id"]] = res
print(json.dumps({"cases": out}))
`;

describe.skipIf(skipReason !== null)('explain equals Keras', () => {
  const mine = new Map<string, { model: tf.LayersModel; x: tf.Tensor }>();
  let keras: KerasOut = { cases: {} };
  let camClass = 0;
  const cases = [
    { id: 'cnn', doc: cnn, shape: [1, 12, 12, 2] },
    { id: 'attention', doc: attention(false), shape: [1, 6, 8] },
    { id: 'causal', doc: attention(true), shape: [1, 6, 8] },
  ];

  beforeAll(async () => {
    const jobs = [];
    for (const [i, c] of cases.entries()) {
      const dir = join(root, c.id);
      await exportProject({ doc: c.doc, target: 'keras', folder: dir, seed: SEED, tf });
      const { model } = compileModel(c.doc, tf, { seed: SEED });
      const n = c.shape.reduce((a, b) => a * b, 1);
      const values = uniform(n, 100 + i);
      mine.set(c.id, { model, x: tf.tensor(values, c.shape) });
      if (c.id === 'cnn') {
        // The class whose map has the most positive area, so the ReLU map compared is not all zeros.
        const peaks = [0, 1, 2, 3, 4].map((k) => Math.max(...gradCam(tf, model, tf.tensor(values, c.shape), { layer: 'conv2d_1', classIndex: k }).cam));
        camClass = peaks.indexOf(Math.max(...peaks));
      }
      const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => l.name);
      jobs.push({
        id: c.id,
        dir,
        x: values,
        shape: c.shape,
        layers,
        ...(c.id === 'cnn' ? { gradcam: { layer: 'conv2d_1', output: model.outputLayers[0].name, class: camClass } } : {}),
        ...(c.id !== 'cnn' ? { attention: { layer: 'multi_head_attention', input: null, causal: c.id === 'causal' } } : {}),
      });
    }
    const file = join(root, 'jobs.json');
    writeFileSync(file, JSON.stringify(jobs));
    keras = runPythonJson<KerasOut>(PY, [file]);
  }, 300_000);

  it('Grad-CAM: the raw map at the conv layer equals tf.GradientTape (max rel diff ≤ 1e-3)', () => {
    const { model, x } = mine.get('cnn') ?? expect.unreachable();
    const ref = keras.cases['cnn']?.gradcam ?? expect.unreachable();
    const ours = gradCam(tf, model, x, { layer: 'conv2d_1', classIndex: camClass });
    expect(ours.camShape).toEqual([5, 5]);
    const diffs = { alpha: relDiff(ours.channelWeights, ref.alpha), linear: relDiff(ours.camLinear, ref.linear), cam: relDiff(ours.cam, ref.cam) };
    console.log(`Grad-CAM vs Keras: max rel diff α ${diffs.alpha.toExponential(2)}, Σα·A ${diffs.linear.toExponential(2)}, ReLU map ${diffs.cam.toExponential(2)}`);
    expect(diffs.alpha).toBeLessThanOrEqual(1e-3);
    expect(diffs.linear).toBeLessThanOrEqual(1e-3);
    expect(diffs.cam).toBeLessThanOrEqual(1e-3);
    // A map that is all zeros would pass trivially: this one is not.
    expect(Math.max(...ref.cam)).toBeGreaterThan(1e-4);
    // Upsampled to the input and normalised to a peak of 1.
    expect(ours.heatmapShape).toEqual([12, 12]);
    expect(Math.max(...ours.heatmap)).toBeCloseTo(1, 6);
  });

  it('activations: every block equals keras.Model(inputs, layer.output)', () => {
    for (const c of cases) {
      const { model, x } = mine.get(c.id) ?? expect.unreachable();
      const ref = keras.cases[c.id]?.activations ?? expect.unreachable();
      const ours = activations(tf, model, x);
      expect(ours.map((a) => a.layer)).toEqual(Object.keys(ref));
      for (const a of ours) {
        const rel = relDiff(a.values, ref[a.layer]);
        expect(rel, `${c.id}/${a.layer}`).toBeLessThan(1e-4);
      }
    }
  });

  it('attention weights per head equal return_attention_scores=True, causal mask included', () => {
    for (const id of ['attention', 'causal']) {
      const { model, x } = mine.get(id) ?? expect.unreachable();
      const ref = keras.cases[id]?.attention ?? expect.unreachable();
      const [map] = attentionMaps(tf, model, x);
      expect(map).toMatchObject({ layer: 'multi_head_attention', heads: 2, queryLength: 6, keyLength: 6 });
      const rel = relDiff(map.weights, ref);
      console.log(`attention (${id}) vs Keras: max rel diff ${rel.toExponential(2)}`);
      expect(rel).toBeLessThan(1e-4);
      if (id === 'causal') {
        // Query 0 sees only key 0: the mask shows as exact zeros above the diagonal.
        expect(map.weights[0]).toBeCloseTo(1, 6);
        expect(Array.from(map.weights.slice(1, 6))).toEqual([0, 0, 0, 0, 0]);
      }
    }
  });
});
