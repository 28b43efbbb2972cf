/**
 * Cases for the export tests: every example project plus seeded random valid graphs, and seeded
 * random inputs for them. Shared by exportKeras.test.ts and exportTs.test.ts.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tfjs from '@tensorflow/tfjs';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { BLOCKS } from '../../shared/blocks/registry.js';
import { planModel, type ModelPlan } from '../../shared/codegen/plan.js';
import { planTraining } from '../../shared/codegen/training.js';
import { emptyDocument, type ProjectDocument } from '../../shared/graph/document.js';
import { addNode, connect } from '../../shared/graph/operations.js';
import type { ParamValue } from '../../shared/blocks/types.js';
import { parseProject } from '../../shared/graph/serialization.js';
import { randomGraph, rng } from '../helpers/randomGraphs.js';
import { DEFAULT_TRAINING } from '../../shared/training/settings.js';
import type { NpyArray } from '../../electron/services/weights/npz.js';
import { scanDatasetPath } from '../../electron/services/datasetService.js';
import { prepareDataset } from '../../electron/services/datasets/pipeline.js';

type TF = typeof tfjs;

/** One graph to export. */
export interface ExportCase {
  /** `mlp`, `random_17`, ...: a file-name-safe id. */
  readonly id: string;
  readonly doc: ProjectDocument;
}

/** The examples folder (EXPORT_EXAMPLES_DIR points elsewhere, to try projects not yet in examples/). */
export const examplesDir = process.env.EXPORT_EXAMPLES_DIR ? new URL(`file://${process.env.EXPORT_EXAMPLES_DIR.replace(/\/?$/, '/')}`) : new URL('../../examples/', import.meta.url);

/** Every example project, by file name without `.layerloom`. */
export function exampleCases(): ExportCase[] {
  return readdirSync(examplesDir)
    .filter((f) => f.endsWith('.layerloom'))
    .sort()
    .map((f) => {
      const parsed = parseProject(readFileSync(new URL(f, examplesDir), 'utf8'));
      if (!parsed.ok) throw new Error(`${f}: ${parsed.errors.join('\n')}`);
      return { id: f.replace(/\.layerloom$/, ''), doc: parsed.doc };
    });
}

/** Seed of the inputs the export tests feed both models. */
export const INPUT_SEED = 7;

/**
 * Why a valid random graph is not a usable test case, or null when it is. Only graphs no user model
 * would be are left out: valid only for variable sizes other than the test inputs' 3, token ids made
 * by arithmetic (out of an Embedding's range for some weights), or an int32 Input into a float layer
 * (which analysis does not flag yet). Whatever else goes wrong — the app's tfjs model failing to
 * build or run, the export failing — is a bug, and the case's own test fails with it.
 */
export function whyNotACase(doc: ProjectDocument): string | null {
  const analysis = analyzeGraph(doc);
  if (!analysis.valid) return 'invalid graph';
  // The test inputs give variable sizes the value 3; a graph valid only for other sizes (e.g. a
  // variable length pooled down to nothing, or two variable-length paths merged) cannot run on them.
  const concrete = {
    ...doc,
    nodes: doc.nodes.map((n) =>
      n.type === 'Input' && Array.isArray(n.params.shape) ? { ...n, params: { ...n.params, shape: n.params.shape.map((d) => d ?? 3) } } : n,
    ),
  };
  if (!analyzeGraph(concrete).valid) return 'invalid once variable sizes are 3';
  // Token ids computed by arithmetic fall outside the table for some weights: not a usable model.
  for (const info of analysis.nodes.values()) {
    if (info.node.type !== 'Embedding') continue;
    const source = info.inputEdges.get('in')?.source;
    if (source && analysis.nodes.get(source)?.node.type !== 'Input') return 'Embedding fed computed values instead of token ids';
  }
  // Keras refuses integer tensors in float layers (Conv, LSTM, ...) and mixes dtypes differently
  // from tfjs in others; analysis does not flag an int32 Input feeding them yet.
  for (const info of analysis.nodes.values()) {
    if (info.node.type !== 'Input' || info.node.params.dtype !== 'int32') continue;
    for (const other of analysis.nodes.values()) {
      const fed = [...other.inputEdges.values()].some((e) => e.source === info.node.id);
      if (fed && other.node.type !== 'Embedding' && other.node.type !== 'Output') return `int32 Input feeds ${other.node.type}, not an Embedding`;
    }
  }
  return null;
}

/** Random graphs left out as not usable cases ({@link whyNotACase}), with the reason, for the test log. */
export const leftOut: { id: string; reason: string }[] = [];

/** One line per distinct reason in {@link leftOut}, for the test log. */
export function leftOutReport(): string {
  const by = new Map<string, string[]>();
  for (const f of leftOut) by.set(f.reason, [...(by.get(f.reason) ?? []), f.id]);
  return [...by.entries()].map(([reason, ids]) => `  ${reason} (${ids.length}: ${ids.slice(0, 4).join(', ')}${ids.length > 4 ? ', ...' : ''})`).join('\n');
}

/**
 * The first `count` valid random graphs (seeds 1, 2, ...) that are usable cases, with `size` blocks
 * each. Deterministic.
 */
export function randomCases(count: number, size = 5): ExportCase[] {
  const out: ExportCase[] = [];
  for (let seed = 1; out.length < count && seed < 5000; seed++) {
    const doc = randomGraph(seed, size);
    if (!analyzeGraph(doc).valid) continue;
    const why = whyNotACase(doc);
    if (why) {
      leftOut.push({ id: `random_${seed}`, reason: why });
      continue;
    }
    out.push({ id: `random_${seed}`, doc });
  }
  return out;
}

