import type { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceError } from '../../src/errors.js';
import { closeRedisClient, createRedisClient, waitForRedis } from '../../src/redis/client.js';
import { createKeyspace } from '../../src/redis/keys.js';
import type { SessionKey } from '../../src/sessions/types.js';
import { createRedisTurnLock, type RedisTurnLockOptions } from '../../src/turns/redis-turn-lock.js';
import { runExclusive } from '../../src/turns/turn-lock.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { deferred, settleQueue, turnLockContract } from './turn-lock-contract.js';

const logger = pino({ level: 'silent' });
const keyspace = createKeyspace('test:');
let redis: TestRedis;
const connections: Redis[] = [];

beforeAll(async () => {
  redis = await startRedis();
}, 30_000);

afterAll(async () => {
  for (const c of connections) await closeRedisClient(c);
  await redis?.close();
});

/** One "instance": its own command and subscriber connections, as the runtime opens them. */
async function instance(options: Partial<RedisTurnLockOptions> = {}) {
  const command = createRedisClient({ url: redis.url, logger, name: 'test' });
  const subscriber = createRedisClient({ url: redis.url, logger, name: 'test-subscriber' });
  connections.push(command, subscriber);
  await Promise.all([waitForRedis(command, 5_000), waitForRedis(subscriber, 5_000)]);
  const lock = createRedisTurnLock({ redis: command, subscriber, keyspace, logger, ...options });
  return { lock, command, subscriber };
}

turnLockContract('redis', { create: async (options) => (await instance(options)).lock });

let n = 0;
const freshKey = (): SessionKey => ({ tenantId: 'acme', sessionId: `redis-only-${++n}` });

