/**
 * Ordered migrations of the project format. A file of version N passes through every migration
 * from N up to the current version, so old files open forever. Each migration is a pure function
 * of the raw JSON object and never fails silently.
 */

/** One step from `from` to `from + 1`. */
export interface Migration {
  readonly from: number;
  /** What changed, for the changelog and error messages. */
  readonly description: string;
  readonly up: (doc: Readonly<Record<string, unknown>>) => Record<string, unknown>;
}

/**
 * 1 → 2: GRU gains `reset_after`, whose default is Keras 3's `true`. Every GRU of a version-1 file
 * was built with `reset_after=False` (the only kind version 1 had), so the migration writes `false`
 * on each: a missing parameter would take the new default and change the model's weights.
 * (Format 2 also adds the optional `initialWeights` and `params.trainable`, which need no change.)
 */
const gruResetAfter: Migration = {
  from: 1,
  description: 'GRU blocks keep reset_after=False',
  up: (doc) => {
    if (!Array.isArray(doc.nodes)) return { ...doc };
    const nodes: unknown[] = doc.nodes.map((node: unknown) => {
      if (typeof node !== 'object' || node === null || Array.isArray(node)) return node;
      const n = node as Record<string, unknown>;
      if (n.type !== 'GRU') return n;
      // Params that are not an object stay as they are, for the reader to report.
      if (n.params !== undefined && (typeof n.params !== 'object' || n.params === null || Array.isArray(n.params))) return n;
      const params = n.params ?? {};
      return { ...n, params: { ...params, reset_after: false } };
    });
    return { ...doc, nodes };
  },
};

/** The migrations of this build, in order: file version N passes through each step from N on. */
export const MIGRATIONS: readonly Migration[] = [gruResetAfter];

/** Applies migrations from `from` to `to`; reports a gap instead of guessing. */
export function migrate(
  doc: Readonly<Record<string, unknown>>,
  from: number,
  to: number,
  migrations: readonly Migration[],
): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  let value: Record<string, unknown> = { ...doc };
  for (let v = from; v < to; v++) {
    const step = migrations.find((m) => m.from === v);
    if (!step) return { ok: false, error: `No migration from project format version ${v} to ${v + 1}; this file cannot be upgraded.` };
    try {
      value = { ...step.up(value), version: v + 1 };
    } catch (e) {
      return { ok: false, error: `Upgrading the project from format version ${v} failed (${step.description}): ${(e as Error).message}` };
    }
  }
  return { ok: true, value };
}
