/**
 * The native menus as data: what each item is called, its shortcut, and what it does. The main
 * process turns this into an Electron `Menu` (main.ts); the unit tests check it directly (every
 * editor command it names exists, dev tools only in development builds, …).
 *
 * Most items run one of the editor's named commands in the focused window (the `appCommand`
 * event → `runCommand` in renderer/app/appCommands.ts), so a menu, a shortcut and a toolbar button
 * always do the same thing. Shortcuts without a modifier (F, M, G, ?) are only *shown*: the editor
 * handles those keys itself, and registering them with the OS would swallow them while typing.
 */
import type { RecentProject } from '../../shared/api/types.js';

/** Editing operations of the Edit menu: in a text field they edit the text, elsewhere the graph. */
export type EditOp = 'undo' | 'redo' | 'cut' | 'copy' | 'paste' | 'delete' | 'selectAll';

/** Things the main process does itself. */
export type ShellAction =
  | { readonly kind: 'newWindow' }
  | { readonly kind: 'newFromTemplate' }
  | { readonly kind: 'open' }
  | { readonly kind: 'openRecent'; readonly path: string }
  | { readonly kind: 'backendDoctor' }
  | { readonly kind: 'about' };

/** Electron menu roles used (window management, app menu, dev tools). */
export type MenuRole =
  | 'about'
  | 'services'
  | 'hide'
  | 'hideOthers'
  | 'unhide'
  | 'quit'
  | 'close'
  | 'minimize'
  | 'zoom'
  | 'front'
  | 'windowMenu'
  | 'togglefullscreen'
  | 'reload'
  | 'forceReload'
  | 'toggleDevTools';

/** What an item does. */
export type MenuAction =
  | { readonly kind: 'command'; readonly command: string }
  | { readonly kind: 'edit'; readonly op: EditOp }
  | { readonly kind: 'shell'; readonly action: ShellAction }
  | { readonly kind: 'role'; readonly role: MenuRole };

/** One menu item. */
export interface MenuItemSpec {
  /** Stable id (the command id for command items), for `Menu.getMenuItemById`. */
  readonly id?: string;
  readonly label?: string;
  readonly type?: 'separator';
  readonly accelerator?: string;
  /** False: the shortcut is shown but the editor handles the key itself. */
  readonly registerAccelerator?: boolean;
  readonly enabled?: boolean;
  readonly action?: MenuAction;
  readonly submenu?: readonly MenuItemSpec[];
}

/** Inputs of the menu. */
export interface MenuOptions {
  readonly platform: string;
  readonly appName: string;
  /** Development build: adds Reload and Toggle Developer Tools. */
  readonly dev: boolean;
  readonly recent: readonly RecentProject[];
}

const SEP: MenuItemSpec = { type: 'separator' };

const command = (id: string, label: string, accelerator?: string, registerAccelerator = true): MenuItemSpec => ({
  id,
  label,
  action: { kind: 'command', command: id },
  ...(accelerator ? { accelerator, ...(registerAccelerator ? {} : { registerAccelerator: false }) } : {}),
});

const edit = (op: EditOp, label: string, accelerator?: string, registerAccelerator = true): MenuItemSpec => ({
  id: `edit.${op}`,
  label,
  action: { kind: 'edit', op },
  ...(accelerator ? { accelerator, ...(registerAccelerator ? {} : { registerAccelerator: false }) } : {}),
});

const shell = (id: string, label: string, action: ShellAction, accelerator?: string): MenuItemSpec => ({ id, label, action: { kind: 'shell', action }, ...(accelerator ? { accelerator } : {}) });

const role = (r: MenuRole, label?: string, accelerator?: string): MenuItemSpec => ({ action: { kind: 'role', role: r }, ...(label ? { label } : {}), ...(accelerator ? { accelerator } : {}) });

/** A recent project's menu label: its name and, to tell same-named projects apart, its file. */
export function recentLabel(r: RecentProject): string {
  const file = r.path.split(/[\\/]/).pop() ?? r.path;
  // `&` marks a mnemonic on Windows and Linux; double it to show it literally.
  return `${r.name} — ${file}`.replace(/&/g, '&&');
}

