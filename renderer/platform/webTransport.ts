/**
 * The browser host's transport: the API contract over a WebSocket to 127.0.0.1, authorised by the
 * per-launch token. Requests over `MAX_SOCKET_MESSAGE_BYTES` (saves and autosaves of big projects)
 * go as `POST /api/call` instead, transparently: the host accepts no bigger socket message. Written
 * against small structural types so it runs in the page and, in tests, in Node.
 */
import type { ApiEventName, ApiEvents, ApiMethod, Unsubscribe } from '../../shared/api/contract.js';
import { ApiError, type ApiErrorCode } from '../../shared/api/errors.js';
import type { ApiTransport } from '../../shared/api/facade.js';
import { CONNECTION_HEADER, decodeHostMessage, fitsSocketMessage, TOKEN_HEADER, type WireRequest } from '../../shared/api/wire.js';

/** The parts of a WebSocket the transport uses (the DOM's, or the `ws` package's). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  onopen: (() => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onclose: (() => void) | null;
}

/** The parts of `fetch` the transport uses. */
export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string },
) => Promise<{ readonly status: number; text(): Promise<string> }>;

/** Where and how to reach the host. */
export interface WebTransportOptions {
  /** `ws://127.0.0.1:PORT/api?token=…` */
  readonly socketUrl: string;
  /** `http://127.0.0.1:PORT/api/call` */
  readonly callUrl: string;
  readonly token: string;
  readonly openSocket: (url: string) => SocketLike;
  readonly fetch: FetchLike;
}

/** Connection state of the browser host's socket, for the status bar. */
export type ConnectionState = 'connecting' | 'open' | 'closed';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/** `WebSocket.OPEN` in every implementation. */
const OPEN = 1;

const LOST = 'The connection to the Layerloom host was lost. Is `npm run web` still running?';

/** The WebSocket transport of the browser host. Reconnects after a drop; calls made meanwhile wait. */
export class WebTransport implements ApiTransport {
  private socket: SocketLike | null = null;
  private connection: string | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Calls sent as POST (they survive a socket drop: their reply comes with the HTTP response). */
  private readonly posting = new Set<number>();
  private readonly queue: string[] = [];
  private readonly listeners = new Map<ApiEventName, Set<(payload: never) => void>>();
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();
  private retry = 0;
  private closed = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  state: ConnectionState = 'connecting';

  constructor(private readonly options: WebTransportOptions) {
    this.connect();
  }

  private setState(s: ConnectionState): void {
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }

  private connect(): void {
    const ws = this.options.openSocket(this.options.socketUrl);
    this.socket = ws;
    this.setState('connecting');
    ws.onopen = () => {
      this.retry = 0;
      this.setState('open');
      for (const m of this.queue.splice(0)) ws.send(m);
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      const msg = decodeHostMessage(ev.data);
      if (!msg) return;
      if (msg.type === 'hello') this.connection = msg.connection;
      else if (msg.type === 'response') this.settle(msg.id, msg.ok ? { ok: true, result: msg.result } : { ok: false, error: ApiError.fromInfo(msg.error) });
      else for (const l of this.listeners.get(msg.event) ?? []) (l as (p: unknown) => void)(msg.payload);
    };
    ws.onclose = () => {
      if (this.socket === ws) this.socket = null;
      this.connection = null;
      this.setState('closed');
      // Socket calls in flight are lost with the socket: fail them so the UI does not wait forever.
      for (const [id, p] of this.pending) {
        if (this.posting.has(id)) continue;
        p.reject(new ApiError('failed', LOST));
        this.pending.delete(id);
      }
      if (this.closed) return;
      const delay = Math.min(5000, 250 * 2 ** this.retry++);
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    };
  }

  private settle(id: number, outcome: { ok: true; result: unknown } | { ok: false; error: Error }): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    this.posting.delete(id);
    if (outcome.ok) p.resolve(outcome.result);
    else p.reject(outcome.error);
  }

  call(method: ApiMethod, args: readonly unknown[]): Promise<unknown> {
    const request: WireRequest = { type: 'request', id: this.nextId++, method, args };
    const text = JSON.stringify(request);
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      if (!fitsSocketMessage(text)) {
        this.posting.add(request.id);
        void this.post(request.id, text);
      } else if (this.socket && this.socket.readyState === OPEN) this.socket.send(text);
      else this.queue.push(text);
    });
  }

  /** Sends one request as `POST /api/call`; the reply body is the same response a socket gets. */
  private async post(id: number, body: string): Promise<void> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', [TOKEN_HEADER]: this.options.token };
    if (this.connection) headers[CONNECTION_HEADER] = this.connection;
    try {
      const res = await this.options.fetch(this.options.callUrl, { method: 'POST', headers, body });
      const text = await res.text();
      const msg = res.status === 200 ? decodeHostMessage(text) : null;
      if (msg && msg.type === 'response') {
        this.settle(id, msg.ok ? { ok: true, result: msg.result } : { ok: false, error: ApiError.fromInfo(msg.error) });
      } else {
        const code: ApiErrorCode = res.status === 401 || res.status === 403 ? 'unauthorized' : res.status === 400 || res.status === 413 ? 'invalid-argument' : 'failed';
        this.settle(id, { ok: false, error: new ApiError(code, text.trim() || `The Layerloom host answered HTTP ${res.status}.`) });
      }
    } catch {
      this.settle(id, { ok: false, error: new ApiError('failed', LOST) });
    }
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

  /** Closes the socket for good (no reconnect). */
  close(): void {
    this.closed = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.socket?.close();
  }
}
