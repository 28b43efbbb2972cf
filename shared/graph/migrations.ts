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
 * The migrations of this build, in order. Version 1 is the first released format, so the list is
 * empty; the next format change appends `{ from: 1, ... }`.
 */
export const MIGRATIONS: readonly Migration[] = [];

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
