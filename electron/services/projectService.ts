/**
 * Project files on disk: read with full validation, write atomically (temp file, fsync, rename) so
 * a crash or kill during save never leaves a half-written project. {@link writeFileAtomic} is the
 * one writer of every file the app replaces (projects, recent list, recovery, run state).
 */
import { randomBytes } from 'node:crypto';
import { cp, lstat, mkdir, open, readdir, readFile, readlink, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseProject, serializeProject } from '../../shared/graph/serialization.js';
import type { ProjectDocument } from '../../shared/graph/document.js';
import { errnoOf, processAlive } from './osUtil.js';

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
    // A folder or a device is refused before it is opened: reading a FIFO would block forever.
    const info = await stat(path);
    if (info.isDirectory()) throw new ProjectFileError(path, ['this is a folder, not a project file: name the .layerloom file inside it.']);
    if (!info.isFile()) throw new ProjectFileError(path, ['this is not a regular file (a device, pipe or socket): name a .layerloom file.']);
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof ProjectFileError) throw e;
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOENT' ? 'the file does not exist' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'this is a folder, not a project file' : err.message;
    throw new ProjectFileError(path, [why]);
  }
  const result = parseProject(text);
  if (!result.ok) throw new ProjectFileError(path, result.errors);
  return result.migratedFrom === undefined ? { doc: result.doc } : { doc: result.doc, migratedFrom: result.migratedFrom };
}

/** A temp file of {@link writeFileAtomic}: `.<name>.<pid>.<random>.tmp` beside its target. */
const TEMP_NAME = /^\.(.+)\.(\d+)\.([0-9a-z]+)\.tmp$/;
/** A temp file whose process is alive is removed only once it is this old (ms). */
export const STALE_TEMP_AGE_MS = 10 * 60_000;

/** One queue per path: saves of one file in this process run one after another, in call order. */
const queues = new Map<string, Promise<unknown>>();

/** Why a write failed, in words, for a message that names the target (not the temp file). */
function reason(e: unknown): string {
  switch (errnoOf(e)) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
      return 'the disk is full';
    case 'EDQUOT':
      return 'the disk quota is used up';
    case 'EROFS':
      return 'the file system is read-only';
    case 'EISDIR':
      return 'it is a folder';
    default:
      return (e as Error).message;
  }
}

/** The path a save of `path` must replace: the final target of a symlink (even a dangling one). */
async function realTarget(path: string): Promise<string> {
  let at = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    const info = await lstat(at).catch(() => null);
    if (!info?.isSymbolicLink()) return at;
    at = resolve(dirname(at), await readlink(at));
  }
  throw new Error(`Cannot save ${path}: too many symbolic links.`);
}

/**
 * Removes the temp files of `target` that a killed save left behind: those whose process is dead,
 * and any older than {@link STALE_TEMP_AGE_MS} (a pid may have been reused). Only names of this
 * writer's scheme for this very file are touched.
 */
async function removeStaleTemps(target: string): Promise<void> {
  const dir = dirname(target);
  const name = basename(target);
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries) {
    const m = TEMP_NAME.exec(entry);
    if (!m || m[1] !== name) continue;
    const file = join(dir, entry);
    const info = await lstat(file).catch(() => null);
    if (!info?.isFile()) continue;
    if (processAlive(Number(m[2])) && Date.now() - info.mtimeMs < STALE_TEMP_AGE_MS) continue;
    await unlink(file).catch(() => undefined);
  }
}

