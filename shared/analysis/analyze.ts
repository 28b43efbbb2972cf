/**
 * Shape inference and validation of a whole graph in one pass: topological order, per-node input
 * and output shapes, parameter counts, cost (multiply-accumulates and memory, docs/analyzer.md) and
 * diagnostics attached to the node that caused them. Pure and fast (n log n in nodes + edges), so
 * the editor runs it after every edit.
 */
import { OPAQUE_LAYER_TYPE, opaqueMessage, opaqueOutputShape, opaqueParamCount, opaquePorts } from '../graph/opaqueLayer.js';
import { getBlock } from '../blocks/registry.js';
import { checkParamValue } from '../blocks/paramUtils.js';
import { shapeSize } from '../blocks/shapeUtils.js';
import { DEFAULT_OUTPUT_PORT, type BlockDef, type ParamCount, type ParamSpec, type PortSpec, type Shape } from '../blocks/types.js';
import type { GraphEdge, GraphNode, ProjectDocument } from '../graph/document.js';
import { layerNamesFor, sanitizeName } from '../graph/layerNames.js';
import { DEFAULT_TRAINING } from '../training/settings.js';
import { diagnostic, type Diagnostic } from './diagnostics.js';
import { formatBytes, formatCount } from './numbers.js';
import { maskDiagnostics } from './masking.js';

/** What one block costs for one sample (float32). */
export interface NodeCost {
  /** Multiply-accumulates of one forward pass; null when a variable size (`None`) decides it. */
  readonly macs: number | null;
  /** Its output: elements × 4 bytes; null when a variable size decides it. */
  readonly outputBytes: number | null;
  /** Its weights: params × 4 bytes. */
  readonly weightBytes: number;
}

/** What the model costs: totals over the blocks that lead to an Output. */
export interface ModelCost {
  /** Multiply-accumulates of one forward pass for one sample (blocks with a known count). */
  readonly macs: number;
  /** False when some block's count depends on a variable size (then `macs` is a lower bound). */
  readonly macsComplete: boolean;
  readonly weightBytes: number;
  /** Every block's output for one sample (the activations a forward pass produces). */
  readonly activationBytes: number;
  /** The batch size the memory figures are for (the project's training settings, else 32). */
  readonly batchSize: number;
  /** Inference with one batch: weights + activations × batch. */
  readonly inferenceBytes: number;
  /**
   * Training with one batch, estimated as 3 × (weights + activations × batch): the forward
   * activations kept for the backward pass, their gradients, and the weights with their gradients
   * and optimizer state.
   */
  readonly trainingBytes: number;
}

/** What analysis knows about one node. */
export interface NodeAnalysis {
  readonly node: GraphNode;
  /** Undefined for an unknown block type. */
  readonly def: BlockDef | undefined;
  readonly ports: readonly PortSpec[];
  /** Incoming edge per port name. */
  readonly inputEdges: ReadonlyMap<string, GraphEdge>;
  /** Input shapes in port order (`null` when unconnected or unknown). */
  readonly inputShapes: readonly (Shape | null)[];
  /** Output shape (of the `out` port), or null when it cannot be known (an error here or upstream). */
  readonly shape: Shape | null;
  /** Output ports, `out` first (a recurrent block with `return_state` has more). */
  readonly outputs: readonly PortSpec[];
  /** Shape of each output port (null when it cannot be known); `out`'s is {@link shape}. */
  readonly outputShapes: ReadonlyMap<string, Shape | null>;
  readonly params: ParamCount;
  readonly cost: NodeCost;
  readonly diagnostics: readonly Diagnostic[];
}

/** Result of analysing a document. */
export interface GraphAnalysis {
  readonly nodes: ReadonlyMap<string, NodeAnalysis>;
  /** Every diagnostic, graph-level first, then in topological order. */
  readonly diagnostics: readonly Diagnostic[];
  /** Node ids in a deterministic topological order (document order breaks ties); cycle members excluded. */
  readonly order: readonly string[];
  /** Input and Output node ids, in document order. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Weights of the layers that lead to an Output (what the compiled model holds). */
  readonly totals: ParamCount;
  readonly cost: ModelCost;
  /** True when there is no error (warnings allowed): the graph compiles. */
  readonly valid: boolean;
}

