/**
 * Compiles a project graph into a tfjs `LayersModel` with the functional API. Deterministic: the
 * same document gives the same layer names, order and structure. The `tf` namespace is passed in,
 * so the same compiler serves the training worker, the CLI and tests on any backend.
 */
import { analyzeGraph, type GraphAnalysis } from '../analysis/analyze.js';
import type { Diagnostic } from '../analysis/diagnostics.js';
import type { SymbolicTensor, TF } from '../blocks/types.js';
import type { GraphNode, ProjectDocument } from '../graph/document.js';
import { applyBlock } from './layerFactory.js';

/** Thrown when a graph with errors is compiled; carries the diagnostics. */
export class CompileError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(
      `The graph has ${diagnostics.length} error(s):\n` +
        diagnostics.map((d) => `  ${d.code}${d.nodeId ? ` [${d.nodeId}]` : ''}: ${d.message}`).join('\n'),
    );
    this.name = 'CompileError';
  }
}

/** Result of compiling. */
export interface CompiledModel {
  readonly model: ReturnType<TF['model']>;
  /** Layer name of each node (Input nodes: the input layer's name). Output nodes have none. */
  readonly layerNames: ReadonlyMap<string, string>;
  readonly analysis: GraphAnalysis;
  /** Node ids of the model's inputs and outputs, in model order. */
  readonly inputNodeIds: readonly string[];
  readonly outputNodeIds: readonly string[];
}

/**
 * A Python/JS identifier from a user label: lower-case letters, digits and `_`, starting with a
 * letter (`"Conv 1"` → `conv_1`, `"3x3"` → `layer_3x3`).
 */
export function sanitizeName(label: string): string {
  let s = label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!s) s = 'layer';
  if (!/^[a-z]/.test(s)) s = `layer_${s}`;
  return s;
}

/** Names every layer node uniquely from its label; document order decides who keeps the plain name. */
export function layerNamesFor(nodes: readonly GraphNode[]): Map<string, string> {
  const names = new Map<string, string>();
  const used = new Set<string>();
  for (const n of nodes) {
    if (n.type === 'Output') continue;
    const base = sanitizeName(n.label);
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    names.set(n.id, name);
  }
  return names;
}

/** Compiles a valid graph; throws {@link CompileError} listing the errors otherwise. */
export function compileModel(doc: Pick<ProjectDocument, 'nodes' | 'edges' | 'name'>, tf: TF): CompiledModel {
  const analysis = analyzeGraph(doc);
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new CompileError(errors);

  const layerNames = layerNamesFor(doc.nodes);
  const tensors = new Map<string, SymbolicTensor>();
  // Blocks that lead to no Output (a warning) are left out, as Keras would not build them either.
  const unused = new Set(analysis.diagnostics.filter((d) => d.code === 'LL005').map((d) => d.nodeId));
  for (const id of analysis.order) {
    const info = analysis.nodes.get(id);
    if (!info || !info.def || unused.has(id)) continue;
    const { node, def } = info;
    if (node.type === 'Output') continue;
    const name = layerNames.get(id) as string;
    if (node.type === 'Input') {
      const shape = info.shape ?? [];
      const dtype = node.params.dtype === 'int32' ? 'int32' : 'float32';
      tensors.set(id, tf.input({ shape: [...shape], dtype, name }));
      continue;
    }
    const inputs = info.ports.map((p) => {
      const e = info.inputEdges.get(p.name);
      return e ? (tensors.get(e.source) ?? null) : null;
    });
    tensors.set(id, applyBlock(tf, def, inputs, node.params, info.inputShapes, name));
  }
  const outputNodeIds = analysis.outputs;
  const outputs = outputNodeIds.map((id) => {
    const e = analysis.nodes.get(id)?.inputEdges.get('in');
    return tensors.get(e?.source ?? '') as SymbolicTensor;
  });
  const inputNodeIds = analysis.inputs.filter((id) => !unused.has(id));
  const model = tf.model({
    inputs: inputNodeIds.map((id) => tensors.get(id) as SymbolicTensor),
    outputs: outputs.length === 1 ? outputs[0] : outputs,
    name: sanitizeName(doc.name || 'model'),
  });
  return { model, layerNames, analysis, inputNodeIds, outputNodeIds };
}
