/**
 * The recent-projects list, kept in the user's state folder as JSON. Entries whose file has gone
 * are dropped when the list is read.
 */
import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import type { RecentProject } from '../../shared/api/types.js';
import { writeFileAtomic } from './projectService.js';

/** How many projects the list keeps. */
export const MAX_RECENT = 12;

/**
 * Updates in flight per list file. An update reads, edits and writes the list, so two at once would
 * each drop the other's entry; they run one after another instead: in this process through this
 * map, and across processes (the desktop app, a browser host and the CLI share one state folder)
 * under a lock folder `recent.json.lock` (proper-lockfile: mkdir is atomic, a lock left by a killed
 * process goes stale after 10 s).
 */
const updates = new Map<string, Promise<unknown>>();

/** How long an update waits for another process's lock before it gives up (about 8 s in all). */
const LOCK_RETRIES = { retries: 40, factor: 1.2, minTimeout: 10, maxTimeout: 400 };

/** Recent projects of one user. */
export class RecentService {
  private readonly file: string;

  constructor(readonly dir: string) {
    this.file = join(dir, 'recent.json');
  }

  private async read(): Promise<RecentProject[]> {
    try {
      const raw = JSON.parse(await readFile(this.file, 'utf8')) as unknown;
      if (!Array.isArray(raw)) return [];
      return (raw as unknown[]).filter((r): r is RecentProject => {
        const o = r as Partial<Record<keyof RecentProject, unknown>> | null;
        return typeof o === 'object' && o !== null && typeof o.path === 'string' && typeof o.name === 'string' && typeof o.openedAt === 'string';
      });
    } catch {
      return [];
    }
  }

  /** Newest first; only files that still exist. */
  async list(): Promise<RecentProject[]> {
    const all = await this.read();
    const present: RecentProject[] = [];
    for (const r of all) {
      if (await access(r.path).then(() => true, () => false)) present.push(r);
    }
    return present;
  }

  /** Moves (or adds) a project to the top of the list. */
  async add(path: string, name: string, now: Date = new Date()): Promise<void> {
    const update = async (): Promise<void> => {
      await mkdir(this.dir, { recursive: true });
      const release = await lockfile.lock(this.file, { realpath: false, stale: 10_000, retries: LOCK_RETRIES });
      try {
        const list = (await this.read()).filter((r) => r.path !== path);
        list.unshift({ path, name, openedAt: now.toISOString() });
        await writeFileAtomic(this.file, JSON.stringify(list.slice(0, MAX_RECENT), null, 2) + '\n');
      } finally {
        await release();
      }
    };
    const previous = updates.get(this.file) ?? Promise.resolve();
    const mine = previous.then(update, update);
    updates.set(this.file, mine);
    try {
      await mine;
    } finally {
      if (updates.get(this.file) === mine) updates.delete(this.file);
    }
  }
}
