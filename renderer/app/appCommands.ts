/**
 * All commands of the app in one registry: the editor's document commands plus file, view and
 * training commands. Shortcuts, the help overlay, toolbar buttons and host menus (`onAppCommand`)
 * all go through `runCommand`, so every path behaves the same.
 */
import { DEFAULT_TRAINING } from '../../shared/training/settings.js';
import { CommandError, EDITOR_COMMAND_INFO, runEditorCommand, type CommandInfo } from '../editor/commands.js';
import { canvas } from '../canvas/canvasController.js';
import { api, errorMessage } from '../platform/api.js';
import { openDialog, setTheme, showTab, toast, useUi } from '../state/uiStore.js';
import { startTraining, stopTraining } from '../state/trainingStore.js';
import { editor, newProject, open, save, saveAs, showStartScreen } from './session.js';
import { openContextMenuForSelection } from '../canvas/contextMenuStore.js';
import { useExplain } from '../state/explainStore.js';

/**
 * Where a command was invoked from, when that matters: a context menu passes the point that was
 * right-clicked so "Add block" and "Paste" land there instead of at the centre of the view.
 */
export interface CommandContext {
  /** The clicked point on screen and on the canvas (flow coordinates). */
  readonly at?: { readonly screen: { readonly x: number; readonly y: number }; readonly flow: { readonly x: number; readonly y: number } };
}
import { SESSION_KEY } from './sessionKey.js';

/** One entry of the registry. */
export interface AppCommand extends Omit<CommandInfo, 'group'> {
  readonly id: string;
  readonly group: CommandInfo['group'] | 'File' | 'View' | 'Training';
  /** Runs it; errors are shown as toasts by `runCommand`. */
  readonly run: (context?: CommandContext) => void | Promise<unknown>;
  /** Shown in the help overlay and the command palette (default true). */
  readonly listed?: boolean;
  /** False when running it now would do nothing (menus grey it out); default always enabled. */
  readonly enabled?: () => boolean;
}

const CLIPBOARD_KEY = 'layerloom.clipboard';

/** Remembers copied blocks for pasting into any Layerloom editor of this browser profile. */
export function rememberClipboard(text: string): void {
  try {
    localStorage.setItem(CLIPBOARD_KEY, text);
  } catch {
    // Storage unavailable: the system clipboard copy still works.
  }
  void navigator.clipboard?.writeText(text).catch(() => undefined);
}

/** The last copied blocks. */
export function recalledClipboard(): string | null {
  try {
    return localStorage.getItem(CLIPBOARD_KEY);
  } catch {
    return null;
  }
}

/** Pastes clipboard text at `at` (flow coordinates), or offset from the originals. */
export function pasteText(text: string, at?: { x: number; y: number }): void {
  runEditorCommand(editor, 'clipboard.paste', at ? { text, at } : { text });
}

function startRename(): void {
  const [id] = editor.state.selection.nodes;
  if (!id) return toast('info', 'Select a block to rename it.');
  useUi.setState({ renaming: id });
}

function openQuickAdd(context?: CommandContext): void {
  const [from] = editor.state.selection.nodes;
  // With one block selected the new block goes after it, into its outgoing wires.
  const connectFrom = from && editor.state.selection.nodes.length === 1 ? { connectFrom: from, splice: true } : {};
  if (context?.at) {
    useUi.setState({ quickAdd: { screen: context.at.screen, flow: context.at.flow, ...connectFrom } });
    return;
  }
  const c = canvas();
  if (!c) return;
  const center = c.viewCenter();
  const el = document.querySelector('.ll-canvas');
  const rect = el?.getBoundingClientRect();
  const screen = rect ? { x: rect.left + rect.width / 2 - 160, y: rect.top + rect.height / 3 } : { x: 300, y: 200 };
  useUi.setState({ quickAdd: { screen, flow: center, ...connectFrom } });
}