const SINGLE_OUTPUT: readonly PortSpec[] = [{ name: DEFAULT_OUTPUT_PORT, label: 'out' }];
const ZERO: ParamCount = { trainable: 0, nonTrainable: 0 };
const NO_COST: NodeCost = { macs: 0, outputBytes: null, weightBytes: 0 };
const GIB = 1024 ** 3;
/** Above this a block's weights get LL022. */
export const WEIGHT_WARNING_BYTES = GIB;
/** Above this one batch of a block's output gets LL023. */
export const ACTIVATION_WARNING_BYTES = 2 * GIB;

/** The first value of a param past its `warnAbove`, or null. */
function pastSaneBound(spec: ParamSpec, value: unknown): number | null {
  if (spec.warnAbove === undefined) return null;
  const values = Array.isArray(value) ? value : [value];
  for (const v of values) if (typeof v === 'number' && v > spec.warnAbove) return v;
  return null;
}

/** Why a shape or count cannot be held exactly (past 2^53 or not finite), or null. */
function tooLarge(shape: Shape, count: ParamCount): string | null {
  const dim = shape.find((d) => d !== null && !Number.isSafeInteger(d));
  if (dim !== undefined) return `its output shape has a size of ${formatCount(dim ?? 0)}`;
  const elements = shapeSize(shape);
  if (elements !== null && !Number.isSafeInteger(elements)) return 'its output has more elements than can be counted exactly';
  const total = count.trainable + count.nonTrainable;
  if (!Number.isSafeInteger(total)) return 'it would hold more weights than can be counted exactly';
  return null;
}

