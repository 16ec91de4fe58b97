import { describe, expect, it } from 'vitest';
import { fromServiceError } from '../../src/http/errors.js';
import type { SessionKey } from '../../src/sessions/types.js';
import { TurnQueueFullError } from '../../src/turns/errors.js';
import { runExclusive, type TurnLock } from '../../src/turns/turn-lock.js';

export interface TurnLockFactory {
  /** A fresh lock; locks made by one factory in one test share their state (one "deployment"). */
  create(options?: { maxWaitingPerSession?: number }): Promise<TurnLock> | TurnLock;
}

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}
export function deferred<T = void>(): Deferred<T> {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const key = (tenantId: string, sessionId: string): SessionKey => ({ tenantId, sessionId });

let counter = 0;
/** A session nobody else in the suite uses, so runs against a shared engine never meet. */
function freshKey(): SessionKey {
  counter++;
  return key(`tenant-${process.pid}-${Date.now()}`, `session-${counter}`);
}

/**
 * What every TurnLock must do, whichever engine holds the lock. Run by each implementation's test
 * file with its own factory.
 */
export function turnLockContract(name: string, factory: TurnLockFactory): void {
  describe(`${name}: TurnLock contract`, () => {
    it('runs queued work in arrival order, one at a time, with 20 concurrent acquirers', async () => {
      const lock = await factory.create();
      const k = freshKey();
      let running = 0;
      let maxRunning = 0;
      const log: string[] = [];
      const first = deferred();
      // The first holder keeps the lock until every other acquirer has queued, so arrival order is
      // the order of the acquire calls below.
      const holder = runExclusive(lock, k, () => first.promise);
      const turns: Promise<number>[] = [];
      for (let i = 0; i < 20; i++) {
        turns.push(
          runExclusive(lock, k, async () => {
            running++;
            maxRunning = Math.max(maxRunning, running);
            log.push(`start ${i}`);
            await sleep(Math.floor(Math.random() * 3));
            log.push(`end ${i}`);
            running--;
            return i;
          }),
        );
        // Give each acquirer the time to take its place in the queue before the next one comes.
        await settleQueue();
      }
      first.resolve();
      await holder;
      expect(await Promise.all(turns)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(maxRunning).toBe(1);
      expect(log).toEqual(Array.from({ length: 20 }, (_, i) => [`start ${i}`, `end ${i}`]).flat());
      await lock.close();
    });

    it('keeps 20 concurrent acquirers mutually exclusive even when they all arrive at once', async () => {
      const lock = await factory.create();
      const k = freshKey();
      let running = 0;
      let maxRunning = 0;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          runExclusive(lock, k, async () => {
            running++;
            maxRunning = Math.max(maxRunning, running);
            await sleep(1);
            running--;
            return i;
          }),
        ),
      );
      expect(results.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(maxRunning).toBe(1);
      await lock.close();
    });

    it('does not let a failing work block the ones queued after it', async () => {
      const lock = await factory.create();
      const k = freshKey();
      const gate = deferred();
      const order: string[] = [];
      const holder = runExclusive(lock, k, () => gate.promise);
      const failing = runExclusive(lock, k, async () => {
        order.push('fails');
        throw new Error('provider down');
      });
      await settleQueue();
      const throwingSync = runExclusive(lock, k, () => {
        order.push('throws synchronously');
        throw new Error('bad input');
      });
      await settleQueue();
      const next = runExclusive(lock, k, async () => {
        order.push('next');
        return 'ok';
      });
      await settleQueue();
      gate.resolve();
      await holder;
      await expect(failing).rejects.toThrow('provider down');
      await expect(throwingSync).rejects.toThrow('bad input');
      await expect(next).resolves.toBe('ok');
      expect(order).toEqual(['fails', 'throws synchronously', 'next']);
      await lock.close();
    });

    it('runs work for different sessions concurrently, even ids that look alike when joined', async () => {
      const lock = await factory.create();
      const base = freshKey();
      const gate = deferred();
      const slow = runExclusive(lock, key(`${base.tenantId}:a`, 'b'), () => gate.promise.then(() => 'slow'));
      // Would wait for the gate if the two keys collided.
      await expect(runExclusive(lock, key(base.tenantId, 'a:b'), async () => 'fast')).resolves.toBe('fast');
      await expect(runExclusive(lock, key(`${base.tenantId}:a`, 'c'), async () => 'other')).resolves.toBe(
        'other',
      );
      gate.resolve();
      await expect(slow).resolves.toBe('slow');
      await lock.close();
    });

    it('stops waiting at once when the waiter aborts, and the queue moves on without it', async () => {
      const lock = await factory.create();
      const k = freshKey();
      const gate = deferred();
      const ran: string[] = [];
      const holder = runExclusive(lock, k, () => gate.promise);
      const controller = new AbortController();
      const abandoned = runExclusive(lock, k, async () => ran.push('abandoned'), {
        signal: controller.signal,
      });
      await settleQueue();
      const after = runExclusive(lock, k, async () => ran.push('after'));
      await settleQueue();
      const reason = new Error('client left');
      controller.abort(reason);
      // Rejects while the holder still runs: the abort does not wait for the lock.
      await expect(abandoned).rejects.toBe(reason);
      gate.resolve();
      await holder;
      await after;
      expect(ran).toEqual(['after']);
      // An already aborted signal never queues.
      await expect(
        runExclusive(lock, k, async () => ran.push('never'), { signal: AbortSignal.abort(reason) }),
      ).rejects.toBe(reason);
      expect(ran).toEqual(['after']);
      await lock.close();
    });

    it('refuses the 101st waiter on one session with the 429 error, and recovers', async () => {
      const lock = await factory.create();
      const k = freshKey();
      const gate = deferred();
      const holder = runExclusive(lock, k, () => gate.promise);
      await settleQueue();
      const waiting = Array.from({ length: 100 }, (_, i) => runExclusive(lock, k, async () => i));
      await settleQueue();

      const refused = await runExclusive(lock, k, async () => 'never').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(TurnQueueFullError);
      const http = fromServiceError(refused as TurnQueueFullError);
      expect(http).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', statusCode: 429 });
      expect(http.headers).toEqual({ 'Retry-After': '1' });

      // Other sessions are unaffected.
      await expect(runExclusive(lock, freshKey(), async () => 'other')).resolves.toBe('other');

      gate.resolve();
      await holder;
      expect(await Promise.all(waiting)).toHaveLength(100);
      await expect(runExclusive(lock, k, async () => 'after')).resolves.toBe('after');
      await lock.close();
    });

    it('honours a configured waiting bound, and an aborted waiter frees its place', async () => {
      const lock = await factory.create({ maxWaitingPerSession: 1 });
      const k = freshKey();
      const gate = deferred();
      const holder = runExclusive(lock, k, () => gate.promise);
      const controller = new AbortController();
      const queued = runExclusive(lock, k, async () => 'queued', { signal: controller.signal });
      await settleQueue();
      await expect(runExclusive(lock, k, async () => 'x')).rejects.toBeInstanceOf(TurnQueueFullError);
      controller.abort(new Error('gone'));
      await expect(queued).rejects.toThrow('gone');
      const second = runExclusive(lock, k, async () => 'second');
      await settleQueue();
      gate.resolve();
      await holder;
      await expect(second).resolves.toBe('second');
      await lock.close();
    });

    it('tryAcquire takes a free session at once and refuses a held one without queueing', async () => {
      const lock = await factory.create();
      const k = freshKey();
      const first = await lock.tryAcquire(k, { holder: 'turn-1' });
      expect(first).toBeDefined();
      expect(await lock.holder(k)).toBe('turn-1');
      // Busy: refused at once, and nothing was queued (the release lets nobody else in).
      expect(await lock.tryAcquire(k, { holder: 'turn-2' })).toBeUndefined();
      expect(await lock.holder(k)).toBe('turn-1');
      await first!.release();
      expect(await lock.holder(k)).toBeUndefined();
      const again = await lock.tryAcquire(k);
      expect(again).toBeDefined();
      // An unnamed holder holds the session all the same.
      expect(await lock.holder(k)).toBeUndefined();
      expect(await lock.tryAcquire(k, { holder: 'turn-3' })).toBeUndefined();
      await again!.release();
      await lock.close();
    });

    it('tryAcquire does not jump the queue, and its lease excludes acquire like any other', async () => {
      const lock = await factory.create();
      const k = freshKey();
      const order: string[] = [];
      const held = await lock.tryAcquire(k, { holder: 'first' });
      const queued = runExclusive(lock, k, async () => order.push('queued'), { holder: 'queued' });
      await settleQueue();
      expect(order).toEqual([]);
      await held!.release();
      await queued;
      expect(order).toEqual(['queued']);
      // A free session after the queue drained is taken again.
      const last = await lock.tryAcquire(k);
      expect(last).toBeDefined();
      await last!.release();
      await lock.close();
    });

    it('holder names the lease out as the queue moves on, and nothing once the session is free', async () => {
      const lock = await factory.create();
      const k = freshKey();
      expect(await lock.holder(k)).toBeUndefined();
      const gate = deferred();
      const seen: Array<string | undefined> = [];
      const first = runExclusive(lock, k, () => gate.promise, { holder: 'turn-a' });
      await settleQueue();
      const second = runExclusive(lock, k, async () => seen.push(await lock.holder(k)), { holder: 'turn-b' });
      await settleQueue();
      expect(await lock.holder(k)).toBe('turn-a');
      // Other sessions have their own holder.
      expect(await lock.holder(freshKey())).toBeUndefined();
      gate.resolve();
      await Promise.all([first, second]);
      expect(seen).toEqual(['turn-b']);
      expect(await lock.holder(k)).toBeUndefined();
      await lock.close();
    });

    it('releases idempotently: a second release does not let two holders in', async () => {
      const lock = await factory.create();
      const k = freshKey();
      const first = await lock.acquire(k);
      const secondPromise = lock.acquire(k);
      await settleQueue();
      await first.release();
      const second = await secondPromise;
      const third = lock.acquire(k);
      let thirdIn = false;
      void third.then(() => {
        thirdIn = true;
      });
      await first.release();
      await settleQueue();
      expect(thirdIn).toBe(false);
      await second.release();
      await (await third).release();
      await lock.close();
    });
  });
}

/**
 * Lets pending acquire calls reach the lock's queue: a few macrotask turns, enough for a round trip
 * to a local server.
 */
export async function settleQueue(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
}
