import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TURN_LOCK_LOST_MESSAGE } from '../../src/turns/redis-turn-lock.js';
import { type FullApp, startFullApp } from '../helpers/full-app.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { createScriptedModel } from '../helpers/scripted-model.js';

let redis: TestRedis;
let full: FullApp;

beforeAll(async () => {
  redis = await startRedis();
  full = await startFullApp({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'rt:' });
}, 30_000);

afterAll(async () => {
  await full?.close();
  await redis?.close();
});

function chat(sessionId: string, message: string) {
  return full.app.inject({
    method: 'POST',
    url: '/api/v1/chat',
    payload: { session_id: sessionId, message },
  });
}

function readiness() {
  return full.app.inject({ method: 'GET', url: '/health/readiness' });
}

describe('runtime with REDIS_URL', () => {
  it('opens the shared client and a subscriber, and reports Redis in readiness as a critical check', async () => {
    const response = await readiness();
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.checks.redis).toMatchObject({ status: 'healthy' });
    expect(body.checks.redis.details.url).toBe(redis.url);
    const clients = String(await redis.client().client('LIST'));
    expect(clients).toContain('name=msev15e2e:main');
    expect(clients).toContain('name=msev15e2e:subscriber');
  });

  it('runs chat turns under the Redis turn lock and leaves no lock behind', async () => {
    const first = await chat('rt-1', 'hello');
    expect(first.statusCode).toBe(200);
    const second = await chat('rt-1', 'what can you do?');
    expect(second.json().message_count).toBe(4);
    expect(await redis.client().keys('rt:lock:*')).toEqual([]);
  });

  it('Redis stopped mid-run: chat answers 503 AGENT_UNAVAILABLE, readiness not_ready; both recover without a restart', async () => {
    await redis.stop();

    const refused = await chat('rt-2', 'hello');
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toMatchObject({
      error: 'AGENT_UNAVAILABLE',
      message: 'Conversation state is not reachable right now. Please try again later.',
      request_id: refused.headers['x-request-id'],
    });
    expect(refused.body).not.toContain('127.0.0.1');

    // A delete waits for the session's turn lock too: the same clear answer, nothing deleted.
    const deleteRefused = await full.app.inject({ method: 'DELETE', url: '/api/v1/sessions/rt-1' });
    expect(deleteRefused.statusCode).toBe(503);
    expect(deleteRefused.json()).toMatchObject({ error: 'AGENT_UNAVAILABLE' });

    const notReady = await readiness();
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toMatchObject({
      status: 'not_ready',
      checks: { redis: { status: 'unhealthy' } },
    });

    // The process is still up and answers what does not need Redis.
    expect((await full.app.inject({ method: 'GET', url: '/health/liveness' })).statusCode).toBe(200);

    await redis.start();
    await expect
      .poll(async () => (await readiness()).statusCode, { timeout: 15_000, interval: 200 })
      .toBe(200);
    const back = await chat('rt-2', 'hello');
    expect(back.statusCode).toBe(200);
    expect(back.json().message_count).toBe(2);
  }, 40_000);
});

describe('a turn running when Redis goes away', () => {
  it('is stopped with 503 AGENT_UNAVAILABLE once its lock lease can no longer be renewed', async () => {
    const model = createScriptedModel([[{ hang: true }]]);
    const app = await startFullApp(
      {
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: 'lost:',
        TURN_LOCK_TTL_MS: '1000',
        TURN_TIMEOUT_MS: '120000',
      },
      { model },
    );
    try {
      const pending = app.app.inject({
        method: 'POST',
        url: '/api/v1/chat',
        payload: { session_id: 'long-turn', message: 'hello' },
      });
      await expect.poll(() => model.requests.length).toBe(1);
      await redis.stop();
      // Another instance could take the session once the lease runs out, so this turn must stop.
      const response = await pending;
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ error: 'AGENT_UNAVAILABLE', message: TURN_LOCK_LOST_MESSAGE });
      expect(model.requests[0]!.signal.aborted).toBe(true);
    } finally {
      await redis.start();
      await app.close();
    }
  }, 30_000);
});
