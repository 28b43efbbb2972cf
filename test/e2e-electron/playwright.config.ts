/**
 * The desktop journey in the real Electron (Playwright's `_electron`), against the built app in
 * out/. Run with `npm run test:e2e:electron` (builds first). Where Electron's binary is not
 * installed (ELECTRON_SKIP_BINARY_DOWNLOAD, or an offline install) the test is skipped and says why.
 * On Linux without a display, run it under `xvfb-run`.
 */
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  timeout: 180_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  outputDir: '../../test-results/e2e-electron',
  reporter: [['list']],
});
