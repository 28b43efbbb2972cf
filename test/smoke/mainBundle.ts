/**
 * Smoke check of the built Electron main process (out/main, from `electron-vite build`), without
 * the Electron binary: `npm run smoke:main` builds, then runs this with tsx. It fails (exit 1) when
 *
 * 1. the built main entry (package.json `main`) does not load: it is imported for real, with a
 *    stand-in for the `electron` module (a Node process has no Electron API), so every module it
 *    imports — server, services, shared — must resolve in out/main and evaluate. Its top level must
 *    register the invoke channel on the stand-in `ipcMain` and wait for `app.whenReady()` (never
 *    resolved here: no windows are made), and that handler must answer like the real one does
 *    before a window exists;
 * 2. a file the built code finds by path at run time is missing: every `new URL('…',
 *    import.meta.url)` in out/main, the training worker beside the training service, the preload
 *    and the renderer;
 * 3. a method of the API contract (shared/api/contract.ts, the list the preload's facade exposes)
 *    does not reach its implementation through the built IPC handler: the built handler is
 *    registered on a stand-in `ipcMain` over a host API made from the built server modules with
 *    the real services (`loadServiceAdapters`, as main does), and every method is invoked through
 *    it as a window would. Calls without arguments must succeed; the others, sent without their
 *    arguments, must be refused by validation (so the method is known and checked), and a few are
 *    also run with real arguments. An unknown method and a foreign sender must be refused.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { API_METHODS, type ApiMethod } from '../../shared/api/contract.js';
import { API_ARGUMENTS } from '../../shared/api/validation.js';

type IpcHandlersModule = typeof import('../../electron/main/ipcHandlers.js');
type IpcProtocolModule = typeof import('../../electron/main/ipcProtocol.js');
type SecurityModule = typeof import('../../electron/main/security.js');
type HostApiModule = typeof import('../../electron/server/hostApi.js');
type AdaptersModule = typeof import('../../electron/server/adapters.js');
type InvokeListener = Parameters<import('../../electron/main/ipcHandlers.js').IpcMainLike['handle']>[1];
type InvokeEvent = Parameters<InvokeListener>[0];

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT_MAIN = join(ROOT, 'out', 'main');
const failures: string[] = [];
const fail = (message: string): void => void failures.push(message);
const ok = (message: string): void => console.log(`  ok  ${message}`);

function built(path: string): string {
  return pathToFileURL(join(OUT_MAIN, path)).href;
}

async function load<T>(path: string): Promise<T> {
  return (await import(built(path))) as T;
}

/** An invoke from the app's own top-level page in window `contentsId` (or from `url`). */
function invokeEvent(contentsId: number, url: string): InvokeEvent {
  const mainFrame = { routingId: 1, processId: 7 };
  return { sender: { id: contentsId, mainFrame }, senderFrame: { url, ...mainFrame } };
}

/** Every `.js` file under `dir`. */
function jsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...jsFiles(p));
    else if (name.endsWith('.js')) out.push(p);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// A stand-in for the `electron` module: records what main's top level does, refuses the rest.

interface StandIn {
  readonly handlers: Map<string, InvokeListener>;
  readonly calls: string[];
}

const standIn: StandIn = { handlers: new Map(), calls: [] };

function refuse(name: string): never {
  throw new Error(`electron.${name} was used before app.whenReady() resolved; the smoke check never makes it ready`);
}

const refusing = (name: string): object =>
  new Proxy({}, { get: (_t, key) => (key === 'then' ? undefined : refuse(`${name}.${String(key)}`)) });

const electronStandIn = {
  app: {
    isPackaged: false,
    setName: (name: string) => void standIn.calls.push(`app.setName(${name})`),
    enableSandbox: () => void standIn.calls.push('app.enableSandbox()'),
    getAppPath: () => ROOT,
    getVersion: () => '0.0.0-smoke',
    requestSingleInstanceLock: () => (standIn.calls.push('app.requestSingleInstanceLock()'), true),
    on: (event: string) => (standIn.calls.push(`app.on(${event})`), electronStandIn.app),
    whenReady: () => (standIn.calls.push('app.whenReady()'), new Promise<never>(() => undefined)),
    quit: () => refuse('app.quit'),
    exit: () => refuse('app.exit'),
  },
  ipcMain: {
    handle: (channel: string, listener: InvokeListener) => {
      if (standIn.handlers.has(channel)) fail(`main registered ${channel} twice`);
      standIn.handlers.set(channel, listener);
    },
  },
  protocol: {
    registerSchemesAsPrivileged: (schemes: { scheme: string }[]) => void standIn.calls.push(`protocol.registerSchemesAsPrivileged(${schemes.map((s) => s.scheme).join(',')})`),
    handle: () => refuse('protocol.handle'),
  },
  BrowserWindow: refusing('BrowserWindow'),
  dialog: refusing('dialog'),
  Menu: refusing('Menu'),
  nativeTheme: refusing('nativeTheme'),
  screen: refusing('screen'),
  session: refusing('session'),
  shell: refusing('shell'),
  utilityProcess: refusing('utilityProcess'),
};

