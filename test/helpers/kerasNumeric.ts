/**
 * Blocks = Keras: each case builds a block's layer in tfjs through the compiler's own path, fills
 * its weights with seeded values, and runs real Keras 3 (test/python/kerasReference.py, one Python
 * process for all cases of a suite) on the layer its LayerCall prints — Layerloom's own Keras class
 * from model.py where the export ships one — with the same weights in the same order
 * (`set_weights`) and the same inputs. Asserted against Keras: the block's `inferShape` and
 * `paramCount` (trainable and not), the tfjs layer's weight shapes, output shape and values.
 * Skipped, saying why, when Python cannot import Keras.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBlock } from '../../shared/blocks/registry.js';
import { defaultParams } from '../../shared/blocks/paramUtils.js';
import { applyBlock } from '../../shared/compile/layerFactory.js';
import { applyConstraints, callConstraints, projectWeight, type ConstrainedWeight } from '../../shared/compile/constraints.js';
import type { KerasArg, ParamValue } from '../../shared/blocks/types.js';
import { customKerasLayer } from '../../shared/codegen/customLayers.js';
import { rng } from './randomGraphs.js';
import { pythonStderr } from './pythonLog.js';

const script = fileURLToPath(new URL('../python/kerasReference.py', import.meta.url));
const BATCH = 2;

/** One layer to compare. */
export interface NumericCase {
  readonly id: string;
  readonly block: string;
  readonly params?: Readonly<Record<string, ParamValue>>;
  /** Per-sample input shapes in port order (all fixed). */
  readonly inputs: readonly (readonly number[])[];
  /** Token-id inputs (int32) below this vocabulary size, for Embedding. */
  readonly ids?: number;
  /**
   * A layer random in training: also run it in training mode on both sides and compare what can be
   * compared ({@link trainingStats}): the kept values' scale and whole-channel drops exactly, the
   * drop fraction and the noise's mean and spread statistically.
   */
  readonly training?: TrainingCheck;
  /**
   * Also take one SGD step with this learning rate on mean(y²), on both sides: the regularization
   * penalty, the step's loss (penalties included, as fit reports it) and the weights after the step
   * must equal Keras's.
   */
  readonly step?: number;
  /**
   * Take this many steps (1 when absent) with this optimizer (SGD when absent; Adam with Keras's
   * defaults, every hyperparameter explicit on both sides); weight constraints are projected after
   * each step, as the trainer does.
   */
  readonly steps?: number;
  readonly optimizer?: 'sgd' | 'adam';
}

/** What a training-mode layer does to its input. */
export type TrainingCheck =
  /** Deterministic in training (batch statistics): outputs and the weights after the call equal Keras's. */
  | { readonly kind: 'exact' }
  | { readonly kind: 'dropout'; readonly rate: number; /** Values per draw: channels dropped whole (SpatialDropout). */ readonly channelsLast?: boolean }
  | { readonly kind: 'additive'; readonly stddev: number }
  | { readonly kind: 'multiplicative'; readonly stddev: number };

/** Statistics of a training-mode output `y` of input `x` (same length). */
export interface TrainingStats {
  /** Fraction of zeros (dropouts). */
  readonly zeroFraction: number;
  /** Largest |y − x / (1 − rate)| over the kept values (dropouts): 0 up to rounding. */
  readonly keptScaleError: number;
  /** Channels (last axis, per sample) partly dropped: 0 for a spatial dropout. */
  readonly partlyDroppedChannels: number;
  /** Mean and standard deviation of y − x (additive) or y / x (multiplicative). */
  readonly noiseMean: number;
  readonly noiseStd: number;
}

