import type { SessionKey } from '../sessions/types.js';

/**
 * The `lost` of a lease that can never be lost (the in-process lock): holders need not listen to it.
 * It never aborts.
 */
export const NEVER_LOST: AbortSignal = new AbortController().signal;

/** Held while one turn (or a session delete) runs; every other holder of the same session waits. */
export interface TurnLease {
  /**
   * Aborts when the lock can no longer be guaranteed (a shared lock that could not be renewed). The
   * holder should stop: another turn may start on the session once the lock has expired.
   */
  readonly lost: AbortSignal;
  /** Lets the next waiter in. Idempotent; never throws. */
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** Stops waiting: the returned promise rejects with the signal's reason and the queue moves on. */
  signal?: AbortSignal;
  /**
   * Names the holder (a turn id) while its lease is out, so that others can tell which turn runs on
   * the session (`holder`), e.g. to interrupt it.
   */
  holder?: string;
  /**
   * Called once the caller holds its place in the queue behind the running holder; not when it got
   * the lock at once, nor when it was refused (queue full) or gave up first.
   */
  onQueued?: () => void;
}

export type TryAcquireOptions = Pick<AcquireOptions, 'holder'>;

/**
 * Serialises turns on one session in arrival order. Waiting is bounded: when too many are already
 * queued on one session, `acquire` rejects with TurnQueueFullError at once.
 */
export interface TurnLock {
  acquire(key: SessionKey, options?: AcquireOptions): Promise<TurnLease>;
  /**
   * Takes the lock only when nobody holds it or waits for it; undefined otherwise. Never queues, so
   * it answers at once.
   */
  tryAcquire(key: SessionKey, options?: TryAcquireOptions): Promise<TurnLease | undefined>;
  /** The `holder` name of the lease out on the session now; undefined when free or held unnamed. */
  holder(key: SessionKey): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Turns allowed to wait behind the running one on a single session before new ones are refused. */
export const DEFAULT_MAX_WAITING_PER_SESSION = 100;

/**
 * Runs `work` while holding the session's lock, releasing it however `work` ends. `work` gets the
 * lease's `lost` signal.
 */
export async function runExclusive<T>(
  lock: TurnLock,
  key: SessionKey,
  work: (lost: AbortSignal) => Promise<T> | T,
  options: AcquireOptions = {},
): Promise<T> {
  const lease = await lock.acquire(key, options);
  try {
    return await work(lease.lost);
  } finally {
    await lease.release();
  }
}
