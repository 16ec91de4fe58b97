import type { Redis } from 'ioredis';
import type { Keyspace } from '../redis/keys.js';
import type { ClaimResult, IdempotencyRecord, IdempotencyStore, IdempotentOutcome } from './idempotency.js';

export interface RedisIdempotencyOptions {
  client: Redis;
  keys: Keyspace;
  /** IDEMPOTENCY_TTL_HOURS, in seconds. */
  ttlSeconds: number;
}

/** Shared by every instance: the claim is one SET NX, so two instances never both run the turn. */
export function createRedisIdempotencyStore(options: RedisIdempotencyOptions) {
  const { client, keys } = options;
  const keyOf = (tenantId: string, key: string) => keys.key('idem', tenantId, key);

  async function get(tenantId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const raw = await client.get(keyOf(tenantId, key));
    return raw === null ? undefined : (JSON.parse(raw) as IdempotencyRecord);
  }

  const store = {
    async claim(
      tenantId: string,
      key: string,
      record: IdempotencyRecord,
      runningTtlSeconds: number,
    ): Promise<ClaimResult> {
      const set = await client.set(
        keyOf(tenantId, key),
        JSON.stringify(record),
        'EX',
        runningTtlSeconds,
        'NX',
      );
      if (set === 'OK') return { claimed: true as const };
      const existing = await get(tenantId, key);
      // Expired between the two commands: the key is free again, so take it.
      if (!existing) return store.claim(tenantId, key, record, runningTtlSeconds);
      return { claimed: false as const, record: existing };
    },
    async complete(tenantId: string, key: string, outcome: IdempotentOutcome) {
      const current = await get(tenantId, key);
      if (!current) return;
      await client.set(
        keyOf(tenantId, key),
        JSON.stringify({ ...current, outcome }),
        'EX',
        options.ttlSeconds,
        'XX',
      );
    },
    async release(tenantId: string, key: string) {
      await client.del(keyOf(tenantId, key));
    },
    get,
    async close() {},
  };
  return store satisfies IdempotencyStore;
}
