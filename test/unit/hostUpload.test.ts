/**
 * The browser host's upload of a file dropped on the page (`POST /api/upload?name=FILE`): streamed
 * into a new temporary folder and answered with its path; refused, with nothing kept, without the
 * token, from a foreign page, as another content type, under a name that is not a plain file name of
 * a kind Layerloom opens, or past the size limit (declared or while streaming).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startWebHost, type WebHost } from '../../electron/server/webHost.js';
import { API_UPLOAD_PATH, TOKEN_HEADER } from '../../shared/api/wire.js';

let dir: string;
let uploads: string;
let host: WebHost;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'll-upload-'));
  uploads = join(dir, 'uploads');
  await (await import('node:fs/promises')).mkdir(uploads);
  host = await startWebHost({ staticDir: join(dir, 'web'), stateDir: join(dir, 'state'), uploadDir: uploads, maxUploadBytes: 64 * 1024 });
});

afterAll(async () => {
  await host.close();
  await rm(dir, { recursive: true, force: true });
});

/** POSTs `body` (sent in chunks, no Content-Length unless `declare`) and returns status and text. */
function upload(name: string, body: Buffer, headers: Record<string, string> = {}, declare = false): Promise<{ status: number; text: string }> {
  return new Promise((ok, fail) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: host.port,
        method: 'POST',
        path: `${API_UPLOAD_PATH}?name=${encodeURIComponent(name)}`,
        headers: { 'Content-Type': 'application/octet-stream', [TOKEN_HEADER]: host.token, ...(declare ? { 'Content-Length': String(body.length) } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => ok({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    // A refused upload closes the connection while we still write: that is the point.
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : fail(e)));
    for (let at = 0; at < body.length; at += 8192) req.write(body.subarray(at, at + 8192));
    req.end();
  });
}

describe('browser host upload', () => {
  it('streams a dropped model into a new folder and answers its path', async () => {
    const bytes = Buffer.from(Array.from({ length: 40_000 }, (_, i) => i % 251));
    const r = await upload('my model.keras', bytes);
    expect(r.status).toBe(200);
    const { path } = JSON.parse(r.text) as { path: string };
    expect(dirname(dirname(path))).toBe(uploads);
    expect(path.endsWith('my model.keras')).toBe(true);
    expect(Buffer.compare(await readFile(path), bytes)).toBe(0);
  });

  it('refuses, keeping nothing: no token, a foreign page, another type, a bad name, too large', async () => {
    const before = await readdir(uploads);
    const small = Buffer.from('{}');
    expect((await upload('a.keras', small, { [TOKEN_HEADER]: 'wrong' })).status).toBe(401);
    expect((await upload('a.keras', small, { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await upload('a.keras', small, { 'Content-Type': 'text/plain' })).status).toBe(415);
    for (const name of ['../a.keras', 'a/b.keras', 'notes.txt', '.keras', '']) {
      const r = await upload(name, small);
      expect([name, r.status]).toEqual([name, 400]);
    }
    expect((await upload('run.sh', small)).text).toMatch(/not a file Layerloom opens.*\.layerloom/);
    const big = Buffer.alloc(100 * 1024, 1);
    const declared = await upload('big.h5', big, {}, true);
    expect(declared.status).toBe(413);
    expect(declared.text).toMatch(/big\.h5 is too large/);
    // Without a declared size the limit stops the write part way, and the folder goes.
    expect((await upload('big.h5', big)).status).toBe(413);
    expect(await readdir(uploads)).toEqual(before);
  });
});
