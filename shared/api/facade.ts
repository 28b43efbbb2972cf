/**
 * Builds the typed `LayerloomApi` object from two primitives a transport provides: "call a method"
 * and "subscribe to an event". The WebSocket client and the Electron preload both use it, so the
 * renderer gets exactly the same object whichever host it runs in.
 */
import { API_EVENTS, API_METHODS, subscriptionName } from './contract.js';
import type { ApiEventName, ApiEvents, ApiMethod, LayerloomApi, Unsubscribe } from './contract.js';
import { ApiError, isApiErrorInfo } from './errors.js';

/** What a transport must provide. */
export interface ApiTransport {
  call(method: ApiMethod, args: readonly unknown[]): Promise<unknown>;
  subscribe<K extends ApiEventName>(event: K, listener: (payload: ApiEvents[K]) => void): Unsubscribe;
}

/** The API object over a transport: one function per method and one `onXxx` per event. */
export function createApiFacade(transport: ApiTransport): LayerloomApi {
  const api: Record<string, unknown> = {};
  for (const method of API_METHODS) {
    api[method] = (...args: unknown[]) => transport.call(method, args);
  }
  for (const event of API_EVENTS) {
    api[subscriptionName(event)] = (listener: (payload: ApiEvents[typeof event]) => void) => transport.subscribe(event, listener);
  }
  return Object.freeze(api) as LayerloomApi;
}

/**
 * The API exposed by the Electron preload, with its failures turned back into `ApiError`s.
 * Electron's contextBridge copies only the message of an `Error` into the page, so the preload
 * rejects with the plain `ApiErrorInfo` object instead (copied whole: code and details survive);
 * this rebuilds the error class the rest of the renderer expects.
 */
export function reviveApiErrors(api: LayerloomApi): LayerloomApi {
  return createApiFacade({
    call: (method, args) =>
      (api[method] as (...a: readonly unknown[]) => Promise<unknown>)(...args).catch((e: unknown) => {
        throw isApiErrorInfo(e) && !(e instanceof Error) ? ApiError.fromInfo(e) : e;
      }),
    subscribe: (event, listener) => (api[subscriptionName(event)] as (l: typeof listener) => Unsubscribe)(listener),
  });
}
