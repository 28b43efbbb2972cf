/**
 * Which context menu is open, and where. Kept in its own tiny store so the command registry can
 * open a menu from the keyboard (Shift+F10) without importing the menu component.
 */
import { create } from 'zustand';
import { editor } from '../app/session.js';
import { canvas } from './canvasController.js';

/** What was right-clicked. */
export type ContextTarget = { readonly kind: 'node'; readonly id: string } | { readonly kind: 'edge'; readonly id: string } | { readonly kind: 'pane' };

/** An open context menu. */
export interface ContextMenuState {
  readonly target: ContextTarget;
  /** Where the menu opens (screen pixels). */
  readonly screen: { readonly x: number; readonly y: number };
  /** The same point on the canvas (flow coordinates): where "Add block" and "Paste" put things. */
  readonly flow: { readonly x: number; readonly y: number };
}

/** The open menu, or null. */
export const useContextMenu = create<{ menu: ContextMenuState | null }>(() => ({ menu: null }));

/** Opens a menu for `target` at a screen point; the right-clicked item becomes the selection. */
export function openContextMenu(target: ContextTarget, screen: { x: number; y: number }): void {
  const sel = editor.state.selection;
  if (target.kind === 'node' && !sel.nodes.includes(target.id)) editor.setSelection({ nodes: [target.id], edges: [] });
  if (target.kind === 'edge' && !(sel.edges.length === 1 && sel.edges[0] === target.id)) editor.setSelection({ nodes: [], edges: [target.id] });
  const flow = canvas()?.toFlow(screen) ?? { x: 0, y: 0 };
  useContextMenu.setState({ menu: { target, screen, flow: { x: Math.round(flow.x), y: Math.round(flow.y) } } });
}

/** Closes the menu. */
export function closeContextMenu(): void {
  if (useContextMenu.getState().menu) useContextMenu.setState({ menu: null });
}

/**
 * Opens the menu from the keyboard: for the selected block (beside it), the selected wire, or the
 * canvas (at its centre).
 */
export function openContextMenuForSelection(): void {
  const { nodes, edges } = editor.state.selection;
  const pane = document.querySelector('.ll-canvas')?.getBoundingClientRect();
  const center = pane ? { x: pane.left + pane.width / 2, y: pane.top + pane.height / 2 } : { x: 200, y: 200 };
  if (nodes.length) {
    const id = nodes[nodes.length - 1];
    const box = document.querySelector(`.react-flow__node[data-id="${CSS.escape(id)}"]`)?.getBoundingClientRect();
    openContextMenu({ kind: 'node', id }, box ? { x: box.left + Math.min(box.width, 40), y: box.top + box.height / 2 } : center);
  } else if (edges.length === 1) {
    openContextMenu({ kind: 'edge', id: edges[0] }, center);
  } else {
    openContextMenu({ kind: 'pane' }, center);
  }
}
