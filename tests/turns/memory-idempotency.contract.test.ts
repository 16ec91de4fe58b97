import { createMemoryIdempotencyStore } from '../../src/turns/idempotency.js';
import { idempotencyStoreContract } from './idempotency-contract.js';

let now = Date.now();

idempotencyStoreContract('memory', {
  async create(ttlSeconds) {
    const store = createMemoryIdempotencyStore({ ttlSeconds, now: () => now });
    return { first: store, second: store };
  },
  async expire(seconds) {
    now += seconds * 1000 + 1;
  },
});
