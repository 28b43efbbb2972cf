/**
 * The desktop shell: Electron's main process. A thin adapter from Electron to the same host API the
 * browser host uses (electron/server/hostApi.ts): each editor window gets a `HostApi` whose
 * `dispatch` validates every argument before a service runs; IPC only carries calls to it.
 *
 * Decisions live beside this file in electron/main/ as plain functions (security, menus, dialogs,
 * window state, open-file routing, IPC handling) and are unit-tested; this file wires them to
 * Electron.
 *
 * - One window per project (see electron/main/windows.ts for why), single instance: a second
 *   launch or a double-clicked `.layerloom` file opens in the running app.
 * - Renderer served from `app://layerloom` with a strict CSP; sandboxed, context-isolated, no Node;
 *   navigation and new windows denied, web links handed to the system browser.
 * - Training runs in an Electron utility process; a crash there ends the run with an error.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeTheme,
  protocol,
  screen,
  session,
  shell,
  utilityProcess,
  type MenuItemConstructorOptions,
  type WebContents,
} from 'electron';
import type { ApiEventName, ApiEvents } from '../../shared/api/contract.js';
import type { PickPathRequest, RecentProject } from '../../shared/api/types.js';
import { WORKER_FLAG } from '../../shared/training/protocol.js';
import { adapterStates, loadServiceAdapters, type ServiceAdapters } from '../server/adapters.js';
import { createHostApi, defaultStateDir, type HostApi } from '../server/hostApi.js';
import { RecentService } from '../services/recentService.js';
import { setWorkerSpawner, stopAllTraining } from '../services/trainingService.js';
import { APP_SCHEME_PRIVILEGES, appResponseHeaders, resolveAppAsset } from './appProtocol.js';
import { projectPathsFromArgv } from './argv.js';
import { dialogPlan, dialogResult, openProjectsDialog, unsavedChangesPrompt, unsavedChoice } from './dialogs.js';
import { registerInvokeHandler, type CallEffect } from './ipcHandlers.js';
import { EVENT_CHANNEL, type IpcEventMessage } from './ipcProtocol.js';
import { buildMenuSpec, EDITABLE_FOCUS_PROBE, editDecision, PROBE_WORLD_ID, type EditOp, type MenuItemSpec, type ShellAction } from './menu.js';
import {
  APP_INDEX_URL,
  APP_SCHEME,
  navigationDecision,
  permissionAllowed,
  secureWebPreferences,
  trustedOrigins,
  windowOpenDecision,
} from './security.js';
import { utilityProcessSpawner } from './trainingProcess.js';
import { loadWindowState, MIN_SIZE, placeWindow, saveWindowState, type Rect, type WindowState } from './windowState.js';
import { EditorWindowModel, routeOpenFile } from './windows.js';

const APP_NAME = 'Layerloom';
const APP_USER_MODEL_ID = 'org.layerloom.app';

app.setName(APP_NAME);

/** `npm run dev` (electron-vite) serves the renderer with hot reload; packaged apps never do. */
const devServerUrl = !app.isPackaged && process.env.ELECTRON_RENDERER_URL ? process.env.ELECTRON_RENDERER_URL : null;
const origins = trustedOrigins(devServerUrl);

// Must happen before `ready`.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);
app.enableSandbox();

const appPath = app.getAppPath();
/** examples/ and assets/datasets: beside the app in a checkout, in resources/ when packaged. */
const resourcesRoot = app.isPackaged ? process.resourcesPath : appPath;
/** out/renderer; out/renderer-e2e in the test build (electron.vite.config.ts replaces this at build time). */
const rendererDir = join(appPath, 'out', process.env.LAYERLOOM_RENDERER_FOLDER === 'renderer-e2e' ? 'renderer-e2e' : 'renderer');
const preloadPath = join(appPath, 'out', 'preload', 'preload.cjs');
const windowIcon = join(appPath, 'assets', 'icons', 'png', '512x512.png');
/** Shared with the browser host and the CLI: recent projects and recovery files are the same. */
const stateDir = defaultStateDir();
const windowStateFile = join(stateDir, 'window-state.json');
const workerEntry = fileURLToPath(new URL('../services/trainingWorker.js', import.meta.url));

