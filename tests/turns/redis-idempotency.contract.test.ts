import pino from 'pino';
import { closeRedisClient, createRedisClient } from '../../src/redis/client.js';
import { createKeyspace } from '../../src/redis/keys.js';
import { createRedisIdempotencyStore } from '../../src/turns/redis-idempotency.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { idempotencyStoreContract } from './idempotency-contract.js';

let redis: TestRedis | undefined;
const clients: Array<ReturnType<typeof createRedisClient>> = [];

idempotencyStoreContract('redis', {
  async create(ttlSeconds) {
    redis = await startRedis();
    const keys = createKeyspace('test:');
    const open = () => {
      const client = createRedisClient({ url: redis!.url, logger: pino({ level: 'silent' }), name: 'idem' });
      clients.push(client);
      return createRedisIdempotencyStore({ client, keys, ttlSeconds });
    };
    const first = open();
    const second = open();
    await Promise.all(clients.map((c) => new Promise((resolve) => c.once('ready', resolve))));
    return { first, second };
  },
  async expire(seconds) {
    // Redis expires keys on its own clock: wait the TTL out.
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 200));
  },
  async close() {
    for (const client of clients) await closeRedisClient(client);
    await redis?.close();
  },
});
