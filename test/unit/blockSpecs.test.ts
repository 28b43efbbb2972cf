/**
 * Block specs: the tfjs spelling derived from the Keras call, and the declared roles and call
 * conventions the rest of Layerloom reads instead of comparing type names.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { isKerasDefault } from '../../shared/codegen/defaults.js';
import { BLOCKS, blockRole, blockTypeWithRole, getBlock } from '../../shared/blocks/registry.js';
import { defaultParams } from '../../shared/blocks/paramUtils.js';
import { LAYERLOOM_TFJS_CLASSES, tfjsArgName, tfjsArgs, tfjsFactoryName, tfjsInitializer } from '../../shared/blocks/tfjsSpelling.js';
import { CUSTOM_LAYER_CLASSES } from '../../shared/compile/customLayers.js';
import { applyBlock } from '../../shared/compile/layerFactory.js';
import type { Shape } from '../../shared/blocks/types.js';

describe('tfjs spelling of a Keras call', () => {
  it.each([
    ['Dense', 'dense'],
    ['Conv1D', 'conv1d'],
    ['Conv2DTranspose', 'conv2dTranspose'],
    ['DepthwiseConv2D', 'depthwiseConv2d'],
    ['SeparableConv2D', 'separableConv2d'],
    ['MaxPooling2D', 'maxPooling2d'],
    ['GlobalAveragePooling1D', 'globalAveragePooling1d'],
    ['UpSampling2D', 'upSampling2d'],
    ['BatchNormalization', 'batchNormalization'],
    ['LSTM', 'lstm'],
    ['GRU', 'gru'],
    ['SimpleRNN', 'simpleRNN'],
    ['LeakyReLU', 'leakyReLU'],
    ['Concatenate', 'concatenate'],
  ])('class %s → tf.layers.%s', (kerasClass, factory) => {
    expect(tfjsFactoryName(kerasClass)).toBe(factory);
    expect(typeof (tf.layers as unknown as Record<string, unknown>)[factory]).toBe('function');
  });

  it.each([
    ['kernel_size', 'kernelSize'],
    ['use_bias', 'useBias'],
    ['dilation_rate', 'dilationRate'],
    ['return_sequences', 'returnSequences'],
    ['units', 'units'],
  ])('argument %s → %s', (keras, tfjs) => expect(tfjsArgName(keras)).toBe(tfjs));

  it('translates initializer names and keeps other values, with per-block renames', () => {
    expect(tfjsArgs([['kernel_initializer', 'glorot_uniform'], ['initializer', 'he_normal'], ['activation', 'relu'], ['negative_slope', 0.2]], { negative_slope: 'alpha' })).toEqual([
      ['kernelInitializer', 'glorotUniform'],
      ['initializer', 'heNormal'],
      ['activation', 'relu'],
      ['alpha', 0.2],
    ]);
    expect(tfjsInitializer('uniform')).toBe('randomUniform');
    expect(tfjsInitializer('normal')).toBe('randomNormal');
  });

  it('names the same own tfjs classes the runtime registers', () => {
    expect(LAYERLOOM_TFJS_CLASSES).toEqual(CUSTOM_LAYER_CLASSES);
  });

  it('derives a tfjs call for every layer block whose factory exists, or one of Layerloom’s own classes', () => {
    const own = new Set<string>(Object.values(LAYERLOOM_TFJS_CLASSES));
    const inputsFor: Record<string, (Shape | null)[]> = { MultiHeadAttention: [[4, 8], [4, 8], null] };
    for (const def of BLOCKS) {
      if (def.role !== 'layer') {
        expect(def.layerCall, `${def.type} is not a layer`).toBeUndefined();
        continue;
      }
      const params = defaultParams(def.params);
      const inputs = inputsFor[def.type] ?? def.ports(params).map((): Shape => [4, 4, 3]);
      const call = def.layerCall?.(params, inputs);
      expect(call, `${def.type} has a layer call`).toBeDefined();
      if (!call) continue;
      if (call.custom) expect(own.has(call.tfjsFactory), `${def.type}: ${call.tfjsFactory}`).toBe(true);
      else expect(typeof (tf.layers as unknown as Record<string, unknown>)[call.tfjsFactory], `${def.type}: tf.layers.${call.tfjsFactory}`).toBe('function');
      // Every Keras argument has its tfjs counterpart (tfjs may take extra ones, e.g. useCausalMask),
      // except options tfjs's own layer lacks or types without null, left out only while they are
      // at Keras's default (otherwise the block runs as Layerloom's own layer, or passes them).
      // CenterCrop runs as tfjs's Cropping2D: its height and width become the sides cropped from this input.
      if (def.type === 'CenterCrop') {
        expect(call.tfjsArgs.map(([k]) => k)).toEqual(['cropping']);
        continue;
      }
      const lacking = TFJS_LACKS[def.type] ?? [];
      const needed = call.kerasArgs.filter(([k, v]) => call.custom || !lacking.includes(k) || !isKerasDefault(call.kerasClass, k, v));
      expect(call.tfjsArgs.length, def.type).toBeGreaterThanOrEqual(needed.length);
    }
  });
});

/** Keras options that tfjs's own layer of a block does not take (see the block's `tfjs.ownLayer`). */
const TFJS_LACKS: Readonly<Record<string, readonly string[]>> = {
  ReLU: ['max_value', 'negative_slope', 'threshold'],
  // Left unset while off: tfjs saves an unset maskZero as null, as every model saved before it.
  Embedding: ['mask_zero'],
  PReLU: ['shared_axes'],
  Conv1D: ['groups'],
  Conv2D: ['groups'],
  Conv3D: ['groups'],
  Conv2DTranspose: ['output_padding'],
  GlobalAveragePooling1D: ['keepdims'],
  GlobalAveragePooling2D: ['keepdims'],
  GlobalMaxPooling1D: ['keepdims'],
  GlobalMaxPooling2D: ['keepdims'],
};