interface EditorWindow {
  readonly win: BrowserWindow;
  readonly model: EditorWindowModel;
  readonly host: HostApi;
}

/** Editor windows by webContents id (the id IPC messages carry). */
const editors = new Map<number, EditorWindow>();
let lastFocusedContentsId: number | null = null;
let adapters: ServiceAdapters | null = null;
let savedWindowState: WindowState | null = null;
/** A quit is in progress (set by `before-quit`, cleared when the user cancels a prompt). */
let quitting = false;
/** The user chose "Save" while quitting: quit once that save has landed. */
let resumeQuitAfterSave = false;
let ready = false;
const pendingPaths: string[] = [];
const recent = new RecentService(stateDir);

// ---------------------------------------------------------------------------------------------
// Windows

function editorOf(win: BrowserWindow | null | undefined): EditorWindow | undefined {
  if (!win || win.isDestroyed()) return undefined;
  return editors.get(win.webContents.id);
}

/** The window menu items act on: the focused editor, else the one focused last. */
function targetEditor(win?: BrowserWindow | null): EditorWindow | undefined {
  return (
    editorOf(win ?? null) ??
    editorOf(BrowserWindow.getFocusedWindow()) ??
    (lastFocusedContentsId !== null ? editors.get(lastFocusedContentsId) : undefined) ??
    [...editors.values()].at(-1)
  );
}

function send<K extends ApiEventName>(contents: WebContents, event: K, payload: ApiEvents[K]): void {
  if (contents.isDestroyed()) return;
  const message: IpcEventMessage<K> = { event, payload };
  contents.send(EVENT_CHANNEL, message);
}

function sendCommand(editor: EditorWindow, command: string): void {
  send(editor.win.webContents, 'appCommand', { command });
}

function workAreas(): Rect[] {
  const primary = screen.getPrimaryDisplay();
  return [primary, ...screen.getAllDisplays().filter((d) => d.id !== primary.id)].map((d) => d.workArea);
}

function rememberWindowState(win: BrowserWindow): void {
  savedWindowState = { bounds: win.getNormalBounds(), maximized: win.isMaximized(), fullScreen: win.isFullScreen() };
  void saveWindowState(windowStateFile, savedWindowState).catch((e: Error) => console.error(`Could not save the window state: ${e.message}`));
}

async function pickPath(win: BrowserWindow, request: PickPathRequest): Promise<string | null> {
  const plan = dialogPlan(request, process.platform, app.getPath('documents'));
  if (plan.kind === 'open') return dialogResult(plan, await dialog.showOpenDialog(win, plan.options));
  return dialogResult(plan, await dialog.showSaveDialog(win, plan.options));
}