/** The application menu. */
export function buildMenuSpec(options: MenuOptions): MenuItemSpec[] {
  const mac = options.platform === 'darwin';
  const recent: MenuItemSpec[] = options.recent.length
    ? options.recent.map((r, i) => shell(`file.openRecent.${i}`, recentLabel(r), { kind: 'openRecent', path: r.path }))
    : [{ id: 'file.openRecent.none', label: 'No Recent Projects', enabled: false }];

  const file: MenuItemSpec = {
    id: 'menu.file',
    label: '&File',
    submenu: [
      shell('file.newWindow', 'New', { kind: 'newWindow' }, 'CmdOrCtrl+N'),
      shell('file.newFromTemplate', 'New from Template…', { kind: 'newFromTemplate' }, 'CmdOrCtrl+Shift+N'),
      SEP,
      shell('file.openDialog', 'Open…', { kind: 'open' }, 'CmdOrCtrl+O'),
      { id: 'file.openRecent', label: 'Open Recent', submenu: recent },
      SEP,
      command('file.save', 'Save', 'CmdOrCtrl+S'),
      command('file.saveAs', 'Save As…', 'CmdOrCtrl+Shift+S'),
      SEP,
      // Both open the export dialog (it has the Keras / TypeScript switch).
      { ...command('file.export', 'Export Keras…', 'CmdOrCtrl+E'), id: 'file.exportKeras' },
      { ...command('file.export', 'Export TypeScript…'), id: 'file.exportTs' },
      SEP,
      { ...role('close', 'Close', 'CmdOrCtrl+W'), id: 'file.close' },
      ...(mac ? [] : [SEP, { ...role('quit', 'Quit', 'Ctrl+Q'), id: 'file.quit' }]),
    ],
  };

  const editMenu: MenuItemSpec = {
    id: 'menu.edit',
    label: '&Edit',
    submenu: [
      edit('undo', 'Undo', 'CmdOrCtrl+Z'),
      edit('redo', 'Redo', mac ? 'Shift+Cmd+Z' : 'Ctrl+Y'),
      SEP,
      edit('cut', 'Cut', 'CmdOrCtrl+X'),
      edit('copy', 'Copy', 'CmdOrCtrl+C'),
      edit('paste', 'Paste', 'CmdOrCtrl+V'),
      // Delete/Backspace must keep working in text fields: shown only, handled by the editor.
      edit('delete', 'Delete', mac ? 'Backspace' : 'Delete', false),
      SEP,
      edit('selectAll', 'Select All', 'CmdOrCtrl+A'),
    ],
  };

  const view: MenuItemSpec = {
    id: 'menu.view',
    label: '&View',
    submenu: [
      command('view.zoomIn', 'Zoom In', 'CmdOrCtrl+='),
      command('view.zoomOut', 'Zoom Out', 'CmdOrCtrl+-'),
      command('view.fit', 'Zoom to Fit', 'F', false),
      SEP,
      command('view.commandPalette', 'Command Palette…', 'CmdOrCtrl+Shift+P'),
      SEP,
      command('view.togglePalette', 'Show/Hide Blocks Panel', 'CmdOrCtrl+B'),
      command('view.toggleInspector', 'Show/Hide Inspector', 'CmdOrCtrl+Alt+B'),
      command('view.togglePanel', 'Show/Hide Bottom Panel', 'CmdOrCtrl+J'),
      command('view.problems', 'Problems', 'Alt+1'),
      command('view.dataset', 'Dataset', 'Alt+2'),
      command('view.training', 'Training', 'Alt+3'),
      command('view.code', 'Code', 'Alt+4'),
      SEP,
      command('view.toggleMinimap', 'Show/Hide Minimap', 'M', false),
      command('view.toggleSnap', 'Snap to Grid', 'G', false),
      command('view.toggleTheme', 'Dark/Light Theme', 'CmdOrCtrl+Shift+L'),
      SEP,
      { ...role('togglefullscreen', 'Toggle Full Screen', mac ? 'Ctrl+Cmd+F' : 'F11'), id: 'view.fullScreen' },
      ...(options.dev
        ? [SEP, { ...role('reload', 'Reload'), id: 'view.reload' }, { ...role('toggleDevTools', 'Toggle Developer Tools', mac ? 'Alt+Cmd+I' : 'Ctrl+Shift+I'), id: 'view.devTools' }]
        : []),
    ],
  };

  const training: MenuItemSpec = {
    id: 'menu.training',
    label: '&Training',
    submenu: [command('training.start', 'Start Training', 'CmdOrCtrl+Enter'), command('training.stop', 'Stop Training')],
  };

  const help: MenuItemSpec = {
    id: 'menu.help',
    label: '&Help',
    submenu: [
      command('view.help', 'Keyboard Shortcuts', '?', false),
      shell('help.backendDoctor', 'Backend Doctor…', { kind: 'backendDoctor' }),
      ...(mac ? [] : [SEP, shell('help.about', `About ${options.appName}`, { kind: 'about' })]),
    ],
  };

  const menus: MenuItemSpec[] = [file, editMenu, view, training];
  if (mac) {
    const appMenu: MenuItemSpec = {
      id: 'menu.app',
      label: options.appName,
      submenu: [
        shell('help.about', `About ${options.appName}`, { kind: 'about' }),
        SEP,
        { label: 'Services', action: { kind: 'role', role: 'services' } },
        SEP,
        role('hide'),
        role('hideOthers'),
        role('unhide'),
        SEP,
        { ...role('quit', `Quit ${options.appName}`, 'Cmd+Q'), id: 'file.quit' },
      ],
    };
    menus.unshift(appMenu);
    menus.push({ id: 'menu.window', label: 'Window', action: { kind: 'role', role: 'windowMenu' } });
  }
  menus.push(help);
  return menus;
}

