import type { Usage } from '../agent/types.js';
import { flatString } from '../lib/flat-string.js';
import { offsetMs } from '../lib/time-offset.js';
import type { ToolCallRecord } from '../sessions/types.js';

/** How the first turn of a key ended, as a repeated request returns it. */
export type IdempotentOutcome =
  | {
      kind: 'completed';
      answer: string;
      messageCount: number;
      toolCalls: ToolCallRecord[];
      usage?: Usage;
      timestamp: string;
    }
  | { kind: 'failed'; code: string; message: string }
  /** Paused for approvals (until the resumed turn stores its own outcome here). */
  | {
      kind: 'awaiting_approval';
      answer: string;
      messageCount: number;
      toolCalls: ToolCallRecord[];
      timestamp: string;
      pendingApprovals: Array<{ call_id: string; name: string; arguments: unknown; expires_at: string }>;
    };

/** One Idempotency-Key of one tenant: the request it was first used with and the turn that ran. */
export interface IdempotencyRecord {
  /** Hash of the first request's body: another body with the same key is refused. */
  bodyHash: string;
  turnId: string;
  sessionId: string;
  /** Absent while the turn runs. */
  outcome?: IdempotentOutcome;
}

export type ClaimResult = { claimed: true } | { claimed: false; record: IdempotencyRecord };

/**
 * Remembers which turn an Idempotency-Key started, per tenant, so that a retried request never runs
 * the turn (and its tools) again. `claim` is atomic: of two concurrent requests with one key, exactly
 * one gets `claimed: true`.
 */
export interface IdempotencyStore {
  /**
   * Takes the key for a new turn, or returns who has it. A claim whose turn never completes expires
   * after `runningTtlSeconds`, so a crashed instance does not hold the key for a day.
   */
  claim(
    tenantId: string,
    key: string,
    record: IdempotencyRecord,
    runningTtlSeconds: number,
  ): Promise<ClaimResult>;
  /** Stores the turn's outcome; kept IDEMPOTENCY_TTL_HOURS from now. */
  complete(tenantId: string, key: string, outcome: IdempotentOutcome): Promise<void>;
  /** Gives the key up (the turn did nothing a retry could repeat), so a retry runs again. */
  release(tenantId: string, key: string): Promise<void>;
  get(tenantId: string, key: string): Promise<IdempotencyRecord | undefined>;
  close(): Promise<void>;
}

/** A record as its JSON text (what the other engines store too), and when it expires. */
interface Entry {
  packed: string;
  /** Milliseconds since the store's `epoch` (`offsetMs`: a small integer, kept inside the entry). */
  expiresAt: number;
}

export interface MemoryIdempotencyOptions {
  ttlSeconds: number;
  /** Keys kept at most over all tenants; the oldest go first (default 100 000). */
  maxKeys?: number;
  now?: () => number;
}

/**
 * One instance: a map in insertion order, so the oldest keys are dropped first when it is full. A
 * record is kept as one flat JSON string, a fraction of its objects' size for the day it is kept, and
 * every read gets a fresh copy of it, as from the other engines.
 */
export function createMemoryIdempotencyStore(options: MemoryIdempotencyOptions) {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 100_000;
  const epoch = Math.floor(now());
  // JSON of the pair keeps tenant and key apart whatever characters they contain.
  const entries = new Map<string, Entry>();
  const id = (tenantId: string, key: string) => JSON.stringify([tenantId, key]);
  const pack = (record: IdempotencyRecord) => flatString(JSON.stringify(record));
  const unpack = (entry: Entry) => JSON.parse(entry.packed) as IdempotencyRecord;

  function live(tenantId: string, key: string): Entry | undefined {
    const entry = entries.get(id(tenantId, key));
    if (entry && entry.expiresAt <= now() - epoch) {
      entries.delete(id(tenantId, key));
      return undefined;
    }
    return entry;
  }

  const store = {
    async claim(tenantId: string, key: string, record: IdempotencyRecord, runningTtlSeconds: number) {
      const existing = live(tenantId, key);
      if (existing) return { claimed: false as const, record: unpack(existing) };
      entries.set(id(tenantId, key), {
        packed: pack(record),
        expiresAt: offsetMs(now() + runningTtlSeconds * 1000, epoch),
      });
      while (entries.size > maxKeys) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
      return { claimed: true as const };
    },
    async complete(tenantId: string, key: string, outcome: IdempotentOutcome) {
      const entry = live(tenantId, key);
      if (!entry) return;
      entry.packed = pack({ ...unpack(entry), outcome });
      entry.expiresAt = offsetMs(now() + options.ttlSeconds * 1000, epoch);
    },
    async release(tenantId: string, key: string) {
      entries.delete(id(tenantId, key));
    },
    async get(tenantId: string, key: string) {
      const entry = live(tenantId, key);
      return entry ? unpack(entry) : undefined;
    },
    async close() {
      entries.clear();
    },
  };
  return store satisfies IdempotencyStore;
}
