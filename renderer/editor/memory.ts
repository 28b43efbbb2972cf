/**
 * Rough model memory for the status bar: weights in float32, and a training estimate with Adam
 * (weights + gradients + two moment slots) plus activations kept for the backward pass.
 */
import type { GraphAnalysis } from '../../shared/analysis/analyze.js';
import { shapeSize } from '../../shared/blocks/shapeUtils.js';

/** Memory estimate in bytes. */
export interface MemoryEstimate {
  readonly weightBytes: number;
  /** For one training step at `batchSize`. */
  readonly trainingBytes: number;
  readonly batchSize: number;
}

const FLOAT32 = 4;

/** Estimates memory from an analysis. Variable dims count as 1 (a lower bound). */
export function estimateMemory(analysis: GraphAnalysis, batchSize: number): MemoryEstimate {
  const params = analysis.totals.trainable + analysis.totals.nonTrainable;
  const weightBytes = params * FLOAT32;
  let activations = 0;
  for (const info of analysis.nodes.values()) {
    if (!info.shape) continue;
    activations += shapeSize(info.shape.map((d) => d ?? 1)) ?? 0;
  }
  // Forward activations and their gradients.
  const trainingBytes = weightBytes * 4 + activations * FLOAT32 * 2 * batchSize;
  return { weightBytes, trainingBytes, batchSize };
}
