/**
 * Convolution blocks: Conv1D, Conv2D, Conv3D, Conv1DTranspose, Conv2DTranspose, Conv3DTranspose,
 * DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D.
 * Semantics, parameter names and weight layouts follow `keras.layers` (Keras 3, channels last).
 *
 * Where tfjs-layers 4.22 differs from Keras, a block runs Layerloom's own variant of the layer or
 * does not offer the parameter, never silently changes it, so the app's model, the TS export and the
 * Keras export stay one model:
 * - kernel initializers default to glorotNormal in tfjs (Keras: glorot_uniform), so every call
 *   states them;
 * - tfjs has no gradient for dilated convolutions, and its Conv1D throws when run with
 *   `padding="causal"`: those cases run as Layerloom's subclasses of tfjs's layers
 *   (compile/customLayers.ts: a dilated kernel instead of a dilated op; left padding, as Keras does);
 * - Conv2DTranspose and DepthwiseConv2D have no dilation in tfjs (it is ignored), so it is not offered
 *   (nor on Conv1DTranspose and Conv3DTranspose, which tfjs lacks and which run as Layerloom's own layers);
 * - SeparableConv2D in tfjs uses the depthwise initializer for the pointwise kernel too, so there is
 *   one initializer for both;
 * - strides > 1 together with dilation > 1 is refused (Keras refuses it for Conv1D/Conv2D, tfjs for
 *   all; Keras 3.15 lets SeparableConv2D through).
 */
import type { BlockDef, Dim, KerasArg, KerasCall, ParamCount, ParamSpec, Params, Shape, ShapeResult, TfjsSpelling } from './types.js';
import { activationParam, BIAS_INITIALIZERS, bool, initializerParam, intTuple, num, str, tuple, useBiasParam } from './paramUtils.js';
import { weightPenaltyArgs, weightPenaltyParams } from './constraintParams.js';
import { fail, ok, rankError, shrinkError } from './results.js';
import { convOutputLength, convTransposeOutputLength, dilatedKernel, formatShape, shapeSize, type Padding } from './shapeUtils.js';
import { SINGLE_INPUT } from './core.js';
import { defineBlock } from './define.js';
import { LAYERLOOM_TFJS_CLASSES } from './tfjsSpelling.js';

/** Names of the spatial axes of 1-D and 2-D inputs, for messages. */
const AXES_1D = ['length'] as const;
const AXES_2D = ['height', 'width'] as const;
const AXES_3D = ['depth', 'height', 'width'] as const;

/** Number of spatial axes of a convolution or pooling block. */
export type Spatial = 1 | 2 | 3;

/** What to suggest instead of a block when the input has another rank. */
export interface RankAlternatives {
  /** The 2-D block for images (asked of 1-D blocks). */
  readonly image?: string;
  /** The 1-D block for sequences (asked of 2-D blocks). */
  readonly sequence?: string;
  /** What to use on flat vectors, when something fits. */
  readonly flat?: string;
}

/** Hint for a block that wants an image (None, height, width, channels) but got another rank. */
function imageRankHint(input: Shape, alt: RankAlternatives): string {
  const flat = alt.flat ? `; for a flat vector use ${alt.flat}` : '';
  const seq = alt.sequence ? `, or use ${alt.sequence} if it is a sequence (steps, features)` : '';
  if (input.length === 2) {
    const [h, w] = input;
    if (h !== null && w !== null) return `Add a Reshape to (${h}, ${w}, 1) before it (one channel)${seq}.`;
    return `Give it a channel axis: set the Input shape to (height, width, 1) for grey images${seq}.`;
  }
  if (input.length === 1) {
    const n = input[0];
    const side = n === null ? NaN : Math.round(Math.sqrt(n));
    if (n !== null && side * side === n) return `Add a Reshape to (${side}, ${side}, 1) before it if these ${n} values are a ${side}×${side} image${flat}.`;
    return `Add a Reshape to (height, width, channels) before it${flat}.`;
  }
  return 'Add a Reshape to (height, width, channels) before it.';
}

/** Hint for a block that wants a sequence (None, steps, features) but got another rank. */
function sequenceRankHint(input: Shape, alt: RankAlternatives): string {
  if (input.length === 1) {
    const n = input[0];
    const flat = alt.flat ? `, or use ${alt.flat} on flat vectors` : '';
    return n === null
      ? `Add a Reshape to (-1, 1) before it (steps of one feature)${flat}.`
      : `Add a Reshape to (${n}, 1) before it (${n} steps of one feature)${flat}.`;
  }
  if (input.length === 3) {
    const [h, w, c] = input;
    const rows = w !== null && c !== null ? `(${h ?? -1}, ${w * c})` : '(steps, features)';
    const image = alt.image ? `For images use ${alt.image}; to` : 'To';
    return `${image} read the rows as steps, add a Reshape to ${rows} before it.`;
  }
  return 'Add a Reshape to (steps, features) before it.';
}

