import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ServiceError } from '../errors.js';
import { abortReason } from '../lib/abort.js';
import type { Keyspace } from '../redis/keys.js';
import type { SessionKey } from '../sessions/types.js';
import { TurnQueueFullError } from './errors.js';
import { ACQUIRE, HOLDER, RELEASE, RENEW, TRY_ACQUIRE } from './redis-lock-scripts.js';
import {
  type AcquireOptions,
  DEFAULT_MAX_WAITING_PER_SESSION,
  type TryAcquireOptions,
  type TurnLease,
  type TurnLock,
} from './turn-lock.js';

/** How long a holder's lease lasts without renewal: the longest a crashed instance can block a session. */
export const DEFAULT_TURN_LOCK_TTL_MS = 30_000;

export const TURN_LOCK_UNAVAILABLE_MESSAGE =
  'Conversation state is not reachable right now. Please try again later.';
export const TURN_LOCK_LOST_MESSAGE =
  'The turn lost its hold on the conversation and was stopped. Please try again.';

export interface RedisTurnLockOptions {
  /** The shared command connection. */
  redis: Redis;
  /** A connection of its own for pub/sub (a subscribed connection cannot run other commands). */
  subscriber: Redis;
  keyspace: Keyspace;
  logger: Logger;
  /** Lease length; renewed every third of it while the turn runs (default 30 s). */
  ttlMs?: number;
  /** Waiters allowed behind the running holder of one session, across all instances (default 100). */
  maxWaitingPerSession?: number;
}

type Reply = [state: number, waiting: number];

interface LockCommands {
  msevTurnAcquire(
    key: string,
    token: string,
    leaseMs: number,
    maxWaiting: number,
    waiterTtlMs: number,
    retry: string,
    holder: string,
  ): Promise<Reply>;
  msevTurnTryAcquire(key: string, token: string, leaseMs: number, holder: string): Promise<number>;
  msevTurnHolder(key: string): Promise<string | null>;
  msevTurnRenew(key: string, token: string, leaseMs: number): Promise<number>;
  msevTurnRelease(key: string, token: string, channel: string): Promise<number>;
}