type Spec = { id: string; type: string; label?: string; params?: Record<string, ParamValue>; from?: Record<string, string> };

/**
 * A graph from a list of blocks in document order, each naming its inputs by port; a source
 * `node:port` takes another output port than `out` (e.g. `enc:h`, an LSTM's final state).
 */
export function graphOf(name: string, specs: readonly Spec[]): ProjectDocument {
  let doc = emptyDocument(name);
  specs.forEach((s, i) => {
    doc = addNode(doc, s.type, { x: i * 200, y: 0 }, { id: s.id, label: s.label ?? s.id, params: s.params }).doc;
  });
  for (const s of specs) {
    for (const [port, source] of Object.entries(s.from ?? {})) {
      const [node, out] = source.split(':');
      doc = connect(doc, out ? { node, port: out } : node, s.id, port).doc;
    }
  }
  return doc;
}

/**
 * Hand-made graphs for what random ones rarely hit: document order unlike Keras's layer order
 * (branches of different depth), attention with a key and a causal mask, a bidirectional GRU, and
 * labels that are Python/TS keywords or clash after sanitizing.
 */
export function handCases(): ExportCase[] {
  const seq = { shape: [6, 8] };
  return [
    {
      // The blocks keras.applications models use (MobileNetV2, EfficientNet, ResNet) and their
      // sequence counterparts, each with non-default options.
      id: 'hand_applications_blocks',
      doc: graphOf('Applications blocks', [
        { id: 'img', type: 'Input', label: 'image', params: { shape: [10, 10, 3] } },
        { id: 'resc', type: 'Rescaling', label: 'rescaling', params: { scale: 1 / 127.5, offset: -1 }, from: { in: 'img' } },
        { id: 'norm', type: 'Normalization', label: 'normalization', from: { in: 'resc' } },
        { id: 'zp', type: 'ZeroPadding2D', label: 'pad', params: { padding: [0, 1, 0, 1] }, from: { in: 'norm' } },
        { id: 'conv', type: 'Conv2D', label: 'stem', params: { filters: 4, kernel_size: [3, 3], strides: [2, 2], activation: 'swish', kernel_initializer: 'he_normal_fan_out' }, from: { in: 'zp' } },
        { id: 'r6', type: 'ReLU', label: 'relu6', params: { max_value: 6 }, from: { in: 'conv' } },
        // ConvNeXt's grouped convolution and a dilated depthwise one (Layerloom's own tfjs layers).
        { id: 'gconv', type: 'Conv2D', label: 'grouped', params: { filters: 4, kernel_size: [3, 3], padding: 'same', groups: 2 }, from: { in: 'r6' } },
        { id: 'dwd', type: 'DepthwiseConv2D', label: 'dilated_depthwise', params: { kernel_size: [3, 3], padding: 'same', dilation_rate: [2, 2], depthwise_l2: 0.01 }, from: { in: 'gconv' } },
        { id: 'up', type: 'Conv2DTranspose', label: 'up_odd', params: { filters: 4, kernel_size: [3, 3], strides: [2, 2], padding: 'same', output_padding: [0, 1] }, from: { in: 'dwd' } },
        { id: 'crop', type: 'Cropping2D', label: 'crop', params: { cropping: [1, 0, 0, 1] }, from: { in: 'up' } },
        { id: 'cc', type: 'CenterCrop', label: 'center', params: { height: 8, width: 7 }, from: { in: 'crop' } },
        { id: 'pr', type: 'PReLU', label: 'prelu', params: { shared_axes: [1, 2], alpha_l2: 0.01 }, from: { in: 'cc' } },
        { id: 'se', type: 'GlobalAveragePooling2D', label: 'squeeze', params: { keepdims: true }, from: { in: 'pr' } },
        { id: 'ex', type: 'Multiply', label: 'excite', from: { in0: 'pr', in1: 'se' } },
        // EfficientNet's stochastic depth: one keep/drop draw per sample.
        { id: 'sdrop', type: 'Dropout', label: 'drop_sample', params: { rate: 0.2, noise_shape: [null, 1, 1, 1] }, from: { in: 'ex' } },
        { id: 'gmax', type: 'GlobalMaxPooling2D', label: 'gmax', from: { in: 'sdrop' } },
        { id: 'rep', type: 'RepeatVector', label: 'repeat', params: { n: 3 }, from: { in: 'gmax' } },
        { id: 'zp1', type: 'ZeroPadding1D', label: 'pad_seq', params: { padding: [1, 2] }, from: { in: 'rep' } },
        { id: 'c1', type: 'Cropping1D', label: 'crop_seq', params: { cropping: [1, 1] }, from: { in: 'zp1' } },
        { id: 'up1', type: 'UpSampling1D', label: 'stretch', params: { size: 2 }, from: { in: 'c1' } },
        { id: 'ct1', type: 'Conv1DTranspose', label: 'up_seq', params: { filters: 4, kernel_size: 3, strides: 2, padding: 'same', output_padding: 1 }, from: { in: 'up1' } },
        { id: 'dw1', type: 'DepthwiseConv1D', label: 'depthwise_seq', params: { kernel_size: 3, padding: 'same', depth_multiplier: 2, dilation_rate: 2 }, from: { in: 'ct1' } },
        { id: 'sep1', type: 'SeparableConv1D', label: 'separable_seq', params: { filters: 4, kernel_size: 3, strides: 2, activation: 'relu' }, from: { in: 'dw1' } },
        { id: 'lr', type: 'LeakyReLU', label: 'leaky', params: { negative_slope: 0.1 }, from: { in: 'sep1' } },
        { id: 'elu', type: 'ELU', label: 'elu', params: { alpha: 0.5 }, from: { in: 'lr' } },
        { id: 'perm', type: 'Permute', label: 'permute', params: { dims: [2, 1] }, from: { in: 'elu' } },
        { id: 'sm', type: 'Softmax', label: 'softmax_steps', params: { axis: 1 }, from: { in: 'perm' } },
        { id: 'rt', type: 'ReLU', label: 'relu_threshold', params: { max_value: 0.9, negative_slope: 0.1, threshold: 0.05 }, from: { in: 'sm' } },
        { id: 'f', type: 'Flatten', label: 'flatten', from: { in: 'rt' } },
        { id: 'd', type: 'Dense', label: 'predictions', params: { units: 3, activation: 'softmax', kernel_initializer: 'uniform_fan_out' }, from: { in: 'f' } },
        { id: 'out', type: 'Output', label: 'out', from: { in: 'd' } },
      ]),
    },
    {
      // Resizing with TensorFlow's pixel centres and the noise layers (identity in prediction); a
      // bidirectional SimpleRNN, which random graphs over the larger catalog reach too rarely.
      id: 'hand_resize_noise',
      doc: graphOf('Resizing and noise', [
        { id: 'img', type: 'Input', label: 'image', params: { shape: [6, 6, 2] } },
        { id: 'rs', type: 'Resizing', label: 'resize', params: { height: 9, width: 7 }, from: { in: 'img' } },
        { id: 'gn', type: 'GaussianNoise', label: 'noise', params: { stddev: 0.2 }, from: { in: 'rs' } },
        { id: 'sd', type: 'SpatialDropout2D', label: 'drop_channels', params: { rate: 0.3 }, from: { in: 'gn' } },
        { id: 'up', type: 'UpSampling2D', label: 'up', params: { size: [2, 2], interpolation: 'bilinear' }, from: { in: 'sd' } },
        { id: 'rn', type: 'Resizing', label: 'resize_nearest', params: { height: 5, width: 5, interpolation: 'nearest' }, from: { in: 'up' } },
        { id: 'gd', type: 'GaussianDropout', label: 'gauss_drop', params: { rate: 0.2 }, from: { in: 'rn' } },
        { id: 'seq', type: 'Reshape', label: 'to_sequence', params: { target_shape: [25, 2] }, from: { in: 'gd' } },
        { id: 'sd1', type: 'SpatialDropout1D', label: 'drop_features', params: { rate: 0.2 }, from: { in: 'seq' } },
        { id: 'f', type: 'Flatten', label: 'flatten', from: { in: 'sd1' } },
        { id: 'rnn', type: 'SimpleRNN', label: 'rnn', params: { units: 2, bidirectional: true, merge_mode: 'concat' }, from: { in: 'sd1' } },
        { id: 'cat', type: 'Concatenate', label: 'both', from: { in0: 'f', in1: 'rnn' } },
        { id: 'd', type: 'Dense', label: 'predictions', params: { units: 2, activation: 'softmax' }, from: { in: 'cat' } },
        { id: 'out', type: 'Output', label: 'out', from: { in: 'd' } },
      ]),
    },
    {
      // Volumes (depth, height, width, channels): the 3-D convolution and pooling blocks, with
      // strides, dilation, groups, "same" padding on odd sizes and a squeeze-and-excitation product.
      id: 'hand_volume',
      doc: graphOf('Volumes', [
        { id: 'vol', type: 'Input', label: 'volume', params: { shape: [5, 7, 8, 2] } },
        { id: 'c1', type: 'Conv3D', label: 'conv_stride', params: { filters: 4, kernel_size: [3, 3, 3], strides: [1, 2, 2], padding: 'same', activation: 'relu', kernel_l2: 0.01, bias_l1: 0.01 }, from: { in: 'vol' } },
        { id: 'c2', type: 'Conv3D', label: 'conv_dilated', params: { filters: 4, kernel_size: [2, 3, 3], dilation_rate: [2, 1, 1], padding: 'same', groups: 2 }, from: { in: 'c1' } },
        { id: 'mp', type: 'MaxPooling3D', label: 'max_pool', from: { in: 'c2' } },
        { id: 'ap', type: 'AveragePooling3D', label: 'avg_pool', params: { pool_size: [2, 2, 2], strides: [1, 1, 1], padding: 'same' }, from: { in: 'mp' } },
        { id: 'gm', type: 'GlobalMaxPooling3D', label: 'squeeze', params: { keepdims: true }, from: { in: 'ap' } },
        { id: 'ex', type: 'Multiply', label: 'excite', from: { in0: 'ap', in1: 'gm' } },
        { id: 'ga', type: 'GlobalAveragePooling3D', label: 'pool', from: { in: 'ex' } },
        // A decoder branch: padding, transposed convolutions ("same", and "valid" with output
        // padding), cropping, up-sampling and channel dropout of volumes.
        { id: 'zp', type: 'ZeroPadding3D', label: 'pad', params: { padding: [1, 0, 0, 1, 1, 1] }, from: { in: 'ap' } },
        { id: 'ct', type: 'Conv3DTranspose', label: 'up_conv', params: { filters: 3, kernel_size: [3, 2, 3], strides: [2, 2, 1], padding: 'same', activation: 'relu' }, from: { in: 'zp' } },
        { id: 'cr', type: 'Cropping3D', label: 'crop', params: { cropping: [1, 0, 0, 1, 1, 1] }, from: { in: 'ct' } },
        { id: 'up', type: 'UpSampling3D', label: 'upsample', params: { size: [1, 2, 2] }, from: { in: 'cr' } },
        { id: 'sd', type: 'SpatialDropout3D', label: 'drop_channels', params: { rate: 0.2 }, from: { in: 'up' } },
        { id: 'ct2', type: 'Conv3DTranspose', label: 'up_odd', params: { filters: 2, kernel_size: [2, 2, 2], strides: [2, 2, 2], output_padding: [1, 0, 1] }, from: { in: 'zp' } },
        { id: 'ga2', type: 'GlobalAveragePooling3D', label: 'pool_decoded', from: { in: 'sd' } },
        { id: 'gm2', type: 'GlobalMaxPooling3D', label: 'max_decoded', from: { in: 'ct2' } },
        { id: 'cat', type: 'Concatenate', label: 'features', params: { num_inputs: 3 }, from: { in0: 'ga', in1: 'ga2', in2: 'gm2' } },
        { id: 'd', type: 'Dense', label: 'predictions', params: { units: 3, activation: 'softmax' }, from: { in: 'cat' } },
        { id: 'out', type: 'Output', label: 'out', from: { in: 'd' } },
      ]),
    },
    {
      // A video classifier: the same small CNN on every frame (TimeDistributed, every block that
      // offers it), then an LSTM over the frames.
      id: 'hand_time_distributed',
      doc: graphOf('Frames', [
        { id: 'vid', type: 'Input', label: 'video', params: { shape: [4, 8, 8, 2] } },
        { id: 'c', type: 'Conv2D', label: 'frame_conv', params: { filters: 4, kernel_size: [3, 3], padding: 'same', activation: 'relu', time_distributed: true }, from: { in: 'vid' } },
        { id: 'p', type: 'MaxPooling2D', label: 'frame_pool', params: { time_distributed: true }, from: { in: 'c' } },
        { id: 'a', type: 'AveragePooling2D', label: 'frame_avg', params: { strides: [1, 1], padding: 'same', time_distributed: true }, from: { in: 'p' } },
        { id: 'c2', type: 'Conv2D', label: 'frame_dilated', params: { filters: 3, kernel_size: [2, 2], dilation_rate: [2, 2], time_distributed: true }, from: { in: 'a' } },
        { id: 'f', type: 'Flatten', label: 'frame_flat', params: { time_distributed: true }, from: { in: 'c2' } },
        { id: 'g', type: 'GlobalAveragePooling2D', label: 'frame_gap', params: { time_distributed: true }, from: { in: 'c2' } },
        { id: 'gm', type: 'GlobalMaxPooling2D', label: 'frame_gmp', params: { time_distributed: true }, from: { in: 'a' } },
        { id: 'cat', type: 'Concatenate', label: 'frame_features', params: { num_inputs: 3 }, from: { in0: 'f', in1: 'g', in2: 'gm' } },
        { id: 'd', type: 'Dense', label: 'frame_dense', params: { units: 6, activation: 'tanh', time_distributed: true }, from: { in: 'cat' } },
        { id: 'r', type: 'Reshape', label: 'frame_rows', params: { target_shape: [4, 3, 2] }, from: { in: 'd' } },
        { id: 'c1', type: 'Conv1D', label: 'row_conv', params: { filters: 4, kernel_size: 2, padding: 'same', time_distributed: true }, from: { in: 'r' } },
        { id: 'mp1', type: 'MaxPooling1D', label: 'row_pool', params: { padding: 'same', time_distributed: true }, from: { in: 'c1' } },
        { id: 'ap1', type: 'AveragePooling1D', label: 'row_avg', params: { strides: 1, padding: 'same', time_distributed: true }, from: { in: 'mp1' } },
        { id: 'ga1', type: 'GlobalAveragePooling1D', label: 'row_gap', params: { time_distributed: true }, from: { in: 'ap1' } },
        { id: 'gm1', type: 'GlobalMaxPooling1D', label: 'row_gmp', params: { time_distributed: true }, from: { in: 'ap1' } },
        { id: 'cat2', type: 'Concatenate', label: 'row_features', from: { in0: 'ga1', in1: 'gm1' } },
        { id: 'l', type: 'LSTM', label: 'over_frames', params: { units: 3 }, from: { in: 'cat2' } },
        { id: 'o', type: 'Dense', label: 'predictions', params: { units: 2, activation: 'softmax' }, from: { in: 'l' } },
        { id: 'out', type: 'Output', label: 'out', from: { in: 'o' } },
      ]),
    },
    {
      id: 'hand_branches',
      doc: graphOf('Branches & keywords', [
        { id: 'x', type: 'Input', label: 'lambda', params: seq },
        { id: 'c', type: 'Dense', label: 'class', params: { units: 8, activation: 'tanh' }, from: { in: 'x' } },
        { id: 'a', type: 'Dense', label: 'Dense', params: { units: 8 }, from: { in: 'x' } },
        { id: 'b', type: 'Dense', label: 'dense', params: { units: 8, activation: 'relu', use_bias: false }, from: { in: 'a' } },
        { id: 'm', type: 'MultiHeadAttention', label: 'tf', params: { num_heads: 2, key_dim: 3, value_dim: 5, use_causal_mask: true }, from: { query: 'b', value: 'c', key: 'a' } },
        { id: 'f', type: 'Flatten', label: 'layers', from: { in: 'm' } },
        { id: 'o', type: 'Dense', label: '3 outputs!', params: { units: 3, activation: 'softmax' }, from: { in: 'f' } },
        { id: 'out', type: 'Output', label: 'out', from: { in: 'o' } },
      ]),
    },
    {
      id: 'hand_two_heads',
      doc: graphOf('Two inputs, two heads', [
        { id: 'a', type: 'Input', label: 'numbers', params: { shape: [4] } },
        { id: 'b', type: 'Input', label: 'extra', params: { shape: [3] } },
        { id: 'cat', type: 'Concatenate', label: 'both', params: { num_inputs: 2 }, from: { in0: 'a', in1: 'b' } },
        { id: 'h1', type: 'Dense', label: 'kind', params: { units: 2, activation: 'softmax' }, from: { in: 'cat' } },
        { id: 'h2', type: 'Dense', label: 'amount', params: { units: 1 }, from: { in: 'a' } },
        { id: 'o1', type: 'Output', label: 'kind_out', from: { in: 'h1' } },
        { id: 'o2', type: 'Output', label: 'amount_out', from: { in: 'h2' } },
      ]),
    },
    {
      id: 'hand_image',
      doc: {
        ...graphOf('Colour images', [
          { id: 'img', type: 'Input', label: 'image', params: { shape: [12, 12, 3] } },
          { id: 'c', type: 'Conv2D', label: 'dilated', params: { filters: 4, kernel_size: [3, 3], padding: 'same', dilation_rate: [2, 2], activation: 'relu' }, from: { in: 'img' } },
          { id: 'p', type: 'GlobalAveragePooling2D', label: 'pool', from: { in: 'c' } },
          { id: 'd', type: 'Dense', label: 'predictions', params: { units: 3, activation: 'softmax' }, from: { in: 'p' } },
          { id: 'out', type: 'Output', label: 'digit', from: { in: 'd' } },
        ]),
        dataset: { path: 'images', kind: 'images' },
        training: { ...DEFAULT_TRAINING, optimizer: 'momentum', loss: 'categorical_crossentropy', augment: true, validationSplit: 0, epochs: 1 },
      },
    },
    {
      // Normalization options: BatchNormalization without beta / gamma (Layerloom's own layer when
      // training), LayerNormalization over several axes and without beta / gamma; weight regularizers
      // and constraints (also gamma/beta and a SeparableConv2D's depthwise/pointwise ones).
      id: 'hand_norm_options',
      doc: graphOf('Normalization options', [
        { id: 'img', type: 'Input', label: 'image', params: { shape: [4, 5, 3] } },
        { id: 'bn', type: 'BatchNormalization', label: 'bn_no_center', params: { center: false, gamma_l2: 0.01 }, from: { in: 'img' } },
        { id: 'sep', type: 'SeparableConv2D', label: 'separable_reg', params: { filters: 3, kernel_size: [2, 2], padding: 'same', depthwise_l2: 0.01, pointwise_l1: 0.001, bias_l2: 0.1 }, from: { in: 'bn' } },
        { id: 'ln', type: 'LayerNormalization', label: 'ln_image', params: { axis: [1, 2, 3], scale: false, beta_l1: 0.01 }, from: { in: 'sep' } },
        { id: 'seq', type: 'Reshape', label: 'to_sequence', params: { target_shape: [20, 3] }, from: { in: 'ln' } },
        { id: 'ln2', type: 'LayerNormalization', label: 'ln_plain_matrix', params: { axis: [-2, -1], center: false, scale: false }, from: { in: 'seq' } },
        { id: 'bn2', type: 'BatchNormalization', label: 'bn_no_scale', params: { scale: false }, from: { in: 'ln2' } },
        { id: 'ln3', type: 'LayerNormalization', label: 'ln_steps', params: { axis: [1], center: false, gamma_l2: 0.05 }, from: { in: 'bn2' } },
        { id: 'c1', type: 'Conv1D', label: 'conv_l1l2', params: { filters: 2, kernel_size: 3, kernel_l1: 0.01, kernel_l2: 0.001, bias_l2: 0.1, kernel_constraint: 'max_norm', kernel_constraint_max_value: 0.5, kernel_constraint_axis: [0, 1] }, from: { in: 'ln3' } },
        { id: 'f', type: 'Flatten', label: 'flatten', from: { in: 'c1' } },
        { id: 'd', type: 'Dense', label: 'predictions', params: { units: 2, activation: 'softmax', kernel_l2: 0.01, kernel_constraint: 'unit_norm', bias_constraint: 'min_max_norm', bias_constraint_min_value: 0.5 }, from: { in: 'f' } },
        { id: 'out', type: 'Output', label: 'out', from: { in: 'd' } },
      ]),
    },
    {
      // Transfer learning: a frozen backbone (BatchNormalization, a bidirectional GRU) under a trainable head.
      id: 'hand_frozen',
      doc: graphOf('Frozen backbone', [
        { id: 'x', type: 'Input', label: 'x', params: { shape: [6, 4] } },
        { id: 'c', type: 'Conv1D', label: 'conv', params: { filters: 5, kernel_size: 3, trainable: false }, from: { in: 'x' } },
        { id: 'bn', type: 'BatchNormalization', label: 'bn', params: { trainable: false }, from: { in: 'c' } },
        // Keras 3 builds MultiHeadAttention's projections after its constructor: trainable=False there
        // left them trainable until the export set it again on the built model.
        { id: 'att', type: 'MultiHeadAttention', label: 'attention', params: { num_heads: 2, key_dim: 3, trainable: false }, from: { query: 'bn', value: 'bn' } },
        { id: 'g', type: 'GRU', label: 'gru', params: { units: 3, bidirectional: true, trainable: false }, from: { in: 'att' } },
        { id: 'h', type: 'Dense', label: 'head', params: { units: 2, activation: 'softmax' }, from: { in: 'g' } },
        { id: 'out', type: 'Output', label: 'out', from: { in: 'h' } },
      ]),
    },
    {
      id: 'hand_text',
      doc: {
        ...graphOf('Text with positions', [
          { id: 'tok', type: 'Input', label: 'tokens', params: { shape: [12], dtype: 'int32' } },
          { id: 'emb', type: 'Embedding', label: 'embedding', params: { input_dim: 40, output_dim: 8 }, from: { in: 'tok' } },
          { id: 'pos', type: 'PositionEmbedding', label: 'positions', params: { sequence_length: 16 }, from: { in: 'emb' } },
          // Recurrent weight regularizers: Layerloom's own GRU cell and tfjs's LSTM, both bidirectional.
          { id: 'gru', type: 'GRU', label: 'gru', params: { units: 5, bidirectional: true, merge_mode: 'sum', return_sequences: true, kernel_l2: 0.01, recurrent_l1: 0.001 }, from: { in: 'pos' } },
          { id: 'lstm', type: 'LSTM', label: 'lstm', params: { units: 4, bidirectional: true, go_backwards: false, recurrent_l2: 0.02, bias_l1: 0.01, bias_l2: 0.01 }, from: { in: 'gru' } },
          { id: 'p', type: 'Dense', label: 'predictions', params: { units: 1, activation: 'sigmoid' }, from: { in: 'lstm' } },
          { id: 'out', type: 'Output', label: 'label', from: { in: 'p' } },
        ]),
        dataset: { path: 'texts', kind: 'text' },
        training: {
          ...DEFAULT_TRAINING,
          optimizer: 'rmsprop',
          learningRateDecay: 0.9,
          earlyStopping: { enabled: true, monitor: 'val_accuracy', patience: 1, restoreBestWeights: true },
          epochs: 2,
        },
      },
    },
    {
      // Flatten and Reshape of variable sizes as Keras 3.15 builds them: Flatten of (2, None) is
      // (None,), a Reshape of it with -1 stays variable, and a Reshape without -1 runs on the
      // inputs whose size fits (length 3 here: 2 · 3 = 6 values).
      id: 'hand_variable_flatten',
      doc: graphOf('Variable flatten', [
        { id: 'x', type: 'Input', label: 'x', params: { shape: [2, null] } },
        { id: 'f', type: 'Flatten', label: 'flat', from: { in: 'x' } },
        { id: 'r', type: 'Reshape', label: 'pairs', params: { target_shape: [-1, 2] }, from: { in: 'f' } },
        { id: 'l', type: 'LSTM', label: 'lstm', params: { units: 3 }, from: { in: 'r' } },
        { id: 'r6', type: 'Reshape', label: 'six', params: { target_shape: [6] }, from: { in: 'x' } },
        { id: 'cat', type: 'Concatenate', label: 'both', from: { in0: 'l', in1: 'r6' } },
        { id: 'd', type: 'Dense', label: 'predictions', params: { units: 2 }, from: { in: 'cat' } },
        { id: 'out', type: 'Output', label: 'out', from: { in: 'd' } },
      ]),
    },
    {
      // MultiHeadAttention on rank 4 (an image's rows attending along each row, attention_axes
      // (2,)) and on rank 5 over two of three axes, cross-attention to a differently long key.
      id: 'hand_attention_axes',
      doc: graphOf('Attention axes', [
        { id: 'img', type: 'Input', label: 'image', params: { shape: [3, 4, 6] } },
        { id: 'rows', type: 'MultiHeadAttention', label: 'along_rows', params: { num_heads: 2, key_dim: 3, attention_axes: [2] }, from: { query: 'img', value: 'img' } },
        { id: 'all', type: 'MultiHeadAttention', label: 'all_positions', params: { num_heads: 2, key_dim: 3, kernel_l2: 0.01, bias_l1: 0.001 }, from: { query: 'rows', value: 'img' } },
        { id: 'vol', type: 'Reshape', label: 'volume', params: { target_shape: [3, 2, 2, 6] }, from: { in: 'all' } },
        { id: 'mem', type: 'Input', label: 'memory', params: { shape: [3, 5, 2, 4] } },
        { id: 'x', type: 'MultiHeadAttention', label: 'cross', params: { num_heads: 2, key_dim: 2, value_dim: 3, attention_axes: [2, 3] }, from: { query: 'vol', value: 'mem' } },
        { id: 'f', type: 'Flatten', label: 'flat', from: { in: 'x' } },
        { id: 'd', type: 'Dense', label: 'predictions', params: { units: 2 }, from: { in: 'f' } },
        { id: 'out', type: 'Output', label: 'out', from: { in: 'd' } },
      ]),
    },
    {
      // Embedding mask_zero with ids 0 (padding) among the inputs (vocabulary 3): the recurrent
      // layers carry their state over padded steps, GlobalAveragePooling1D averages the real
      // steps only, Dense, ReLU, Dropout and LayerNormalization pass the mask on, GlobalMaxPooling1D
      // and Flatten drop it (LL030) — each as Keras does.
      id: 'hand_masked',
      doc: graphOf('Padded text', [
        { id: 'tok', type: 'Input', label: 'tokens', params: { shape: [8], dtype: 'int32' } },
        { id: 'emb', type: 'Embedding', label: 'embedding', params: { input_dim: 3, output_dim: 4, mask_zero: true }, from: { in: 'tok' } },
        { id: 'lstm', type: 'LSTM', label: 'lstm', params: { units: 3, return_sequences: true }, from: { in: 'emb' } },
        { id: 'd', type: 'Dense', label: 'per_step', params: { units: 4 }, from: { in: 'lstm' } },
        { id: 'r', type: 'ReLU', label: 'relu', from: { in: 'd' } },
        { id: 'drop', type: 'Dropout', label: 'drop', params: { rate: 0.2 }, from: { in: 'r' } },
        { id: 'ln', type: 'LayerNormalization', label: 'norm', from: { in: 'drop' } },
        { id: 'gru', type: 'GRU', label: 'gru_back', params: { units: 3, return_sequences: true, go_backwards: true }, from: { in: 'ln' } },
        { id: 'rnn', type: 'SimpleRNN', label: 'rnn', params: { units: 2, return_sequences: true }, from: { in: 'gru' } },
        { id: 'gap', type: 'GlobalAveragePooling1D', label: 'mean_real_steps', from: { in: 'rnn' } },
        { id: 'bi', type: 'LSTM', label: 'bi_last', params: { units: 2, bidirectional: true }, from: { in: 'emb' } },
        { id: 'g0', type: 'GRU', label: 'gru_v1', params: { units: 2, reset_after: false }, from: { in: 'emb' } },
        { id: 'gapk', type: 'GlobalAveragePooling1D', label: 'mean_keepdims', params: { keepdims: true }, from: { in: 'emb' } },
        { id: 'fk', type: 'Flatten', label: 'flat_mean', from: { in: 'gapk' } },
        { id: 'gmp', type: 'GlobalMaxPooling1D', label: 'max_all_steps', from: { in: 'emb' } },
        { id: 'f', type: 'Flatten', label: 'flat', from: { in: 'emb' } },
        { id: 'cat', type: 'Concatenate', label: 'all', params: { num_inputs: 6 }, from: { in0: 'gap', in1: 'bi', in2: 'g0', in3: 'fk', in4: 'gmp', in5: 'f' } },
        { id: 'p', type: 'Dense', label: 'predictions', params: { units: 2, activation: 'softmax' }, from: { in: 'cat' } },
        { id: 'out', type: 'Output', label: 'out', from: { in: 'p' } },
      ]),
    },
    {
      // Masking: the random inputs in [-1, 1) hit the mask values through a ReLU (one feature per
      // step): capped at 0.5, a quarter of the steps equal 0.5; uncapped, half of them equal 0. The
      // masked steps are zeroed, the recurrent layers carry their state over them, the average leaves
      // them out, self-attention gives padded keys no weight (with and without the causal mask), and
      // Flatten drops it (LL030) — each as Keras does.
      id: 'hand_masking',
      doc: graphOf('Masked steps', [
        { id: 'x', type: 'Input', label: 'signal', params: { shape: [6, 1] } },
        { id: 'cap', type: 'ReLU', label: 'cap', params: { max_value: 0.5 }, from: { in: 'x' } },
        { id: 'm5', type: 'Masking', label: 'mask_half', params: { mask_value: 0.5 }, from: { in: 'cap' } },
        { id: 'lstm', type: 'LSTM', label: 'lstm', params: { units: 3, return_sequences: true }, from: { in: 'm5' } },
        { id: 'att', type: 'MultiHeadAttention', label: 'self_attention', params: { num_heads: 2, key_dim: 2 }, from: { query: 'lstm', value: 'lstm' } },
        { id: 'd', type: 'Dense', label: 'per_step', params: { units: 2 }, from: { in: 'att' } },
        { id: 'gap', type: 'GlobalAveragePooling1D', label: 'mean_real_steps', from: { in: 'd' } },
        { id: 'r0', type: 'ReLU', label: 'relu', from: { in: 'x' } },
        { id: 'm0', type: 'Masking', label: 'mask_zero_steps', from: { in: 'r0' } },
        { id: 'catt', type: 'MultiHeadAttention', label: 'causal_attention', params: { num_heads: 1, key_dim: 2, use_causal_mask: true }, from: { query: 'm0', value: 'm0', key: 'm0' } },
        { id: 'gru', type: 'GRU', label: 'gru', params: { units: 2, go_backwards: true }, from: { in: 'catt' } },
        { id: 'mf', type: 'Flatten', label: 'zeroed_steps', from: { in: 'm0' } },
        { id: 'cat', type: 'Concatenate', label: 'all', params: { num_inputs: 3 }, from: { in0: 'gap', in1: 'gru', in2: 'mf' } },
        { id: 'p', type: 'Dense', label: 'predictions', params: { units: 2, activation: 'softmax' }, from: { in: 'cat' } },
        { id: 'out', type: 'Output', label: 'out', from: { in: 'p' } },
      ]),
    },
  ];
}

