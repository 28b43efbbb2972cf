/**
 * The main process's IPC handler, as a plain async function of its dependencies. The callback
 * {@link registerInvokeHandler} gives `ipcMain.handle` only reads the sender out of the event and
 * calls {@link handleInvoke}; everything that matters — the sender check, argument validation, the call into the services,
 * error mapping and the side effects the shell cares about — happens here and is unit-tested
 * without Electron.
 *
 * Validation is not re-implemented: every call goes through the same `HostApi.dispatch` the browser
 * host uses (electron/server/hostApi.ts), which checks each argument with shared/api/validation.ts
 * before any service runs.
 */
import type { ApiMethod } from '../../shared/api/contract.js';
import { ApiError } from '../../shared/api/errors.js';
import type { OpenedProject, SavedProject } from '../../shared/api/types.js';
import type { HostApi } from '../server/hostApi.js';
import { toApiError } from '../server/hostApi.js';
import { INVOKE_CHANNEL, type IpcReply } from './ipcProtocol.js';
import { senderProblem, type SenderInfo, type TrustedOrigin } from './security.js';

/** The sender of an invoke: the frame (for the origin check) and its window's contents id. */
export interface InvokeSender extends SenderInfo {
  readonly webContentsId: number;
}

/** Something the shell reacts to after a call (recent documents, window title, quit guard). */
export type CallEffect =
  /** A project file is now open in the window (opened or saved under a path). */
  | { readonly kind: 'projectFile'; readonly path: string; readonly name: string; readonly saved: boolean }
  /** The window now holds a new, unsaved project (from a template). */
  | { readonly kind: 'untitled'; readonly name: string }
  /** The save the user started did not happen (dialog cancelled or write failed). */
  | { readonly kind: 'saveAbandoned' }
  /** The editor autosaved under this recovery key (discarded when the user chooses "Don't save"). */
  | { readonly kind: 'recovery'; readonly key: string | null }
  /** The window started a training run (stopped when the window closes). */
  | { readonly kind: 'trainingStarted'; readonly runId: string };

/** What {@link handleInvoke} needs. */
export interface InvokeDeps {
  readonly origins: readonly TrustedOrigin[];
  /** The API of the window owning these contents; undefined when it is not an editor window. */
  hostFor(webContentsId: number): Pick<HostApi, 'dispatch'> | undefined;
  /** Called after each call with what it changed, if anything. */
  onEffect?(webContentsId: number, effect: CallEffect): void;
  /** Where refused calls are logged. */
  log?(message: string): void;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** The shell-relevant effect of a successful call, if any. `args` have passed validation. */
export function effectOfSuccess(method: ApiMethod, args: readonly unknown[], result: unknown): CallEffect | null {
  switch (method) {
    case 'openProject':
    case 'importModel': {
      const r = result as OpenedProject;
      return r.path ? { kind: 'projectFile', path: r.path, name: r.doc.name, saved: false } : null;
    }
    case 'saveProject': {
      const r = result as SavedProject;
      const doc = args[1];
      const name = isObject(doc) && typeof doc.name === 'string' ? doc.name : r.path;
      return { kind: 'projectFile', path: r.path, name, saved: true };
    }
    case 'openTemplate':
      return { kind: 'untitled', name: (result as OpenedProject).doc.name };
    case 'pickPath': {
      const request = args[0];
      return result === null && isObject(request) && request.purpose === 'saveProject' ? { kind: 'saveAbandoned' } : null;
    }
    case 'writeRecovery': {
      const entry = args[0];
      return isObject(entry) && typeof entry.key === 'string' ? { kind: 'recovery', key: entry.key } : null;
    }
    case 'discardRecovery':
      return { kind: 'recovery', key: null };
    case 'startTraining': {
      const r = result as { runId?: unknown };
      return typeof r.runId === 'string' ? { kind: 'trainingStarted', runId: r.runId } : null;
    }
    default:
      return null;
  }
}

/**
 * Handles one `invoke` from a window: refuses senders that are not the app's own top-level page,
 * validates and runs the call through the window's host API, and answers with an {@link IpcReply}
 * (never throws).
 */
export async function handleInvoke(deps: InvokeDeps, sender: InvokeSender, method: unknown, args: unknown): Promise<IpcReply> {
  const problem = senderProblem(sender, deps.origins);
  if (problem) {
    deps.log?.(`Refused ${String(method).slice(0, 64)} from contents ${sender.webContentsId}: ${problem}.`);
    return { ok: false, error: new ApiError('unauthorized', `Refused: ${problem}.`).toInfo() };
  }
  const host = deps.hostFor(sender.webContentsId);
  if (!host) {
    deps.log?.(`Refused ${String(method).slice(0, 64)} from contents ${sender.webContentsId}: not an editor window.`);
    return { ok: false, error: new ApiError('unauthorized', 'Refused: this window is not a Layerloom editor window.').toInfo() };
  }
  try {
    const result = await host.dispatch(method, args);
    // dispatch resolved, so `method` is a contract method and `args` passed validation.
    const effect = effectOfSuccess(method as ApiMethod, args as readonly unknown[], result);
    if (effect) deps.onEffect?.(sender.webContentsId, effect);
    return { ok: true, result: result ?? null };
  } catch (e) {
    if (method === 'saveProject') deps.onEffect?.(sender.webContentsId, { kind: 'saveAbandoned' });
    return { ok: false, error: toApiError(e).toInfo() };
  }
}

/** The parts of Electron's `IpcMainInvokeEvent` the handler reads. */
export interface InvokeEventLike {
  readonly sender: { readonly id: number; readonly mainFrame: { readonly routingId: number; readonly processId: number } };
  readonly senderFrame: { readonly url: string; readonly routingId: number; readonly processId: number } | null;
}

/** The part of Electron's `ipcMain` the main process uses (a stand-in in tests and the smoke check). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, method: unknown, args: unknown) => Promise<IpcReply>): void;
}

/** Who sent an invoke: the frame's URL, whether it is its window's top-level frame, the contents id. */
export function invokeSender(event: InvokeEventLike): InvokeSender {
  const frame = event.senderFrame;
  const main = event.sender.mainFrame;
  return {
    url: frame ? frame.url : null,
    isMainFrame: frame !== null && frame.routingId === main.routingId && frame.processId === main.processId,
    webContentsId: event.sender.id,
  };
}

/**
 * Registers the one invoke channel every API call travels on (the preload's transport sends each
 * method over it): each call is answered by {@link handleInvoke}.
 */
export function registerInvokeHandler(ipc: IpcMainLike, deps: InvokeDeps): void {
  ipc.handle(INVOKE_CHANNEL, (event, method, args) => handleInvoke(deps, invokeSender(event), method, args));
}
