/**
 * Lets panels and commands drive the canvas view (fit, centre on a node, where new blocks go)
 * without holding a React Flow instance. The canvas registers itself on mount.
 */
import type { Size } from '../editor/layout.js';

/** What the canvas offers. */
export interface CanvasController {
  fitView(): void;
  zoomIn(): void;
  zoomOut(): void;
  /** Centres the view on a node (keeps the zoom, or zooms in to a readable level). */
  focusNode(id: string): void;
  /** The flow position at the centre of the visible canvas. */
  viewCenter(): { x: number; y: number };
  /** A node's drawn size (for auto-layout). */
  sizeOf(id: string): Size;
  /** Width / height of the visible canvas (auto-layout wraps long chains to it). */
  aspectRatio(): number;
  /** Converts a screen point to a flow position. */
  toFlow(point: { x: number; y: number }): { x: number; y: number };
}

let current: CanvasController | null = null;

/** Registers the mounted canvas (null on unmount). */
export function setCanvasController(c: CanvasController | null): void {
  current = c;
}

/** The mounted canvas, if any. */
export function canvas(): CanvasController | null {
  return current;
}
