import type { Usage } from '../agent/types.js';
import { packId, unpackId } from '../lib/compact-id.js';
import { flatString } from '../lib/flat-string.js';
import { offsetMs } from '../lib/time-offset.js';
import type { ToolCallRecord } from '../sessions/types.js';
import {
  MAX_EVENTS_PER_TURN,
  type ReadOptions,
  type ReadResult,
  type ReplayEvent,
  type TurnKey,
  type TurnOutcome,
  type TurnRecord,
  type TurnReplayStore,
  type TurnStatus,
} from './replay.js';

export interface MemoryReplayOptions {
  /** How long a finished turn stays readable (TURN_REPLAY_TTL_SECONDS). */
  ttlSeconds: number;
  maxEventsPerTurn?: number;
  /** Events kept over all turns; the oldest finished turns go first when it is reached. */
  maxEventsTotal?: number;
  /** Epoch milliseconds; injectable so tests control time. */
  now?: () => number;
  /** How often expired turns are released; defaults to min(60 s, TTL). */
  sweepIntervalMs?: number;
}

/** A turn still running: its record and events as they were given. */
interface Running extends TurnKey {
  readonly finished: false;
  /** Another turn with the same turn id under another tenant or session (rare: ids are UUIDs). */
  next: Slot | undefined;
  removed: boolean;
  record: TurnRecord;
  events: ReplayEvent[];
  /** The last event (`done` or `error`) has been appended. */
  ended: boolean;
  waiters: Array<() => void> | undefined;
}

/**
 * A finished turn, compacted: one JSON string with the record and an encoding of its events (a
 * token is its length within the answer, a tool call or result refers to the record's tool calls,
 * `done` to the record) and the answer, so that the token strings the answer was built from are
 * released.
 * Decoded only when a client asks for the turn's status or events, which is rare.
 */
interface Finished extends TurnKey {
  readonly finished: true;
  next: Slot | undefined;
  removed: boolean;
  readonly packed: string;
  readonly eventCount: number;
  /** Milliseconds since the store's `epoch` (`offsetMs`: a small integer, kept inside the object). */
  readonly expiresAt: number;
}

/**
 * Many thousands are held (one per turn of the last TURN_REPLAY_TTL_SECONDS), so `finished` and
 * `removed` live on the prototype rather than in each: a removed turn lets go of its text at once,
 * and no kept one has an empty text.
 */
class FinishedSlot implements Finished {
  readonly tenantId: string;
  readonly sessionId: string;
  readonly turnId: string;
  next: Slot | undefined = undefined;
  packed: string;
  readonly eventCount: number;
  readonly expiresAt: number;

  constructor(key: TurnKey, packed: string, eventCount: number, expiresAt: number) {
    this.tenantId = key.tenantId;
    this.sessionId = key.sessionId;
    this.turnId = key.turnId;
    this.packed = packed;
    this.eventCount = eventCount;
    this.expiresAt = expiresAt;
  }

  get finished(): true {
    return true;
  }

  get removed(): boolean {
    return this.packed === '';
  }

  /** Once removed, for good. */
  set removed(removed: boolean) {
    if (removed) this.packed = '';
  }
}

type Slot = Running | Finished;

/**
 * `packed`: [status, requestId, owner, startedAt, endedAt, usage, toolCalls, firstSeq, items, text,
 * message]
 * where the status is its index in STATUSES, the request id as `packId` gives it, a time is epoch milliseconds when that gives back the
 * same ISO string (`endedAt` then as milliseconds after `startedAt`), usage is
 * [prompt_tokens, completion_tokens, total_tokens] when it has just those (else as it is), a tool call
 * is [id, name, arguments, status, duration_ms], `text` is null when the tokens spell the answer, and
 * an item is one event: a number (a token of that many characters of the text), "c<k>" / "r<k>"
 * (tool_call / tool_result of tool call k), ["d", message_count] (`done`), or the event's data as it
 * was.
 */