/** See {@link TrainingStats}; `rowLength` is the size of one sample's last axis. */
export function trainingStats(x: ArrayLike<number>, y: ArrayLike<number>, check: TrainingCheck, shape: readonly number[]): TrainingStats {
  const n = x.length;
  let zeros = 0;
  let scaleError = 0;
  const noise: number[] = [];
  const scale = check.kind === 'dropout' ? 1 / (1 - check.rate) : 1;
  for (let i = 0; i < n; i++) {
    if (y[i] === 0) zeros++;
    else if (check.kind === 'dropout') scaleError = Math.max(scaleError, Math.abs(y[i] - x[i] * scale));
    if (check.kind === 'additive') noise.push(y[i] - x[i]);
    if (check.kind === 'multiplicative') noise.push(y[i] / x[i]);
  }
  // Channels of one sample: the last axis, repeated over the spatial axes.
  let partly = 0;
  if (check.kind === 'dropout' && check.channelsLast) {
    const channels = shape[shape.length - 1];
    const perSample = shape.slice(1).reduce((a, b) => a * b, 1);
    for (let b = 0; b < shape[0]; b++) {
      for (let c = 0; c < channels; c++) {
        let z = 0;
        let count = 0;
        for (let i = b * perSample + c; i < (b + 1) * perSample; i += channels, count++) if (y[i] === 0) z++;
        if (z !== 0 && z !== count) partly++;
      }
    }
  }
  const mean = noise.length ? noise.reduce((a, b) => a + b, 0) / noise.length : 0;
  const std = noise.length ? Math.sqrt(noise.reduce((a, b) => a + (b - mean) ** 2, 0) / noise.length) : 0;
  return { zeroFraction: zeros / n, keptScaleError: scaleError, partlyDroppedChannels: partly, noiseMean: mean, noiseStd: std };
}

/** Python literal of a generated-code argument (tuples as lists, which Keras accepts too). */
function pythonValue(arg: KerasArg): unknown {
  if (arg !== null && typeof arg === 'object') {
    if ('tuple' in arg) return arg.tuple.map(pythonValue);
    // A regularizer or constraint: kerasReference.py builds it with keras.<module>.get.
    if ('module' in arg) return { __keras_object__: arg.module, class_name: arg.className, config: Object.fromEntries(arg.args.map(([k, v]) => [k, pythonValue(v)])) };
    throw new Error(`raw code ${arg.raw} in a numeric case`);
  }
  return arg;
}

interface Prepared {
  readonly json: Record<string, unknown>;
  /** The training-mode output and its input, when the case checks training mode. */
  readonly training?: { readonly x: Float32Array; readonly y: Float32Array; readonly shape: number[]; readonly weightsAfter: number[][] };
  readonly tfjsOut: Float32Array | Int32Array | Uint8Array;
  readonly tfjsShape: number[];
  readonly weightNames: string[];
  readonly weightShapes: number[][];
  /**
   * `violation`: how far the starting weights are from their constraints (max |projection − w|; null
   * without constraints), so a constraint case shows its projection really moved weights.
   */
  readonly step?: { readonly penalty: number; readonly loss: number; readonly weightsAfter: number[][]; readonly violation: number | null };
}

/** Max |projection(w) − w| over the constrained weights of `model` (nothing is changed). */
function constraintViolation(model: tf.LayersModel, constrained: readonly ConstrainedWeight[]): number {
  let worst = 0;
  for (const c of constrained) {
    for (const w of model.getLayer(c.layer).trainableWeights.filter((v) => v.originalName.endsWith(`/${c.weight}`))) {
      const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(projectWeight(tf, w.read(), c.constraint), w.read()))).dataSync()[0]);
      worst = Math.max(worst, gap);
    }
  }
  return worst;
}

/** Training steps on mean(y²) as the app trains them (trainOnBatch, then the weight constraints). */
async function sgdStep(model: tf.LayersModel, xs: tf.Tensor[], c: NumericCase, constrained: readonly ConstrainedWeight[]): Promise<NonNullable<Prepared['step']>> {
  const penalties = model.calculateLosses();
  const penalty = penalties.reduce((a, p) => a + p.dataSync()[0], 0);
  tf.dispose(penalties);
  const violation = constrained.length ? constraintViolation(model, constrained) : null;
  const rate = c.step ?? 0;
  model.compile({ optimizer: c.optimizer === 'adam' ? tf.train.adam(rate, 0.9, 0.999, 1e-7) : tf.train.sgd(rate), loss: 'meanSquaredError' });
  const y = model.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor;
  const target = tf.zerosLike(y);
  let loss = Number.NaN;
  for (let i = 0; i < (c.steps ?? 1); i++) {
    loss = (await model.trainOnBatch(xs.length === 1 ? xs[0] : xs, target)) as number;
    applyConstraints(tf, model, constrained);
  }
  tf.dispose([y, target]);
  return { penalty, loss, weightsAfter: model.weights.map((w) => Array.from(w.read().dataSync())), violation };
}

