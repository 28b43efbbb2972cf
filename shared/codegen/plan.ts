/**
 * The model plan: the graph as a list of build steps (inputs and layer applications, in build
 * order, with layer names and layer calls). It is the one walk of the graph: the tfjs compiler
 * (`compileModel`) and the Keras and TypeScript generators all print this plan, so the app's model
 * and the exported code are the same graph.
 */
import { analyzeGraph, type GraphAnalysis } from '../analysis/analyze.js';
import type { Diagnostic } from '../analysis/diagnostics.js';
import { passesMask, takesMaskArgument } from '../analysis/masking.js';
import { DEFAULT_OUTPUT_PORT, type BlockDef, type LayerCall, type Shape } from '../blocks/types.js';
import type { GraphNode, ProjectDocument } from '../graph/document.js';
import { layerNamesFor, sanitizeName } from '../graph/layerNames.js';

/** Thrown when a graph with errors is planned or compiled; carries the diagnostics. */
export class CompileError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(
      `The graph has ${diagnostics.length} error(s):\n` +
        diagnostics.map((d) => `  ${d.code}${d.nodeId ? ` [${d.nodeId}]` : ''}: ${d.message}`).join('\n'),
    );
    this.name = 'CompileError';
  }
}

/** One model input. */
export interface PlanInput {
  readonly kind: 'input';
  readonly nodeId: string;
  readonly node: GraphNode;
  /** Layer name (also the variable name before language escaping). */
  readonly name: string;
  readonly shape: Shape;
  readonly dtype: 'float32' | 'int32';
}

/** One layer application. */
export interface PlanLayer {
  readonly kind: 'layer';
  readonly nodeId: string;
  readonly node: GraphNode;
  readonly def: BlockDef;
  readonly name: string;
  readonly call: LayerCall;
  /**
   * Per port (block port order): the port name, the tensor feeding it (`source`: its variable name,
   * the layer's name for an `out` port; see {@link PlanLayer.outputs}) and the layer that makes it,
   * or nulls when unconnected.
   */
  readonly inputs: readonly { readonly port: string; readonly source: string | null; readonly layer: string | null }[];
  readonly inputShapes: readonly (Shape | null)[];
  readonly shape: Shape;
  /**
   * The tensors the layer returns, in Keras's order (`out` first, then e.g. a recurrent layer's
   * final states): port name and tensor (variable) name. One entry, named as the layer, for most.
   */
  readonly outputs: readonly { readonly port: string; readonly tensor: string }[];
}

/** A model output: the layer that feeds an Output block. */
export interface PlanOutput {
  /** Label of the Output block (what the prediction means, e.g. `digit`). */
  readonly label: string;
  /** The tensor that feeds it (a layer name, or a state tensor's name; see {@link PlanLayer.outputs}). */
  readonly source: string;
  /** The layer that makes that tensor. */
  readonly layer: string;
  readonly shape: Shape;
}

/** The whole model, in build order. */
export interface ModelPlan {
  /** Model name (`keras.Model(name=...)`), from the project name. */
  readonly modelName: string;
  readonly steps: readonly (PlanInput | PlanLayer)[];
  /** Input layer names, in model order. */
  readonly inputs: readonly PlanInput[];
  readonly outputs: readonly PlanOutput[];
  readonly analysis: GraphAnalysis;
  /** Layer name of each node that is built. */
  readonly layerNames: ReadonlyMap<string, string>;
}

