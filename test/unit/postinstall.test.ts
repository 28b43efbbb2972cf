/**
 * `npm install` succeeds where Electron's binary cannot be downloaded: package.json denies
 * Electron's own install script (npm's `allowScripts`) and the root postinstall
 * (scripts/postinstall.mjs) runs the same installer, turning a failure into a one-line notice. The
 * installer here is a stand-in written into a temp folder (this machine cannot reach the download
 * host at all; `.ci/run` exercises the real failure with a plain `npm install`).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const script = join(repo, 'scripts', 'postinstall.mjs');

/** Runs the postinstall against a folder whose electron/install.js runs `body`. */
function postinstall(body: string | null, env: Record<string, string> = {}): { status: number | null; out: string; ran: boolean } {
  const root = mkdtempSync(join(tmpdir(), 'll-postinstall-'));
  try {
    if (body !== null) {
      mkdirSync(join(root, 'node_modules', 'electron'), { recursive: true });
      writeFileSync(join(root, 'node_modules', 'electron', 'install.js'), `require('fs').writeFileSync(${JSON.stringify(join(root, 'ran'))}, '');\n${body}`);
    }
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'ELECTRON_SKIP_BINARY_DOWNLOAD'));
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...clean, LAYERLOOM_POSTINSTALL_ROOT: root, ...env }, timeout: 30_000 });
    return { status: r.status, out: (r.stdout + r.stderr).trim(), ran: existsSync(join(root, 'ran')) };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('npm install without a reachable Electron download', () => {
  it('a failed download is one line naming the cause, and the install goes on (exit 0)', () => {
    const r = postinstall(`console.error('RequestError: getaddrinfo ENOTFOUND github.com\\n    at ClientRequest.<anonymous> (got/index.js:1:1)'); process.exit(1);`);
    expect(r.ran).toBe(true);
    expect(r.status).toBe(0);
    expect(r.out.split('\n')).toHaveLength(1);
    expect(r.out).toContain('could not be downloaded (RequestError: getaddrinfo ENOTFOUND github.com)');
    expect(r.out).toContain('npm start` opens the browser version');
  });

  it('a download that works says nothing', () => {
    const r = postinstall('process.exit(0);');
    expect([r.ran, r.status, r.out]).toEqual([true, 0, '']);
  });

  it('ELECTRON_SKIP_BINARY_DOWNLOAD skips the attempt, with a notice', () => {
    const r = postinstall('process.exit(1);', { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
    expect([r.ran, r.status]).toEqual([false, 0]);
    expect(r.out).toContain('ELECTRON_SKIP_BINARY_DOWNLOAD');
  });

  it('an install without devDependencies (no electron package) does nothing', () => {
    expect(postinstall(null)).toEqual({ status: 0, out: '', ran: false });
  });

  it("package.json denies Electron's own script and decides on every dependency that has one", () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { allowScripts: Record<string, boolean>; scripts: Record<string, string> };
    const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    expect(pkg.allowScripts.electron).toBe(false);
    expect(pkg.scripts.postinstall).toBe('node scripts/postinstall.mjs');
    const withScripts = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && p.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts.filter((name) => !(name in pkg.allowScripts))).toEqual([]);
  });
});
