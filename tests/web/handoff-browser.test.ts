/**
 * Hand-off in a real headless Chromium against the real service with the offline assistant: the
 * customer asks for a person, an operator answers through the API, and the page shows the reply as it
 * arrives on the session's live feed, without a reload.
 */
import pino from 'pino';
import type { BrowserContext, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineModel } from '../../src/agent/offline/offline-model.js';
import { HANDOFF_NOTICE } from '../../src/chat/chat-service.js';
import { chromiumAvailable, type HeadlessChromium, launchChromium } from '../helpers/chromium.js';
import { type FullApp, startFullApp } from '../helpers/full-app.js';

let service: FullApp;
let chromium: HeadlessChromium;
let context: BrowserContext;
let page: Page;

const operatorPost = (path: string, body: unknown) =>
  fetch(`${service.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function send(text: string, count: number): Promise<void> {
  await page.focus('#message');
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    `document.querySelectorAll('#messages > li').length >= ${count} &&
     document.querySelector('#composer').getAttribute('aria-busy') === 'false'`,
  );
}

const lastText = (selector: string) =>
  page.$$eval(selector, (nodes) => nodes.at(-1)?.querySelector('.bubble')?.textContent ?? '');

describe.skipIf(!chromiumAvailable())('hand-off on the web chat page', () => {
  beforeAll(async () => {
    service = await startFullApp(
      { DEMO_ORDERS: 'true' },
      { listen: true, model: createOfflineModel({ logger: pino({ level: 'silent' }), wordDelayMs: 0 }) },
    );
    chromium = await launchChromium();
    context = await chromium.browser.createBrowserContext();
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(`${service.baseUrl}/`, { waitUntil: 'networkidle0' });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await service?.close();
  });

  it("hands off, shows the operator's reply live, keeps messages for the person, and gives the session back", async () => {
    await send('talk to a person', 2);
    expect(await lastText('#messages > li.msg-assistant')).toMatch(/a person from our team/i);
    // The page follows the session's live feed while a person has it.
    await page.waitForSelector('#messages[data-live="true"]');

    const waiting = (await (await fetch(`${service.baseUrl}/api/v1/handoffs`)).json()) as {
      sessions: Array<{ session_id: string }>;
    };
    const sessionId = waiting.sessions[0]!.session_id;

    const posted = await operatorPost(`/api/v1/sessions/${encodeURIComponent(sessionId)}/messages`, {
      content: 'Hello, this is Sam from support. How can I help?',
    });
    expect(posted.status).toBe(200);
    await page.waitForSelector('#messages > li.msg-operator');
    expect(await lastText('#messages > li.msg-operator')).toBe(
      'Hello, this is Sam from support. How can I help?',
    );
    expect(await page.$eval('#messages > li.msg-operator .msg-author', (n) => n.textContent)).toBe(
      'Support agent',
    );

    // While handed off: the message is stored, the agent does not answer (the notice does).
    await send('My order 1 arrived broken', 5);
    expect(await lastText('#messages > li.msg-assistant')).toBe(HANDOFF_NOTICE);
    const history = (await (
      await fetch(`${service.baseUrl}/api/v1/sessions/${encodeURIComponent(sessionId)}/history`)
    ).json()) as { status: string; messages: Array<{ role: string; content: string }> };
    expect(history.status).toBe('handoff');
    expect(history.messages.at(-1)).toMatchObject({ role: 'user', content: 'My order 1 arrived broken' });

    // Released: the page stops following, and the agent answers the next message.
    const released = await operatorPost(
      `/api/v1/sessions/${encodeURIComponent(sessionId)}/handoff/release`,
      {},
    );
    expect(released.status).toBe(200);
    await page.waitForFunction(`!document.querySelector('#messages').dataset.live`);
    await send('Where is my order 1?', 7);
    const answer = await lastText('#messages > li.msg-assistant');
    expect(answer).not.toBe(HANDOFF_NOTICE);
    expect(answer).toMatch(/order #1/i);
  });
});
