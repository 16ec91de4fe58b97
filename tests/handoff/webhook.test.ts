import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineModel } from '../../src/agent/offline/offline-model.js';
import { createHandoffWebhook } from '../../src/tools/handoff/webhook.js';
import { captureLogger } from '../helpers/build-test-app.js';
import { type FullApp, startFullApp } from '../helpers/full-app.js';

const SECRET = 'webhook-secret-for-tests-0123456789';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on loopback that answers with the scripted statuses, then 200. */
async function startReceiver(statuses: number[] = []) {
  const received: Received[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
      for (const w of [...waiters]) {
        if (received.length >= w.count) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/handoff`,
    received,
    /** Resolves once `count` requests have arrived. */
    waitFor(count: number): Promise<void> {
      if (received.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What a receiver does: recompute the HMAC of the raw body and compare in constant time. */
function signatureValid(r: Received): boolean {
  const header = String(r.headers['x-signature-256'] ?? '');
  const expected = `sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`;
  return header.length === expected.length && timingSafeEqual(Buffer.from(header), Buffer.from(expected));
}

describe('the hand-off webhook through the whole service', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let service: FullApp;

  beforeAll(async () => {
    receiver = await startReceiver([500]);
    service = await startFullApp(
      { HANDOFF_WEBHOOK_URL: receiver.url, HANDOFF_WEBHOOK_SECRET: SECRET },
      { model: createOfflineModel({ logger: pino({ level: 'silent' }), wordDelayMs: 0 }) },
    );
  });

  afterAll(async () => {
    await service?.close();
    await receiver?.close();
  });

  it('gets a signed body for a hand-off, and the same delivery again after answering 500', async () => {
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/v1/chat',
      payload: { session_id: 'hook-1', tenant_id: 'shop', message: 'I want to talk to a person' },
    });
    expect(res.statusCode).toBe(200);
    await receiver.waitFor(2);
    const [first, retry] = receiver.received;
    for (const r of [first!, retry!]) {
      expect(signatureValid(r)).toBe(true);
      expect(r.headers['content-type']).toBe('application/json');
    }
    expect(retry!.body).toBe(first!.body);
    const body = JSON.parse(first!.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'session.handoff',
      tenant_id: 'shop',
      session_id: 'hook-1',
      reason: expect.stringMatching(/person/),
      links: { release: '/api/v1/sessions/hook-1/handoff/release?tenant_id=shop' },
    });
    expect(Date.parse(String(body.handed_off_at))).not.toBeNaN();
    // No customer message text beyond the reason.
    expect(first!.body).not.toContain('I want to talk to a person');
  });

  it('refuses a webhook URL without a secret at start-up', async () => {
    await expect(startFullApp({ HANDOFF_WEBHOOK_URL: receiver.url })).rejects.toThrow(
      /HANDOFF_WEBHOOK_SECRET/,
    );
  });
});

describe('delivery rules', () => {
  const event = { tenantId: 't', sessionId: 's', reason: 'r', at: new Date().toISOString() };

  it('gives up after the last attempt, and does not retry a 4xx', async () => {
    const receiver = await startReceiver([503, 503, 503, 400]);
    const capture = captureLogger('info');
    const hook = createHandoffWebhook({
      url: receiver.url,
      secret: SECRET,
      logger: capture.logger,
      maxAttempts: 3,
      baseDelayMs: 5,
    });
    hook.notify(event);
    await receiver.waitFor(3);
    await expect.poll(() => hook.pending()).toBe(0);
    expect(capture.text()).toContain('given up after the last attempt');
    hook.notify(event);
    await receiver.waitFor(4);
    await expect.poll(() => hook.pending()).toBe(0);
    expect(capture.text()).toContain('refused; not retried');
    expect(receiver.received).toHaveLength(4);
    await hook.close();
    await receiver.close();
  });

  it('keeps a bounded queue and abandons what is left on close', async () => {
    const capture = captureLogger('info');
    // Nothing listens on this port: every attempt fails and waits for its retry.
    const hook = createHandoffWebhook({
      url: 'http://127.0.0.1:9/unreachable',
      secret: SECRET,
      logger: capture.logger,
      maxQueue: 2,
      baseDelayMs: 60_000,
    });
    for (let i = 0; i < 5; i++) hook.notify({ ...event, sessionId: `s${i}` });
    expect(hook.pending()).toBe(2);
    expect(capture.text()).toContain('queue full');
    await hook.close(100);
    expect(hook.pending()).toBe(0);
    expect(capture.text()).toContain('closed with undelivered hand-offs');
  });
});
