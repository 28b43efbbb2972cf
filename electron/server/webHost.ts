/**
 * The browser host: serves the built renderer and the API over a WebSocket, on 127.0.0.1 only.
 *
 * Access needs the random token generated at each launch, which is part of the printed URL:
 * - the first page load carries it as `?token=…`; the host answers with an HttpOnly, SameSite=Strict
 *   cookie so the page's own assets load without it;
 * - the WebSocket must carry it as `?token=…`;
 * - `POST /api/call` (requests too big for a socket message: saves of big projects) must carry it
 *   in the `X-Layerloom-Token` header; it is checked before any of the body is read;
 * - anything else gets 401. The Host header must name a loopback address (defeats DNS rebinding),
 *   and a browser Origin must be that same loopback origin.
 * Every response carries a strict CSP.
 *
 * No input ends the process: a socket that sends a malformed or oversized frame is closed and
 * everyone else is still served; a malformed URL gets 400.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join, normalize, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError } from '../../shared/api/errors.js';
import {
  API_CALL_PATH,
  API_UPLOAD_PATH,
  CONNECTION_HEADER,
  decodeRequest,
  MAX_POST_BYTES,
  MAX_SOCKET_MESSAGE_BYTES,
  MAX_UPLOAD_BYTES,
  TOKEN_HEADER,
  UPLOAD_EXTENSIONS,
  type WireEvent,
  type WireHello,
  type WireRequest,
  type WireResponse,
} from '../../shared/api/wire.js';
import type { ApiEventName, ApiEvents } from '../../shared/api/contract.js';
import { createHostApi, type HostApi, type HostApiOptions, appRoot } from './hostApi.js';
import { rendererCsp } from './csp.js';

/** Options of the browser host. */
export interface WebHostOptions extends Omit<HostApiOptions, 'host' | 'pickPath'> {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** The built renderer (default `out/renderer`). */
  readonly staticDir?: string;
  /** Fixed token (tests); default: 32 random bytes, hex. */
  readonly token?: string;
  /** Injected API (tests); default: `createHostApi`. */
  readonly api?: HostApi;
  /** Largest `POST /api/call` body (tests); default `MAX_POST_BYTES`. */
  readonly maxPostBytes?: number;
  /** Largest file taken by `POST /api/upload` (tests); default `MAX_UPLOAD_BYTES`. */
  readonly maxUploadBytes?: number;
  /** Where uploads are written, one new folder each (tests); default the system's temporary folder. */
  readonly uploadDir?: string;
  /** Where connection problems are reported; default `console.warn`. */
  readonly log?: (line: string) => void;
}

/** A running browser host. */
export interface WebHost {
  /** The URL to open, token included. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  readonly api: HostApi;
  close(): Promise<void>;
}

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
};

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `decodeURIComponent`, or null for malformed percent-encoding (`%E0%A4%A`). */
function decodeOrNull(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** The request URL, or null when it does not parse. */
function requestUrl(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://127.0.0.1');
  } catch {
    return null;
  }
}

function cookieToken(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeOrNull(v.join('='));
  }
  return null;
}

function megabytes(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}

/** Reads a request body, at most `limit` bytes; 'too-large' as soon as it passes the limit. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.off('end', onEnd);
        req.pause();
        ok('too-large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => ok(Buffer.concat(chunks, size));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', fail);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One request header's value (the first, when repeated). */
function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** True when the Host header names a loopback address (any port: SSH tunnels remap ports). */
function loopbackHost(req: IncomingMessage): boolean {
  const host = req.headers.host;
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return LOOPBACK_HOSTS.has(name.toLowerCase());
}

/** A browser's Origin must be a loopback http origin; non-browser clients send none. */
function acceptableOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname === '::1' ? '[::1]' : u.hostname);
  } catch {
    return false;
  }
}