async function writeNow(path: string, target: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(target);
  const dirInfo = await stat(dir).catch((e: unknown) => {
    if (errnoOf(e) === 'ENOENT') throw new Error(`Cannot save ${path}: the folder ${dir} does not exist. Create it first or choose another folder.`);
    if (errnoOf(e) === 'ENOTDIR') return null;
    throw new Error(`Cannot save ${path}: ${reason(e)}.`, { cause: e });
  });
  if (!dirInfo?.isDirectory()) {
    // Name the part of the path that is a file.
    let at = dir;
    while (dirname(at) !== at && !(await stat(at).then((s) => s.isFile(), () => false))) at = dirname(at);
    throw new Error(`Cannot save ${path}: ${at} is a file, not a folder.`);
  }
  const existing = await stat(target).catch(() => null);
  if (existing?.isDirectory()) throw new Error(`Cannot save ${path}: it is a folder.`);
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx', existing ? existing.mode & 0o7777 : 0o666);
    try {
      await handle.writeFile(data);
      if (existing) {
        // open() applies the umask; keep the mode (and, when allowed, the owner) of the file replaced.
        await handle.chmod(existing.mode & 0o7777);
        if (process.getuid?.() === 0) await handle.chown(existing.uid, existing.gid).catch(() => undefined);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new Error(`Cannot save ${path}: ${reason(e)}.`, { cause: e });
  }
  const dirHandle = await open(dir, 'r').catch(() => null);
  if (dirHandle) {
    await dirHandle.sync().catch(() => undefined);
    await dirHandle.close();
  }
  await removeStaleTemps(target);
}

/** Options of {@link writeFileAtomic}. */
export interface WriteOptions {
  /** Create the file's folder (and its parents) when missing, instead of failing. */
  readonly createFolder?: boolean;
}

/**
 * Writes a file atomically: a temp file with a unique name (`.<name>.<pid>.<random>.tmp`) beside the
 * target is written and fsynced, then renamed over the target (and the folder fsynced), so readers
 * see either the old or the new file, never a mix, and the old file's data is never overwritten in
 * place. Saves of one path in this process are queued, so the last call's contents win. A symlink
 * keeps pointing where it did (its target is replaced) and the replaced file's mode is kept. Errors
 * name `path`, never the temp file.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
  // Queued by the path as given, synchronously, so the order of calls is the order of writes.
  const key = resolve(path);
  const write = async (): Promise<void> => {
    if (options.createFolder) await mkdir(dirname(key), { recursive: true });
    await writeNow(path, await realTarget(key), data);
  };
  const previous = queues.get(key) ?? Promise.resolve();
  const mine = previous.then(write, write);
  queues.set(key, mine);
  try {
    await mine;
  } finally {
    if (queues.get(key) === mine) queues.delete(key);
  }
}

/**
 * Save As of a project with imported weights: copies its weights folder (`from`) to where
 * `doc.initialWeights` points beside the new project file. The copy goes to a temporary folder
 * first and is renamed into place, so a failed copy leaves no half folder; a folder already there
 * (the weights of the project file being replaced) is swapped out only once the copy is complete.
 */
export async function copyInitialWeights(from: string, projectPath: string, doc: ProjectDocument): Promise<void> {
  if (!doc.initialWeights) return;
  const to = resolve(dirname(projectPath), doc.initialWeights);
  if (resolve(from) === to) return;
  const info = await stat(join(from, 'model.json')).catch(() => null);
  if (!info?.isFile()) {
    throw new Error(`The project's imported weights are missing: ${from} has no model.json. Import the model again, or remove initialWeights to start from seeded weights.`);
  }
  const staging = `${to}.saving-${process.pid}-${Date.now()}`;
  await cp(from, staging, { recursive: true, errorOnExist: true, force: false });
  const aside = `${to}.old-${process.pid}-${Date.now()}`;
  const had = await rename(to, aside).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false;
      throw e;
    },
  );
  try {
    await rename(staging, to);
  } catch (e) {
    if (had) await rename(aside, to).catch(() => undefined);
    await rm(staging, { recursive: true, force: true });
    throw e;
  }
  if (had) await rm(aside, { recursive: true, force: true });
}

/** Saves a project atomically. */
export async function saveProjectFile(path: string, doc: ProjectDocument): Promise<void> {
  await writeFileAtomic(path, serializeProject(doc));
}