/** Analyses a document (the memory figures use its training batch size when it has one). */
export function analyzeGraph(doc: Pick<ProjectDocument, 'nodes' | 'edges'> & { readonly training?: ProjectDocument['training'] }): GraphAnalysis {
  const graphDiagnostics: Diagnostic[] = [];
  const perNode = new Map<string, Diagnostic[]>();
  const addNodeDiag = (d: Diagnostic): void => {
    if (!d.nodeId) {
      graphDiagnostics.push(d);
      return;
    }
    const list = perNode.get(d.nodeId);
    if (list) list.push(d);
    else perNode.set(d.nodeId, [d]);
  };

  // Index nodes, ports, params.
  const index = new Map<string, number>();
  const defs = new Map<string, BlockDef | undefined>();
  const portsOf = new Map<string, readonly PortSpec[]>();
  const outPortsOf = new Map<string, readonly PortSpec[]>();
  doc.nodes.forEach((n, i) => {
    index.set(n.id, i);
    const def = getBlock(n.type);
    defs.set(n.id, def);
    outPortsOf.set(n.id, def && n.type !== OPAQUE_LAYER_TYPE ? def.outputs(n.params) : SINGLE_OUTPUT);
    if (n.type === OPAQUE_LAYER_TYPE) {
      addNodeDiag(diagnostic('LL027', opaqueMessage(n.params), { nodeId: n.id }));
      portsOf.set(n.id, opaquePorts(n.params));
      return;
    }
    if (!def) {
      addNodeDiag(diagnostic('LL015', `Unknown block type "${n.type}". Delete this block or update Layerloom.`, { nodeId: n.id }));
      portsOf.set(n.id, []);
      return;
    }
    portsOf.set(n.id, def.ports(n.params));
    for (const spec of def.params) {
      const problem = checkParamValue(spec, n.params[spec.name]);
      if (problem) {
        addNodeDiag(diagnostic('LL011', `${spec.label}: ${problem}.`, { nodeId: n.id, param: spec.name }));
        continue;
      }
      const big = pastSaneBound(spec, n.params[spec.name]);
      if (big !== null) {
        addNodeDiag(
          diagnostic('LL024', `${spec.label} is ${formatCount(big)}, far above what models use (more than ${formatCount(spec.warnAbove ?? 0)}). Check for a typo; the model may not fit in memory.`, {
            nodeId: n.id,
            param: spec.name,
          }),
        );
      }
    }
  });

  // Edges: targets, ports, one connection per port.
  const incoming = new Map<string, Map<string, GraphEdge>>();
  const outgoing = new Map<string, string[]>();
  /** Edges from an output port their source block does not have (with these params). */
  const missingSource = new Set<string>();
  for (const e of doc.edges) {
    const src = index.get(e.source);
    const dst = index.get(e.target);
    if (src === undefined || dst === undefined) {
      graphDiagnostics.push(diagnostic('LL016', `Connection ${e.id} points at a block that does not exist; delete it.`, { edgeId: e.id }));
      continue;
    }
    const ports = portsOf.get(e.target) ?? [];
    if (defs.get(e.target) && !ports.some((p) => p.name === e.targetPort)) {
      addNodeDiag(
        diagnostic('LL016', `Connection into unknown port "${e.targetPort}" (ports: ${ports.map((p) => p.name).join(', ') || 'none'}). Reconnect it.`, {
          nodeId: e.target,
          edgeId: e.id,
        }),
      );
      continue;
    }
    const outPorts = outPortsOf.get(e.source) ?? SINGLE_OUTPUT;
    const sourceNode = doc.nodes[src];
    if (defs.get(e.source) && !outPorts.some((p) => p.name === e.sourcePort)) {
      // Kept, not dropped: the wire says what the user meant; the block it feeds gets no shape
      // until the port is back or the wire moves.
      const has = outPorts.map((p) => `"${p.name}"`).join(', ');
      const fix =
        'return_state' in sourceNode.params
          ? `Turn "Return state" back on in "${sourceNode.label}", or reconnect the wire from an output it has (${has}).`
          : `Reconnect the wire from an output it has (${has}).`;
      addNodeDiag(
        diagnostic('LL016', `The wire into "${doc.nodes[dst].label}" comes from the "${e.sourcePort}" output of "${sourceNode.label}", which it no longer has. ${fix}`, {
          nodeId: e.target,
          edgeId: e.id,
        }),
      );
      missingSource.add(e.id);
    }
    let byPort = incoming.get(e.target);
    if (!byPort) incoming.set(e.target, (byPort = new Map<string, GraphEdge>()));
    if (byPort.has(e.targetPort)) {
      addNodeDiag(
        diagnostic('LL006', `Port "${e.targetPort}" has more than one connection; a port takes one. To combine tensors use Add or Concatenate.`, {
          nodeId: e.target,
          edgeId: e.id,
        }),
      );
      continue;
    }
    byPort.set(e.targetPort, e);
    const outs = outgoing.get(e.source);
    if (outs) outs.push(e.target);
    else outgoing.set(e.source, [e.target]);
  }

  // Topological order (Kahn), ties broken by document order for determinism.
  const indegree = new Map<string, number>();
  for (const n of doc.nodes) indegree.set(n.id, incoming.get(n.id)?.size ?? 0);
  const ready: number[] = [];
  doc.nodes.forEach((n, i) => {
    if (indegree.get(n.id) === 0) ready.push(i);
  });
  const order: string[] = [];
  // A binary heap keeps this O(n log n) for large graphs.
  const heap = new MinHeap(ready);
  while (heap.size > 0) {
    const i = heap.pop();
    const id = doc.nodes[i].id;
    order.push(id);
    for (const t of outgoing.get(id) ?? []) {
      const d = (indegree.get(t) ?? 0) - 1;
      indegree.set(t, d);
      if (d === 0) heap.push(index.get(t) as number);
    }
  }
  if (order.length < doc.nodes.length) {
    // Kahn's leftovers are the cycles plus everything downstream of them; only blocks on a cycle
    // (a strongly connected component with a loop) are told to break it. The rest get no shape, and
    // so no other error, until the loop is removed.
    const left = doc.nodes.filter((n) => (indegree.get(n.id) ?? 0) > 0).map((n) => n.id);
    for (const cycle of cyclesAmong(left, outgoing)) {
      const members = cycle.map((id) => doc.nodes[index.get(id) as number]);
      const names = members.slice(0, 6).map((n) => n.label).join(' → ');
      for (const n of members) {
        addNodeDiag(
          diagnostic('LL003', `This block is part of a cycle (${names}${members.length > 6 ? ' …' : ''}). A network must flow one way: remove one of the connections in the loop.`, {
            nodeId: n.id,
          }),
        );
      }
    }
  }

  // Shapes, in order.
  const shapes = new Map<string, Shape | null>();
  const portShapes = new Map<string, ReadonlyMap<string, Shape | null>>();
  const analyses = new Map<string, NodeAnalysis>();
  const counts = new Map<string, ParamCount>();
  const costs = new Map<string, NodeCost>();
  const inputShapesOf = new Map<string, (Shape | null)[]>();
  for (const id of order) {
    const node = doc.nodes[index.get(id) as number];
    const def = defs.get(id);
    const ports = portsOf.get(id) ?? [];
    const byPort = incoming.get(id);
    let upstreamUnknown = false;
    let hasParamError = (perNode.get(id) ?? []).some((d) => d.code === 'LL011' || d.code === 'LL015');
    const required = ports.filter((p) => !p.optional).length;
    const inputShapes: (Shape | null)[] = ports.map((p) => {
      const e = byPort?.get(p.name);
      if (!e) {
        if (!p.optional) {
          // Name the block: on a canvas of unconnected blocks, "Input is not connected" says nothing.
          const what = required === 1 && ports.length === 1 ? 'has no input' : `has nothing connected to its "${p.label}" input`;
          addNodeDiag(diagnostic('LL004', `${node.type} "${node.label}" ${what}. Drag a wire from the block that should feed it.`, { nodeId: id }));
          hasParamError = true;
        }
        return null;
      }
      // A state port has a shape only when its block's own output has one.
      const own = missingSource.has(e.id) ? null : shapes.get(e.source);
      const s = !own || e.sourcePort === DEFAULT_OUTPUT_PORT ? own : portShapes.get(e.source)?.get(e.sourcePort);
      if (s === null || s === undefined) upstreamUnknown = true;
      return s ?? null;
    });
    inputShapesOf.set(id, inputShapes);
    let shape: Shape | null = null;
    if (node.type === OPAQUE_LAYER_TYPE) {
      // Nothing can compute it, but the file recorded what it makes and what it holds.
      shape = opaqueOutputShape(node.params);
      const count = opaqueParamCount(node.params);
      counts.set(id, count);
      costs.set(id, { macs: null, outputBytes: shape ? (shapeSize(shape) ?? 0) * 4 : null, weightBytes: (count.trainable + count.nonTrainable) * 4 });
    } else if (def && !upstreamUnknown && !hasParamError) {
      const result = def.inferShape(inputShapes, node.params);
      for (const p of result.problems) {
        addNodeDiag(diagnostic(p.code, p.message, { nodeId: id, param: p.param, severity: p.severity }));
      }
      shape = result.shape;
      if (shape && result.outputs) portShapes.set(id, new Map(Object.entries(result.outputs)));
      if (shape) {
        const count = def.paramCount(inputShapes, node.params);
        const macs = def.macs ? def.macs(inputShapes, node.params, shape) : 0;
        const why = tooLarge(shape, count) ?? (macs !== null && !Number.isSafeInteger(macs) ? 'its multiply-accumulates cannot be counted exactly' : null);
        if (why) {
          addNodeDiag(diagnostic('LL025', `This block is too large to compute: ${why}. Make the sizes smaller (check the shape and the parameters for a typo).`, { nodeId: id }));
          shape = null;
        } else {
          counts.set(id, count);
          const elements = shapeSize(shape);
          costs.set(id, { macs, outputBytes: elements === null ? null : elements * 4, weightBytes: (count.trainable + count.nonTrainable) * 4 });
        }
      }
    }
    shapes.set(id, shape);
  }

  // Data types: token ids (int32) belong in a block that looks them up (Embedding), and such a block
  // wants token ids straight from an int32 Input.
  const isTokenInput = (n: GraphNode): boolean => defs.get(n.id)?.role === 'input' && n.params.dtype === 'int32';
  for (const n of doc.nodes) {
    const def = defs.get(n.id);
    for (const e of incoming.get(n.id)?.values() ?? []) {
      const src = doc.nodes[index.get(e.source) as number];
      if (def?.tokenIds) {
        if (!isTokenInput(src)) {
          const what = defs.get(src.id)?.role === 'input' ? `"${src.label}" has data type ${String(src.params.dtype)}` : `it is fed by "${src.label}" (computed values)`;
          addNodeDiag(
            diagnostic('LL019', `${n.type} looks up integer token ids, but ${what}. Feed it directly from an Input with data type int32.`, { nodeId: n.id }),
          );
        }
      } else if (isTokenInput(src) && def?.role !== 'output') {
        addNodeDiag(
          diagnostic('LL021', `"${src.label}" holds integer token ids (int32), which only an Embedding can use. Insert an Embedding, or set the Input's data type to float32 for numeric data.`, {
            nodeId: n.id,
          }),
        );
      }
    }
  }

  // Padding masks (Embedding mask_zero): where one is dropped or cannot be taken.
  for (const d of maskDiagnostics(order, (id) => doc.nodes[index.get(id) as number], (id) => defs.get(id), incoming, (id) => shapes.get(id) ?? null)) addNodeDiag(d);

  // Inputs/outputs and reachability.
  const inputs = doc.nodes.filter((n) => defs.get(n.id)?.role === 'input').map((n) => n.id);
  const outputs = doc.nodes.filter((n) => defs.get(n.id)?.role === 'output').map((n) => n.id);
  const unused = new Set<string>();
  if (inputs.length === 0) graphDiagnostics.push(diagnostic('LL001', 'The model has no Input block. Add one from the palette and set the shape of one sample.'));
  if (outputs.length === 0) {
    graphDiagnostics.push(diagnostic('LL002', 'The model has no Output block. Add one and connect your last layer (the prediction) to it.'));
  } else {
    const reaches = new Set<string>(outputs);
    const stack = [...outputs];
    while (stack.length) {
      const id = stack.pop() as string;
      for (const e of incoming.get(id)?.values() ?? []) {
        if (!reaches.has(e.source)) {
          reaches.add(e.source);
          stack.push(e.source);
        }
      }
    }
    for (const n of doc.nodes) {
      if (!reaches.has(n.id)) {
        unused.add(n.id);
        addNodeDiag(
          diagnostic('LL005', `"${n.label}" does not lead to any Output, so it has no effect on the model. Connect it onward or delete it.`, {
            nodeId: n.id,
          }),
        );
      }
    }
  }

  // Sizes: one block's weights, one batch of one block's output.
  const batchSize = doc.training?.batchSize ?? DEFAULT_TRAINING.batchSize;
  for (const [id, c] of costs) {
    if (c.weightBytes > WEIGHT_WARNING_BYTES) {
      addNodeDiag(
        diagnostic('LL022', `This block's weights take ${formatBytes(c.weightBytes)} (float32), more than ${formatBytes(WEIGHT_WARNING_BYTES)}: training needs about 4× that. Use fewer units/filters, or pool or stride before it.`, {
          nodeId: id,
        }),
      );
    }
    if (c.outputBytes !== null && c.outputBytes * batchSize > ACTIVATION_WARNING_BYTES) {
      addNodeDiag(
        diagnostic('LL023', `One batch of ${batchSize} of this block's output takes ${formatBytes(c.outputBytes * batchSize)}, more than ${formatBytes(ACTIVATION_WARNING_BYTES)}. Lower the batch size, or downsample (pooling, strides) before it.`, {
          nodeId: id,
        }),
      );
    }
  }

  // Layer names: two blocks whose labels give the same name get told; the export would rename one.
  const names = layerNamesFor(doc.nodes);
  const byBase = new Map<string, GraphNode[]>();
  for (const n of doc.nodes) {
    if (!names.has(n.id)) continue;
    const base = sanitizeName(n.label);
    byBase.set(base, [...(byBase.get(base) ?? []), n]);
  }
  for (const [base, same] of byBase) {
    if (same.length < 2) continue;
    for (const n of same.slice(1)) {
      addNodeDiag(
        diagnostic('LL026', `"${n.label}" has the same layer name as "${same[0].label}" (${base}); the exported code calls this one ${names.get(n.id) ?? base}. Rename one of them.`, {
          nodeId: n.id,
          param: 'label',
        }),
      );
    }
  }

  let trainable = 0;
  let nonTrainable = 0;
  let macs = 0;
  let macsComplete = true;
  let activationBytes = 0;
  const diagnostics: Diagnostic[] = [...graphDiagnostics];
  for (const n of doc.nodes) {
    const count = counts.get(n.id) ?? ZERO;
    const cost = costs.get(n.id) ?? NO_COST;
    // Like Keras, the model's totals count only layers that lead to an output.
    if (!unused.has(n.id)) {
      trainable += count.trainable;
      nonTrainable += count.nonTrainable;
      if (cost.macs === null) macsComplete = false;
      else macs += cost.macs;
      if (defs.get(n.id)?.role !== 'output') activationBytes += cost.outputBytes ?? 0;
    }
    const outPorts = outPortsOf.get(n.id) ?? SINGLE_OUTPUT;
    const own = shapes.get(n.id) ?? null;
    analyses.set(n.id, {
      node: n,
      def: defs.get(n.id),
      ports: portsOf.get(n.id) ?? [],
      outputs: outPorts,
      outputShapes: new Map(outPorts.map((p) => [p.name, p.name === DEFAULT_OUTPUT_PORT ? own : own === null ? null : (portShapes.get(n.id)?.get(p.name) ?? null)])),
      inputEdges: incoming.get(n.id) ?? new Map(),
      inputShapes: inputShapesOf.get(n.id) ?? [],
      shape: shapes.get(n.id) ?? null,
      params: count,
      cost,
      diagnostics: perNode.get(n.id) ?? [],
    });
  }
  const weightBytes = (trainable + nonTrainable) * 4;
  const inferenceBytes = weightBytes + activationBytes * batchSize;
  const orderedIds = [...order, ...doc.nodes.map((n) => n.id).filter((id) => !shapes.has(id))];
  for (const id of orderedIds) diagnostics.push(...(perNode.get(id) ?? []));
  return {
    nodes: analyses,
    diagnostics,
    order,
    inputs,
    outputs,
    totals: { trainable, nonTrainable },
    cost: { macs, macsComplete, weightBytes, activationBytes, batchSize, inferenceBytes, trainingBytes: 3 * inferenceBytes },
    valid: !diagnostics.some((d) => d.severity === 'error'),
  };
}

