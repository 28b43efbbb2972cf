/**
 * The renderer's Content-Security-Policy, shared by the browser host (HTTP header) and the Electron
 * shell (response header / meta). Scripts, workers and fonts only from the app itself; no eval, no
 * remote code. `style-src 'unsafe-inline'` is needed by React Flow and Monaco, which set element
 * styles at run time; it cannot run script.
 */

/** Builds the policy; `connect` lists extra `connect-src` sources (the browser host's WebSocket). */
export function rendererCsp(connect: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self' ${connect.join(' ')}`.trim(),
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
