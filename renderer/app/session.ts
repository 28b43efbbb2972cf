/**
 * The open project's lifecycle: boot, new, open, save, save as, templates, autosave and crash
 * recovery. Holds the one `Editor` of this window.
 */
import type { ImportModelOptions, RecoveryEntry } from '../../shared/api/types.js';
import { emptyDocument, type ProjectDocument } from '../../shared/graph/document.js';
import { OPAQUE_LAYER_TYPE } from '../../shared/graph/opaqueLayer.js';
import { moveNodes } from '../../shared/graph/operations.js';
import { rebaseProjectPaths, resolveProjectPath, weightsFolderFor } from '../../shared/graph/projectPaths.js';
import { isSidewaysLayout, layoutDocument, routesIfLaidOut } from '../editor/layout.js';
import { runEditorCommand } from '../editor/commands.js';
import { Editor } from '../editor/editorStore.js';
import { api, errorDetails, errorMessage, isNotAvailable, onConnectionState } from '../platform/api.js';
import { closeDialog, openDialog, toast, useUi } from '../state/uiStore.js';
import { canvas } from '../canvas/canvasController.js';
import { refreshRuns, resetTrainingView, startTrainingEvents } from '../state/trainingStore.js';
import { SESSION_KEY } from './sessionKey.js';

/** The editor of this window; it starts with an empty project (the start screen shows over it). */
export const editor = new Editor(emptyDocument('Untitled'));

/**
 * The project this tab last had open, so a reload reopens it. Session storage: per tab (and per
 * Electron window), so a new window still starts at the start screen.
 */
const LAST_PROJECT_KEY = 'layerloom.lastProject';

function rememberLastProject(path: string | null): void {
  try {
    if (path) sessionStorage.setItem(LAST_PROJECT_KEY, path);
    else sessionStorage.removeItem(LAST_PROJECT_KEY);
  } catch {
    // Storage unavailable: a reload shows the start screen instead.
  }
}

function lastProject(): string | null {
  try {
    return sessionStorage.getItem(LAST_PROJECT_KEY);
  } catch {
    return null;
  }
}

/**
 * Puts a project into the editor: closes the start screen, resets every panel (a new
 * `projectEpoch` remounts the dock's tabs, so no scan or chart of the old project lingers).
 */
function loadProject(doc: ProjectDocument, path: string | null, options: { dirty?: boolean } = {}): void {
  editor.load(doc, path, options);
  resetTrainingView();
  useUi.setState((s) => ({ start: false, lastSavedAt: null, projectEpoch: s.projectEpoch + 1 }));
  rememberLastProject(path);
}

/** Names this editor's recovery file and its never-saved runs' folder (see sessionKey.ts). */
const sessionKey = SESSION_KEY;

function afterLoad(): void {
  // Let React Flow measure the new nodes before fitting.
  window.setTimeout(() => canvas()?.fitReadable(), 60);
  // A project saved as auto-layout left it (every bundled example) gets its routed wires back;
  // routes are a view of the layout, not saved in the file.
  const doc = editor.doc;
  if (Object.keys(editor.state.routes).length === 0) {
    void routesIfLaidOut(doc).then(
      (routes) => routes && editor.doc === doc && editor.setRoutes(routes),
      () => undefined,
    );
  }
  // An older project laid out left to right: its wires loop round the blocks. Say why, and offer
  // the fix rather than moving the user's blocks unasked.
  if (isSidewaysLayout(doc)) {
    toast('info', 'This project is laid out left to right, so its wires loop round the blocks. Auto-layout (Shift+L) places them top to bottom, one undo step.', undefined, {
      label: 'Auto-layout',
      run: () =>
        void runEditorCommand(editor, 'graph.autoLayout').then(
          () => window.setTimeout(() => canvas()?.fitReadable(), 30),
          (e: unknown) => toast('error', errorMessage(e)),
        ),
    });
  }
}

/** Asks before throwing away unsaved work; runs `proceed` when it is fine to continue. */
export function guardUnsaved(action: string, proceed: () => void): void {
  if (!editor.dirty) return proceed();
  openDialog({
    kind: 'confirm',
    title: 'Unsaved changes',
    message: `"${editor.doc.name}" has changes that are not saved. ${action} anyway and lose them?`,
    confirmLabel: 'Discard changes',
    danger: true,
    onConfirm: () => {
      closeDialog();
      void api.discardRecovery(sessionKey).catch(() => undefined);
      proceed();
    },
    alternative: {
      label: 'Save first',
      run: () => {
        closeDialog();
        void save().then((ok) => ok && proceed());
      },
    },
  });
}

