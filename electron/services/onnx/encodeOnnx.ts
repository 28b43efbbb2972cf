/**
 * Encodes an {@link OnnxGraph} (plain data from shared/codegen/onnx) as ONNX protobuf with
 * protobufjs and ONNX's own schema (onnxSchema.ts). Weights go into the model as `raw_data`
 * (little-endian), or, when they add up to more than a threshold, into one external data file
 * beside it (ONNX's external data format: location, offset, length per tensor), as protobuf cannot
 * hold a message over 2 GiB.
 */
import protobuf from 'protobufjs';
import type { OnnxAttribute, OnnxElemType, OnnxGraph, OnnxInitializer, OnnxNode, OnnxValueInfo } from '../../../shared/codegen/onnx/index.js';
import { ONNX_PROTO } from './onnxSchema.js';

const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');

/** `TensorProto.DataType` numbers. */
const DATA_TYPE: Readonly<Record<OnnxElemType, number>> = { float32: 1, int32: 6, int64: 7, bool: 9 };
/** `AttributeProto.AttributeType` numbers. */
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, graph: 5, floats: 6, ints: 7, strings: 8 } as const;

/** Weights above this many bytes in all go to an external data file (1 GiB; protobuf's limit is 2 GiB). */
export const DEFAULT_EXTERNAL_DATA_ABOVE = 1 << 30;
/** Tensors smaller than this stay inside model.onnx even with external data (as onnx's own saver does). */
const EXTERNAL_MIN_TENSOR = 1024;

/** The encoded model, and the external data file's bytes when there is one. */
export interface EncodedOnnx {
  readonly model: Uint8Array;
  readonly externalData: Uint8Array | null;
}

function rawBytes(t: OnnxInitializer): Uint8Array {
  if (t.data instanceof Float32Array) {
    const bytes = new Uint8Array(t.data.byteLength);
    const view = new DataView(bytes.buffer);
    t.data.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return bytes;
  }
  const values = t.data;
  const width = t.type === 'int64' ? 8 : t.type === 'bool' ? 1 : 4;
  const bytes = new Uint8Array(values.length * width);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => {
    if (t.type === 'int64') view.setBigInt64(i * 8, BigInt(v), true);
    else if (t.type === 'bool') view.setUint8(i, v ? 1 : 0);
    else view.setInt32(i * 4, v, true);
  });
  return bytes;
}

function attribute(name: string, a: OnnxAttribute): Record<string, unknown> {
  const type = ATTRIBUTE_TYPE[a.kind];
  switch (a.kind) {
    case 'int':
      return { name, type, i: a.value };
    case 'ints':
      return { name, type, ints: [...a.value] };
    case 'float':
      return { name, type, f: a.value };
    case 'floats':
      return { name, type, floats: [...a.value] };
    case 'string':
      return { name, type, s: Buffer.from(a.value, 'utf8') };
    case 'strings':
      return { name, type, strings: a.value.map((s) => Buffer.from(s, 'utf8')) };
    case 'graph':
      return { name, type, g: { name: a.value.name, node: a.value.nodes.map(nodeProto), input: a.value.inputs.map(valueInfo), output: a.value.outputs.map(valueInfo) } };
  }
}

function nodeProto(n: OnnxNode): Record<string, unknown> {
  return {
    name: n.name,
    op_type: n.opType,
    input: [...n.inputs],
    output: [...n.outputs],
    attribute: Object.entries(n.attributes).map(([k, a]) => attribute(k, a)),
  };
}

function valueInfo(v: OnnxValueInfo): Record<string, unknown> {
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: DATA_TYPE[v.type],
        ...(v.dims ? { shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } : {}),
      },
    },
  };
}

/**
 * Encodes the graph. When the initializers hold more than `externalDataAbove` bytes, every tensor of
 * 1 KiB or more is stored in `externalFile` (a name relative to model.onnx) instead.
 */
export function encodeOnnx(graph: OnnxGraph, options: { readonly externalDataAbove?: number; readonly externalFile: string }): EncodedOnnx {
  const tensors = graph.initializers.map((t) => ({ t, bytes: rawBytes(t) }));
  const total = tensors.reduce((a, x) => a + x.bytes.byteLength, 0);
  const external = total > (options.externalDataAbove ?? DEFAULT_EXTERNAL_DATA_ABOVE);
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const initializer = tensors.map(({ t, bytes }) => {
    const base = { name: t.name, dims: [...t.dims], data_type: DATA_TYPE[t.type] };
    if (!external || bytes.byteLength < EXTERNAL_MIN_TENSOR) return { ...base, raw_data: bytes };
    // Each tensor starts on a 64-byte boundary, so a runtime may map the file and read it in place.
    const pad = (64 - (offset % 64)) % 64;
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    chunks.push(bytes);
    const entry = {
      ...base,
      data_location: 1,
      external_data: [
        { key: 'location', value: options.externalFile },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(bytes.byteLength) },
      ],
    };
    offset += bytes.byteLength;
    return entry;
  });
  const model = {
    ir_version: graph.irVersion,
    producer_name: 'Layerloom',
    opset_import: [{ domain: '', version: graph.opset }],
    graph: {
      name: graph.name,
      node: graph.nodes.map(nodeProto),
      initializer,
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    },
  };
  const message = ModelProto.fromObject(model);
  const encoded = ModelProto.encode(message).finish();
  let externalData: Uint8Array | null = null;
  if (external) {
    externalData = new Uint8Array(offset);
    let at = 0;
    for (const c of chunks) {
      externalData.set(c, at);
      at += c.byteLength;
    }
  }
  return { model: encoded, externalData };
}
