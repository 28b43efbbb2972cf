/**
 * The model an explain worker loaded last, kept for its next request: compiling the graph and
 * reading the weights is paid once per run, not once per sample. Kept in its own module so that a
 * training worker does not load the explain service (and its image encoder) to create one.
 */
import type { ExplainModel } from './explainService.js';

/** One kept model, keyed by what it was built from (graph and weight files). */
export class ExplainModelCache {
  private entry: { key: string; model: Promise<ExplainModel> } | null = null;

  /**
   * The kept model when `key` is the one it was loaded for; otherwise `load()`s a new one and
   * disposes the previous one. A failed load is not kept.
   */
  async get(key: string, load: () => Promise<ExplainModel>): Promise<ExplainModel> {
    if (this.entry?.key === key) return this.entry.model;
    const previous = this.entry;
    const model = load();
    this.entry = { key, model };
    void previous?.model.then((m) => m.model.dispose(), () => undefined);
    try {
      return await model;
    } catch (e) {
      if (this.entry?.model === model) this.entry = null;
      throw e;
    }
  }
}