/** A new, empty project. */
export function newProject(): void {
  guardUnsaved('Start a new project', () => {
    loadProject(emptyDocument('Untitled'), null);
    afterLoad();
  });
}

/** Shows the start screen (new, templates, open, recent). */
export function showStartScreen(): void {
  useUi.setState({ start: true, dialog: null, quickAdd: null });
}

/**
 * Opens a project file, or imports a model file as a project. Returns true on success. An import
 * stopped by layers Layerloom cannot represent lists them and offers to keep them as opaque blocks.
 */
export async function openPath(path: string, options?: ImportModelOptions): Promise<boolean> {
  try {
    const opened = options ? await api.importModel(path, options) : await api.openProject(path);
    loadProject(opened.doc, opened.path);
    afterLoad();
    if (opened.migratedFrom !== undefined) {
      toast('info', `Opened ${opened.doc.name}; it was saved by an older Layerloom (format ${opened.migratedFrom}) and will be saved in the current format.`);
    }
    if (options?.allowUnsupported) {
      const kept = opened.doc.nodes.filter((n) => n.type === OPAQUE_LAYER_TYPE).map((n) => `${n.label} (${String(n.params.keras_class)})`);
      if (kept.length) toast('warning', `Kept ${kept.length} unsupported layer(s) as opaque blocks; training and export refuse until each is replaced: ${kept.join(', ')}.`);
    }
    return true;
  } catch (e) {
    // The import report names each layer; its action imports again keeping them.
    const keep = !options?.allowUnsupported && /--allow-unsupported/.test(errorMessage(e));
    toast('error', errorMessage(e), errorDetails(e), keep ? { label: 'Keep unsupported layers', run: () => void openPath(path, { allowUnsupported: true }).then((ok) => ok && closeDialog()) } : undefined);
    return false;
  }
}

/** Opens a project file after the unsaved-changes check. */
export function open(path: string): void {
  guardUnsaved('Open another project', () => void openPath(path).then((ok) => ok && closeDialog()));
}

/** A template as a new unsaved project. */
export function newFromTemplate(id: string): void {
  guardUnsaved('Start from a template', () => {
    void api.openTemplate(id).then(
      async (opened) => {
        // A template is a new document: lay it out for this window so it opens readable.
        const layout = await layoutDocument(opened.doc).catch(() => null);
        loadProject(layout ? moveNodes(opened.doc, layout.positions) : opened.doc, null, { dirty: true });
        if (layout) editor.setRoutes(layout.routes);
        closeDialog();
        afterLoad();
      },
      (e: unknown) => toast('error', errorMessage(e), errorDetails(e)),
    );
  });
}

/** Saves to `path`. Returns true on success. */
export async function saveTo(path: string): Promise<boolean> {
  const before = editor.doc;
  const from = editor.state.path;
  // Paths in the project are stored relative to its file: a save elsewhere rebases them. Imported
  // weights live in a folder named after the project file, inside its folder: Save As copies them.
  const weightsFrom = before.initialWeights && from && from !== path ? resolveProjectPath(before.initialWeights, from) : null;
  const rebase = (d: ProjectDocument) => {
    const r = rebaseProjectPaths(d, from, path);
    return weightsFrom && r.initialWeights ? { ...r, initialWeights: weightsFolderFor(path) } : r;
  };
  const doc = rebase(before);
  try {
    const saved = await api.saveProject(path, doc, weightsFrom);
    // Mark exactly what was written as saved (edits made while saving stay dirty).
    if (doc === before && editor.doc === before) editor.markSaved(saved.path);
    else editor.markSavedAs(saved.path, before, doc, rebase);
    useUi.setState({ lastSavedAt: saved.savedAt });
    rememberLastProject(saved.path);
    void api.discardRecovery(sessionKey).catch(() => undefined);
    // A never-saved project's runs move into runs/ beside it on its first save (before the save
    // counts as done, so Export and the runs list see them there).
    if (from === null) {
      await api.adoptRuns({ sessionKey, projectPath: saved.path }).then(
        (r) => {
          if (r.moved.length) void refreshRuns(saved.path);
          if (r.left.length) toast('warning', `${r.left.length} run(s) still training stay with the unsaved session; they were not moved beside ${saved.path}.`);
        },
        (e: unknown) => toast('error', `The runs of the unsaved project could not be moved beside it: ${errorMessage(e)}`),
      );
    }
    toast('success', `Saved ${saved.path}`);
    return true;
  } catch (e) {
    toast('error', errorMessage(e), errorDetails(e));
    return false;
  }
}