type PackedCall = [string, string, unknown, ToolCallRecord['status'], number];
type PackedItem = number | string | ['d', number] | Record<string, unknown>;
type Packed = [
  number | TurnStatus,
  string,
  string | null,
  string | number,
  string | number | null,
  [number, number, number] | Usage | null,
  PackedCall[],
  number,
  PackedItem[],
  string | null,
  string | null,
];

const STATUSES: readonly TurnStatus[] = [
  'running',
  'awaiting_approval',
  'completed',
  'failed',
  'cancelled',
  'interrupted',
];
const USAGE_KEYS = ['prompt_tokens', 'completion_tokens', 'total_tokens'];
const TOKEN_KEYS = ['type', 'content', 'session_id'];
const TOOL_CALL_KEYS = ['type', 'id', 'name', 'arguments', 'session_id'];
const TOOL_RESULT_KEYS = ['type', 'id', 'name', 'status', 'session_id'];
const DONE_KEYS = ['type', 'turn_id', 'session_id', 'message_count', 'request_id'];
const DONE_KEYS_WITH_USAGE = [...DONE_KEYS, 'usage'];

function hasKeys(data: Record<string, unknown>, keys: readonly string[]): boolean {
  let i = 0;
  for (const name in data) {
    if (!Object.hasOwn(data, name)) return false;
    if (keys[i] !== name) return false;
    i += 1;
  }
  return i === keys.length;
}

const sameJson = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

/** An ISO time as epoch milliseconds, when that is exactly what it turns back into. */
function packTime(iso: string): string | number {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) && new Date(ms).toISOString() === iso ? ms : iso;
}

const unpackTime = (time: string | number) =>
  typeof time === 'number' ? new Date(time).toISOString() : time;

const smallInteger = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && !Object.is(n, -0);

function packUsage(usage: Usage): [number, number, number] | Usage {
  const { prompt_tokens, completion_tokens, total_tokens } = usage;
  return hasKeys(usage as unknown as Record<string, unknown>, USAGE_KEYS) &&
    smallInteger(prompt_tokens) &&
    smallInteger(completion_tokens) &&
    smallInteger(total_tokens)
    ? [prompt_tokens, completion_tokens, total_tokens]
    : usage;
}

function unpackUsage(usage: [number, number, number] | Usage): Usage {
  if (!Array.isArray(usage)) return usage;
  const [prompt_tokens, completion_tokens, total_tokens] = usage;
  return { prompt_tokens, completion_tokens, total_tokens };
}

/** Encodes a finished turn; every event decodes to what was appended (checked field by field). */
function pack(record: TurnRecord, events: readonly ReplayEvent[]): string {
  const { sessionId, turnId } = record;
  const calls = record.toolCalls;
  const callIndex = (id: unknown) => calls.findIndex((c) => c.id === id);
  const items: PackedItem[] = [];
  let text = '';
  for (const { data } of events) {
    const type = data.type;
    if (type === 'token' && typeof data.content === 'string' && data.session_id === sessionId) {
      if (hasKeys(data, TOKEN_KEYS)) {
        text += data.content;
        items.push(data.content.length);
        continue;
      }
    } else if ((type === 'tool_call' || type === 'tool_result') && data.session_id === sessionId) {
      const k = callIndex(data.id);
      const call = calls[k];
      if (
        call &&
        call.name === data.name &&
        (type === 'tool_call'
          ? hasKeys(data, TOOL_CALL_KEYS) && sameJson(call.arguments, data.arguments)
          : hasKeys(data, TOOL_RESULT_KEYS) && call.status === data.status)
      ) {
        items.push(`${type === 'tool_call' ? 'c' : 'r'}${k}`);
        continue;
      }
    } else if (
      type === 'done' &&
      data.turn_id === turnId &&
      data.session_id === sessionId &&
      data.request_id === record.requestId &&
      typeof data.message_count === 'number' &&
      (record.usage === undefined
        ? hasKeys(data, DONE_KEYS)
        : hasKeys(data, DONE_KEYS_WITH_USAGE) && sameJson(record.usage, data.usage))
    ) {
      items.push(['d', data.message_count]);
      continue;
    }
    items.push(data);
  }
  const message = record.message;
  const startedAt = packTime(record.startedAt);
  let endedAt = record.endedAt === undefined ? null : packTime(record.endedAt);
  if (typeof endedAt === 'number')
    endedAt = typeof startedAt === 'number' ? endedAt - startedAt : (record.endedAt as string);
  const status = STATUSES.indexOf(record.status);
  const packed: Packed = [
    status < 0 ? record.status : status,
    packId(record.requestId),
    record.owner ?? null,
    startedAt,
    endedAt,
    record.usage === undefined ? null : packUsage(record.usage),
    calls.map((c) => [c.id, c.name, c.arguments, c.status, c.duration_ms]),
    events[0]?.seq ?? 1,
    items,
    text === (message ?? '') ? null : text,
    message ?? null,
  ];
  return flatString(JSON.stringify(packed));
}

