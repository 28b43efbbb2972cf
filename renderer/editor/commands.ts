/**
 * Every edit of the document is a named command. Menus, shortcuts, the palette, the inspector and
 * tests all run these same commands, so behaviour (and undo) is identical whichever way an edit
 * is made. Each command applies one pure operation (shared/graph/operations.ts) as one history entry.
 */
import type { DatasetReport } from '../../shared/api/types.js';
import { getBlock } from '../../shared/blocks/registry.js';
import type { ParamValue } from '../../shared/blocks/types.js';
import type { Position } from '../../shared/graph/document.js';
import { addNode, connect, disconnect, EditError, moveNodes, removeNodes, renameNode, renameProject, setDataset, setParam, setTraining } from '../../shared/graph/operations.js';
import type { DatasetRef, TrainingSettings } from '../../shared/training/settings.js';
import { copyNodes, parseClipboard, pastePayload, serializeClipboard } from '../../shared/editing/clipboard.js';
import { checkConnection } from '../../shared/editing/connectCheck.js';
import { applyDataset } from '../../shared/editing/datasetApply.js';
import { NO_SELECTION, sameTopology, type Editor } from './editorStore.js';
import { insertBetween } from '../../shared/editing/graphEdits.js';
import { blockSize, layoutDocument, type LayoutResult } from './layout.js';
import { deleteAndReconnect, moveGroupToFreeSpace, spliceAfter } from '../../shared/editing/placement.js';
import { quickFixesFor } from '../../shared/editing/quickFixes.js';

/** A command that cannot run; the message is for people (shown in a toast). */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

/** Arguments and results of every editor command. */
export interface EditorCommands {
  'graph.addBlock': {
    args: { type: string; position: Position; params?: Readonly<Record<string, ParamValue>>; label?: string; connectFrom?: string; connectPort?: string; splice?: boolean };
    result: string;
  };
  'graph.connect': { args: { source: string; sourcePort?: string; target: string; targetPort: string }; result: string };
  'graph.disconnect': { args: { edgeIds: readonly string[] }; result: void };
  'graph.setParam': { args: { nodeId: string; name: string; value: ParamValue; coalesce?: string }; result: void };
  'graph.rename': { args: { nodeId: string; label: string }; result: void };
  'graph.move': { args: { positions: Readonly<Record<string, Position>> }; result: void };
  'graph.insertBetween': { args: { edgeId: string; type: string; position?: Position }; result: string };
  'graph.autoLayout': { args: void; result: Promise<void> };
  'graph.applyQuickFix': { args: { diagnosticIndex: number; fixId: string }; result: void };
  'selection.set': { args: { nodes?: readonly string[]; edges?: readonly string[] }; result: void };
  'selection.selectAll': { args: void; result: void };
  'selection.clear': { args: void; result: void };
  'selection.delete': { args: void; result: void };
  'selection.deleteReconnect': { args: void; result: void };
  'selection.duplicate': { args: void; result: void };
  'selection.nudge': { args: { dx: number; dy: number }; result: void };
  'selection.freeze': { args: void; result: void };
  'selection.unfreeze': { args: void; result: void };
  'clipboard.copy': { args: void; result: string | null };
  'clipboard.cut': { args: void; result: string | null };
  'clipboard.paste': { args: { text: string; at?: Position }; result: void };
  'history.undo': { args: void; result: string | null };
  'history.redo': { args: void; result: string | null };
  'project.rename': { args: { name: string }; result: void };
  'training.setSettings': { args: { settings: TrainingSettings }; result: void };
  'dataset.set': { args: { dataset: DatasetRef | null }; result: void };
  'dataset.apply': { args: { report: DatasetReport; path: string }; result: readonly string[] };
}

/** An editor command id. */
export type EditorCommandId = keyof EditorCommands;

/** Metadata for menus, the help overlay and history labels. */
export interface CommandInfo {
  readonly title: string;
  /** Key chord in `Mod+Shift+Z` form (`Mod` is Ctrl, or ⌘ on macOS). */
  readonly shortcut?: readonly string[];
  readonly group: 'Edit' | 'Graph' | 'Selection' | 'History' | 'Project';
}