const STAND_IN_KEY = 'layerloom:electron-stand-in';
(globalThis as Record<string, unknown>)[STAND_IN_KEY] = electronStandIn;
/** Scratch folder: the state folder of both hosts, and the module hook that maps `electron` to the stand-in. */
const work = await mkdtemp(join(tmpdir(), 'll-smoke-main-'));
const standInFile = join(work, 'electron.mjs');
writeFileSync(standInFile, Object.keys(electronStandIn).map((k) => `export const ${k} = globalThis[${JSON.stringify(STAND_IN_KEY)}].${k};`).join('\n'));
const hooksFile = join(work, 'hooks.mjs');
writeFileSync(
  hooksFile,
  `export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: ${JSON.stringify(pathToFileURL(standInFile).href)}, shortCircuit: true };
  return next(specifier, context);
}
`,
);
register(pathToFileURL(hooksFile).href);

/** The first lines of an error's stack (enough to name the module that failed). */
function brief(e: unknown): string {
  return ((e as Error).stack ?? String(e)).split('\n').slice(0, 4).join('\n');
}

// ---------------------------------------------------------------------------------------------

async function checkMainEntry(stateDir: string): Promise<void> {
  console.log('1. the built main entry');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };
  const entry = join(ROOT, pkg.main);
  if (!existsSync(entry)) return fail(`package.json main ${pkg.main} is not built (run electron-vite build)`);
  process.env.LAYERLOOM_STATE_DIR = stateDir;
  delete process.env.ELECTRON_RENDERER_URL;
  try {
    await import(pathToFileURL(entry).href);
  } catch (e) {
    return fail(`${pkg.main} does not load: ${brief(e)}`);
  }
  ok(`${pkg.main} loads (with its imports from out/main)`);

  const { INVOKE_CHANNEL } = await load<IpcProtocolModule>('electron/main/ipcProtocol.js');
  const { APP_INDEX_URL } = await load<SecurityModule>('electron/main/security.js');
  for (const expected of ['app.enableSandbox()', 'protocol.registerSchemesAsPrivileged(app)', 'app.requestSingleInstanceLock()', 'app.whenReady()']) {
    if (standIn.calls.includes(expected)) ok(`main called ${expected}`);
    else fail(`main did not call ${expected} at start (calls: ${standIn.calls.join(', ')})`);
  }
  const channels = [...standIn.handlers.keys()];
  if (channels.length !== 1 || channels[0] !== INVOKE_CHANNEL) return fail(`main registered [${channels.join(', ')}] on ipcMain, expected exactly [${INVOKE_CHANNEL}]`);
  ok(`main registered ${INVOKE_CHANNEL} on ipcMain`);
  const listener = standIn.handlers.get(INVOKE_CHANNEL);
  const reply = await listener?.(invokeEvent(1, APP_INDEX_URL), 'getAppInfo', []);
  if (reply && !reply.ok && reply.error.code === 'unauthorized' && /not a Layerloom editor window/.test(reply.error.message)) ok('its handler refuses a call from contents that are no editor window (none exists yet)');
  else fail(`main's handler answered ${JSON.stringify(reply)} for a window that does not exist`);
}

