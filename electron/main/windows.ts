/**
 * What the shell knows about each editor window, and the decisions made from it, without Electron:
 * which window a project file opens in, whether a window holds unsaved work (read from the page
 * title the editor sets), and the close-after-save step of the quit guard.
 *
 * One window per project (not tabs): the editor holds one document per page (renderer/app/session),
 * so a window is a project. Each window is its own sandboxed renderer with its own undo history,
 * recovery file and training run; two projects can sit side by side on screen; the OS window list,
 * the macOS proxy icon and "edited" dot, and the per-window quit guard all map one-to-one.
 */
import { resolve } from 'node:path';
import type { CallEffect } from './ipcHandlers.js';

/** The title the editor sets: `● name — Layerloom` while unsaved, `name — Layerloom` otherwise. */
export function parseTitle(title: string): { readonly name: string; readonly dirty: boolean } {
  const dirty = title.startsWith('● ');
  const rest = dirty ? title.slice(2) : title;
  const i = rest.lastIndexOf(' — Layerloom');
  return { name: i >= 0 ? rest.slice(0, i) : rest, dirty };
}

/** True when two paths name the same file (case-insensitive where the file system usually is). */
export function samePath(a: string, b: string, platform: string = process.platform): boolean {
  const x = resolve(a);
  const y = resolve(b);
  return platform === 'win32' || platform === 'darwin' ? x.toLowerCase() === y.toLowerCase() : x === y;
}

/** The state of one editor window. */
export class EditorWindowModel {
  /** The project file shown, or null for an unsaved project. */
  projectPath: string | null;
  name = 'Untitled';
  /** Unsaved changes, as the page title says. */
  dirty = false;
  /** The editor's autosave key (discarded when the user closes without saving). */
  recoveryKey: string | null = null;
  /** Training runs started from this window. */
  readonly runIds = new Set<string>();
  /** The user chose "Save" in the close prompt: close once the save lands. */
  closeAfterSave = false;

  constructor(
    readonly windowId: number,
    readonly webContentsId: number,
    /** The project the window was opened for (its first `getAppInfo().startupProject`). */
    readonly startupProject: string | null,
  ) {
    this.projectPath = startupProject;
  }

  /** A fresh window: no file and nothing typed yet; an open-file request may reuse it. */
  get blank(): boolean {
    return this.projectPath === null && !this.dirty;
  }

  /** Reads the page title. Returns true when the dirty state changed. */
  applyTitle(title: string): boolean {
    const t = parseTitle(title);
    const changed = t.dirty !== this.dirty;
    this.name = t.name || this.name;
    this.dirty = t.dirty;
    return changed;
  }

  /** Applies a call's effect; returns `close` when the window should now close (saved after "Save"). */
  applyEffect(effect: CallEffect): 'close' | null {
    switch (effect.kind) {
      case 'projectFile':
        this.projectPath = effect.path;
        this.name = effect.name;
        if (effect.saved) {
          this.dirty = false;
          if (this.closeAfterSave) {
            this.closeAfterSave = false;
            return 'close';
          }
        }
        return null;
      case 'untitled':
        this.projectPath = null;
        this.name = effect.name;
        return null;
      case 'saveAbandoned':
        this.closeAfterSave = false;
        return null;
      case 'recovery':
        this.recoveryKey = effect.key;
        return null;
      case 'trainingStarted':
        this.runIds.add(effect.runId);
        return null;
    }
  }
}

/** Where a project file should open. */
export type OpenRoute =
  /** Already open there: bring that window forward. */
  | { readonly kind: 'focus'; readonly windowId: number }
  /** Open it in this blank window (the editor receives an `openFileRequest`). */
  | { readonly kind: 'reuse'; readonly windowId: number }
  /** Open a new window for it. */
  | { readonly kind: 'new' };

/**
 * Routes a project file (Open…, Open Recent, file manager double-click, second launch): to the
 * window that already shows it, else into the focused window if that one is blank, else a new
 * window — so opening never replaces work in progress.
 */
export function routeOpenFile(path: string, windows: readonly EditorWindowModel[], focusedWindowId: number | null, platform: string = process.platform): OpenRoute {
  const existing = windows.find((w) => w.projectPath !== null && samePath(w.projectPath, path, platform));
  if (existing) return { kind: 'focus', windowId: existing.windowId };
  const focused = windows.find((w) => w.windowId === focusedWindowId);
  if (focused?.blank) return { kind: 'reuse', windowId: focused.windowId };
  return { kind: 'new' };
}
