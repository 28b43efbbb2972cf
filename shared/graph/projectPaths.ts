/**
 * The one rule for paths inside a project (today: the dataset): stored relative to the project
 * file's folder once the project is saved, absolute while it is unsaved, rebased when it is saved
 * somewhere else, and resolved by {@link resolveProjectPath} everywhere (scan, train, export, the
 * command line). Pure string work, for POSIX (`/a/b`) and Windows (`C:\a\b`, `\\server\share\a`)
 * paths alike, so the renderer and the hosts resolve a path the same way.
 */
import { isAbsolutePath } from '../codegen/exportFile.js';
import type { ProjectDocument } from './document.js';

/** A relative path that cannot be resolved (the project has no file yet); the message says what to do. */
export class ProjectPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProjectPathError';
  }
}

interface Parsed {
  /** `/`, `C:\`, `\\server\share\` (kept as written), or '' for a relative path. */
  readonly root: string;
  readonly parts: readonly string[];
  readonly windows: boolean;
}

function isWindowsPath(path: string): boolean {
  return /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}

function parse(path: string, windows: boolean): Parsed {
  const sep = windows ? /[\\/]+/ : /\/+/;
  let root = '';
  let rest = path;
  if (windows && path.startsWith('\\\\')) {
    const m = /^\\\\[^\\/]+[\\/][^\\/]+[\\/]?/.exec(path);
    root = m ? m[0] : path;
    rest = path.slice(root.length);
  } else if (windows && /^[A-Za-z]:[\\/]/.test(path)) {
    root = `${path[0].toUpperCase()}:\\`;
    rest = path.slice(3);
  } else if (path.startsWith('/')) {
    root = '/';
    rest = path.slice(1);
  }
  const parts: string[] = [];
  for (const p of rest.split(sep)) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (parts.length && parts[parts.length - 1] !== '..') parts.pop();
      else if (!root) parts.push('..');
      continue;
    }
    parts.push(p);
  }
  return { root, parts, windows };
}

function format(p: Parsed): string {
  const sep = p.windows ? '\\' : '/';
  if (!p.root) return p.parts.join('/') || '.';
  const root = p.windows && p.root.startsWith('\\\\') && !/[\\/]$/.test(p.root) ? `${p.root}\\` : p.root;
  return root + p.parts.join(sep);
}

/** The folder that holds a file: `/a/b/p.layerloom` → `/a/b`. */
function folderOf(file: Parsed): Parsed {
  return { ...file, parts: file.parts.slice(0, -1) };
}

/**
 * The absolute path a project's stored path stands for: an absolute one as it is (normalised), a
 * relative one against the project file's folder. Throws {@link ProjectPathError} for a relative
 * path in a project that has no file yet.
 */
export function resolveProjectPath(stored: string, projectFile: string | null): string {
  const trimmed = stored.trim();
  if (isAbsolutePath(trimmed)) return format(parse(trimmed, isWindowsPath(trimmed)));
  if (!projectFile) {
    throw new ProjectPathError(
      `"${trimmed}" is a relative path, but the project has not been saved yet, so there is no project folder to resolve it against. Give the full path (starting at / or a drive such as C:\\), or save the project first.`,
    );
  }
  const windows = isWindowsPath(projectFile);
  const base = folderOf(parse(projectFile, windows));
  const rel = parse(trimmed, windows);
  const parts = [...base.parts];
  for (const p of rel.parts) {
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return format({ root: base.root, parts, windows });
}

/**
 * How a project stores an absolute path: relative to the project file's folder (with `/`, so the
 * file moves between systems), or absolute while the project has no file or when the path is on
 * another drive or share.
 */
export function storedProjectPath(absolute: string, projectFile: string | null): string {
  const windows = isWindowsPath(absolute);
  const target = parse(absolute, windows);
  if (!projectFile || !target.root) return format(target);
  const base = folderOf(parse(projectFile, isWindowsPath(projectFile)));
  const same = (a: string, b: string) => (windows ? a.toLowerCase() === b.toLowerCase() : a === b);
  if (base.windows !== windows || !same(base.root, target.root)) return format(target);
  let common = 0;
  while (common < base.parts.length && common < target.parts.length && same(base.parts[common], target.parts[common])) common++;
  const up = base.parts.slice(common).map(() => '..');
  return [...up, ...target.parts.slice(common)].join('/') || '.';
}

/**
 * The document as it is stored in `toFile`: every stored path (the dataset's) rewritten relative to
 * the new file. `fromFile` is where the project was (null: unsaved, its paths absolute). Returns the
 * same document when nothing changes; a relative path of an unsaved project (which cannot be
 * resolved) is kept as it is.
 */
export function rebaseProjectPaths(doc: ProjectDocument, fromFile: string | null, toFile: string): ProjectDocument {
  const path = doc.dataset?.path;
  if (!doc.dataset || !path) return doc;
  let absolute: string;
  try {
    absolute = resolveProjectPath(path, fromFile);
  } catch {
    return doc;
  }
  const next = storedProjectPath(absolute, toFile);
  return next === path ? doc : { ...doc, dataset: { ...doc.dataset, path: next } };
}

/**
 * Why `path` cannot be a project's `initialWeights` folder, or null when it can. The weights belong
 * to the project (they move with it on Save As), so the path is relative to the project file's folder
 * and stays inside it: no absolute path, no drive, no `..` that climbs out.
 */
export function initialWeightsPathProblem(path: string): string | null {
  if (path.trim() === '') return 'expected the relative path of the weights folder (e.g. "model.weights"), got an empty text';
  if (isAbsolutePath(path) || /^[A-Za-z]:/.test(path) || /^[\\/]/.test(path)) {
    return `expected a path relative to the project file's folder (e.g. "model.weights"), got the absolute path ${JSON.stringify(path)}; move the folder beside the project and give its name`;
  }
  let depth = 0;
  for (const part of path.split(/[\\/]+/)) {
    if (part === '..') depth--;
    else if (part !== '' && part !== '.') depth++;
    if (depth < 0) {
      return `${JSON.stringify(path)} leads out of the project's folder; the weights folder must be inside it (e.g. "model.weights")`;
    }
  }
  return depth === 0 ? `${JSON.stringify(path)} is the project's folder itself; give the weights folder inside it (e.g. "model.weights")` : null;
}

/**
 * Where a project's imported weights live: a folder named after its file, beside it
 * (`/a/resnet.layerloom` → `resnet.weights`), as stored in `initialWeights`.
 */
export function weightsFolderFor(projectFile: string): string {
  const name = projectFile.split(/[\\/]/).pop() ?? projectFile;
  return `${name.replace(/\.layerloom$/i, '')}.weights`;
}
