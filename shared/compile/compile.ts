/**
 * Compiles a project graph into a tfjs `LayersModel` with the functional API by printing the model
 * plan (codegen/plan.ts) — the same plan the Keras and TypeScript generators print, so the app's
 * model and the exported code are one graph. Deterministic: the same document gives the same layer
 * names, order and structure. The `tf` namespace is passed in, so the same compiler serves the
 * training worker, the CLI and tests on any backend.
 */
import type { GraphAnalysis } from '../analysis/analyze.js';
import { planModel } from '../codegen/plan.js';
import type { ProjectDocument } from '../graph/document.js';
import { callConstraints, type ConstrainedWeight } from './constraints.js';
import { layerloomLayers } from './customLayers.js';
import { applyLayerOutputs } from './layerFactory.js';
import { layerSeed, withSeededRandom } from './seeding.js';
import type { SymbolicTensor, TF } from './tfTypes.js';

/** Result of compiling. */
export interface CompiledModel {
  readonly model: ReturnType<TF['model']>;
  /** Layer name of each node built into the model (Input nodes: the input layer's name). */
  readonly layerNames: ReadonlyMap<string, string>;
  readonly analysis: GraphAnalysis;
  /** Node ids of the model's inputs and outputs, in model order. */
  readonly inputNodeIds: readonly string[];
  readonly outputNodeIds: readonly string[];
  /** Weights with a Keras constraint: the trainer projects them after each step (constraints.ts). */
  readonly constraints: readonly ConstrainedWeight[];
}

/** Options of {@link compileModel}. */
export interface CompileOptions {
  /**
   * Seeds the initial weights: each layer's initializers draw from a stream seeded with this and
   * the block's id (see compile/seeding.ts). Without it, tfjs seeds them at random.
   */
  readonly seed?: number;
}

/** Compiles a valid graph; throws `CompileError` (codegen/plan.ts) listing the errors otherwise. */
export function compileModel(doc: Pick<ProjectDocument, 'nodes' | 'edges' | 'name'>, tf: TF, options: CompileOptions = {}): CompiledModel {
  const plan = planModel(doc);
  // Layerloom's classes and its fast orthogonal initializer (the recurrent default) are registered
  // before tfjs builds any layer.
  layerloomLayers(tf);
  const tensors = new Map<string, SymbolicTensor>();
  const tensor = (name: string): SymbolicTensor => {
    const t = tensors.get(name);
    if (!t) throw new Error(`Layer "${name}" is used before it is built; the model plan is out of order.`);
    return t;
  };
  for (const step of plan.steps) {
    if (step.kind === 'input') {
      tensors.set(step.name, tf.input({ shape: [...step.shape], dtype: step.dtype, name: step.name }));
      continue;
    }
    const inputs = step.inputs.map((i) => (i.source === null ? null : tensor(i.source)));
    const build = () => applyLayerOutputs(tf, step.def.callConvention, step.call, inputs, step.name);
    // Applying a layer builds it, which runs its initializers: seeded per block, they give the same
    // weights whatever else the graph holds.
    const seed = options.seed;
    const made = seed === undefined ? build() : withSeededRandom(layerSeed(seed, step.nodeId), build);
    if (made.length !== step.outputs.length) {
      throw new Error(`Layer "${step.name}" made ${made.length} tensors, but its block has ${step.outputs.length} outputs (${step.outputs.map((o) => o.port).join(', ')}).`);
    }
    step.outputs.forEach((o, i) => tensors.set(o.tensor, made[i]));
  }
  const outputs = plan.outputs.map((o) => tensor(o.source));
  const model = tf.model({
    inputs: plan.inputs.map((i) => tensor(i.name)),
    outputs: outputs.length === 1 ? outputs[0] : outputs,
    name: plan.modelName,
  });
  return {
    model,
    layerNames: plan.layerNames,
    analysis: plan.analysis,
    inputNodeIds: plan.inputs.map((i) => i.nodeId),
    outputNodeIds: plan.analysis.outputs,
    constraints: plan.steps.flatMap((s) => (s.kind === 'input' ? [] : callConstraints(s.call, s.name))),
  };
}
