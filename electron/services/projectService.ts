/**
 * Project files on disk: read with full validation, write atomically (temp file, fsync, rename) so
 * a crash or kill during save never leaves a half-written project.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseProject, serializeProject } from '../../shared/graph/serialization.js';
import type { ProjectDocument } from '../../shared/graph/document.js';

/** A project file that could not be opened; `problems` are the file's own errors, one per line. */
export class ProjectFileError extends Error {
  constructor(
    readonly path: string,
    readonly problems: readonly string[],
  ) {
    super(`Cannot open ${path}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ProjectFileError';
  }
}

/** Reads and validates a project file (migrating older formats in memory; the file is untouched). */
export async function loadProjectFile(path: string): Promise<{ doc: ProjectDocument; migratedFrom?: number }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'the file does not exist' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new ProjectFileError(path, [why]);
  }
  const result = parseProject(text);
  if (!result.ok) throw new ProjectFileError(path, result.errors);
  return result.migratedFrom === undefined ? { doc: result.doc } : { doc: result.doc, migratedFrom: result.migratedFrom };
}

/**
 * Writes text atomically: a temp file beside the target is written and fsynced, then renamed over
 * the target (and the folder fsynced), so readers see either the old or the new file, never a mix.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  const dir = await open(dirname(path), 'r').catch(() => null);
  if (dir) {
    await dir.sync().catch(() => undefined);
    await dir.close();
  }
}

/** Saves a project atomically. */
export async function saveProjectFile(path: string, doc: ProjectDocument): Promise<void> {
  await writeFileAtomic(path, serializeProject(doc));
}
