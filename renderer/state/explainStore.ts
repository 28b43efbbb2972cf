/**
 * What the Explain panel shows: the input (a dataset sample, a dropped file or typed text), the
 * class to explain (null: the predicted one), SmoothGrad, and the block to open (set by "Explain
 * this block" on the canvas).
 */
import { create } from 'zustand';
import type { ExplainResult, ExplainUpload } from '../../shared/explain/protocol.js';
import { editor } from '../app/session.js';

/** The Explain panel's choices. */
export interface ExplainState {
  /** The project file these choices belong to (another project starts afresh). */
  readonly project: string | null;
  /** Absolute path of the dataset sample explained (null when a file or text is). */
  readonly sample: string | null;
  /** A dropped or opened file explained; `id` tells two drops of the same name apart. */
  readonly upload: (ExplainUpload & { readonly id: number }) | null;
  /** Text typed into the panel and explained (text models). */
  readonly text: string | null;
  readonly classIndex: number | null;
  /** SmoothGrad's noisy copies for saliency; 0: plain saliency. */
  readonly smoothGrad: number;
  /** A block id (canvas node) whose output to show. */
  readonly focusBlock: string | null;
  /** The run whose weights explain: best, latest or a run id. */
  readonly run: string;
  /** The last explanation and what it was asked for, so reopening the panel does not recompute it. */
  readonly result: ExplainResult | null;
  readonly resultKey: string | null;
}

/** The store. */
export const useExplain = create<ExplainState>(() => ({ ...fresh(null), smoothGrad: 0 }));

function fresh(project: string | null): Omit<ExplainState, 'smoothGrad'> {
  return { project, sample: null, upload: null, text: null, classIndex: null, focusBlock: null, run: 'best', result: null, resultKey: null };
}

/** Forgets the choices of another project (its samples and runs mean nothing in this one). */
export function explainProject(project: string | null): void {
  if (useExplain.getState().project !== project) useExplain.setState(fresh(project));
}

/** Explains a dataset sample (instead of a dropped file or typed text). */
export function explainSample(path: string, more: Partial<Pick<ExplainState, 'classIndex' | 'run'>> = {}): void {
  useExplain.setState({ project: editor.store.getState().path, sample: path, upload: null, text: null, ...more });
}