/** Opens a new editor window, for a project file or (null) a new project. */
async function createWindow(startupProject: string | null): Promise<EditorWindow> {
  const focused = targetEditor();
  const placement = placeWindow(savedWindowState, workAreas(), focused && !focused.win.isMinimized() ? focused.win.getBounds() : null);
  const win = new BrowserWindow({
    ...placement.bounds,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    show: false,
    title: APP_NAME,
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#0f1117' : '#f5f6f8',
    ...(process.platform === 'linux' && existsSync(windowIcon) ? { icon: windowIcon } : {}),
    webPreferences: secureWebPreferences(preloadPath, !app.isPackaged),
  });

  const contents = win.webContents;
  const model = new EditorWindowModel(win.id, contents.id, startupProject);
  const host = await createHostApi({
    host: 'electron',
    rootDir: resourcesRoot,
    stateDir,
    startupProject,
    version: app.getVersion(),
    pickPath: (request) => pickPath(win, request),
    ...(adapters ? { adapters } : {}),
  });
  const editor: EditorWindow = { win, model, host };
  editors.set(contents.id, editor);
  // Events of this window's host (training progress) go to this window only.
  const unsubscribe = host.onEvent((event, payload) => send(contents, event, payload));

  win.once('ready-to-show', () => {
    // Maximizing a hidden window shows it on some systems: do it when it is ready to be seen.
    if (placement.maximized) win.maximize();
    if (placement.fullScreen) win.setFullScreen(true);
    win.show();
  });
  win.on('focus', () => (lastFocusedContentsId = contents.id));
  contents.on('page-title-updated', (_e, title) => {
    if (model.applyTitle(title) && process.platform === 'darwin') win.setDocumentEdited(model.dirty);
  });

  // Quit guard: the editor's `beforeunload` refuses to unload while there are unsaved changes;
  // Electron then asks here instead of silently keeping the window open.
  contents.on('will-prevent-unload', (event) => {
    const choice = unsavedChoice(dialog.showMessageBoxSync(win, { type: 'warning', noLink: true, ...unsavedChangesPrompt(model.name) }));
    if (choice === 'discard') {
      event.preventDefault(); // let the page unload: the window closes
      if (model.recoveryKey) void host.dispatch('discardRecovery', [model.recoveryKey]).catch(() => undefined);
    } else if (choice === 'save') {
      // Electron has abandoned the close (and any quit); onEffect closes once the save lands.
      model.closeAfterSave = true;
      resumeQuitAfterSave = quitting;
      sendCommand(editor, 'file.save');
    } else {
      quitting = false;
    }
  });

  contents.on('render-process-gone', (_e, details) => {
    if (details.reason === 'clean-exit' || win.isDestroyed()) return;
    const r = dialog.showMessageBoxSync(win, {
      type: 'error',
      noLink: true,
      message: 'This Layerloom window stopped working.',
      detail: `Reason: ${details.reason} (exit code ${details.exitCode}). Unsaved work is autosaved; reload the window to get it back.`,
      buttons: ['Reload', 'Close Window'],
      defaultId: 0,
    });
    if (r === 0) win.webContents.reload();
    else win.destroy();
  });

  win.on('close', () => rememberWindowState(win));
  win.on('closed', () => {
    unsubscribe();
    for (const runId of model.runIds) void host.dispatch('stopTraining', [runId]).catch(() => undefined);
    host.close();
    editors.delete(contents.id);
    if (lastFocusedContentsId === contents.id) lastFocusedContentsId = null;
  });

  await win.loadURL(devServerUrl ?? APP_INDEX_URL);
  return editor;
}

/** Opens project files: each in the window showing it, the focused blank window, or a new one. */
async function openPaths(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    const focused = targetEditor();
    const route = routeOpenFile(path, [...editors.values()].map((e) => e.model), focused ? focused.win.id : null);
    if (route.kind === 'new') {
      await createWindow(path);
      continue;
    }
    const editor = [...editors.values()].find((e) => e.win.id === route.windowId);
    if (!editor) continue;
    if (editor.win.isMinimized()) editor.win.restore();
    editor.win.focus();
    if (route.kind === 'reuse') send(editor.win.webContents, 'openFileRequest', { path });
  }
}

// ---------------------------------------------------------------------------------------------
// Effects of API calls (recent documents, title, quit guard)

