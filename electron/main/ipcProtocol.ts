/**
 * The wire between the preload and the main process: one channel for requests (`invoke`), one for
 * events (main → renderer). Both sides import this file, so channel names and message shapes cannot
 * drift apart. No Electron import: the preload bundles it and the unit tests run it in plain Node.
 */
import type { ApiEventName, ApiEvents } from '../../shared/api/contract.js';
import { isApiEventName } from '../../shared/api/contract.js';
import type { ApiErrorInfo } from '../../shared/api/errors.js';
import { isApiErrorInfo } from '../../shared/api/errors.js';

/** `ipcRenderer.invoke(INVOKE_CHANNEL, method, args)` → {@link IpcReply}. */
export const INVOKE_CHANNEL = 'layerloom:invoke';

/** `webContents.send(EVENT_CHANNEL, message)` with an {@link IpcEventMessage}. */
export const EVENT_CHANNEL = 'layerloom:event';

/**
 * The answer to an invoke. Failures travel as data rather than as a thrown error because Electron
 * keeps only the message of an error thrown in a handler; the code and details (e.g. every problem
 * found in a project file) would be lost.
 */
export type IpcReply = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: ApiErrorInfo };

/** An event pushed to one window. */
export interface IpcEventMessage<K extends ApiEventName = ApiEventName> {
  readonly event: K;
  readonly payload: ApiEvents[K];
}

/** Checks a reply received by the preload; anything else becomes a `failed` error. */
export function decodeReply(value: unknown): IpcReply {
  if (typeof value === 'object' && value !== null) {
    const o = value as { ok?: unknown; result?: unknown; error?: unknown };
    if (o.ok === true) return { ok: true, result: o.result ?? null };
    if (o.ok === false && isApiErrorInfo(o.error)) return { ok: false, error: o.error };
  }
  return { ok: false, error: { code: 'failed', message: 'The Layerloom main process sent a malformed reply. Restart Layerloom; if it happens again, report it.' } };
}

/** Checks an event received by the preload; null when it is not one of the contract's events. */
export function decodeEventMessage(value: unknown): IpcEventMessage | null {
  if (typeof value !== 'object' || value === null) return null;
  const o = value as { event?: unknown; payload?: unknown };
  if (!isApiEventName(o.event)) return null;
  return { event: o.event, payload: o.payload as ApiEvents[typeof o.event] };
}