/** Saves to the current file, or asks where. Resolves true when saved. */
export function save(): Promise<boolean> {
  const path = editor.state.path;
  if (path) return saveTo(path);
  return saveAs();
}

/** Asks for a path (native dialog in Electron, a path field in the browser) and saves there. */
export async function saveAs(): Promise<boolean> {
  const info = useUi.getState().appInfo;
  if (info?.capabilities.nativeDialogs) {
    const chosen = await api.pickPath({ purpose: 'saveProject', ...(editor.state.path ? { defaultPath: editor.state.path } : {}) }).catch(() => null);
    return chosen ? saveTo(chosen) : false;
  }
  return new Promise((resolve) => {
    let done = false;
    openDialog({ kind: 'saveAs', then: () => ((done = true), resolve(true)) });
    const unsub = useUi.subscribe((s) => {
      if (s.dialog?.kind !== 'saveAs') {
        unsub();
        if (!done) resolve(false);
      }
    });
  });
}

/** Restores a recovery entry as the open (unsaved) project. */
export function recover(entry: RecoveryEntry): void {
  loadProject(entry.doc, entry.path, { dirty: true });
  void api.discardRecovery(entry.key).catch(() => undefined);
  closeDialog();
  afterLoad();
  toast('success', `Recovered unsaved work on "${entry.name}". Save it to keep it.`);
}

const AUTOSAVE_MS = 1500;
let autosaveTimer: number | undefined;

function startAutosave(): void {
  let lastWritten: ProjectDocument | null = null;
  editor.store.subscribe((s, prev) => {
    if (s.doc === prev.doc && s.savedDoc === prev.savedDoc) return;
    window.clearTimeout(autosaveTimer);
    if (s.doc === s.savedDoc) {
      if (lastWritten) void api.discardRecovery(sessionKey).catch(() => undefined);
      lastWritten = null;
      return;
    }
    autosaveTimer = window.setTimeout(() => {
      const { doc, path, gesture } = editor.state;
      if (gesture || doc === lastWritten || doc === editor.state.savedDoc) return;
      lastWritten = doc;
      void api.writeRecovery({ key: sessionKey, path, doc }).catch(() => undefined);
    }, AUTOSAVE_MS);
  });
  window.addEventListener('beforeunload', (e) => {
    if (editor.dirty) {
      e.preventDefault();
      e.returnValue = '';
    }
  });
}

/** Starts the app: host info, backend, recovery offer, then the startup project. */
export async function boot(): Promise<void> {
  onConnectionState((connection) => useUi.setState({ connection }));
  startAutosave();
  startTrainingEvents();
  api.onOpenFileRequest(({ path }) => open(path));
  let info;
  try {
    info = await api.getAppInfo();
    useUi.setState({ appInfo: info });
  } catch (e) {
    toast('error', `Cannot reach the Layerloom host: ${errorMessage(e)}`);
    return;
  }
  api.getBackendStatus().then(
    (backend) => useUi.setState({ backend }),
    (e: unknown) => useUi.setState({ backend: { unavailable: isNotAvailable(e) ? 'not available in this build' : errorMessage(e) } }),
  );
  const all = await api.listRecovery().catch(() => []);
  const entries = all.filter((e) => e.key !== sessionKey);
  const own = all.find((e) => e.key === sessionKey);
  // A project named at launch; else this tab's own unsaved work (a reload); else the project it
  // had open; else the start screen.
  const reopen = info.startupProject ?? (own ? null : lastProject());
  const opened = reopen ? await openPath(reopen) : false;
  if (!info.startupProject && own) {
    loadProject(own.doc, own.path, { dirty: true });
    afterLoad();
  } else if (!opened) {
    rememberLastProject(null);
    showStartScreen();
  }
  if (entries.length) openDialog({ kind: 'recovery', entries });
}

/** Discards a recovery entry (user chose not to restore it). */
export async function discardRecovery(entry: RecoveryEntry): Promise<void> {
  await api.discardRecovery(entry.key).catch(() => undefined);
}