function onEffect(contentsId: number, effect: CallEffect): void {
  const editor = editors.get(contentsId);
  if (!editor) return;
  const next = editor.model.applyEffect(effect);
  if (effect.kind === 'projectFile') {
    app.addRecentDocument(effect.path);
    if (process.platform === 'darwin') editor.win.setRepresentedFilename(effect.path);
    void refreshMenu();
  } else if (effect.kind === 'untitled' && process.platform === 'darwin') {
    editor.win.setRepresentedFilename('');
  }
  if (effect.kind === 'saveAbandoned') {
    // The user cancelled the save dialog (or the save failed): the close and any quit are off.
    resumeQuitAfterSave = false;
    quitting = false;
  }
  if (next === 'close') {
    if (resumeQuitAfterSave) {
      resumeQuitAfterSave = false;
      editor.win.once('closed', () => app.quit());
    }
    editor.win.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Menus

async function runEdit(editor: EditorWindow, op: EditOp): Promise<void> {
  const contents = editor.win.webContents;
  const editable = await contents.executeJavaScriptInIsolatedWorld(PROBE_WORLD_ID, [{ code: EDITABLE_FOCUS_PROBE }]).then(
    (v: unknown) => v === true,
    () => false,
  );
  const d = editDecision(op, editable);
  if ('command' in d) return sendCommand(editor, d.command);
  contents[d.native]();
}

async function showBackendDoctor(editor: EditorWindow | undefined): Promise<void> {
  const options = { type: 'info' as const, title: 'Backend doctor', noLink: true };
  try {
    if (!adapters?.backend.available) throw new Error(adapters?.backend.reason ?? 'The backend doctor is not part of this build.');
    const s = await adapters.backend.status();
    const box = { ...options, type: s.ok ? ('info' as const) : ('warning' as const), message: s.summary, detail: [`Backend: ${s.backend}`, `Device: ${s.device}`, '', ...s.details].join('\n') };
    await (editor ? dialog.showMessageBox(editor.win, box) : dialog.showMessageBox(box));
  } catch (e) {
    dialog.showErrorBox('Backend doctor', (e as Error).message);
  }
}

function showAbout(editor: EditorWindow | undefined): void {
  if (process.platform === 'darwin') return app.showAboutPanel();
  const box = {
    type: 'info' as const,
    title: `About ${APP_NAME}`,
    noLink: true,
    message: `${APP_NAME} ${app.getVersion()}`,
    detail: `Visual neural-network builder.\n\nElectron ${process.versions.electron}\nChromium ${process.versions.chrome}\nNode.js ${process.versions.node}`,
  };
  void (editor ? dialog.showMessageBox(editor.win, box) : dialog.showMessageBox(box));
}

async function runShellAction(action: ShellAction, from: BrowserWindow | undefined): Promise<void> {
  const editor = targetEditor(from);
  switch (action.kind) {
    case 'newWindow':
      await createWindow(null);
      return;
    case 'newFromTemplate': {
      const target = editor?.model.blank ? editor : await createWindow(null);
      // Held by the preload until the editor subscribes, so a brand-new window gets it too.
      sendCommand(target, 'file.newFromTemplate');
      return;
    }
    case 'open': {
      const options = openProjectsDialog(editor?.model.projectPath ? join(editor.model.projectPath, '..') : app.getPath('documents'));
      const r = editor ? await dialog.showOpenDialog(editor.win, options) : await dialog.showOpenDialog(options);
      if (!r.canceled) await openPaths(r.filePaths);
      return;
    }
    case 'openRecent':
      await openPaths([action.path]);
      return;
    case 'backendDoctor':
      await showBackendDoctor(editor);
      return;
    case 'about':
      showAbout(editor);
      return;
  }
}

function toTemplate(items: readonly MenuItemSpec[]): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    if (item.type === 'separator') return { type: 'separator' };
    const base: MenuItemConstructorOptions = {
      ...(item.id ? { id: item.id } : {}),
      ...(item.label ? { label: item.label } : {}),
      ...(item.accelerator ? { accelerator: item.accelerator } : {}),
      ...(item.registerAccelerator === false ? { registerAccelerator: false } : {}),
      ...(item.enabled === false ? { enabled: false } : {}),
      ...(item.submenu ? { submenu: toTemplate(item.submenu) } : {}),
    };
    const action = item.action;
    if (!action) return base;
    const report = (e: unknown) => console.error(`Menu ${item.id ?? item.label}: ${(e as Error).message}`);
    switch (action.kind) {
      case 'role':
        return { ...base, role: action.role };
      case 'command':
        return {
          ...base,
          click: (_i, win) => {
            const editor = targetEditor(win instanceof BrowserWindow ? win : null);
            if (editor) sendCommand(editor, action.command);
          },
        };
      case 'edit':
        return {
          ...base,
          click: (_i, win) => {
            const editor = targetEditor(win instanceof BrowserWindow ? win : null);
            if (editor) void runEdit(editor, action.op).catch(report);
          },
        };
      case 'shell':
        return { ...base, click: (_i, win) => void runShellAction(action.action, win instanceof BrowserWindow ? win : undefined).catch(report) };
    }
  });
}

async function refreshMenu(): Promise<void> {
  const list: RecentProject[] = await recent.list().catch(() => []);
  const spec = buildMenuSpec({ platform: process.platform, appName: APP_NAME, dev: !app.isPackaged, recent: list });
  Menu.setApplicationMenu(Menu.buildFromTemplate(toTemplate(spec)));
  if (process.platform === 'darwin') {
    app.dock?.setMenu(Menu.buildFromTemplate(toTemplate([{ label: 'New Window', action: { kind: 'shell', action: { kind: 'newWindow' } } }])));
  }
}

