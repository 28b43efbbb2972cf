/**
 * The desktop shell's decisions, as plain functions: navigation and permissions, the app://
 * protocol, menus (and that every command they send exists in the editor), native dialogs, the
 * quit guard, window state, open-file routing and command-line parsing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appResponseHeaders, resolveAppAsset } from '../../electron/main/appProtocol.js';
import { projectPathsFromArgv } from '../../electron/main/argv.js';
import { dialogPlan, dialogResult, unsavedChangesPrompt, unsavedChoice } from '../../electron/main/dialogs.js';
import { buildMenuSpec, editDecision, menuCommands, recentLabel, type MenuItemSpec } from '../../electron/main/menu.js';
import {
  APP_INDEX_URL,
  isTrustedUrl,
  navigationDecision,
  permissionAllowed,
  secureWebPreferences,
  senderProblem,
  trustedOrigins,
  windowOpenDecision,
} from '../../electron/main/security.js';
import { CASCADE_OFFSET, DEFAULT_SIZE, loadWindowState, parseWindowState, placeWindow, saveWindowState, type Rect } from '../../electron/main/windowState.js';
import { EditorWindowModel, parseTitle, routeOpenFile, samePath } from '../../electron/main/windows.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const origins = trustedOrigins(null);

describe('security', () => {
  it('navigation: the app may reload itself, web links go to the browser, the rest is refused', () => {
    expect(navigationDecision(APP_INDEX_URL, origins)).toBe('allow');
    expect(navigationDecision('https://keras.io/api/layers/', origins)).toBe('external');
    expect(navigationDecision('http://example.com', origins)).toBe('external');
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,<b>x</b>', 'app://other/index.html', 'smb://host/share', 'not a url']) {
      expect(navigationDecision(url, origins)).toBe('deny');
    }
  });

  it('new windows are never opened by the app; web links open in the system browser', () => {
    expect(windowOpenDecision('https://www.tensorflow.org/js')).toBe('external');
    expect(windowOpenDecision(APP_INDEX_URL)).toBe('deny');
    expect(windowOpenDecision('file:///tmp/x.html')).toBe('deny');
    expect(windowOpenDecision('mailto:someone@example.com')).toBe('deny');
  });

  it('grants clipboard writing to the app only, and nothing else', () => {
    expect(permissionAllowed('clipboard-sanitized-write', APP_INDEX_URL, origins)).toBe(true);
    expect(permissionAllowed('clipboard-sanitized-write', 'app://layerloom', origins)).toBe(true);
    expect(permissionAllowed('clipboard-sanitized-write', 'https://evil.example', origins)).toBe(false);
    for (const p of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'fileSystem', 'hid', 'serial']) {
      expect(permissionAllowed(p, APP_INDEX_URL, origins)).toBe(false);
    }
  });

  it('editor windows are isolated and sandboxed, without Node', () => {
    const prefs = secureWebPreferences('/app/out/preload/preload.cjs', false);
    expect(prefs).toMatchObject({
      preload: '/app/out/preload/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
    });
  });

  it('a dev server origin counts only when configured, and only as http(s)', () => {
    expect(isTrustedUrl('http://localhost:5173/', origins)).toBe(false);
    expect(isTrustedUrl('http://localhost:5173/', trustedOrigins('http://localhost:5173'))).toBe(true);
    expect(trustedOrigins('file:///tmp')).toHaveLength(1);
    expect(senderProblem({ url: APP_INDEX_URL, isMainFrame: true }, origins)).toBeNull();
  });
});

describe('app:// protocol', () => {
  const dir = join(ROOT, 'out', 'renderer');

  it('maps app URLs into the renderer folder', () => {
    expect(resolveAppAsset('app://layerloom/', dir)).toEqual({ ok: true, file: join(dir, 'index.html'), contentType: 'text/html; charset=utf-8' });
    expect(resolveAppAsset('app://layerloom/assets/index-abc.js', dir)).toMatchObject({ ok: true, file: join(dir, 'assets', 'index-abc.js') });
    expect(resolveAppAsset('app://layerloom/assets/a%20b.wasm?x=1#y', dir)).toMatchObject({ ok: true, file: join(dir, 'assets', 'a b.wasm'), contentType: 'application/wasm' });
  });

  it('never serves a file outside it', () => {
    for (const url of ['app://layerloom/../package.json', 'app://layerloom/%2e%2e/package.json', 'app://layerloom/assets/..%2f..%2f..%2fpackage.json', 'app://layerloom/%2e%2e%5cpackage.json']) {
      const r = resolveAppAsset(url, dir);
      if (r.ok) expect(r.file.startsWith(dir + sep)).toBe(true);
      else expect(r.status).not.toBe(200);
    }
    expect(resolveAppAsset('app://other/index.html', dir)).toMatchObject({ ok: false, status: 403 });
    expect(resolveAppAsset('https://layerloom/index.html', dir)).toMatchObject({ ok: false, status: 403 });
    expect(resolveAppAsset('app://layerloom/secret.key', dir)).toMatchObject({ ok: false, status: 404 });
    expect(resolveAppAsset('app://layerloom/a%00.js', dir)).toMatchObject({ ok: false, status: 400 });
  });

  it('sends the strict CSP with every response', () => {
    const csp = appResponseHeaders('text/html')['Content-Security-Policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-eval/);
    expect(csp).toMatch(/connect-src 'self'(;|$)/);
    expect(csp).toContain("object-src 'none'");
    expect(appResponseHeaders('text/html')['X-Content-Type-Options']).toBe('nosniff');
  });
});

function walk(items: readonly MenuItemSpec[], out: MenuItemSpec[] = []): MenuItemSpec[] {
  for (const i of items) {
    out.push(i);
    if (i.submenu) walk(i.submenu, out);
  }
  return out;
}

describe('menus', () => {
  const recent = [{ path: '/p/cnn.layerloom', name: 'CNN & friends', openedAt: '2026-01-01T00:00:00Z' }];
  const linux = buildMenuSpec({ platform: 'linux', appName: 'Layerloom', dev: false, recent });
  const mac = buildMenuSpec({ platform: 'darwin', appName: 'Layerloom', dev: false, recent: [] });

  it('has File, Edit, View, Training and Help with the listed items', () => {
    expect(linux.map((m) => m.label?.replace('&', ''))).toEqual(['File', 'Edit', 'View', 'Training', 'Help']);
    const labels = (id: string) => (linux.find((m) => m.id === id)?.submenu ?? []).filter((i) => i.type !== 'separator').map((i) => i.label);
    expect(labels('menu.file')).toEqual(['New', 'New from Template…', 'Open…', 'Open Recent', 'Save', 'Save As…', 'Export Keras…', 'Export TypeScript…', 'Close', 'Quit']);
    expect(labels('menu.edit')).toEqual(['Undo', 'Redo', 'Cut', 'Copy', 'Paste', 'Delete', 'Select All']);
    expect(labels('menu.view')).toEqual(expect.arrayContaining(['Zoom In', 'Zoom Out', 'Zoom to Fit', 'Show/Hide Bottom Panel', 'Show/Hide Minimap', 'Toggle Full Screen']));
    expect(labels('menu.training')).toEqual(['Start Training', 'Stop Training']);
    expect(labels('menu.help')).toEqual(['Keyboard Shortcuts', 'Backend Doctor…', 'About Layerloom']);
  });

  it('macOS gets the app menu and the Window menu; Quit lives in the app menu', () => {
    expect(mac.map((m) => m.label)).toEqual(['Layerloom', '&File', '&Edit', '&View', '&Training', 'Window', '&Help']);
    expect(walk(mac).filter((i) => i.id === 'file.quit')).toHaveLength(1);
    expect(walk(mac.slice(1, 2)).some((i) => i.id === 'file.quit')).toBe(false);
  });

  it('developer tools only in development builds', () => {
    const roles = (spec: MenuItemSpec[]) => walk(spec).flatMap((i) => (i.action?.kind === 'role' ? [i.action.role] : []));
    expect(roles(linux)).not.toContain('toggleDevTools');
    expect(roles(buildMenuSpec({ platform: 'linux', appName: 'Layerloom', dev: true, recent: [] }))).toContain('toggleDevTools');
  });

  it('every editor command the shell sends exists in the editor’s command registry', async () => {
    const registry = await readFile(join(ROOT, 'renderer', 'app', 'appCommands.ts'), 'utf8');
    const ids = new Set([...registry.matchAll(/\bid: '([a-zA-Z.]+)'/g)].map((m) => m[1]));
    const sent = [...menuCommands(linux), ...menuCommands(mac), 'file.save', 'file.newFromTemplate'];
    expect(sent.length).toBeGreaterThan(15);
    for (const id of sent) expect(ids, `command ${id}`).toContain(id);
  });

  it('registers no shortcut without a modifier (the editor handles those keys, also while typing)', () => {
    for (const item of walk([...linux, ...mac])) {
      if (!item.accelerator || item.registerAccelerator === false) continue;
      expect(item.accelerator, item.label).toMatch(/(CmdOrCtrl|Cmd|Ctrl|Alt|Shift)\+|^F11$/);
    }
  });

  it('lists recent projects with & shown literally', () => {
    const open = linux.find((m) => m.id === 'menu.file')?.submenu?.find((i) => i.id === 'file.openRecent');
    expect(open?.submenu?.[0]).toMatchObject({ label: 'CNN && friends — cnn.layerloom', action: { kind: 'shell', action: { kind: 'openRecent', path: '/p/cnn.layerloom' } } });
    expect(recentLabel({ path: 'C:\\x\\y.layerloom', name: 'Y', openedAt: '' })).toBe('Y — y.layerloom');
    const none = mac.find((m) => m.id === 'menu.file')?.submenu?.find((i) => i.id === 'file.openRecent');
    expect(none?.submenu?.[0]).toMatchObject({ enabled: false });
  });

  it('Edit acts on the text field when one has focus, on the graph otherwise', () => {
    expect(editDecision('undo', true)).toEqual({ native: 'undo' });
    expect(editDecision('undo', false)).toEqual({ command: 'history.undo' });
    expect(editDecision('selectAll', false)).toEqual({ command: 'selection.selectAll' });
    expect(editDecision('delete', false)).toEqual({ command: 'selection.delete' });
    // Paste always goes through the browser so the editor's paste handler sees the system clipboard.
    expect(editDecision('paste', false)).toEqual({ native: 'paste' });
  });
});

describe('dialogs and the quit guard', () => {
  it('opens the right native dialog for each purpose', () => {
    expect(dialogPlan({ purpose: 'openProject' }, 'linux', '/home/u')).toMatchObject({ kind: 'open', options: { defaultPath: '/home/u', properties: ['openFile'] } });
    const save = dialogPlan({ purpose: 'saveProject', defaultPath: '/p/a.layerloom' }, 'win32', '/home/u');
    expect(save).toMatchObject({ kind: 'save', options: { defaultPath: '/p/a.layerloom' } });
    expect(JSON.stringify(save.options)).toContain('"layerloom"');
    expect(dialogPlan({ purpose: 'datasetFolder' }, 'linux', '/d').options).toMatchObject({ properties: ['openDirectory'] });
    expect(dialogPlan({ purpose: 'datasetFolder' }, 'darwin', '/d').options).toMatchObject({ properties: ['openDirectory', 'openFile'] });
    expect(dialogPlan({ purpose: 'exportFolder' }, 'linux', '/d').options).toMatchObject({ properties: expect.arrayContaining(['openDirectory', 'createDirectory']) });
  });

  it('turns the dialog answer into a path; a saved project always ends in .layerloom', () => {
    const save = dialogPlan({ purpose: 'saveProject' }, 'linux', '/d');
    expect(dialogResult(save, { canceled: false, filePath: '/d/net' })).toBe('/d/net.layerloom');
    expect(dialogResult(save, { canceled: false, filePath: '/d/net.LAYERLOOM' })).toBe('/d/net.LAYERLOOM');
    expect(dialogResult(save, { canceled: true, filePath: '/d/net' })).toBeNull();
    const open = dialogPlan({ purpose: 'openProject' }, 'linux', '/d');
    expect(dialogResult(open, { canceled: false, filePaths: ['/d/a.layerloom', '/d/b.layerloom'] })).toBe('/d/a.layerloom');
    expect(dialogResult(open, { canceled: false, filePaths: [] })).toBeNull();
  });

  it('asks Save / Don’t Save / Cancel, with Cancel as the escape answer', () => {
    const p = unsavedChangesPrompt('CNN');
    expect(p.message).toContain('"CNN"');
    expect(p.buttons[p.cancelId]).toBe('Cancel');
    expect([0, 1, 2, 3].map(unsavedChoice)).toEqual(['save', 'discard', 'cancel', 'cancel']);
  });

  it('closes the window only once the save it asked for has landed', () => {
    const w = new EditorWindowModel(1, 11, null);
    w.applyTitle('● CNN — Layerloom');
    expect(w.dirty).toBe(true);
    w.closeAfterSave = true;
    expect(w.applyEffect({ kind: 'saveAbandoned' })).toBeNull();
    expect(w.closeAfterSave).toBe(false);
    w.closeAfterSave = true;
    expect(w.applyEffect({ kind: 'projectFile', path: '/p/cnn.layerloom', name: 'CNN', saved: true })).toBe('close');
    expect(w).toMatchObject({ dirty: false, projectPath: '/p/cnn.layerloom', closeAfterSave: false });
    expect(w.applyEffect({ kind: 'projectFile', path: '/p/cnn.layerloom', name: 'CNN', saved: true })).toBeNull();
  });
});

describe('windows', () => {
  it('reads unsaved state and name from the editor’s title', () => {
    expect(parseTitle('● Tiny CNN — Layerloom')).toEqual({ name: 'Tiny CNN', dirty: true });
    expect(parseTitle('Tiny CNN — Layerloom')).toEqual({ name: 'Tiny CNN', dirty: false });
    expect(parseTitle('Layerloom')).toEqual({ name: 'Layerloom', dirty: false });
  });

  it('opens a file where it is already open, in a blank focused window, or in a new window', () => {
    const a = new EditorWindowModel(1, 11, '/p/a.layerloom');
    const blank = new EditorWindowModel(2, 12, null);
    const busy = new EditorWindowModel(3, 13, null);
    busy.applyTitle('● Untitled — Layerloom');
    expect(routeOpenFile('/p/a.layerloom', [a, blank, busy], 3, 'linux')).toEqual({ kind: 'focus', windowId: 1 });
    expect(routeOpenFile('/p/b.layerloom', [a, blank, busy], 2, 'linux')).toEqual({ kind: 'reuse', windowId: 2 });
    expect(routeOpenFile('/p/b.layerloom', [a, blank, busy], 3, 'linux')).toEqual({ kind: 'new' });
    expect(routeOpenFile('/p/b.layerloom', [a, blank, busy], 1, 'linux')).toEqual({ kind: 'new' });
    expect(routeOpenFile('/p/b.layerloom', [], null, 'linux')).toEqual({ kind: 'new' });
  });

  it('compares paths as the platform does', () => {
    expect(samePath('/p/A.layerloom', '/p/a.layerloom', 'darwin')).toBe(true);
    expect(samePath('/p/A.layerloom', '/p/a.layerloom', 'linux')).toBe(false);
    expect(samePath('/p/x/../a.layerloom', '/p/a.layerloom', 'linux')).toBe(true);
  });
});

describe('window state', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'll-winstate-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const primary: Rect = { x: 0, y: 25, width: 1920, height: 1055 };
  const right: Rect = { x: 1920, y: 0, width: 2560, height: 1440 };

  it('saves and loads; a missing or broken file means defaults', async () => {
    const file = join(dir, 'state', 'window-state.json');
    expect(await loadWindowState(file)).toBeNull();
    const state = { bounds: { x: 100, y: 120, width: 1300, height: 800 }, maximized: true, fullScreen: false };
    await saveWindowState(file, state);
    expect(await loadWindowState(file)).toEqual(state);
    await writeFile(file, '{ not json');
    expect(await loadWindowState(file)).toBeNull();
    expect(parseWindowState({ bounds: { x: 0, y: 0, width: -5, height: 10 } })).toBeNull();
    expect(parseWindowState({ bounds: { x: 'a', y: 0, width: 5, height: 10 } })).toBeNull();
  });

  it('first window: default size on the primary display, centred by the OS', () => {
    expect(placeWindow(null, [primary], null)).toEqual({ bounds: { width: DEFAULT_SIZE.width, height: DEFAULT_SIZE.height }, maximized: false, fullScreen: false });
    expect(placeWindow(null, [{ x: 0, y: 0, width: 1280, height: 720 }], null).bounds).toEqual({ width: 1280, height: 720 });
  });

  it('puts a window back where it was, if that display still exists', () => {
    const saved = { bounds: { x: 2100, y: 100, width: 1600, height: 1000 }, maximized: true, fullScreen: false };
    expect(placeWindow(saved, [primary, right], null)).toEqual({ bounds: saved.bounds, maximized: true, fullScreen: false });
    // The right-hand monitor was unplugged: same size, centred on the primary display.
    expect(placeWindow(saved, [primary], null)).toEqual({ bounds: { width: 1600, height: 1000 }, maximized: true, fullScreen: false });
    // Partly off-screen: moved inside.
    expect(placeWindow({ ...saved, bounds: { x: 1500, y: 900, width: 1000, height: 600 }, maximized: false }, [primary], null).bounds).toEqual({ x: 920, y: 480, width: 1000, height: 600 });
  });

  it('cascades a new window from the focused one and wraps at the display edge', () => {
    const focused = { x: 200, y: 100, width: 1200, height: 800 };
    expect(placeWindow(null, [primary], focused).bounds).toEqual({ x: 200 + CASCADE_OFFSET, y: 100 + CASCADE_OFFSET, width: 1200, height: 800 });
    const corner = { x: 700, y: 255, width: 1200, height: 800 };
    expect(placeWindow(null, [primary], corner).bounds).toEqual({ x: CASCADE_OFFSET, y: 25 + CASCADE_OFFSET, width: 1200, height: 800 });
  });
});

describe('command line', () => {
  it('takes .layerloom files, resolved against the launch directory, and nothing else', () => {
    const argv = ['/opt/Layerloom/layerloom', '--no-sandbox', '-psn_0_12345', 'nets/cnn.layerloom', '/abs/b.LAYERLOOM', '.', 'notes.txt', 'nets/cnn.layerloom'];
    expect(projectPathsFromArgv(argv, '/home/u')).toEqual([resolve('/home/u', 'nets', 'cnn.layerloom'), '/abs/b.LAYERLOOM']);
    expect(projectPathsFromArgv(['electron', '.'], '/repo')).toEqual([]);
  });
});
