import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRedis } from '../../src/redis/client.js';
import { type FullApp, startFullApp } from '../helpers/full-app.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

let redis: TestRedis;
let service: FullApp;

beforeAll(async () => {
  redis = await startRedis();
  service = await startFullApp({ REDIS_URL: redis.url, SESSION_STORE: 'auto', REDIS_KEY_PREFIX: 'outage:' });
});
afterAll(async () => {
  await service?.close();
  await redis?.close();
});

const chat = (message: string) =>
  service.app.inject({
    method: 'POST',
    url: '/api/v1/chat',
    payload: { tenant_id: 'acme', session_id: 'o-1', message },
  });

describe('the redis session store behind the API', () => {
  it('answers 503 AGENT_UNAVAILABLE while Redis is down, stays up, and recovers by itself', {
    timeout: 60_000,
  }, async () => {
    const first = await chat('hello');
    expect(first.statusCode).toBe(200);
    expect(first.json().message_count).toBe(2);

    await redis.stop();
    try {
      const down = await chat('are you there?');
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ error: 'AGENT_UNAVAILABLE' });
      expect(down.headers['retry-after']).toBe('1');
      // Nothing about the engine leaks into the answer.
      expect(down.body).not.toContain('127.0.0.1');

      const history = await service.app.inject({ url: '/api/v1/sessions/o-1/history?tenant_id=acme' });
      expect(history.statusCode).toBe(503);
      const ready = await service.app.inject({ url: '/health/readiness' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.sessions).toMatchObject({
        status: 'unhealthy',
        details: { store: 'redis' },
      });
    } finally {
      await redis.start();
    }
    expect(await waitForRedis(service.runtime.redis!, 30_000)).toBe(true);

    // The test server keeps nothing across its restart; the service serves again without one of its own.
    const back = await chat('hello again');
    expect(back.statusCode).toBe(200);
    expect(back.json().message_count).toBe(2);
    const ready = await service.app.inject({ url: '/health/readiness' });
    expect(ready.json().checks.sessions).toMatchObject({ status: 'healthy', details: { store: 'redis' } });
  });
});
