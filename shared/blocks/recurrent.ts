/**
 * Recurrent blocks: SimpleRNN, LSTM, GRU, each optionally wrapped in Bidirectional.
 * Semantics, parameter names and weight layouts follow `keras.layers` (Keras 3).
 *
 * tfjs-layers defaults differ from Keras 3 (kernel glorotNormal, recurrent activation hardSigmoid,
 * no unit forget bias), so every call spells out each value on both sides. GRU's `reset_after`
 * defaults to true, Keras 3's default; tfjs's GRUCell refuses it, so such a GRU runs as Layerloom's
 * own layer (LayerloomGRU in shared/compile/customLayers.ts) and exports as plain Keras GRU.
 */
import { DEFAULT_OUTPUT_PORT, type BlockDef, type KerasCall, type ParamCount, type ParamSpec, type Params, type PortSpec, type Shape, type ShapeProblem, type ShapeResult } from './types.js';
import {
  ACTIVATIONS,
  BIAS_INITIALIZERS,
  RECURRENT_INITIALIZERS,
  activationParam,
  bool,
  initializerParam,
  num,
  str,
  useBiasParam,
} from './paramUtils.js';
import { fail } from './results.js';
import { formatShape } from './shapeUtils.js';
import { SINGLE_INPUT } from './core.js';
import { defineBlock } from './define.js';
import { weightPenaltyArgs, weightPenaltyParams } from './constraintParams.js';
import { LAYERLOOM_TFJS_CLASSES } from './tfjsSpelling.js';

/** The three recurrent kinds and what distinguishes them. */
interface RecurrentKind {
  readonly type: 'SimpleRNN' | 'LSTM' | 'GRU';
  /** Weight blocks per unit: 1 for SimpleRNN, 4 gates (i, f, c, o) for LSTM, 3 (z, r, h) for GRU. */
  readonly gates: number;
  readonly description: string;
}

const MERGE_MODES = ['concat', 'sum', 'mul', 'ave'] as const;

/** Gate activations offered (Keras 3's hard_sigmoid is not tfjs's, so it is left out). */
const GATE_ACTIVATIONS = ['sigmoid', 'tanh', 'relu', 'linear'] as const;

function sharedParams(kind: RecurrentKind): ParamSpec[] {
  const specs: ParamSpec[] = [
    {
      name: 'units',
      label: 'Units',
      kind: 'int',
      default: 64,
      min: 1,
      warnAbove: 65_536,
      help: 'Size of the hidden state (and of each output step).',
    },
    { ...activationParam('tanh'), options: ACTIVATIONS, help: 'Applied to the candidate state and output. Keep tanh unless you know why.' },
  ];
  if (kind.gates > 1) {
    specs.push({
      name: 'recurrent_activation',
      label: 'Gate activation',
      kind: 'enum',
      default: 'sigmoid',
      options: GATE_ACTIVATIONS,
      help: 'Activation of the gates (sigmoid, as in Keras 3).',
      advanced: true,
    });
  }
  specs.push(
    useBiasParam,
    {
      name: 'return_sequences',
      label: 'Return sequences',
      kind: 'bool',
      default: false,
      help: 'On: output every step (None, timesteps, units), e.g. to stack another recurrent layer or attention. Off: only the last step (None, units).',
    },
    {
      name: 'return_state',
      label: 'Return state',
      kind: 'bool',
      default: false,
      help: 'On: the block also outputs its final state (h; LSTM also c; the backward ones too when bidirectional) on extra ports, e.g. to start a decoder from an encoder’s state (Keras’s return_state).',
    },
    {
      name: 'initial_state',
      label: 'Initial state from inputs',
      kind: 'bool',
      default: false,
      help: 'On: adds input ports for the starting state (initial h; LSTM also c; the backward ones too when bidirectional), each (None, units), e.g. an encoder’s final state. Keras: layer(x, initial_state=[h, c]). Off: the state starts at zeros.',
    },
    { name: 'go_backwards', label: 'Go backwards', kind: 'bool', default: false, help: 'Read the sequence from the end to the start. Not with bidirectional (it already reads both ways).', advanced: true },
    {
      name: 'dropout',
      label: 'Input dropout',
      kind: 'float',
      default: 0,
      min: 0,
      max: 1,
      maxExclusive: true,
      help: 'Fraction of the input features dropped at each step while training.',
    },
    {
      name: 'recurrent_dropout',
      label: 'Recurrent dropout',
      kind: 'float',
      default: 0,
      min: 0,
      max: 1,
      maxExclusive: true,
      help: 'Fraction of the hidden state dropped at each step while training.',
      advanced: true,
    },
    initializerParam('kernel_initializer', 'Kernel initializer', 'glorot_uniform'),
    initializerParam('recurrent_initializer', 'Recurrent initializer', 'orthogonal', RECURRENT_INITIALIZERS),
    initializerParam('bias_initializer', 'Bias initializer', 'zeros', BIAS_INITIALIZERS),
    ...weightPenaltyParams(['kernel', 'recurrent', 'bias']),
  );
  if (kind.type === 'GRU') {
    specs.push({
      name: 'reset_after',
      label: 'Reset after',
      kind: 'bool',
      default: true,
      help: 'Keras’s reset_after (on by default, as in Keras 3 and cuDNN): the reset gate scales the recurrent product instead of the state, with a separate recurrent bias (bias shape (2, 3·units)). Off: the original GRU, one bias per gate, as Keras 2 and version-1 projects built it.',
      advanced: true,
    });
  }
  if (kind.type === 'LSTM') {
    specs.push({
      name: 'unit_forget_bias',
      label: 'Unit forget bias',
      kind: 'bool',
      default: true,
      help: 'Start the forget gate’s bias at 1 so the cell remembers by default (Keras’s default).',
      advanced: true,
    });
  }
  specs.push(
    {
      name: 'bidirectional',
      label: 'Bidirectional',
      kind: 'bool',
      default: false,
      help: 'Run a second copy over the reversed sequence and merge both (Keras’s Bidirectional wrapper). Doubles the weights.',
    },
    {
      name: 'merge_mode',
      label: 'Merge mode',
      kind: 'enum',
      default: 'concat',
      options: MERGE_MODES,
      help: 'How the two directions combine when bidirectional: concat doubles the units; sum, mul and ave keep them.',
    },
  );
  return specs;
}

