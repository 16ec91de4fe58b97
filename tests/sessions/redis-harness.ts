import type { Redis } from 'ioredis';
import pino from 'pino';
import { closeRedisClient, createRedisClient, waitForRedis } from '../../src/redis/client.js';
import { createKeyspace } from '../../src/redis/keys.js';
import type { SessionKey } from '../../src/sessions/types.js';
import type { TestRedis } from '../helpers/redis-server.js';

/** Clients for store tests on one test redis-server, closed together by `close`. */
export function redisStoreHarness(redis: TestRedis) {
  const clients: Redis[] = [];
  let prefixes = 0;
  return {
    /** A client made the way the service makes it (fail fast, reconnect in the background). */
    async client(): Promise<Redis> {
      const client = createRedisClient({ url: redis.url, logger: pino({ level: 'silent' }), name: 'test' });
      clients.push(client);
      await waitForRedis(client, 10_000);
      return client;
    },
    /** A fresh prefix, so each store starts on an empty keyspace. */
    keyspace(prefix = `t${++prefixes}:`) {
      return createKeyspace(prefix);
    },
    /** Resolves once Redis has expired the session's main key (keyspace notifications, no polling). */
    async awaitExpiry(prefix: string, key: SessionKey): Promise<void> {
      const name = createKeyspace(prefix).session(key.tenantId, key.sessionId);
      const admin = redis.client();
      await admin.config('SET', 'notify-keyspace-events', 'Ex');
      const subscriber = redis.client();
      const expired = new Promise<void>((resolve) => {
        subscriber.on('message', (_channel: string, message: string) => {
          if (message === name) resolve();
        });
      });
      await subscriber.subscribe('__keyevent@0__:expired');
      try {
        // Subscribed first, then checked: an expiry in between is not missed.
        if ((await admin.exists(name)) === 1) await expired;
      } finally {
        subscriber.disconnect();
      }
    },
    async close(): Promise<void> {
      await Promise.all(clients.splice(0).map((c) => closeRedisClient(c)));
    },
  };
}
