/**
 * Lets panels and commands drive the canvas view (fit, centre on a node, where new blocks go)
 * without holding a React Flow instance. The canvas registers itself on mount.
 */
/** What the canvas offers. */
export interface CanvasController {
  fitView(): void;
  /** Fits the graph when it fits at a readable size; else shows its top, readable (after open and layout). */
  fitReadable(): void;
  zoomIn(): void;
  zoomOut(): void;
  /** Centres the view on a node (keeps the zoom, or zooms in to a readable level). */
  focusNode(id: string): void;
  /** The flow position at the centre of the visible canvas. */
  viewCenter(): { x: number; y: number };
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
