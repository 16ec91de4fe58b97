import { abortReason } from '../lib/abort.js';
import type { SessionKey } from '../sessions/types.js';
import { TurnQueueFullError } from './errors.js';
import {
  type AcquireOptions,
  DEFAULT_MAX_WAITING_PER_SESSION,
  NEVER_LOST,
  type TryAcquireOptions,
  type TurnLease,
  type TurnLock,
} from './turn-lock.js';

export interface MemoryTurnLockOptions {
  /** Waiters allowed behind the running holder of one session (default 100). */
  maxWaitingPerSession?: number;
}

interface Waiter {
  grant: () => void;
}

interface Queue {
  /** Whether a lease is out for the session. */
  held: boolean;
  /** The name of the lease out, when it has one. */
  holder?: string | undefined;
  /** In arrival order; a waiter that gave up is removed at once. */
  readonly waiters: Waiter[];
}

/** A lease of the in-process lock is never lost: nothing else can take the session. */
const NEVER = NEVER_LOST;

/**
 * In-process FIFO per session, for a single instance. Sessions without a holder or waiter hold no
 * state, so the map stays as small as the number of busy sessions.
 */
export function createMemoryTurnLock(options: MemoryTurnLockOptions = {}) {
  const maxWaiting = options.maxWaitingPerSession ?? DEFAULT_MAX_WAITING_PER_SESSION;
  if (!Number.isInteger(maxWaiting) || maxWaiting < 0) {
    throw new RangeError('maxWaitingPerSession must be a non-negative integer');
  }
  // Nested maps keep tenant and session ids apart without joining them into one string.
  const queues = new Map<string, Map<string, Queue>>();

  function queueOf(key: SessionKey): Queue | undefined {
    return queues.get(key.tenantId)?.get(key.sessionId);
  }

  function forget(key: SessionKey, queue: Queue): void {
    if (queue.held || queue.waiters.length > 0) return;
    const sessions = queues.get(key.tenantId);
    if (sessions?.get(key.sessionId) !== queue) return;
    sessions.delete(key.sessionId);
    if (sessions.size === 0) queues.delete(key.tenantId);
  }

  function lease(key: SessionKey, queue: Queue, holder: string | undefined): TurnLease {
    let released = false;
    queue.holder = holder;
    return {
      lost: NEVER,
      async release() {
        if (released) return;
        released = true;
        queue.holder = undefined;
        const next = queue.waiters.shift();
        if (next) next.grant();
        else {
          queue.held = false;
          forget(key, queue);
        }
      },
    };
  }

  function ensureQueue(key: SessionKey): Queue {
    const existing = queueOf(key);
    if (existing) return existing;
    const queue: Queue = { held: false, waiters: [] };
    let sessions = queues.get(key.tenantId);
    if (!sessions) {
      sessions = new Map();
      queues.set(key.tenantId, sessions);
    }
    sessions.set(key.sessionId, queue);
    return queue;
  }

  const lock = {
    acquire(key: SessionKey, acquireOptions: AcquireOptions = {}): Promise<TurnLease> {
      const { signal, holder } = acquireOptions;
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      const held = ensureQueue(key);
      if (!held.held) {
        held.held = true;
        return Promise.resolve(lease(key, held, holder));
      }
      if (held.waiters.length >= maxWaiting) {
        return Promise.reject(new TurnQueueFullError(held.waiters.length));
      }
      return new Promise<TurnLease>((resolve, reject) => {
        const onAbort = () => {
          const index = held.waiters.indexOf(waiter);
          if (index >= 0) held.waiters.splice(index, 1);
          reject(abortReason(signal as AbortSignal));
        };
        const waiter: Waiter = {
          grant: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve(lease(key, held, holder));
          },
        };
        held.waiters.push(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
        acquireOptions.onQueued?.();
      });
    },

    async tryAcquire(key: SessionKey, tryOptions: TryAcquireOptions = {}): Promise<TurnLease | undefined> {
      const queue = queueOf(key);
      // A session with a holder always has it here: a release hands the lease straight to the next.
      if (queue?.held) return undefined;
      const free = ensureQueue(key);
      free.held = true;
      return lease(key, free, tryOptions.holder);
    },

    async holder(key: SessionKey): Promise<string | undefined> {
      return queueOf(key)?.holder;
    },

    /** Turns waiting behind the running one on a session. */
    waitingOn(key: SessionKey): number {
      return queueOf(key)?.waiters.length ?? 0;
    },

    /** Sessions with a holder or waiters; drained sessions hold no state. */
    busySessions(): number {
      let count = 0;
      for (const sessions of queues.values()) count += sessions.size;
      return count;
    },

    async close(): Promise<void> {},
  };
  return lock satisfies TurnLock;
}

export type MemoryTurnLock = ReturnType<typeof createMemoryTurnLock>;
