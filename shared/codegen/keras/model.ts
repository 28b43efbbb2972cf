/**
 * The model part of model.py: `build_model()` (the functional model the app compiles, same layer
 * names and weights layout), the custom layer classes it needs, and `load_weights()`.
 */
import { VARIANCE_SCALING_INITIALIZERS } from '../../blocks/paramUtils.js';
import type { KerasArg } from '../../blocks/types.js';
import { customKerasLayer, type CustomKerasLayer } from '../customLayers.js';
import { isKerasDefault } from '../defaults.js';
import { nestedCall, nestedList, PY_LINE_WIDTH, PY_RESERVED, pyLiteral, pyString, safeVar, sameArg, wrapApplied, wrapCall, type CallArg } from '../literals.js';
import { isAttention, planLayers, type ModelPlan, type PlanLayer } from '../plan.js';

/**
 * Leading arguments written positionally, as people write them (`layers.Dense(64, ...)`); only
 * used when the call lists them first and in this order.
 */
const POSITIONAL: Readonly<Record<string, readonly string[]>> = {
  Dense: ['units'],
  Dropout: ['rate'],
  SpatialDropout1D: ['rate'],
  SpatialDropout2D: ['rate'],
  SpatialDropout3D: ['rate'],
  GaussianNoise: ['stddev'],
  GaussianDropout: ['rate'],
  Activation: ['activation'],
  Conv1D: ['filters', 'kernel_size'],
  Conv2D: ['filters', 'kernel_size'],
  Conv3D: ['filters', 'kernel_size'],
  Conv1DTranspose: ['filters', 'kernel_size'],
  Conv2DTranspose: ['filters', 'kernel_size'],
  Conv3DTranspose: ['filters', 'kernel_size'],
  SeparableConv1D: ['filters', 'kernel_size'],
  SeparableConv2D: ['filters', 'kernel_size'],
  DepthwiseConv1D: ['kernel_size'],
  DepthwiseConv2D: ['kernel_size'],
  LSTM: ['units'],
  GRU: ['units'],
  SimpleRNN: ['units'],
  Embedding: ['input_dim', 'output_dim'],
  Reshape: ['target_shape'],
  Permute: ['dims'],
  RepeatVector: ['n'],
};

/** An initializer Keras has no short name for, as its `keras.initializers.VarianceScaling(…)` call. */
function kerasInitializer(name: string, value: KerasArg): KerasArg {
  const vs = name.endsWith('initializer') && typeof value === 'string' ? VARIANCE_SCALING_INITIALIZERS[value] : undefined;
  if (!vs) return value;
  return { raw: `keras.initializers.VarianceScaling(scale=${pyLiteral(vs.scale)}, mode=${pyString(vs.mode)}, distribution=${pyString(vs.distribution)})` };
}

/** `name=value` / positional argument strings of a constructor, Keras defaults left out. */
function pyArgs(kerasClass: string, args: ReadonlyArray<readonly [string, KerasArg]>): string[] {
  const positional = POSITIONAL[kerasClass] ?? [];
  const out: string[] = [];
  let i = 0;
  for (const [name, value] of args) {
    if (i < positional.length && positional[i] === name) {
      out.push(pyLiteral(value));
      i++;
      continue;
    }
    i = positional.length;
    if (isKerasDefault(kerasClass, name, value) || isCustomDefault(kerasClass, name, value)) continue;
    out.push(`${name}=${pyLiteral(kerasInitializer(name, value))}`);
  }
  return out;
}

/** True when `name=value` is the default of a class model.py defines itself. */
function isCustomDefault(kerasClass: string, name: string, value: KerasArg): boolean {
  const defaults = customKerasLayer(kerasClass)?.defaults;
  return defaults !== undefined && name in defaults && sameArg(defaults[name], value);
}

/** The Python expression of a layer class: `layers.Dense` or a class defined in model.py. */
function pyClass(kerasClass: string): string {
  return customKerasLayer(kerasClass) ? kerasClass : `layers.${kerasClass}`;
}

function pyShape(shape: readonly (number | null)[]): string {
  return pyLiteral({ tuple: shape.map((d) => d) });
}

/** The statements of `build_model()`'s body. */
function buildModelBody(plan: ModelPlan): string[] {
  const v = (name: string): string => safeVar(name, PY_RESERVED);
  const lines: string[] = [];
  for (const step of plan.steps) {
    if (step.kind === 'input') {
      const args = [`shape=${pyShape(step.shape)}`, `dtype=${pyString(step.dtype)}`, `name=${pyString(step.name)}`];
      lines.push(wrapCall('    ', `${v(step.name)} = keras.Input`, args, '', PY_LINE_WIDTH));
      continue;
    }
    lines.push(layerStatement(step, v));
  }
  const ins = plan.inputs.map((i) => v(i.name));
  const outs = plan.outputs.map((o) => v(o.source));
  const list = (xs: string[]): string => (xs.length === 1 ? xs[0] : `[${xs.join(', ')}]`);
  const frozen = plan.steps.filter((st): st is PlanLayer => st.kind === 'layer' && st.node.params.trainable === false).map((st) => st.name);
  if (frozen.length === 0) {
    lines.push(wrapCall('    ', 'return keras.Model', [`inputs=${list(ins)}`, `outputs=${list(outs)}`, `name=${pyString(plan.modelName)}`], '', PY_LINE_WIDTH));
    return lines;
  }
  // trainable=False does not reach the sublayers a layer creates in build(): Keras 3.15's
  // MultiHeadAttention keeps its query/key/value/output projections trainable, in the layer's
  // constructor and when set on the built layer alike. So each frozen layer's sublayers are frozen
  // one by one once the model is built.
  lines.push(wrapCall('    ', 'model = keras.Model', [`inputs=${list(ins)}`, `outputs=${list(outs)}`, `name=${pyString(plan.modelName)}`], '', PY_LINE_WIDTH));
  lines.push(
    `    for frozen in ${pyLiteral({ tuple: frozen })}:`,
    '        layer = model.get_layer(frozen)',
    '        for part in [layer, *layer._flatten_layers(include_self=False)]:',
    '            part.trainable = False',
    '    return model',
  );
  return lines;
}

