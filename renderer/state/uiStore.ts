/**
 * UI state that is not part of the document: theme, panels, dialogs, toasts, host info.
 * Kept apart from the document store so UI changes never touch undo history.
 */
import { create } from 'zustand';
import type { AppInfo, BackendStatus, RecoveryEntry } from '../../shared/api/types.js';
import type { ConnectionState } from '../platform/api.js';

/** Tabs of the bottom dock. */
export type BottomTab = 'problems' | 'analyzer' | 'dataset' | 'training' | 'explain' | 'code';

/** A modal dialog. */
export type Dialog =
  | { readonly kind: 'open' }
  | { readonly kind: 'saveAs'; readonly then?: () => void }
  | { readonly kind: 'templates' }
  | { readonly kind: 'help' }
  | { readonly kind: 'commands' }
  | { readonly kind: 'export' }
  /** The Keras engine's Python interpreter setting. */
  | { readonly kind: 'python' }
  /** One run folder in the runs browser. */
  | { readonly kind: 'run'; readonly dir: string }
  | { readonly kind: 'recovery'; readonly entries: readonly RecoveryEntry[] }
  | {
      readonly kind: 'confirm';
      readonly title: string;
      readonly message: string;
      readonly confirmLabel: string;
      readonly onConfirm: () => void;
      readonly danger?: boolean;
      /** An extra action (e.g. "Save first"). */
      readonly alternative?: { readonly label: string; readonly run: () => void };
    };

/** A transient notification. */
export interface Toast {
  readonly id: number;
  readonly kind: 'info' | 'success' | 'warning' | 'error';
  readonly message: string;
  readonly details?: readonly string[];
  /** A button on the toast; a toast with one stays until used or dismissed. */
  readonly action?: ToastAction;
}

/** What a toast offers to do. */
export interface ToastAction {
  readonly label: string;
  readonly run: () => void;
}

/** Where the quick-add box is and what it adds to. */
export interface QuickAddState {
  readonly screen: { readonly x: number; readonly y: number };
  readonly flow: { readonly x: number; readonly y: number };
  /** Connect the new block after this one. */
  readonly connectFrom?: string;
  /** The output port of `connectFrom` the wire left from (an LSTM's `h`); absent: `out`. */
  readonly connectPort?: string;
  /** Splice it into `connectFrom`'s outgoing wires (quick-add with a block selected). */
  readonly splice?: boolean;
}

/** Theme names. */
export type Theme = 'dark' | 'light';

interface UiState {
  theme: Theme;
  bottomTab: BottomTab;
  bottomOpen: boolean;
  /** Height of the open dock in pixels (the layout keeps it in step with dragging). */
  bottomHeight: number;
  /** The block palette (left) and the inspector (right) are expanded. */
  paletteOpen: boolean;
  inspectorOpen: boolean;
  showMinimap: boolean;
  snap: boolean;
  dialog: Dialog | null;
  quickAdd: QuickAddState | null;
  renaming: string | null;
  toasts: readonly Toast[];
  appInfo: AppInfo | null;
  backend: BackendStatus | { readonly unavailable: string } | null;
  connection: ConnectionState;
  zoom: number;
  lastSavedAt: string | null;
  /** The start screen covers the workspace (at launch without a project, or File → Start screen). */
  start: boolean;
  /** Counts loaded projects; panels keyed by it start afresh with each project. */
  projectEpoch: number;
}

const THEME_KEY = 'layerloom.theme';

function initialTheme(): Theme {
  try {
    const t = localStorage.getItem(THEME_KEY);
    if (t === 'light' || t === 'dark') return t;
  } catch {
    // Storage can be unavailable (privacy modes); the default applies.
  }
  return 'dark';
}

/** The UI store. */
export const useUi = create<UiState>(() => ({
  theme: initialTheme(),
  bottomTab: 'problems',
  bottomOpen: true,
  // Tall enough for every control of the Training tab, short enough that the canvas keeps most of
  // a laptop screen; drag to resize (remembered).
  bottomHeight: Math.round(Math.min(360, Math.max(300, (typeof window === 'undefined' ? 900 : window.innerHeight) * 0.4))),
  paletteOpen: true,
  inspectorOpen: true,
  showMinimap: true,
  snap: true,
  dialog: null,
  quickAdd: null,
  renaming: null,
  toasts: [],
  appInfo: null,
  backend: null,
  connection: 'connecting',
  zoom: 1,
  lastSavedAt: null,
  start: false,
  projectEpoch: 0,
}));

/** Applies and remembers the theme. */
export function setTheme(theme: Theme): void {
  useUi.setState({ theme });
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    // Not remembered; still applied.
  }
}

let toastId = 1;

/** How long a toast stays, by kind: long enough to read its message (errors carry more). */
const TOAST_MS: Readonly<Record<Toast['kind'], number>> = { info: 4000, success: 4000, warning: 8000, error: 12000 };

/**
 * Shows a toast. Every toast dismisses itself after a while (longer for errors, and never while
 * the pointer rests on it) unless it offers an action, which waits for the person.
 */
export function toast(kind: Toast['kind'], message: string, details?: readonly string[], action?: ToastAction): void {
  const id = toastId++;
  useUi.setState((s) => ({ toasts: [...s.toasts.slice(-4), { id, kind, message, ...(details && details.length ? { details } : {}), ...(action ? { action } : {}) }] }));
  if (!action) scheduleDismiss(id, TOAST_MS[kind]);
}

/** Toasts under the pointer: they wait until it leaves. */
const held = new Set<number>();

function scheduleDismiss(id: number, ms: number): void {
  window.setTimeout(() => {
    if (held.has(id)) scheduleDismiss(id, 1500);
    else dismissToast(id);
  }, ms);
}

/** Keeps a toast while the pointer is on it (`on`), or lets it go again. */
export function holdToast(id: number, on: boolean): void {
  if (on) held.add(id);
  else held.delete(id);
}

/** Removes a toast. */
export function dismissToast(id: number): void {
  held.delete(id);
  useUi.setState((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
}

/** Opens a dialog (replacing any open one). */
export function openDialog(dialog: Dialog): void {
  useUi.setState({ dialog, quickAdd: null });
}

/** Closes the dialog. */
export function closeDialog(): void {
  useUi.setState({ dialog: null });
}

/** Shows a bottom-dock tab. */
export function showTab(tab: BottomTab): void {
  useUi.setState({ bottomTab: tab, bottomOpen: true });
}
