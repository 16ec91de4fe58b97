import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI, step } from '../helpers/fake-openai-server.js';
import { type FullApp, startFullApp } from '../helpers/full-app.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

// Every scripted reply reports 15 tokens (the fake server's default usage).
const QUOTAS = 'acme:20,*:1000';

let fake: FakeOpenAI;
let redis: TestRedis;
const apps: FullApp[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAI();
  redis = await startRedis();
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await redis?.close();
  await fake?.close();
});

async function start(extra: Record<string, string> = {}): Promise<FullApp> {
  const app = await startFullApp({
    LLM_PROVIDER: 'openai',
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_API_KEY: 'sk-quota-test',
    LLM_MAX_RETRIES: '0',
    TENANT_TOKEN_QUOTAS: QUOTAS,
    ...extra,
  });
  apps.push(app);
  return app;
}

async function turn(app: FullApp, tenantId: string, stream = false) {
  fake.script(step.text('Hello.'));
  const res = await app.app.inject({
    method: 'POST',
    url: stream ? '/api/v1/chat/stream' : '/api/v1/chat',
    payload: { session_id: `s-${tenantId}`, tenant_id: tenantId, message: 'Hi' },
  });
  if (res.statusCode !== 200) fake.reset(); // the refused turn never asked the model
  return res;
}

describe.each([
  ['in memory', () => ({})],
  ['in a real Redis', () => ({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: `quota-${Date.now()}:` })],
] as const)('token quotas counted %s', (_where, env) => {
  it('a tenant over its quota gets 429 with Retry-After until the window resets; another tenant does not', async () => {
    const app = await start(env());
    const first = await turn(app, 'acme');
    expect(first.statusCode).toBe(200);
    expect(first.json().usage).toMatchObject({ total_tokens: 15, quota_remaining: 5 });
    // Still under the limit when it starts, so it runs; afterwards the day is used up.
    const second = await turn(app, 'acme');
    expect(second.json().usage).toMatchObject({ quota_remaining: 0 });

    for (const stream of [false, true]) {
      const refused = await turn(app, 'acme', stream);
      expect(refused.statusCode).toBe(429);
      expect(refused.json()).toMatchObject({ error: 'QUOTA_EXCEEDED', details: { limit: 20 } });
      const retryAfter = Number(refused.headers['retry-after']);
      const untilMidnight = Math.ceil((Math.ceil(Date.now() / 86_400_000) * 86_400_000 - Date.now()) / 1000);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(untilMidnight + 1);
    }

    const other = await turn(app, 'beta');
    expect(other.statusCode).toBe(200);
    expect(other.json().usage).toMatchObject({ quota_remaining: 985 });

    const ready = (await app.app.inject({ method: 'GET', url: '/health/readiness' })).json();
    expect(ready.checks.token_quotas).toMatchObject({
      status: 'healthy',
      critical: false,
      details: {
        counter: 'REDIS_URL' in env() ? 'redis' : 'memory',
        default_limit: 1000,
        tenants: { acme: { limit: 20, used: 30, remaining: 0 } },
      },
    });
  });
});

describe('token quotas in Redis', () => {
  it('are shared by every instance and expire at the end of the day', async () => {
    const prefix = `shared-${Date.now()}:`;
    const one = await start({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix });
    const two = await start({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix });
    expect((await turn(one, 'acme')).statusCode).toBe(200);
    expect((await turn(two, 'acme')).json().usage).toMatchObject({ quota_remaining: 0 });
    expect((await turn(one, 'acme')).statusCode).toBe(429);

    const client = new Redis(redis.url);
    try {
      const keys = await client.keys(`${prefix}tokens:*`);
      expect(keys).toHaveLength(1);
      expect(await client.get(keys[0]!)).toBe('30');
      const ttl = await client.pttl(keys[0]!);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(86_400_000);
    } finally {
      client.disconnect();
    }
  });
});

describe('TENANT_TOKEN_QUOTAS', () => {
  it('reads tenant:tokens entries with * for every other tenant, and names a bad entry', async () => {
    const { loadConfig } = await import('../../src/config/index.js');
    expect(loadConfig({ TENANT_TOKEN_QUOTAS: ' acme:200000, *:50000 ' }).TENANT_TOKEN_QUOTAS).toEqual({
      acme: 200_000,
      '*': 50_000,
    });
    expect(loadConfig({}).TENANT_TOKEN_QUOTAS).toEqual({});
    for (const bad of ['acme', 'acme:0', 'acme:lots', ':100']) {
      expect(() => loadConfig({ TENANT_TOKEN_QUOTAS: bad })).toThrow(/TENANT_TOKEN_QUOTAS/);
    }
  });
});