function unpack(slot: Finished): { record: TurnRecord; events: ReplayEvent[] } {
  const [
    statusIndex,
    packedRequestId,
    owner,
    startedAt,
    endedAt,
    packedUsage,
    packedCalls,
    firstSeq,
    items,
    stored,
    message,
  ] = JSON.parse(slot.packed) as Packed;
  const requestId = unpackId(packedRequestId);
  const status = typeof statusIndex === 'number' ? (STATUSES[statusIndex] as TurnStatus) : statusIndex;
  const usage = packedUsage === null ? null : unpackUsage(packedUsage);
  const { tenantId, sessionId, turnId } = slot;
  const toolCalls: ToolCallRecord[] = packedCalls.map(([id, name, args, callStatus, durationMs]) => ({
    id,
    name,
    arguments: args,
    status: callStatus,
    duration_ms: durationMs,
  }));
  const record: TurnRecord = {
    turnId,
    tenantId,
    sessionId,
    status,
    requestId,
    ...(owner !== null ? { owner } : {}),
    startedAt: unpackTime(startedAt),
    ...(endedAt !== null
      ? { endedAt: unpackTime(typeof endedAt === 'number' ? (startedAt as number) + endedAt : endedAt) }
      : {}),
    ...(message !== null ? { message } : {}),
    toolCalls,
    ...(usage !== null ? { usage } : {}),
  };
  const text = stored ?? message ?? '';
  let at = 0;
  const events = items.map((item, i): ReplayEvent => {
    const seq = firstSeq + i;
    if (typeof item === 'number') {
      const content = text.slice(at, at + item);
      at += item;
      return { seq, data: { type: 'token', content, session_id: sessionId } };
    }
    if (typeof item === 'string') {
      const call = toolCalls[Number(item.slice(1))] as ToolCallRecord;
      return {
        seq,
        data:
          item[0] === 'c'
            ? {
                type: 'tool_call',
                id: call.id,
                name: call.name,
                arguments: call.arguments,
                session_id: sessionId,
              }
            : {
                type: 'tool_result',
                id: call.id,
                name: call.name,
                status: call.status,
                session_id: sessionId,
              },
      };
    }
    if (Array.isArray(item)) {
      return {
        seq,
        data: {
          type: 'done',
          turn_id: turnId,
          session_id: sessionId,
          message_count: item[1],
          request_id: requestId,
          ...(usage !== null ? { usage } : {}),
        },
      };
    }
    return { seq, data: item };
  });
  return { record, events };
}

/**
 * The replay buffer of one instance. A running turn keeps its events as they come; a finished one is
 * compacted into one string (see `Finished`) and expires TURN_REPLAY_TTL_SECONDS after its end,
 * checked whenever it is looked up and swept by one timer for the whole store (none per turn).
 */