/** What a graph exercises: its block types, `LSTM(bi)` etc. for wrapped recurrent blocks and `Conv2D(td)` etc. for time-distributed ones. */
export function featuresOf(doc: ProjectDocument): Set<string> {
  const out = new Set<string>();
  for (const n of doc.nodes) {
    if (n.type === 'Input' || n.type === 'Output') continue;
    out.add(n.type);
    if (n.params.bidirectional === true) out.add(`${n.type}(bi)`);
    if (n.params.time_distributed === true) out.add(`${n.type}(td)`);
  }
  return out;
}

/** Every feature a graph can have with the current block catalog. */
export function allFeatures(): Set<string> {
  const out = new Set<string>();
  for (const b of BLOCKS) {
    if (b.type === 'Input' || b.type === 'Output') continue;
    out.add(b.type);
    if (b.params.some((p) => p.name === 'bidirectional')) out.add(`${b.type}(bi)`);
    if (b.params.some((p) => p.name === 'time_distributed')) out.add(`${b.type}(td)`);
  }
  return out;
}

/**
 * `randomCases(count)` plus further valid random graphs, each adding a block type (or
 * Bidirectional wrapping) not yet covered, until every block of the catalog is exercised or
 * `maxExtra` graphs were added; features of `alsoCovered` (the hand cases) count as covered.
 * Returns the cases and what stayed uncovered.
 */
