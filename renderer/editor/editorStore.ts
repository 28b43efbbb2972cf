/**
 * The editor's document store: the single source of truth for the open project. React Flow, the
 * inspector and every panel are views of it; every change goes through a named command (commands.ts)
 * that lands here as one history entry.
 *
 * History keeps whole document snapshots. Documents are immutable and edits share structure
 * (operations.ts copies only what changes), so a snapshot costs about what a diff would, and
 * undo/redo is a pointer swap. A gesture (a drag) updates the document live and becomes one entry
 * when it ends; consecutive edits with the same `coalesce` key (typing into one field) merge.
 *
 * DOM-free on purpose: the headless editor tests drive this module directly.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { analyzeGraph, type GraphAnalysis } from '../../shared/analysis/analyze.js';
import { emptyDocument, type Position, type ProjectDocument } from '../../shared/graph/document.js';

/**
 * A wire as the last auto-layout routed it (layout.ts `EdgeRoute`): drawn only while both of its
 * blocks are still where that layout put them.
 */
export interface WireRoute {
  readonly points: readonly Position[];
  readonly label: Position | null;
  readonly source: Position;
  readonly target: Position;
}

/** The selected nodes and edges (ids, in selection order). */
export interface Selection {
  readonly nodes: readonly string[];
  readonly edges: readonly string[];
}

/** One undoable step. */
export interface HistoryEntry {
  /** The command id that made it (`graph.setParam`), shown as "Undo Set parameter". */
  readonly command: string;
  readonly before: ProjectDocument;
  readonly after: ProjectDocument;
  readonly selectionBefore: Selection;
  readonly selectionAfter: Selection;
  /** Edits with the same key in a row merge into this entry. */
  readonly coalesce?: string;
}

/** The store's state. */
export interface EditorState {
  readonly doc: ProjectDocument;
  /** The project file, or null when never saved. */
  readonly path: string | null;
  /** The document as last opened or saved; the editor is dirty when `doc !== savedDoc`. */
  readonly savedDoc: ProjectDocument | null;
  readonly selection: Selection;
  readonly analysis: GraphAnalysis;
  readonly past: readonly HistoryEntry[];
  readonly future: readonly HistoryEntry[];
  /** An open gesture: the document and selection before it began. */
  readonly gesture: { readonly command: string; readonly before: ProjectDocument; readonly selectionBefore: Selection } | null;
  /** Bumped on every document change (cheap change detection for views). */
  readonly revision: number;
  /**
   * Wire routes of the last auto-layout, by edge id. A view cache, not part of the document or
   * history: undoing a layout moves the blocks back, which invalidates the routes by itself.
   */
  readonly routes: Readonly<Record<string, WireRoute>>;
}

const NO_ROUTES: Readonly<Record<string, WireRoute>> = Object.freeze({});

/** Most undo steps kept. */
export const HISTORY_LIMIT = 500;

/** An empty selection (shared, so "nothing selected" compares equal by reference). */
export const NO_SELECTION: Selection = Object.freeze({ nodes: Object.freeze([]), edges: Object.freeze([]) });

/**
 * True when two documents differ only in node positions (or not at all): the analysis of the old
 * one is still valid. Keeps drags on large graphs from re-running shape inference every frame.
 */
export function sameTopology(a: ProjectDocument, b: ProjectDocument): boolean {
  if (a === b) return true;
  if (a.edges !== b.edges || a.nodes.length !== b.nodes.length) return false;
  // The memory figures and LL023 depend on the batch size.
  if ((a.training?.batchSize ?? null) !== (b.training?.batchSize ?? null)) return false;
  for (let i = 0; i < a.nodes.length; i++) {
    const x = a.nodes[i];
    const y = b.nodes[i];
    if (x === y) continue;
    if (x.id !== y.id || x.type !== y.type || x.label !== y.label || x.params !== y.params) return false;
  }
  return true;
}

