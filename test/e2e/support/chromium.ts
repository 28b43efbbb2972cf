/**
 * Finds the system Chromium (Debian's `chromium` package) on PATH; Playwright's own browser
 * download is not used. `LAYERLOOM_CHROMIUM` overrides the search.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Flags that keep headless Chromium quiet and offline. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The Chromium executable, or a clear error naming the fix. */
export function findChromium(): string {
  const override = process.env.LAYERLOOM_CHROMIUM;
  if (override) return override;
  const names = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of names) {
      const p = join(dir, name);
      try {
        accessSync(p, constants.X_OK);
        return p;
      } catch {
        // not here
      }
    }
  }
  throw new Error('No Chromium found on PATH. Install it (Debian: `apt-get install -y chromium`) or set LAYERLOOM_CHROMIUM to its path.');
}
