import { afterAll, beforeAll } from 'vitest';
import { createRedisSessionStore, type RedisSessionStore } from '../../src/sessions/redis/redis-store.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { redisStoreHarness } from './redis-harness.js';
import { sessionStoreContract } from './store-contract.js';

let redis: TestRedis;
let harness: ReturnType<typeof redisStoreHarness>;
const prefixes = new WeakMap<RedisSessionStore, string>();

beforeAll(async () => {
  redis = await startRedis();
  harness = redisStoreHarness(redis);
});
afterAll(async () => {
  await harness?.close();
  await redis?.close();
});

sessionStoreContract('redis', {
  clock: 'real',
  async create(limits) {
    const keyspace = harness.keyspace();
    // Redis keeps time itself (PEXPIRE), so the contract's manual clock is not used.
    const { now: _manual, ...rest } = limits;
    const store = createRedisSessionStore({ ...rest, client: await harness.client(), keyspace });
    prefixes.set(store, keyspace.prefix);
    return store;
  },
  async awaitExpiry(store, key) {
    const prefix = prefixes.get(store as RedisSessionStore);
    if (!prefix) throw new Error('not a store of this engine');
    await harness.awaitExpiry(prefix, key);
  },
});
