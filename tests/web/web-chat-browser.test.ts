/**
 * The web chat page in a real headless Chromium against the real service on loopback: the model is
 * the fake OpenAI-compatible server (scripted, streamed with a pause between chunks), so what the
 * page shows while the stream is still open is deterministic.
 */
import type { BrowserContext, HTTPRequest, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  chromiumAvailable,
  type HeadlessChromium,
  launchChromium,
  type PageProblems,
  watchProblems,
} from '../helpers/chromium.js';
import { type FakeOpenAI, startFakeOpenAI, step } from '../helpers/fake-openai-server.js';
import { type FullApp, startFullApp } from '../helpers/full-app.js';

const API_KEY = 'browser-test-key-0001';
const ANSWER = 'Order 1 has shipped and should arrive tomorrow. <b>Thanks</b> for waiting!';

let fake: FakeOpenAI;
let open: FullApp;
let keyed: FullApp;
let chromium: HeadlessChromium;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  const modelEnv = {
    LLM_PROVIDER: 'openai',
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_API_KEY: 'sk-test',
    LLM_MAX_RETRIES: '0',
    DEMO_ORDERS: 'true',
    // The page's rendering is under test here, not whose orders a tool may show.
    ORDER_ACCESS: 'tenant',
  };
  open = await startFullApp(modelEnv, { listen: true });
  keyed = await startFullApp({ ...modelEnv, API_KEYS: `${API_KEY}:default` }, { listen: true });
  chromium = await launchChromium();
}, 60_000);

afterAll(async () => {
  await chromium?.close();
  await keyed?.close();
  await open?.close();
  await fake?.close();
});

interface OpenedPage {
  context: BrowserContext;
  page: Page;
  problems: PageProblems;
  cspHeader: string | undefined;
}

async function openChat(baseUrl: string, scheme: 'light' | 'dark' = 'light'): Promise<OpenedPage> {
  const context = await chromium.browser.createBrowserContext();
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await page.setViewport({ width: 1100, height: 800 });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
  const problems = await watchProblems(page);
  const response = await page.goto(`${baseUrl}/`, { waitUntil: 'networkidle0' });
  return { context, page, problems, cspHeader: response?.headers()['content-security-policy'] };
}

/** Console errors other than the failed requests a test provoked on purpose (e.g. a 401). */
function unexpectedConsole(problems: PageProblems, expectedStatuses: number[] = []): string[] {
  return problems.console.filter(
    (text) => !expectedStatuses.some((status) => text.includes(`status of ${status}`)),
  );
}

/** Resolves once the page has finished a turn (the composer is idle again) with `count` messages. */
async function waitForIdle(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    `document.querySelectorAll('#messages > li').length >= ${count} &&
     document.querySelector('#composer').getAttribute('aria-busy') === 'false'`,
  );
}

const texts = (page: Page, selector: string) =>
  page.$$eval(selector, (nodes) => nodes.map((node) => node.textContent ?? ''));

/**
 * Records, from inside the page, every state of the newest answer while the DOM changes: its text,
 * its tool chips and whether the composer was still busy (the stream still open).
 */
const RECORDER = `
  window.__snapshots = [];
  window.__chipChanges = [];
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === 'attributes' && record.attributeName === 'class' &&
          record.target.classList.contains('tool')) {
        window.__chipChanges.push(record.oldValue + ' -> ' + record.target.className);
      }
    }
    const answer = document.querySelector('#messages > li.msg-assistant:last-child');
    if (!answer) return;
    window.__snapshots.push({
      text: answer.querySelector('.bubble').textContent,
      chips: Array.from(answer.querySelectorAll('.tool'), (chip) => chip.className + '|' + chip.textContent),
      busy: document.querySelector('#composer').getAttribute('aria-busy') === 'true',
    });
  }).observe(document.querySelector('#messages'), {
    subtree: true, childList: true, characterData: true, attributes: true, attributeOldValue: true,
  });
`;

