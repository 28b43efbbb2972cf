/**
 * Starts the browser host (`electron/server/main.ts`, as `npm run web` does) in its own process on a
 * free port with a throw-away state folder, and reads the tokenised URL it prints. Every test run
 * gets a fresh host: a server left over from an earlier run is never reused.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** A running host. */
export interface HostProcess {
  /** URL with the access token. */
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  /** Per-user state (recent list, recovery files) of this host. */
  readonly stateDir: string;
  /** Everything the host printed. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts a host on the test build of the renderer (out/renderer-e2e, npm run build:renderer:e2e),
 * which carries the `__layerloom` handle; `project` is opened at start.
 */
export async function startHostProcess(options: { project?: string; stateDir?: string } = {}): Promise<HostProcess> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'll-e2e-state-')));
  const ownsState = !options.stateDir;
  const args = [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'electron', 'server', 'main.ts'), '--port', '0', '--state-dir', stateDir, '--renderer-dir', join(ROOT, 'out', 'renderer-e2e')];
  if (options.project) args.push('--project', options.project);
  // HOME points into the state folder too, so runs of unsaved projects (kept under ~/.layerloom)
  // stay out of the real home folder.
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', HOME: stateDir, USERPROFILE: stateDir },
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`The browser host did not start within 90 s. Output:\n${out}`)), 90_000);
    const check = () => {
      const m = /running at (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`The browser host exited (code ${code}) before it was ready. Output:\n${out}`));
    });
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    stateDir,
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((ok) => setTimeout(ok, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (ownsState) await rm(stateDir, { recursive: true, force: true });
    },
  };
}
