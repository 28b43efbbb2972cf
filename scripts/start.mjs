#!/usr/bin/env node
// `npm start`: the desktop app when Electron's binary is installed (build with electron-vite, then
// `electron .`), otherwise the browser host with a one-line explanation. Extra arguments go to the
// app (e.g. `npm start -- path/to/project.layerloom`). When the app stops on its own with a failure,
// one line says so (the host exits 70 after an internal error, electron/server/processPolicy.ts).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

/** Exit code of the browser host after an internal error (CRASH_EXIT_CODE in processPolicy.ts). */
const HOST_CRASH_EXIT_CODE = 70;

/**
 * One line about how the app ended, or null when it ended normally. `what` names it.
 * @param {number | null} code
 * @param {string | null} signal
 */
export function exitLine(code, signal, what = "Layerloom's browser host") {
  const again = 'Run `npm start` to start it again.';
  if (signal) return `${what} was stopped by ${signal}. ${again}`;
  if (code === null || code === 0) return null;
  if (code === HOST_CRASH_EXIT_CODE) return `${what} stopped after an internal error (exit code ${code}; the error is printed above). ${again}`;
  if (code > 128) return `${what} was killed (exit code ${code}, signal ${code - 128}). ${again}`;
  return `${what} exited with code ${code}; see the messages above. ${again}`;
}

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

function run(cmd, argv, what) {
  // `shell` on Windows so npx.cmd runs (Node refuses .cmd files without it).
  const child = spawn(cmd, argv, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  let stopping = false;
  const forward = (signal) => {
    stopping = true;
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => {
    // Ctrl+C or a stop request ends the app on purpose: nothing to report.
    const line = stopping ? null : exitLine(code, signal, what);
    if (line) console.error(line);
    process.exit(signal ? 1 : (code ?? 0));
  });
}

/** The project `npm start` opens when none is named: the MNIST example (a packaged app starts at its start screen). */
const DEFAULT_PROJECT = 'examples/mnist-cnn.layerloom';

function main() {
  const args = process.argv.slice(2);
  const named = args.some((a) => a.endsWith('.layerloom'));
  const electron = electronBinary();
  if (electron.path) {
    const build = spawnSync(npx, ['electron-vite', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
    if (build.status !== 0) {
      console.error('The build failed; see the errors above.');
      process.exit(build.status ?? 1);
    }
    run(electron.path, ['.', ...args, ...(named ? [] : [DEFAULT_PROJECT])], 'Layerloom');
  } else {
    console.log(`Electron is not available (${electron.reason}); starting the browser host instead (see docs/desktop.md).`);
    const project = args.find((a) => a.endsWith('.layerloom')) ?? DEFAULT_PROJECT;
    run(npx, ['tsx', 'electron/server/main.ts', '--build-if-stale', '--open', '--project', project], "Layerloom's browser host");
  }
}

// Run only as the `npm start` script, not when imported (the tests import `exitLine`).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
