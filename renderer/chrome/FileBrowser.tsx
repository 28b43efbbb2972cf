/**
 * The file browser of the browser host (Electron shows native dialogs instead): a folder listing
 * served by the host (`listFolder`), breadcrumbs, a filter by file type, New folder, and the path
 * field, where a typed path still works. Embedded in the Open and Save dialogs; `browseForPath`
 * opens it as a dialog of its own above another one (Export, Dataset).
 */
import { useCallback, useEffect, useRef, useState, type JSX, type KeyboardEvent } from 'react';
import { create } from 'zustand';
import type { FolderEntry, FolderListing } from '../../shared/api/types.js';
import { formatBytes } from '../../shared/analysis/numbers.js';
import { api, errorMessage } from '../platform/api.js';
import { Icon } from '../ui/Icon.js';

/** What is being chosen. */
export type BrowseMode =
  /** An existing project file. */
  | 'open'
  /** A new or existing project file name (the name field is kept while moving between folders). */
  | 'save'
  /** A folder (export target). */
  | 'folder'
  /** A dataset: a folder of images or a CSV file. */
  | 'data'
  /** Any existing file (a program, such as the Python interpreter). */
  | 'file';

/** A file-type filter. */
interface Filter {
  readonly label: string;
  /** File endings shown; undefined = every file. */
  readonly extensions?: readonly string[];
}

const FILTERS: Readonly<Record<BrowseMode, readonly Filter[]>> = {
  open: [
    // Open takes projects and models alike, so the first filter shows both: a user with a .keras
    // file from a colleague should not have to find the filter first.
    { label: 'Projects and models', extensions: ['.layerloom', '.keras', '.h5', '.hdf5', '.json'] },
    { label: 'Layerloom projects (.layerloom)', extensions: ['.layerloom'] },
    // Opening a model imports it as a project written beside it.
    { label: 'Keras / TensorFlow.js models (.keras, .h5, .json)', extensions: ['.keras', '.h5', '.hdf5', '.json'] },
    { label: 'All files' },
  ],
  save: [{ label: 'Layerloom projects (.layerloom)', extensions: ['.layerloom'] }, { label: 'All files' }],
  folder: [{ label: 'Folders only', extensions: [] }, { label: 'Folders and files' }],
  data: [{ label: 'Data (folders, .csv, .tsv)', extensions: ['.csv', '.tsv'] }, { label: 'All files' }],
  file: [{ label: 'All files' }],
};

/** The separator a path uses (a Windows host sends `\`). */
function separatorOf(path: string): '/' | '\\' {
  return /^[A-Za-z]:\\|^\\\\/.test(path) ? '\\' : '/';
}

/** The folder part of a path (the path itself when it ends with a separator). */
export function folderOf(path: string): string {
  const sep = separatorOf(path);
  const i = path.lastIndexOf(sep);
  if (i < 0) return path;
  if (i === path.length - 1) return path.length > 1 && !/^[A-Za-z]:\\$/.test(path) ? path.slice(0, -1) : path;
  const head = path.slice(0, i);
  return head === '' ? sep : /^[A-Za-z]:$/.test(head) ? `${head}\\` : head;
}

function join(folder: string, name: string, sep: '/' | '\\'): string {
  return folder.endsWith(sep) ? `${folder}${name}` : `${folder}${sep}${name}`;
}

/** Breadcrumbs of a folder: each with the path it leads to. */
function crumbs(listing: FolderListing): { name: string; path: string }[] {
  const sep = listing.separator;
  const parts = listing.path.split(sep).filter((p) => p !== '');
  const out: { name: string; path: string }[] = [];
  const rooted = listing.path.startsWith(sep);
  let acc = rooted ? sep : '';
  if (rooted) out.push({ name: sep, path: sep });
  for (const p of parts) {
    acc = acc === '' ? `${p}${sep}` : join(acc, p, sep);
    out.push({ name: p, path: acc });
  }
  return out;
}

