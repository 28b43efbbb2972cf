/**
 * Finding and launching the desktop app for the journey: the Electron binary the `electron`
 * package downloaded (or why there is none), and a launch with a throw-away state folder.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, type ElectronApplication } from '@playwright/test';

/** The repository root (the app folder `electron .` runs). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The Electron binary, or the reason it cannot be used here. */
export function electronBinary(): { readonly path: string } | { readonly reason: string } {
  let path: unknown;
  try {
    // From Node, the package exports the path of the binary its install script downloaded.
    path = createRequire(import.meta.url)('electron');
  } catch (e) {
    return { reason: `the Electron binary is not installed (${String((e as Error).message).split('\n')[0]}); install without ELECTRON_SKIP_BINARY_DOWNLOAD to run it` };
  }
  if (typeof path !== 'string' || !existsSync(path)) return { reason: `the Electron binary is missing at ${String(path)}` };
  if (!existsSync(join(ROOT, 'out', 'main', 'electron', 'main', 'main.js'))) return { reason: 'the app is not built: run `npm run build` (or `npm run test:e2e:electron`, which builds first)' };
  return { path };
}

/**
 * Starts the app on `projectFile` with its own state folder (recent list, window state, recovery)
 * and its own Chromium profile, so a Layerloom already running on the machine (single instance)
 * neither receives this launch nor shares its storage.
 */
export function launch(executablePath: string, projectFile: string, stateDir: string): Promise<ElectronApplication> {
  return _electron.launch({
    executablePath,
    args: [ROOT, `--user-data-dir=${join(stateDir, 'chromium')}`, projectFile],
    cwd: ROOT,
    env: { ...process.env, LAYERLOOM_STATE_DIR: stateDir, ELECTRON_ENABLE_LOGGING: '1' },
    timeout: 60_000,
  });
}