function prune(selection: Selection, doc: ProjectDocument): Selection {
  if (selection.nodes.length === 0 && selection.edges.length === 0) return NO_SELECTION;
  const nodeIds = new Set(doc.nodes.map((n) => n.id));
  const edgeIds = new Set(doc.edges.map((e) => e.id));
  const nodes = selection.nodes.filter((id) => nodeIds.has(id));
  const edges = selection.edges.filter((id) => edgeIds.has(id));
  if (nodes.length === selection.nodes.length && edges.length === selection.edges.length) return selection;
  return nodes.length || edges.length ? { nodes, edges } : NO_SELECTION;
}

function sameSelection(a: Selection, b: Selection): boolean {
  return a === b || (a.nodes.length === b.nodes.length && a.edges.length === b.edges.length && a.nodes.every((id, i) => id === b.nodes[i]) && a.edges.every((id, i) => id === b.edges[i]));
}

/** Options of one edit. */
export interface EditOptions {
  /** Selection after the edit (default: the current one, minus anything deleted). */
  readonly select?: Selection;
  /** Merge with the previous entry when it has the same key (e.g. `setParam:n3:units:focus7`). */
  readonly coalesce?: string;
}

/**
 * The editor: a zustand store plus the few operations commands are built from. Views subscribe to
 * `store`; only commands call the mutating methods.
 */
export class Editor {
  readonly store: StoreApi<EditorState>;

  constructor(doc: ProjectDocument = emptyDocument(), path: string | null = null) {
    this.store = createStore<EditorState>(() => ({
      doc,
      path,
      savedDoc: doc,
      selection: NO_SELECTION,
      analysis: analyzeGraph(doc),
      past: [],
      future: [],
      gesture: null,
      revision: 0,
      routes: NO_ROUTES,
    }));
  }

  /** The current state. */
  get state(): EditorState {
    return this.store.getState();
  }

  /** The current document. */
  get doc(): ProjectDocument {
    return this.store.getState().doc;
  }

  /** True when the document differs from the last save. */
  get dirty(): boolean {
    const s = this.store.getState();
    return s.doc !== s.savedDoc;
  }

  private setDoc(doc: ProjectDocument, extra: Partial<EditorState>): void {
    const s = this.store.getState();
    const analysis = sameTopology(s.doc, doc) ? s.analysis : analyzeGraph(doc);
    this.store.setState({ ...extra, doc, analysis, revision: s.revision + 1 });
  }

  /** Replaces the whole project (open, new, recover): clears history. `dirty` keeps it unsaved. */
  load(doc: ProjectDocument, path: string | null, options: { dirty?: boolean } = {}): void {
    this.store.setState({
      doc,
      path,
      savedDoc: options.dirty ? null : doc,
      selection: NO_SELECTION,
      analysis: analyzeGraph(doc),
      past: [],
      future: [],
      gesture: null,
      revision: this.store.getState().revision + 1,
      routes: NO_ROUTES,
    });
  }

  /** Replaces the wire routes (after a layout). */
  setRoutes(routes: Readonly<Record<string, WireRoute>>): void {
    this.store.setState({ routes });
  }

  /** Records a save: the current document is now the saved one. */
  markSaved(path: string): void {
    this.store.setState({ path, savedDoc: this.store.getState().doc });
  }

  /**
   * Records a save to `path` of `saved`, which is `before` with its paths rebased to the new file by
   * `rebase`. The current document and the undo history are rewritten the same way, so undo never
   * brings back a path relative to the old file; edits made while saving stay unsaved.
   */
  markSavedAs(path: string, before: ProjectDocument, saved: ProjectDocument, rebase: (doc: ProjectDocument) => ProjectDocument): void {
    const s = this.store.getState();
    const map = (d: ProjectDocument) => (d === before ? saved : rebase(d));
    const entry = (e: HistoryEntry): HistoryEntry => ({ ...e, before: map(e.before), after: map(e.after) });
    this.store.setState({ path, doc: map(s.doc), savedDoc: saved, past: s.past.map(entry), future: s.future.map(entry), revision: s.revision + 1 });
  }

