/**
 * Autosave and crash recovery. The editor writes its unsaved document here every few seconds while
 * it is dirty; a save or a clean close deletes the entry. Entries still present at the next start
 * are work that would otherwise be lost, and the editor offers to restore them.
 *
 * Entries are written atomically (temp + fsync + rename), so a crash during an autosave leaves the
 * previous autosave intact; writes of one entry run in call order, so the newest autosave wins.
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { parseProject, serializeProject } from '../../shared/graph/serialization.js';
import type { RecoveryEntry, RecoveryWrite } from '../../shared/api/types.js';
import { writeFileAtomic } from './projectService.js';

const SUFFIX = '.recovery.json';
/** Keys become file names; the API validates them, this guards direct callers too. */
const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

interface StoredEntry {
  readonly key: string;
  readonly path: string | null;
  readonly savedAt: string;
  /** The document as project-file text, so reading it back goes through the same validation. */
  readonly project: string;
}

/** The recovery folder of one user. */
export class RecoveryService {
  constructor(readonly dir: string) {}

  private file(key: string): string {
    if (!SAFE_KEY.test(key)) throw new Error(`Invalid recovery key "${key}": use letters, digits, ".", "_" or "-".`);
    return join(this.dir, `${key}${SUFFIX}`);
  }

  /** Writes (replaces) the autosave of one editor session. */
  async write(entry: RecoveryWrite, now: Date = new Date()): Promise<void> {
    const stored: StoredEntry = { key: entry.key, path: entry.path, savedAt: now.toISOString(), project: serializeProject(entry.doc) };
    await writeFileAtomic(this.file(entry.key), JSON.stringify(stored) + '\n', { createFolder: true });
  }

  /** Every readable entry, newest first. Unreadable files are skipped (and left for inspection). */
  async list(): Promise<RecoveryEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const entries: RecoveryEntry[] = [];
    for (const name of names) {
      if (!name.endsWith(SUFFIX)) continue;
      try {
        const stored = JSON.parse(await readFile(join(this.dir, name), 'utf8')) as Partial<StoredEntry>;
        if (typeof stored.key !== 'string' || typeof stored.project !== 'string' || typeof stored.savedAt !== 'string') continue;
        const parsed = parseProject(stored.project);
        if (!parsed.ok) continue;
        entries.push({
          key: stored.key,
          path: typeof stored.path === 'string' ? stored.path : null,
          name: parsed.doc.name,
          savedAt: stored.savedAt,
          doc: parsed.doc,
        });
      } catch {
        // A half-written or foreign file: not recoverable, not worth failing the list for.
      }
    }
    return entries.sort((a, b) => b.savedAt.localeCompare(a.savedAt));
  }

  /** Deletes an entry; deleting a missing entry is fine. */
  async discard(key: string): Promise<void> {
    await unlink(this.file(key)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}
