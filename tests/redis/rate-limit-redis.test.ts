import type { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { closeRedisClient, createRedisClient, waitForRedis } from '../../src/redis/client.js';
import { buildTestApp, captureLogger } from '../helpers/build-test-app.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

let redis: TestRedis;
const clients: Redis[] = [];
const apps: App[] = [];

beforeAll(async () => {
  redis = await startRedis();
}, 30_000);

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  await redis.flush();
});

afterAll(async () => {
  for (const c of clients) await closeRedisClient(c);
  await redis?.close();
});

/** One instance: its own app and its own shared Redis client, as a separate process would have. */
async function instance(env: Record<string, string>, logger = pino({ level: 'silent' })) {
  const client = createRedisClient({ url: redis.url, logger, name: 'main' });
  clients.push(client);
  await waitForRedis(client, 5_000);
  const { app } = await buildTestApp(
    { ENABLE_RATE_LIMITING: 'true', REDIS_URL: redis.url, ...env },
    { redis: client, logger },
  );
  apps.push(app);
  return app;
}

describe('rate limits through Redis', () => {
  it('counts once across instances: the 4th request is refused wherever it lands', async () => {
    const env = { RATE_LIMIT_PER_MINUTE: '3' };
    const instances = [await instance(env), await instance(env), await instance(env)];
    const statuses: number[] = [];
    let last: Awaited<ReturnType<App['inject']>> | undefined;
    for (let i = 0; i < 5; i++) {
      last = await instances[i % 3]!.inject({ method: 'GET', url: '/api/v1/sessions' });
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(last!.json()).toMatchObject({ error: 'RATE_LIMIT_EXCEEDED', details: { limit: 3 } });
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    expect(last!.headers['x-ratelimit-remaining']).toBe('0');
    // The counters live under REDIS_KEY_PREFIX.
    expect(await redis.client().keys('msev:rate-limit:*')).toHaveLength(1);
  });

  it('keeps deployments with different prefixes apart', async () => {
    const a = await instance({ RATE_LIMIT_PER_MINUTE: '1', REDIS_KEY_PREFIX: 'a:' });
    const b = await instance({ RATE_LIMIT_PER_MINUTE: '1', REDIS_KEY_PREFIX: 'b:' });
    expect((await a.inject({ method: 'GET', url: '/api/v1/sessions' })).statusCode).toBe(200);
    expect((await b.inject({ method: 'GET', url: '/api/v1/sessions' })).statusCode).toBe(200);
    expect((await a.inject({ method: 'GET', url: '/api/v1/sessions' })).statusCode).toBe(429);
  });

  it('fails open with one warning while Redis is down, and counts again once it is back', async () => {
    const capture = captureLogger('warn');
    const app = await instance({ RATE_LIMIT_PER_MINUTE: '1' }, capture.logger);
    await redis.stop();
    try {
      for (let i = 0; i < 3; i++) {
        expect((await app.inject({ method: 'GET', url: '/api/v1/sessions' })).statusCode).toBe(200);
      }
      const warnings = capture.lines().filter((l) => String(l.msg).includes('rate limits are not enforced'));
      expect(warnings).toHaveLength(1);
    } finally {
      await redis.start();
    }
    await expect.poll(() => clients.at(-1)!.status, { timeout: 15_000 }).toBe('ready');
    expect((await app.inject({ method: 'GET', url: '/api/v1/sessions' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/v1/sessions' })).statusCode).toBe(429);
  }, 30_000);
});
