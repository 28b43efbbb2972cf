/**
 * ONNX export: the third printer of the model plan (after the Keras and TypeScript ones). It turns
 * the plan and the layers' weights (Keras layout) into an {@link OnnxGraph} as plain data, plus
 * README.md and predict.py (ONNX Runtime). The protobuf encoding of model.onnx is the Node side's
 * (electron/services/onnx), so this stays pure.
 */
import type { ProjectDocument } from '../../graph/document.js';
import { sanitizeName } from '../../graph/layerNames.js';
import type { ExportFile } from '../exportFile.js';
import type { ModelPlan } from '../plan.js';
import { ONNX_MAPPINGS, timeDistributedMapping, type MappingContext, type OnnxWeight } from './blocks.js';
import { GraphBuilder, irVersionFor, nodeReads, pruneDeadNodes, type OnnxGraph, type OnnxNode, type OnnxValueInfo } from './graph.js';
import { onnxPredictScript, onnxReadme } from './readme.js';

export type { OnnxWeight } from './blocks.js';
export type { OnnxAttribute, OnnxElemType, OnnxGraph, OnnxInitializer, OnnxNode, OnnxValueInfo } from './graph.js';
export { ONNX_MAPPINGS } from './blocks.js';

/** The opset written unless another is asked for. */
export const DEFAULT_OPSET = 17;
/** Opsets the export writes (ONNX Runtime 1.30 runs them all). */
export const MIN_OPSET = 13;
export const MAX_OPSET = 21;

/** The model file of an ONNX export. */
export const ONNX_MODEL_FILE = 'model.onnx';

/** Why an opset cannot be used, or null. */
export function opsetProblem(opset: number): string | null {
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    return `Opset ${opset} is not offered: use an integer from ${MIN_OPSET} to ${MAX_OPSET} (default ${DEFAULT_OPSET}).`;
  }
  return null;
}

/** Dims of a tensor with batch: `batch` first, variable sizes named after the tensor and axis. */
function valueDims(name: string, shape: readonly (number | null)[]): (number | string)[] {
  return ['batch', ...shape.map((d, i) => d ?? `${name}_dim${i + 1}`)];
}

/**
 * The ONNX graph of a planned model. `weights` maps each layer name to its weight arrays in Keras's
 * `get_weights()` order and layout. Throws when a block has no mapping or a mapping cannot write
 * this configuration (the message names the layer and the fix).
 */
export function buildOnnxGraph(plan: ModelPlan, weights: ReadonlyMap<string, readonly OnnxWeight[]>, opset = DEFAULT_OPSET): OnnxGraph {
  const problem = opsetProblem(opset);
  if (problem) throw new Error(problem);
  const b = new GraphBuilder(opset);
  const tensors = new Map<string, string>();
  const channelsFirst = new Map<string, string>();
  const intInputs = new Set(plan.inputs.filter((i) => i.dtype === 'int32').map((i) => i.name));
  const inputs: OnnxValueInfo[] = plan.inputs.map((i) => {
    b.reserve(i.name);
    tensors.set(i.name, i.name);
    return { name: i.name, type: i.dtype, dims: valueDims(i.name, i.shape) };
  });
  // Tensors something reads: a recurrent layer's final states are refused only when wired onward.
  const wired = new Set<string>([...plan.outputs.map((o) => o.source), ...plan.steps.flatMap((s) => (s.kind === 'layer' ? s.inputs.map((i) => i.source ?? '') : []))]);
  for (const step of plan.steps) {
    if (step.kind !== 'layer') continue;
    const mapping = ONNX_MAPPINGS[step.def.type];
    if (!mapping) throw new Error(`Block ${step.def.type} ("${step.node.label}") has no ONNX mapping yet, so the model cannot be exported to ONNX.`);
    const statesUsed = step.outputs.slice(1).some((o) => wired.has(o.tensor));
    if (statesUsed || (step.def.callConvention === 'initial-state' && step.inputs.slice(1).some((i) => i.source !== null))) {
      throw new Error(
        `${step.def.type} "${step.node.label}" passes recurrent states (Return state or Initial state from inputs), which the ONNX export does not write yet. Export to Keras or TensorFlow.js, or turn both options off for ONNX.`,
      );
    }
    const run = step.node.params.time_distributed === true ? (ctx: MappingContext) => timeDistributedMapping(mapping, ctx) : mapping;
    const out = run({
      b,
      step,
      params: step.node.params,
      inputs: step.inputs.map((i) => (i.source === null ? null : (tensors.get(i.source) ?? null))),
      inputShapes: step.inputShapes,
      inputTypes: step.inputs.map((i) => (i.source !== null && intInputs.has(i.source) ? 'int32' : 'float32')),
      shape: step.shape,
      weights: weights.get(step.name) ?? [],
      channelsFirst,
    });
    tensors.set(step.name, out);
  }
  // Outputs are named after the Output blocks' labels (unique, Python-identifier-like).
  const used = new Set(inputs.map((i) => i.name));
  const outputs: OnnxValueInfo[] = [];
  const renames: OnnxNode[] = [];
  for (const o of plan.outputs) {
    let name = sanitizeName(o.label);
    for (let i = 2; used.has(name); i++) name = `${sanitizeName(o.label)}_${i}`;
    used.add(name);
    const source = tensors.get(o.source) as string;
    renames.push({ opType: 'Identity', name: b.fresh(`${name}/Identity`), inputs: [source], outputs: [name], attributes: {} });
    outputs.push({ name, type: 'float32', dims: valueDims(name, o.shape) });
  }
  const nodes = pruneDeadNodes([...b.nodes, ...renames], outputs.map((o) => o.name));
  const needed = new Set(nodes.flatMap(nodeReads));
  return {
    name: plan.modelName,
    opset,
    irVersion: irVersionFor(opset),
    inputs,
    outputs,
    nodes,
    initializers: b.initializers.filter((i) => needed.has(i.name)),
    decompositions: b.decompositions,
  };
}

/** README.md and predict.py of an ONNX export (model.onnx itself is encoded on the Node side). */
export function generateOnnxFiles(doc: Pick<ProjectDocument, 'name'>, graph: OnnxGraph, externalData: string | null, weightsNote?: string): ExportFile[] {
  return [
    { path: 'README.md', content: onnxReadme(doc, graph, externalData, weightsNote) },
    { path: 'predict.py', content: onnxPredictScript(graph) },
  ];
}
