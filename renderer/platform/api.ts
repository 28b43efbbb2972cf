/**
 * The only module that knows which host the renderer runs in:
 * - Electron: the preload exposes the typed contract as `window.layerloom`;
 * - browser host: the same contract over a WebSocket to 127.0.0.1, authorised by the per-launch
 *   token from the page URL.
 * Everything else imports `api` from here and never touches IPC or sockets.
 */
import type { ApiEventName, ApiEvents, ApiMethod, LayerloomApi, Unsubscribe } from '../../shared/api/contract.js';
import { ApiError } from '../../shared/api/errors.js';
import { createApiFacade, reviveApiErrors, type ApiTransport } from '../../shared/api/facade.js';
import { decodeHostMessage, type WireRequest } from '../../shared/api/wire.js';

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

/** Connection state of the browser host's socket, for the status bar. */
export type ConnectionState = 'connecting' | 'open' | 'closed';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/** The WebSocket transport of the browser host. Reconnects after a drop; calls made meanwhile wait. */
class WebSocketTransport implements ApiTransport {
  private socket: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly queue: WireRequest[] = [];
  private readonly listeners = new Map<ApiEventName, Set<(payload: never) => void>>();
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();
  private retry = 0;
  state: ConnectionState = 'connecting';

  constructor(private readonly url: string) {
    this.connect();
  }

  private setState(s: ConnectionState): void {
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }

  private connect(): void {
    const ws = new WebSocket(this.url);
    this.socket = ws;
    this.setState('connecting');
    ws.onopen = () => {
      this.retry = 0;
      this.setState('open');
      for (const m of this.queue.splice(0)) ws.send(JSON.stringify(m));
    };
    ws.onmessage = (ev: MessageEvent<string>) => {
      const msg = decodeHostMessage(ev.data);
      if (!msg) return;
      if (msg.type === 'response') {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.result);
        else p.reject(ApiError.fromInfo(msg.error));
      } else {
        for (const l of this.listeners.get(msg.event) ?? []) (l as (p: unknown) => void)(msg.payload);
      }
    };
    ws.onclose = () => {
      this.socket = null;
      this.setState('closed');
      // Calls in flight are lost with the socket: fail them so the UI does not wait forever.
      for (const [id, p] of this.pending) {
        p.reject(new ApiError('failed', 'The connection to the Layerloom host was lost. Is `npm run web` still running?'));
        this.pending.delete(id);
      }
      const delay = Math.min(5000, 250 * 2 ** this.retry++);
      window.setTimeout(() => this.connect(), delay);
    };
  }

  call(method: ApiMethod, args: readonly unknown[]): Promise<unknown> {
    const request: WireRequest = { type: 'request', id: this.nextId++, method, args };
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(request));
      else this.queue.push(request);
    });
  }

  subscribe<K extends ApiEventName>(event: K, listener: (payload: ApiEvents[K]) => void): Unsubscribe {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const l = listener as (payload: never) => void;
    set.add(l);
    return () => set.delete(l);
  }

  onState(listener: (s: ConnectionState) => void): Unsubscribe {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }
}

function createApi(): { api: LayerloomApi; transport: WebSocketTransport | null } {
  if (window.layerloom) return { api: reviveApiErrors(window.layerloom), transport: null };
  const token = accessToken() ?? '';
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const transport = new WebSocketTransport(`${proto}//${window.location.host}/api?token=${encodeURIComponent(token)}`);
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
