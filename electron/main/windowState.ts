/**
 * Remembered window geometry: the last editor window's bounds and maximized/full-screen state are
 * saved to `window-state.json` in the user's state folder, and a new window is placed from them —
 * on a display that still exists (a monitor may have been unplugged), and cascaded from a window
 * that is already open so two windows never sit exactly on top of each other.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../services/projectService.js';

/** A rectangle in screen coordinates (Electron's `Rectangle`). */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** What is remembered. */
export interface WindowState {
  readonly bounds: Rect;
  readonly maximized: boolean;
  readonly fullScreen: boolean;
}

/** Where and how large a new window opens. `x`/`y` absent: let the OS centre it. */
export interface Placement {
  readonly bounds: { readonly width: number; readonly height: number; readonly x?: number; readonly y?: number };
  readonly maximized: boolean;
  readonly fullScreen: boolean;
}

/** The size of a first window. */
export const DEFAULT_SIZE = { width: 1440, height: 900 } as const;
/** Below this the editor's panels do not fit. */
export const MIN_SIZE = { width: 960, height: 600 } as const;
/** Offset of a new window from the focused one. */
export const CASCADE_OFFSET = 28;
/** A saved window must show at least this much of itself on some display to be put back there. */
const MIN_VISIBLE = { width: 160, height: 90 } as const;

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Reads a saved state; null when it is missing or malformed (never throws: a bad file means defaults). */
export function parseWindowState(value: unknown): WindowState | null {
  if (typeof value !== 'object' || value === null) return null;
  const o = value as { bounds?: unknown; maximized?: unknown; fullScreen?: unknown };
  const b = o.bounds as Partial<Record<keyof Rect, unknown>> | undefined;
  if (!b || !isNum(b.x) || !isNum(b.y) || !isNum(b.width) || !isNum(b.height)) return null;
  if (b.width <= 0 || b.height <= 0) return null;
  return {
    bounds: { x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) },
    maximized: o.maximized === true,
    fullScreen: o.fullScreen === true,
  };
}

/** Loads the state file; null when there is none or it is unreadable. */
export async function loadWindowState(file: string): Promise<WindowState | null> {
  try {
    return parseWindowState(JSON.parse(await readFile(file, 'utf8')) as unknown);
  } catch {
    return null;
  }
}

/** Saves the state file atomically (see writeFileAtomic), so a crash never leaves half a file. */
export async function saveWindowState(file: string, state: WindowState): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(state, null, 2) + '\n', { createFolder: true });
}

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)),
    height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)),
  };
}

function fitSize(width: number, height: number, area: Rect): { width: number; height: number } {
  return {
    width: Math.max(Math.min(MIN_SIZE.width, area.width), Math.min(width, area.width)),
    height: Math.max(Math.min(MIN_SIZE.height, area.height), Math.min(height, area.height)),
  };
}

/** Moves a rectangle (already no larger than `area`) so it lies inside `area`. */
function clampInto(r: Rect, area: Rect): Rect {
  const x = Math.min(Math.max(r.x, area.x), area.x + area.width - r.width);
  const y = Math.min(Math.max(r.y, area.y), area.y + area.height - r.height);
  return { x, y, width: r.width, height: r.height };
}

/** The display work area showing most of `r`, or null when none shows enough of it. */
function bestArea(r: Rect, workAreas: readonly Rect[]): Rect | null {
  let best: Rect | null = null;
  let bestPixels = 0;
  for (const area of workAreas) {
    const o = overlap(r, area);
    if (o.width >= MIN_VISIBLE.width && o.height >= MIN_VISIBLE.height && o.width * o.height > bestPixels) {
      best = area;
      bestPixels = o.width * o.height;
    }
  }
  return best;
}

/**
 * Places a new window. `workAreas[0]` is the primary display's work area; `cascadeFrom` is the
 * focused editor window's bounds when one is open.
 */
export function placeWindow(saved: WindowState | null, workAreas: readonly Rect[], cascadeFrom: Rect | null): Placement {
  const primary = workAreas[0] ?? { x: 0, y: 0, width: DEFAULT_SIZE.width, height: DEFAULT_SIZE.height };
  if (cascadeFrom) {
    const area = bestArea(cascadeFrom, workAreas) ?? primary;
    const size = fitSize(cascadeFrom.width, cascadeFrom.height, area);
    let next: Rect = { x: cascadeFrom.x + CASCADE_OFFSET, y: cascadeFrom.y + CASCADE_OFFSET, ...size };
    // Wrap back to the top-left corner instead of walking off the display.
    if (next.x + next.width > area.x + area.width || next.y + next.height > area.y + area.height) next = { ...next, x: area.x + CASCADE_OFFSET, y: area.y + CASCADE_OFFSET };
    return { bounds: clampInto(next, area), maximized: false, fullScreen: false };
  }
  if (saved) {
    const area = bestArea(saved.bounds, workAreas);
    if (area) {
      const size = fitSize(saved.bounds.width, saved.bounds.height, area);
      return { bounds: clampInto({ x: saved.bounds.x, y: saved.bounds.y, ...size }, area), maximized: saved.maximized, fullScreen: saved.fullScreen };
    }
    // Its display is gone: same size, centred on the primary display.
    return { bounds: fitSize(saved.bounds.width, saved.bounds.height, primary), maximized: saved.maximized, fullScreen: false };
  }
  return { bounds: fitSize(DEFAULT_SIZE.width, DEFAULT_SIZE.height, primary), maximized: false, fullScreen: false };
}