  /** Applies an edit as one undoable step. A no-op edit (same document) records nothing. */
  apply(command: string, next: ProjectDocument, options: EditOptions = {}): void {
    const s = this.store.getState();
    if (s.gesture) this.endGesture();
    const cur = this.store.getState();
    const selection = prune(options.select ?? cur.selection, next);
    if (next === cur.doc) {
      if (!sameSelection(selection, cur.selection)) this.store.setState({ selection });
      return;
    }
    const last = cur.past[cur.past.length - 1];
    let past: HistoryEntry[];
    if (options.coalesce && last && last.coalesce === options.coalesce && cur.future.length === 0) {
      past = [...cur.past.slice(0, -1), { ...last, after: next, selectionAfter: selection }];
    } else {
      const entry: HistoryEntry = { command, before: cur.doc, after: next, selectionBefore: cur.selection, selectionAfter: selection, coalesce: options.coalesce };
      past = [...cur.past, entry];
      if (past.length > HISTORY_LIMIT) past = past.slice(past.length - HISTORY_LIMIT);
    }
    this.setDoc(next, { past, future: [], selection });
  }

  /** Starts a gesture (a drag): later `updateGesture` calls change the document without history. */
  beginGesture(command: string): void {
    const s = this.store.getState();
    if (s.gesture) this.endGesture();
    this.store.setState({ gesture: { command, before: this.store.getState().doc, selectionBefore: this.store.getState().selection } });
  }

  /** Live update during a gesture. */
  updateGesture(next: ProjectDocument): void {
    if (!this.store.getState().gesture) this.beginGesture('graph.move');
    this.setDoc(next, {});
  }

  /** Ends the gesture: one history entry from where it began to now (none when nothing changed). */
  endGesture(): void {
    const s = this.store.getState();
    const g = s.gesture;
    if (!g) return;
    if (s.doc === g.before) {
      this.store.setState({ gesture: null });
      return;
    }
    const entry: HistoryEntry = { command: g.command, before: g.before, after: s.doc, selectionBefore: g.selectionBefore, selectionAfter: s.selection };
    const past = [...s.past, entry];
    this.store.setState({ gesture: null, past: past.length > HISTORY_LIMIT ? past.slice(past.length - HISTORY_LIMIT) : past, future: [] });
  }

  /** Abandons a gesture, restoring the document from before it. */
  cancelGesture(): void {
    const g = this.store.getState().gesture;
    if (!g) return;
    this.setDoc(g.before, { gesture: null, selection: g.selectionBefore });
  }

  /** Sets the selection (not an undo step). */
  setSelection(selection: Selection): void {
    const s = this.store.getState();
    const next = prune(selection, s.doc);
    if (!sameSelection(next, s.selection)) this.store.setState({ selection: next });
  }

  /** True when there is something to undo. */
  get canUndo(): boolean {
    return this.store.getState().past.length > 0;
  }

  /** True when there is something to redo. */
  get canRedo(): boolean {
    return this.store.getState().future.length > 0;
  }

  /** Undoes the last step; returns its command id, or null when there was none. */
  undo(): string | null {
    this.endGesture();
    const s = this.store.getState();
    const entry = s.past[s.past.length - 1];
    if (!entry) return null;
    this.setDoc(entry.before, { past: s.past.slice(0, -1), future: [...s.future, entry], selection: prune(entry.selectionBefore, entry.before) });
    return entry.command;
  }

  /** Redoes the last undone step; returns its command id, or null. */
  redo(): string | null {
    this.endGesture();
    const s = this.store.getState();
    const entry = s.future[s.future.length - 1];
    if (!entry) return null;
    this.setDoc(entry.after, { past: [...s.past, entry], future: s.future.slice(0, -1), selection: prune(entry.selectionAfter, entry.after) });
    return entry.command;
  }
}
