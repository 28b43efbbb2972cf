/**
 * Core blocks: Input, Output, Dense, Activation, Dropout, Flatten, Reshape.
 * Semantics and parameter names follow `keras.layers`.
 */
import type { BlockDef, KerasCall, PortSpec, Shape } from './types.js';
import { ACTIVATIONS, BIAS_INITIALIZERS, activationParam, bool, dims, initializerParam, num, str, tuple, useBiasParam } from './paramUtils.js';
import { weightPenaltyArgs, weightPenaltyParams } from './constraintParams.js';
import { defineBlock } from './define.js';
import { withArg } from './tfjsSpelling.js';
import { fail, ok, warning } from './results.js';
import { flattenedShape, formatShape, reshapedShape, shapeSize } from './shapeUtils.js';

/** The single input port of most blocks. */
export const SINGLE_INPUT: readonly PortSpec[] = [{ name: 'in', label: 'Input' }];

const NO_PARAMS = { trainable: 0, nonTrainable: 0 } as const;

/** A model input. Its shape excludes the batch dimension; `null` marks a variable size. */
export const InputBlock: BlockDef = defineBlock({
  type: 'Input',
  category: 'Input / Output',
  role: 'input',
  description: 'Where data enters the model. Set the shape of one sample (without the batch).',
  params: [
    {
      name: 'shape',
      label: 'Shape',
      kind: 'shape',
      default: [28, 28, 1],
      help: 'One sample’s shape, e.g. 28, 28, 1 for grey images or 100 for a token sequence. Leave a size empty (null) for variable length.',
    },
    {
      name: 'dtype',
      label: 'Data type',
      kind: 'enum',
      default: 'float32',
      options: ['float32', 'int32'],
      help: 'int32 for token ids that feed an Embedding; float32 for everything else.',
    },
  ],
  ports: () => [],
  inferShape: (_inputs, params) => ok(dims(params, 'shape')),
  paramCount: () => NO_PARAMS,
});

/**
 * Marks a model output. Not a layer: the tensor wired into it becomes one of the model's outputs.
 * Making outputs explicit means a half-wired branch is reported instead of silently becoming an output.
 */
export const OutputBlock: BlockDef = defineBlock({
  type: 'Output',
  category: 'Input / Output',
  role: 'output',
  description: 'Marks a model output (prediction). Wire the last layer into it.',
  params: [],
  ports: () => SINGLE_INPUT,
  inferShape: (inputs) => (inputs[0] ? ok(inputs[0]) : fail('LL004', 'Connect the layer whose result is a prediction.')),
  paramCount: () => NO_PARAMS,
});

function lastDimOrError(block: string, shape: Shape): number | string {
  if (shape.length === 0) return `${block} needs at least a feature axis; got ${formatShape(shape)}.`;
  const last = shape[shape.length - 1];
  if (last === null) {
    return `${block} needs a fixed size on the last axis, got ${formatShape(shape)}. Set that size on the Input, or Reshape to a fixed size.`;
  }
  return last;
}

/** Fully connected layer on the last axis. */
export const DenseBlock: BlockDef = defineBlock({
  type: 'Dense',
  timeDistributable: true,
  category: 'Core',
  description: 'Fully connected layer: every output unit sees every feature of the last axis.',
  params: [
    { name: 'units', label: 'Units', kind: 'int', default: 64, min: 1, warnAbove: 65_536, help: 'Number of outputs. For a classifier’s last layer: the number of classes.' },
    activationParam('linear'),
    useBiasParam,
    initializerParam('kernel_initializer', 'Kernel initializer', 'glorot_uniform'),
    initializerParam('bias_initializer', 'Bias initializer', 'zeros', BIAS_INITIALIZERS),
    ...weightPenaltyParams(['kernel', 'bias']),
  ],
  constrainedWeightRanks: { kernel: 2, bias: 1 },
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params) => {
    if (!input) return fail('LL004', 'Connect an input.');
    const last = lastDimOrError('Dense', input);
    if (typeof last === 'string') return fail(input.length === 0 ? 'LL007' : 'LL018', last);
    const out = [...input.slice(0, -1), num(params, 'units')];
    const problems =
      input.length >= 3
        ? [
            warning(
              'LL008',
              `Dense acts on the last axis only: on ${formatShape(input)} it maps each position’s ${last} features separately, giving ${formatShape(out)}. ` +
                `To classify the whole feature map, insert Flatten or GlobalAveragePooling2D before it.`,
            ),
          ]
        : [];
    return ok(out, problems);
  },
  paramCount: ([input], params) => {
    const last = input ? input[input.length - 1] ?? 0 : 0;
    const units = num(params, 'units');
    return { trainable: (last ?? 0) * units + (bool(params, 'use_bias') ? units : 0), nonTrainable: 0 };
  },
  // Every position of the leading axes: in × units.
  macs: ([input], params) => {
    if (!input) return null;
    const positions = shapeSize(input.slice(0, -1));
    const features = input[input.length - 1];
    return positions === null || features === null ? null : positions * features * num(params, 'units');
  },
  keras: (params): KerasCall => ({
    kerasClass: 'Dense',
    kerasArgs: [
      ['units', num(params, 'units')],
      ['activation', str(params, 'activation')],
      ['use_bias', bool(params, 'use_bias')],
      ['kernel_initializer', str(params, 'kernel_initializer')],
      ['bias_initializer', str(params, 'bias_initializer')],
      ...weightPenaltyArgs(params, ['kernel', 'bias']),
    ],
  }),
});

