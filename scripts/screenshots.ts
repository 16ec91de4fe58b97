/**
 * Screenshots of the web chat page, for reviewing how it looks: desktop and a 360 px phone, light and
 * dark, the empty page, a conversation with tool activity, the settings and the API-key prompt.
 *
 *   npx tsx scripts/screenshots.ts [output folder]     (default ./screenshots, git-ignored)
 *
 * Starts the service in-process on loopback (offline assistant, demo orders, temp database) and a
 * headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium); needs no network.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { chromiumAvailable, launchChromium } from '../tests/helpers/chromium.js';
import { startFullApp } from '../tests/helpers/full-app.js';

const outDir = path.resolve(process.argv[2] ?? 'screenshots');

const VIEWPORTS = {
  desktop: { width: 1280, height: 820, deviceScaleFactor: 1 },
  mobile: { width: 360, height: 740, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
} as const;
type ViewportName = keyof typeof VIEWPORTS;
type Scheme = 'light' | 'dark';

async function openPage(browser: Browser, baseUrl: string, viewport: ViewportName, scheme: Scheme) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport(VIEWPORTS[viewport]);
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
  await page.goto(`${baseUrl}/`, { waitUntil: 'networkidle0' });
  return { page, close: () => context.close() };
}

/** Types a message like a user and waits until the answer is complete. */
async function ask(page: Page, text: string): Promise<void> {
  const before = await page.$$eval('#messages > li', (items) => items.length);
  await page.type('#message', text);
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    `document.querySelectorAll('#messages > li').length >= ${before + 2} &&
     document.querySelector('#composer').getAttribute('aria-busy') === 'false'`,
    { timeout: 30_000 },
  );
}

async function shoot(page: Page, name: string): Promise<void> {
  const file = path.join(outDir, `${name}.png`);
  await page.screenshot({ path: file as `${string}.png` });
  console.log(file);
}

async function main(): Promise<void> {
  if (!chromiumAvailable()) throw new Error('Chromium not found: install it or set CHROMIUM_PATH');
  mkdirSync(outDir, { recursive: true });
  const open = await startFullApp({ LLM_PROVIDER: 'offline', DEMO_ORDERS: 'true' }, { listen: true });
  const keyed = await startFullApp(
    { LLM_PROVIDER: 'offline', DEMO_ORDERS: 'true', API_KEYS: 'screenshot-key-0001:default' },
    { listen: true },
  );
  const chromium = await launchChromium();
  try {
    for (const viewport of Object.keys(VIEWPORTS) as ViewportName[]) {
      for (const scheme of ['light', 'dark'] as const) {
        const tag = `${viewport}-${scheme}`;
        const empty = await openPage(chromium.browser, open.baseUrl, viewport, scheme);
        await shoot(empty.page, `${tag}-welcome`);
        await ask(empty.page, 'Where is my order 1?');
        await ask(empty.page, 'Cancel order 2 because I ordered it twice');
        await shoot(empty.page, `${tag}-conversation`);
        await empty.page.click('#settings summary');
        await empty.page.waitForSelector('#settings[open] #tenant');
        await shoot(empty.page, `${tag}-settings`);
        await empty.close();

        const locked = await openPage(chromium.browser, keyed.baseUrl, viewport, scheme);
        await locked.page.type('#message', 'Where is my order 1?');
        await locked.page.keyboard.press('Enter');
        await locked.page.waitForSelector('#api-key-panel:not([hidden])');
        await shoot(locked.page, `${tag}-api-key`);
        await locked.close();
      }
    }
  } finally {
    await chromium.close();
    await keyed.close();
    await open.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
