/**
 * An ONNX graph as plain data (nodes, initializers, typed inputs and outputs) and the builder the
 * block mappings write into. Nothing here encodes protobuf: the Node side turns an {@link OnnxGraph}
 * into `model.onnx` (electron/services/onnx), so this module stays pure.
 */

/** Element types Layerloom's graphs use (ONNX `TensorProto.DataType` names in lower case). */
export type OnnxElemType = 'float32' | 'int32' | 'int64' | 'bool';

/** A constant tensor: float weights, or small int64 shapes and axes. */
export interface OnnxInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: OnnxElemType;
  /** float32 values, or int32 / int64 values as numbers (int64 values are small: shapes, axes, indices). */
  readonly data: Float32Array | readonly number[];
}

/** One node attribute. */
export type OnnxAttribute =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'strings'; readonly value: readonly string[] }
  | { readonly kind: 'graph'; readonly value: OnnxSubgraph };

/** A graph attribute (a Scan body): its nodes may read any tensor of the enclosing graph. */
export interface OnnxSubgraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

/** One operator application. */
export interface OnnxNode {
  readonly opType: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, OnnxAttribute>>;
}

/** A graph input or output: name, element type and dims (`batch` and other symbolic sizes as strings; absent: any shape). */
export interface OnnxValueInfo {
  readonly name: string;
  readonly type: OnnxElemType;
  readonly dims?: readonly (number | string)[];
}

/** The whole model as data. */
export interface OnnxGraph {
  readonly name: string;
  /** The default-domain opset the model imports. */
  readonly opset: number;
  /** ONNX IR version that opset needs. */
  readonly irVersion: number;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxInitializer[];
  /** Per block type, why it was written as several ops instead of its own (README lists these). */
  readonly decompositions: ReadonlyMap<string, string>;
}

/** Attribute shorthands. */
export const attr = {
  int: (value: number): OnnxAttribute => ({ kind: 'int', value }),
  ints: (value: readonly number[]): OnnxAttribute => ({ kind: 'ints', value }),
  float: (value: number): OnnxAttribute => ({ kind: 'float', value }),
  floats: (value: readonly number[]): OnnxAttribute => ({ kind: 'floats', value }),
  string: (value: string): OnnxAttribute => ({ kind: 'string', value }),
  strings: (value: readonly string[]): OnnxAttribute => ({ kind: 'strings', value }),
  graph: (value: OnnxSubgraph): OnnxAttribute => ({ kind: 'graph', value }),
};

/**
 * Collects nodes and initializers with unique names under a prefix (the layer name), and shares
 * small int64 constants (shapes, axes) between layers.
 */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[];
  readonly decompositions: Map<string, string>;
  private readonly used: Set<string>;
  private readonly shared: Map<string, string>;

  /** A builder for a graph, or (with `parent`) for a subgraph whose constants and names it shares. */
  constructor(
    readonly opset: number,
    parent?: GraphBuilder,
  ) {
    this.initializers = parent ? parent.initializers : [];
    this.decompositions = parent ? parent.decompositions : new Map<string, string>();
    this.used = parent ? parent.used : new Set();
    this.shared = parent ? parent.shared : new Map<string, string>();
  }

  /** A name not used yet, from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Reserves a name (a graph input). */
  reserve(name: string): void {
    this.used.add(name);
  }

  /** Adds a node; returns its output names (`outputs` of them, named from `base`). */
  op(opType: string, base: string, inputs: readonly string[], attributes: Record<string, OnnxAttribute> = {}, outputs = 1): string[] {
    const outs = Array.from({ length: outputs }, (_, i) => this.fresh(outputs === 1 ? base : `${base}_${i}`));
    this.nodes.push({ opType, name: this.fresh(`${base}/${opType}`), inputs, outputs: outs, attributes });
    return outs;
  }

  /** Adds a node with one output; returns its name. */
  op1(opType: string, base: string, inputs: readonly string[], attributes: Record<string, OnnxAttribute> = {}): string {
    return this.op(opType, base, inputs, attributes, 1)[0];
  }

  /** A float32 weight initializer. */
  weight(base: string, dims: readonly number[], data: Float32Array): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims, type: 'float32', data });
    return name;
  }

  /** A shared int64 constant (1-D unless `scalar`). */
  int64(values: readonly number[], scalar = false): string {
    const key = `i64:${scalar ? 's' : 'v'}:${values.join(',')}`;
    const known = this.shared.get(key);
    if (known) return known;
    const name = this.fresh(`const_i64_${scalar ? 'scalar_' : ''}${values.map((v) => String(v).replace('-', 'm')).join('_').slice(0, 40) || 'empty'}`);
    this.initializers.push({ name, dims: scalar ? [] : [values.length], type: 'int64', data: values });
    this.shared.set(key, name);
    return name;
  }

  /** A shared float32 constant (scalar unless `dims`). */
  float(values: readonly number[], dims: readonly number[] = []): string {
    const key = `f32:${dims.join('x')}:${values.join(',')}`;
    const known = this.shared.get(key);
    if (known) return known;
    const name = this.fresh(`const_f32_${values.length === 1 ? String(values[0]).replace(/[^0-9a-z]/gi, '_') : values.length}`);
    this.initializers.push({ name, dims, type: 'float32', data: Float32Array.from(values) });
    this.shared.set(key, name);
    return name;
  }

  /** Records that a block type was decomposed, and why (once per type). */
  decomposed(blockType: string, why: string): void {
    if (!this.decompositions.has(blockType)) this.decompositions.set(blockType, why);
  }
}

/**
 * The values of an array of `shape` (row-major) with its axes permuted: the result's axis i is the
 * input's axis `perm[i]` (as numpy's `transpose`).
 */
export function transposeData(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1] * shape[i + 1];
  const strides = perm.map((p) => inStrides[p]);
  const out = new Float32Array(data.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += index[i] * strides[i];
    out[o] = data[src];
    for (let i = rank - 1; i >= 0; i--) {
      if (++index[i] < outShape[i]) break;
      index[i] = 0;
    }
  }
  return out;
}

/** Every tensor a node reads, its subgraphs' reads of the enclosing graph included. */
export function nodeReads(n: OnnxNode): string[] {
  const out = n.inputs.filter((i) => i !== '');
  for (const a of Object.values(n.attributes)) if (a.kind === 'graph') for (const inner of a.value.nodes) out.push(...nodeReads(inner));
  return out;
}

/** Removes nodes none of whose outputs reach a graph output (e.g. a transpose back to channels-last that the next conv skips). */
export function pruneDeadNodes(nodes: readonly OnnxNode[], outputs: readonly string[]): OnnxNode[] {
  const live = new Set(outputs);
  const keep: OnnxNode[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!n.outputs.some((o) => live.has(o))) continue;
    keep.push(n);
    for (const input of nodeReads(n)) live.add(input);
  }
  return keep.reverse();
}

/** The ONNX IR version an opset needs (onnx.helper's table). */
export function irVersionFor(opset: number): number {
  if (opset >= 21) return 10;
  if (opset >= 19) return 9;
  if (opset >= 15) return 8;
  return 7;
}
