/**
 * Weight constraints (MaxNorm, NonNeg, UnitNorm, MinMaxNorm) train as in Keras 3: every case starts
 * from the same seeded weights on both sides, weights that break the constraint, and
 * - the outputs before training equal Keras's (nothing projects the weights when they are set);
 * - after several SGD or Adam steps, with Layerloom's projection after each step
 *   (shared/compile/constraints.ts), the last step's loss and the weights equal Keras's (1e-5).
 * One Python process for the file (test/helpers/kerasNumeric.ts).
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../../shared/compile/compile.js';
import type { TrainingEvent, TrainingJob } from '../../shared/training/protocol.js';
import { DEFAULT_TRAINING } from '../../shared/training/settings.js';
import { runTrainingJob } from '../../electron/services/trainingEngine.js';
import { loadWeightsInto } from '../../electron/services/runsService.js';
import { chain } from '../helpers/chainDoc.js';
import { getBlock } from '../../shared/blocks/registry.js';
import { defaultParams } from '../../shared/blocks/paramUtils.js';
import { applyConstraints, projectWeight, type WeightConstraint } from '../../shared/compile/constraints.js';
import { describeKerasNumeric, type NumericCase } from '../helpers/kerasNumeric.js';

/**
 * Adam's learning rate here. tfjs's Adam adds ε to the bias-corrected √v̂, Keras's to the raw √v
 * (with the correction in the rate), so one Adam step differs by up to about lr · 3·10⁻⁶ / |g|
 * between them with or without constraints (measured: 1.2e-4 at lr 0.05 on a plain Dense). A small
 * rate keeps that difference below the 1e-5 the constraint is checked to; the projection itself
 * does not depend on the rate (the starting weights break the constraint).
 */
const ADAM_RATE = 0.002;

