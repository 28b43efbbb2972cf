/**
 * The file size of a model's weights in each export format, so the trade-off is visible before
 * exporting (docs/analyzer.md, "Export sizes"). The TensorFlow.js sizes are exact (weights.bin is
 * the weights and nothing else); the TFLite size is an estimate measured against TensorFlow 2.21's
 * converter.
 */
import type { GraphAnalysis } from './analyze.js';

/** Weight bytes per format. */
export interface ExportSizes {
  /** TensorFlow.js weights.bin, float32 (also the Keras weights.npz payload). */
  readonly float32: number;
  /** TensorFlow.js weights.bin with `--quantize float16`. */
  readonly float16: number;
  /** TensorFlow.js weights.bin with `--quantize uint8`. */
  readonly uint8: number;
  /** model.tflite with dynamic-range quantization, estimated. */
  readonly tfliteDynamic: number;
}

/**
 * TFLite's dynamic-range quantization stores weight tensors of at least 1024 elements as int8 and
 * keeps smaller ones float32; the flatbuffer adds the graph: 3.5 KB (float32) to 6.5 KB
 * (dynamic, with its extra quantization parameters) for the mnist example. Blocks stand in for their
 * tensors here (a kernel dominates its block's weights).
 */
const TFLITE_DYNAMIC_MIN_ELEMENTS = 1024;
const TFLITE_GRAPH_BYTES = 6 * 1024;

/** Weight file sizes of the layers that lead to an Output, per format. */
export function exportSizes(analysis: GraphAnalysis): ExportSizes {
  const params = analysis.totals.trainable + analysis.totals.nonTrainable;
  let dynamic = 0;
  for (const n of analysis.nodes.values()) {
    const p = n.cost.weightBytes / 4;
    dynamic += p >= TFLITE_DYNAMIC_MIN_ELEMENTS ? p : 4 * p;
  }
  return { float32: 4 * params, float16: 2 * params, uint8: params, tfliteDynamic: (params ? dynamic : 0) + TFLITE_GRAPH_BYTES };
}