function inferRecurrent(kind: RecurrentKind, input: Shape | null, params: Params, stateInputs: readonly (Shape | null)[]): ShapeResult {
  if (!input) return fail('LL004', `Connect a sequence (None, timesteps, features) to the ${kind.type}.`);
  if (input.length !== 2) {
    const fix =
      input.length < 2
        ? 'Add a Reshape to (timesteps, features) or feed it from an Embedding/Conv1D.'
        : 'Add a Reshape to (timesteps, features), e.g. merge the spatial axes into one time axis.';
    return fail('LL012', `${kind.type} needs a sequence (None, timesteps, features), got ${formatShape(input)}. ${fix}`);
  }
  const [steps, features] = input;
  if (features === null) {
    return fail('LL018', `${kind.type} needs a fixed number of features per step, got ${formatShape(input)}. Set it on the Input, or Reshape to a fixed size.`);
  }
  if (bool(params, 'bidirectional') && bool(params, 'go_backwards')) {
    // Keras 3's Bidirectional always builds its backward copy with go_backwards=True and refuses an
    // inner layer that already goes backwards.
    return fail(
      'LL011',
      `${kind.type}: go_backwards cannot be combined with bidirectional (Keras refuses it: the wrapper already reads the sequence backwards). Turn go_backwards off.`,
      'go_backwards',
    );
  }
  const units = num(params, 'units');
  const problems: ShapeProblem[] = [];
  const states = statePorts(kind, params);
  states.forEach((port, i) => {
    const s = stateInputs[i];
    if (s && (s.length !== 1 || s[0] !== units)) {
      problems.push({
        code: 'LL007',
        severity: 'error',
        message: `${kind.type}: the initial state on "${port}" must be (None, ${units}) — (batch, units) — but got ${formatShape(s)}. Feed it a state of ${units} units (e.g. another ${kind.type}'s h with units = ${units}), or change Units.`,
        param: 'initial_state',
      });
    }
  });
  if (problems.length) return { shape: null, problems };
  const width = bool(params, 'bidirectional') && str(params, 'merge_mode') === 'concat' ? 2 * units : units;
  const shape: Shape = bool(params, 'return_sequences') ? [steps, width] : [width];
  if (!bool(params, 'return_state')) return { shape, problems };
  // Every final state is (batch, units), forward and backward alike.
  const outputs = Object.fromEntries(statePorts(kind, params).map((port): [string, Shape] => [port, [units]]));
  return { shape, problems, outputs };
}

/**
 * The state names of one layer, in Keras's order: `h` (and LSTM's `c`), then, when bidirectional,
 * the backward layer's `h_backward` (and `c_backward`). Output ports with `return_state` on carry
 * these names; input ports with `initial_state` on are `initial_<name>`.
 */
function statePorts(kind: RecurrentKind, params: Params): string[] {
  const one = kind.type === 'LSTM' ? ['h', 'c'] : ['h'];
  return bool(params, 'bidirectional') ? [...one, ...one.map((n) => `${n}_backward`)] : one;
}

/** Short labels (the canvas draws up to five ports on one block edge): `←` marks the backward layer's. */
const STATE_LABELS: Readonly<Record<string, string>> = { h: 'h', c: 'c', h_backward: 'h←', c_backward: 'c←' };

function recurrentInputs(kind: RecurrentKind, params: Params): readonly PortSpec[] {
  if (!bool(params, 'initial_state')) return SINGLE_INPUT;
  // Initial states read h0, c0 (h0←, c0← for the backward layer).
  return [...SINGLE_INPUT, ...statePorts(kind, params).map((n) => ({ name: `initial_${n}`, label: (STATE_LABELS[n] ?? n).replace(/^(h|c)/, '$10') }))];
}