/** Open: Electron's native dialog, or the browser host's Open dialog with its file browser. */
function openProjectDialog(): Promise<unknown> | void {
  if (!useUi.getState().appInfo?.capabilities.nativeDialogs) return openDialog({ kind: 'open' });
  const at = editor.state.path;
  return api.pickPath({ purpose: 'openProject', ...(at ? { defaultPath: at } : {}) }).then((path) => path && open(path));
}

const hasNodes = (): boolean => editor.state.selection.nodes.length > 0;
const hasSelection = (): boolean => hasNodes() || editor.state.selection.edges.length > 0;
/** The selected blocks that are layers (they have `trainable`; Input and Output do not). */
const selectedLayers = () => {
  const ids = new Set(editor.state.selection.nodes);
  return editor.doc.nodes.filter((n) => ids.has(n.id) && 'trainable' in n.params);
};

/** Starts training with the project as it is in the editor. */
export function startTrainingNow(): void {
  const { doc, analysis, path } = editor.state;
  if (!analysis.valid) {
    showTab('problems');
    return toast('warning', 'Fix the errors in the graph before training (see Problems).');
  }
  if (!doc.dataset) {
    showTab('dataset');
    return toast('warning', 'Choose a dataset first (Dataset tab).');
  }
  showTab('training');
  // The project's choice of engine (absent: tfjs).
  const engine = doc.training?.engine ?? 'tfjs';
  void startTraining({ doc: doc.training ? doc : { ...doc, training: DEFAULT_TRAINING }, projectPath: path, ...(path ? {} : { sessionKey: SESSION_KEY }), ...(engine !== 'tfjs' ? { engine } : {}) });
}

