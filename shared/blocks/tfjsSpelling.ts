/**
 * From a block's Keras call to its tfjs-layers call. Blocks state the Keras call once; this module
 * derives the tfjs factory and config by one rule, and each block's `tfjs` table ({@link TfjsSpelling})
 * states only where tfjs differs. Pure: names and values only, no tfjs.
 */
import type { KerasArg, KerasArgs, KerasCall, KerasObject, LayerCall, Params, Shape, TfjsSpelling } from './types.js';

/**
 * Class names of Layerloom's own tfjs layers (shared/compile/customLayers.ts registers classes under
 * exactly these names; a test keeps the two lists equal). A block's `tfjs.ownLayer` returns one.
 */
export const LAYERLOOM_TFJS_CLASSES = {
  multiHeadAttention: 'LayerloomMultiHeadAttention',
  positionEmbedding: 'LayerloomPositionEmbedding',
  conv1d: 'LayerloomConv1D',
  conv2d: 'LayerloomConv2D',
  conv3d: 'LayerloomConv3D',
  separableConv2d: 'LayerloomSeparableConv2D',
  depthwiseConv2d: 'LayerloomDepthwiseConv2D',
  conv2dTranspose: 'LayerloomConv2DTranspose',
  subtract: 'LayerloomSubtract',
  relu: 'LayerloomReLU',
  elu: 'LayerloomELU',
  softmax: 'LayerloomSoftmax',
  normalization: 'LayerloomNormalization',
  globalPooling: 'LayerloomGlobalPooling',
  zeroPadding1d: 'LayerloomZeroPadding1D',
  cropping1d: 'LayerloomCropping1D',
  gaussianNoise: 'LayerloomGaussianNoise',
  gaussianDropout: 'LayerloomGaussianDropout',
  spatialDropout2d: 'LayerloomSpatialDropout2D',
  resize: 'LayerloomResize',
  gru: 'LayerloomGRU',
  batchNormalization: 'LayerloomBatchNormalization',
  layerNormalization: 'LayerloomLayerNormalization',
  zeroPadding3d: 'LayerloomZeroPadding3D',
  cropping3d: 'LayerloomCropping3D',
  upSampling3d: 'LayerloomUpSampling3D',
  spatialDropout3d: 'LayerloomSpatialDropout3D',
  conv3dTranspose: 'LayerloomConv3DTranspose',
  conv1dTranspose: 'LayerloomConv1DTranspose',
  upSampling1d: 'LayerloomUpSampling1D',
  depthwiseConv1d: 'LayerloomDepthwiseConv1D',
  separableConv1d: 'LayerloomSeparableConv1D',
} as const;

/** Keras initializer names with their tfjs identifiers (both libraries compute the same values). */
const TFJS_INITIALIZERS: Readonly<Record<string, string>> = {
  glorot_uniform: 'glorotUniform',
  glorot_normal: 'glorotNormal',
  he_uniform: 'heUniform',
  he_normal: 'heNormal',
  lecun_uniform: 'leCunUniform',
  lecun_normal: 'leCunNormal',
  orthogonal: 'orthogonal',
  zeros: 'zeros',
  ones: 'ones',
  // Keras's aliases of RandomUniform(-0.05, 0.05) / RandomNormal(0, 0.05): tfjs's defaults are the same.
  uniform: 'randomUniform',
  normal: 'randomNormal',
  // Variance scaling over the fan-out: Layerloom's own initializer classes (registered with its layers).
  he_normal_fan_out: 'LayerloomHeNormalFanOut',
  uniform_fan_out: 'LayerloomUniformFanOut',
};

/** tfjs identifiers of Layerloom's own initializer classes (registered by shared/compile/customLayers.ts). */
export const LAYERLOOM_TFJS_INITIALIZERS: ReadonlySet<string> = new Set(['LayerloomHeNormalFanOut', 'LayerloomUniformFanOut']);

/** tfjs spelling of a Keras initializer name (unknown names pass unchanged). */
export function tfjsInitializer(kerasName: string): string {
  return TFJS_INITIALIZERS[kerasName] ?? kerasName;
}

