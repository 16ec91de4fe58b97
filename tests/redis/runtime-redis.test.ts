import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FullApp, startFullApp } from '../helpers/full-app.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

let redis: TestRedis;
let full: FullApp;

beforeAll(async () => {
  redis = await startRedis();
  full = await startFullApp({ REDIS_URL: redis.url });
}, 30_000);

afterAll(async () => {
  await full?.close();
  await redis?.close();
});

describe('runtime with REDIS_URL', () => {
  it('opens one shared client and reports Redis in readiness as a critical check', async () => {
    const response = await full.app.inject({ method: 'GET', url: '/health/readiness' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.checks.redis).toMatchObject({ status: 'healthy' });
    expect(body.checks.redis.details.url).toBe(redis.url);
    const clients = await redis.client().client('LIST');
    expect(String(clients)).toContain('name=msev15e2e:main');
  });
});