export function coveringRandomCases(count: number, maxExtra = 12, alsoCovered: readonly ExportCase[] = []): { cases: ExportCase[]; uncovered: string[] } {
  const cases = randomCases(count);
  const covered = new Set([...alsoCovered, ...cases].flatMap((c) => [...featuresOf(c.doc)]));
  const wanted = allFeatures();
  let extra = 0;
  const lastSeed = cases.length ? Number(cases[cases.length - 1].id.slice('random_'.length)) : 0;
  for (let seed = lastSeed + 1; extra < maxExtra && seed < 20000 && [...wanted].some((f) => !covered.has(f)); seed++) {
    const doc = randomGraph(seed, 5);
    const features = featuresOf(doc);
    if (![...features].some((f) => wanted.has(f) && !covered.has(f))) continue;
    if (!analyzeGraph(doc).valid) continue;
    const why = whyNotACase(doc);
    if (why) {
      leftOut.push({ id: `random_${seed}`, reason: why });
      continue;
    }
    cases.push({ id: `random_${seed}`, doc });
    for (const f of features) covered.add(f);
    extra++;
  }
  return { cases, uncovered: [...wanted].filter((f) => !covered.has(f)).sort() };
}

/**
 * Seeded inputs for a model: batch 2, variable dims 3; floats uniform in [-1, 1); int32 ids below
 * the smallest Embedding vocabulary the input feeds (2 when it feeds none).
 */