/**
 * The cycles among `ids`: strongly connected components (Tarjan's algorithm, iterative) that hold
 * a loop — more than one node, or one node wired into itself. Members keep the order of `ids`.
 */
function cyclesAmong(ids: readonly string[], outgoing: ReadonlyMap<string, readonly string[]>): string[][] {
  const within = new Set(ids);
  const position = new Map(ids.map((id, i) => [id, i]));
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  for (const root of ids) {
    if (indexOf.has(root)) continue;
    const work: { id: string; next: number }[] = [{ id: root, next: 0 }];
    indexOf.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const frame = work[work.length - 1];
      const targets = (outgoing.get(frame.id) ?? []).filter((t) => within.has(t));
      if (frame.next < targets.length) {
        const t = targets[frame.next++];
        if (!indexOf.has(t)) {
          indexOf.set(t, counter);
          low.set(t, counter++);
          stack.push(t);
          onStack.add(t);
          work.push({ id: t, next: 0 });
        } else if (onStack.has(t)) {
          low.set(frame.id, Math.min(low.get(frame.id) as number, indexOf.get(t) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id) as number, low.get(frame.id) as number));
      if (low.get(frame.id) !== indexOf.get(frame.id)) continue;
      const component: string[] = [];
      for (;;) {
        const id = stack.pop() as string;
        onStack.delete(id);
        component.push(id);
        if (id === frame.id) break;
      }
      const selfLoop = component.length === 1 && (outgoing.get(component[0]) ?? []).includes(component[0]);
      if (component.length > 1 || selfLoop) cycles.push(component.sort((a, b) => (position.get(a) as number) - (position.get(b) as number)));
    }
  }
  return cycles;
}

/** Minimal binary min-heap of numbers. */
class MinHeap {
  private readonly items: number[] = [];
  constructor(initial: readonly number[]) {
    for (const x of initial) this.push(x);
  }
  get size(): number {
    return this.items.length;
  }
  push(x: number): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= a[i]) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop() as number;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}
