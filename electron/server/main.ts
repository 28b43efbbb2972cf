/**
 * `npm run web` / `npm start` (browser mode): starts the browser host and prints the URL.
 *
 *   tsx electron/server/main.ts [--port N] [--project FILE] [--open] [--build-if-stale] [--state-dir DIR] [--examples-dir DIR] [--renderer-dir DIR]
 *
 * `--build-if-stale` rebuilds the renderer when `out/renderer` is missing or older than its sources;
 * `--open` opens the URL in the default browser when there is a desktop to open it on;
 * `--renderer-dir` serves another renderer build (the end-to-end tests use out/renderer-e2e).
 */
import { adapterStates } from './adapters.js';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { appRoot } from './hostApi.js';
import { installProcessPolicy } from './processPolicy.js';
import { startWebHost } from './webHost.js';

interface Args {
  port: number;
  project: string | null;
  open: boolean;
  buildIfStale: boolean;
  stateDir: string | null;
  examplesDir: string | null;
  rendererDir: string | null;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { port: 0, project: null, open: false, buildIfStale: false, stateDir: null, examplesDir: process.env.LAYERLOOM_EXAMPLES_DIR ?? null, rendererDir: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value.`);
      return v;
    };
    if (a === '--port') {
      const p = Number(value());
      if (!Number.isInteger(p) || p < 0 || p > 65535) throw new Error(`--port expects a port number (0 for any free port).`);
      args.port = p;
    } else if (a === '--project') args.project = value();
    else if (a === '--open') args.open = true;
    else if (a === '--build-if-stale') args.buildIfStale = true;
    else if (a === '--state-dir') args.stateDir = value();
    else if (a === '--examples-dir') args.examplesDir = value();
    else if (a === '--renderer-dir') args.rendererDir = value();
    else if (a === '--help' || a === '-h') {
      console.log('Usage: tsx electron/server/main.ts [--port N] [--project FILE] [--open] [--build-if-stale] [--state-dir DIR] [--examples-dir DIR] [--renderer-dir DIR]');
      process.exit(0);
    } else throw new Error(`Unknown option ${a}. Try --help.`);
  }
  return args;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return newest;
}

function rendererIsStale(root: string): boolean {
  const index = join(root, 'out', 'renderer', 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  return newestMtime(join(root, 'renderer')) > built || newestMtime(join(root, 'shared')) > built;
}

function openInBrowser(url: string): boolean {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url];
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return false;
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  installProcessPolicy();
  const args = parseArgs(process.argv.slice(2));
  const root = appRoot();
  if (args.buildIfStale && rendererIsStale(root)) {
    console.log('Building the renderer (out/renderer)…');
    const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
    const r = spawnSync(npx, ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) {
      console.error('The renderer build failed; see the errors above.');
      process.exit(1);
    }
  }
  if (args.project && !existsSync(args.project)) {
    console.warn(`Note: ${args.project} does not exist; starting with an empty project.`);
    args.project = null;
  }
  const host = await startWebHost({
    port: args.port,
    startupProject: args.project,
    ...(args.stateDir ? { stateDir: args.stateDir } : {}),
    ...(args.examplesDir ? { examplesDir: args.examplesDir } : {}),
    ...(args.rendererDir ? { staticDir: args.rendererDir } : {}),
  });
  const missing = adapterStates(host.api.adapters).filter((a) => !a.available);
  console.log(`Layerloom is running at ${host.url}`);
  console.log('Open that URL in a browser (it includes this launch’s access token). Press Ctrl+C to stop.');
  for (const a of missing) console.log(`  note: ${a.reason}`);
  if (args.open && !openInBrowser(host.url)) console.log('(No desktop browser to open here; copy the URL.)');
  const stop = () => {
    void host.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: Error) => {
  console.error(`layerloom web: ${e.message}`);
  process.exit(1);
});
