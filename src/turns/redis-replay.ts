import type { Redis } from 'ioredis';
import { pause } from '../lib/abort.js';
import type { Keyspace } from '../redis/keys.js';
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

export interface RedisReplayOptions {
  client: Redis;
  keys: Keyspace;
  /** How long a finished turn stays readable (TURN_REPLAY_TTL_SECONDS). */
  ttlSeconds: number;
  /** Upper bound on a running turn's life (its deadline), so a turn whose instance died still expires. */
  runningTtlSeconds: number;
  maxEventsPerTurn?: number;
}

/** Events read per round trip. */
const BATCH = 200;
/** A follower polls the stream with waits growing from the first to the last of these. */
const POLL_MIN_MS = 20;
const POLL_MAX_MS = 200;

/**
 * Replay through Redis, readable from every instance: each turn's events are one stream (entry id
 * `0-<seq>`, so "after seq" is a plain exclusive range, capped with MAXLEN ~), its record one JSON
 * string. Followers poll with short, bounded waits on the shared connection instead of holding a
 * blocking XREAD (which would need a connection of its own per follower).
 */
export function createRedisReplayStore(options: RedisReplayOptions) {
  const { client, keys } = options;
  const cap = options.maxEventsPerTurn ?? MAX_EVENTS_PER_TURN;
  const recordKey = (key: TurnKey) => keys.key('turn', key.tenantId, key.sessionId, key.turnId);
  const eventsKey = (key: TurnKey) => keys.key('turn-events', key.tenantId, key.sessionId, key.turnId);

  async function get(key: TurnKey): Promise<TurnRecord | undefined> {
    const raw = await client.get(recordKey(key));
    return raw === null ? undefined : (JSON.parse(raw) as TurnRecord);
  }

  async function range(key: TurnKey, afterSeq: number): Promise<{ events: ReplayEvent[]; last: boolean }> {
    const entries = await client.xrange(eventsKey(key), `(0-${afterSeq}`, '+', 'COUNT', BATCH);
    let last = false;
    const events: ReplayEvent[] = [];
    for (const [id, fields] of entries) {
      const seq = Number(id.slice(2));
      let data: Record<string, unknown> | undefined;
      for (let i = 0; i + 1 < fields.length; i += 2) {
        if (fields[i] === 'e') data = JSON.parse(fields[i + 1] ?? 'null') as Record<string, unknown>;
        else if (fields[i] === 'l' && fields[i + 1] === '1') last = true;
      }
      if (data) events.push({ seq, data });
    }
    return { events, last };
  }

  const store = {
    async begin(record: TurnRecord): Promise<void> {
      await client.set(recordKey(record), JSON.stringify(record), 'EX', options.runningTtlSeconds);
    },

    async reopen(record: TurnRecord): Promise<void> {
      await client
        .multi()
        .set(recordKey(record), JSON.stringify(record), 'EX', options.runningTtlSeconds)
        .expire(eventsKey(record), options.runningTtlSeconds)
        .exec();
    },

    async append(key: TurnKey, event: ReplayEvent, last: boolean): Promise<void> {
      const stream = eventsKey(key);
      const pipeline = client
        .multi()
        .xadd(
          stream,
          'MAXLEN',
          '~',
          cap,
          `0-${event.seq}`,
          'e',
          JSON.stringify(event.data),
          'l',
          last ? '1' : '0',
        );
      if (event.seq === 1) pipeline.expire(stream, options.runningTtlSeconds);
      if (last) pipeline.expire(stream, options.ttlSeconds);
      await pipeline.exec();
    },

    async finish(key: TurnKey, outcome: TurnOutcome): Promise<void> {
      const current = await get(key);
      if (!current) return;
      const record: TurnRecord = { ...current, ...outcome, endedAt: new Date().toISOString() };
      await client
        .multi()
        .set(recordKey(key), JSON.stringify(record), 'EX', options.ttlSeconds)
        .expire(eventsKey(key), options.ttlSeconds)
        .exec();
    },

    get,

    async read(key: TurnKey, afterSeq: number, readOptions: ReadOptions): Promise<ReadResult> {
      const deadline = Date.now() + readOptions.waitMs;
      let wait = POLL_MIN_MS;
      for (;;) {
        const { events, last } = await range(key, afterSeq);
        // Only the final entry carries the flag, so seeing it means this batch reached the end.
        if (last) return { events, ended: true };
        // A partial batch reached the end of the stream: a turn paused for approval sends no last
        // event, so its status says whether more may come.
        if (events.length >= BATCH) return { events, ended: false };
        const record = await get(key);
        if (record?.status !== 'running') {
          // Written after its events: whatever came between the two reads is in the stream now.
          const more = await range(key, events.at(-1)?.seq ?? afterSeq);
          return { events: [...events, ...more.events], ended: more.events.length < BATCH };
        }
        if (events.length > 0) return { events, ended: false };
        const left = deadline - Date.now();
        if (left <= 0 || readOptions.signal?.aborted) return { events, ended: false };
        await pause(Math.min(wait, left), readOptions.signal);
        wait = Math.min(wait * 2, POLL_MAX_MS);
      }
    },

    async close(): Promise<void> {},
  };
  return store satisfies TurnReplayStore;
}