export function randomInputs(plan: ModelPlan, seed: number): NpyArray[] {
  const random = rng(seed);
  return plan.inputs.map((input) => {
    const shape = [2, ...input.shape.map((d) => d ?? 3)];
    const size = shape.reduce((a, b) => a * b, 1);
    if (input.dtype === 'int32') {
      const vocab = plan.steps
        .filter((s) => s.kind === 'layer' && s.call.kerasClass === 'Embedding' && s.inputs.some((i) => i.source === input.name))
        .map((s) => (s.kind === 'layer' ? s.call.kerasArgs.find(([k]) => k === 'input_dim')?.[1] : null))
        .filter((v): v is number => typeof v === 'number');
      const max = vocab.length ? Math.min(...vocab) : 2;
      return { shape, dtype: 'int32' as const, data: Int32Array.from({ length: size }, () => Math.floor(random() * max)) };
    }
    return { shape, dtype: 'float32' as const, data: Float32Array.from({ length: size }, () => random() * 2 - 1) };
  });
}

/** Runs the compiled tfjs model on `inputs` (inference), returning its outputs as arrays. */
export function predictTfjs(tf: TF, model: tfjs.LayersModel, inputs: readonly NpyArray[]): NpyArray[] {
  const xs = inputs.map((a) => tf.tensor(a.data, [...a.shape], a.dtype));
  const ys = model.predict(xs.length === 1 ? xs[0] : xs);
  const list = Array.isArray(ys) ? ys : [ys];
  const out = list.map((y): NpyArray => ({ shape: y.shape, dtype: 'float32', data: Float32Array.from(y.dataSync()) }));
  tf.dispose([...xs, ...list]);
  return out;
}

