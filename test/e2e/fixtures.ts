/**
 * Playwright fixtures: one fresh browser host per test, with its own state folder (recent list,
 * recovery files), and the page object. A host shared between tests leaked autosaves from one test
 * into the next as "recover unsaved work" (a page's last autosave can land after cleanup).
 */
import { test as base } from '@playwright/test';
import { AppPage } from './appPage.js';
import { startHostProcess, type HostProcess } from './support/hostProcess.js';

/** Test with `host` (a running browser host) and `app` (the page object on it, opened). */
export const test = base.extend<{ app: AppPage; host: HostProcess }>({
  host: [
    async ({}, use) => {
      const host = await startHostProcess();
      try {
        await use(host);
      } finally {
        await host.stop();
      }
    },
    { timeout: 120_000 },
  ],
  app: async ({ page, host }, use, testInfo) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const app = new AppPage(page, testInfo);
    await app.open(host.url);
    await use(app);
    await page.goto('about:blank').catch(() => undefined);
    if (errors.length) throw new Error(`Uncaught errors in the page:\n${errors.join('\n')}`);
  },
});

export { expect } from '@playwright/test';