/** The browser panel (embedded). */
export function FileBrowser({
  mode,
  initialPath,
  actionLabel,
  onChoose,
  busy = false,
}: {
  mode: BrowseMode;
  /** A file or folder path to start from; its folder is listed. */
  initialPath: string;
  actionLabel: string;
  onChoose: (path: string) => void;
  busy?: boolean;
}): JSX.Element {
  const filters = FILTERS[mode];
  const [filter, setFilter] = useState(0);
  const [folder, setFolder] = useState(() => (mode === 'folder' ? initialPath : folderOf(initialPath)));
  const [listing, setListing] = useState<FolderListing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [path, setPath] = useState(initialPath);
  const [selected, setSelected] = useState<string | null>(null);
  const [newFolder, setNewFolder] = useState<string | null>(null);
  const list = useRef<HTMLDivElement>(null);
  const pathInput = useRef<HTMLInputElement>(null);
  const fileName = mode === 'save' ? path.slice(path.lastIndexOf(separatorOf(path)) + 1) : '';
  // Read when navigating (the name typed so far is kept), without re-listing on each keystroke.
  const fileNameRef = useRef(fileName);
  fileNameRef.current = fileName;

  const load = useCallback(
    (target: string, keepPath = false) => {
      const extensions = filters[filter]?.extensions;
      api.listFolder({ path: target, ...(extensions ? { extensions: [...extensions] } : {}) }).then(
        (l) => {
          setListing(l);
          setError(null);
          setFolder(l.path);
          setSelected(null);
          if (!keepPath) setPath(mode === 'save' ? join(l.path, fileNameRef.current || 'project.layerloom', l.separator) : mode === 'folder' ? l.path : `${join(l.path, '', l.separator)}`);
        },
        (e: unknown) => setError(errorMessage(e)),
      );
    },
    [filter, filters, mode],
  );

  // List the starting folder, and again when the filter changes. A starting folder that is gone
  // falls back to its parent, so the browser opens somewhere useful.
  const folderRef = useRef(folder);
  folderRef.current = folder;
  useEffect(() => {
    const target = folderRef.current;
    const extensions = filters[filter]?.extensions;
    api.listFolder({ path: target, ...(extensions ? { extensions: [...extensions] } : {}) }).then(
      (l) => {
        setListing(l);
        setError(null);
        setFolder(l.path);
      },
      (e: unknown) => {
        const up = folderOf(target);
        if (up !== target) load(up, true);
        else setError(errorMessage(e));
      },
    );
  }, [filter, filters, load]);

  const activate = (e: FolderEntry) => {
    if (!listing) return;
    const full = join(listing.path, e.name, listing.separator);
    if (e.kind === 'folder') return load(full);
    if (e.kind === 'file') onChoose(full);
  };

  const select = (e: FolderEntry) => {
    if (!listing) return;
    setSelected(e.name);
    const full = join(listing.path, e.name, listing.separator);
    if (e.kind === 'file' || mode === 'folder' || mode === 'data') setPath(mode === 'save' && e.kind === 'folder' ? join(full, fileName, listing.separator) : full);
  };

  const submit = () => {
    const p = path.trim();
    if (!p) return;
    // A typed folder path (ending in a separator) navigates; anything else is the choice.
    if ((p.endsWith('/') || p.endsWith('\\')) && mode !== 'folder' && mode !== 'data') return load(p);
    onChoose(p);
  };

  const onListKey = (e: KeyboardEvent) => {
    const entries = listing?.entries ?? [];
    if (!entries.length) return;
    const at = entries.findIndex((x) => x.name === selected);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = entries[Math.max(0, Math.min(entries.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)))];
      if (next) {
        select(next);
        list.current?.querySelector(`[data-name="${CSS.escape(next.name)}"]`)?.scrollIntoView({ block: 'nearest' });
      }
    } else if (e.key === 'Enter' && at >= 0) {
      e.preventDefault();
      activate(entries[at]);
    } else if (e.key === 'Backspace' && listing?.parent) {
      e.preventDefault();
      load(listing.parent);
    }
  };

  const makeFolder = (name: string) => {
    if (!listing || !name.trim()) return setNewFolder(null);
    api.createFolder(join(listing.path, name.trim(), listing.separator)).then(
      (r) => {
        setNewFolder(null);
        load(r.path);
      },
      (e: unknown) => setError(errorMessage(e)),
    );
  };

  return (
    <div className="ll-files" data-testid="file-browser">
      <div className="ll-files-bar">
        <button type="button" className="ll-tool" aria-label="Up one folder" title="Up one folder (Backspace)" disabled={!listing?.parent} onClick={() => listing?.parent && load(listing.parent)}>
          <Icon name="up" />
        </button>
        <nav className="ll-crumbs" aria-label="Folder" data-testid="file-crumbs">
          {listing &&
            crumbs(listing).map((c, i, all) => (
              <button type="button" key={c.path} className={i === all.length - 1 ? 'current' : ''} onClick={() => load(c.path)}>
                {c.name}
              </button>
            ))}
        </nav>
        <button type="button" className="ll-btn small" onClick={() => setNewFolder('')} disabled={!listing} data-testid="file-new-folder">
          <Icon name="plus" size={14} /> New folder
        </button>
      </div>
      {newFolder !== null && (
        <form
          className="ll-row ll-files-newfolder"
          onSubmit={(e) => {
            e.preventDefault();
            makeFolder(newFolder);
          }}
        >
          <input autoFocus className="ll-input grow" value={newFolder} onChange={(e) => setNewFolder(e.target.value)} placeholder="Folder name" aria-label="New folder name" onKeyDown={(e) => e.key === 'Escape' && (e.stopPropagation(), setNewFolder(null))} />
          <button type="submit" className="ll-btn primary small" disabled={!newFolder.trim()}>
            Create
          </button>
        </form>
      )}
      {error && (
        <div className="ll-callout error" role="alert" data-testid="file-error">
          {error}
        </div>
      )}
      <div className="ll-files-list" role="listbox" aria-label="Files" tabIndex={0} ref={list} onKeyDown={onListKey} data-testid="file-list">
        {listing === null && !error && <div className="ll-muted small ll-pad">Loading…</div>}
        {listing?.entries.length === 0 && <div className="ll-muted small ll-pad">Nothing here{filters[filter]?.extensions ? ' that matches the filter' : ''}.</div>}
        {listing?.entries.map((e) => (
          <div
            key={e.name}
            role="option"
            aria-selected={selected === e.name}
            aria-disabled={e.kind === 'other'}
            className={`ll-file-row ${e.kind}${selected === e.name ? ' selected' : ''}`}
            data-name={e.name}
            onClick={() => e.kind !== 'other' && select(e)}
            onDoubleClick={() => activate(e)}
            title={e.kind === 'other' ? 'Not a file or folder (a socket, pipe, device or broken link)' : e.name}
          >
            <Icon name={e.kind === 'folder' ? 'folder' : 'file'} size={15} />
            <span className="name">{e.name}</span>
            <span className="size mono small">{e.size !== undefined ? formatBytes(e.size) : ''}</span>
            <span className="date small">{e.modified ? new Date(e.modified).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' }) : ''}</span>
          </div>
        ))}
        {listing?.truncated && (
          <div className="ll-callout info small" data-testid="file-truncated">
            Showing the first {listing.entries.length.toLocaleString('en-US')} of {listing.total.toLocaleString('en-US')} entries. Type the path below to reach the rest.
          </div>
        )}
      </div>
      <form
        className="ll-row ll-files-foot"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <input ref={pathInput} className="ll-input mono grow" value={path} onChange={(e) => setPath(e.target.value)} aria-label="Path" data-testid="path-input" spellCheck={false} />
        <select className="ll-input ll-files-filter" value={filter} onChange={(e) => setFilter(Number(e.target.value))} aria-label="File type">
          {filters.map((f, i) => (
            <option key={f.label} value={i}>
              {f.label}
            </option>
          ))}
        </select>
        <button type="submit" className="ll-btn primary" disabled={busy || !path.trim()} data-testid="path-submit">
          {actionLabel}
        </button>
      </form>
    </div>
  );
}