function layerStatement(step: PlanLayer, v: (name: string) => string): string {
  const { call } = step;
  let cls = pyClass(call.kerasClass);
  let args: CallArg[] = pyArgs(call.kerasClass, call.kerasArgs);
  if (call.bidirectional) {
    const inner = nestedCall(cls, args as string[], PY_LINE_WIDTH);
    cls = 'layers.Bidirectional';
    args = [inner];
    if (!isKerasDefault('Bidirectional', 'merge_mode', call.bidirectional.mergeMode)) args.push(`merge_mode=${pyString(call.bidirectional.mergeMode)}`);
  }
  if (call.timeDistributed) {
    args = [nestedCall(cls, args as string[], PY_LINE_WIDTH)];
    cls = 'layers.TimeDistributed';
  }
  args.push(`name=${pyString(step.name)}`);
  const extra = (call.callArgs ?? []).map(([k, val]) => `${k}=${pyLiteral(val)}`);
  let callArgs: CallArg[];
  if (isAttention(step)) {
    const by = (port: string): string | null => step.inputs.find((i) => i.port === port)?.source ?? null;
    const query = by('query') as string;
    const value = by('value') as string;
    const key = by('key');
    callArgs = [v(query), v(value), ...(key ? [`key=${v(key)}`] : [])];
  } else if (step.def.callConvention === 'initial-state') {
    // `layers.LSTM(...)(x, initial_state=[h, c])`: the sequence, then the starting states.
    const [x, ...states] = step.inputs.filter((i) => i.source !== null).map((i) => v(i.source as string));
    const stateList: CallArg = (indent) =>
      indent === null ? `initial_state=[${states.join(', ')}]` : `${indent}initial_state=[\n${states.map((st) => `${indent}    ${st},`).join('\n')}\n${indent}]`;
    callArgs = [x, ...(states.length ? [stateList] : [])];
  } else {
    const connected = step.inputs.filter((i) => i.source !== null).map((i) => v(i.source as string));
    callArgs = [connected.length === 1 ? connected[0] : nestedList(connected)];
  }
  // With return_state a layer returns its output and final states: `x, x_h, x_c = layers.LSTM(...)`.
  const target = step.outputs.length > 1 ? step.outputs.map((o) => v(o.tensor)).join(', ') : v(step.name);
  return wrapApplied('    ', `${target} = ${cls}`, args, [...callArgs, ...extra], PY_LINE_WIDTH);
}

/** Custom layer classes model.py must define, in first-use order. */
export function customClasses(plan: ModelPlan): CustomKerasLayer[] {
  const out = new Map<string, CustomKerasLayer>();
  for (const step of planLayers(plan)) {
    const custom = customKerasLayer(step.call.kerasClass);
    if (custom && !out.has(custom.kerasClass)) out.set(custom.kerasClass, custom);
  }
  return [...out.values()];
}

/** The `build_model()` function of model.py. */
export function buildModelFunction(plan: ModelPlan): string {
  return `def build_model():\n    """Builds the model (uncompiled); layer names are the block labels."""\n${buildModelBody(plan).join('\n')}\n`;
}

/** The `load_weights()` function of model.py: reads the exported weights.npz. */
/**
 * `load_weights()` of model.py. Keras's Normalization reads its mean and variance into constants
 * when built (`finalize_state`), not when weights are set, so a model holding one refreshes them
 * after loading (`finalizes`).
 */
export function loadWeightsFunction(finalizes: boolean): string {
  const refresh = finalizes
    ? `    # Normalization layers copy mean and variance into constants when built: refresh them.
    for layer in model.layers:
        if isinstance(layer, layers.Normalization):
            layer.finalize_state()
`
    : '';
  return `def load_weights(model, path):
    """Loads weights exported by Layerloom: a .npz of model.get_weights() arrays."""
    with np.load(path) as data:
        names = list(data.files)
        arrays = [data[name] for name in names]
    variables = model.weights
    if len(arrays) != len(variables):
        raise ValueError(
            f"{path} holds {len(arrays)} arrays, but the model has {len(variables)} "
            "weights: it was exported for a different graph."
        )
    for name, array, variable in zip(names, arrays, variables):
        if tuple(array.shape) != tuple(variable.shape):
            raise ValueError(
                f"{path}: {name} has shape {array.shape}, "
                f"but {variable.path} needs {variable.shape}."
            )
    model.set_weights(arrays)
${refresh}`;
}
