/**
 * The desktop shell's IPC handler, called directly (no Electron): the sender check refuses anything
 * that is not the app's own top-level page, every argument is validated by the same dispatcher the
 * browser host uses, and valid calls reach the real services (project files, recent list, code
 * generation, export) with the side effects the shell reacts to.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiErrorInfo } from '../../shared/api/errors.js';
import type { OpenedProject, PickPathRequest, RecentProject, SavedProject, GeneratedCode } from '../../shared/api/types.js';
import { parseProject } from '../../shared/graph/serialization.js';
import { loadServiceAdapters, type ServiceAdapters } from '../../electron/server/adapters.js';
import { createHostApi, type HostApi } from '../../electron/server/hostApi.js';
import { effectOfSuccess, handleInvoke, invokeSender, registerInvokeHandler, type CallEffect, type InvokeDeps, type InvokeEventLike, type InvokeSender } from '../../electron/main/ipcHandlers.js';
import { INVOKE_CHANNEL, type IpcReply } from '../../electron/main/ipcProtocol.js';
import { APP_INDEX_URL, trustedOrigins } from '../../electron/main/security.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE = join(ROOT, 'examples', 'mlp.layerloom');
const APP: InvokeSender = { url: APP_INDEX_URL, isMainFrame: true, webContentsId: 7 };

let dir: string;
let adapters: ServiceAdapters;
let host: HostApi;
let picks: PickPathRequest[];
let pickAnswer: string | null;
let calls: number;
let effects: { id: number; effect: CallEffect }[];
let deps: InvokeDeps;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'll-ipc-'));
  adapters = await loadServiceAdapters();
  picks = [];
  pickAnswer = null;
  host = await createHostApi({
    host: 'electron',
    rootDir: ROOT,
    stateDir: join(dir, 'state'),
    adapters,
    version: '1.2.3',
    // The native dialog is a plain function dependency of the host; here it answers from a variable.
    pickPath: async (request) => {
      picks.push(request);
      return pickAnswer;
    },
  });
  calls = 0;
  effects = [];
  deps = {
    origins: trustedOrigins(null),
    hostFor: (id) =>
      id === APP.webContentsId
        ? {
            dispatch: (method, args) => {
              calls++;
              return host.dispatch(method, args);
            },
          }
        : undefined,
    onEffect: (id, effect) => effects.push({ id, effect }),
  };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function failed(reply: IpcReply): ApiErrorInfo {
  if (reply.ok) throw new Error(`Expected a failure, got ${JSON.stringify(reply.result).slice(0, 200)}`);
  return reply.error;
}

function result<T>(reply: IpcReply): T {
  if (!reply.ok) throw new Error(`Expected success, got ${reply.error.code}: ${reply.error.message}`);
  return reply.result as T;
}

describe('sender check', () => {
  const refused: [string, InvokeSender][] = [
    ['a web page', { url: 'https://evil.example/', isMainFrame: true, webContentsId: 7 }],
    ['a local file', { url: 'file:///tmp/page.html', isMainFrame: true, webContentsId: 7 }],
    ['a look-alike host of the app scheme', { url: 'app://layerloom.evil/index.html', isMainFrame: true, webContentsId: 7 }],
    ['a sub-frame of the app', { url: APP_INDEX_URL, isMainFrame: false, webContentsId: 7 }],
    ['a frame that is gone', { url: null, isMainFrame: false, webContentsId: 7 }],
    ['a dev server that is not configured', { url: 'http://localhost:5173/', isMainFrame: true, webContentsId: 7 }],
  ];

  it.each(refused)('refuses %s before any service runs', async (_what, sender) => {
    const before = calls;
    const error = failed(await handleInvoke(deps, sender, 'openProject', [EXAMPLE]));
    expect(error.code).toBe('unauthorized');
    expect(calls).toBe(before);
  });

  it('refuses the app page in a window that is not an editor window', async () => {
    const error = failed(await handleInvoke(deps, { ...APP, webContentsId: 99 }, 'listRecent', []));
    expect(error.code).toBe('unauthorized');
    expect(error.message).toMatch(/not a Layerloom editor window/);
  });

  it('accepts the dev server only when it is the configured one', async () => {
    const dev = { ...deps, origins: trustedOrigins('http://localhost:5173') };
    const reply = await handleInvoke(dev, { url: 'http://localhost:5173/index.html', isMainFrame: true, webContentsId: 7 }, 'listTemplates', []);
    expect(reply.ok).toBe(true);
    const other = await handleInvoke(dev, { url: 'http://localhost:5174/', isMainFrame: true, webContentsId: 7 }, 'listTemplates', []);
    expect(failed(other).code).toBe('unauthorized');
  });
});

describe('registration on ipcMain', () => {
  const event = (frame: { url: string; routingId: number; processId: number } | null, contentsId = 7): InvokeEventLike => ({
    sender: { id: contentsId, mainFrame: { routingId: 1, processId: 4 } },
    senderFrame: frame,
  });

  it('reads the sender out of the event: top-level frame, sub-frame, frame gone', () => {
    expect(invokeSender(event({ url: APP_INDEX_URL, routingId: 1, processId: 4 }))).toEqual({ url: APP_INDEX_URL, isMainFrame: true, webContentsId: 7 });
    expect(invokeSender(event({ url: APP_INDEX_URL, routingId: 2, processId: 4 })).isMainFrame).toBe(false);
    expect(invokeSender(event({ url: APP_INDEX_URL, routingId: 1, processId: 5 })).isMainFrame).toBe(false);
    expect(invokeSender(event(null))).toEqual({ url: null, isMainFrame: false, webContentsId: 7 });
  });

  it('registers the one invoke channel, answered by the handler', async () => {
    const channels = new Map<string, (e: InvokeEventLike, method: unknown, args: unknown) => Promise<IpcReply>>();
    registerInvokeHandler({ handle: (channel, listener) => void channels.set(channel, listener) }, deps);
    expect([...channels.keys()]).toEqual([INVOKE_CHANNEL]);
    const listener = channels.get(INVOKE_CHANNEL);
    const reply = await listener?.(event({ url: APP_INDEX_URL, routingId: 1, processId: 4 }), 'listTemplates', []);
    expect(reply?.ok).toBe(true);
    const sub = await listener?.(event({ url: APP_INDEX_URL, routingId: 2, processId: 4 }), 'listTemplates', []);
    expect(sub?.ok).toBe(false);
  });
});

describe('argument validation (shared/api/validation.ts, via the host dispatcher)', () => {
  const bad: [string, string, unknown][] = [
    ['a number as a path', 'openProject', [42]],
    ['a path with a NUL byte', 'openProject', ['/tmp/a\0b.layerloom']],
    ['missing arguments', 'saveProject', [join(dir ?? tmpdir(), 'x.layerloom')]],
    ['too many arguments', 'listRecent', ['extra']],
    ['arguments that are not a list', 'listRecent', { 0: 'x' }],
    ['a document that is not a project', 'saveProject', ['/tmp/x.layerloom', { format: 'something-else' }, null]],
    ['an unknown field', 'pickPath', [{ purpose: 'openProject', extra: true }]],
    ['an unknown purpose', 'pickPath', [{ purpose: 'formatDisk' }]],
    ['a template id with a path in it', 'openTemplate', ['../../etc/passwd']],
    ['a code target that does not exist', 'generateCode', [{ doc: {}, target: 'cobol' }]],
  ];

  it.each(bad)('rejects %s as invalid-argument', async (_what, method, args) => {
    const error = failed(await handleInvoke(deps, APP, method, args));
    expect(error.code).toBe('invalid-argument');
    expect(error.message).toMatch(new RegExp(`^Invalid arguments for ${method}`));
    expect(error.details?.length).toBeGreaterThan(0);
  });

  it('rejects a method outside the contract', async () => {
    const error = failed(await handleInvoke(deps, APP, 'deleteEverything', []));
    expect(error.code).toBe('unknown-method');
  });

  it('rejects a project file name without the .layerloom extension', async () => {
    const { doc } = result<OpenedProject>(await handleInvoke(deps, APP, 'openTemplate', ['mlp']));
    const error = failed(await handleInvoke(deps, APP, 'saveProject', [join(dir, 'model.json'), doc, null]));
    expect(error.code).toBe('invalid-argument');
    expect(error.message).toMatch(/end in \.layerloom/);
  });
});

describe('handler → service', () => {
  it('reports the Electron host with native dialogs', async () => {
    const info = result<{ host: string; version: string; capabilities: { nativeDialogs: boolean } }>(await handleInvoke(deps, APP, 'getAppInfo', []));
    expect(info).toMatchObject({ host: 'electron', version: '1.2.3', capabilities: { nativeDialogs: true } });
  });

  it('opens a project file, records it as recent, and tells the shell', async () => {
    effects.length = 0;
    const opened = result<OpenedProject>(await handleInvoke(deps, APP, 'openProject', [EXAMPLE]));
    expect(opened.path).toBe(EXAMPLE);
    expect(opened.doc.name).toBe('Tabular MLP');
    expect(effects).toEqual([{ id: 7, effect: { kind: 'projectFile', path: EXAMPLE, name: 'Tabular MLP', saved: false } }]);
    const recent = result<RecentProject[]>(await handleInvoke(deps, APP, 'listRecent', []));
    expect(recent[0]).toMatchObject({ path: EXAMPLE, name: 'Tabular MLP' });
  });

  it('saves a project atomically and the saved file parses', async () => {
    effects.length = 0;
    const { doc } = result<OpenedProject>(await handleInvoke(deps, APP, 'openTemplate', ['mlp']));
    expect(effects.map((e) => e.effect.kind)).toEqual(['untitled']);
    const target = join(dir, 'saved.layerloom');
    const saved = result<SavedProject>(await handleInvoke(deps, APP, 'saveProject', [target, doc, null]));
    expect(saved.path).toBe(target);
    const parsed = parseProject(await readFile(target, 'utf8'));
    expect(parsed.ok && parsed.doc.nodes.length).toBe(doc.nodes.length);
    expect(effects.at(-1)).toEqual({ id: 7, effect: { kind: 'projectFile', path: target, name: doc.name, saved: true } });
  });

  it('Save As of a project with imported weights copies its weights folder beside the new file', async () => {
    const { doc } = result<OpenedProject>(await handleInvoke(deps, APP, 'openTemplate', ['mlp']));
    const { mkdir, writeFile, stat } = await import('node:fs/promises');
    const from = join(dir, 'imported.weights');
    await mkdir(from, { recursive: true });
    await writeFile(join(from, 'model.json'), '{"format":"layers-model"}');
    await writeFile(join(from, 'group1-shard1of1.bin'), Buffer.from([1, 2, 3, 4]));
    const withWeights = { ...doc, initialWeights: 'imported.weights' };
    result<SavedProject>(await handleInvoke(deps, APP, 'saveProject', [join(dir, 'imported.layerloom'), withWeights, null]));
    // Save As into another folder under another name: the renderer names the new folder, the host copies.
    const target = join(dir, 'copies', 'renamed.layerloom');
    await mkdir(join(dir, 'copies'));
    result<SavedProject>(await handleInvoke(deps, APP, 'saveProject', [target, { ...withWeights, initialWeights: 'renamed.weights' }, from]));
    const parsed = parseProject(await readFile(target, 'utf8'));
    expect(parsed.ok && parsed.doc.initialWeights).toBe('renamed.weights');
    expect([...(await readFile(join(dir, 'copies', 'renamed.weights', 'group1-shard1of1.bin')))]).toEqual([1, 2, 3, 4]);
    expect(await readFile(join(dir, 'copies', 'renamed.weights', 'model.json'), 'utf8')).toBe('{"format":"layers-model"}');
    // The original stays.
    expect((await stat(join(from, 'model.json'))).isFile()).toBe(true);
    expect((await readdir(join(dir, 'copies'))).sort()).toEqual(['renamed.layerloom', 'renamed.weights']);
    // Weights that are gone: a clear error, and no project file pointing at nothing.
    const lost = join(dir, 'copies', 'lost.layerloom');
    const error = failed(await handleInvoke(deps, APP, 'saveProject', [lost, { ...withWeights, initialWeights: 'lost.weights' }, join(dir, 'gone.weights')]));
    expect(error.message).toContain('imported weights are missing');
    expect((await readdir(join(dir, 'copies'))).sort()).toEqual(['renamed.layerloom', 'renamed.weights']);
  });

  it('maps a missing file to not-found with a message that names it', async () => {
    const missing = join(dir, 'nope.layerloom');
    const error = failed(await handleInvoke(deps, APP, 'openProject', [missing]));
    expect(error.code).toBe('not-found');
    expect(error.message).toContain(missing);
  });

  it('a failed save tells the shell (the quit guard must not wait for it)', async () => {
    effects.length = 0;
    const { doc } = result<OpenedProject>(await handleInvoke(deps, APP, 'openTemplate', ['mlp']));
    const error = failed(await handleInvoke(deps, APP, 'saveProject', [join(EXAMPLE, 'inside-a-file.layerloom'), doc, null]));
    expect(error.code).toBe('failed');
    expect(effects.at(-1)?.effect).toEqual({ kind: 'saveAbandoned' });
  });

  it('generates Keras code through the code generator', async () => {
    const { doc } = result<OpenedProject>(await handleInvoke(deps, APP, 'openTemplate', ['mlp']));
    const code = result<GeneratedCode>(await handleInvoke(deps, APP, 'generateCode', [{ doc, target: 'keras' }]));
    expect(code.language).toBe('python');
    expect(code.files.map((f) => f.path)).toContain('model.py');
    expect(code.files.find((f) => f.path === 'model.py')?.content).toMatch(/keras/);
  });

  it('exports TypeScript into a folder', async () => {
    const { doc } = result<OpenedProject>(await handleInvoke(deps, APP, 'openTemplate', ['mlp']));
    const folder = join(dir, 'export-ts');
    const r = result<{ folder: string; files: string[] }>(await handleInvoke(deps, APP, 'exportCode', [{ doc, target: 'tfjs', folder, projectPath: null }]));
    expect(r.files.length).toBeGreaterThan(0);
    expect((await readdir(folder)).length).toBeGreaterThan(0);
  });

  it('passes pickPath to the native dialog and reports a cancelled save', async () => {
    effects.length = 0;
    pickAnswer = null;
    expect(result<string | null>(await handleInvoke(deps, APP, 'pickPath', [{ purpose: 'saveProject', defaultPath: '/tmp/a.layerloom' }]))).toBeNull();
    expect(picks.at(-1)).toEqual({ purpose: 'saveProject', defaultPath: '/tmp/a.layerloom' });
    expect(effects).toEqual([{ id: 7, effect: { kind: 'saveAbandoned' } }]);
    pickAnswer = '/data/digits';
    expect(result<string | null>(await handleInvoke(deps, APP, 'pickPath', [{ purpose: 'datasetFolder' }]))).toBe('/data/digits');
    expect(effects).toHaveLength(1);
  });

  it('remembers the editor’s recovery key (discarded on "Don’t Save")', async () => {
    effects.length = 0;
    const { doc } = result<OpenedProject>(await handleInvoke(deps, APP, 'openTemplate', ['mlp']));
    result(await handleInvoke(deps, APP, 'writeRecovery', [{ key: 'sabc123', path: null, doc }]));
    expect(effects.at(-1)?.effect).toEqual({ kind: 'recovery', key: 'sabc123' });
    result(await handleInvoke(deps, APP, 'discardRecovery', ['sabc123']));
    expect(effects.at(-1)?.effect).toEqual({ kind: 'recovery', key: null });
  });
});

describe('effects of calls', () => {
  it('names the run a window started, and nothing for read-only calls', () => {
    expect(effectOfSuccess('startTraining', [{}], { runId: 'r1' })).toEqual({ kind: 'trainingStarted', runId: 'r1' });
    expect(effectOfSuccess('listRecent', [], [])).toBeNull();
    expect(effectOfSuccess('getBackendStatus', [], {})).toBeNull();
    expect(effectOfSuccess('pickPath', [{ purpose: 'exportFolder' }], null)).toBeNull();
  });
});