function withCommands(redis: Redis): Redis & LockCommands {
  const commands = redis as Redis & Partial<LockCommands>;
  if (!commands.msevTurnAcquire) {
    redis.defineCommand('msevTurnAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    redis.defineCommand('msevTurnTryAcquire', { numberOfKeys: 1, lua: TRY_ACQUIRE });
    redis.defineCommand('msevTurnHolder', { numberOfKeys: 1, lua: HOLDER });
    redis.defineCommand('msevTurnRenew', { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand('msevTurnRelease', { numberOfKeys: 1, lua: RELEASE });
  }
  return redis as Redis & LockCommands;
}

function unavailable(cause: unknown): ServiceError {
  return new ServiceError('AGENT_UNAVAILABLE', TURN_LOCK_UNAVAILABLE_MESSAGE, {
    cause,
    retryAfterSeconds: 1,
  });
}

/**
 * A turn lock shared by every instance through Redis. Holders renew their lease while the turn runs
 * and release it token-checked; waiters queue in arrival order in Redis (bounded per session), are
 * woken by a pub/sub message on release, and re-check on a short poll, which also keeps their place
 * alive, so a lost message or a dead waiter never stalls the queue for long.
 */
export function createRedisTurnLock(options: RedisTurnLockOptions) {
  const redis = withCommands(options.redis);
  const { subscriber, keyspace } = options;
  const log = options.logger.child({ component: 'turn-lock' });
  const ttlMs = options.ttlMs ?? DEFAULT_TURN_LOCK_TTL_MS;
  if (!Number.isInteger(ttlMs) || ttlMs < 100)
    throw new RangeError('ttlMs must be an integer of at least 100');
  const maxWaiting = options.maxWaitingPerSession ?? DEFAULT_MAX_WAITING_PER_SESSION;
  if (!Number.isInteger(maxWaiting) || maxWaiting < 0) {
    throw new RangeError('maxWaitingPerSession must be a non-negative integer');
  }
  const renewMs = Math.floor(ttlMs / 3);
  // Waiters re-check this often even without a message; a waiter silent for three polls lapses.
  const pollMs = Math.min(1_000, Math.max(20, Math.floor(ttlMs / 10)));
  const waiterTtlMs = pollMs * 3;
  const channel = `${keyspace.prefix}turn-released`;

  /** Local waiters by lock key, woken when any instance releases that key. */
  const waiters = new Map<string, Set<() => void>>();
  const leases = new Set<TurnLease>();
  let closed = false;

  const onMessage = (from: string, lockKey: string) => {
    if (from !== channel) return;
    const local = waiters.get(lockKey);
    if (local) for (const wake of [...local]) wake();
  };
  subscriber.on('message', onMessage);
  // ioredis re-subscribes by itself after a reconnect; this covers a connection not ready yet.
  const subscribe = () => {
    subscriber.subscribe(channel).catch((err: unknown) => {
      log.debug({ reason: err instanceof Error ? err.message : String(err) }, 'turn lock subscribe failed');
    });
  };
  if (subscriber.status === 'ready') subscribe();
  subscriber.on('ready', subscribe);

  function addWaiter(lockKey: string, wake: () => void): () => void {
    let set = waiters.get(lockKey);
    if (!set) {
      set = new Set();
      waiters.set(lockKey, set);
    }
    set.add(wake);
    return () => {
      const current = waiters.get(lockKey);
      if (!current) return;
      current.delete(wake);
      if (current.size === 0) waiters.delete(lockKey);
    };
  }

  async function giveBack(lockKey: string, token: string): Promise<void> {
    try {
      await redis.msevTurnRelease(lockKey, token, channel);
    } catch (err) {
      // Whatever the token held lapses by itself (lease or waiter expiry).
      log.warn(
        { reason: err instanceof Error ? err.message : String(err), ttl_ms: ttlMs },
        'could not release a turn lock; it expires by itself',
      );
    }
  }

  function lease(lockKey: string, token: string): TurnLease {
    const lost = new AbortController();
    let released = false;
    let renewedAt = Date.now();
    const renewal = setInterval(() => {
      redis.msevTurnRenew(lockKey, token, ttlMs).then(
        (held) => {
          if (held === 1) renewedAt = Date.now();
          else lose('the lease lapsed and was taken over');
        },
        (err: unknown) => {
          // Redis unreachable: the lease still stands until its last renewal runs out.
          if (Date.now() - renewedAt >= ttlMs) lose(err instanceof Error ? err.message : String(err));
        },
      );
    }, renewMs);
    // A turn keeps the process alive by itself; the renewal timer must not.
    renewal.unref();

    function lose(reason: string): void {
      if (released || lost.signal.aborted) return;
      clearInterval(renewal);
      log.warn({ reason }, 'turn lock lost while the turn was running');
      lost.abort(new ServiceError('AGENT_UNAVAILABLE', TURN_LOCK_LOST_MESSAGE, { retryAfterSeconds: 1 }));
    }

    const held: TurnLease = {
      lost: lost.signal,
      async release() {
        if (released) return;
        released = true;
        clearInterval(renewal);
        leases.delete(held);
        await giveBack(lockKey, token);
      },
    };
    leases.add(held);
    return held;
  }

  const lock = {
    acquire(key: SessionKey, acquireOptions: AcquireOptions = {}): Promise<TurnLease> {
      const { signal, onQueued } = acquireOptions;
      const holder = acquireOptions.holder ?? '';
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      if (closed) return Promise.reject(unavailable(new Error('turn lock closed')));
      const lockKey = keyspace.turnLock(key.tenantId, key.sessionId);
      const token = randomUUID();

      return new Promise<TurnLease>((resolve, reject) => {
        let settled = false;
        let inFlight = false;
        let again = false;
        let queued = false;
        let timer: NodeJS.Timeout | undefined;
        const removeWaiter = addWaiter(lockKey, () => attempt());

        function settle(): void {
          settled = true;
          clearTimeout(timer);
          removeWaiter();
          signal?.removeEventListener('abort', onAbort);
        }

        function onAbort(): void {
          if (settled) return;
          settle();
          reject(abortReason(signal as AbortSignal));
          // Sent after any acquire still in flight on the same connection, so it undoes that too.
          void giveBack(lockKey, token);
        }

        function attempt(): void {
          if (settled) return;
          if (inFlight) {
            again = true;
            return;
          }
          inFlight = true;
          clearTimeout(timer);
          redis
            .msevTurnAcquire(lockKey, token, ttlMs, maxWaiting, waiterTtlMs, queued ? '1' : '0', holder)
            .then(
              ([state, waiting]) => {
                inFlight = false;
                if (settled) {
                  if (state === 1) void giveBack(lockKey, token);
                  return;
                }
                if (state === 1) {
                  settle();
                  resolve(lease(lockKey, token));
                } else if (state === -1) {
                  settle();
                  reject(new TurnQueueFullError(waiting));
                } else {
                  if (!queued) onQueued?.();
                  queued = true;
                  if (again) {
                    again = false;
                    attempt();
                  } else {
                    timer = setTimeout(attempt, pollMs);
                  }
                }
              },
              (err: unknown) => {
                inFlight = false;
                if (settled) return;
                settle();
                if (queued) void giveBack(lockKey, token);
                reject(unavailable(err));
              },
            );
        }

        signal?.addEventListener('abort', onAbort, { once: true });
        attempt();
      });
    },

    async tryAcquire(key: SessionKey, tryOptions: TryAcquireOptions = {}): Promise<TurnLease | undefined> {
      if (closed) throw unavailable(new Error('turn lock closed'));
      const lockKey = keyspace.turnLock(key.tenantId, key.sessionId);
      const token = randomUUID();
      let granted: number;
      try {
        granted = await redis.msevTurnTryAcquire(lockKey, token, ttlMs, tryOptions.holder ?? '');
      } catch (err) {
        throw unavailable(err);
      }
      return granted === 1 ? lease(lockKey, token) : undefined;
    },

    async holder(key: SessionKey): Promise<string | undefined> {
      try {
        const name = await redis.msevTurnHolder(keyspace.turnLock(key.tenantId, key.sessionId));
        return name === null || name === '' ? undefined : name;
      } catch (err) {
        throw unavailable(err);
      }
    },

    /** Stops listening and gives back every lease still out (their turns are over by now). */
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      subscriber.off('message', onMessage);
      subscriber.off('ready', subscribe);
      await Promise.all([...leases].map((held) => held.release()));
      if (subscriber.status === 'ready') await subscriber.unsubscribe(channel).catch(() => undefined);
    },
  };
  return lock satisfies TurnLock;
}

export type RedisTurnLock = ReturnType<typeof createRedisTurnLock>;
