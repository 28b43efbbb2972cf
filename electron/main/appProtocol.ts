/**
 * The `app://layerloom/…` protocol that serves the built renderer (out/renderer) to editor windows.
 * A privileged standard scheme rather than `file://` gives the page a real origin (the IPC sender
 * check and the CSP's `'self'` mean "the app", not "any local file"), lets module scripts and
 * workers load, and lets every response carry the strict CSP as a header.
 *
 * The mapping from URL to file is a plain function, so path traversal is tested without Electron.
 */
import { extname, join, normalize, resolve, sep } from 'node:path';
import { rendererCsp } from '../server/csp.js';
import { APP_HOST, APP_SCHEME } from './security.js';

/** Privileges of the scheme (passed to `protocol.registerSchemesAsPrivileged` before `ready`). */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  corsEnabled: true,
  stream: true,
  codeCache: true,
} as const;

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** A file to serve, or why not. */
export type AppAsset = { readonly ok: true; readonly file: string; readonly contentType: string } | { readonly ok: false; readonly status: 400 | 403 | 404; readonly reason: string };

/** Maps an `app://layerloom/<path>` URL to a file inside `rendererDir`. */
export function resolveAppAsset(url: string, rendererDir: string): AppAsset {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, status: 400, reason: `Malformed URL ${url}` };
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return { ok: false, status: 403, reason: `${url} is not part of the app` };
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return { ok: false, status: 400, reason: `Malformed path in ${url}` };
  }
  if (rel.includes('\0')) return { ok: false, status: 400, reason: 'NUL in path' };
  if (rel === '' || rel === '/') rel = '/index.html';
  const root = resolve(rendererDir);
  const file = normalize(join(root, rel));
  if (file === root || !file.startsWith(root + sep)) return { ok: false, status: 404, reason: `${rel} is outside the app` };
  const contentType = MIME[extname(file).toLowerCase()];
  if (!contentType) return { ok: false, status: 404, reason: `${rel} has no known type` };
  return { ok: true, file, contentType };
}

/** Headers of every app response: the strict CSP (no remote anything, no eval) and friends. */
export function appResponseHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': rendererCsp(),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}
