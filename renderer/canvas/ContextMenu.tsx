/**
 * Right-click menus on blocks, wires and the empty canvas. Each item is a command of the app
 * registry (same title, shortcut, enablement and code path as the key and the command palette);
 * the menu only chooses which commands apply to what was clicked. Keyboard: arrows, Home/End,
 * Enter or Space to run, Escape to close; Shift+F10 or the menu key opens it for the selection.
 */
import { useEffect, useLayoutEffect, useRef, useState, type JSX, type KeyboardEvent as ReactKeyboardEvent, type MouseEvent as ReactMouseEvent } from 'react';
import type { Edge, Node as FlowNode } from '@xyflow/react';
import { useStore } from 'zustand';
import { commandById, displayChord, runCommand } from '../app/appCommands.js';
import { editor } from '../app/session.js';
import { closeContextMenu, openContextMenu, useContextMenu, type ContextMenuState, type ContextTarget } from './contextMenuStore.js';

/** A menu entry: a registry command, with a title that fits the place (`null` = separator). */
type Entry = { readonly command: string; readonly title?: string } | null;

/** The commands that apply to each kind of target, in menu order. */
function entriesFor(target: ContextTarget, nodeCount: number, layerCount: number): readonly Entry[] {
  switch (target.kind) {
    case 'node':
      return [
        ...(nodeCount === 1 ? [{ command: 'graph.rename', title: 'Rename' }, { command: 'graph.quickAdd', title: 'Add block after…' }, { command: 'explain.block' }, null] : []),
        { command: 'clipboard.cut' },
        { command: 'clipboard.copy' },
        { command: 'selection.duplicate' },
        null,
        { command: 'selection.freeze', title: layerCount > 1 ? `Freeze ${layerCount} layers` : 'Freeze' },
        { command: 'selection.unfreeze', title: layerCount > 1 ? `Unfreeze ${layerCount} layers` : 'Unfreeze' },
        null,
        { command: 'selection.delete', title: nodeCount > 1 ? `Delete ${nodeCount} blocks` : 'Delete block' },
      ];
    case 'edge':
      return [{ command: 'selection.delete', title: 'Delete connection' }, null, { command: 'graph.quickAdd', title: 'Add block here…' }, { command: 'clipboard.paste', title: 'Paste here' }];
    case 'pane':
      return [
        { command: 'graph.quickAdd', title: 'Add block here…' },
        { command: 'clipboard.paste', title: 'Paste here' },
        { command: 'selection.selectAll' },
        null,
        { command: 'graph.autoLayout' },
        { command: 'view.fit' },
        { command: 'view.toggleMinimap' },
        { command: 'view.toggleSnap' },
        null,
        { command: 'history.undo' },
        { command: 'history.redo' },
        { command: 'view.commandPalette' },
      ];
  }
}

function preventNative(e: ReactMouseEvent | MouseEvent): void {
  e.preventDefault();
}

/**
 * React Flow's context-menu props, as module constants (a new function per render would make
 * React Flow copy props into its store on every edit).
 */
export const CANVAS_CONTEXT_MENU = {
  onNodeContextMenu: (e: ReactMouseEvent, node: FlowNode) => {
    preventNative(e);
    openContextMenu({ kind: 'node', id: node.id }, { x: e.clientX, y: e.clientY });
  },
  onSelectionContextMenu: (e: ReactMouseEvent, nodes: FlowNode[]) => {
    preventNative(e);
    const last = nodes[nodes.length - 1];
    if (last) openContextMenu({ kind: 'node', id: last.id }, { x: e.clientX, y: e.clientY });
  },
  onEdgeContextMenu: (e: ReactMouseEvent, edge: Edge) => {
    preventNative(e);
    openContextMenu({ kind: 'edge', id: edge.id }, { x: e.clientX, y: e.clientY });
  },
  onPaneContextMenu: (e: ReactMouseEvent | MouseEvent) => {
    preventNative(e);
    editor.setSelection({ nodes: [], edges: [] });
    openContextMenu({ kind: 'pane' }, { x: e.clientX, y: e.clientY });
  },
} as const;