/** Plans a valid graph; throws {@link CompileError} listing the errors otherwise. */
export function planModel(doc: Pick<ProjectDocument, 'nodes' | 'edges' | 'name'>): ModelPlan {
  const analysis = analyzeGraph(doc);
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new CompileError(errors);
  const allNames = layerNamesFor(doc.nodes);
  const unused = new Set(analysis.diagnostics.filter((d) => d.code === 'LL005').map((d) => d.nodeId));
  const steps: (PlanInput | PlanLayer)[] = [];
  const byId = new Map<string, PlanInput | PlanLayer>();
  const layerNames = new Map<string, string>();
  // Tensors beyond a layer's `out` are named `<layer>_<port>`, kept clear of every layer name.
  const taken = new Set(allNames.values());
  const tensorNames = new Map<string, string>();
  const tensorOf = (nodeId: string, port: string): string => {
    const layer = allNames.get(nodeId) as string;
    if (port === DEFAULT_OUTPUT_PORT) return layer;
    const key = `${nodeId}\u0000${port}`;
    const known = tensorNames.get(key);
    if (known) return known;
    let name = `${layer}_${port}`;
    for (let i = 2; taken.has(name); i++) name = `${layer}_${port}_${i}`;
    taken.add(name);
    tensorNames.set(key, name);
    return name;
  };
  for (const id of analysis.order) {
    const info = analysis.nodes.get(id);
    if (!info || !info.def || unused.has(id) || info.def.role === 'output') continue;
    const name = allNames.get(id) as string;
    layerNames.set(id, name);
    let step: PlanInput | PlanLayer;
    if (info.def.role === 'input') {
      step = {
        kind: 'input',
        nodeId: id,
        node: info.node,
        name,
        shape: info.shape ?? [],
        dtype: info.node.params.dtype === 'int32' ? 'int32' : 'float32',
      };
    } else {
      if (!info.def.layerCall) {
        throw new Error(`Block ${info.node.type} ("${info.node.label}") has no layer call, so it cannot be exported. Its block definition needs a layerCall.`);
      }
      step = {
        kind: 'layer',
        nodeId: id,
        node: info.node,
        def: info.def,
        name,
        call: info.def.layerCall(info.node.params, info.inputShapes),
        inputs: info.ports.map((p) => {
          const e = info.inputEdges.get(p.name);
          return { port: p.name, source: e ? tensorOf(e.source, e.sourcePort) : null, layer: e ? (allNames.get(e.source) ?? null) : null };
        }),
        inputShapes: info.inputShapes,
        shape: info.shape ?? [],
        outputs: info.outputs.map((p) => ({ port: p.name, tensor: tensorOf(id, p.name) })),
      };
    }
    steps.push(step);
    byId.set(id, step);
  }
  const inputs = analysis.inputs.filter((id) => !unused.has(id)).map((id) => byId.get(id) as PlanInput);
  const outputs = analysis.outputs.map((id): PlanOutput => {
    const info = analysis.nodes.get(id);
    const edge = info?.inputEdges.get('in');
    const src = edge?.source ?? '';
    const port = edge?.sourcePort ?? DEFAULT_OUTPUT_PORT;
    return {
      label: info?.node.label ?? 'output',
      source: tensorOf(src, port),
      layer: allNames.get(src) as string,
      shape: analysis.nodes.get(src)?.outputShapes.get(port) ?? [],
    };
  });
  return { modelName: sanitizeName(doc.name || 'model'), steps, inputs, outputs, analysis, layerNames };
}

/** The layer steps only. */
export function planLayers(plan: ModelPlan): PlanLayer[] {
  return plan.steps.filter((s): s is PlanLayer => s.kind === 'layer');
}

/**
 * Layers whose tensors a layer receives, in the order Keras records them on the call
 * (`Node.input_tensors`): positional arguments first, then keyword arguments sorted by name.
 * Attention is called as `mha(query, value, key=key)`, so that is `[query, value, key]`; a recurrent
 * layer as `rnn(x, initial_state=[h, c])`, so `[x, h, c]`.
 */
export function kerasCallInputs(step: PlanLayer): string[] {
  const connected = step.inputs.filter((i) => i.layer !== null);
  if (isAttention(step)) {
    const by = (port: string): string | null => step.inputs.find((i) => i.port === port)?.layer ?? null;
    return [by('query'), by('value'), by('key')].filter((s): s is string => s !== null);
  }
  return connected.map((i) => i.layer as string);
}

/** True for layers called as `mha(query, value, key=key)` (their block's call convention). */
export function isAttention(step: PlanLayer): boolean {
  return step.def.callConvention === 'query-value-key';
}

/**
 * Layer names in the order of Keras's `model.layers` for the exported functional model, which is
 * also the order of `model.get_weights()`. Mirrors `keras.src.ops.function.map_graph`: a depth-first
 * walk back from the outputs numbers the layers, then layers are sorted by decreasing depth (longest
 * path to an output), ties by that number.
 */