/** Largest absolute difference between two same-shaped arrays (Infinity when shapes differ). */
export function maxAbsDiff(a: NpyArray, b: NpyArray): number {
  if (a.shape.join(',') !== b.shape.join(',')) return Infinity;
  let m = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

const assets = fileURLToPath(new URL('../../assets/datasets/', import.meta.url));

/**
 * A small dataset of the kind an export's training script reads, for smoke-training it: a few
 * bundled digit images or texts per class (as many classes as the output has units, at most the
 * bundled ones), or the bundled iris CSV. Null when the case has no loader or the data is missing.
 */
export function smokeDataset(c: ExportCase, scratch: string): string | null {
  const plan = planModel(c.doc);
  const t = planTraining(c.doc, plan);
  if (t.dataKind === 'csv') return existsSync(join(assets, 'iris.csv')) ? join(assets, 'iris.csv') : null;
  if (t.dataKind !== 'images' && t.dataKind !== 'text') return null;
  const source = join(assets, t.dataKind === 'images' ? 'digits' : 'text');
  if (!existsSync(source)) return null;
  const out = plan.outputs[0]?.shape;
  const units = out?.[out.length - 1] ?? 2;
  const classes = readdirSync(source).sort().slice(0, Math.max(2, units ?? 2));
  const target = join(scratch, t.dataKind);
  for (const label of classes) {
    mkdirSync(join(target, label), { recursive: true });
    for (const f of readdirSync(join(source, label)).sort().slice(0, 8)) copyFileSync(join(source, label, f), join(target, label, f));
  }
  return target;
}

/**
 * What Layerloom's own data pipeline records for a dataset and a case's model input: the
 * preprocessing.json a training run saves (classes, image size, CSV scaling, vocabulary).
 */
export async function pipelinePreprocessing(c: ExportCase, data: string): Promise<string> {
  const plan = planModel(c.doc);
  const t = planTraining(c.doc, plan);
  const input = plan.inputs[0];
  const scanned = await scanDatasetPath(data, { samplesPerClass: 0, ...(t.csv?.targetColumn ? { targetColumn: t.csv.targetColumn } : {}) });
  const prepared = await prepareDataset(
    scanned,
    { shape: input.shape, dtype: input.dtype, ...(t.text ? { vocabularySize: t.text.vocabularySize } : {}) },
    { validationSplit: t.settings.validationSplit, seed: t.settings.seed },
  );
  return JSON.stringify(prepared.preprocessing);
}