const APP_COMMANDS: readonly AppCommand[] = [
  { id: 'file.new', title: 'New project', group: 'File', run: newProject },
  { id: 'file.start', title: 'Start screen', group: 'File', run: () => showStartScreen() },
  { id: 'file.newFromTemplate', title: 'New from template…', group: 'File', run: () => openDialog({ kind: 'templates' }) },
  { id: 'file.open', title: 'Open…', shortcut: ['Mod+O'], group: 'File', run: openProjectDialog },
  { id: 'file.save', title: 'Save', shortcut: ['Mod+S'], group: 'File', run: save },
  { id: 'file.saveAs', title: 'Save as…', shortcut: ['Mod+Shift+S'], group: 'File', run: saveAs },
  { id: 'file.export', title: 'Export code…', shortcut: ['Mod+E'], group: 'File', run: () => openDialog({ kind: 'export' }) },
  { id: 'history.undo', ...EDITOR_COMMAND_INFO['history.undo'], enabled: () => editor.state.past.length > 0, run: () => runEditorCommand(editor, 'history.undo') },
  { id: 'history.redo', ...EDITOR_COMMAND_INFO['history.redo'], enabled: () => editor.state.future.length > 0, run: () => runEditorCommand(editor, 'history.redo') },
  {
    id: 'clipboard.copy',
    ...EDITOR_COMMAND_INFO['clipboard.copy'],
    enabled: hasNodes,
    run: () => {
      const text = runEditorCommand(editor, 'clipboard.copy');
      if (text) rememberClipboard(text);
    },
  },
  {
    id: 'clipboard.cut',
    ...EDITOR_COMMAND_INFO['clipboard.cut'],
    enabled: hasNodes,
    run: () => {
      const text = runEditorCommand(editor, 'clipboard.cut');
      if (text) rememberClipboard(text);
    },
  },
  {
    id: 'clipboard.paste',
    ...EDITOR_COMMAND_INFO['clipboard.paste'],
    enabled: () => recalledClipboard() !== null,
    run: (context) => {
      const text = recalledClipboard();
      if (!text) throw new CommandError('Nothing to paste: copy some blocks first.');
      pasteText(text, context?.at?.flow);
    },
  },
  { id: 'selection.duplicate', ...EDITOR_COMMAND_INFO['selection.duplicate'], enabled: hasNodes, run: () => runEditorCommand(editor, 'selection.duplicate') },
  { id: 'selection.delete', ...EDITOR_COMMAND_INFO['selection.delete'], enabled: hasSelection, run: () => runEditorCommand(editor, 'selection.delete') },
  {
    id: 'selection.deleteReconnect',
    ...EDITOR_COMMAND_INFO['selection.deleteReconnect'],
    enabled: () => editor.state.selection.nodes.length === 1,
    run: () => runEditorCommand(editor, 'selection.deleteReconnect'),
  },
  { id: 'selection.freeze', ...EDITOR_COMMAND_INFO['selection.freeze'], enabled: () => selectedLayers().some((n) => n.params.trainable !== false), run: () => runEditorCommand(editor, 'selection.freeze') },
  { id: 'selection.unfreeze', ...EDITOR_COMMAND_INFO['selection.unfreeze'], enabled: () => selectedLayers().some((n) => n.params.trainable === false), run: () => runEditorCommand(editor, 'selection.unfreeze') },
  { id: 'selection.selectAll', ...EDITOR_COMMAND_INFO['selection.selectAll'], run: () => runEditorCommand(editor, 'selection.selectAll') },
  {
    id: 'selection.clear',
    ...EDITOR_COMMAND_INFO['selection.clear'],
    run: () => {
      if (useUi.getState().quickAdd) useUi.setState({ quickAdd: null });
      else runEditorCommand(editor, 'selection.clear');
    },
  },
  { id: 'graph.rename', ...EDITOR_COMMAND_INFO['graph.rename'], enabled: () => editor.state.selection.nodes.length === 1, run: startRename },
  {
    id: 'graph.autoLayout',
    ...EDITOR_COMMAND_INFO['graph.autoLayout'],
    run: async () => {
      await runEditorCommand(editor, 'graph.autoLayout');
      window.setTimeout(() => canvas()?.fitReadable(), 30);
    },
  },
  { id: 'graph.quickAdd', title: 'Quick add block', shortcut: ['/', 'A'], group: 'Graph', run: openQuickAdd },
  { id: 'view.fit', title: 'Zoom to fit', shortcut: ['F', 'Shift+1'], group: 'View', run: () => canvas()?.fitView() },
  { id: 'view.zoomIn', title: 'Zoom in', shortcut: ['Mod+='], group: 'View', run: () => canvas()?.zoomIn() },
  { id: 'view.zoomOut', title: 'Zoom out', shortcut: ['Mod+-'], group: 'View', run: () => canvas()?.zoomOut() },
  { id: 'view.toggleMinimap', title: 'Show/hide minimap', shortcut: ['M'], group: 'View', run: () => useUi.setState((s) => ({ showMinimap: !s.showMinimap })) },
  { id: 'view.toggleSnap', title: 'Snap to grid on/off', shortcut: ['G'], group: 'View', run: () => useUi.setState((s) => ({ snap: !s.snap })) },
  { id: 'view.toggleTheme', title: 'Dark/light theme', shortcut: ['Mod+Shift+L'], group: 'View', run: () => setTheme(useUi.getState().theme === 'dark' ? 'light' : 'dark') },
  { id: 'view.togglePanel', title: 'Show/hide bottom panel', shortcut: ['Mod+J'], group: 'View', run: () => useUi.setState((s) => ({ bottomOpen: !s.bottomOpen })) },
  { id: 'view.togglePalette', title: 'Show/hide blocks panel', shortcut: ['Mod+B'], group: 'View', run: () => useUi.setState((s) => ({ paletteOpen: !s.paletteOpen })) },
  { id: 'view.toggleInspector', title: 'Show/hide inspector', shortcut: ['Mod+Alt+B'], group: 'View', run: () => useUi.setState((s) => ({ inspectorOpen: !s.inspectorOpen })) },
  { id: 'view.problems', title: 'Problems panel', shortcut: ['Alt+1'], group: 'View', run: () => showTab('problems') },
  { id: 'view.dataset', title: 'Dataset panel', shortcut: ['Alt+2'], group: 'View', run: () => showTab('dataset') },
  { id: 'view.training', title: 'Training panel', shortcut: ['Alt+3'], group: 'View', run: () => showTab('training') },
  { id: 'view.code', title: 'Code panel', shortcut: ['Alt+4'], group: 'View', run: () => showTab('code') },
  { id: 'view.explain', title: 'Explain panel', shortcut: ['Alt+5'], group: 'View', run: () => showTab('explain') },
  {
    id: 'explain.block',
    title: 'Explain this block',
    group: 'View',
    enabled: () => editor.state.selection.nodes.length === 1,
    run: () => {
      useExplain.setState({ focusBlock: editor.state.selection.nodes[0] ?? null });
      showTab('explain');
    },
  },
  { id: 'view.help', title: 'Keyboard shortcuts', shortcut: ['?'], group: 'View', run: () => openDialog({ kind: 'help' }) },
  { id: 'view.contextMenu', title: 'Context menu of the selection', shortcut: ['Shift+F10', 'ContextMenu'], group: 'View', run: openContextMenuForSelection },
  { id: 'view.commandPalette', title: 'Command palette', shortcut: ['Mod+K', 'Mod+Shift+P'], group: 'View', run: () => openDialog({ kind: 'commands' }) },
  { id: 'training.start', title: 'Start training', shortcut: ['Mod+Enter'], group: 'Training', run: startTrainingNow },
  { id: 'training.stop', title: 'Stop training', group: 'Training', run: () => stopTraining() },
  { id: 'training.python', title: 'Python interpreter of the Keras engine…', group: 'Training', run: () => openDialog({ kind: 'python' }) },
  {
    id: 'backend.refresh',
    title: 'Check backend',
    group: 'Training',
    listed: false,
    run: () =>
      api.getBackendStatus().then(
        (backend) => useUi.setState({ backend }),
        (e: unknown) => useUi.setState({ backend: { unavailable: errorMessage(e) } }),
      ),
  },
];

