/**
 * End-to-end tests of the editor in Debian's Chromium against the browser host. Each test file
 * starts its own host (see support/hostProcess.ts); there is deliberately no `webServer` entry, so a
 * stale server can never be tested by mistake. Run with `npm run test:e2e` (builds the renderer
 * first). The `screenshots` project (gallery.spec.ts, `npm run screenshots`) takes a picture of
 * every panel for looking at; it asserts only that each panel shows, so it is not part of npm test.
 */
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from './support/chromium.js';

export default defineConfig({
  testDir: '.',
  timeout: 240_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  outputDir: '../../test-results/e2e',
  reporter: [['list'], ['html', { outputFolder: '../../playwright-report', open: 'never' }]],
  projects: [
    { name: 'e2e', testMatch: '*.spec.ts', testIgnore: 'gallery.spec.ts' },
    { name: 'screenshots', testMatch: 'gallery.spec.ts' },
  ],
  use: {
    browserName: 'chromium',
    viewport: { width: 1440, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: { executablePath: findChromium(), args: [...CHROMIUM_ARGS] },
  },
});
