import pino from 'pino';
import { closeRedisClient, createRedisClient } from '../../src/redis/client.js';
import { createKeyspace } from '../../src/redis/keys.js';
import { createRedisApprovalStore } from '../../src/turns/redis-approvals.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { approvalStoreContract } from './approvals-contract.js';

let redis: TestRedis | undefined;
let now = Date.now();
const clients: Array<ReturnType<typeof createRedisClient>> = [];

approvalStoreContract('redis', {
  async create() {
    redis = await startRedis();
    const keys = createKeyspace('test:');
    const open = () => {
      const client = createRedisClient({
        url: redis!.url,
        logger: pino({ level: 'silent' }),
        name: 'approvals',
      });
      clients.push(client);
      return createRedisApprovalStore({ client, keys, now: () => now });
    };
    const first = open();
    const second = open();
    await Promise.all(clients.map((c) => new Promise((resolve) => c.once('ready', resolve))));
    return { first, second };
  },
  now: () => now,
  advance(ms) {
    now += ms;
  },
  async expire(seconds) {
    // Retention is a Redis EXPIRE, on the server's own clock: wait it out.
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 200));
  },
  async close() {
    for (const client of clients) await closeRedisClient(client);
    await redis?.close();
  },
});
