#!/usr/bin/env node
// `npm start`: the desktop app when Electron's binary is installed (build with electron-vite, then
// `electron .`), otherwise the browser host with a one-line explanation. Extra arguments go to the
// app (e.g. `npm start -- path/to/project.layerloom`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

/** The Electron binary's path, or why there is none. */
function electronBinary() {
  try {
    // From plain Node, the `electron` package exports the path of the binary it downloaded.
    const path = require('electron');
    if (typeof path === 'string' && existsSync(path)) return { path };
    return { reason: `the Electron binary is missing (${path})` };
  } catch (e) {
    return { reason: String(e.message).split('\n')[0] };
  }
}

function run(cmd, argv) {
  // `shell` on Windows so npx.cmd runs (Node refuses .cmd files without it).
  const child = spawn(cmd, argv, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
}

const electron = electronBinary();
if (electron.path) {
  const build = spawnSync(npx, ['electron-vite', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (build.status !== 0) {
    console.error('The build failed; see the errors above.');
    process.exit(build.status ?? 1);
  }
  run(electron.path, ['.', ...args]);
} else {
  console.log(`Electron is not available (${electron.reason}); starting the browser host instead (see docs/desktop.md).`);
  const project = args.find((a) => a.endsWith('.layerloom')) ?? 'examples/mnist-cnn.layerloom';
  run(npx, ['tsx', 'electron/server/main.ts', '--build-if-stale', '--open', '--project', project]);
}