async function prepare(c: NumericCase, index: number): Promise<Prepared> {
  const def = getBlock(c.block);
  if (!def?.layerCall) throw new Error(`${c.block} is not a layer block`);
  const params = { ...defaultParams(def.params), ...(c.params ?? {}) };
  const dtype: 'int32' | 'float32' = c.ids ? 'int32' : 'float32';
  const symbolic = c.inputs.map((s, i) => tf.input({ shape: [...s], dtype, name: `case${index}_in${i}` }));
  const out = applyBlock(tf, def, symbolic, params, c.inputs, `case${index}`);
  const model = tf.model({ inputs: symbolic, outputs: out });
  const r = rng(2000 + index);
  const uniform = (n: number, lo: number, hi: number): number[] => Array.from({ length: n }, () => Math.fround(lo + r() * (hi - lo)));
  const weights = model.weights.map((w) => {
    const shape = w.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    // A variance (BatchNormalization's moving_variance, Normalization's variance) must be positive;
    // everything else takes values of both signs.
    return { shape, data: w.originalName.endsWith('variance') ? uniform(n, 0.5, 1.5) : uniform(n, -0.5, 0.5) };
  });
  // Keras gets these very values: a weight's constraint must not move them on setting (Keras's does not).
  model.setWeights(weights.map((w) => tf.tensor(w.data, w.shape)));
  const inputs = c.inputs.map((s) => {
    const shape = [BATCH, ...s];
    const n = shape.reduce((a, b) => a * b, 1);
    const data = c.ids ? Array.from({ length: n }, () => Math.floor(r() * (c.ids ?? 1))) : uniform(n, -1, 1);
    return { shape, dtype, data };
  });
  const xs = inputs.map((x) => tf.tensor(x.data, x.shape, x.dtype));
  const y = model.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor;
  const yTrain = c.training ? (model.apply(xs.length === 1 ? xs[0] : xs, { training: true }) as tf.Tensor) : null;
  // Weights after the training-mode call: BatchNormalization's moving statistics move.
  const weightsAfter = c.training ? model.weights.map((w) => Array.from(w.read().dataSync())) : [];
  const call = def.layerCall(params, c.inputs);
  const custom = customKerasLayer(call.kerasClass);
  const prepared: Prepared = {
    json: {
      id: c.id,
      kerasClass: call.kerasClass,
      // Layerloom's own class, as model.py defines it (PositionEmbedding).
      customSource: custom ? [...custom.imports, custom.python].join('\n') : null,
      kerasArgs: Object.fromEntries(call.kerasArgs.map(([k, v]) => [k, pythonValue(v)])),
      bidirectional: call.bidirectional?.mergeMode ?? null,
      timeDistributed: call.timeDistributed === true,
      callArgs: Object.fromEntries((call.callArgs ?? []).map(([k, v]) => [k, pythonValue(v)])),
      // Merge layers take a list; attention takes query, value, key as separate arguments.
      listInput: c.inputs.length > 1 && call.kerasClass !== 'MultiHeadAttention',
      inputs,
      weights,
      training: c.training !== undefined,
      step: c.step ?? null,
      steps: c.steps ?? 1,
      optimizer: c.optimizer ?? 'sgd',
    },
    ...(yTrain ? { training: { x: Float32Array.from(inputs[0].data), y: yTrain.dataSync() as Float32Array, shape: yTrain.shape, weightsAfter } } : {}),
    tfjsOut: y.dataSync(),
    tfjsShape: y.shape,
    weightNames: model.weights.map((w) => w.originalName),
    weightShapes: model.weights.map((w) => w.shape as number[]),
    ...(c.step ? { step: await sgdStep(model, xs, c, callConstraints(call, `case${index}`)) } : {}),
  };
  tf.dispose([...xs, y, ...(yTrain ? [yTrain] : [])]);
  model.dispose();
  return prepared;
}

