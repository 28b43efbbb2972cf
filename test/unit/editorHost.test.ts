/**
 * The browser host: token-gated HTTP and WebSocket on 127.0.0.1, strict CSP, validated API calls,
 * and the project/recovery services behind it, driven over a real socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startWebHost, type WebHost } from '../../electron/server/webHost.js';
import { emptyDocument } from '../../shared/graph/document.js';
import { addNode, connect as link } from '../../shared/graph/operations.js';
import type { ApiErrorInfo } from '../../shared/api/errors.js';

let host: WebHost;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'll-host-'));
  const web = join(dir, 'web');
  await mkdir(join(web, 'assets'), { recursive: true });
  await writeFile(join(web, 'index.html'), '<!doctype html><title>t</title>');
  await writeFile(join(web, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(dir, 'secret.txt'), 'secret');
  host = await startWebHost({ staticDir: web, stateDir: join(dir, 'state') });
});

afterAll(async () => {
  await host?.close();
  await rm(dir, { recursive: true, force: true });
});

type Reply = { ok: true; result: unknown } | { ok: false; error: ApiErrorInfo };

/** Opens an authorised socket and returns a call function. */
async function connect(query = `token=${host.token}`, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; call: (method: string, ...args: unknown[]) => Promise<Reply> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api?${query}`, { headers });
  await new Promise<void>((ok, fail) => {
    ws.once('open', () => ok());
    ws.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', fail);
  });
  let id = 0;
  const call = (method: string, ...args: unknown[]) =>
    new Promise<Reply>((ok) => {
      const my = ++id;
      const onMessage = (data: Buffer) => {
        const msg = JSON.parse(data.toString()) as { type: string; id: number } & Reply;
        if (msg.type === 'response' && msg.id === my) {
          ws.off('message', onMessage);
          ok(msg);
        }
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ type: 'request', id: my, method, args }));
    });
  return { ws, call };
}

function refusedStatus(query: string, headers: Record<string, string> = {}): Promise<number> {
  return connect(query, headers).then(
    ({ ws }) => (ws.close(), 101),
    (e: Error) => Number(/HTTP (\d+)/.exec(e.message)?.[1] ?? 0),
  );
}

describe('browser host', () => {
  it('listens on 127.0.0.1 with a long random token in the URL', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
  });

  it('refuses pages without the token and serves them with it, under a strict CSP', async () => {
    expect((await fetch(`${host.origin}/`)).status).toBe(401);
    expect((await fetch(`${host.origin}/?token=${'0'.repeat(64)}`)).status).toBe(401);
    expect((await fetch(`${host.origin}/assets/app.js`)).status).toBe(401);
    const res = await fetch(host.url);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    // The page's own assets load with the HttpOnly cookie the first response set.
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
    expect(res.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await fetch(`${host.origin}/assets/app.js`, { headers: { cookie } })).status).toBe(200);
  });

  it('refuses a non-loopback Host header (DNS rebinding) and paths outside the app', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((ok) => {
      request({ host: '127.0.0.1', port: host.port, path: `/?token=${host.token}`, headers: { host: 'evil.example:80' } }, (res) => ok(res.statusCode ?? 0)).end();
    });
    expect(status).toBe(403);
    const traversal = await fetch(`${host.origin}/..%2Fsecret.txt?token=${host.token}`);
    expect(traversal.status).toBe(404);
  });

  it('refuses WebSockets without the token or from another origin', async () => {
    expect(await refusedStatus('')).toBe(401);
    expect(await refusedStatus('token=nope')).toBe(401);
    expect(await refusedStatus(`token=${host.token}`, { origin: 'https://evil.example' })).toBe(403);
    expect(await refusedStatus(`token=${host.token}`, { origin: `http://127.0.0.1:${host.port}` })).toBe(101);
  });

  it('validates every argument before a service runs', async () => {
    const { ws, call } = await connect();
    const info = await call('getAppInfo');
    expect(info.ok && (info.result as { host: string }).host).toBe('web');
    const unknown = await call('rm -rf');
    expect(!unknown.ok && unknown.error.code).toBe('unknown-method');
    const wrongCount = await call('openProject');
    expect(!wrongCount.ok && wrongCount.error.code).toBe('invalid-argument');
    const nul = await call('openProject', 'a\0b');
    expect(!nul.ok && nul.error.message).toMatch(/NUL/);
    const extra = await call('pickPath', { purpose: 'openProject', sneaky: true });
    expect(!extra.ok && extra.error.details).toContain('pickPath[0].sneaky: unknown field');
    const badDoc = await call('saveProject', join(dir, 'x.layerloom'), { format: 'layerloom-project', version: 1, name: 'x', nodes: [{ id: 'a', type: 'Dense', params: { units: 'many' }, position: { x: 0, y: 0 } }], edges: [] }, null);
    expect(!badDoc.ok && badDoc.error.code).toBe('invalid-argument');
    expect(!badDoc.ok && badDoc.error.message).toMatch(/units/);
    const dialog = await call('pickPath', { purpose: 'openProject' });
    expect(!dialog.ok && dialog.error.code).toBe('not-available');
    ws.close();
  });

  it('saves atomically, reopens the same graph, and lists it as recent', async () => {
    const { ws, call } = await connect();
    const doc = addNode(addNode(emptyDocument('Round trip'), 'Input', { x: 0, y: 0 }).doc, 'Dense', { x: 300, y: 0 }, { params: { units: 7 } }).doc;
    const path = join(dir, 'round.layerloom');
    const saved = await call('saveProject', path, doc, null);
    expect(saved.ok).toBe(true);
    const opened = await call('openProject', path);
    expect(opened.ok && (opened.result as { doc: unknown }).doc).toEqual(doc);
    const recent = await call('listRecent');
    expect(recent.ok && (recent.result as { path: string }[]).map((r) => r.path)).toContain(path);
    const missing = await call('openProject', join(dir, 'nope.layerloom'));
    expect(!missing.ok && missing.error.code).toBe('not-found');
    await writeFile(join(dir, 'broken.layerloom'), '{"format":"layerloom-project","version":1,"name":3,"nodes":[],"edges":[]}');
    const broken = await call('openProject', join(dir, 'broken.layerloom'));
    expect(!broken.ok && (broken.error.details ?? []).join('\n')).toMatch(/name: expected text/);
    const notProject = await call('saveProject', join(dir, 'x.txt'), doc, null);
    expect(!notProject.ok && notProject.error.message).toMatch(/\.layerloom/);
    ws.close();
  });

  it('keeps autosaves for recovery until they are discarded', async () => {
    const { ws, call } = await connect();
    const doc = addNode(emptyDocument('Unsaved'), 'Input', { x: 0, y: 0 }).doc;
    expect((await call('writeRecovery', { key: 'sess1', path: null, doc })).ok).toBe(true);
    const list = await call('listRecovery');
    const entries = list.ok ? (list.result as { key: string; name: string; doc: unknown }[]) : [];
    expect(entries.map((e) => [e.key, e.name])).toEqual([['sess1', 'Unsaved']]);
    expect(entries[0].doc).toEqual(doc);
    const stored = await readFile(join(dir, 'state', 'recovery', 'sess1.recovery.json'), 'utf8');
    expect(JSON.parse(stored).path).toBeNull();
    const badKey = await call('discardRecovery', '../etc/passwd');
    expect(!badKey.ok && badKey.error.code).toBe('invalid-argument');
    await call('discardRecovery', 'sess1');
    const after = await call('listRecovery');
    expect(after.ok && after.result).toEqual([]);
    ws.close();
  });

  it('does not offer another open editor’s live autosave as crash recovery', async () => {
    const a = await connect();
    const b = await connect();
    const doc = addNode(emptyDocument('Live in tab A'), 'Input', { x: 0, y: 0 }).doc;
    await a.call('writeRecovery', { key: 'tabA', path: null, doc });
    const seenByB = await b.call('listRecovery');
    expect(seenByB.ok && seenByB.result).toEqual([]);
    const seenByA = await a.call('listRecovery');
    expect(seenByA.ok && (seenByA.result as { key: string }[]).map((e) => e.key)).toEqual(['tabA']);
    // Tab A crashes: its autosave is now recoverable work.
    a.ws.terminate();
    await new Promise((r) => setTimeout(r, 100));
    const afterCrash = await b.call('listRecovery');
    expect(afterCrash.ok && (afterCrash.result as { key: string }[]).map((e) => e.key)).toEqual(['tabA']);
    await b.call('discardRecovery', 'tabA');
    b.ws.close();
  });
});