const CASES: readonly NumericCase[] = [
  { id: 'dense kernel max_norm 0.3, bias non_neg: 3 SGD steps', block: 'Dense', params: { units: 3, kernel_constraint: 'max_norm', kernel_constraint_max_value: 0.3, bias_constraint: 'non_neg' }, inputs: [[4]], step: 0.5, steps: 3 },
  {
    id: 'dense kernel unit_norm on axis 1, bias min_max_norm (rate 0.7): 3 Adam steps',
    block: 'Dense',
    params: { units: 3, kernel_constraint: 'unit_norm', kernel_constraint_axis: [1], bias_constraint: 'min_max_norm', bias_constraint_min_value: 0.9, bias_constraint_max_value: 1.2, bias_constraint_rate: 0.7 },
    inputs: [[4]],
    step: ADAM_RATE,
    steps: 3,
    optimizer: 'adam',
  },
  { id: 'dense time distributed, kernel max_norm 0.5 over both axes: 2 SGD steps', block: 'Dense', params: { units: 2, time_distributed: true, kernel_constraint: 'max_norm', kernel_constraint_max_value: 0.5, kernel_constraint_axis: [0, 1] }, inputs: [[2, 3]], step: 0.1, steps: 2 },
  { id: 'conv1d kernel min_max_norm axes 0, 1: 3 Adam steps', block: 'Conv1D', params: { filters: 2, kernel_size: 3, kernel_constraint: 'min_max_norm', kernel_constraint_min_value: 1.5, kernel_constraint_max_value: 2, kernel_constraint_axis: [0, 1] }, inputs: [[6, 2]], step: ADAM_RATE, steps: 3, optimizer: 'adam' },
  { id: 'conv2d kernel unit_norm per filter (axes 0, 1, 2): 3 SGD steps', block: 'Conv2D', params: { filters: 2, kernel_size: [2, 2], kernel_constraint: 'unit_norm', kernel_constraint_axis: [0, 1, 2] }, inputs: [[4, 4, 2]], step: 0.1, steps: 3 },
  { id: 'conv2d groups 2 (own layer) kernel non_neg: 2 SGD steps', block: 'Conv2D', params: { filters: 2, kernel_size: [2, 2], groups: 2, kernel_constraint: 'non_neg' }, inputs: [[3, 3, 2]], step: 0.1, steps: 2 },
  { id: 'conv3d kernel max_norm 0.5 per filter: 2 Adam steps', block: 'Conv3D', params: { filters: 2, kernel_size: [2, 2, 2], kernel_constraint: 'max_norm', kernel_constraint_max_value: 0.5, kernel_constraint_axis: [0, 1, 2, 3] }, inputs: [[3, 3, 3, 1]], step: ADAM_RATE, steps: 2, optimizer: 'adam' },
  { id: 'conv1d transpose (own layer) kernel max_norm 0.4, bias non_neg: 2 SGD steps', block: 'Conv1DTranspose', params: { filters: 2, kernel_size: 3, strides: 2, padding: 'same', kernel_constraint: 'max_norm', kernel_constraint_max_value: 0.4, kernel_constraint_axis: [0, 1], bias_constraint: 'non_neg' }, inputs: [[4, 2]], step: 0.1, steps: 2 },
  { id: 'conv2d transpose kernel max_norm 0.4, bias non_neg: 3 SGD steps', block: 'Conv2DTranspose', params: { filters: 2, kernel_size: [2, 2], strides: [2, 2], kernel_constraint: 'max_norm', kernel_constraint_max_value: 0.4, kernel_constraint_axis: [0, 1, 2], bias_constraint: 'non_neg' }, inputs: [[3, 3, 2]], step: 0.1, steps: 3 },
  { id: 'conv3d transpose (own layer) kernel unit_norm per filter, bias non_neg: 2 SGD steps', block: 'Conv3DTranspose', params: { filters: 2, kernel_size: [2, 2, 2], strides: [2, 2, 2], kernel_constraint: 'unit_norm', kernel_constraint_axis: [0, 1, 2, 4], bias_constraint: 'non_neg' }, inputs: [[2, 2, 2, 2]], step: 0.1, steps: 2 },
  { id: 'depthwise conv2d dilated (own layer) depthwise max_norm 0.3 axes 0, 1, bias non_neg: 3 SGD steps', block: 'DepthwiseConv2D', params: { kernel_size: [2, 2], dilation_rate: [2, 2], depthwise_constraint: 'max_norm', depthwise_constraint_max_value: 0.3, depthwise_constraint_axis: [0, 1], bias_constraint: 'non_neg' }, inputs: [[5, 5, 2]], step: 0.5, steps: 3 },
  {
    id: 'separable conv2d depthwise unit_norm, pointwise max_norm 0.3 on axis 2, bias min_max_norm: 3 SGD steps',
    block: 'SeparableConv2D',
    params: {
      filters: 3,
      kernel_size: [2, 2],
      depthwise_constraint: 'unit_norm',
      depthwise_constraint_axis: [0, 1],
      pointwise_constraint: 'max_norm',
      pointwise_constraint_max_value: 0.3,
      pointwise_constraint_axis: [2],
      bias_constraint: 'min_max_norm',
      bias_constraint_min_value: 1,
    },
    inputs: [[4, 4, 2]],
    step: 0.1,
    steps: 3,
  },
  { id: 'lstm kernel max_norm 0.3, recurrent unit_norm on axis 1, bias non_neg: 2 SGD steps', block: 'LSTM', params: { units: 2, kernel_constraint: 'max_norm', kernel_constraint_max_value: 0.3, recurrent_constraint: 'unit_norm', recurrent_constraint_axis: [1], bias_constraint: 'non_neg' }, inputs: [[4, 3]], step: 0.5, steps: 2 },
  {
    id: 'gru reset_after (own layer) kernel min_max_norm, recurrent max_norm 0.4, bias (2, 3·units) max_norm 0.3: 2 SGD steps',
    block: 'GRU',
    params: { units: 2, kernel_constraint: 'min_max_norm', kernel_constraint_min_value: 1, kernel_constraint_max_value: 1.5, recurrent_constraint: 'max_norm', recurrent_constraint_max_value: 0.4, bias_constraint: 'max_norm', bias_constraint_max_value: 0.3 },
    inputs: [[4, 3]],
    step: 0.5,
    steps: 2,
  },
  { id: 'bidirectional simple rnn kernel max_norm 0.3 (both directions): 2 SGD steps', block: 'SimpleRNN', params: { units: 2, bidirectional: true, kernel_constraint: 'max_norm', kernel_constraint_max_value: 0.3 }, inputs: [[4, 3]], step: 0.5, steps: 2 },
  { id: 'embedding max_norm 0.2 per token (axis 1): 3 SGD steps', block: 'Embedding', params: { input_dim: 7, output_dim: 3, embeddings_constraint: 'max_norm', embeddings_constraint_max_value: 0.2, embeddings_constraint_axis: [1] }, inputs: [[5]], ids: 7, step: 0.5, steps: 3 },
];

