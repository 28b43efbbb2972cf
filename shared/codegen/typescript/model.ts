/** model.ts of the TypeScript export: `buildModel()`, the same layers, names and weights as the app. */
import { LAYERLOOM_TFJS_INITIALIZERS } from '../../blocks/tfjsSpelling.js';
import type { KerasArg } from '../../blocks/types.js';
import type { ProjectDocument } from '../../graph/document.js';
import { routeLayerInputs } from '../plan.js';
import { isTfjsDefault } from '../defaults.js';
import { TS_LINE_WIDTH, TS_RESERVED, safeVar, tsLiteral, tsString } from '../literals.js';
import { isAttention, type ModelPlan, type PlanLayer } from '../plan.js';
import { TS_CUSTOM_LAYERS_FILE } from '../tsCustomLayers.js';
import { importLines } from './imports.js';

/** Local name of the custom layer classes in model.ts. */
const CUSTOM = 'layerloom';

function tsVar(name: string): string {
  return safeVar(name, TS_RESERVED);
}

/**
 * True for a tuple with a `null` entry (Dropout's noiseShape `[null, 1, 1, 1]`): tfjs fills it with
 * the input's size at run time, but its typings say `number[]`, so the export casts it.
 */
function hasNull(v: KerasArg): boolean {
  return v !== null && typeof v === 'object' && 'tuple' in v && v.tuple.includes(null);
}

function tsProps(factory: string, args: ReadonlyArray<readonly [string, KerasArg]>, name: string | null): string[] {
  const props = args.filter(([k, v]) => !isTfjsDefault(factory, k, v)).map(([k, v]) => `${k}: ${tsLiteral(v)}${hasNull(v) ? ' as number[]' : ''}`);
  if (name !== null) props.push(`name: ${tsString(name)}`);
  return props;
}

/** `{ a: 1, b: 2 }` on one line, or null when that would not fit `room` characters. */
function objectLine(props: readonly string[]): string {
  return props.length ? `{ ${props.join(', ')} }` : '{}';
}

function objectBlock(props: readonly string[], indent: string): string {
  return `{\n${props.map((p) => `${indent}  ${p},`).join('\n')}\n${indent}}`;
}

/** The layer constructor expression for a step, with its object argument formatted to fit. */
function layerStatement(step: PlanLayer): string {
  const { call } = step;
  // With return_state a layer returns its output and final states: `const [x, x_h, x_c] = ...`.
  const multi = step.outputs.length > 1;
  const target = multi ? `[${step.outputs.map((o) => tsVar(o.tensor)).join(', ')}]` : tsVar(step.name);
  const ports = isAttention(step)
    ? ['query', 'value', 'key'].map((p) => step.inputs.find((i) => i.port === p)?.source ?? null)
    : step.inputs.map((i) => i.source);
  // Same routing as the compiler (repeated inputs, self-attention), see routeLayerInputs.
  const routed = routeLayerInputs(ports, isAttention(step), step.name);
  const repeats = routed
    .filter((r) => r.identityName)
    .map((r) => `  const ${tsVar(r.identityName as string)} = tf.layers.activation({ activation: 'linear', name: ${tsString(r.identityName as string)} }).apply(${tsVar(r.source)}) as tf.SymbolicTensor;\n`)
    .join('');
  const connected = routed.map((r) => r.identityName ?? r.source);
  let applied = connected.length === 1 ? tsVar(connected[0]) : `[${connected.map(tsVar).join(', ')}]`;
  if (step.def.callConvention === 'initial-state' && connected.length > 1) {
    // tfjs's RNN and Bidirectional take the starting states as `initialState`.
    applied = `${tsVar(connected[0])}, { initialState: [${connected.slice(1).map(tsVar).join(', ')}] }`;
  }
  const suffix = `.apply(${applied}) as ${multi ? 'tf.SymbolicTensor[]' : 'tf.SymbolicTensor'};`;
  const ctor = (props: string): string =>
    call.custom ? `new ${CUSTOM}.${customClassKey(call.tfjsFactory)}(${props})` : `tf.layers.${call.tfjsFactory}(${props})`;
  if (call.bidirectional || call.timeDistributed) {
    // The wrapper (Bidirectional or TimeDistributed) named as the block, the layer inside it `<name>_inner`, as the compiler builds them.
    const wrapper = call.bidirectional ? 'bidirectional' : 'timeDistributed';
    const innerProps = tsProps(call.tfjsFactory, call.tfjsArgs, `${step.name}_inner`);
    const outer = (inner: string): string[] => [
      `layer: ${inner}`,
      ...(call.bidirectional ? [`mergeMode: ${tsString(call.bidirectional.mergeMode)}`] : []),
      `name: ${tsString(step.name)}`,
    ];
    const flat = `  const ${target} = tf.layers.${wrapper}(${objectLine(outer(ctor(objectLine(innerProps))))})${suffix}`;
    if (flat.length <= TS_LINE_WIDTH) return repeats + flat;
    const innerLine = `layer: ${ctor(objectLine(innerProps))}`;
    const inner = innerLine.length + 4 <= TS_LINE_WIDTH ? ctor(objectLine(innerProps)) : ctor(objectBlock(innerProps, '    '));
    return `${repeats}  const ${target} = tf.layers.${wrapper}(${objectBlock(outer(inner), '  ')})${suffix}`;
  }
  const props = tsProps(call.tfjsFactory, call.tfjsArgs, step.name);
  const flat = `  const ${target} = ${ctor(objectLine(props))}${suffix}`;
  if (flat.length <= TS_LINE_WIDTH) return repeats + flat;
  return `${repeats}  const ${target} = ${ctor(objectBlock(props, '  '))}${suffix}`;
}

