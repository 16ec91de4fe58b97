import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/** Debian's package (what CI installs); CHROMIUM_PATH points elsewhere on other systems. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumAvailable = (): boolean => existsSync(CHROMIUM_PATH);

export interface HeadlessChromium {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * A real headless Chromium with a throw-away profile, kept off the network: no background updates,
 * sync or component downloads, so a test only ever talks to the loopback servers it started.
 */
export async function launchChromium(): Promise<HeadlessChromium> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    pipe: true,
    userDataDir: profile,
    protocolTimeout: 60_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface PageProblems {
  /** console.error / console.warn messages and uncaught exceptions. */
  console: string[];
  /** Content-Security-Policy violations reported by the page. */
  csp: string[];
}

/**
 * Records what a user would see in the developer console: errors, warnings, uncaught exceptions and
 * CSP violations (collected by a listener installed before any page script runs).
 */
export async function watchProblems(page: Page): Promise<PageProblems> {
  const problems: PageProblems = { console: [], csp: [] };
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warn') problems.console.push(message.text());
  });
  page.on('pageerror', (error) => {
    problems.console.push(`uncaught: ${error instanceof Error ? error.message : String(error)}`);
  });
  await page.exposeFunction('__reportCspViolation', (text: string) => {
    problems.csp.push(text);
  });
  // A string, not a function: this code runs in the page, and these files compile without the DOM types.
  await page.evaluateOnNewDocument(`
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__reportCspViolation(event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline'));
    });
  `);
  return problems;
}
