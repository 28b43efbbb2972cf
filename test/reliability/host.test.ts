/**
 * The browser host never dies on input: a real host process (`electron/server/main.ts`, as
 * `npm run web` starts it) is fed malformed frames, oversized frames, malformed URLs, relative
 * paths and a 21 MB project, and must keep answering every other client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import { ROOT, startHostProcess, type HostProcess } from '../e2e/support/hostProcess.js';
import { WebTransport, type SocketLike } from '../../renderer/platform/webTransport.js';
import { createApiFacade } from '../../shared/api/facade.js';
import type { ApiErrorInfo } from '../../shared/api/errors.js';
import { emptyDocument, type GraphEdge, type GraphNode, type ProjectDocument } from '../../shared/graph/document.js';

let host: HostProcess;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'll-reliability-'));
  host = await startHostProcess();
});

afterAll(async () => {
  await host?.stop();
  await rm(dir, { recursive: true, force: true });
});

type Reply = { ok: true; result: unknown } | { ok: false; error: ApiErrorInfo };

interface Client {
  readonly ws: WebSocket;
  call(method: string, ...args: unknown[]): Promise<Reply>;
  /** Resolves with the close code when the host closes the socket. */
  readonly closed: Promise<number>;
}

/** An authorised WebSocket client of the host. */
async function client(): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${new URL(host.origin).port}/api?token=${host.token}`);
  const closed = new Promise<number>((ok) => ws.once('close', (code) => ok(code)));
  // The host may close a socket with an error; the client side must not throw either.
  ws.on('error', () => undefined);
  await new Promise<void>((ok, fail) => {
    ws.once('open', () => ok());
    ws.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', fail);
  });
  let id = 0;
  const call = (method: string, ...args: unknown[]) =>
    new Promise<Reply>((ok, fail) => {
      if (ws.readyState !== WebSocket.OPEN) return fail(new Error(`socket closed before ${method} was sent`));
      const my = ++id;
      const onMessage = (data: Buffer) => {
        const msg = JSON.parse(data.toString()) as { type: string; id: number } & Reply;
        if (msg.type === 'response' && msg.id === my) {
          ws.off('message', onMessage);
          ok(msg);
        }
      };
      ws.on('message', onMessage);
      ws.once('close', () => fail(new Error(`socket closed before the reply to ${method}`)));
      ws.send(JSON.stringify({ type: 'request', id: my, method, args }));
    });
  return { ws, call, closed };
}

async function answersAppInfo(c: Client): Promise<string | false> {
  const info = await c.call('getAppInfo');
  return info.ok && (info.result as { host: string }).host;
}

/** A raw HTTP exchange (method, path, headers, body) with the host; the status and text it answers. */
function http(options: { method?: string; path: string; headers?: Record<string, string | number>; body?: Buffer | string }): Promise<{ status: number; text: string }> {
  return new Promise((ok, fail) => {
    const req = httpRequest({ host: '127.0.0.1', port: new URL(host.origin).port, method: options.method ?? 'GET', path: options.path, headers: options.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => ok({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', fail);
    req.end(options.body);
  });
}

/** A chain of `count` blocks: an Input and Dense layers (100k blocks are ~21 MB of JSON). */
function bigProject(count: number): ProjectDocument {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  for (let i = 0; i < count; i++) {
    nodes.push({ id: `n${i}`, type: i === 0 ? 'Input' : 'Dense', label: `dense_${i}`, params: i === 0 ? {} : { units: 8, activation: 'relu' }, position: { x: i * 10, y: (i % 50) * 10 } });
    if (i > 0) edges.push({ id: `e${i}`, source: `n${i - 1}`, sourcePort: 'out', target: `n${i}`, targetPort: 'in' });
  }
  return { ...emptyDocument('Big'), nodes, edges };
}

/** The renderer's web transport, in Node, over the `ws` client and Node's fetch. */
function rendererTransport(): WebTransport {
  return new WebTransport({
    socketUrl: `ws://127.0.0.1:${new URL(host.origin).port}/api?token=${host.token}`,
    callUrl: `${host.origin}/api/call`,
    token: host.token,
    openSocket: (url) => quiet(new WebSocket(url)),
    fetch: (url, init) => fetch(url, init),
  });
}

/** A `ws` socket as the transport sees a browser's: errors end in `onclose`, they are never thrown. */
function quiet(ws: WebSocket): SocketLike {
  ws.on('error', () => undefined);
  return ws as unknown as SocketLike;
}

