#!/usr/bin/env node
// npm install's last step (the root `postinstall`). Electron's own install script, which downloads
// its binary, is denied in package.json's `allowScripts` (npm 11.16+): where the download fails —
// offline, behind a proxy, on a build machine — it would fail the whole `npm install`, and npm would
// roll everything back. This script tries the same download and, when it fails, prints one line and
// lets the install succeed: `npm start` then opens the browser version (scripts/start.mjs).
// ELECTRON_SKIP_BINARY_DOWNLOAD=1 skips the attempt, as it does for Electron's own script.
// `npm run electron:download` tries again later.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(process.env.LAYERLOOM_POSTINSTALL_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
const installer = join(root, 'node_modules', 'electron', 'install.js');
const TIMEOUT_MS = 10 * 60_000;

/** The line of the installer's output that says why it failed. */
function reason(output) {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const telling = lines.find((l) => /\b(E[A-Z]{3,}|Error|HTTPError|RequestError)\b/.test(l) && !l.startsWith('at '));
  return (telling ?? lines[0] ?? 'no output').slice(0, 200);
}

function main() {
  // A production install (no devDependencies) has no Electron to fetch.
  if (!existsSync(installer)) return;
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
    console.log('Layerloom: ELECTRON_SKIP_BINARY_DOWNLOAD is set, so the Electron binary was not downloaded; `npm start` opens the browser version.');
    return;
  }
  const r = spawnSync(process.execPath, [installer], { cwd: dirname(installer), encoding: 'utf8', timeout: TIMEOUT_MS, env: process.env });
  if (r.status === 0) return;
  const why = r.error ? r.error.message : r.signal ? `stopped by ${r.signal} after ${TIMEOUT_MS / 60_000} min` : reason(`${r.stderr}\n${r.stdout}`);
  console.log(`Layerloom: the Electron binary could not be downloaded (${why}); \`npm start\` opens the browser version instead. Retry later with \`npm run electron:download\`.`);
}

main();