/**
 * tfjs factory name of a Keras class under `tf.layers`: first letter lower-case (an all-capital
 * name entirely), `1D`/`2D`/`3D` as `1d`/`2d`/`3d`: `Conv2DTranspose` → `conv2dTranspose`,
 * `LSTM` → `lstm`, `SimpleRNN` → `simpleRNN`, `LeakyReLU` → `leakyReLU`.
 */
export function tfjsFactoryName(kerasClass: string): string {
  const lower = /^[A-Z0-9]+$/.test(kerasClass) ? kerasClass.toLowerCase() : kerasClass.charAt(0).toLowerCase() + kerasClass.slice(1);
  return lower.replace(/(\d)D/g, '$1d');
}

/** tfjs config key of a Keras argument: snake_case → camelCase (`kernel_size` → `kernelSize`). */
export function tfjsArgName(kerasName: string): string {
  return kerasName.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** True for arguments that name an initializer (`kernel_initializer`, PositionEmbedding's `initializer`). */
function isInitializerArg(kerasName: string): boolean {
  return kerasName === 'initializer' || kerasName.endsWith('_initializer');
}

/** tfjs value of a Keras argument: initializer names and Keras objects translated, everything else unchanged. */
export function tfjsArgValue(kerasName: string, value: KerasArg): KerasArg {
  if (value !== null && typeof value === 'object' && 'module' in value) return tfjsObject(value);
  return isInitializerArg(kerasName) && typeof value === 'string' ? tfjsInitializer(value) : value;
}

/**
 * tfjs's spelling of a regularizer or constraint: tfjs has one regularizer class, `L1L2` (its l1()
 * and l2() build it with the other factor 0: the same penalty); constraints keep their class names
 * with camelCase arguments (`max_value` → `maxValue`).
 */
function tfjsObject(value: KerasObject): KerasObject {
  if (value.module === 'regularizers') {
    const get = (k: string): KerasArg => value.args.find(([name]) => name === k)?.[1] ?? 0;
    return { module: 'regularizers', className: 'L1L2', args: [['l1', get('l1')], ['l2', get('l2')]] };
  }
  return { ...value, args: value.args.map(([k, v]) => [tfjsArgName(k), v] as const) };
}

/**
 * True for a weight constraint argument (`kernel_constraint`, `depthwise_constraint`, ...). These stay
 * out of the tfjs config: tfjs applies a constraint whenever a weight is set or loaded, Keras only
 * after each optimizer step, so the trainer projects the weights itself (compile/constraints.ts).
 */
function isConstraintArg(kerasName: string): boolean {
  return kerasName.endsWith('_constraint');
}

/** Keras arguments in tfjs spelling, by the default rule plus the block's renames (weight constraints left out). */
export function tfjsArgs(kerasArgs: KerasArgs, rename: Readonly<Record<string, string>> = {}): [string, KerasArg][] {
  return kerasArgs.filter(([name]) => !isConstraintArg(name)).map(([name, value]) => [rename[name] ?? tfjsArgName(name), tfjsArgValue(name, value)]);
}

/** The full layer call: the Keras call with its tfjs spelling derived (see {@link TfjsSpelling}). */
export function deriveLayerCall(keras: KerasCall, spelling: TfjsSpelling | undefined, params: Params, inputs: readonly (Shape | null)[]): LayerCall {
  const own = spelling?.ownLayer?.(params, inputs) ?? null;
  let tfjs = { factory: own ?? tfjsFactoryName(keras.kerasClass), args: tfjsArgs(keras.kerasArgs, spelling?.rename) as KerasArgs };
  if (spelling?.adjust) tfjs = spelling.adjust(tfjs, params, inputs);
  return { ...keras, tfjsFactory: tfjs.factory, tfjsArgs: tfjs.args, ...(own ? { custom: true } : {}) };
}

/** Replaces the value of tfjs argument `name` (kept in place), for {@link TfjsSpelling.adjust}. */
export function withArg(args: KerasArgs, name: string, value: KerasArg): KerasArgs {
  return args.map(([k, v]) => [k, k === name ? value : v] as const);
}

/** Inserts a tfjs-only argument after `after`, for {@link TfjsSpelling.adjust}. */
export function insertArg(args: KerasArgs, after: string, name: string, value: KerasArg): KerasArgs {
  const at = args.findIndex(([k]) => k === after);
  const out = [...args];
  out.splice(at < 0 ? out.length : at + 1, 0, [name, value]);
  return out;
}