describe('browser host: WebSocket input', () => {
  it('closes a socket that sends invalid UTF-8 and keeps serving every other client', async () => {
    const bad = await client();
    const other = await client();
    // A text frame whose bytes are not UTF-8.
    bad.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await bad.closed).toBe(1007);
    expect(await answersAppInfo(other)).toBe('web');
    const again = await client();
    expect(await answersAppInfo(again)).toBe('web');
    other.ws.close();
    again.ws.close();
  });

  it('closes a socket that sends a frame over the size limit and keeps serving', async () => {
    const bad = await client();
    const other = await client();
    bad.ws.send('x'.repeat(17 * 1024 * 1024));
    expect(await bad.closed).toBe(1009);
    expect(await answersAppInfo(other)).toBe('web');
    const again = await client();
    expect(await answersAppInfo(again)).toBe('web');
    other.ws.close();
    again.ws.close();
  });

  it('answers a malformed WebSocket upgrade URL with 400 and keeps serving', async () => {
    const port = Number(new URL(host.origin).port);
    const answer = await new Promise<string>((ok, fail) => {
      const socket = tcpConnect(port, '127.0.0.1', () => {
        socket.write(`GET //[ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (text += d));
      socket.on('close', () => ok(text));
      socket.on('error', fail);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    const c = await client();
    expect(await answersAppInfo(c)).toBe('web');
    c.ws.close();
  });
});

describe('browser host: big requests go over HTTP POST', () => {
  it('saves a 21 MB project through the renderer transport and reads it back', async () => {
    const transport = rendererTransport();
    const other = await client();
    try {
      const api = createApiFacade(transport);
      const doc = bigProject(100_000);
      expect(JSON.stringify(doc).length).toBeGreaterThan(21_000_000);
      const path = join(dir, 'big.layerloom');
      const saved = await api.saveProject(path, doc, null);
      expect(saved.path).toBe(path);
      // A recovery autosave of the same size takes the same road.
      await api.writeRecovery({ key: 'big-tab', path, doc });
      const opened = await api.openProject(path);
      expect(opened.doc.nodes.length).toBe(100_000);
      expect(opened.doc.edges.length).toBe(99_999);
      const last = opened.doc.nodes[99_999];
      expect([last.id, last.label, last.params.units, last.position]).toEqual(['n99999', 'dense_99999', 8, { x: 999_990, y: 490 }]);
      expect(opened.doc.edges[99_998]).toEqual(doc.edges[99_998]);
      // The autosave belongs to this live editor: it is not offered to another tab as crash recovery.
      const seen = await other.call('listRecovery');
      expect(seen.ok && seen.result).toEqual([]);
      const own = await api.listRecovery();
      expect(own.map((e) => e.key)).toEqual(['big-tab']);
      await api.discardRecovery('big-tab');
    } finally {
      transport.close();
      other.ws.close();
    }
  }, 240_000);

  it('never sends a socket message over 1 MiB from the renderer transport', async () => {
    const sent: number[] = [];
    const transport = new WebTransport({
      socketUrl: `ws://127.0.0.1:${new URL(host.origin).port}/api?token=${host.token}`,
      callUrl: `${host.origin}/api/call`,
      token: host.token,
      openSocket: (url) => {
        const ws = new WebSocket(url);
        const send = ws.send.bind(ws);
        (ws as unknown as { send: (d: string) => void }).send = (d: string) => {
          sent.push(Buffer.byteLength(d));
          send(d);
        };
        return quiet(ws);
      },
      fetch: (url, init) => fetch(url, init),
    });
    const api = createApiFacade(transport);
    try {
      // Just under and just over the limit, in multi-byte characters (3 bytes each in UTF-8): a
      // count of characters instead of bytes would send the second over the socket.
      for (const [file, chars] of [['under.layerloom', 340_000], ['over.layerloom', 360_000]] as const) {
        const doc = { ...bigProject(2), name: '€'.repeat(chars) };
        const path = join(dir, file);
        await api.saveProject(path, doc, null);
        expect((await api.openProject(path)).doc.name).toBe(doc.name);
      }
      expect(Math.max(...sent)).toBeLessThanOrEqual(1024 * 1024);
      expect(sent.some((n) => n > 1_000_000)).toBe(true);
    } finally {
      transport.close();
    }
  });

  it('checks the token before reading a POST body, and refuses oversized bodies with 413', async () => {
    const started = Date.now();
    // Claims 1 GB and sends nothing: the host must answer at once, without waiting for the body.
    const unauthorised = await new Promise<number>((ok, fail) => {
      const req = httpRequest({ host: '127.0.0.1', port: new URL(host.origin).port, method: 'POST', path: '/api/call', headers: { 'content-type': 'application/json', 'content-length': 1_000_000_000 } }, (res) => {
        res.resume();
        ok(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', fail);
      req.flushHeaders();
    });
    expect(unauthorised).toBe(401);
    expect(Date.now() - started).toBeLessThan(5000);
    const tooBig = await http({ method: 'POST', path: '/api/call', headers: { 'content-type': 'application/json', 'x-layerloom-token': host.token, 'content-length': 1_000_000_000 } });
    expect(tooBig.status).toBe(413);
    expect(tooBig.text).toMatch(/too large.*at most \d+ MB/i);
    const notJson = await http({ method: 'POST', path: '/api/call', headers: { 'content-type': 'application/json', 'x-layerloom-token': host.token }, body: '{"type":' });
    expect(notJson.status).toBe(400);
    const badUtf8 = await http({ method: 'POST', path: '/api/call', headers: { 'content-type': 'application/json', 'x-layerloom-token': host.token }, body: Buffer.from([0x7b, 0xff, 0x7d]) });
    expect(badUtf8.status).toBe(400);
    const call = await http({ method: 'POST', path: '/api/call', headers: { 'content-type': 'application/json', 'x-layerloom-token': host.token }, body: JSON.stringify({ type: 'request', id: 1, method: 'getAppInfo', args: [] }) });
    expect(call.status).toBe(200);
    expect((JSON.parse(call.text) as { ok: boolean; result: { host: string } }).result.host).toBe('web');
  });
});

describe('browser host: URLs and paths', () => {
  it('answers malformed percent-encoding with 400', async () => {
    const res = await http({ path: `/%E0%A4%A?token=${host.token}` });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/percent-encoding/i);
    const cookie = await http({ path: '/', headers: { cookie: `layerloom_token_${new URL(host.origin).port}=%E0%A4%A` } });
    expect(cookie.status).toBe(401);
    const c = await client();
    expect(await answersAppInfo(c)).toBe('web');
    c.ws.close();
  });

  it('refuses a relative path in any path argument, naming the field', async () => {
    const c = await client();
    const open = await c.call('openProject', 'foo/bar.layerloom');
    expect(!open.ok && open.error.code).toBe('invalid-argument');
    expect(!open.ok && open.error.message).toContain('openProject[0]: path must be absolute: "foo/bar.layerloom"');
    const save = await c.call('saveProject', 'bar.layerloom', emptyDocument(), null);
    expect(!save.ok && save.error.message).toContain('saveProject[0]: path must be absolute');
    const scan = await c.call('scanDataset', { path: 'data/images', projectPath: null });
    expect(!scan.ok && scan.error.message).toContain('scanDataset[0].path: path must be absolute: "data/images"');
    const exported = await c.call('exportCode', { doc: emptyDocument(), target: 'keras', folder: 'out/export', projectPath: null });
    expect(!exported.ok && exported.error.message).toContain('exportCode[0].folder: path must be absolute');
    const runs = await c.call('listRuns', { projectPath: './p.layerloom' });
    expect(!runs.ok && runs.error.message).toContain('listRuns[0].projectPath: path must be absolute');
    c.ws.close();
  });
});

describe('host process policy', () => {
  it('logs an unhandled rejection and keeps running; exits non-zero on an uncaught exception', async () => {
    const script = [
      `import { installProcessPolicy } from ${JSON.stringify(pathToFileURL(join(ROOT, 'electron', 'server', 'processPolicy.ts')).href)};`,
      'installProcessPolicy();',
      "void Promise.reject(new Error('rejected on purpose'));",
      "setTimeout(() => { console.log('still running'); throw new Error('thrown on purpose'); }, 200);",
      "setTimeout(() => console.log('never printed'), 2000);",
    ].join('\n');
    const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((ok) => child.once('exit', (c) => ok(c)));
    expect(out).toMatch(/rejected on purpose/);
    expect(out).toMatch(/still running/);
    expect(out).toMatch(/thrown on purpose/);
    expect(out).not.toMatch(/never printed/);
    expect(code).not.toBe(0);
    const launcher = (await import(pathToFileURL(join(ROOT, 'scripts', 'start.mjs')).href)) as { exitLine: (code: number | null, signal: string | null) => string | null };
    const line = launcher.exitLine(code, null) ?? '';
    expect(line).toMatch(/internal error/);
    expect(line.split('\n')).toHaveLength(1);
    expect(launcher.exitLine(0, null)).toBeNull();
    expect(launcher.exitLine(null, 'SIGKILL')).toMatch(/SIGKILL/);
  });
});