function checkRuntimePaths(): void {
  console.log('2. files the built code finds by path');
  const urlRe = /new URL\(\s*(["'`])([^"'`]+)\1\s*,\s*import\.meta\.url\s*\)/g;
  let count = 0;
  for (const file of jsFiles(OUT_MAIN)) {
    for (const m of readFileSync(file, 'utf8').matchAll(urlRe)) {
      const target = fileURLToPath(new URL(m[2], pathToFileURL(file)));
      count += 1;
      if (!existsSync(target)) fail(`${relative(ROOT, file)}: new URL('${m[2]}', import.meta.url) → ${relative(ROOT, target)} does not exist`);
    }
  }
  ok(`${count} paths from new URL(…, import.meta.url) in out/main exist`);
  const wanted = [
    'out/main/electron/services/trainingWorker.js', // started beside trainingService.js
    'out/preload/preload.cjs',
    'out/renderer/index.html',
  ];
  for (const p of wanted) {
    if (existsSync(join(ROOT, p))) ok(p);
    else fail(`${p} is missing from the build`);
  }
  if (!existsSync(join(dirname(join(OUT_MAIN, 'electron/services/trainingService.js')), 'trainingWorker.js'))) fail('trainingWorker.js is not beside trainingService.js');
}

async function checkApiMethods(stateDir: string): Promise<void> {
  console.log('3. every API method through the built IPC handler');
  const { registerInvokeHandler } = await load<IpcHandlersModule>('electron/main/ipcHandlers.js');
  const { INVOKE_CHANNEL } = await load<IpcProtocolModule>('electron/main/ipcProtocol.js');
  const { APP_INDEX_URL, trustedOrigins } = await load<SecurityModule>('electron/main/security.js');
  const { createHostApi } = await load<HostApiModule>('electron/server/hostApi.js');
  const { loadServiceAdapters } = await load<AdaptersModule>('electron/server/adapters.js');

  const adapters = await loadServiceAdapters();
  for (const [name, state] of Object.entries(adapters)) {
    if (state.available) ok(`service ${name} loaded`);
    else fail(`service ${name} is not available: ${state.reason}`);
  }
  const host = await createHostApi({ host: 'electron', rootDir: ROOT, stateDir, version: '0.0.0-smoke', pickPath: async () => null, adapters });
  const CONTENTS = 3;
  const handlers = new Map<string, InvokeListener>();
  registerInvokeHandler({ handle: (channel, listener) => void handlers.set(channel, listener) }, { origins: trustedOrigins(null), hostFor: (id) => (id === CONTENTS ? host : undefined) });
  const invoke = handlers.get(INVOKE_CHANNEL);
  if (!invoke) return fail(`registerInvokeHandler did not register ${INVOKE_CHANNEL}`);
  const call = (method: string, args: unknown[], url = APP_INDEX_URL) => invoke(invokeEvent(CONTENTS, url), method, args);

  // Methods whose argument schema is empty: called without arguments they answer; every other one must refuse.
  const noArguments = new Set<ApiMethod>(API_METHODS.filter((m) => API_ARGUMENTS[m].length === 0));
  for (const method of API_METHODS) {
    if (typeof (host.implementation as unknown as Record<string, unknown>)[method] !== 'function') {
      fail(`${method}: the host API has no implementation`);
      continue;
    }
    const reply = await call(method, []);
    if (noArguments.has(method)) {
      if (reply.ok) ok(`${method}() answered`);
      else fail(`${method}() failed: ${reply.error.code}: ${reply.error.message}`);
    } else if (!reply.ok && reply.error.code === 'invalid-argument') {
      ok(`${method} is dispatched and validates its arguments`);
    } else {
      fail(`${method} without arguments answered ${JSON.stringify(reply).slice(0, 300)}, expected invalid-argument`);
    }
  }

  const real = async (what: string, method: ApiMethod, args: unknown[], check: (result: unknown) => boolean): Promise<unknown> => {
    const reply = await call(method, args);
    if (reply.ok && check(reply.result)) ok(what);
    else fail(`${what}: ${JSON.stringify(reply).slice(0, 300)}`);
    return reply.ok ? reply.result : null;
  };
  const templates = (await real('listTemplates lists the examples', 'listTemplates', [], (r) => Array.isArray(r) && r.length > 0)) as { id: string }[] | null;
  const opened = templates?.[0] ? ((await real(`openTemplate(${templates[0].id})`, 'openTemplate', [templates[0].id], (r) => typeof r === 'object' && r !== null)) as { doc: unknown } | null) : null;
  if (opened) {
    for (const target of ['keras', 'tfjs']) {
      await real(`generateCode(${target})`, 'generateCode', [{ doc: opened.doc, target }], (r) => Array.isArray((r as { files?: unknown }).files) && (r as { files: unknown[] }).files.length > 0);
    }
  }
  await real('scanDataset(assets/datasets/iris.csv)', 'scanDataset', [{ path: join(ROOT, 'assets', 'datasets', 'iris.csv'), projectPath: null }], (r) => typeof r === 'object' && r !== null);
  await real('listRuns(no project)', 'listRuns', [{ projectPath: null }], Array.isArray);
  await real('pickPath (dialog cancelled)', 'pickPath', [{ purpose: 'saveProject' }], (r) => r === null);

  const unknown = await call('notAMethod', []);
  if (!unknown.ok && unknown.error.code === 'unknown-method') ok('an unknown method is refused');
  else fail(`an unknown method answered ${JSON.stringify(unknown)}`);
  const foreign = await call('getAppInfo', [], 'https://example.com/');
  if (!foreign.ok && foreign.error.code === 'unauthorized') ok('a foreign sender is refused');
  else fail(`a foreign sender answered ${JSON.stringify(foreign).slice(0, 200)}`);
}

try {
  await checkMainEntry(work);
  checkRuntimePaths();
  await checkApiMethods(work);
} catch (e) {
  fail(`the check stopped: ${brief(e)}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
if (failures.length) {
  console.error(`\nElectron main bundle smoke check: ${failures.length} failure(s)\n${failures.map((f) => `  FAIL ${f}`).join('\n')}`);
  process.exit(1);
}
console.log(`\nElectron main bundle smoke check: ok (${API_METHODS.length} API methods)`);
process.exit(0);