interface Snapshot {
  text: string;
  chips: string[];
  busy: boolean;
}

describe.skipIf(!chromiumAvailable())('web chat page in Chromium', () => {
  describe('a conversation', () => {
    let chat: OpenedPage;
    let sessionId: string;

    beforeAll(async () => {
      chat = await openChat(open.baseUrl);
    });
    afterAll(async () => {
      await chat?.context.close();
    });

    it('sends with Enter (Shift+Enter is a new line), shows the tool chip and the tokens while the stream is open', async () => {
      const { page } = chat;
      expect(chat.cspHeader).toContain("default-src 'self'");
      expect(await page.$eval('#welcome', (node) => (node as unknown as { hidden: boolean }).hidden)).toBe(
        false,
      );

      fake.script(
        step.toolCalls([{ name: 'get_order', arguments: { order_id: 1 } }]),
        step.text(ANSWER, { chunkSize: 6, delayMs: 40 }),
      );
      await page.evaluate(RECORDER);
      await page.focus('#message');
      await page.keyboard.type('Where is');
      await page.keyboard.down('Shift');
      await page.keyboard.press('Enter');
      await page.keyboard.up('Shift');
      await page.keyboard.type('my order 1?');
      expect(await page.$$eval('#messages > li', (items) => items.length)).toBe(0);
      await page.keyboard.press('Enter');
      await waitForIdle(page, 2);

      expect(await texts(page, '#messages > li.msg-user .bubble')).toEqual(['Where is\nmy order 1?']);
      // The model's text is shown as text: the markup in it is not turned into elements.
      expect(await texts(page, '#messages > li.msg-assistant .bubble')).toEqual([ANSWER]);
      expect(await page.$$('#messages .bubble b')).toHaveLength(0);
      expect(await texts(page, '#messages .tool.tool-ok')).toEqual(['Looked up order 1']);
      expect(fake.requests[0]?.body.messages?.at(-1)?.content).toBe('Where is\nmy order 1?');
      // The finished answer offers a rating of its turn.
      expect(
        await page.$$eval('#messages > li.msg-assistant .feedback', (nodes) =>
          nodes.map((node) => /^[0-9a-f-]{36}$/.test(node.getAttribute('data-turn-id') ?? '')),
        ),
      ).toEqual([true]);

      const snapshots = (await page.evaluate('window.__snapshots')) as Snapshot[];
      const chipChanges = (await page.evaluate('window.__chipChanges')) as string[];
      // The chip said what was happening while the tool ran, then turned into its result.
      expect(chipChanges).toContain('tool tool-running -> tool tool-ok');
      expect(
        snapshots.some((s) => s.busy && s.text === '' && s.chips.some((c) => c.startsWith('tool tool-'))),
      ).toBe(true);
      // Tokens arrived one by one while the stream was still open: several growing partial answers.
      const partial = new Set(
        snapshots
          .filter((s) => s.busy && s.text.length > 0 && s.text.length < ANSWER.length)
          .map((s) => s.text),
      );
      expect(partial.size).toBeGreaterThanOrEqual(2);
      for (const text of partial) expect(ANSWER.startsWith(text)).toBe(true);

      // The answer is announced to screen readers once complete, and the focus stays in the composer.
      await page.waitForFunction(
        `document.querySelector('#announcer').textContent.includes('arrive tomorrow')`,
      );
      expect(await page.$eval('#announcer', (node) => node.getAttribute('aria-live'))).toBe('polite');
      expect(await page.evaluate('document.activeElement.id')).toBe('message');

      sessionId = (await page.evaluate(`localStorage.getItem('msev-chat:session:default')`)) as string;
      expect(sessionId).toMatch(/^web-[0-9a-f]{32}$/);
    });

    it('shows the conversation again after a reload, from the server history', async () => {
      const { page } = chat;
      await page.reload({ waitUntil: 'networkidle0' });
      await page.waitForFunction(`document.querySelectorAll('#messages > li').length === 2`);
      expect(await texts(page, '#messages > li.msg-user .bubble')).toEqual(['Where is\nmy order 1?']);
      expect(await texts(page, '#messages > li.msg-assistant .bubble')).toEqual([ANSWER]);
      expect(await texts(page, '#messages .tool.tool-ok')).toEqual(['Looked up order 1']);
      expect(await page.evaluate(`localStorage.getItem('msev-chat:session:default')`)).toBe(sessionId);
      const stored = await open.runtime.deps.sessions.get({ tenantId: 'default', sessionId });
      expect(stored?.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    });

    it('rates the answer with a keyboard-reachable thumbs control, says thanks, and the rating is stored', async () => {
      const { page } = chat;
      const control = '#messages > li.msg-assistant:last-child .feedback';
      // After the reload the answer comes from the history, which names its turn.
      const turnId = await page.$eval(control, (node) => node.getAttribute('data-turn-id') ?? '');
      const stored = await open.runtime.deps.sessions.get({ tenantId: 'default', sessionId });
      expect(turnId).toBe(stored?.messages.at(-1)?.turn_id);
      expect(await page.$eval(`${control}`, (node) => node.getAttribute('role'))).toBe('group');
      expect(
        await page.$$eval(`${control} button`, (nodes) => nodes.map((n) => n.getAttribute('aria-label'))),
      ).toEqual(['Helpful', 'Not helpful']);

      await page.click(`${control} button[data-rating="5"]`);
      await page.waitForFunction(
        `document.querySelector('${control} [role="status"]').textContent.includes('Thanks')`,
      );
      expect(
        await page.$eval(`${control} button[data-rating="5"]`, (n) => n.getAttribute('aria-pressed')),
      ).toBe('true');
      const listed = async () => {
        const res = await fetch(`${open.baseUrl}/api/v1/feedback?session_id=${sessionId}`);
        expect(res.status).toBe(200);
        return ((await res.json()) as { items: Array<{ turn_id: string; rating: number }> }).items;
      };
      expect(await listed()).toEqual([expect.objectContaining({ turn_id: turnId, rating: 5 })]);

      // From the keyboard: Tab reaches the other thumb from the first, Enter changes the rating.
      await page.focus(`${control} button[data-rating="5"]`);
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement.dataset.rating')).toBe('1');
      await page.keyboard.press('Enter');
      await page.waitForFunction(
        `document.querySelector('${control} button[data-rating="1"]').getAttribute('aria-pressed') === 'true'`,
      );
      expect(
        await page.$eval(`${control} button[data-rating="5"]`, (n) => n.getAttribute('aria-pressed')),
      ).toBe('false');
      // Latest wins: still one rating for the answer.
      expect(await listed()).toEqual([expect.objectContaining({ turn_id: turnId, rating: 1 })]);
    });

    it('shows an error event and a JSON error envelope readably', async () => {
      const { page } = chat;
      // A provider failure before the first token is an ordinary JSON error (502 LLM_ERROR).
      fake.script(step.error(500));
      await page.type('#message', 'Is anyone there?');
      await page.keyboard.press('Enter');
      await waitForIdle(page, 4);
      expect(await texts(page, '#messages > li:last-child .notice-error .notice-text')).toEqual([
        'The language model provider failed. Please try again.',
      ]);
      expect(await page.$eval('#messages > li:last-child .notice-error', (n) => n.getAttribute('role'))).toBe(
        'alert',
      );

      // "Try again" resends the same message; this time the stream starts, then fails: an `error` event.
      fake.script(step.streamError('Let me check that', 'upstream exploded'));
      await page.click('#messages > li:last-child .notice-action');
      await page.waitForFunction(
        `document.querySelector('#messages > li:last-child .notice-error') !== null &&
         document.querySelector('#composer').getAttribute('aria-busy') === 'false'`,
      );
      expect(await texts(page, '#messages > li.msg-user .bubble')).toEqual([
        'Where is\nmy order 1?',
        'Is anyone there?',
      ]);
      expect(await texts(page, '#messages > li:last-child .bubble')).toEqual(['Let me check that']);
      const notice = await texts(page, '#messages > li:last-child .notice-error .notice-text');
      expect(notice).toHaveLength(1);
      expect(notice[0]).toMatch(/\S/);
      expect(notice[0]).not.toContain('upstream exploded');
    });

    it('starts a new conversation with the button, under a new session id', async () => {
      const { page } = chat;
      await page.click('#new-conversation');
      expect(await page.$$('#messages > li')).toHaveLength(0);
      expect(await page.$eval('#welcome', (node) => (node as unknown as { hidden: boolean }).hidden)).toBe(
        false,
      );
      expect(await page.evaluate('document.activeElement.id')).toBe('message');
      fake.script(step.text('Hello! How can I help?', { delayMs: 5 }));
      await page.click('.suggestion');
      await waitForIdle(page, 2);
      const next = (await page.evaluate(`localStorage.getItem('msev-chat:session:default')`)) as string;
      expect(next).toMatch(/^web-[0-9a-f]{32}$/);
      expect(next).not.toBe(sessionId);
      await page.reload({ waitUntil: 'networkidle0' });
      await page.waitForFunction(`document.querySelectorAll('#messages > li').length === 2`);
      expect(await texts(page, '#messages > li.msg-assistant .bubble')).toEqual(['Hello! How can I help?']);
    });

    it('stops an answer with the Stop button, which ends the model call on the server', async () => {
      const { page } = chat;
      fake.script(step.hang());
      const before = fake.requests.length;
      await page.type('#message', 'Take your time');
      await page.keyboard.press('Enter');
      await fake.waitForRequests(before + 1);
      expect(await page.$eval('#send', (n) => n.getAttribute('aria-label'))).toBe('Stop the answer');
      await page.click('#send');
      await waitForIdle(page, 4);
      expect(await texts(page, '#messages > li:last-child .notice-text')).toEqual([
        'You stopped this answer.',
      ]);
      expect((await fake.waitForClientGone(before)).clientWentAway).toBe(true);
      expect(await page.$eval('#send', (n) => n.getAttribute('aria-label'))).toBe('Send');
      expect(await page.evaluate('document.activeElement.id')).toBe('message');
    });

    it('raised no console error and no CSP violation', () => {
      expect(chat.problems.csp).toEqual([]);
      // The provider failure above is a 502 the page asked for and showed.
      expect(unexpectedConsole(chat.problems, [502])).toEqual([]);
      expect(fake.problems).toEqual([]);
    });
  });

  it('asks for an API key on 401, keeps it for the tab, sends it as X-API-Key and keeps the message', async () => {
    const chat = await openChat(keyed.baseUrl);
    const { page } = chat;
    try {
      const keyHeaders: Array<string | undefined> = [];
      page.on('request', (request: HTTPRequest) => {
        if (request.url().includes('/api/v1/chat/stream')) keyHeaders.push(request.headers()['x-api-key']);
      });
      expect(await page.$eval('#api-key-panel', (n) => (n as unknown as { hidden: boolean }).hidden)).toBe(
        true,
      );
      await page.type('#message', 'Where is my order 1?');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#api-key-panel:not([hidden])');
      // Nothing was sent: the message is back in the box, and the focus is on the key field.
      expect(await page.$$('#messages > li')).toHaveLength(0);
      expect(await page.$eval('#message', (n) => (n as unknown as { value: string }).value)).toBe(
        'Where is my order 1?',
      );
      expect(await page.evaluate('document.activeElement.id')).toBe('api-key');

      await page.type('#api-key', 'not-the-right-key');
      await page.keyboard.press('Enter');
      await page.waitForFunction(
        `document.querySelector('#api-key-text').textContent.includes('not accepted')`,
      );
      expect(await page.$$('#messages > li')).toHaveLength(0);

      fake.script(step.text('Order 1 has shipped.', { delayMs: 5 }));
      await page.type('#api-key', API_KEY);
      await page.keyboard.press('Enter');
      await waitForIdle(page, 2);
      expect(await page.$eval('#api-key-panel', (n) => (n as unknown as { hidden: boolean }).hidden)).toBe(
        true,
      );
      expect(await texts(page, '#messages > li.msg-user .bubble')).toEqual(['Where is my order 1?']);
      expect(await texts(page, '#messages > li.msg-assistant .bubble')).toEqual(['Order 1 has shipped.']);
      expect(keyHeaders).toEqual([undefined, 'not-the-right-key', API_KEY]);
      expect(await page.evaluate(`sessionStorage.getItem('msev-chat:api-key')`)).toBe(API_KEY);
      expect(await page.evaluate(`localStorage.getItem('msev-chat:api-key')`)).toBeNull();

      // A reload in the same tab loads the history with the kept key.
      await page.reload({ waitUntil: 'networkidle0' });
      await page.waitForFunction(`document.querySelectorAll('#messages > li').length === 2`);
      expect(chat.problems.csp).toEqual([]);
      expect(unexpectedConsole(chat.problems, [401])).toEqual([]);
    } finally {
      await chat.context.close();
    }
  });

  it('says so when the connection drops mid-answer, and reloads what the server kept', async () => {
    const chat = await openChat(open.baseUrl);
    const { page } = chat;
    try {
      const text = 'This answer is going to be cut off somewhere in the middle of it. '.repeat(3);
      fake.script(step.text(text, { chunkSize: 4, delayMs: 100 }));
      const before = fake.requests.length;
      await page.type('#message', 'Tell me a long story');
      await page.keyboard.press('Enter');
      await page.waitForFunction(
        `(document.querySelector('#messages > li.msg-assistant .bubble')?.textContent ?? '').length > 8`,
      );
      // The network between browser and server breaks: every open connection is cut.
      open.app.server.closeAllConnections();
      await page.waitForSelector('#messages > li:last-child .notice-error');
      expect(await texts(page, '#messages > li:last-child .notice-text')).toEqual([
        'The connection was lost before the answer was complete.',
      ]);
      // The server aborted the model call and kept the partial answer, marked interrupted.
      await fake.waitForClientGone(before);
      const sessionId = (await page.evaluate(`localStorage.getItem('msev-chat:session:default')`)) as string;
      await vi.waitFor(async () => {
        const stored = await open.runtime.deps.sessions.get({ tenantId: 'default', sessionId });
        expect(stored?.messages.at(-1)?.interrupted).toBe(true);
      });
      await page.click('#messages > li:last-child .notice-action');
      await page.waitForSelector('#messages > li.msg-assistant .notice-info');
      expect(await texts(page, '#messages > li.msg-user .bubble')).toEqual(['Tell me a long story']);
      expect(await texts(page, '#messages > li.msg-assistant .notice-text')).toEqual([
        'This answer was cut short.',
      ]);
      const kept = (await texts(page, '#messages > li.msg-assistant .bubble'))[0] ?? '';
      expect(text.startsWith(kept)).toBe(true);
      expect(chat.problems.csp).toEqual([]);
    } finally {
      await chat.context.close();
    }
  });

  it('sends the tenant chosen in the settings and keeps one conversation per tenant', async () => {
    const chat = await openChat(open.baseUrl);
    const { page } = chat;
    try {
      await page.click('#settings summary');
      // Opening the disclosure moves the focus into it (on its toggle event).
      await page.waitForFunction(`document.activeElement.id === 'tenant'`);
      await page.type('#tenant', 'acme');
      await page.keyboard.press('Enter');
      fake.script(step.text('Hello from acme support.', { delayMs: 5 }));
      await page.type('#message', 'Hi');
      await page.keyboard.press('Enter');
      await waitForIdle(page, 2);
      const sessionId = (await page.evaluate(`localStorage.getItem('msev-chat:session:acme')`)) as string;
      expect(await open.runtime.deps.sessions.get({ tenantId: 'acme', sessionId })).toBeDefined();
      expect(await open.runtime.deps.sessions.get({ tenantId: 'default', sessionId })).toBeUndefined();
      expect(chat.problems.csp).toEqual([]);
      expect(unexpectedConsole(chat.problems)).toEqual([]);
    } finally {
      await chat.context.close();
    }
  });

  it('fits a 360 px wide phone without sideways scrolling, and stills its animations on request', async () => {
    const chat = await openChat(open.baseUrl);
    const { page } = chat;
    try {
      await page.setViewport({ width: 360, height: 740, isMobile: true, hasTouch: true });
      fake.script(
        step.text('A long answer that has to wrap nicely on a narrow phone screen. '.repeat(4), {
          delayMs: 5,
        }),
      );
      await page.type('#message', 'Tell me everything about my order number 1 please');
      await page.keyboard.press('Enter');
      await waitForIdle(page, 2);
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
      const box = await page.$eval('#send', (n) => {
        const r = n.getBoundingClientRect();
        return { right: r.right, bottom: r.bottom };
      });
      expect(box.right).toBeLessThanOrEqual(360);
      expect(box.bottom).toBeLessThanOrEqual(740);

      const animation = `(() => {
        const dots = document.createElement('span');
        dots.className = 'typing';
        dots.append(document.createElement('span'));
        document.body.append(dots);
        const name = getComputedStyle(dots.firstChild).animationName;
        dots.remove();
        return name;
      })()`;
      expect(await page.evaluate(animation)).toBe('typing');
      await page.emulateMediaFeatures([{ name: 'prefers-reduced-motion', value: 'reduce' }]);
      expect(await page.evaluate(animation)).toBe('none');
      expect(unexpectedConsole(chat.problems)).toEqual([]);
    } finally {
      await chat.context.close();
    }
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`keeps text contrast at 4.5:1 or more (${scheme} scheme)`, async () => {
      const chat = await openChat(open.baseUrl, scheme);
      const { page } = chat;
      try {
        fake.script(
          step.toolCalls([
            { name: 'get_order', arguments: { order_id: 2 } },
            { name: 'get_order', arguments: { order_id: 999 } },
          ]),
          step.text('Order 2 is pending; there is no order 999.', { delayMs: 5 }),
        );
        await page.type('#message', 'And order 2?');
        await page.keyboard.press('Enter');
        await waitForIdle(page, 2);
        const ratios = (await page.evaluate(CONTRAST)) as Array<{ selector: string; ratio: number }>;
        expect(ratios.map((r) => r.selector)).toEqual(
          expect.arrayContaining(['.tool-error', '.feedback-prompt']),
        );
        const low = ratios.filter((r) => r.ratio < 4.5);
        expect(low).toEqual([]);
      } finally {
        await chat.context.close();
      }
    });
  }
});

/** WCAG contrast of the text of each element against the first opaque background behind it. */
const CONTRAST = `(() => {
  const selectors = ['.brand-title', '.brand-subtitle', '#new-conversation', '.msg-user .bubble',
    '.msg-assistant .bubble', '.msg-author', '.msg-time', '.tool-ok', '.tool-error', '.composer-hint', '#message',
    '.btn-send', '.feedback-prompt', '.feedback-btn'];
  const parse = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (node) => {
    for (let n = node; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c.length < 4 || c[3] === 1) return c;
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const selector of selectors) {
    const node = document.querySelector(selector);
    if (!node) continue;
    const fg = lum(parse(getComputedStyle(node).color));
    const bg = lum(background(node));
    out.push({ selector, ratio: Math.round(((Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05)) * 100) / 100 });
  }
  return out;
})()`;