/** An open "browse" request (a dialog above another dialog). */
interface BrowseRequest {
  readonly mode: BrowseMode;
  readonly title: string;
  readonly initialPath: string;
  readonly actionLabel: string;
  readonly resolve: (path: string | null) => void;
}

const useBrowse = create<{ request: BrowseRequest | null }>(() => ({ request: null }));

/** Opens the file browser as a dialog; resolves with the chosen path, or null when closed. */
export function browseForPath(options: Omit<BrowseRequest, 'resolve'>): Promise<string | null> {
  useBrowse.getState().request?.resolve(null);
  return new Promise((resolve) => useBrowse.setState({ request: { ...options, resolve } }));
}

/** The dialog form of the browser (rendered once, in the app). */
export function FileBrowserDialog(): JSX.Element | null {
  const request = useBrowse((s) => s.request);
  if (!request) return null;
  const finish = (path: string | null) => {
    useBrowse.setState({ request: null });
    request.resolve(path);
  };
  return (
    <div className="ll-modal-backdrop ll-files-backdrop" onMouseDown={() => finish(null)}>
      <div
        className="ll-modal wide"
        role="dialog"
        aria-modal="true"
        aria-label={request.title}
        data-testid="dialog-browse"
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape') finish(null);
          e.stopPropagation();
        }}
      >
        <div className="ll-modal-head">
          <h2>{request.title}</h2>
          <button className="ll-tool" onClick={() => finish(null)} aria-label="Close">
            <Icon name="x" />
          </button>
        </div>
        <div className="ll-modal-body">
          <FileBrowser mode={request.mode} initialPath={request.initialPath} actionLabel={request.actionLabel} onChoose={finish} />
        </div>
      </div>
    </div>
  );
}
