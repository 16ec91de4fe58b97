import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineModel } from '../../src/agent/offline/offline-model.js';
import { closeRedisClient, createRedisClient, waitForRedis } from '../../src/redis/client.js';
import type { SessionFeedEvent } from '../../src/sessions/events.js';
import { createRedisSessionEventBus } from '../../src/sessions/redis-events.js';
import { type FullApp, startFullApp } from '../helpers/full-app.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

/** Reads an SSE response as it arrives; `next` resolves with the next event whose type matches. */
function follow(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const seen: Array<Record<string, unknown>> = [];
  const comments: string[] = [];
  async function comment(): Promise<string> {
    while (comments.length === 0) await readMore();
    return comments.shift()!;
  }
  async function next(match: (e: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    for (;;) {
      const found = seen.findIndex(match);
      if (found >= 0) return seen.splice(found, 1)[0]!;
      await readMore();
    }
  }
  async function readMore(): Promise<void> {
    {
      const { value, done } = await reader.read();
      if (done) throw new Error('feed ended');
      buffer += decoder.decode(value, { stream: true });
      let cut = buffer.indexOf('\n\n');
      while (cut >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        for (const line of block.split('\n')) {
          if (line.startsWith('data: ')) seen.push(JSON.parse(line.slice(6)) as Record<string, unknown>);
          else if (line.startsWith(':')) comments.push(line);
        }
        cut = buffer.indexOf('\n\n');
      }
    }
  }
  return { next, comment, cancel: () => reader.cancel() };
}

const KEYS = { client: 'client-key-0001', operator: 'operator-key-03', other: 'client-key-0009' };
let service: FullApp;

beforeAll(async () => {
  service = await startFullApp(
    { API_KEYS: `${KEYS.client}:shop,${KEYS.operator}:shop:operator,${KEYS.other}:elsewhere` },
    {
      model: createOfflineModel({ logger: pino({ level: 'silent' }), wordDelayMs: 0 }),
      listen: true,
      pingIntervalMs: 200,
    },
  );
});

afterAll(async () => {
  await service?.close();
});

const post = (path: string, key: string, body: unknown) =>
  fetch(`${service.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('GET /api/v1/sessions/{id}/events', () => {
  it("streams new messages of every role and status changes; the customer sees the operator's reply", async () => {
    const sid = 'feed-1';
    expect((await post('/api/v1/chat', KEYS.client, { session_id: sid, message: 'Hello' })).status).toBe(200);
    const res = await fetch(`${service.baseUrl}/api/v1/sessions/${sid}/events`, {
      headers: { authorization: `Bearer ${KEYS.client}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const feed = follow(res);
    expect(await feed.next((e) => e.type === 'ready')).toMatchObject({ session_id: sid, status: 'active' });

    await post('/api/v1/chat', KEYS.client, { session_id: sid, message: 'talk to a person' });
    expect(await feed.next((e) => e.type === 'message')).toMatchObject({
      message: { role: 'user', content: 'talk to a person' },
    });
    expect(await feed.next((e) => e.type === 'status')).toMatchObject({ status: 'handoff' });
    expect(await feed.next((e) => e.type === 'message')).toMatchObject({ message: { role: 'assistant' } });

    const reply = await post(`/api/v1/sessions/${sid}/messages`, KEYS.operator, {
      content: 'Sam here, hello!',
    });
    expect(reply.status).toBe(200);
    expect(await feed.next((e) => e.type === 'message')).toMatchObject({
      session_id: sid,
      message: { role: 'operator', content: 'Sam here, hello!' },
    });

    await post(`/api/v1/sessions/${sid}/handoff/release`, KEYS.operator, {});
    expect(await feed.next((e) => e.type === 'status')).toMatchObject({ status: 'active' });
    // Idle feeds get keep-alive comments.
    expect(await feed.comment()).toBe(': ping');
    await feed.cancel();
  });

  it("is not found for an unknown session or another tenant's", async () => {
    await post('/api/v1/chat', KEYS.client, { session_id: 'feed-2', message: 'Hello' });
    for (const [path, key] of [
      ['/api/v1/sessions/feed-none/events', KEYS.client],
      ['/api/v1/sessions/feed-2/events', KEYS.other],
    ] as const) {
      const res = await fetch(`${service.baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: 'SESSION_NOT_FOUND' });
    }
  });
});

describe('across instances through Redis pub/sub', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.close();
  });

  it("delivers one instance's session events to another's followers, and only for that session", async () => {
    const logger = pino({ level: 'silent' });
    const clients = ['a-pub', 'a-sub', 'b-pub', 'b-sub'].map((name) =>
      createRedisClient({ url: redis.url, logger, name }),
    );
    for (const c of clients) expect(await waitForRedis(c, 5_000)).toBe(true);
    const [aPub, aSub, bPub, bSub] = clients as [
      (typeof clients)[0],
      (typeof clients)[0],
      (typeof clients)[0],
      (typeof clients)[0],
    ];
    const channel = 'test:session-events';
    const a = createRedisSessionEventBus({ publisher: aPub, subscriber: aSub, channel, logger });
    const b = createRedisSessionEventBus({ publisher: bPub, subscriber: bSub, channel, logger });
    const got: SessionFeedEvent[] = [];
    b.subscribe({ tenantId: 'shop', sessionId: 's:1' }, (e) => got.push(e));
    // Subscriptions are confirmed asynchronously; publish until the first one arrives.
    const message = { role: 'operator' as const, content: 'hi', timestamp: 't' };
    await expect
      .poll(
        () => {
          a.publish({ tenantId: 'shop:s', sessionId: '1' }, { type: 'message', message });
          a.publish({ tenantId: 'shop', sessionId: 's:1' }, { type: 'message', message });
          return got.length;
        },
        { timeout: 10_000 },
      )
      .toBeGreaterThan(0);
    expect(got.every((e) => e.type === 'message' && e.message.content === 'hi')).toBe(true);
    await a.close();
    await b.close();
    for (const c of clients) await closeRedisClient(c);
  });
});
