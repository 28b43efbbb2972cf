/**
 * The preload's side of the IPC wire, as a transport for `createApiFacade` (shared/api/facade.ts).
 * Kept free of Electron imports so it can be tested in plain Node: the preload hands it
 * `ipcRenderer`, tests hand it anything with `invoke` and `on`.
 *
 * - A failed call rejects with a plain `ApiErrorInfo` object, not an `Error`: contextBridge copies
 *   only the message of an Error into the page, but copies plain objects whole, so the renderer can
 *   rebuild the `ApiError` with its code and details (`reviveApiErrors` in shared/api/facade.ts).
 * - Events that arrive before the editor has subscribed (a menu command or an open-file request
 *   sent while the page is still starting) are held and delivered on the first subscription.
 * - Listeners receive the payload only, never Electron's event object (which would expose `sender`).
 */
import type { ApiEventName, ApiEvents, ApiMethod, Unsubscribe } from '../../shared/api/contract.js';
import type { ApiErrorInfo } from '../../shared/api/errors.js';
import type { ApiTransport } from '../../shared/api/facade.js';
import { decodeEventMessage, decodeReply, EVENT_CHANNEL, INVOKE_CHANNEL } from '../main/ipcProtocol.js';

/** What the transport needs from `ipcRenderer`. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, message: unknown) => void): unknown;
}

/** Events of one kind held until someone listens; older ones are dropped beyond this. */
export const MAX_HELD_EVENTS = 64;

type Listener = (payload: never) => void;

/** A plain, clonable copy of an error's info (no prototype, no extra fields). */
function plainError(info: ApiErrorInfo): ApiErrorInfo {
  return info.details && info.details.length
    ? { code: info.code, message: info.message, details: [...info.details] }
    : { code: info.code, message: info.message };
}

/** Builds the transport over `ipcRenderer` (or a stand-in with the same two methods). */
export function createIpcTransport(ipc: IpcRendererLike, report: (message: string, error: unknown) => void = () => undefined): ApiTransport {
  const listeners = new Map<ApiEventName, Set<Listener>>();
  const held = new Map<ApiEventName, unknown[]>();

  const deliver = (event: ApiEventName, payload: unknown): void => {
    for (const l of [...(listeners.get(event) ?? [])]) {
      try {
        (l as (p: unknown) => void)(payload);
      } catch (e) {
        report(`A listener of ${event} failed`, e);
      }
    }
  };

  ipc.on(EVENT_CHANNEL, (_event, message) => {
    const decoded = decodeEventMessage(message);
    if (!decoded) return;
    if (listeners.get(decoded.event)?.size) return deliver(decoded.event, decoded.payload);
    const queue = held.get(decoded.event) ?? [];
    queue.push(decoded.payload);
    if (queue.length > MAX_HELD_EVENTS) queue.shift();
    held.set(decoded.event, queue);
  });

  return {
    async call(method: ApiMethod, args: readonly unknown[]): Promise<unknown> {
      let raw: unknown;
      try {
        raw = await ipc.invoke(INVOKE_CHANNEL, method, [...args]);
      } catch (e) {
        // Only when the main process has no handler or the arguments cannot be cloned.
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- contextBridge keeps a plain object's code and details; an Error would lose them.
        throw plainError({ code: 'failed', message: `Could not reach the Layerloom main process for ${method}: ${e instanceof Error ? e.message : String(e)}` });
      }
      const reply = decodeReply(raw);
      if (reply.ok) return reply.result;
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- contextBridge keeps a plain object's code and details; an Error would lose them.
      throw plainError(reply.error);
    },
    subscribe<K extends ApiEventName>(event: K, listener: (payload: ApiEvents[K]) => void): Unsubscribe {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const l = listener as Listener;
      set.add(l);
      const pending = held.get(event);
      if (pending) {
        held.delete(event);
        for (const payload of pending) deliver(event, payload);
      }
      return () => {
        set.delete(l);
      };
    },
  };
}