/** The fixed channel count (last axis), or an LL018 result when it is variable. */
function fixedChannels(block: string, input: Shape, why: string): number | ShapeResult {
  const c = input[input.length - 1];
  if (c === null) {
    return fail('LL018', `${block} needs a fixed number of channels (last axis), got ${formatShape(input)}: ${why}. Set that size on the Input or the layer before.`);
  }
  return c;
}

function isResult(x: number | ShapeResult): x is ShapeResult {
  return typeof x !== 'number';
}

/** Rank check shared by conv and pooling blocks (`spatial` axes plus channels): LL007 with a fix, or null. */
export function checkSpatialRank(block: string, input: Shape, spatial: Spatial, alt: RankAlternatives): ShapeResult | null {
  if (input.length === spatial + 1) return null;
  if (spatial === 3) {
    const image = alt.image ? `; for a single image (height, width, channels) use ${alt.image}` : '';
    return rankError(block, 'rank-5 (None, depth, height, width, channels)', input, `Set the Input shape to (depth, height, width, channels), e.g. (frames, height, width, 1) for a grey video or volume${image}.`);
  }
  return spatial === 2
    ? rankError(block, 'rank-4 (None, height, width, channels)', input, imageRankHint(input, alt))
    : rankError(block, 'rank-3 (None, steps, features)', input, sequenceRankHint(input, alt));
}

/** How a kernel slides over the spatial axes (one entry per axis). */
interface Window {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilation: readonly number[];
  readonly padding: Padding;
}