describe('browser host with services switched off', () => {
  it('reports them in the capabilities and fails their methods with not-available', async () => {
    const { serviceAdapters, withServicesOff } = await import('../../electron/server/adapters.js');
    const { createHostApi } = await import('../../electron/server/hostApi.js');
    const state = await mkdtemp(join(tmpdir(), 'll-off-'));
    try {
      const api = await createHostApi({ host: 'web', stateDir: state, adapters: withServicesOff(serviceAdapters(), { training: 'This host does not train.' }) });
      const info = (await api.dispatch('getAppInfo', [])) as { capabilities: Record<string, boolean> };
      expect(info.capabilities).toMatchObject({ training: false, datasets: true, export: true, codegen: true, nativeDialogs: false });
      await expect(api.dispatch('listRuns', [{ projectPath: null }])).rejects.toMatchObject({ code: 'not-available', message: /This host does not train/ });
      // The services left on still work: code generation gives the files the export would write.
      let doc = addNode(emptyDocument('c'), 'Input', { x: 0, y: 0 }, { id: 'i', params: { shape: [4] } }).doc;
      doc = addNode(doc, 'Dense', { x: 1, y: 0 }, { id: 'd', params: { units: 2 } }).doc;
      doc = addNode(doc, 'Output', { x: 2, y: 0 }, { id: 'o' }).doc;
      doc = link(link(doc, 'i', 'd', 'in').doc, 'd', 'o', 'in').doc;
      const code = (await api.dispatch('generateCode', [{ doc, target: 'keras' }])) as { language: string; files: { path: string; content: string }[] };
      expect(code.language).toBe('python');
      expect(code.files[0].path).toBe('model.py');
      expect(code.files[0].content).toContain('keras.Input');
    } finally {
      await rm(state, { recursive: true, force: true });
    }
  });
});
