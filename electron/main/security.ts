/**
 * Security decisions of the desktop shell, as plain functions the main process calls from its
 * Electron event handlers (and the unit tests call directly):
 * - which pages are the app (the `app://layerloom` protocol, or the dev server in `npm run dev`);
 * - whether an IPC message comes from the app's own top-level page;
 * - what happens to navigations and new windows (never inside the app; http(s) links go to the
 *   system browser; everything else is dropped);
 * - which web permissions a page gets (clipboard write only).
 */
import type { WebPreferences } from 'electron';

/** The privileged scheme the renderer is served from (see appProtocol.ts). */
export const APP_SCHEME = 'app';
/** The one host of that scheme. */
export const APP_HOST = 'layerloom';
/** The page every editor window loads. */
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** A scheme + host (+ port) pair; `URL.origin` is "null" for custom schemes, so compare these. */
export interface TrustedOrigin {
  readonly protocol: string;
  readonly host: string;
}

/** The origin of a URL, or null when it does not parse. */
export function originOf(url: string): TrustedOrigin | null {
  try {
    const u = new URL(url);
    return { protocol: u.protocol, host: u.host.toLowerCase() };
  } catch {
    return null;
  }
}

/** The app's origins: `app://layerloom`, plus the dev server when one is given (`npm run dev`). */
export function trustedOrigins(devServerUrl?: string | null): TrustedOrigin[] {
  const origins: TrustedOrigin[] = [{ protocol: `${APP_SCHEME}:`, host: APP_HOST }];
  const dev = devServerUrl ? originOf(devServerUrl) : null;
  if (dev && (dev.protocol === 'http:' || dev.protocol === 'https:')) origins.push(dev);
  return origins;
}

/** True when `url` belongs to one of `origins`. */
export function isTrustedUrl(url: string, origins: readonly TrustedOrigin[]): boolean {
  const o = originOf(url);
  return o !== null && origins.some((t) => t.protocol === o.protocol && t.host === o.host);
}

/** Who sent an IPC message, as the main process reads it from `event.senderFrame`. */
export interface SenderInfo {
  /** The sending frame's URL; null when the frame is gone (navigated away or destroyed). */
  readonly url: string | null;
  /** True for the window's top-level frame (`senderFrame === sender.mainFrame`). */
  readonly isMainFrame: boolean;
}

/** Null when the sender may use the API; otherwise why not (for the error and the log). */
export function senderProblem(sender: SenderInfo, origins: readonly TrustedOrigin[]): string | null {
  if (sender.url === null) return 'the sending frame no longer exists';
  if (!sender.isMainFrame) return `a sub-frame (${sender.url}) may not use the Layerloom API`;
  if (!isTrustedUrl(sender.url, origins)) return `${sender.url} is not the Layerloom app`;
  return null;
}

/** What to do with a navigation of an app window. */
export type NavigationDecision = 'allow' | 'external' | 'deny';

function isWebLink(url: string): boolean {
  const o = originOf(url);
  return o !== null && (o.protocol === 'http:' || o.protocol === 'https:') && o.host !== '';
}

/**
 * `will-navigate` / `will-redirect`: the app itself may reload its own page; a web link opens in
 * the system browser (and the window stays where it is); anything else (file:, data:, custom
 * schemes) is refused.
 */
export function navigationDecision(url: string, origins: readonly TrustedOrigin[]): NavigationDecision {
  if (isTrustedUrl(url, origins)) return 'allow';
  return isWebLink(url) ? 'external' : 'deny';
}

/** `setWindowOpenHandler`: the app never opens windows of its own; web links go to the browser. */
export function windowOpenDecision(url: string): 'external' | 'deny' {
  return isWebLink(url) ? 'external' : 'deny';
}

/** Web permissions the editor uses: writing the clipboard (copy blocks). Everything else is denied. */
const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

/** `setPermissionRequestHandler` / `setPermissionCheckHandler`. */
export function permissionAllowed(permission: string, requestingUrl: string, origins: readonly TrustedOrigin[]): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && isTrustedUrl(requestingUrl, origins);
}

/**
 * webPreferences of every editor window: isolated, sandboxed, no Node anywhere in the page, no
 * webviews, no navigation by dropping a file. `devTools` only in development builds.
 */
export function secureWebPreferences(preload: string, devTools: boolean): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    devTools,
  };
}