/** Property of `layerloomLayers(tf)` for a custom tfjs class name (`LayerloomMultiHeadAttention` → `MultiHeadAttention`). */
function customClassKey(className: string): string {
  return className.replace(/^Layerloom/, '');
}

/** The text of model.ts. */
export function modelTs(doc: Pick<ProjectDocument, 'name'>, plan: ModelPlan): string {
  const usesCustom = usesCustomLayers(plan);
  const body: string[] = [];
  // Only Layerloom's initializers or recurrent penalties in use: calling layerloomLayers installs them.
  if (usesCustom) body.push(plan.steps.some((s) => s.kind === 'layer' && s.call.custom) ? `  const ${CUSTOM} = layerloomLayers(tf);` : '  layerloomLayers(tf);');
  for (const step of plan.steps) {
    if (step.kind === 'input') {
      const props = [`shape: ${tsLiteral({ tuple: [...step.shape] })}`, `dtype: ${tsString(step.dtype)}`, `name: ${tsString(step.name)}`];
      body.push(`  const ${tsVar(step.name)} = tf.input(${objectLine(props)});`);
      continue;
    }
    body.push(layerStatement(step));
  }
  const list = (xs: string[]): string => (xs.length === 1 ? xs[0] : `[${xs.join(', ')}]`);
  const ret = `  return tf.model({ inputs: ${list(plan.inputs.map((i) => tsVar(i.name)))}, outputs: ${list(plan.outputs.map((o) => tsVar(o.source)))}, name: ${tsString(plan.modelName)} });`;
  body.push(
    ret.length <= TS_LINE_WIDTH
      ? ret
      : `  return tf.model(${objectBlock([`inputs: ${list(plan.inputs.map((i) => tsVar(i.name)))}`, `outputs: ${list(plan.outputs.map((o) => tsVar(o.source)))}`, `name: ${tsString(plan.modelName)}`], '  ')});`,
  );
  const title = (doc.name || plan.modelName).replace(/\*\//g, '* /');
  return `/**
 * ${title}: a TensorFlow.js model exported from Layerloom.
 *
 * buildModel() returns the model, uncompiled; layer names are the block labels. weights.ts loads
 * the weights exported with it; train.ts trains it on the project's dataset.
 */
${importLines([['* as tf', '@tensorflow/tfjs']])}
${usesCustom ? `import { layerloomLayers } from './${TS_CUSTOM_LAYERS_FILE.replace(/\.ts$/, '.js')}';\n` : ''}
/** Builds the model (uncompiled). */
export function buildModel(): tf.LayersModel {
${body.join('\n')}
}
`;
}

/** tfjs's recurrent layers, whose regularization penalties count only once layerloomLayers(tf) ran. */
const TFJS_RECURRENT = new Set(['simpleRNN', 'lstm', 'gru']);

/** True for a regularizer argument (`kernelRegularizer: {className: 'L1L2', ...}`). */
function isRegularizer(v: KerasArg): boolean {
  return v !== null && typeof v === 'object' && 'module' in v && v.module === 'regularizers';
}

/** True when the model uses Layerloom's own layers, which the export ships as layerloomLayers.ts. */
export function usesCustomLayers(plan: ModelPlan): boolean {
  // Layerloom's own initializers are registered by the same file, it makes tfjs's recurrent
  // layers count their weights' penalties in the loss (countRecurrentPenalties in customLayers.ts),
  // and it lets weights before a Masking layer train (maskOpsNotDifferentiable).
  return plan.steps.some(
    (s) =>
      s.kind === 'layer' &&
      (s.call.custom ||
        s.call.tfjsFactory === 'masking' ||
        s.call.tfjsArgs.some(([, v]) => (typeof v === 'string' && LAYERLOOM_TFJS_INITIALIZERS.has(v)) || (TFJS_RECURRENT.has(s.call.tfjsFactory) && isRegularizer(v)))),
  );
}
