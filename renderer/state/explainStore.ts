/**
 * What the Explain panel shows: the sample, the class to explain (null: the predicted one) and the
 * block to open (set by "Explain this block" on the canvas).
 */
import { create } from 'zustand';
import type { ExplainResult } from '../../shared/explain/protocol.js';

/** The Explain panel's choices. */
export interface ExplainState {
  /** Absolute path of the dataset image explained. */
  readonly sample: string | null;
  readonly classIndex: number | null;
  /** A block id (canvas node) whose output to show. */
  readonly focusBlock: string | null;
  /** The run whose weights explain: best, latest or a run id. */
  readonly run: string;
  /** The last explanation and what it was asked for, so reopening the panel does not recompute it. */
  readonly result: ExplainResult | null;
  readonly resultKey: string | null;
}

/** The store. */
export const useExplain = create<ExplainState>(() => ({ sample: null, classIndex: null, focusBlock: null, run: 'best', result: null, resultKey: null }));
