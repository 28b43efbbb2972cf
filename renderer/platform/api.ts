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
import { API_CALL_PATH } from '../../shared/api/wire.js';
import { WebTransport, type ConnectionState, type SocketLike } from './webTransport.js';

export type { ConnectionState } from './webTransport.js';

declare global {
  interface Window {
    /** Set by the Electron preload (contextBridge). */
    readonly layerloom?: LayerloomApi;
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