describeKerasNumeric('weight constraints train as in Keras 3 (projection after every step, none on load)', CASES);

describe('constraint options', () => {
  const check = (block: string, params: Record<string, unknown>) => {
    const def = getBlock(block);
    if (!def) throw new Error(block);
    return def.inferShape([[4, 4, 2]], { ...defaultParams(def.params), ...params } as never).problems;
  };

  it('an axis the weight does not have, a repeated axis and min above max are errors that name the option and the fix', () => {
    expect(check('Conv2D', { filters: 2, kernel_size: 2, kernel_constraint: 'max_norm', kernel_constraint_axis: [0, 4] })).toEqual([
      { code: 'LL011', message: expect.stringContaining('the kernel has 4 axes (0 to 3), so its constraint cannot take norms over axis 4. Use axes from 0 to 3.') as string, param: 'kernel_constraint_axis' },
    ]);
    expect(check('Conv2D', { filters: 2, kernel_size: 2, kernel_constraint: 'unit_norm', kernel_constraint_axis: [1, 1] })[0]).toMatchObject({ code: 'LL011', param: 'kernel_constraint_axis' });
    expect(check('SeparableConv2D', { filters: 2, kernel_size: 2, bias_constraint: 'min_max_norm', bias_constraint_min_value: 3 })[0]).toMatchObject({
      code: 'LL011',
      param: 'bias_constraint_min_value',
      message: expect.stringContaining('min norm 3 is above its max norm 1') as string,
    });
    // Without a constraint (or with non_neg, which has no axis) the axes are not read.
    expect(check('Conv2D', { filters: 2, kernel_size: 2, kernel_constraint: 'non_neg', kernel_constraint_axis: [7] })).toEqual([]);
    // A max norm of 0 or below, or a rate outside (0, 1], is out of the option's range (LL011 by the generic check).
    const def = getBlock('Dense');
    const spec = (name: string) => def?.params.find((p) => p.name === name);
    expect(spec('kernel_constraint_max_value')).toMatchObject({ min: 0, minExclusive: true, nullable: true });
    expect(spec('kernel_constraint_rate')).toMatchObject({ min: 0, minExclusive: true, max: 1 });
  });

  it('the Keras call prints keras.constraints objects with Keras’s defaults; the tfjs call carries no constraint', () => {
    const def = getBlock('Dense');
    if (!def?.layerCall) throw new Error('Dense');
    const call = def.layerCall({ ...defaultParams(def.params), units: 2, kernel_constraint: 'max_norm', bias_constraint: 'min_max_norm' }, [[null, 3]]);
    expect(call.kerasArgs.filter(([k]) => k.endsWith('_constraint'))).toEqual([
      ['kernel_constraint', { module: 'constraints', className: 'MaxNorm', args: [['max_value', 2], ['axis', 0]] }],
      ['bias_constraint', { module: 'constraints', className: 'MinMaxNorm', args: [['min_value', 0], ['max_value', 1], ['rate', 1], ['axis', 0]] }],
    ]);
    expect(call.tfjsArgs.some(([k]) => k.toLowerCase().includes('constraint'))).toBe(false);
  });

  it('projects as Keras’s formulas do (ε = 1e-7 in the denominator)', () => {
    const w = tf.tensor2d([[3, -1], [4, 0]]);
    const c = (x: Partial<WeightConstraint> & Pick<WeightConstraint, 'className'>): WeightConstraint => ({ maxValue: 2, minValue: 0, rate: 1, axis: [0], ...x });
    const close = (t: tf.Tensor, expected: number[]) => {
      const got = Array.from(t.dataSync());
      t.dispose();
      expected.forEach((e, i) => expect(got[i]).toBeCloseTo(e, 6));
    };
    // Column norms 5 and 1; row norms √10 and 4. ε shows in a norm of 1e-6.
    close(projectWeight(tf, w, c({ className: 'MaxNorm' })), [(3 * 2) / (5 + 1e-7), -1 / (1 + 1e-7), (4 * 2) / (5 + 1e-7), 0]);
    close(projectWeight(tf, w, c({ className: 'NonNeg' })), [3, 0, 4, 0]);
    close(projectWeight(tf, w, c({ className: 'UnitNorm', axis: [1] })), [3 / (Math.sqrt(10) + 1e-7), -1 / (Math.sqrt(10) + 1e-7), 4 / (4 + 1e-7), 0]);
    close(projectWeight(tf, w, c({ className: 'MinMaxNorm', minValue: 2, maxValue: 3, rate: 0.5 })), [(3 * 4) / (5 + 1e-7), -1.5 / (1 + 1e-7), (4 * 4) / (5 + 1e-7), 0]);
    const tiny = tf.tensor1d([1e-6, 0]);
    // UnitNorm of a vector of norm 1e-6 is 1e-6 / (1e-6 + 1e-7) = 0.909..., not 1: Keras's ε.
    close(projectWeight(tf, tiny, c({ className: 'UnitNorm' })), [1e-6 / (1e-6 + 1e-7), 0]);
    tf.dispose([w, tiny]);
  });
});