/** Output spatial dims of a forward convolution, or an LL009/LL011 result. */
function slideWindow(block: string, input: Shape, w: Window): Dim[] | ShapeResult {
  const spatial = input.length - 1;
  const axes = spatial === 1 ? AXES_1D : spatial === 2 ? AXES_2D : AXES_3D;
  if (w.strides.some((s) => s > 1) && w.dilation.some((d) => d > 1)) {
    return fail(
      'LL011',
      `${block} cannot combine strides > 1 with dilation_rate > 1 (TensorFlow.js does not support it, nor does Keras for Conv1D/Conv2D). Set strides to 1, or set dilation_rate to 1 and downsample with strides or a pooling step.`,
      'dilation_rate',
    );
  }
  const out: Dim[] = [];
  for (let i = 0; i < spatial; i++) {
    const n = input[i];
    const len = convOutputLength(n, w.kernel[i], w.padding, w.strides[i], w.dilation[i]);
    if (len !== null && len <= 0 && n !== null) return shrinkError(block, axes[i], n, dilatedKernel(w.kernel[i], w.dilation[i]), 'kernel_size');
    out.push(len);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parameters

const filtersParam: ParamSpec = {
  name: 'filters',
  label: 'Filters',
  kind: 'int',
  default: 32,
  min: 1,
  warnAbove: 65_536,
  help: 'Number of output channels (feature detectors). 32–128 is typical; often doubled after each downsampling.',
};

function kernelParam(spatial: Spatial, extra = ''): ParamSpec {
  if (spatial === 3) {
    return { name: 'kernel_size', label: 'Kernel size', kind: 'ints', length: 3, default: [3, 3, 3], min: 1, help: `Depth, height and width of each filter’s window, e.g. 3, 3, 3.${extra}` };
  }
  return spatial === 1
    ? { name: 'kernel_size', label: 'Kernel size', kind: 'int', default: 3, min: 1, help: `How many steps each filter sees at once, e.g. 3 or 5.${extra}` }
    : { name: 'kernel_size', label: 'Kernel size', kind: 'ints', length: 2, default: [3, 3], min: 1, help: `Height and width of each filter’s window, e.g. 3, 3.${extra}` };
}

function stridesParam(spatial: Spatial, help: string): ParamSpec {
  return spatial === 1
    ? { name: 'strides', label: 'Strides', kind: 'int', default: 1, min: 1, help }
    : { name: 'strides', label: 'Strides', kind: 'ints', length: spatial, default: new Array<number>(spatial).fill(1), min: 1, help };
}

const STRIDES_HELP = 'Step between windows. 2 halves the size (a learned downsampling). Cannot be combined with dilation > 1.';

function paddingParam(options: readonly Padding[]): ParamSpec {
  return {
    name: 'padding',
    label: 'Padding',
    kind: 'enum',
    default: 'valid',
    options,
    help:
      '"valid": no padding, the output shrinks by kernel − 1. "same": pads so that the output has ceil(input / strides) positions.' +
      (options.includes('causal') ? ' "causal": pads only the start, so step t never sees later steps (for forecasting and WaveNet-style models).' : ''),
  };
}

function dilationParam(spatial: Spatial): ParamSpec {
  const help = 'Spacing between kernel taps: widens the view without more weights (window = (kernel − 1) · dilation + 1). Needs strides 1.';
  return spatial === 1
    ? { name: 'dilation_rate', label: 'Dilation', kind: 'int', default: 1, min: 1, help, advanced: true }
    : { name: 'dilation_rate', label: 'Dilation', kind: 'ints', length: spatial, default: new Array<number>(spatial).fill(1), min: 1, help, advanced: true };
}

const depthMultiplierParam: ParamSpec = {
  name: 'depth_multiplier',
  label: 'Depth multiplier',
  kind: 'int',
  default: 1,
  min: 1,
  help: 'Filters per input channel in the depthwise step: the depthwise output has channels × multiplier channels.',
};

/** A spatial tuple param as numbers (an int for 1-D blocks, a pair for 2-D ones, a triple for 3-D). */
function spatialValues(params: Params, name: string, spatial: Spatial): number[] {
  return intTuple(params, name, spatial);
}

/** Keras/tfjs literal of a spatial param: a plain int for 1-D blocks, a tuple for 2-D and 3-D. */
function spatialArg(params: Params, name: string, spatial: Spatial): KerasArg {
  const values = spatialValues(params, name, spatial);
  return spatial === 1 ? values[0] : tuple(values);
}

function windowOf(params: Params, spatial: Spatial, withDilation: boolean): Window {
  return {
    kernel: spatialValues(params, 'kernel_size', spatial),
    strides: spatialValues(params, 'strides', spatial),
    dilation: withDilation ? spatialValues(params, 'dilation_rate', spatial) : Array.from({ length: spatial }, () => 1),
    padding: str(params, 'padding') as Padding,
  };
}

const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** Input channels from a valid input shape (0 when unknown; only called after inference succeeded). */
function channelsOf(inputs: readonly (Shape | null)[]): number {
  const input = inputs[0];
  return (input && input[input.length - 1]) ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Conv1D / Conv2D

interface ConvKind {
  readonly type: 'Conv1D' | 'Conv2D' | 'Conv3D';
  readonly spatial: Spatial;
  /** What to suggest on a rank mismatch. */
  readonly alternative: RankAlternatives;
  readonly description: string;
}

function convParams(kind: ConvKind): ParamSpec[] {
  return [
    filtersParam,
    kernelParam(kind.spatial),
    stridesParam(kind.spatial, STRIDES_HELP),
    paddingParam(kind.spatial === 1 ? ['valid', 'same', 'causal'] : ['valid', 'same']),
    dilationParam(kind.spatial),
    {
      name: 'groups',
      label: 'Groups',
      kind: 'int',
      default: 1,
      min: 1,
      advanced: true,
      help: 'Splits the input channels and the filters into this many groups, each convolved on its own (fewer weights; groups = channels = filters is a depthwise convolution, as ConvNeXt uses). Both channels and filters must divide by it.',
    },
    activationParam('linear'),
    useBiasParam,
    initializerParam('kernel_initializer', 'Kernel initializer', 'glorot_uniform'),
    initializerParam('bias_initializer', 'Bias initializer', 'zeros', BIAS_INITIALIZERS),
    ...weightPenaltyParams(['kernel', 'bias']),
  ];
}

function inferConv(kind: ConvKind, input: Shape | null, params: Params): ShapeResult {
  if (!input) return fail('LL004', `Connect an input to the ${kind.type}.`);
  const rank = checkSpatialRank(kind.type, input, kind.spatial, kind.alternative);
  if (rank) return rank;
  const channels = fixedChannels(kind.type, input, 'the kernel has one slice per input channel');
  if (isResult(channels)) return channels;
  const groups = groupsOf(params);
  const filters = num(params, 'filters');
  if (channels % groups !== 0 || filters % groups !== 0) {
    return fail('LL011', `Groups ${groups} must divide both the ${channels} input channels and the ${filters} filters. Pick a common divisor (1 for an ordinary convolution).`, 'groups');
  }
  const dims = slideWindow(kind.type, input, windowOf(params, kind.spatial, true));
  if (!Array.isArray(dims)) return dims;
  return ok([...dims, filters]);
}

/** Keras's `groups` (1 where a document written before the option has none). */
function groupsOf(params: Params): number {
  return typeof params.groups === 'number' ? params.groups : 1;
}

/** True when tfjs's own layer cannot train this conv (dilation > 1) or run it (causal padding). */
function needsOwnLayer(params: Params, spatial: Spatial): boolean {
  return str(params, 'padding') === 'causal' || spatialValues(params, 'dilation_rate', spatial).some((d) => d > 1) || groupsOf(params) > 1;
}

function convCall(kind: ConvKind, params: Params): KerasCall {
  const s = kind.spatial;
  return {
    kerasClass: kind.type,
    kerasArgs: [
      ['filters', num(params, 'filters')],
      ['kernel_size', spatialArg(params, 'kernel_size', s)],
      ['strides', spatialArg(params, 'strides', s)],
      ['padding', str(params, 'padding')],
      ['dilation_rate', spatialArg(params, 'dilation_rate', s)],
      ['groups', groupsOf(params)],
      ['activation', str(params, 'activation')],
      ['use_bias', bool(params, 'use_bias')],
      ['kernel_initializer', str(params, 'kernel_initializer')],
      ['bias_initializer', str(params, 'bias_initializer')],
      ...weightPenaltyArgs(params, ['kernel', 'bias']),
    ],
  };
}

/**
 * Layerloom's subclass of tfjs's layer (same config and weights) where tfjs cannot train a dilated
 * kernel or run causal padding; tfjs's own layer (fused kernels) everywhere else.
 */
function ownConvLayer(spatial: Spatial, className: string): TfjsSpelling {
  return {
    ownLayer: (params) => (needsOwnLayer(params, spatial) ? className : null),
    // tfjs's own layer has no groups (it only runs groups = 1, which needs no argument).
    adjust: (call, params) => (groupsOf(params) === 1 ? { ...call, args: call.args.filter(([k]) => k !== 'groups') } : call),
  };
}

function convBlock(kind: ConvKind): BlockDef {
  return defineBlock({
    type: kind.type,
    category: 'Convolution',
    description: kind.description,
    // TimeDistributed(Conv2D) is the frame-wise CNN of video models; Conv3D's input has no room for a time axis.
    timeDistributable: kind.spatial !== 3,
    constrainedWeightRanks: { kernel: kind.spatial + 2, bias: 1 },
    params: convParams(kind),
    ports: () => SINGLE_INPUT,
    inferShape: ([input], params) => inferConv(kind, input, params),
    paramCount: (inputs, params): ParamCount => {
      const kernel = product(spatialValues(params, 'kernel_size', kind.spatial));
      const filters = num(params, 'filters');
      return { trainable: (kernel * channelsOf(inputs) * filters) / groupsOf(params) + (bool(params, 'use_bias') ? filters : 0), nonTrainable: 0 };
    },
    // Each output position: kernel window × input channels of its group × filters.
    macs: (inputs, params, output) => {
      const positions = shapeSize(output.slice(0, -1));
      return positions === null ? null : (positions * product(spatialValues(params, 'kernel_size', kind.spatial)) * channelsOf(inputs) * num(params, 'filters')) / groupsOf(params);
    },
    keras: (params) => convCall(kind, params),
    tfjs: ownConvLayer(kind.spatial, OWN_CONV[kind.spatial]),
  });
}

/** Layerloom's conv layer per number of spatial axes. */
const OWN_CONV: Readonly<Record<Spatial, string>> = { 1: LAYERLOOM_TFJS_CLASSES.conv1d, 2: LAYERLOOM_TFJS_CLASSES.conv2d, 3: LAYERLOOM_TFJS_CLASSES.conv3d };

/** 1-D convolution over a sequence (None, steps, features). */
export const Conv1DBlock: BlockDef = convBlock({
  type: 'Conv1D',
  spatial: 1,
  alternative: { image: 'Conv2D', flat: 'Dense' },
  description: 'Slides filters along a sequence (None, steps, features): local patterns in text, audio or time series.',
});

/** 2-D convolution over an image (None, height, width, channels). */
export const Conv2DBlock: BlockDef = convBlock({
  type: 'Conv2D',
  spatial: 2,
  alternative: { sequence: 'Conv1D', flat: 'Dense' },
  description: 'Slides filters over an image (None, height, width, channels) to detect local patterns.',
});

/** 3-D convolution over a volume or video (None, depth, height, width, channels). */
export const Conv3DBlock: BlockDef = convBlock({
  type: 'Conv3D',
  spatial: 3,
  alternative: { image: 'Conv2D' },
  description: 'Slides 3-D filters over a volume or a video clip (None, depth, height, width, channels): scans, frames × height × width.',
});

// ---------------------------------------------------------------------------------------------
// Conv2DTranspose / Conv3DTranspose

interface TransposeKind {
  readonly type: 'Conv1DTranspose' | 'Conv2DTranspose' | 'Conv3DTranspose';
  readonly spatial: Spatial;
  readonly description: string;
}

function transposeBlock(kind: TransposeKind): BlockDef {
  const { type, spatial } = kind;
  const sizes = spatial === 1 ? 'the length' : spatial === 2 ? 'height and width' : 'depth, height and width';
  const extraHelp = `Extra ${spatial === 1 ? 'steps' : spatial === 2 ? 'rows and columns' : 'slices, rows and columns'} at the end of the output, ${spatial === 1 ? 'smaller than the stride' : 'each smaller than the stride'}: picks one of the sizes a strided Conv${spatial}D could have come from (e.g. 7 rather than 8 from 4 at stride 2). Empty: the smallest size that fits.`;
  return defineBlock({
    type,
    category: 'Convolution',
    description: kind.description,
    params: [
      filtersParam,
      kernelParam(spatial, ` Dilation is not offered: TensorFlow.js’s transposed convolutions have none, and the app must build the same model as Keras.`),
      stridesParam(spatial, `Upsampling factor per axis: 2 doubles ${sizes}.`),
      paddingParam(['valid', 'same']),
      spatial === 1
        ? { name: 'output_padding', label: 'Output padding', kind: 'int', default: null, nullable: true, min: 0, advanced: true, help: extraHelp }
        : { name: 'output_padding', label: 'Output padding', kind: 'ints', length: spatial, default: null, nullable: true, min: 0, advanced: true, help: extraHelp },
      activationParam('linear'),
      useBiasParam,
      initializerParam('kernel_initializer', 'Kernel initializer', 'glorot_uniform'),
      initializerParam('bias_initializer', 'Bias initializer', 'zeros', BIAS_INITIALIZERS),
      ...weightPenaltyParams(['kernel', 'bias']),
    ],
    constrainedWeightRanks: { kernel: spatial + 2, bias: 1 },
    ports: () => SINGLE_INPUT,
    inferShape: ([input], params) => {
      if (!input) return fail('LL004', `Connect an input to the ${type}.`);
      const rank = checkSpatialRank(type, input, spatial, spatial === 2 ? { sequence: 'Conv1DTranspose', flat: 'Dense' } : { image: 'Conv2DTranspose' });
      if (rank) return rank;
      const channels = fixedChannels(type, input, 'the kernel has one slice per input channel');
      if (isResult(channels)) return channels;
      const kernel = intTuple(params, 'kernel_size', spatial);
      const strides = intTuple(params, 'strides', spatial);
      const padding = str(params, 'padding') as Padding;
      const extra = outputPaddingOf(params, spatial);
      if (extra && extra.some((p, i) => p >= strides[i])) {
        return fail('LL011', `Output padding (${extra.join(', ')}) must be smaller than the strides (${strides.join(', ')}) on each axis, as Keras requires.`, 'output_padding');
      }
      const dims = kernel.map((k, i) => convTransposeOutputLength(input[i], k, padding, strides[i], 1, extra ? extra[i] : null));
      if (dims.some((d) => d !== null && d < 1)) return fail('LL009', `Output padding (${extra?.join(', ')}) gives an empty output ${formatShape([...dims, num(params, 'filters')])}. Raise it or use padding "valid".`, 'output_padding');
      // TensorFlow runs a "same" transposed convolution only when a "same" convolution of stride s
      // would take its output back to the input size (⌈out / s⌉ = n); Keras passes the size on and fails.
      const axes = spatial === 1 ? AXES_1D : spatial === 2 ? AXES_2D : AXES_3D;
      const stuck = padding === 'same' && extra ? dims.findIndex((d, i) => d !== null && input[i] !== null && Math.ceil(d / strides[i]) !== input[i]) : -1;
      if (stuck >= 0) {
        return fail(
          'LL011',
          `${type}: output padding ${extra?.[stuck]} with kernel ${kernel[stuck]} and stride ${strides[stuck]} on the ${axes[stuck]} gives ${dims[stuck]} from ${input[stuck]}, a size TensorFlow cannot run with padding "same" (a stride-${strides[stuck]} "same" convolution of ${dims[stuck]} gives ${Math.ceil((dims[stuck] ?? 0) / strides[stuck])}, not ${input[stuck]}). Raise the output padding on that axis by 1, or use an odd kernel size there.`,
          'output_padding',
        );
      }
      return ok([...dims, num(params, 'filters')]);
    },
    paramCount: (inputs, params) => {
      const filters = num(params, 'filters');
      return { trainable: product(intTuple(params, 'kernel_size', spatial)) * filters * channelsOf(inputs) + (bool(params, 'use_bias') ? filters : 0), nonTrainable: 0 };
    },
    // Each input position scatters its channels through the whole kernel into every filter.
    macs: ([input], params) => {
      const positions = input ? shapeSize(input.slice(0, -1)) : null;
      return positions === null ? null : positions * product(intTuple(params, 'kernel_size', spatial)) * channelsOf([input]) * num(params, 'filters');
    },
    keras: (params): KerasCall => ({
      kerasClass: type,
      kerasArgs: [
        ['filters', num(params, 'filters')],
        ['kernel_size', spatialArg(params, 'kernel_size', spatial)],
        ['strides', spatialArg(params, 'strides', spatial)],
        ['padding', str(params, 'padding')],
        ['output_padding', outputPaddingArg(params, spatial)],
        ['activation', str(params, 'activation')],
        ['use_bias', bool(params, 'use_bias')],
        ['kernel_initializer', str(params, 'kernel_initializer')],
        ['bias_initializer', str(params, 'bias_initializer')],
        ...weightPenaltyArgs(params, ['kernel', 'bias']),
      ],
    }),
    tfjs:
      spatial === 1
        ? // tfjs has no 1-D transposed convolution layer.
          { ownLayer: () => LAYERLOOM_TFJS_CLASSES.conv1dTranspose }
        : spatial === 2
        ? {
            // tfjs's own layer has no output padding: Layerloom's computes Keras's output size.
            ownLayer: (params) => (outputPaddingOf(params, 2) ? LAYERLOOM_TFJS_CLASSES.conv2dTranspose : null),
            adjust: (call, params) => (outputPaddingOf(params, 2) ? call : { ...call, args: call.args.filter(([k]) => k !== 'outputPadding') }),
          }
        : // tfjs has no 3-D transposed convolution layer (and no gradient for its op).
          { ownLayer: () => LAYERLOOM_TFJS_CLASSES.conv3dTranspose },
  });
}

/** Transposed 1-D convolution: learned upsampling of a sequence. */
export const Conv1DTransposeBlock: BlockDef = transposeBlock({
  type: 'Conv1DTranspose',
  spatial: 1,
  description: 'Learned upsampling of a sequence (None, steps, features): the reverse of a strided Conv1D (audio and time-series decoders).',
});

/** Transposed 2-D convolution ("deconvolution"): learned upsampling. */
export const Conv2DTransposeBlock: BlockDef = transposeBlock({
  type: 'Conv2DTranspose',
  spatial: 2,
  description: 'Learned upsampling: the reverse of a strided Conv2D (decoders, segmentation, generators).',
});

/** Transposed 3-D convolution: learned upsampling of a volume. */
export const Conv3DTransposeBlock: BlockDef = transposeBlock({
  type: 'Conv3DTranspose',
  spatial: 3,
  description: 'Learned upsampling of a volume or video clip: the reverse of a strided Conv3D (3-D U-Nets, volume decoders).',
});

/** A transposed convolution's output_padding per axis, or null for Keras's None. */
function outputPaddingOf(params: Params, spatial: Spatial): number[] | null {
  const v = params.output_padding;
  if (v === null || v === undefined) return null;
  return intTuple(params, 'output_padding', spatial);
}

/** output_padding as Keras writes it: an int for 1-D, a tuple for 2-D and 3-D, None when not given. */
function outputPaddingArg(params: Params, spatial: Spatial): KerasArg {
  const v = outputPaddingOf(params, spatial);
  if (!v) return null;
  return spatial === 1 ? v[0] : tuple(v);
}

// ---------------------------------------------------------------------------------------------
// DepthwiseConv2D / SeparableConv2D

function inferDepthwise(block: string, input: Shape | null, params: Params, withDilation: boolean, outChannels: (c: number) => number): ShapeResult {
  if (!input) return fail('LL004', `Connect an input to the ${block}.`);
  const rank = checkSpatialRank(block, input, 2, { sequence: 'Conv1D', flat: 'Dense' });
  if (rank) return rank;
  const channels = fixedChannels(block, input, 'each input channel gets its own filters');
  if (isResult(channels)) return channels;
  const [sh, sw] = intTuple(params, 'strides', 2);
  if (sh !== sw) {
    return fail(
      'LL011',
      `${block} needs the same stride on both axes, got (${sh}, ${sw}): TensorFlow's depthwise convolution supports only equal strides, so the exported Keras model could not run. Use (${sh}, ${sh}) or (${sw}, ${sw}), or downsample one axis with a pooling step.`,
      'strides',
    );
  }
  const dims = slideWindow(block, input, windowOf(params, 2, withDilation));
  if (!Array.isArray(dims)) return dims;
  return ok([...dims, outChannels(channels)]);
}

/** Depthwise 2-D convolution: one filter set per input channel, no mixing across channels. */
export const DepthwiseConv2DBlock: BlockDef = defineBlock({
  type: 'DepthwiseConv2D',
  category: 'Convolution',
  description: 'Filters each channel separately (no mixing across channels): the cheap half of a MobileNet block.',
  params: [
    kernelParam(2),
    stridesParam(2, 'Step between windows. 2 halves the size.'),
    paddingParam(['valid', 'same']),
    depthMultiplierParam,
    dilationParam(2),
    activationParam('linear'),
    useBiasParam,
    initializerParam('depthwise_initializer', 'Depthwise initializer', 'glorot_uniform'),
    initializerParam('bias_initializer', 'Bias initializer', 'zeros', BIAS_INITIALIZERS),
    ...weightPenaltyParams(['depthwise', 'bias']),
  ],
  constrainedWeightRanks: { depthwise: 4, bias: 1 },
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params) => inferDepthwise('DepthwiseConv2D', input, params, true, (c) => c * num(params, 'depth_multiplier')),
  paramCount: (inputs, params) => {
    const out = channelsOf(inputs) * num(params, 'depth_multiplier');
    return { trainable: product(intTuple(params, 'kernel_size', 2)) * out + (bool(params, 'use_bias') ? out : 0), nonTrainable: 0 };
  },
  // Each output position: one kernel window per input channel and multiplier, no mixing of channels.
  macs: (inputs, params, output) => {
    const positions = shapeSize(output.slice(0, -1));
    return positions === null ? null : positions * channelsOf(inputs) * num(params, 'depth_multiplier') * product(intTuple(params, 'kernel_size', 2));
  },
  keras: (params): KerasCall => ({
    kerasClass: 'DepthwiseConv2D',
    kerasArgs: [
      ['kernel_size', spatialArg(params, 'kernel_size', 2)],
      ['strides', spatialArg(params, 'strides', 2)],
      ['padding', str(params, 'padding')],
      ['depth_multiplier', num(params, 'depth_multiplier')],
      ['dilation_rate', spatialArg(params, 'dilation_rate', 2)],
      ['activation', str(params, 'activation')],
      ['use_bias', bool(params, 'use_bias')],
      ['depthwise_initializer', str(params, 'depthwise_initializer')],
      ['bias_initializer', str(params, 'bias_initializer')],
      ...weightPenaltyArgs(params, ['depthwise', 'bias']),
    ],
  }),
  // tfjs's own layer ignores dilation: Layerloom's runs it as a dilated kernel.
  tfjs: { ownLayer: (params) => (intTuple(params, 'dilation_rate', 2).some((d) => d > 1) ? LAYERLOOM_TFJS_CLASSES.depthwiseConv2d : null) },
});

/** Depthwise then pointwise (1×1) convolution: a cheaper Conv2D. */
export const SeparableConv2DBlock: BlockDef = defineBlock({
  type: 'SeparableConv2D',
  category: 'Convolution',
  description: 'A cheaper Conv2D: filters each channel separately, then mixes channels with a 1×1 convolution (Xception, MobileNet).',
  params: [
    filtersParam,
    kernelParam(2),
    stridesParam(2, STRIDES_HELP),
    paddingParam(['valid', 'same']),
    dilationParam(2),
    depthMultiplierParam,
    activationParam('linear'),
    useBiasParam,
    {
      ...initializerParam('depthwise_initializer', 'Kernel initializer', 'glorot_uniform'),
      help: 'How the depthwise and the pointwise kernels start (TensorFlow.js uses one initializer for both, so the export sets both to this).',
    },
    initializerParam('bias_initializer', 'Bias initializer', 'zeros', BIAS_INITIALIZERS),
    ...weightPenaltyParams(['depthwise', 'pointwise', 'bias']),
  ],
  constrainedWeightRanks: { depthwise: 4, pointwise: 4, bias: 1 },
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params) => inferDepthwise('SeparableConv2D', input, params, true, () => num(params, 'filters')),
  paramCount: (inputs, params) => {
    const mid = channelsOf(inputs) * num(params, 'depth_multiplier');
    const filters = num(params, 'filters');
    return { trainable: product(intTuple(params, 'kernel_size', 2)) * mid + mid * filters + (bool(params, 'use_bias') ? filters : 0), nonTrainable: 0 };
  },
  // Depthwise (a kernel window per intermediate channel) then pointwise (intermediate → filters).
  macs: (inputs, params, output) => {
    const positions = shapeSize(output.slice(0, -1));
    const mid = channelsOf(inputs) * num(params, 'depth_multiplier');
    return positions === null ? null : positions * mid * (product(intTuple(params, 'kernel_size', 2)) + num(params, 'filters'));
  },
  keras: separableCall,
  // Also for a depth multiplier above 1: tfjs's own layer does not save it in its config.
  tfjs: { ownLayer: (params) => (needsOwnLayer(params, 2) || num(params, 'depth_multiplier') !== 1 ? LAYERLOOM_TFJS_CLASSES.separableConv2d : null) },
});

// ---------------------------------------------------------------------------------------------
// DepthwiseConv1D / SeparableConv1D (tfjs has neither: Layerloom's own layers)

function inferDepthwise1D(block: string, input: Shape | null, params: Params, outChannels: (c: number) => number): ShapeResult {
  if (!input) return fail('LL004', `Connect an input to the ${block}.`);
  const rank = checkSpatialRank(block, input, 1, { image: block.replace('1D', '2D'), flat: 'Dense' });
  if (rank) return rank;
  const channels = fixedChannels(block, input, 'each input channel gets its own filters');
  if (isResult(channels)) return channels;
  const dims = slideWindow(block, input, windowOf(params, 1, true));
  if (!Array.isArray(dims)) return dims;
  return ok([...dims, outChannels(channels)]);
}

function depthwise1DArgs(params: Params): [string, KerasArg][] {
  return [
    ['kernel_size', num(params, 'kernel_size')],
    ['strides', num(params, 'strides')],
    ['padding', str(params, 'padding')],
    ['depth_multiplier', num(params, 'depth_multiplier')],
    ['dilation_rate', num(params, 'dilation_rate')],
    ['activation', str(params, 'activation')],
    ['use_bias', bool(params, 'use_bias')],
  ];
}

/** Depthwise 1-D convolution: one filter set per feature channel of a sequence. */
export const DepthwiseConv1DBlock: BlockDef = defineBlock({
  type: 'DepthwiseConv1D',
  category: 'Convolution',
  description: 'Filters each feature channel of a sequence separately (no mixing across channels): the cheap half of a separable 1-D convolution.',
  params: [
    kernelParam(1),
    stridesParam(1, STRIDES_HELP),
    paddingParam(['valid', 'same']),
    depthMultiplierParam,
    dilationParam(1),
    activationParam('linear'),
    useBiasParam,
    initializerParam('depthwise_initializer', 'Depthwise initializer', 'glorot_uniform'),
    initializerParam('bias_initializer', 'Bias initializer', 'zeros', BIAS_INITIALIZERS),
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params) => inferDepthwise1D('DepthwiseConv1D', input, params, (c) => c * num(params, 'depth_multiplier')),
  paramCount: (inputs, params) => {
    const out = channelsOf(inputs) * num(params, 'depth_multiplier');
    return { trainable: num(params, 'kernel_size') * out + (bool(params, 'use_bias') ? out : 0), nonTrainable: 0 };
  },
  macs: (inputs, params, output) => {
    const positions = shapeSize(output.slice(0, -1));
    return positions === null ? null : positions * channelsOf(inputs) * num(params, 'depth_multiplier') * num(params, 'kernel_size');
  },
  keras: (params): KerasCall => ({
    kerasClass: 'DepthwiseConv1D',
    kerasArgs: [...depthwise1DArgs(params), ['depthwise_initializer', str(params, 'depthwise_initializer')], ['bias_initializer', str(params, 'bias_initializer')]],
  }),
  tfjs: { ownLayer: () => LAYERLOOM_TFJS_CLASSES.depthwiseConv1d },
});

/** Depthwise then pointwise 1-D convolution: a cheaper Conv1D. */
export const SeparableConv1DBlock: BlockDef = defineBlock({
  type: 'SeparableConv1D',
  category: 'Convolution',
  description: 'A cheaper Conv1D: filters each feature channel separately, then mixes channels with a size-1 convolution.',
  params: [
    filtersParam,
    kernelParam(1),
    stridesParam(1, STRIDES_HELP),
    paddingParam(['valid', 'same']),
    dilationParam(1),
    depthMultiplierParam,
    activationParam('linear'),
    useBiasParam,
    initializerParam('depthwise_initializer', 'Depthwise initializer', 'glorot_uniform'),
    initializerParam('pointwise_initializer', 'Pointwise initializer', 'glorot_uniform'),
    initializerParam('bias_initializer', 'Bias initializer', 'zeros', BIAS_INITIALIZERS),
  ],
  ports: () => SINGLE_INPUT,
  inferShape: ([input], params) => inferDepthwise1D('SeparableConv1D', input, params, () => num(params, 'filters')),
  paramCount: (inputs, params) => {
    const mid = channelsOf(inputs) * num(params, 'depth_multiplier');
    const filters = num(params, 'filters');
    return { trainable: num(params, 'kernel_size') * mid + mid * filters + (bool(params, 'use_bias') ? filters : 0), nonTrainable: 0 };
  },
  macs: (inputs, params, output) => {
    const positions = shapeSize(output.slice(0, -1));
    const mid = channelsOf(inputs) * num(params, 'depth_multiplier');
    return positions === null ? null : positions * mid * (num(params, 'kernel_size') + num(params, 'filters'));
  },
  keras: (params): KerasCall => ({
    kerasClass: 'SeparableConv1D',
    kerasArgs: [
      ['filters', num(params, 'filters')],
      ...depthwise1DArgs(params),
      ['depthwise_initializer', str(params, 'depthwise_initializer')],
      ['pointwise_initializer', str(params, 'pointwise_initializer')],
      ['bias_initializer', str(params, 'bias_initializer')],
    ],
  }),
  tfjs: { ownLayer: () => LAYERLOOM_TFJS_CLASSES.separableConv1d },
});

function separableCall(params: Params): KerasCall {
  return {
    kerasClass: 'SeparableConv2D',
    kerasArgs: [
      ['filters', num(params, 'filters')],
      ['kernel_size', spatialArg(params, 'kernel_size', 2)],
      ['strides', spatialArg(params, 'strides', 2)],
      ['padding', str(params, 'padding')],
      ['dilation_rate', spatialArg(params, 'dilation_rate', 2)],
      ['depth_multiplier', num(params, 'depth_multiplier')],
      ['activation', str(params, 'activation')],
      ['use_bias', bool(params, 'use_bias')],
      ['depthwise_initializer', str(params, 'depthwise_initializer')],
      ['pointwise_initializer', str(params, 'depthwise_initializer')],
      ['bias_initializer', str(params, 'bias_initializer')],
      ...weightPenaltyArgs(params, ['depthwise', 'pointwise', 'bias']),
    ],
  };
}

/** Blocks in this family, registry order. */
export const convBlocks: readonly BlockDef[] = [Conv1DBlock, Conv2DBlock, Conv3DBlock, Conv1DTransposeBlock, Conv2DTransposeBlock, Conv3DTransposeBlock, DepthwiseConv1DBlock, DepthwiseConv2DBlock, SeparableConv1DBlock, SeparableConv2DBlock];