/** Element-wise activation as its own block. */
export const ActivationBlock: BlockDef = defineBlock({
  type: 'Activation',
  category: 'Core',
  description: 'Applies an activation function element-wise.',
  params: [
    {
      name: 'activation',
      label: 'Function',
      kind: 'enum',
      default: 'relu',
      options: [...ACTIVATIONS, 'leaky_relu'],
      help: 'relu for hidden layers, softmax for class probabilities, sigmoid for independent yes/no outputs. leaky_relu uses slope 0.2 below zero.',
    },
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input]) => (input ? ok(input) : fail('LL004', 'Connect an input.')),
  paramCount: () => NO_PARAMS,
  keras: (params): KerasCall =>
    str(params, 'activation') === 'leaky_relu'
      ? { kerasClass: 'LeakyReLU', kerasArgs: [['negative_slope', 0.2]] }
      : { kerasClass: 'Activation', kerasArgs: [['activation', str(params, 'activation')]] },
  tfjs: { rename: { negative_slope: 'alpha' } },
});

/** Randomly zeroes inputs during training. */
export const DropoutBlock: BlockDef = defineBlock({
  type: 'Dropout',
  category: 'Regularization',
  description: 'Randomly drops a fraction of values while training, to reduce overfitting.',
  randomInTraining: (params) => num(params, 'rate') > 0,
  params: [
    { name: 'rate', label: 'Rate', kind: 'float', default: 0.5, min: 0, max: 1, maxExclusive: true, help: 'Fraction of values set to zero during training (0 to just under 1). 0.2–0.5 is typical.' },
    {
      name: 'noise_shape',
      label: 'Noise shape',
      kind: 'shape',
      default: null,
      nullable: true,
      min: 1,
      advanced: true,
      help: 'Shape of the random keep/drop mask, batch axis first: null where it follows the input, 1 where one draw is shared along that axis ((None, 1, 1, 1) drops whole samples: EfficientNet’s stochastic depth; (None, 1, 1, C) whole channels). Empty: one draw per value.',
    },
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params) => {
    if (!input) return fail('LL004', 'Connect an input.');
    const noise = params.noise_shape;
    if (Array.isArray(noise)) {
      const full = [null, ...input];
      const bad = noise.length !== full.length || noise.some((d, i) => d !== null && d !== 1 && d !== full[i]);
      if (bad) {
        return fail(
          'LL011',
          `Noise shape (${noise.map((d) => (d === null ? 'None' : String(d))).join(', ')}) does not fit the input (None${input.map((d) => `, ${d ?? 'None'}`).join('')}): give one entry per axis, batch first, each None, 1 or that axis's size.`,
          'noise_shape',
        );
      }
    }
    return ok(input);
  },
  paramCount: () => NO_PARAMS,
  keras: (params): KerasCall => {
    const noise = params.noise_shape;
    return { kerasClass: 'Dropout', kerasArgs: [['rate', num(params, 'rate')], ['noise_shape', Array.isArray(noise) ? tuple(noise.map((d: number | null) => d)) : null]] };
  },
});

