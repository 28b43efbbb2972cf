/**
 * What the preload exposes and how it talks to the main process, without Electron: the preload's
 * transport (electron/preload/bridgeTransport.ts) is connected to the main process's real IPC handler
 * through an in-memory stand-in for `ipcRenderer` that copies messages as IPC does, and the handler
 * to a real host API. So this is the whole request path except Electron's own plumbing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_EVENTS, API_METHODS, subscriptionName, type LayerloomApi } from '../../shared/api/contract.js';
import { ApiError, type ApiErrorInfo } from '../../shared/api/errors.js';
import { createApiFacade, reviveApiErrors } from '../../shared/api/facade.js';
import type { AppCommandEvent } from '../../shared/api/types.js';
import { createHostApi, type HostApi } from '../../electron/server/hostApi.js';
import type { ServiceAdapters } from '../../electron/server/adapters.js';
import { createIpcTransport, MAX_HELD_EVENTS, type IpcRendererLike } from '../../electron/preload/bridgeTransport.js';
import { handleInvoke, type InvokeSender } from '../../electron/main/ipcHandlers.js';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from '../../electron/main/ipcProtocol.js';
import { APP_INDEX_URL, trustedOrigins } from '../../electron/main/security.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE = join(ROOT, 'examples', 'mlp.layerloom');
const APP: InvokeSender = { url: APP_INDEX_URL, isMainFrame: true, webContentsId: 3 };

let dir: string;
let host: HostApi;

/** Adapters whose services are not part of this test: they report themselves unavailable. */
function offlineAdapters(): ServiceAdapters {
  const off = { available: false, reason: 'not used in this test' } as const;
  const fail = () => Promise.reject(new ApiError('not-available', 'Training is not available in this build yet.'));
  return {
    datasets: { ...off, scan: fail },
    training: { ...off, start: fail, stop: fail, listRuns: fail, openRun: fail, labelRun: fail },
    codegen: { ...off, generate: fail },
    export: { ...off, write: fail, choices: fail },
    backend: { ...off, status: fail, python: fail, setPython: fail },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'll-preload-'));
  host = await createHostApi({ host: 'electron', rootDir: ROOT, stateDir: join(dir, 'state'), adapters: offlineAdapters() });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A preload API connected to the real handler; `push` sends an event as main's `webContents.send`. */