describe('roles and call conventions', () => {
  it('declares the input and output markers and the multi-input layers', () => {
    expect(blockTypeWithRole('input')).toBe('Input');
    expect(blockTypeWithRole('output')).toBe('Output');
    expect(blockRole('Dense')).toBe('layer');
    expect(blockRole('NoSuchBlock')).toBeUndefined();
    expect(getBlock('MultiHeadAttention')?.callConvention).toBe('query-value-key');
    for (const t of ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate']) expect(getBlock(t)?.callConvention, t).toBe('list');
    expect(getBlock('Conv2D')?.callConvention).toBe('single');
    expect(getBlock('Embedding')?.tokenIds).toEqual({ vocabularyParam: 'input_dim' });
  });

  it('gives every block with more than one port a convention that takes several tensors', () => {
    for (const def of BLOCKS) {
      const ports = def.ports(defaultParams(def.params));
      if (ports.length > 1) expect(def.callConvention, def.type).not.toBe('single');
      if (def.callConvention === 'single' && def.role === 'layer') expect(ports.length, def.type).toBe(1);
    }
  });
});

describe('randomInTraining says which layers are random in training mode', () => {
  // [block, params, per-sample input shape]: two training-mode calls on the same input differ
  // exactly when the spec says so.
  const rows: [string, Record<string, number>, number[]][] = [
    ['Dropout', { rate: 0.5 }, [64]],
    ['Dropout', { rate: 0 }, [64]],
    ['LSTM', { units: 4, dropout: 0.4 }, [6, 8]],
    ['GRU', { units: 4, recurrent_dropout: 0.4 }, [6, 8]],
    ['SimpleRNN', { units: 4 }, [6, 8]],
    ['MultiHeadAttention', { num_heads: 2, key_dim: 4, dropout: 0.5 }, [5, 8]],
    ['MultiHeadAttention', { num_heads: 2, key_dim: 4 }, [5, 8]],
    ['BatchNormalization', {}, [8]],
    ['Dense', { units: 4 }, [8]],
  ];
  for (const [type, overrides, shape] of rows) {
    it(`${type}(${JSON.stringify(overrides)})`, () => {
      const def = getBlock(type);
      if (!def?.layerCall) throw new Error(`${type} is not a layer`);
      const params = { ...defaultParams(def.params), ...overrides };
      const ports = def.ports(params).filter((p) => !p.optional);
      const symbolic = ports.map((_, i) => tf.input({ shape, name: `rt_${type}_${i}` }));
      const model = tf.model({ inputs: symbolic, outputs: applyBlock(tf, def, symbolic, params, ports.map(() => shape), `rt_${type}`) });
      const x = tf.randomNormal([4, ...shape], 0, 1, 'float32', 3);
      const xs = ports.map(() => x);
      const call = (): Float32Array => tf.tidy(() => (model.apply(xs.length === 1 ? xs[0] : xs, { training: true }) as tf.Tensor).dataSync() as Float32Array);
      const a = call();
      const b = call();
      const differ = a.some((v, i) => v !== b[i]);
      expect(differ).toBe(def.randomInTraining?.(params) ?? false);
      tf.dispose(x);
      model.dispose();
    });
  }
});