function MenuBody({ menu }: { menu: ContextMenuState }): JSX.Element {
  const nodeCount = useStore(editor.store, (s) => s.selection.nodes.length);
  // Layers (blocks with weights to freeze) among the selected blocks: Input and Output have none.
  const layerCount = useStore(editor.store, (s) => s.doc.nodes.filter((n) => s.selection.nodes.includes(n.id) && 'trainable' in n.params).length);
  const ref = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState(menu.screen);
  const entries = entriesFor(menu.target, Math.max(1, nodeCount), layerCount);
  const items = entries.map((e) => (e ? { ...e, cmd: commandById(e.command) } : null));

  // Keep the whole menu on screen, then focus its first enabled item.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const r = el.getBoundingClientRect();
    setPos({ x: Math.max(4, Math.min(menu.screen.x, window.innerWidth - r.width - 4)), y: Math.max(4, Math.min(menu.screen.y, window.innerHeight - r.height - 4)) });
    el.querySelector<HTMLElement>('[role=menuitem]:not([aria-disabled=true])')?.focus();
  }, [menu]);

  useEffect(() => {
    const away = (e: Event) => {
      if (!(e.target instanceof Node && ref.current?.contains(e.target))) closeContextMenu();
    };
    const close = () => closeContextMenu();
    window.addEventListener('pointerdown', away, true);
    window.addEventListener('wheel', close, true);
    window.addEventListener('resize', close);
    window.addEventListener('blur', close);
    return () => {
      window.removeEventListener('pointerdown', away, true);
      window.removeEventListener('wheel', close, true);
      window.removeEventListener('resize', close);
      window.removeEventListener('blur', close);
    };
  }, []);

  const run = (command: string) => {
    closeContextMenu();
    runCommand(command, { at: { screen: menu.screen, flow: menu.flow } });
  };

  const onKeyDown = (e: ReactKeyboardEvent) => {
    // Keys in the menu never reach the canvas shortcuts.
    e.stopPropagation();
    const enabled = [...(ref.current?.querySelectorAll<HTMLElement>('[role=menuitem]:not([aria-disabled=true])') ?? [])];
    const at = enabled.indexOf(document.activeElement as HTMLElement);
    const focus = (i: number) => enabled[(i + enabled.length) % enabled.length]?.focus();
    if (e.key === 'ArrowDown') focus(at + 1);
    else if (e.key === 'ArrowUp') focus(at < 0 ? -1 : at - 1);
    else if (e.key === 'Home') focus(0);
    else if (e.key === 'End') focus(-1);
    else if (e.key === 'Escape' || e.key === 'Tab') {
      closeContextMenu();
      document.querySelector<HTMLElement>('.react-flow__pane')?.focus();
    } else if (e.key === 'Enter' || e.key === ' ') {
      const command = (document.activeElement as HTMLElement | null)?.dataset.command;
      if (command) run(command);
    } else return;
    e.preventDefault();
  };

  return (
    <div
      ref={ref}
      className="ll-context-menu"
      role="menu"
      aria-label={menu.target.kind === 'node' ? 'Block' : menu.target.kind === 'edge' ? 'Connection' : 'Canvas'}
      style={{ left: pos.x, top: pos.y }}
      onKeyDown={onKeyDown}
      onContextMenu={preventNative}
      data-testid="context-menu"
    >
      {items.map((it, i) => {
        if (!it) return <div key={`sep${i}`} className="ll-menu-sep" role="separator" />;
        if (!it.cmd) return null;
        const enabled = it.cmd.enabled?.() ?? true;
        return (
          <button
            key={it.command}
            type="button"
            role="menuitem"
            tabIndex={-1}
            aria-disabled={!enabled}
            data-command={it.command}
            onClick={() => enabled && run(it.command)}
            onMouseEnter={(e) => enabled && e.currentTarget.focus()}
          >
            <span className="title">{it.title ?? it.cmd.title}</span>
            {it.cmd.shortcut?.[0] && <kbd>{displayChord(it.cmd.shortcut[0])}</kbd>}
          </button>
        );
      })}
    </div>
  );
}

/** The open context menu, if any. */
export function ContextMenu(): JSX.Element | null {
  const menu = useContextMenu((s) => s.menu);
  return menu ? <MenuBody menu={menu} /> : null;
}
