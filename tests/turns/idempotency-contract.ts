import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdempotencyStore } from '../../src/turns/idempotency.js';

export interface IdempotencyHarness {
  /** Two handles on the same keys (two instances); finished keys kept `ttlSeconds`. */
  create(ttlSeconds: number): Promise<{ first: IdempotencyStore; second: IdempotencyStore }>;
  /** Lets `seconds` pass for the store. */
  expire(seconds: number): Promise<void>;
  close?(): Promise<void>;
}

const record = (turnId: string) => ({ bodyHash: 'h1', turnId, sessionId: 's' });
const done = { kind: 'completed' as const, answer: 'ok', messageCount: 2, toolCalls: [], timestamp: 't' };

/** One suite for every IdempotencyStore. */
export function idempotencyStoreContract(name: string, harness: IdempotencyHarness) {
  describe(`IdempotencyStore contract: ${name}`, () => {
    let first: IdempotencyStore;
    let second: IdempotencyStore;
    beforeAll(async () => {
      ({ first, second } = await harness.create(2));
    });
    afterAll(async () => {
      await first.close();
      await second.close();
      await harness.close?.();
    });

    it('of concurrent claims of one key exactly one wins, and the others see its turn', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? first : second).claim('acme', 'k1', record(`t${i}`), 60),
        ),
      );
      const winners = results.filter((r) => r.claimed);
      expect(winners).toHaveLength(1);
      const seen = new Set(results.flatMap((r) => (r.claimed ? [] : [r.record.turnId])));
      expect(seen.size).toBe(1);
    });

    it('keeps the outcome for the key, per tenant, whatever the ids contain', async () => {
      expect((await first.claim('a:b', 'c', record('t-ab'), 60)).claimed).toBe(true);
      expect((await first.claim('a', 'b:c', record('t-a'), 60)).claimed).toBe(true);
      await first.complete('a:b', 'c', done);
      expect(await second.get('a:b', 'c')).toMatchObject({ turnId: 't-ab', outcome: done });
      expect((await second.get('a', 'b:c'))?.outcome).toBeUndefined();
    });

    it('a released key can be claimed again', async () => {
      expect((await first.claim('acme', 'k-release', record('t1'), 60)).claimed).toBe(true);
      await first.release('acme', 'k-release');
      expect((await second.claim('acme', 'k-release', record('t2'), 60)).claimed).toBe(true);
      expect((await first.get('acme', 'k-release'))?.turnId).toBe('t2');
    });

    it('forgets a completed key after its TTL, and an unfinished claim after its own', async () => {
      await first.claim('acme', 'k-ttl', record('t1'), 60);
      await first.complete('acme', 'k-ttl', done);
      await first.claim('acme', 'k-stuck', record('t2'), 1);
      await harness.expire(2);
      expect(await second.get('acme', 'k-ttl')).toBeUndefined();
      expect(await second.get('acme', 'k-stuck')).toBeUndefined();
    });
  });
}