describe('redis turn lock across instances', () => {
  it('keeps turns of one session exclusive and in order when they come through three instances', async () => {
    const instances = await Promise.all([instance(), instance(), instance()]);
    const k = freshKey();
    let running = 0;
    let maxRunning = 0;
    const started: number[] = [];
    const gate = deferred();
    const holder = runExclusive(instances[0]!.lock, k, () => gate.promise);
    await settleQueue();
    const turns: Promise<number>[] = [];
    for (let i = 0; i < 20; i++) {
      const { lock } = instances[i % 3]!;
      turns.push(
        runExclusive(lock, k, async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          started.push(i);
          await new Promise((r) => setTimeout(r, 2));
          running--;
          return i;
        }),
      );
      // Different connections: wait until this one is queued in Redis before the next arrives.
      await untilWaiting(k, i + 1);
    }
    gate.resolve();
    await holder;
    await Promise.all(turns);
    expect(maxRunning).toBe(1);
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (const { lock } of instances) await lock.close();
  });

  it('wakes waiters through pub/sub when a holder releases', async () => {
    const { lock } = await instance();
    const listener = redis.client();
    const messages: string[] = [];
    listener.on('message', (_channel: string, message: string) => messages.push(message));
    await listener.subscribe('test:turn-released');
    const k = freshKey();
    await runExclusive(lock, k, async () => 'done');
    await expect.poll(() => messages).toEqual([keyspace.turnLock(k.tenantId, k.sessionId)]);
    await lock.close();
  });

  it('lets the next turn in once a crashed holder’s lease runs out, and tells the crashed one it lost', async () => {
    const crashed = await instance({ ttlMs: 600 });
    const k = freshKey();
    const lease = await crashed.lock.acquire(k);
    // The instance dies: its connections go, nothing is released, renewals can no longer reach Redis.
    crashed.command.disconnect();
    crashed.subscriber.disconnect();
    const survivor = await instance({ ttlMs: 600 });
    await expect(runExclusive(survivor.lock, k, async () => 'next turn')).resolves.toBe('next turn');
    await expect.poll(() => lease.lost.aborted, { timeout: 5_000 }).toBe(true);
    expect(lease.lost.reason).toBeInstanceOf(ServiceError);
    expect(lease.lost.reason).toMatchObject({ code: 'AGENT_UNAVAILABLE' });
    await survivor.lock.close();
  });

  it('skips a waiter whose instance died while it was queued', async () => {
    const holder = await instance();
    const dying = await instance();
    const survivor = await instance();
    const k = freshKey();
    const lease = await holder.lock.acquire(k);
    const abandoned = dying.lock.acquire(k);
    abandoned.catch(() => undefined);
    await untilWaiting(k, 1);
    dying.command.disconnect();
    dying.subscriber.disconnect();
    const next = runExclusive(survivor.lock, k, async () => 'survivor ran');
    await untilWaiting(k, 2);
    await lease.release();
    await expect(next).resolves.toBe('survivor ran');
    await holder.lock.close();
    await survivor.lock.close();
  });

  it('renews the lease while a turn runs longer than the TTL, so nobody else gets in', async () => {
    const a = await instance({ ttlMs: 1_000 });
    const b = await instance({ ttlMs: 1_000 });
    const k = freshKey();
    const lockKey = keyspace.turnLock(k.tenantId, k.sessionId);
    inspector ??= redis.client();
    const check = inspector;
    let bRan = false;
    const lease = await a.lock.acquire(k);
    const first = Number(await check.hget(lockKey, 'hx'));
    const next = runExclusive(b.lock, k, async () => {
      bRan = true;
    });
    // Wait until the lease has been pushed out past several whole TTLs by renewals.
    await expect
      .poll(async () => Number(await check.hget(lockKey, 'hx')) - first, { timeout: 15_000, interval: 100 })
      .toBeGreaterThan(3_000);
    expect(bRan).toBe(false);
    expect(lease.lost.aborted).toBe(false);
    await lease.release();
    await next;
    expect(bRan).toBe(true);
    await a.lock.close();
    await b.lock.close();
  }, 30_000);

  it('tryAcquire and holder see a turn held through another instance, and a crashed holder as gone', async () => {
    const crashed = await instance({ ttlMs: 600 });
    const other = await instance({ ttlMs: 600 });
    const k = freshKey();
    await crashed.lock.acquire(k, { holder: 'turn-on-a' });
    expect(await other.lock.holder(k)).toBe('turn-on-a');
    expect(await other.lock.tryAcquire(k, { holder: 'turn-on-b' })).toBeUndefined();
    crashed.command.disconnect();
    crashed.subscriber.disconnect();
    // Once the dead holder's lease ran out the session is free again, and the new holder is named.
    await expect.poll(() => other.lock.holder(k), { timeout: 5_000 }).toBeUndefined();
    const taken = await other.lock.tryAcquire(k, { holder: 'turn-on-b' });
    expect(taken).toBeDefined();
    expect(await other.lock.holder(k)).toBe('turn-on-b');
    await taken!.release();
    await other.lock.close();
  });

  it('leaves nothing behind in Redis once the turns are over', async () => {
    const { lock } = await instance();
    const k = freshKey();
    await Promise.all(Array.from({ length: 5 }, () => runExclusive(lock, k, async () => 1)));
    const check = redis.client();
    expect(await check.exists(keyspace.turnLock(k.tenantId, k.sessionId))).toBe(0);
    await lock.close();
  });

  it('answers AGENT_UNAVAILABLE while Redis is down instead of hanging, and works again once it is back', async () => {
    const { lock, command } = await instance();
    const k = freshKey();
    await redis.stop();
    const error = await runExclusive(lock, k, async () => 'never').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ code: 'AGENT_UNAVAILABLE', retryAfterSeconds: 1 });
    await expect(lock.tryAcquire(k)).rejects.toMatchObject({ code: 'AGENT_UNAVAILABLE' });
    await expect(lock.holder(k)).rejects.toMatchObject({ code: 'AGENT_UNAVAILABLE' });
    await redis.start();
    expect(await waitForRedis(command, 10_000)).toBe(true);
    await expect(runExclusive(lock, k, async () => 'back')).resolves.toBe('back');
    await lock.close();
  }, 30_000);
});

/** Waits until `count` waiters are queued in Redis for the session. */
let inspector: Redis | undefined;
async function untilWaiting(k: SessionKey, count: number): Promise<void> {
  inspector ??= redis.client();
  const check = inspector;
  const lockKey = keyspace.turnLock(k.tenantId, k.sessionId);
  await expect
    .poll(async () => (await check.hkeys(lockKey)).filter((f) => f.startsWith('q:')).length)
    .toBe(count);
}