/** Every editor command the menus send, for checking against the editor's registry. */
export function menuCommands(spec: readonly MenuItemSpec[]): string[] {
  const out = new Set<string>();
  const walk = (items: readonly MenuItemSpec[]): void => {
    for (const item of items) {
      if (item.action?.kind === 'command') out.add(item.action.command);
      const op = item.action?.kind === 'edit' ? item.action.op : null;
      if (op) {
        const d = editDecision(op, false);
        if ('command' in d) out.add(d.command);
      }
      if (item.submenu) walk(item.submenu);
    }
  };
  walk(spec);
  return [...out].sort();
}

/** How an Edit-menu operation is carried out. */
export type EditDecision = { readonly native: EditOp } | { readonly command: string };

/**
 * In a text field (an input, the code editor) the operation is the browser's own. On the canvas it
 * is the editor's command — except Paste, which goes through the browser so the editor's `paste`
 * handler receives the system clipboard (blocks copied in another window or as text).
 */
export function editDecision(op: EditOp, editableFocused: boolean): EditDecision {
  if (editableFocused) return { native: op };
  switch (op) {
    case 'undo':
      return { command: 'history.undo' };
    case 'redo':
      return { command: 'history.redo' };
    case 'cut':
      return { command: 'clipboard.cut' };
    case 'copy':
      return { command: 'clipboard.copy' };
    case 'paste':
      return { native: 'paste' };
    case 'delete':
      return { command: 'selection.delete' };
    case 'selectAll':
      return { command: 'selection.selectAll' };
  }
}

/**
 * Run in an isolated world of the page (the page's own scripts cannot change its answer): true
 * when keyboard focus is in a text field. Mirrors `typingInto` in renderer/App.tsx.
 */
export const EDITABLE_FOCUS_PROBE = `(() => {
  const a = document.activeElement;
  if (!a || a === document.body) return false;
  if (a.closest && a.closest('.nokey')) return true;
  const t = a.tagName;
  return t === 'INPUT' || t === 'TEXTAREA' || t === 'SELECT' || a.isContentEditable === true;
})()`;

/** The isolated world the probe runs in (1000+ are free for apps; 999 is the preload's). */
export const PROBE_WORLD_ID = 1001;