export function kerasLayerOrder(plan: ModelPlan): string[] {
  const parents = new Map<string, string[]>();
  for (const s of plan.steps) parents.set(s.name, s.kind === 'layer' ? kerasCallInputs(s) : []);
  // Keras 3 computes a Masking layer's mask as two op layers, `any(not_equal(x, mask_value), -1)`
  // on the Masking's input, and passes it as `mask=` (after the other arguments) to the layers whose
  // call takes one. Those ops lengthen the paths from that input, so they count for the depths.
  const maskOf = new Map<string, string>();
  for (const s of plan.steps) {
    if (s.kind !== 'layer') continue;
    const sources = kerasCallInputs(s);
    if (s.def.type === 'Masking' && sources.length === 1) {
      const [test, any] = [`\u0000not_equal:${s.name}`, `\u0000any:${s.name}`];
      parents.set(test, sources);
      parents.set(any, [test]);
      maskOf.set(s.name, any);
      continue;
    }
    const mask = sources.map((name) => maskOf.get(name)).find((m) => m !== undefined);
    if (!mask) continue;
    if (passesMask(s.def.type, s.node.params)) maskOf.set(s.name, mask);
    if (takesMaskArgument(s.def.type, s.node.params)) parents.set(s.name, [...sources, mask]);
  }
  const index = new Map<string, number>();
  const finished = new Set<string>();
  const postOrder: string[] = [];
  const visit = (name: string): void => {
    if (finished.has(name)) return;
    if (!index.has(name)) index.set(name, index.size);
    for (const p of parents.get(name) ?? []) visit(p);
    finished.add(name);
    postOrder.push(name);
  };
  for (const out of plan.outputs) visit(out.layer);
  const depth = new Map<string, number>();
  for (const name of [...postOrder].reverse()) {
    const d = depth.get(name) ?? 0;
    depth.set(name, d);
    for (const p of parents.get(name) ?? []) depth.set(p, Math.max(d + 1, depth.get(p) ?? 0));
  }
  // Inputs that reach no output are still model inputs (Keras keeps them at depth 0).
  for (const input of plan.inputs) {
    if (!depth.has(input.name)) {
      depth.set(input.name, 0);
      index.set(input.name, -1);
    }
  }
  return [...depth.keys()]
    .filter((name) => !name.startsWith('\u0000'))
    .sort((a, b) => (depth.get(b) as number) - (depth.get(a) as number) || (index.get(a) as number) - (index.get(b) as number));
}

/** One tensor a layer is applied to: a source, optionally routed through a weightless identity layer. */
export interface RoutedInput<T> {
  readonly source: T;
  /** Name of the identity layer this input passes through first, when it repeats an earlier input. */
  readonly identityName?: string;
}

/**
 * The tensors a layer is applied to, in order. tfjs-layers' inference executor releases a tensor
 * once per input slot but counts it once per consuming layer, so a layer fed the same tensor twice
 * (`Add(x, x)`, self-attention `mha(x, x)`) frees it while another layer still needs it
 * ("Tensor is disposed" in `predict`). So: self-attention is applied to the single tensor (the
 * attention layer reads one input as query = value = key), a key equal to the value is dropped (it
 * defaults to the value), and any other repeat goes through an identity layer. The compiler and
 * the TypeScript export both route inputs through here, so they build the same graph.
 *
 * `ports` are the sources in port order (`null` = unconnected optional port); for attention the
 * order is `[query, value, key]`.
 */
export function routeLayerInputs<T>(ports: readonly (T | null)[], attention: boolean, layerName: string): RoutedInput<T>[] {
  let list = ports.filter((p): p is T => p !== null && p !== undefined);
  if (attention) {
    const [query, value, key] = list;
    if (key !== undefined && key === value) list = [query, value];
    if (list.length === 2 && list[0] === list[1]) list = [list[0]];
  }
  const seen = new Set<T>();
  let repeats = 0;
  return list.map((source) => {
    if (!seen.has(source)) {
      seen.add(source);
      return { source };
    }
    repeats++;
    return { source, identityName: `${layerName}_repeat${repeats}` };
  });
}
