/**
 * An imported Keras layer Layerloom cannot represent (a custom class, a `Lambda`, an option no block
 * has), kept as an opaque block when the user asks for it (`layerloom import --allow-unsupported`,
 * the import dialog's "Keep unsupported layers"). It is not a catalog block: nothing can build,
 * train or export it, so analysis reports it as an error on the node (LL027) naming its class, while
 * its wires, output shape, weight count, Keras config and weights are kept, unchanged through save
 * and reopen, so the user can replace it with blocks that compute the same.
 */
import type { ParamCount, Params, ParamValue, PortSpec, Shape } from '../blocks/types.js';

/** The node type of an opaque imported layer. */
export const OPAQUE_LAYER_TYPE = 'UnsupportedKerasLayer';

/** One weight of an opaque layer, as the model file held it. */
export interface OpaqueWeight {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** What an opaque block is made from. */
export interface OpaqueLayer {
  /** The class as the user knows it: the registered name of a custom class (`Acme>Scale`), else the Keras class. */
  readonly kerasClass: string;
  /** The layer's whole entry in the model config (module, class_name, config, registered_name, ...), without its wiring. */
  readonly entry: unknown;
  /** Why Layerloom cannot represent it. */
  readonly reason: string;
  readonly inputs: number;
  /** Its output shape per sample when the file records it (Keras 3 configs do, in the calls that read it). */
  readonly outputShape: Shape | null;
  /** Whether Keras trains its weights (`trainable` in its config). */
  readonly trainable: boolean;
  readonly weights: readonly OpaqueWeight[];
}

/** The params of an opaque block (all plain values, so the project file keeps them as they are). */
export function opaqueParams(layer: OpaqueLayer): Params {
  const params: Record<string, ParamValue> = {
    keras_class: layer.kerasClass,
    reason: layer.reason,
    inputs: layer.inputs,
    output_shape: layer.outputShape,
    trainable: layer.trainable,
    keras_config: JSON.stringify(layer.entry),
    // Float32 values written as JSON numbers read back bit for bit.
    weights: JSON.stringify(layer.weights.map((w) => ({ shape: w.shape, values: Array.from(w.data) }))),
  };
  return params;
}

function isShape(v: ParamValue | undefined): v is Shape {
  return Array.isArray(v) && v.every((d) => d === null || (typeof d === 'number' && Number.isInteger(d) && d > 0));
}

/** The weights an opaque block keeps (empty when its params hold none or are damaged). */
export function opaqueWeights(params: Params): OpaqueWeight[] {
  try {
    const list = JSON.parse(typeof params.weights === 'string' && params.weights ? params.weights : '[]') as unknown;
    if (!Array.isArray(list)) return [];
    return list.flatMap((w: unknown) => {
      const o = w as { shape?: unknown; values?: unknown };
      return Array.isArray(o.shape) && Array.isArray(o.values) ? [{ shape: o.shape as number[], data: Float32Array.from(o.values as number[]) }] : [];
    });
  } catch {
    return [];
  }
}

/** Its input ports: one per tensor the layer was called on. */
export function opaquePorts(params: Params): PortSpec[] {
  const n = typeof params.inputs === 'number' && params.inputs > 0 ? Math.floor(params.inputs) : 1;
  return Array.from({ length: n }, (_, i) => ({ name: n === 1 ? 'in' : `in${i}`, label: n === 1 ? 'Input' : `Input ${i + 1}` }));
}

/** Its output shape as the file recorded it, or null. */
export function opaqueOutputShape(params: Params): Shape | null {
  return isShape(params.output_shape) ? params.output_shape : null;
}

/** Keras's count of its weights: all trainable unless the layer is frozen. */
export function opaqueParamCount(params: Params): ParamCount {
  const n = opaqueWeights(params).reduce((a, w) => a + w.shape.reduce((p, d) => p * d, 1), 0);
  return params.trainable === false ? { trainable: 0, nonTrainable: n } : { trainable: n, nonTrainable: 0 };
}

/** The error shown on the node, which training and every export repeat. */
export function opaqueMessage(params: Params): string {
  const cls = typeof params.keras_class === 'string' ? params.keras_class : '?';
  const why = typeof params.reason === 'string' && params.reason ? ` (${params.reason})` : '';
  return `unsupported: ${cls}${why}. Layerloom cannot build, train or export this layer; its Keras config and weights are kept in the project. Replace it with blocks that compute the same, or delete it.`;
}