function recurrentOutputs(kind: RecurrentKind, params: Params): readonly PortSpec[] {
  const out: PortSpec = { name: DEFAULT_OUTPUT_PORT, label: 'out' };
  if (!bool(params, 'return_state')) return [out];
  return [out, ...statePorts(kind, params).map((n) => ({ name: n, label: STATE_LABELS[n] ?? n }))];
}

function countRecurrent(kind: RecurrentKind, input: Shape | null, params: Params): ParamCount {
  const features = input?.[1] ?? 0;
  const units = num(params, 'units');
  // Keras: kernel (features, g·units), recurrent kernel (units, g·units), bias (g·units).
  // GRU with reset_after: a second bias row for the recurrent product (bias shape (2, 3·units)).
  const biases = bool(params, 'use_bias') ? (kind.type === 'GRU' && bool(params, 'reset_after') ? 2 : 1) : 0;
  const one = kind.gates * units * (features + units + biases);
  return { trainable: bool(params, 'bidirectional') ? 2 * one : one, nonTrainable: 0 };
}

function recurrentCall(kind: RecurrentKind, params: Params): KerasCall {
  const gated = kind.gates > 1;
  const isLstm = kind.type === 'LSTM';
  const isGru = kind.type === 'GRU';
  return {
    kerasClass: kind.type,
    kerasArgs: [
      ['units', num(params, 'units')],
      ['activation', str(params, 'activation')],
      ...(gated ? ([['recurrent_activation', str(params, 'recurrent_activation')]] as const) : []),
      ['use_bias', bool(params, 'use_bias')],
      ['kernel_initializer', str(params, 'kernel_initializer')],
      ['recurrent_initializer', str(params, 'recurrent_initializer')],
      ['bias_initializer', str(params, 'bias_initializer')],
      ...(isLstm ? ([['unit_forget_bias', bool(params, 'unit_forget_bias')]] as const) : []),
      ['dropout', num(params, 'dropout')],
      ['recurrent_dropout', num(params, 'recurrent_dropout')],
      ['return_sequences', bool(params, 'return_sequences')],
      ['return_state', bool(params, 'return_state')],
      ['go_backwards', bool(params, 'go_backwards')],
      ...(isGru ? ([['reset_after', bool(params, 'reset_after')]] as const) : []),
      ...weightPenaltyArgs(params, ['kernel', 'recurrent', 'bias']),
    ],
    ...(bool(params, 'bidirectional') ? { bidirectional: { mergeMode: str(params, 'merge_mode') } } : {}),
  };
}

function recurrentBlock(kind: RecurrentKind): BlockDef {
  return defineBlock({
    type: kind.type,
    category: 'Recurrent',
    description: kind.description,
    randomInTraining: (params) => num(params, 'dropout') > 0 || num(params, 'recurrent_dropout') > 0,
    // The bias has no axis option (its constraint takes the norm over axis 0, Keras's default).
    constrainedWeightRanks: { kernel: 2, recurrent: 2, bias: 1 },
    params: sharedParams(kind),
    callConvention: 'initial-state',
    ports: (params) => recurrentInputs(kind, params),
    outputs: (params) => recurrentOutputs(kind, params),
    inferShape: ([input, ...states], params) => inferRecurrent(kind, input, params, states),
    paramCount: ([input], params) => countRecurrent(kind, input, params),
    // Per step: each gate's kernel and recurrent kernel (gates · units · (features + units)), both directions.
    macs: ([input], params) => {
      const [steps, features] = input ?? [null, null];
      if (steps === null || steps === undefined || features === null || features === undefined) return null;
      const units = num(params, 'units');
      return steps * kind.gates * units * (features + units) * (bool(params, 'bidirectional') ? 2 : 1);
    },
    keras: (params) => recurrentCall(kind, params),
    // tfjs's GRUCell refuses reset_after=True.
    ...(kind.type === 'GRU' ? { tfjs: { ownLayer: (params: Params) => (bool(params, 'reset_after') ? LAYERLOOM_TFJS_CLASSES.gru : null) } } : {}),
  });
}

/** Fully connected recurrent layer: h = activation(x·W + h·U + b). */
export const SimpleRNNBlock: BlockDef = recurrentBlock({
  type: 'SimpleRNN',
  gates: 1,
  description: 'The simplest recurrent layer: reads a sequence step by step, keeping a hidden state.',
});

/** Long short-term memory: input, forget, cell and output gates (Keras order i, f, c, o). */
export const LSTMBlock: BlockDef = recurrentBlock({
  type: 'LSTM',
  gates: 4,
  description: 'Long short-term memory: a recurrent layer with gates that keep information over long sequences.',
});

/**
 * Gated recurrent unit (gates z, r, h). `reset_after` (default true, as in Keras 3): the reset gate
 * scales the recurrent product, bias (2, 3·units); off: it scales the state, one bias per gate.
 */
export const GRUBlock: BlockDef = recurrentBlock({
  type: 'GRU',
  gates: 3,
  description: 'Gated recurrent unit: like LSTM with fewer weights.',
});

/** Blocks in this family, registry order. */
export const recurrentBlocks: readonly BlockDef[] = [SimpleRNNBlock, LSTMBlock, GRUBlock];
