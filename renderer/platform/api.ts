/**
 * The only module that knows which host the renderer runs in:
 * - Electron: the preload exposes the typed contract as `window.layerloom`;
 * - browser host: the same contract over a WebSocket to 127.0.0.1 (big requests as an HTTP POST),
 *   authorised by the per-launch token from the page URL (webTransport.ts).
 * Everything else imports `api` from here and never touches IPC or sockets.
 */
import type { LayerloomApi, Unsubscribe } from '../../shared/api/contract.js';
import { ApiError } from '../../shared/api/errors.js';
import { createApiFacade, reviveApiErrors } from '../../shared/api/facade.js';
import { API_CALL_PATH, API_UPLOAD_PATH, MAX_UPLOAD_BYTES, TOKEN_HEADER, UPLOAD_EXTENSIONS } from '../../shared/api/wire.js';
import { WebTransport, type ConnectionState, type SocketLike } from './webTransport.js';

export type { ConnectionState } from './webTransport.js';

declare global {
  interface Window {
    /** Set by the Electron preload (contextBridge). */
    readonly layerloom?: LayerloomApi;
    /** Set by the Electron preload: the path of a file dropped on the window (Electron's webUtils.getPathForFile). */
    readonly layerloomFiles?: { pathForFile(file: File): string };
  }
}

const TOKEN_KEY = 'layerloom.token';

/** The access token: from the URL (first load) or this tab's session storage (reloads). */
function accessToken(): string | null {
  const fromUrl = new URLSearchParams(window.location.search).get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function createApi(): { api: LayerloomApi; transport: WebTransport | null } {
  if (window.layerloom) return { api: reviveApiErrors(window.layerloom), transport: null };
  const token = accessToken() ?? '';
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const transport = new WebTransport({
    socketUrl: `${proto}//${window.location.host}/api?token=${encodeURIComponent(token)}`,
    callUrl: `${window.location.origin}${API_CALL_PATH}`,
    token,
    openSocket: (url) => new WebSocket(url) as SocketLike,
    fetch: (url, init) => window.fetch(url, { ...init, credentials: 'omit', cache: 'no-store' }),
  });
  return { api: createApiFacade(transport), transport };
}

const created = createApi();

/** The host API. */
export const api: LayerloomApi = created.api;

/** Subscribes to the host connection state (always `open` in Electron). */
export function onConnectionState(listener: (s: ConnectionState) => void): Unsubscribe {
  if (!created.transport) {
    listener('open');
    return () => undefined;
  }
  listener(created.transport.state);
  return created.transport.onState(listener);
}

/**
 * The path the host can open for a file dropped on the window: in Electron the file's own path (the
 * preload asks Electron); in the browser host the file is streamed to the host, which keeps it in a
 * new temporary folder and answers its path there.
 */
export async function pathOfDroppedFile(file: File): Promise<string> {
  const dot = file.name.lastIndexOf('.');
  const ending = dot > 0 ? file.name.slice(dot).toLowerCase() : '';
  if (!UPLOAD_EXTENSIONS.includes(ending)) {
    throw new ApiError('invalid-argument', `${file.name} is not a file Layerloom opens. Drop a project (.layerloom) or a model (${UPLOAD_EXTENSIONS.slice(1).join(', ')}).`);
  }
  if (window.layerloomFiles) {
    const path = window.layerloomFiles.pathForFile(file);
    if (!path) throw new ApiError('invalid-argument', `${file.name} has no path on this computer (dropped from another application?). Save it to a folder first, then drop or open it.`);
    return path;
  }
  if (file.size > MAX_UPLOAD_BYTES) {
    throw new ApiError('invalid-argument', `${file.name} is too large (${Math.round(file.size / 1024 ** 2)} MB): the host takes at most ${MAX_UPLOAD_BYTES / 1024 ** 2} MB per file. Open it from a folder the host can read instead.`);
  }
  const res = await window.fetch(`${window.location.origin}${API_UPLOAD_PATH}?name=${encodeURIComponent(file.name)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream', [TOKEN_HEADER]: accessToken() ?? '' },
    body: file,
    credentials: 'omit',
    cache: 'no-store',
  });
  if (!res.ok) throw new ApiError('failed', (await res.text()).trim() || `Uploading ${file.name} failed (HTTP ${res.status}).`);
  const reply = (await res.json()) as { path?: unknown };
  if (typeof reply.path !== 'string') throw new ApiError('failed', `Uploading ${file.name}: the host's answer names no path.`);
  return reply.path;
}

/** A short message for any error thrown by the API. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Detail lines of an API error (e.g. every problem in a project file). */
export function errorDetails(e: unknown): readonly string[] {
  return e instanceof ApiError ? e.details : [];
}

/** True when the error says a service is not part of this build yet. */
export function isNotAvailable(e: unknown): boolean {
  return e instanceof ApiError && e.code === 'not-available';
}
