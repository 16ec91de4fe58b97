import {
  MAX_EVENTS_PER_TURN,
  type ReadOptions,
  type ReadResult,
  type ReplayEvent,
  type TurnKey,
  type TurnOutcome,
  type TurnRecord,
  type TurnReplayStore,
} from './replay.js';

export interface MemoryReplayOptions {
  /** How long a finished turn stays readable (TURN_REPLAY_TTL_SECONDS). */
  ttlSeconds: number;
  maxEventsPerTurn?: number;
  /** Events kept over all turns; the oldest finished turns go first when it is reached. */
  maxEventsTotal?: number;
}

interface Entry {
  record: TurnRecord;
  events: ReplayEvent[];
  ended: boolean;
  waiters: Set<() => void>;
  expiry?: NodeJS.Timeout;
}

/** The replay buffer of one instance: turns in insertion order, so the oldest are evicted first. */
export function createMemoryReplayStore(options: MemoryReplayOptions) {
  const perTurn = options.maxEventsPerTurn ?? MAX_EVENTS_PER_TURN;
  const total = options.maxEventsTotal ?? 200_000;
  // Nested maps keep tenant, session and turn ids apart without joining them into one string.
  const turns = new Map<string, Map<string, Map<string, Entry>>>();
  /** Every entry in the order it began, for eviction. */
  const order = new Set<Entry>();
  let eventCount = 0;

  function find(key: TurnKey): Entry | undefined {
    return turns.get(key.tenantId)?.get(key.sessionId)?.get(key.turnId);
  }

  function remove(entry: Entry): void {
    const { tenantId, sessionId, turnId } = entry.record;
    const sessions = turns.get(tenantId);
    const session = sessions?.get(sessionId);
    if (session?.get(turnId) !== entry) return;
    session.delete(turnId);
    if (session.size === 0) sessions?.delete(sessionId);
    if (sessions?.size === 0) turns.delete(tenantId);
    order.delete(entry);
    eventCount -= entry.events.length;
    clearTimeout(entry.expiry);
    wake(entry);
  }

  function wake(entry: Entry): void {
    for (const waiter of entry.waiters) waiter();
    entry.waiters.clear();
  }

  /** Finished turns make room first; a running turn loses its oldest events only when none is left. */
  function makeRoom(): void {
    for (const entry of order) {
      if (eventCount <= total) return;
      if (entry.ended) remove(entry);
    }
    for (const entry of order) {
      if (eventCount <= total) return;
      const drop = Math.min(entry.events.length, eventCount - total);
      entry.events.splice(0, drop);
      eventCount -= drop;
    }
  }

  const store = {
    async begin(record: TurnRecord): Promise<void> {
      const existing = find(record);
      if (existing) remove(existing);
      const entry: Entry = { record: { ...record }, events: [], ended: false, waiters: new Set() };
      let sessions = turns.get(record.tenantId);
      if (!sessions) {
        sessions = new Map();
        turns.set(record.tenantId, sessions);
      }
      let session = sessions.get(record.sessionId);
      if (!session) {
        session = new Map();
        sessions.set(record.sessionId, session);
      }
      session.set(record.turnId, entry);
      order.add(entry);
    },

    async reopen(record: TurnRecord): Promise<void> {
      const entry = find(record);
      if (!entry) return store.begin(record);
      clearTimeout(entry.expiry);
      delete entry.expiry;
      entry.record = { ...record };
      entry.ended = false;
    },

    async append(key: TurnKey, event: ReplayEvent, last: boolean): Promise<void> {
      const entry = find(key);
      if (!entry || entry.ended) return;
      entry.events.push(event);
      eventCount += 1;
      if (entry.events.length > perTurn) {
        entry.events.shift();
        eventCount -= 1;
      }
      if (last) entry.ended = true;
      if (eventCount > total) makeRoom();
      wake(entry);
    },

    async finish(key: TurnKey, outcome: TurnOutcome): Promise<void> {
      const entry = find(key);
      if (!entry) return;
      entry.record = { ...entry.record, ...outcome, endedAt: new Date().toISOString() };
      entry.ended = true;
      clearTimeout(entry.expiry);
      entry.expiry = setTimeout(() => remove(entry), options.ttlSeconds * 1000);
      entry.expiry.unref();
      wake(entry);
    },

    async get(key: TurnKey): Promise<TurnRecord | undefined> {
      const entry = find(key);
      return entry ? { ...entry.record } : undefined;
    },

    async read(key: TurnKey, afterSeq: number, readOptions: ReadOptions): Promise<ReadResult> {
      const entry = find(key);
      if (!entry) return { events: [], ended: true };
      const after = () => entry.events.filter((event) => event.seq > afterSeq);
      let events = after();
      if (events.length === 0 && !entry.ended && readOptions.waitMs > 0 && !readOptions.signal?.aborted) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            readOptions.signal?.removeEventListener('abort', done);
            entry.waiters.delete(done);
            resolve();
          };
          const timer = setTimeout(done, readOptions.waitMs);
          readOptions.signal?.addEventListener('abort', done, { once: true });
          entry.waiters.add(done);
        });
        events = after();
      }
      const lastSent = entry.events.at(-1)?.seq ?? 0;
      const ended = entry.ended && (events.at(-1)?.seq ?? afterSeq) >= lastSent;
      return { events, ended };
    },

    /** Turns held (tests and metrics). */
    size(): number {
      return order.size;
    },

    async close(): Promise<void> {
      for (const entry of [...order]) remove(entry);
    },
  };
  return store satisfies TurnReplayStore;
}