export function createMemoryReplayStore(options: MemoryReplayOptions) {
  const perTurn = options.maxEventsPerTurn ?? MAX_EVENTS_PER_TURN;
  const total = options.maxEventsTotal ?? 200_000;
  const ttlMs = options.ttlSeconds * 1000;
  const now = options.now ?? (() => Date.now());
  const epoch = Math.floor(now());
  // Turn ids are UUIDs: keyed by them alone, with the rare clash of two keys chained in the slot.
  const turns = new Map<string, Slot>();
  /** Finished turns in the order they finished (so by expiry); removed ones are skipped. */
  let finishedQueue: Finished[] = [];
  let head = 0;
  let eventCount = 0;
  let turnCount = 0;

  const sameKey = (slot: Slot, key: TurnKey) =>
    slot.tenantId === key.tenantId && slot.sessionId === key.sessionId;

  function find(key: TurnKey): Slot | undefined {
    let slot = turns.get(key.turnId);
    while (slot && !sameKey(slot, key)) slot = slot.next;
    if (slot?.finished && slot.expiresAt <= now() - epoch) {
      remove(slot);
      return undefined;
    }
    return slot;
  }

  function insert(slot: Slot): void {
    const first = turns.get(slot.turnId);
    if (first) slot.next = first;
    turns.set(slot.turnId, slot);
  }

  /** Puts `replacement` where `slot` was (a running turn that finished). */
  function replace(slot: Slot, replacement: Slot): void {
    replacement.next = slot.next;
    const first = turns.get(slot.turnId);
    if (first === slot) turns.set(slot.turnId, replacement);
    else {
      let prev = first;
      while (prev && prev.next !== slot) prev = prev.next;
      if (prev) prev.next = replacement;
    }
    slot.removed = true;
  }

  function remove(slot: Slot): void {
    if (slot.removed) return;
    slot.removed = true;
    const id = slot.turnId;
    const first = turns.get(id);
    if (first === slot) {
      if (slot.next) turns.set(id, slot.next);
      else turns.delete(id);
    } else {
      let prev = first;
      while (prev && prev.next !== slot) prev = prev.next;
      if (prev) prev.next = slot.next;
    }
    turnCount -= 1;
    eventCount -= slot.finished ? slot.eventCount : slot.events.length;
    if (!slot.finished) wake(slot);
  }

  function wake(slot: Running): void {
    const waiters = slot.waiters;
    if (!waiters) return;
    slot.waiters = undefined;
    for (const waiter of waiters) waiter();
  }

  /** Drops removed turns from the front of the queue, and the expired ones (all of them, in order). */
  function sweep(at: number): void {
    while (head < finishedQueue.length) {
      const slot = finishedQueue[head] as Finished;
      if (!slot.removed && slot.expiresAt > at - epoch) break;
      remove(slot);
      head += 1;
    }
    compactQueue();
  }

  function compactQueue(): void {
    if (head > 1024 && head * 2 > finishedQueue.length) {
      finishedQueue = finishedQueue.slice(head);
      head = 0;
    }
  }

  /** Finished turns make room first; a running turn loses its oldest events only when none is left. */
  function makeRoom(): void {
    while (eventCount > total && head < finishedQueue.length) {
      remove(finishedQueue[head] as Finished);
      head += 1;
    }
    compactQueue();
    if (eventCount <= total) return;
    for (const first of turns.values()) {
      for (let slot: Slot | undefined = first; slot; slot = slot.next) {
        if (eventCount <= total) return;
        if (slot.finished) continue;
        const drop = Math.min(slot.events.length, eventCount - total);
        slot.events.splice(0, drop);
        eventCount -= drop;
      }
    }
  }

  function finishSlot(slot: Running, record: TurnRecord): void {
    const packed = pack(record, slot.events);
    const finished = new FinishedSlot(slot, packed, slot.events.length, offsetMs(now() + ttlMs, epoch));
    replace(slot, finished);
    finishedQueue.push(finished);
    wake(slot);
  }

  /** A running turn's slot, for the turn that `ids` name. */
  function runningTurn(
    ids: { tenantId: string; sessionId: string; turnId: string },
    record: TurnRecord,
    events: ReplayEvent[],
    ended: boolean,
  ): Running {
    const { tenantId, sessionId, turnId } = ids;
    return {
      finished: false,
      tenantId,
      sessionId,
      turnId,
      next: undefined,
      removed: false,
      record,
      events,
      ended,
      waiters: undefined,
    };
  }

  /** A finished turn running again (a paused one resumed) or about to be finished anew, in its place. */
  function unfinish(slot: Finished, record: TurnRecord, events: ReplayEvent[], ended: boolean): Running {
    const running = runningTurn(slot, record, events, ended);
    replace(slot, running);
    return running;
  }

  // Node turns delays above 2^31-1 ms into 1 ms, which would make the sweeper spin.
  const sweepIntervalMs = Math.min(
    2_147_483_647,
    options.sweepIntervalMs ?? Math.max(1000, Math.min(60_000, ttlMs)),
  );
  const sweeper = setInterval(() => sweep(now()), sweepIntervalMs);
  // Housekeeping only: it must never be what keeps the process from exiting.
  sweeper.unref();

  const store = {
    async begin(record: TurnRecord): Promise<void> {
      sweep(now());
      const existing = find(record);
      if (existing) remove(existing);
      insert(runningTurn(record, { ...record }, [], false));
      turnCount += 1;
    },

    async reopen(record: TurnRecord): Promise<void> {
      const slot = find(record);
      if (!slot) return store.begin(record);
      if (!slot.finished) {
        slot.record = { ...record };
        slot.ended = false;
        return;
      }
      // A paused turn goes on: unpacked again, and no longer due to expire.
      unfinish(slot, { ...record }, unpack(slot).events, false);
    },

    async append(key: TurnKey, event: ReplayEvent, last: boolean): Promise<void> {
      const slot = find(key);
      if (!slot || slot.finished || slot.ended) return;
      slot.events.push(event);
      eventCount += 1;
      if (slot.events.length > perTurn) {
        slot.events.shift();
        eventCount -= 1;
      }
      if (last) slot.ended = true;
      if (eventCount > total) makeRoom();
      wake(slot);
    },

    async finish(key: TurnKey, outcome: TurnOutcome): Promise<void> {
      const slot = find(key);
      if (!slot) return;
      const endedAt = new Date(now()).toISOString();
      if (slot.finished) {
        // Finished twice: the later outcome wins, as it would on a running record.
        const { record, events } = unpack(slot);
        finishSlot(unfinish(slot, record, events, true), { ...record, ...outcome, endedAt });
        return;
      }
      finishSlot(slot, { ...slot.record, ...outcome, endedAt });
    },

    async get(key: TurnKey): Promise<TurnRecord | undefined> {
      const slot = find(key);
      if (!slot) return undefined;
      return slot.finished ? unpack(slot).record : { ...slot.record };
    },

    async read(key: TurnKey, afterSeq: number, readOptions: ReadOptions): Promise<ReadResult> {
      let slot = find(key);
      if (!slot) return { events: [], ended: true };
      if (!slot.finished && !slot.ended && readOptions.waitMs > 0 && !readOptions.signal?.aborted) {
        const running = slot;
        if (!running.events.some((event) => event.seq > afterSeq)) {
          await new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              readOptions.signal?.removeEventListener('abort', done);
              const at = running.waiters?.indexOf(done) ?? -1;
              if (at >= 0) running.waiters?.splice(at, 1);
              resolve();
            };
            const timer = setTimeout(done, readOptions.waitMs);
            readOptions.signal?.addEventListener('abort', done, { once: true });
            running.waiters ??= [];
            running.waiters.push(done);
          });
          // It may have finished (and been compacted) or gone meanwhile.
          slot = find(key);
          if (!slot) return { events: [], ended: true };
        }
      }
      const all = slot.finished ? unpack(slot).events : slot.events;
      const events = all.filter((event) => event.seq > afterSeq);
      const ended = slot.finished || slot.ended;
      const lastSent = all.at(-1)?.seq ?? 0;
      return { events, ended: ended && (events.at(-1)?.seq ?? afterSeq) >= lastSent };
    },

    /** Turns held (tests and metrics). */
    size(): number {
      return turnCount;
    },

    async close(): Promise<void> {
      clearInterval(sweeper);
      for (const first of [...turns.values()]) {
        for (let slot: Slot | undefined = first; slot; slot = slot.next) remove(slot);
      }
      finishedQueue = [];
      head = 0;
    },
  };
  return store satisfies TurnReplayStore;
}