interface KerasResult {
  readonly id: string;
  readonly output: number[];
  readonly shape: number[];
  readonly weights: [string, number[]][];
  readonly trainable: number;
  readonly nonTrainable: number;
  readonly trainingOutput?: number[];
  readonly weightsAfterTraining?: number[][];
  readonly penalty?: number;
  readonly stepLoss?: number;
  readonly weightsAfterStep?: number[][];
}

/** Registers a suite with one test per case: same weight shapes and order, same output shape and values. */
export function describeKerasNumeric(title: string, cases: readonly NumericCase[], tolerance = 1e-4): void {
  describe(title, () => {
    const prepared = new Map<string, Prepared>();
    const keras = new Map<string, KerasResult>();
    let skipReason = '';
    let dir = '';

    beforeAll(async () => {
      for (const [i, c] of cases.entries()) prepared.set(c.id, await prepare(c, i));
      dir = mkdtempSync(join(tmpdir(), 'layerloom-keras-'));
      const file = join(dir, 'cases.json');
      writeFileSync(file, JSON.stringify([...prepared.values()].map((p) => p.json)));
      const run = spawnSync('python3', [script, file], {
        encoding: 'utf8',
        timeout: 300_000,
        env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '-1' },
      });
      if (run.error) {
        skipReason = `python3 is not available (${run.error.message})`;
      } else {
        const last = run.stdout.trim().split('\n').pop() ?? '';
        let parsed: { error?: string; keras?: string; results?: KerasResult[] } = {};
        try {
          parsed = JSON.parse(last) as typeof parsed;
        } catch {
          throw new Error(`kerasReference.py failed (exit ${run.status}):\n${pythonStderr(run.stderr).slice(-3000)}`);
        }
        if (parsed.error) skipReason = parsed.error;
        for (const r of parsed.results ?? []) keras.set(r.id, r);
      }
      if (skipReason) console.warn(`Skipping the Keras comparison: ${skipReason}. Install keras 3 and tensorflow-cpu for python3 to run it.`);
    }, 300_000);

    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const c of cases) {
      it(c.id, (ctx) => {
        if (skipReason) {
          ctx.skip();
          return;
        }
        const mine = prepared.get(c.id);
        const theirs = keras.get(c.id);
        expect(mine && theirs).toBeTruthy();
        if (!mine || !theirs) return;
        // Same weights, same order: Keras accepted them by shape in this order.
        expect(theirs.weights.map(([, shape]) => shape)).toEqual(mine.weightShapes);
        if (c.block === 'MultiHeadAttention') {
          // Layerloom's own attention layer names its weights as Keras does (query/kernel, ...).
          const suffix = (name: string): string => name.split('/').slice(-2).join('/');
          expect(mine.weightNames.map(suffix)).toEqual(theirs.weights.map(([path]) => suffix(path)));
        }
        expect(mine.tfjsShape).toEqual(theirs.shape);
        // The block's own shape inference and parameter count (what the canvas shows) equal Keras.
        const def = getBlock(c.block);
        const params = { ...defaultParams(def?.params ?? []), ...(c.params ?? {}) };
        expect(def?.inferShape(c.inputs, params).shape, 'inferShape = Keras output shape').toEqual(theirs.shape.slice(1));
        expect(def?.paramCount(c.inputs, params), 'paramCount = Keras weights').toEqual({ trainable: theirs.trainable, nonTrainable: theirs.nonTrainable });
        let maxDiff = 0;
        theirs.output.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - mine.tfjsOut[i]))));
        console.log(`${c.id}: max |tfjs − Keras| = ${maxDiff.toExponential(2)} over ${theirs.output.length} values`);
        expect(maxDiff, `max |tfjs − Keras| over ${theirs.output.length} values`).toBeLessThan(tolerance);
      });
      if (c.step) {
        const training = `${c.steps ?? 1} ${c.optimizer === 'adam' ? 'Adam' : 'SGD'} step(s)`;
        it(`${c.id}: the regularization penalty, the last of ${training}' loss and the weights after them equal Keras's`, (ctx) => {
          if (skipReason) {
            ctx.skip();
            return;
          }
          const mine = prepared.get(c.id)?.step;
          const theirs = keras.get(c.id);
          expect(mine && theirs?.stepLoss !== undefined).toBeTruthy();
          if (!mine || !theirs || theirs.stepLoss === undefined || theirs.penalty === undefined) return;
          const after = theirs.weightsAfterStep ?? [];
          const weightDiff = Math.max(0, ...after.map((w, i) => w.reduce((m, v, j) => Math.max(m, Math.abs(v - mine.weightsAfter[i][j])), 0)));
          console.log(`${c.id} step: penalty ${mine.penalty} vs ${theirs.penalty}, loss ${mine.loss} vs ${theirs.stepLoss}, weights after max diff ${weightDiff.toExponential(2)}`);
          expect(Math.abs(mine.penalty - theirs.penalty), 'regularization penalty').toBeLessThan(1e-5 * Math.max(1, Math.abs(theirs.penalty)));
          expect(Math.abs(mine.loss - theirs.stepLoss), 'loss of the step (penalty included)').toBeLessThan(1e-5 * Math.max(1, Math.abs(theirs.stepLoss)));
          expect(after.length).toBe(mine.weightsAfter.length);
          expect(weightDiff, 'weights after the step').toBeLessThan(1e-5);
          // A constrained case starts from weights that break the constraint: the projection matters.
          if (mine.violation !== null) expect(mine.violation, 'the starting weights break the constraint').toBeGreaterThan(1e-3);
        });
      }
      const check = c.training;
      if (check) {
        const title = check.kind === 'exact' ? 'the same outputs and moved weights as Keras' : 'the same noise as Keras (exact parts exactly, random parts in distribution)';
        it(`${c.id}, training mode: ${title}`, (ctx) => {
          if (skipReason) {
            ctx.skip();
            return;
          }
          const mine = prepared.get(c.id)?.training;
          const theirs = keras.get(c.id)?.trainingOutput;
          expect(mine && theirs).toBeTruthy();
          if (!mine || !theirs) return;
          if (check.kind === 'exact') {
            const diff = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
            const outDiff = diff(theirs, mine.y);
            const after = keras.get(c.id)?.weightsAfterTraining ?? [];
            expect(after.length, 'weights after the training call').toBe(mine.weightsAfter.length);
            const weightDiff = Math.max(0, ...after.map((w, i) => diff(w, mine.weightsAfter[i])));
            console.log(`${c.id} training: max |tfjs − Keras| output ${outDiff.toExponential(2)}, weights after ${weightDiff.toExponential(2)}`);
            expect(outDiff, 'training-mode output').toBeLessThan(tolerance);
            expect(weightDiff, 'weights after the training-mode call (moving statistics)').toBeLessThan(tolerance);
            return;
          }
          const a = trainingStats(mine.x, mine.y, check, mine.shape);
          const b = trainingStats(mine.x, theirs, check, mine.shape);
          console.log(`${c.id} training: tfjs ${JSON.stringify(a)}, Keras ${JSON.stringify(b)}`);
          if (check.kind === 'dropout') {
            for (const s of [a, b]) {
              expect(s.keptScaleError, 'kept values scaled by 1 / (1 − rate)').toBeLessThan(1e-5);
              expect(s.partlyDroppedChannels, 'channels dropped whole').toBe(0);
              expect(Math.abs(s.zeroFraction - check.rate), 'drop fraction near the rate').toBeLessThan(0.15);
            }
            expect(Math.abs(a.zeroFraction - b.zeroFraction)).toBeLessThan(0.2);
          } else {
            const center = check.kind === 'additive' ? 0 : 1;
            for (const s of [a, b]) {
              expect(s.zeroFraction).toBe(0);
              expect(Math.abs(s.noiseMean - center), 'noise mean').toBeLessThan(0.15 * check.stddev);
              expect(Math.abs(s.noiseStd / check.stddev - 1), 'noise std / expected').toBeLessThan(0.1);
            }
          }
        });
      }
    }
  });
}
