/**
 * Playwright fixtures: one fresh browser host per test file (worker), and the page object.
 */
import { test as base } from '@playwright/test';
import { AppPage } from './appPage.js';
import { discardAllRecovery, startHostProcess, type HostProcess } from './support/hostProcess.js';

/** Test with `host` (a running browser host) and `app` (the page object on it, opened). */
export const test = base.extend<{ app: AppPage }, { host: HostProcess }>({
  host: [
    async ({}, use) => {
      const host = await startHostProcess();
      try {
        await use(host);
      } finally {
        await host.stop();
      }
    },
    { scope: 'worker', timeout: 120_000 },
  ],
  app: async ({ page, host }, use, testInfo) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const app = new AppPage(page, testInfo);
    await app.open(host.url);
    await use(app);
    // Tests share the host: leave no autosave behind, or the next test would be offered it as
    // crash recovery. Leave the page first so no autosave timer can write after the cleanup.
    await page.goto('about:blank').catch(() => undefined);
    await discardAllRecovery(host);
    if (errors.length) throw new Error(`Uncaught errors in the page:\n${errors.join('\n')}`);
  },
});

export { expect } from '@playwright/test';