/** Titles and shortcuts of the editor commands. */
export const EDITOR_COMMAND_INFO: { readonly [K in EditorCommandId]: CommandInfo } = {
  'graph.addBlock': { title: 'Add block', group: 'Graph' },
  'graph.connect': { title: 'Connect', group: 'Graph' },
  'graph.disconnect': { title: 'Disconnect', group: 'Graph' },
  'graph.setParam': { title: 'Set parameter', group: 'Graph' },
  'graph.rename': { title: 'Rename block', shortcut: ['F2'], group: 'Graph' },
  'graph.move': { title: 'Move blocks', group: 'Graph' },
  'graph.insertBetween': { title: 'Insert block into connection', group: 'Graph' },
  'graph.autoLayout': { title: 'Auto-layout', shortcut: ['Shift+L'], group: 'Graph' },
  'graph.applyQuickFix': { title: 'Quick fix', group: 'Graph' },
  'selection.set': { title: 'Select', group: 'Selection' },
  'selection.selectAll': { title: 'Select all', shortcut: ['Mod+A'], group: 'Selection' },
  'selection.clear': { title: 'Clear selection', shortcut: ['Escape'], group: 'Selection' },
  'selection.delete': { title: 'Delete', shortcut: ['Delete', 'Backspace'], group: 'Edit' },
  'selection.deleteReconnect': { title: 'Delete and reconnect neighbours', shortcut: ['Shift+Delete', 'Shift+Backspace'], group: 'Edit' },
  'selection.duplicate': { title: 'Duplicate', shortcut: ['Mod+D'], group: 'Edit' },
  'selection.nudge': { title: 'Nudge', shortcut: ['Arrow keys'], group: 'Selection' },
  'selection.freeze': { title: 'Freeze (keep weights while training)', group: 'Graph' },
  'selection.unfreeze': { title: 'Unfreeze (train weights)', group: 'Graph' },
  'clipboard.copy': { title: 'Copy', shortcut: ['Mod+C'], group: 'Edit' },
  'clipboard.cut': { title: 'Cut', shortcut: ['Mod+X'], group: 'Edit' },
  'clipboard.paste': { title: 'Paste', shortcut: ['Mod+V'], group: 'Edit' },
  'history.undo': { title: 'Undo', shortcut: ['Mod+Z'], group: 'History' },
  'history.redo': { title: 'Redo', shortcut: ['Mod+Shift+Z', 'Mod+Y'], group: 'History' },
  'project.rename': { title: 'Rename project', group: 'Project' },
  'training.setSettings': { title: 'Change training settings', group: 'Project' },
  'dataset.set': { title: 'Set dataset', group: 'Project' },
  'dataset.apply': { title: 'Use dataset', group: 'Project' },
};

type Handler<K extends EditorCommandId> = (editor: Editor, args: EditorCommands[K]['args']) => EditorCommands[K]['result'];

function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof EditError) throw new CommandError(e.message);
    throw e;
  }
}

const GRID = 16;

/**
 * Sets `trainable` on every selected layer block (Input and Output have no weights to freeze), as
 * one history entry. Throws when the selection holds no layer block.
 */
function setTrainable(editor: Editor, trainable: boolean): void {
  const ids = new Set(editor.state.selection.nodes);
  const layers = editor.doc.nodes.filter((n) => ids.has(n.id) && getBlock(n.type)?.params.some((p) => p.name === 'trainable'));
  if (layers.length === 0) throw new CommandError(`Select one or more layer blocks to ${trainable ? 'unfreeze' : 'freeze'} (Input and Output blocks have no weights).`);
  const doc = layers.reduce((d, n) => (n.params.trainable === trainable ? d : setParam(d, n.id, 'trainable', trainable)), editor.doc);
  if (doc !== editor.doc) editor.apply(trainable ? 'selection.unfreeze' : 'selection.freeze', doc);
}