function connect(sender: InvokeSender = APP, report: (m: string, e: unknown) => void = () => undefined) {
  const listeners: ((event: unknown, message: unknown) => void)[] = [];
  const ipc: IpcRendererLike = {
    // IPC copies arguments and results with the structured clone algorithm.
    invoke: async (channel, ...args) => {
      if (channel !== INVOKE_CHANNEL) throw new Error(`No handler registered for '${channel}'`);
      const [method, callArgs] = structuredClone(args);
      return structuredClone(await handleInvoke({ origins: trustedOrigins(null), hostFor: (id) => (id === APP.webContentsId ? host : undefined) }, sender, method, callArgs));
    },
    on: (channel, listener) => {
      if (channel === EVENT_CHANNEL) listeners.push(listener);
    },
  };
  const push = (message: unknown) => {
    for (const l of listeners) l({ sender: 'the Electron event object must never reach the page' }, structuredClone(message));
  };
  return { api: createApiFacade(createIpcTransport(ipc, report)), push, ipc };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('the exposed API', () => {
  it('is exactly the contract: one function per method, one onXxx per event, frozen', () => {
    const { api } = connect();
    const expected = [...API_METHODS, ...API_EVENTS.map(subscriptionName)].sort();
    expect(Object.keys(api).sort()).toEqual(expected);
    for (const key of expected) expect(typeof (api as unknown as Record<string, unknown>)[key]).toBe('function');
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('the preload exposes that object as window.layerloom, and only a dropped file\'s path beside it', async () => {
    const source = await readFile(join(ROOT, 'electron', 'preload', 'preload.ts'), 'utf8');
    expect([...source.matchAll(/exposeInMainWorld\(/g)]).toHaveLength(2);
    expect(source).toMatch(/exposeInMainWorld\('layerloom', createApiFacade\(transport\)\)/);
    // The one addition: a File's path (webUtils works only in the preload; a File cannot cross IPC).
    // It reads nothing else and sends nothing: the page then opens the path through openProject.
    expect(source).toContain(
      "contextBridge.exposeInMainWorld('layerloomFiles', {\n  pathForFile: (file: unknown): string => (file instanceof File ? webUtils.getPathForFile(file) : ''),\n});",
    );
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports).toEqual(['electron', '../../shared/api/facade.js', './bridgeTransport.js']);
  });
});

describe('requests', () => {
  it('reach the services through the main process handler', async () => {
    const { api } = connect();
    expect((await api.listTemplates()).map((t) => t.id)).toContain('mlp');
    const opened = await api.openProject(EXAMPLE);
    expect(opened.doc.name).toBe('Tabular MLP');
    expect((await api.listRecent())[0]?.path).toBe(EXAMPLE);
  });

  it('fail with a plain, copyable error object that keeps its code and details', async () => {
    const { api } = connect();
    const e = (await rejection(api.openProject(42 as unknown as string))) as ApiErrorInfo;
    expect(e).not.toBeInstanceOf(Error);
    expect(Object.getPrototypeOf(e)).toBe(Object.prototype);
    expect(structuredClone(e)).toEqual(e);
    expect(e.code).toBe('invalid-argument');
    expect(e.details?.[0]).toMatch(/expected text/);
  });

  it('become ApiErrors again in the renderer (reviveApiErrors)', async () => {
    const api: LayerloomApi = reviveApiErrors(connect().api);
    const e = await rejection(api.openProject(join(dir, 'missing.layerloom')));
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).code).toBe('not-found');
    const unavailable = await rejection(api.getBackendStatus());
    expect((unavailable as ApiError).code).toBe('not-available');
    expect((await api.listTemplates()).length).toBeGreaterThan(0);
  });

  it('from a foreign page are refused', async () => {
    const { api } = connect({ url: 'https://evil.example/', isMainFrame: true, webContentsId: 3 });
    expect(((await rejection(api.listRecent())) as ApiErrorInfo).code).toBe('unauthorized');
  });

  it('fail clearly when the main process has no handler', async () => {
    const transport = createIpcTransport({ invoke: () => Promise.reject(new Error("No handler registered for 'layerloom:invoke'")), on: () => undefined });
    const e = (await rejection(transport.call('listRecent', []))) as ApiErrorInfo;
    expect(e).toMatchObject({ code: 'failed' });
    expect(e.message).toMatch(/Could not reach the Layerloom main process for listRecent/);
  });
});

describe('events', () => {
  it('deliver the payload only, and stop after unsubscribe', () => {
    const { api, push } = connect();
    const got: unknown[] = [];
    const off = api.onAppCommand((payload) => got.push(payload));
    push({ event: 'appCommand', payload: { command: 'file.save' } });
    off();
    push({ event: 'appCommand', payload: { command: 'file.saveAs' } });
    expect(got).toEqual([{ command: 'file.save' }]);
  });

  it('sent before the editor subscribed are held and delivered on subscription', () => {
    const { api, push } = connect();
    push({ event: 'appCommand', payload: { command: 'file.newFromTemplate' } });
    push({ event: 'openFileRequest', payload: { path: '/p/a.layerloom' } });
    const commands: AppCommandEvent[] = [];
    api.onAppCommand((c) => commands.push(c));
    expect(commands).toEqual([{ command: 'file.newFromTemplate' }]);
    const opens: unknown[] = [];
    api.onOpenFileRequest((o) => opens.push(o));
    expect(opens).toEqual([{ path: '/p/a.layerloom' }]);
    // Delivered once.
    api.onAppCommand((c) => commands.push(c));
    expect(commands).toHaveLength(1);
  });

  it('holds a bounded number of early events', () => {
    const { api, push } = connect();
    for (let i = 0; i < MAX_HELD_EVENTS + 10; i++) push({ event: 'appCommand', payload: { command: `c${i}` } });
    const got: AppCommandEvent[] = [];
    api.onAppCommand((c) => got.push(c));
    expect(got).toHaveLength(MAX_HELD_EVENTS);
    expect(got[0]?.command).toBe('c10');
  });

  it('ignore messages that are not contract events', () => {
    const { api, push } = connect();
    const got: unknown[] = [];
    api.onTrainingEvent((e) => got.push(e));
    push({ event: 'shellExec', payload: 'rm -rf /' });
    push('garbage');
    push(null);
    expect(got).toEqual([]);
  });

  it('one failing listener does not stop the others', () => {
    const reports: string[] = [];
    const { api, push } = connect(APP, (m) => reports.push(m));
    const got: unknown[] = [];
    api.onAppCommand(() => {
      throw new Error('boom');
    });
    api.onAppCommand((c) => got.push(c));
    push({ event: 'appCommand', payload: { command: 'view.fit' } });
    expect(got).toEqual([{ command: 'view.fit' }]);
    expect(reports).toEqual(['A listener of appCommand failed']);
  });
});