const BY_ID = new Map(APP_COMMANDS.map((c) => [c.id, c]));

/** Every command, in help-overlay order. */
export function allCommands(): readonly AppCommand[] {
  return APP_COMMANDS;
}

/** A command by id. */
export function commandById(id: string): AppCommand | undefined {
  return BY_ID.get(id);
}

/** Runs a command by id; failures become toasts. Returns false for an unknown id. */
export function runCommand(id: string, context?: CommandContext): boolean {
  const cmd = BY_ID.get(id);
  if (!cmd) return false;
  try {
    const r = cmd.run(context);
    if (r instanceof Promise) r.catch((e: unknown) => toast('error', errorMessage(e)));
  } catch (e) {
    toast(e instanceof CommandError ? 'warning' : 'error', errorMessage(e));
  }
  return true;
}

/** True on macOS (shortcuts read ⌘ instead of Ctrl). */
export const IS_MAC = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

/** A chord for display: `Mod+Shift+Z` → `Ctrl+Shift+Z` / `⌘⇧Z`. */
export function displayChord(chord: string): string {
  if (!IS_MAC) return chord.replace('Mod', 'Ctrl');
  return chord.replace('Mod+', '⌘').replace('Shift+', '⇧').replace('Alt+', '⌥');
}

function matches(chord: string, e: KeyboardEvent): boolean {
  const parts = chord.split('+');
  const key = parts.pop() ?? '';
  const mod = parts.includes('Mod');
  const shift = parts.includes('Shift');
  const alt = parts.includes('Alt');
  if (mod !== (e.ctrlKey || e.metaKey) || alt !== e.altKey) return false;
  const punctuation = key.length === 1 && !/[a-z0-9]/i.test(key);
  if (!punctuation && shift !== e.shiftKey) return false;
  if (key.length === 1) {
    // Alt changes e.key on macOS; use the physical key for letters and digits.
    if (/[a-z]/i.test(key)) return e.code === `Key${key.toUpperCase()}`;
    if (/[0-9]/.test(key)) return e.code === `Digit${key}` || e.key === key;
    return e.key === key;
  }
  return e.key === key;
}

/** The command a key press triggers, if any. */
export function commandForKey(e: KeyboardEvent): AppCommand | null {
  for (const cmd of APP_COMMANDS) {
    if (cmd.shortcut?.some((s) => matches(s, e))) return cmd;
  }
  return null;
}