/** Flattens everything but the batch axis. */
export const FlattenBlock: BlockDef = defineBlock({
  type: 'Flatten',
  timeDistributable: true,
  category: 'Reshaping',
  description: 'Turns a feature map into one long vector per sample.',
  params: [],
  ports: () => SINGLE_INPUT,
  inferShape: ([input]) => {
    if (!input) return fail('LL004', 'Connect an input.');
    // Like Keras 3: a variable size anywhere gives a variable length ((None, 2, None) → (None,));
    // a Dense after it then asks for a fixed size (LL018), as Keras's does.
    return ok(flattenedShape(input) ?? [null]);
  },
  paramCount: () => NO_PARAMS,
  keras: (): KerasCall => ({ kerasClass: 'Flatten', kerasArgs: [] }),
  tfjs: {
    // tfjs's Flatten insists on rank ≥ 3 where Keras accepts a flat input unchanged, and on fixed
    // sizes where Keras flattens variable ones; express those cases as the equivalent Reshape so
    // both libraries build the same model.
    adjust: (call, _params, [input]) => {
      if (input && input.some((d) => d === null)) return { factory: 'reshape', args: [['targetShape', tuple([-1])]] };
      return input && input.length === 1 ? { factory: 'reshape', args: [['targetShape', tuple([...input])]] } : call;
    },
  },
});

/** Reshapes to a target shape (batch excluded); one entry may be -1 to infer it. */
export const ReshapeBlock: BlockDef = defineBlock({
  type: 'Reshape',
  category: 'Reshaping',
  description: 'Rearranges values into a new shape with the same number of elements.',
  params: [
    { name: 'target_shape', label: 'Target shape', kind: 'ints', default: [-1, 1], min: -1, help: 'New shape without the batch, e.g. 28, 28, 1. One entry may be -1 to be inferred.' },
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params) => {
    if (!input) return fail('LL004', 'Connect an input.');
    const target = dims(params, 'target_shape').map((d) => d ?? -1);
    const result = reshapedShape(input, target);
    if ('shape' in result) return ok(result.shape);
    const wanted = `(${target.join(', ')})`;
    switch (result.problem) {
      case 'invalid-target':
        return fail('LL011', `Target shape ${wanted} is invalid: use positive sizes, with at most one -1 to infer a size.`, 'target_shape');
      case 'needs-inferred-axis': {
        // Keras 3 builds it and checks the size when it runs: only inputs whose variable sizes make
        // exactly the target's number of values pass.
        const known = target.reduce((a, b) => a * b, 1);
        return ok(target, [
          warning(
            'LL017',
            `Reshape of ${formatShape(input)} into ${wanted} runs only on inputs of exactly ${known} values; other sizes fail when the model runs (as in Keras). Use -1 for one entry to take any size.`,
            'target_shape',
          ),
        ]);
      }
      case 'not-divisible':
        return fail('LL017', `Cannot reshape ${result.size} values (${formatShape(input)}) into ${wanted}: ${result.size} is not divisible by ${result.known}.`, 'target_shape');
      case 'size-mismatch':
        return fail(
          'LL017',
          `Cannot reshape ${result.size} values (${formatShape(input)}) into ${wanted} = ${result.known} values. Make the sizes multiply to ${result.size}, or use -1 for one of them.`,
          'target_shape',
        );
    }
  },
  paramCount: () => NO_PARAMS,
  keras: (params): KerasCall => ({ kerasClass: 'Reshape', kerasArgs: [['target_shape', tuple(dims(params, 'target_shape'))]] }),
  tfjs: {
    // tfjs leaves a -1 entry unknown (None) where Keras infers it; pass tfjs the resolved shape so
    // downstream layers see the same static shape as in Keras.
    adjust: (call, params, inputs) => {
      const resolved = inputs[0] ? ReshapeBlock.inferShape(inputs, params).shape : null;
      const tfjsTarget = resolved && resolved.every((d) => d !== null) ? resolved : dims(params, 'target_shape').map((d) => d ?? -1);
      return { ...call, args: withArg(call.args, 'targetShape', tuple(tfjsTarget)) };
    },
  },
});

/** Blocks in this family, registry order. */
export const coreBlocks: readonly BlockDef[] = [InputBlock, OutputBlock, DenseBlock, ActivationBlock, DropoutBlock, FlattenBlock, ReshapeBlock];
