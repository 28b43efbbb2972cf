/**
 * Folder listings for the browser host's file browser (Electron uses native dialogs instead).
 * Plain Node: reads one folder with a streaming `opendir`, so a folder of a million files costs one
 * pass and a bounded answer (the first `limit` matching entries, with the total counted and the
 * cut said plainly). Every failure a person can cause becomes an `ApiError` that names the path.
 */
import type { Dir } from 'node:fs';
import { opendir, mkdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, parse, resolve, sep } from 'node:path';
import { ApiError } from '../../shared/api/errors.js';
import type { FolderEntry, FolderEntryKind, FolderListing } from '../../shared/api/types.js';

/** Most entries one listing returns (a person scrolls no further; they type the path). */
export const FOLDER_LISTING_LIMIT = 2000;

/** Entries stat'ed at once for sizes and dates. */
const STAT_BATCH = 64;

function fsError(e: unknown, path: string, doing: string): ApiError {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return new ApiError('not-found', `The folder ${path} does not exist. Check the path, or pick a folder above it.`);
  if (code === 'ENOTDIR') return new ApiError('invalid-argument', `${path} is a file, not a folder. Give the folder that holds it.`);
  if (code === 'EACCES' || code === 'EPERM') return new ApiError('failed', `Permission denied: cannot ${doing} ${path}. Choose a folder your user can read and write.`);
  if (code === 'EEXIST') return new ApiError('failed', `${path} already exists. Choose another name.`);
  if (code === 'ELOOP') return new ApiError('failed', `${path} is a loop of symbolic links; it leads to no folder.`);
  if (code === 'ENAMETOOLONG') return new ApiError('invalid-argument', `The path ${path} is too long for this system.`);
  return new ApiError('failed', `Cannot ${doing} ${path}: ${(e as Error)?.message ?? String(e)}`);
}

/** Folders first, then by name, numbers in names compared as numbers (`run2` before `run10`). */
function byKindThenName(a: FolderEntry, b: FolderEntry): number {
  if ((a.kind === 'folder') !== (b.kind === 'folder')) return a.kind === 'folder' ? -1 : 1;
  return a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' });
}

function matches(name: string, extensions: readonly string[] | undefined): boolean {
  if (!extensions) return true;
  const lower = name.toLowerCase();
  return extensions.some((x) => lower.endsWith(x.toLowerCase()));
}

/**
 * Lists `path`: its folders, and its files (only those ending in one of `extensions` when given;
 * then sockets, pipes and the like are left out too). Hidden entries (names starting with ".")
 * are left out. Throws `ApiError` for a relative path, a missing folder, a file, or no permission.
 */
export async function listFolder(path: string, options: { extensions?: readonly string[]; limit?: number } = {}): Promise<FolderListing> {
  if (!isAbsolute(path)) throw new ApiError('invalid-argument', `The path must be absolute, starting at ${sep === '/' ? '/' : 'a drive such as C:\\'}; got ${path}.`);
  const limit = options.limit ?? FOLDER_LISTING_LIMIT;
  const folder = resolve(path);
  let info;
  try {
    info = await stat(folder);
  } catch (e) {
    throw fsError(e, folder, 'list');
  }
  if (!info.isDirectory()) throw new ApiError('invalid-argument', `${folder} is a file, not a folder. Give the folder that holds it.`);

  let dir: Dir;
  try {
    dir = await opendir(folder, { bufferSize: 256 });
  } catch (e) {
    throw fsError(e, folder, 'list');
  }
  const picked: { name: string; kind: FolderEntryKind | 'link' }[] = [];
  let total = 0;
  try {
    for await (const d of dir) {
      if (d.name.startsWith('.')) continue;
      const kind: FolderEntryKind | 'link' = d.isDirectory() ? 'folder' : d.isFile() ? 'file' : d.isSymbolicLink() ? 'link' : 'other';
      // With a filter, files must match it (links are decided once resolved, below).
      if (options.extensions && kind === 'other') continue;
      if (options.extensions && kind === 'file' && !matches(d.name, options.extensions)) continue;
      total++;
      if (picked.length < limit) picked.push({ name: d.name, kind });
    }
  } catch (e) {
    throw fsError(e, folder, 'list');
  }

  const entries: FolderEntry[] = [];
  for (let i = 0; i < picked.length; i += STAT_BATCH) {
    const batch = await Promise.all(
      picked.slice(i, i + STAT_BATCH).map(async ({ name, kind }): Promise<FolderEntry | null> => {
        // stat follows links: a link to a folder is a folder; a link to nowhere is "other".
        const s = await stat(resolve(folder, name)).catch(() => null);
        const resolved: FolderEntryKind = kind !== 'link' ? kind : !s ? 'other' : s.isDirectory() ? 'folder' : s.isFile() ? 'file' : 'other';
        if (kind === 'link' && options.extensions && (resolved === 'other' || (resolved === 'file' && !matches(name, options.extensions)))) return null;
        const entry: FolderEntry = { name, kind: resolved };
        if (!s) return entry;
        return { ...entry, ...(resolved === 'file' ? { size: s.size } : {}), modified: s.mtime.toISOString() };
      }),
    );
    for (const e of batch) if (e) entries.push(e);
  }
  const dropped = picked.length - entries.length;
  entries.sort(byKindThenName);
  const root = parse(folder).root;
  return {
    path: folder,
    parent: folder === root ? null : dirname(folder),
    separator: sep === '\\' ? '\\' : '/',
    entries,
    total: total - dropped,
    truncated: total > picked.length,
    limit,
  };
}

/** Creates the folder `path` (not its parents: a typo in a parent should not make a tree). */
export async function createFolder(path: string): Promise<{ path: string }> {
  if (!isAbsolute(path)) throw new ApiError('invalid-argument', `The path must be absolute; got ${path}.`);
  const folder = resolve(path);
  try {
    await mkdir(folder);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException | null)?.code;
    if (code === 'ENOENT') throw new ApiError('not-found', `Cannot create ${folder}: the folder ${dirname(folder)} does not exist.`);
    throw fsError(e, folder, 'create');
  }
  return { path: folder };
}
