/**
 * Messages of the browser host's WebSocket (one JSON object per message). Electron does not use
 * these: its preload maps the same contract onto IPC.
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

/** Host → renderer: an event. */
export interface WireEvent<K extends ApiEventName = ApiEventName> {
  readonly type: 'event';
  readonly event: K;
  readonly payload: ApiEvents[K];
}

/** Largest message either side accepts (a 500-node project is ~200 KB; leave plenty of room). */
export const MAX_WIRE_MESSAGE_BYTES = 16 * 1024 * 1024;

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
export function decodeHostMessage(data: string): WireResponse | WireEvent | null {
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
  if (o.type === 'event' && isApiEventName(o.event)) {
    return { type: 'event', event: o.event, payload: o.payload as ApiEvents[typeof o.event] };
  }
  return null;
}