function securityHeaders(res: ServerResponse, port: number): void {
  res.setHeader('Content-Security-Policy', rendererCsp([`ws://127.0.0.1:${port}`, `ws://localhost:${port}`]));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function refuse(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(message + '\n');
}

/** Starts the browser host. */
export async function startWebHost(options: WebHostOptions = {}): Promise<WebHost> {
  const token = options.token ?? randomBytes(32).toString('hex');
  const staticDir = resolve(options.staticDir ?? join(appRoot(), 'out', 'renderer'));
  const api = options.api ?? (await createHostApi({ ...options, host: 'web' }));
  const maxPostBytes = options.maxPostBytes ?? MAX_POST_BYTES;
  const maxUploadBytes = options.maxUploadBytes ?? MAX_UPLOAD_BYTES;
  const log = options.log ?? ((line: string) => console.warn(line));
  const server = createServer();
  let port = 0;
  const cookieName = () => `layerloom_token_${port}`;

  server.on('request', (req, res) => {
    void handleHttp(req, res).catch((e: Error) => {
      if (!res.headersSent) refuse(res, 500, `Internal error: ${e.message}`);
      else res.end();
    });
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    securityHeaders(res, port);
    if (!loopbackHost(req)) return refuse(res, 403, 'Forbidden: Layerloom only answers on 127.0.0.1 or localhost.');
    const url = requestUrl(req);
    if (!url) return refuse(res, 400, 'Bad request: the URL does not parse.');
    if (req.method === 'POST' && url.pathname === API_CALL_PATH) return handleCall(req, res);
    if (req.method === 'POST' && url.pathname === API_UPLOAD_PATH) return handleUpload(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Method not allowed.');
    const queryToken = url.searchParams.get('token');
    const authorised = sameToken(queryToken, token) || sameToken(cookieToken(req, cookieName()), token);
    if (!authorised) {
      return refuse(res, 401, 'Unauthorized: open the full URL printed by `npm run web` (it includes the access token).');
    }
    if (sameToken(queryToken, token)) {
      res.setHeader('Set-Cookie', `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    }
    let rel = decodeOrNull(url.pathname);
    if (rel === null) return refuse(res, 400, `Bad request: malformed percent-encoding in ${url.pathname}.`);
    if (rel.includes('\0')) return refuse(res, 400, 'Bad request: the path contains a NUL character.');
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = normalize(join(staticDir, rel));
    if (file !== staticDir && !file.startsWith(staticDir + sep)) return refuse(res, 404, 'Not found.');
    const info = await stat(file).catch(() => null);
    if (!info || !info.isFile()) {
      if (rel === '/index.html') {
        return refuse(res, 503, `The renderer is not built (no ${file}). Run \`npm run build:renderer\` or start with \`npm run web\`.`);
      }
      return refuse(res, 404, 'Not found.');
    }
    const body = await readFile(file);
    res.statusCode = 200;
    res.setHeader('Content-Type', MIME[extname(file)] ?? 'application/octet-stream');
    // Hashed asset names never change content; the page itself must always be fresh.
    res.setHeader('Cache-Control', rel.startsWith('/assets/') ? 'private, max-age=31536000, immutable' : 'no-store');
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /**
   * `POST /api/call`: one `WireRequest` as a streamed JSON body, for requests too big for a socket
   * message. Everything that needs no body (loopback Host, Origin, token, type, declared size) is
   * checked before a byte of it is read.
   */
  async function handleCall(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Cache-Control', 'no-store');
    // Refused before the body is read: answer, then close the connection instead of reading the rest.
    const refuseUnread = (status: number, message: string) => {
      res.setHeader('Connection', 'close');
      res.once('finish', () => req.destroy());
      refuse(res, status, message);
    };
    if (!acceptableOrigin(req)) return refuseUnread(403, 'Forbidden: calls come only from the Layerloom page itself.');
    if (!sameToken(header(req, TOKEN_HEADER), token)) {
      return refuseUnread(401, `Unauthorized: send the access token from the URL printed by \`npm run web\` in the ${TOKEN_HEADER} header.`);
    }
    const type = (header(req, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return refuseUnread(415, 'Unsupported media type: send the request as application/json.');
    const tooLarge = (size: string) =>
      refuseUnread(413, `Request too large (${size}): the Layerloom host accepts at most ${megabytes(maxPostBytes)} per call. Nothing was saved; split the project or remove unused blocks.`);
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > maxPostBytes) return tooLarge(megabytes(declared));
    const body = await readBody(req, maxPostBytes);
    if (body === 'too-large') return tooLarge(`over ${megabytes(maxPostBytes)}`);
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      return refuse(res, 400, 'Bad request: the body is not valid UTF-8.');
    }
    const request = decodeRequest(text);
    if ('error' in request) return refuse(res, 400, `Bad request: ${request.error}`);
    const owner = connections.get(header(req, CONNECTION_HEADER) ?? '') ?? null;
    const reply = await respond(request, owner);
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(reply));
  }

  /**
   * `POST /api/upload?name=FILE`: a file dropped on the page, streamed into a new folder under the
   * temporary folder (never held in memory), so the page can open it by path. Refused before a
   * byte is written: a foreign Origin, no token, another content type, a name that is not a plain
   * file name with a known ending, a declared size over the limit; a body that runs past the limit
   * stops the write and removes the folder.
   */
  async function handleUpload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    res.setHeader('Cache-Control', 'no-store');
    const refuseUnread = (status: number, message: string) => {
      res.setHeader('Connection', 'close');
      res.once('finish', () => req.destroy());
      refuse(res, status, message);
    };
    if (!acceptableOrigin(req)) return refuseUnread(403, 'Forbidden: uploads come only from the Layerloom page itself.');
    if (!sameToken(header(req, TOKEN_HEADER), token)) {
      return refuseUnread(401, `Unauthorized: send the access token from the URL printed by \`npm run web\` in the ${TOKEN_HEADER} header.`);
    }
    const type = (header(req, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/octet-stream') return refuseUnread(415, 'Unsupported media type: send the file as application/octet-stream.');
    const name = url.searchParams.get('name') ?? '';
    const ending = extname(name).toLowerCase();
    if (!name || name !== basename(name) || name.includes('\\') || name.includes('\0') || name.startsWith('.') || name.length > 255 || !UPLOAD_EXTENSIONS.includes(ending)) {
      return refuseUnread(400, `Bad request: "${name}" is not a file Layerloom opens. Drop a project (.layerloom) or a model (${UPLOAD_EXTENSIONS.slice(1).join(', ')}).`);
    }
    const tooLarge = (size: string) =>
      refuseUnread(413, `${name} is too large (${size}): the Layerloom host takes at most ${megabytes(maxUploadBytes)} per file. Nothing was kept; open it from a folder the host can read instead.`);
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > maxUploadBytes) return tooLarge(megabytes(declared));
    const folder = await mkdtemp(join(options.uploadDir ?? tmpdir(), 'layerloom-drop-'));
    const path = join(folder, name);
    let size = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        done(size > maxUploadBytes ? new Error('too-large') : null, chunk);
      },
    });
    try {
      await pipeline(req, limit, createWriteStream(path, { flags: 'wx' }));
    } catch (e) {
      await rm(folder, { recursive: true, force: true });
      if ((e as Error).message === 'too-large') return tooLarge(`over ${megabytes(maxUploadBytes)}`);
      return refuse(res, 400, `Bad request: the upload of ${name} broke off (${(e as Error).message}). Nothing was kept; drop it again.`);
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify({ path }));
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_SOCKET_MESSAGE_BYTES });
  const sockets = new Set<WebSocket>();
  /** Open sockets by the connection id sent in their `hello`; POSTed calls name theirs. */
  const connections = new Map<string, WebSocket>();

  server.on('upgrade', (req, socket, head) => {
    // A client that resets mid-handshake must not take the process down.
    socket.on('error', () => socket.destroy());
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${text}\n`);
    };
    const url = requestUrl(req);
    if (!url) return reject(400, 'Bad Request');
    if (url.pathname !== '/api') return reject(404, 'Not Found');
    if (!loopbackHost(req) || !acceptableOrigin(req)) return reject(403, 'Forbidden');
    if (!sameToken(url.searchParams.get('token'), token)) return reject(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  // Recovery keys autosaved by editors that are still connected: their work is live, not lost, so
  // another tab must not offer it as crash recovery.
  const liveKeys = new Map<string, WebSocket>();

  /** Runs one request for the editor on `owner` (null: none known) and builds its response. */
  async function respond(request: WireRequest, owner: WebSocket | null): Promise<WireResponse> {
    try {
      let result = await api.dispatch(request.method, request.args);
      if (request.method === 'writeRecovery') {
        if (owner) liveKeys.set((request.args[0] as { key: string }).key, owner);
      } else if (request.method === 'listRecovery' && Array.isArray(result)) {
        result = (result as { key: string }[]).filter((e) => {
          const live = liveKeys.get(e.key);
          return !live || live === owner;
        });
      }
      return { type: 'response', id: request.id, ok: true, result: result ?? null };
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError('failed', e instanceof Error ? e.message : String(e));
      return { type: 'response', id: request.id, ok: false, error: err.toInfo() };
    }
  }

  wss.on('connection', (ws: WebSocket) => {
    const connection = randomUUID();
    sockets.add(ws);
    connections.set(connection, ws);
    // `ws` closes a socket that sends invalid UTF-8 (1007) or an oversized frame (1009), then emits
    // `error`: without this listener that would end the process. Close that socket; serve the rest.
    ws.on('error', (e: Error) => {
      log(`layerloom web: closed a connection after a protocol error: ${e.message}`);
      if (ws.readyState === ws.OPEN) ws.close(1011, 'Connection error');
    });
    ws.on('close', () => {
      sockets.delete(ws);
      connections.delete(connection);
      for (const [key, owner] of liveKeys) if (owner === ws) liveKeys.delete(key);
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(1003, 'Text messages only');
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
      const request = decodeRequest(text);
      if ('error' in request) return ws.close(1008, request.error);
      void respond(request, ws).then((reply) => send(ws, reply));
    });
    send(ws, { type: 'hello', connection });
  });

  function send(ws: WebSocket, message: WireResponse | WireEvent | WireHello): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  }

  const unsubscribe = api.onEvent((event: ApiEventName, payload: ApiEvents[ApiEventName]) => {
    const message = { type: 'event', event, payload } as WireEvent;
    for (const ws of sockets) send(ws, message);
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', fail);
      ok();
    });
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    api,
    async close() {
      unsubscribe();
      api.close();
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((ok) => wss.close(() => ok()));
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