const HANDLERS: { readonly [K in EditorCommandId]: Handler<K> } = {
  'graph.addBlock': (editor, { type, position, params, label, connectFrom, connectPort, splice }) =>
    wrap(() => {
      const def = getBlock(type);
      if (!def) throw new CommandError(`Unknown block type "${type}".`);
      // Quick-add after a selected block: into its outgoing wires, what follows moves down.
      if (connectFrom && splice) {
        const r = spliceAfter(editor.doc, connectFrom, type, { ...(params ? { params } : {}), sizeOf: blockSize });
        const doc = label ? renameNode(r.doc, r.nodeId, label) : r.doc;
        editor.apply('graph.addBlock', doc, { select: { nodes: [r.nodeId], edges: [] } });
        return r.nodeId;
      }
      const added = addNode(editor.doc, type, position, { ...(params ? { params } : {}), ...(label ? { label } : {}) });
      let doc = moveGroupToFreeSpace(added.doc, [added.nodeId], blockSize);
      if (connectFrom) {
        const port = def.ports(doc.nodes[doc.nodes.length - 1].params)[0];
        // From the output port the wire was dragged out of (an LSTM's h or c), else `out`.
        const from = { node: connectFrom, port: connectPort ?? 'out' };
        if (port && checkConnection(doc, from, added.nodeId, port.name).ok) doc = connect(doc, from, added.nodeId, port.name).doc;
      }
      editor.apply('graph.addBlock', doc, { select: { nodes: [added.nodeId], edges: [] } });
      return added.nodeId;
    }),
  'graph.connect': (editor, { source, sourcePort, target, targetPort }) =>
    wrap(() => {
      const from = { node: source, port: sourcePort ?? 'out' };
      const verdict = checkConnection(editor.doc, from, target, targetPort);
      if (!verdict.ok) throw new CommandError(verdict.reason);
      const r = connect(editor.doc, from, target, targetPort);
      editor.apply('graph.connect', r.doc);
      return r.edgeId;
    }),
  'graph.disconnect': (editor, { edgeIds }) => editor.apply('graph.disconnect', disconnect(editor.doc, edgeIds)),
  'graph.setParam': (editor, { nodeId, name, value, coalesce }) =>
    wrap(() => {
      const node = editor.doc.nodes.find((n) => n.id === nodeId);
      if (node && node.params[name] === value) return;
      editor.apply('graph.setParam', setParam(editor.doc, nodeId, name, value), coalesce ? { coalesce: `setParam:${nodeId}:${name}:${coalesce}` } : {});
    }),
  'graph.rename': (editor, { nodeId, label }) =>
    wrap(() => {
      const node = editor.doc.nodes.find((n) => n.id === nodeId);
      if (node && node.label === label.trim()) return;
      editor.apply('graph.rename', renameNode(editor.doc, nodeId, label));
    }),
  'graph.move': (editor, { positions }) => editor.apply('graph.move', moveNodes(editor.doc, positions)),
  'graph.insertBetween': (editor, { edgeId, type, position }) =>
    wrap(() => {
      const r = insertBetween(editor.doc, edgeId, type, { ...(position ? { position } : {}), sizeOf: blockSize });
      editor.apply('graph.insertBetween', r.doc, { select: { nodes: [r.nodeId], edges: [] } });
      return r.nodeId;
    }),
  'graph.autoLayout': async (editor) => {
    // ELK runs asynchronously: an edit made meanwhile (a block added, a wire removed) would get
    // positions computed for a document that no longer exists. Lay out again until the result
    // belongs to the document it is applied to.
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = editor.doc;
      const result: LayoutResult = await layoutDocument(before);
      if (editor.doc !== before && !sameTopology(editor.doc, before)) continue;
      editor.apply('graph.autoLayout', moveNodes(editor.doc, result.positions));
      editor.setRoutes(result.routes);
      return;
    }
    throw new CommandError('The graph kept changing during the layout. Run Auto-layout again.');
  },
  'graph.applyQuickFix': (editor, { diagnosticIndex, fixId }) => {
    const { doc, analysis } = editor.state;
    const d = analysis.diagnostics[diagnosticIndex];
    if (!d) throw new CommandError('That problem is already gone.');
    const fix = quickFixesFor(doc, analysis, d).find((f) => f.id === fixId);
    if (!fix) throw new CommandError('That fix no longer applies.');
    editor.apply('graph.applyQuickFix', fix.doc, { select: { nodes: fix.select, edges: [] } });
  },
  'selection.set': (editor, { nodes = [], edges = [] }) => editor.setSelection({ nodes, edges }),
  'selection.selectAll': (editor) => editor.setSelection({ nodes: editor.doc.nodes.map((n) => n.id), edges: editor.doc.edges.map((e) => e.id) }),
  'selection.clear': (editor) => editor.setSelection(NO_SELECTION),
  'selection.delete': (editor) => {
    const { nodes, edges } = editor.state.selection;
    if (!nodes.length && !edges.length) return;
    editor.apply('selection.delete', removeNodes(disconnect(editor.doc, edges), nodes), { select: NO_SELECTION });
  },
  'selection.deleteReconnect': (editor) =>
    wrap(() => {
      const { nodes } = editor.state.selection;
      if (nodes.length !== 1) throw new CommandError('Select one block between two others to delete it and reconnect its neighbours.');
      const r = deleteAndReconnect(editor.doc, nodes[0]);
      editor.apply('selection.deleteReconnect', r.doc, { select: NO_SELECTION });
    }),
  'selection.duplicate': (editor) =>
    wrap(() => {
      const payload = copyNodes(editor.doc, editor.state.selection.nodes);
      if (!payload) return;
      const r = pastePayload(editor.doc, payload, { offset: { x: 2 * GRID, y: 2 * GRID } });
      editor.apply('selection.duplicate', moveGroupToFreeSpace(r.doc, r.nodeIds, blockSize), { select: { nodes: r.nodeIds, edges: r.edgeIds } });
    }),
  'selection.nudge': (editor, { dx, dy }) => {
    const ids = new Set(editor.state.selection.nodes);
    if (!ids.size) return;
    const positions: Record<string, Position> = {};
    for (const n of editor.doc.nodes) if (ids.has(n.id)) positions[n.id] = { x: n.position.x + dx, y: n.position.y + dy };
    editor.apply('selection.nudge', moveNodes(editor.doc, positions), { coalesce: `nudge:${[...ids].join(',')}` });
  },
  'selection.freeze': (editor) => wrap(() => setTrainable(editor, false)),
  'selection.unfreeze': (editor) => wrap(() => setTrainable(editor, true)),
  'clipboard.copy': (editor) => {
    const payload = copyNodes(editor.doc, editor.state.selection.nodes);
    return payload ? serializeClipboard(payload) : null;
  },
  'clipboard.cut': (editor) => {
    const payload = copyNodes(editor.doc, editor.state.selection.nodes);
    if (!payload) return null;
    editor.apply('clipboard.cut', removeNodes(editor.doc, editor.state.selection.nodes), { select: NO_SELECTION });
    return serializeClipboard(payload);
  },
  'clipboard.paste': (editor, { text, at }) =>
    wrap(() => {
      const payload = parseClipboard(text);
      if (!payload) throw new CommandError('The clipboard holds no Layerloom blocks.');
      const r = pastePayload(editor.doc, payload, at ? { at } : { offset: { x: 2 * GRID, y: 2 * GRID } });
      editor.apply('clipboard.paste', moveGroupToFreeSpace(r.doc, r.nodeIds, blockSize), { select: { nodes: r.nodeIds, edges: r.edgeIds } });
    }),
  'history.undo': (editor) => editor.undo(),
  'history.redo': (editor) => editor.redo(),
  'project.rename': (editor, { name }) => {
    const trimmed = name.trim();
    if (!trimmed) throw new CommandError('A project name cannot be empty.');
    if (trimmed !== editor.doc.name) editor.apply('project.rename', renameProject(editor.doc, trimmed));
  },
  'training.setSettings': (editor, { settings }) => editor.apply('training.setSettings', setTraining(editor.doc, settings), { coalesce: 'training.setSettings' }),
  'dataset.set': (editor, { dataset }) => editor.apply('dataset.set', setDataset(editor.doc, dataset)),
  'dataset.apply': (editor, { report, path }) =>
    wrap(() => {
      const r = applyDataset(editor.doc, report, path);
      editor.apply('dataset.apply', r.doc);
      return r.changes;
    }),
};

/** Runs an editor command. Throws `CommandError` with a reason when it cannot run. */
export function runEditorCommand<K extends EditorCommandId>(editor: Editor, id: K, ...args: EditorCommands[K]['args'] extends void ? [] : [EditorCommands[K]['args']]): EditorCommands[K]['result'] {
  const handler = HANDLERS[id] as Handler<K>;
  return handler(editor, args[0]);
}

