import pino from 'pino';
import { closeRedisClient, createRedisClient } from '../../src/redis/client.js';
import { createKeyspace } from '../../src/redis/keys.js';
import { createRedisReplayStore } from '../../src/turns/redis-replay.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { replayStoreContract } from './replay-contract.js';

let redis: TestRedis | undefined;
const clients: Array<ReturnType<typeof createRedisClient>> = [];

replayStoreContract('redis', {
  async create(limits) {
    redis = await startRedis();
    const keys = createKeyspace('test:');
    const open = () => {
      const client = createRedisClient({
        url: redis!.url,
        logger: pino({ level: 'silent' }),
        name: 'replay',
      });
      clients.push(client);
      return createRedisReplayStore({ client, keys, runningTtlSeconds: 60, ...limits });
    };
    // Two connections, as two instances would have.
    const writer = open();
    const reader = open();
    await Promise.all(clients.map((c) => new Promise((resolve) => c.once('ready', resolve))));
    return { writer, reader };
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
