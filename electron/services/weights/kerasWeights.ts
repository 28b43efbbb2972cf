/**
 * A compiled tfjs model's weights as Keras sees them: the arrays of `model.get_weights()` of the
 * exported Keras model, in that order. Layerloom's blocks keep Keras's layout per layer (kernel
 * shapes, LSTM/GRU gate order, Bidirectional forward-then-backward, BatchNormalization's moving
 * statistics, attention's (d, heads, size) kernels), so only the layer order needs care: it is the
 * order of the Keras functional model's layers (see kerasLayerOrder).
 */
import type * as tfjs from '@tensorflow/tfjs';
import { kerasLayerOrder, type ModelPlan } from '../../../shared/codegen/plan.js';
import type { NpzEntry } from './npz.js';

/** The model's weights as named .npz entries in Keras `get_weights()` order (`dense/kernel`, ...). */
export function kerasWeightEntries(model: tfjs.LayersModel, plan: ModelPlan): NpzEntry[] {
  const entries: NpzEntry[] = [];
  for (const name of kerasLayerOrder(plan)) {
    const layer = model.getLayer(name);
    for (const w of layer.weights) {
      const value = w.read();
      const data = value.dataSync();
      const dtype = value.dtype === 'int32' ? 'int32' : 'float32';
      entries.push({
        // Names only label the arrays (load_weights goes by order); keep them readable and unique.
        name: w.originalName.startsWith(`${name}/`) ? w.originalName : `${name}/${w.originalName}`,
        array: { shape: value.shape, dtype, data: dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data) },
      });
    }
  }
  return entries;
}
