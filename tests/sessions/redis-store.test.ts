import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRedis } from '../../src/redis/client.js';
import { SessionStoreUnavailableError } from '../../src/sessions/errors.js';
import { createRedisSessionStore } from '../../src/sessions/redis/redis-store.js';
import type { StoredMessage } from '../../src/sessions/types.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { redisStoreHarness } from './redis-harness.js';

let redis: TestRedis;
let harness: ReturnType<typeof redisStoreHarness>;
const LIMITS = { ttlMs: 60_000, maxSessions: 100, maxSessionsPerTenant: 100, maxMessages: 100 };
const user = (content: string): StoredMessage => ({
  role: 'user',
  content,
  timestamp: '2025-03-01T10:00:00.000Z',
});
const assistant = (content: string): StoredMessage => ({ ...user(content), role: 'assistant' });

beforeAll(async () => {
  redis = await startRedis();
  harness = redisStoreHarness(redis);
});
afterAll(async () => {
  await harness?.close();
  await redis?.close();
});

describe('redis session store', () => {
  it('puts every key under the prefix and gives each the idle TTL, renewed by activity', async () => {
    const keyspace = harness.keyspace('ttl-check:');
    const store = createRedisSessionStore({ ...LIMITS, client: await harness.client(), keyspace });
    await store.append({ tenantId: 'acme:eu', sessionId: 's/1' }, [user('hi')], { status: 'open' });

    const admin = redis.client();
    const keys = (await admin.keys('*')).filter((k) => k.startsWith('ttl-check:')).sort();
    expect(keys).toEqual(
      [
        keyspace.session('acme:eu', 's/1'),
        keyspace.sessionAttributes('acme:eu', 's/1'),
        keyspace.sessionMessages('acme:eu', 's/1'),
        keyspace.tenantSessions('acme:eu'),
        keyspace.allSessions(),
      ].sort(),
    );
    for (const k of keys) {
      const ttl = await admin.pttl(k);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
    await admin.pexpire(keyspace.session('acme:eu', 's/1'), 5_000);
    await store.append({ tenantId: 'acme:eu', sessionId: 's/1' }, [assistant('hello')]);
    expect(await admin.pttl(keyspace.session('acme:eu', 's/1'))).toBeGreaterThan(5_000);
  });

  it('keeps deployments with different prefixes on one Redis apart', async () => {
    const client = await harness.client();
    const blue = createRedisSessionStore({ ...LIMITS, client, keyspace: harness.keyspace('blue:') });
    const green = createRedisSessionStore({ ...LIMITS, client, keyspace: harness.keyspace('green:') });
    await blue.append({ tenantId: 't', sessionId: 's' }, [user('blue')]);
    expect(await green.get({ tenantId: 't', sessionId: 's' })).toBeUndefined();
    expect(await green.count()).toBe(0);
    expect((await blue.get({ tenantId: 't', sessionId: 's' }))?.messages[0]?.content).toBe('blue');
  });

  it('shares sessions between instances, and their simultaneous appends lose nothing', async () => {
    const keyspace = harness.keyspace();
    const one = createRedisSessionStore({
      ...LIMITS,
      maxMessages: 1000,
      client: await harness.client(),
      keyspace,
    });
    const two = createRedisSessionStore({
      ...LIMITS,
      maxMessages: 1000,
      client: await harness.client(),
      keyspace,
    });
    const key = { tenantId: 't', sessionId: 'shared' };
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 ? one : two).append(key, [user(`q${i}`), assistant(`a${i}`)]),
      ),
    );
    const seen = await one.get(key);
    expect(seen?.messages).toHaveLength(60);
    expect((await two.list('t', { limit: 10, offset: 0 })).sessions[0]?.message_count).toBe(60);
    expect(await two.delete(key)).toBe(true);
    expect(await one.get(key)).toBeUndefined();
  });

  it('rejects with SessionStoreUnavailableError while Redis is down, and works again once it is back', async () => {
    const client = await harness.client();
    const store = createRedisSessionStore({ ...LIMITS, client, keyspace: harness.keyspace() });
    const key = { tenantId: 't', sessionId: 's' };
    await store.append(key, [user('before')]);

    await redis.stop();
    try {
      await expect(store.append(key, [user('during')])).rejects.toBeInstanceOf(SessionStoreUnavailableError);
      await expect(store.get(key)).rejects.toBeInstanceOf(SessionStoreUnavailableError);
      await expect(store.list('t', { limit: 5, offset: 0 })).rejects.toBeInstanceOf(
        SessionStoreUnavailableError,
      );
    } finally {
      await redis.start();
    }
    expect(await waitForRedis(client, 30_000)).toBe(true);
    // The test server keeps no data across a restart; the store serves (and reloads its scripts) again.
    const after = await store.append(key, [user('after')]);
    expect(after.messages.map((m) => m.content)).toEqual(['after']);
  });
});
