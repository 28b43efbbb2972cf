/**
 * Messages of the browser host's WebSocket (one JSON object per message), and the HTTP POST that
 * carries requests too big for it. Electron does not use these: its preload maps the same contract
 * onto IPC.
 *
 * A request of at most `MAX_SOCKET_MESSAGE_BYTES` (UTF-8) goes over the socket; a bigger one (a
 * project save or recovery autosave of a large graph) is the same `WireRequest` JSON sent as the
 * body of `POST /api/call`, with the access token in the `X-Layerloom-Token` header and the socket's
 * connection id (from the host's `hello`) in `X-Layerloom-Connection`; the reply body is the
 * `WireResponse`.
 */
import type { ApiEventName, ApiEvents } from './contract.js';
import { isApiEventName } from './contract.js';
import type { ApiErrorInfo } from './errors.js';
import { isApiErrorInfo } from './errors.js';

/** Renderer → host: call a method. `id` pairs the reply with the call. */
export interface WireRequest {
  readonly type: 'request';
  readonly id: number;
  readonly method: string;
  readonly args: readonly unknown[];
}

/** Host → renderer: the result or error of a call. */
export type WireResponse =
  | { readonly type: 'response'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly type: 'response'; readonly id: number; readonly ok: false; readonly error: ApiErrorInfo };

/** Host → renderer, first message on each socket: the id that ties POSTed calls to this editor. */
export interface WireHello {
  readonly type: 'hello';
  readonly connection: string;
}

/** Host → renderer: an event. */
export interface WireEvent<K extends ApiEventName = ApiEventName> {
  readonly type: 'event';
  readonly event: K;
  readonly payload: ApiEvents[K];
}

/** Largest socket message the host accepts (a 500-node project is ~200 KB); bigger requests are POSTed. */
export const MAX_SOCKET_MESSAGE_BYTES = 1024 * 1024;

/** Largest `POST /api/call` body the host accepts (a 100k-block project is ~21 MB). */
export const MAX_POST_BYTES = 256 * 1024 * 1024;

/** Where big requests are POSTed. */
export const API_CALL_PATH = '/api/call';

/**
 * Browser host: `POST /api/upload?name=FILE` streams a file dropped on the window (a project or a
 * model) to a new temporary folder on the host and answers `{"path": ...}`, which the page then opens
 * like any path. Token header, loopback Origin, `application/octet-stream`, a size limit and a
 * plain file name with one of {@link UPLOAD_EXTENSIONS} are checked before a byte is written.
 */
export const API_UPLOAD_PATH = '/api/upload';

/** File endings the browser host accepts as a dropped file: projects and the model formats import reads. */
export const UPLOAD_EXTENSIONS: readonly string[] = ['.layerloom', '.keras', '.h5', '.hdf5', '.json'];

/** Largest file the browser host takes by upload (2 GiB, the model importer's own limit). */
export const MAX_UPLOAD_BYTES = 2 * 1024 ** 3;
/** Header of a POSTed call that carries the access token. */
export const TOKEN_HEADER = 'X-Layerloom-Token';
/** Header of a POSTed call that names the socket (editor) it belongs to. */
export const CONNECTION_HEADER = 'X-Layerloom-Connection';

/** UTF-8 size of a string (a lone surrogate counts as the 3-byte replacement character). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** True when a message can go over the socket; counts bytes only when its length does not decide. */
export function fitsSocketMessage(text: string): boolean {
  if (text.length > MAX_SOCKET_MESSAGE_BYTES) return false;
  if (text.length * 3 <= MAX_SOCKET_MESSAGE_BYTES) return true;
  return utf8Length(text) <= MAX_SOCKET_MESSAGE_BYTES;
}

/** Decodes a renderer message on the host; returns a reason when it is malformed. */
export function decodeRequest(data: string): WireRequest | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return { error: 'Message is not JSON.' };
  }
  if (typeof v !== 'object' || v === null) return { error: 'Message is not an object.' };
  const o = v as Record<string, unknown>;
  if (o.type !== 'request') return { error: 'Message type must be "request".' };
  if (typeof o.id !== 'number' || !Number.isSafeInteger(o.id)) return { error: 'Request id must be an integer.' };
  if (typeof o.method !== 'string') return { error: 'Request method must be text.' };
  if (!Array.isArray(o.args)) return { error: 'Request args must be a list.' };
  return { type: 'request', id: o.id, method: o.method, args: o.args };
}

/** Decodes a host message in the renderer; null when it is not one of ours. */
export function decodeHostMessage(data: string): WireResponse | WireEvent | WireHello | null {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (o.type === 'response' && typeof o.id === 'number') {
    if (o.ok === true) return { type: 'response', id: o.id, ok: true, result: o.result };
    if (o.ok === false && isApiErrorInfo(o.error)) return { type: 'response', id: o.id, ok: false, error: o.error };
    return null;
  }
  if (o.type === 'hello' && typeof o.connection === 'string') return { type: 'hello', connection: o.connection };
  if (o.type === 'event' && isApiEventName(o.event)) {
    return { type: 'event', event: o.event, payload: o.payload as ApiEvents[typeof o.event] };
  }
  return null;
}