// ---------------------------------------------------------------------------------------------
// Security for every web contents (editor windows and anything they might try to open)

app.on('web-contents-created', (_e, contents) => {
  contents.setWindowOpenHandler(({ url }) => {
    if (windowOpenDecision(url) === 'external') void shell.openExternal(url);
    return { action: 'deny' };
  });
  const guard = (event: { preventDefault(): void }, url: string) => {
    const decision = navigationDecision(url, origins);
    if (decision === 'allow') return;
    event.preventDefault();
    if (decision === 'external') void shell.openExternal(url);
  };
  contents.on('will-navigate', (event) => guard(event, event.url));
  contents.on('will-redirect', (event) => guard(event, event.url));
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

function installSessionPolicy(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((contents, permission, callback, details) => callback(permissionAllowed(permission, details.requestingUrl || contents.getURL(), origins)));
  ses.setPermissionCheckHandler((contents, permission, requestingOrigin) => permissionAllowed(permission, requestingOrigin || contents?.getURL() || '', origins));
  protocol.handle(APP_SCHEME, async (request) => {
    const asset = resolveAppAsset(request.url, rendererDir);
    if (!asset.ok) return new Response(asset.reason, { status: asset.status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
    try {
      return new Response(await readFile(asset.file), { status: 200, headers: appResponseHeaders(asset.contentType) });
    } catch {
      const hint = asset.file.endsWith('index.html') ? ' The renderer is not built: run `npm run build`.' : '';
      return new Response(`Not found.${hint}`, { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Start

registerInvokeHandler(ipcMain, {
  origins,
  hostFor: (id) => editors.get(id)?.host,
  onEffect,
  log: (message) => console.warn(message),
});

// macOS delivers double-clicked files (and files dropped on the Dock icon) here, possibly before
// `ready`; other platforms pass them on the command line.
app.on('open-file', (event, path) => {
  event.preventDefault();
  if (ready) void openPaths([path]);
  else pendingPaths.push(path);
});

if (!app.requestSingleInstanceLock()) {
  // Another Layerloom is running: it receives our command line (`second-instance`) and opens it.
  app.quit();
} else {
  app.on('second-instance', (_event, argv, workingDirectory) => {
    const paths = projectPathsFromArgv(argv, workingDirectory);
    if (paths.length) return void openPaths(paths);
    const editor = targetEditor();
    if (!editor) return void createWindow(null);
    if (editor.win.isMinimized()) editor.win.restore();
    editor.win.focus();
  });

  app.on('before-quit', () => {
    quitting = true;
  });
  app.on('will-quit', () => stopAllTraining());
  app.on('window-all-closed', () => {
    // macOS apps stay open without windows (the Dock and the menu bar still work).
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (ready && editors.size === 0) void createWindow(null);
  });
  app.on('child-process-gone', (_e, details) => {
    if (details.reason !== 'clean-exit') console.error(`A ${details.type} process (${details.serviceName ?? details.name ?? 'unnamed'}) stopped: ${details.reason}, exit code ${details.exitCode}.`);
  });

  void app
    .whenReady()
    .then(async () => {
      if (process.platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID);
      app.setAboutPanelOptions({
        applicationName: APP_NAME,
        applicationVersion: app.getVersion(),
        version: `Electron ${process.versions.electron}`,
        copyright: 'MIT License',
      });
      installSessionPolicy();
      setWorkerSpawner(utilityProcessSpawner((modulePath, args, options) => utilityProcess.fork(modulePath, args, options), workerEntry, WORKER_FLAG));
      [adapters, savedWindowState] = await Promise.all([loadServiceAdapters(), loadWindowState(windowStateFile)]);
      for (const a of adapterStates(adapters)) if (!a.available) console.warn(`note: ${a.reason}`);
      await refreshMenu();
      ready = true;
      const paths = [...projectPathsFromArgv(process.argv, process.cwd()), ...pendingPaths.splice(0)];
      if (paths.length) await openPaths(paths);
      else await createWindow(null);
    })
    .catch((e: Error) => {
      dialog.showErrorBox(`${APP_NAME} could not start`, e.stack ?? e.message);
      app.exit(1);
    });
}