describe('the tfjs training engine', () => {
  it('projects constrained weights after its steps: the saved model keeps every column norm of a max_norm kernel within the max, and the projection leaves no tensor behind', { timeout: 120_000 }, async () => {
    const work = mkdtempSync(join(tmpdir(), 'layerloom-constraints-'));
    try {
      const csv = ['a,b,c,y'];
      for (let i = 0; i < 32; i++) csv.push(`${i % 5},${(i * 7) % 13},${Math.sin(i).toFixed(3)},${(i * 0.37 + 0.11).toFixed(2)}`);
      const file = join(work, 'data.csv');
      writeFileSync(file, csv.join('\n'));
      // he_normal on 3 inputs gives column norms near 1.4: the 0.05 cap binds from the first step.
      const doc = chain('constrained', [
        ['in', 'Input', { shape: [3] }],
        ['d1', 'Dense', { units: 4, activation: 'relu', kernel_initializer: 'he_normal', kernel_constraint: 'max_norm', kernel_constraint_max_value: 0.05 }],
        ['d2', 'Dense', { units: 1, activation: 'linear' }],
        ['out', 'Output'],
      ]);
      await tf.setBackend('cpu');
      const backend = { tf, name: 'cpu', description: 'cpu (test)' };
      const run = async (id: string) => {
        const events: TrainingEvent[] = [];
        const job: TrainingJob = { runId: id, doc, datasetPath: file, settings: { ...DEFAULT_TRAINING, epochs: 2, batchSize: 8, optimizer: 'sgd', learningRate: 0.01 }, runsDir: join(work, 'runs'), projectFile: null };
        await runTrainingJob(job, backend, { emit: (e) => events.push(e), stopRequested: () => false });
        const finished = events.find((e) => e.kind === 'finished');
        expect(finished, finished?.message).toMatchObject({ status: 'completed' });
        return finished && 'runDir' in finished ? String(finished.runDir) : '';
      };
      const runDir = await run('constrained');
      // The run's initial weights: the same seed.
      const { model, constraints } = compileModel(doc, tf, { seed: DEFAULT_TRAINING.seed });
      const initial = model.layers[1].getWeights()[0].arraySync() as number[][];
      const before = tf.memory().numTensors;
      applyConstraints(tf, model, constraints);
      expect(tf.memory().numTensors).toBe(before);
      await loadWeightsInto(model, join(runDir, 'model'), tf);
      const kernel = model.layers[1].getWeights()[0].arraySync() as number[][];
      const norms = (k: number[][]) => k[0].map((_, j) => Math.hypot(...k.map((row) => row[j])));
      // The seeded start breaks the cap (so the projection had work to do); the trained kernel keeps it.
      expect(Math.max(...norms(initial))).toBeGreaterThan(0.05);
      for (const n of norms(kernel)) expect(n).toBeLessThanOrEqual(0.05 + 1e-6);
      model.dispose();
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
