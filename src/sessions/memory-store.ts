import type { AppConfig } from '../config/index.js';
import { packId, unpackId } from '../lib/compact-id.js';
import { flatString } from '../lib/flat-string.js';
import { offsetMs } from '../lib/time-offset.js';
import { applyAttributesPatch, checkAttributesPatch, EMPTY_ATTRIBUTES } from './attributes.js';
import { countConversationMessages } from './count.js';
import { deepFreeze, trimStart } from './store-support.js';
import type {
  SessionAttributes,
  SessionAttributesPatch,
  SessionKey,
  SessionSnapshot,
  SessionStore,
  SessionSummary,
  StoredMessage,
  ToolCallRecord,
} from './types.js';

export type SessionRemovalReason = 'expired' | 'evicted';

export interface MemorySessionStoreOptions {
  /** Idle time after which a session disappears (SESSION_TTL_MINUTES). */
  ttlMinutes: number;
  /** Most sessions held at once; the least recently active one goes first (MAX_SESSIONS). */
  maxSessions: number;
  /**
   * Most sessions one tenant holds (MAX_SESSIONS_PER_TENANT); a new one evicts that tenant's own least
   * recently active, so one tenant cannot push out the others. Defaults to `maxSessions`.
   */
  maxSessionsPerTenant?: number;
  /** Most messages kept per session; the oldest go first (SESSION_MAX_MESSAGES). */
  maxMessages: number;
  /**
   * Approximate memory budget for everything held, in bytes (SESSION_STORE_MAX_MB): a message counts
   * as the UTF-16 size of its content plus that of its tool-call records as JSON. Least recently
   * active sessions go first; a session that alone exceeds it loses its oldest messages.
   */
  maxBytes?: number;
  /** Epoch milliseconds; injectable so tests control time. */
  now?: () => number;
  /** How often expired sessions are released; defaults to min(60 s, TTL). */
  sweepIntervalMs?: number;
  /**
   * How long a session goes unused (no read, no write) before its messages are packed into one string
   * (SESSION_PACK_IDLE_SECONDS, in ms here). A session in use keeps its objects, so a conversation
   * never pays for packing and unpacking on each of its turns. Defaults to 60 s.
   */
  packIdleMs?: number;
  /** Told whenever the store drops a session on its own (not on delete), e.g. to log or count it. */
  onRemove?: (key: SessionKey, reason: SessionRemovalReason) => void;
}

/** Same as the SESSION_STORE_MAX_MB default, so a store built without the config is still bounded. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

export function memorySessionStoreOptions(
  config: Pick<
    AppConfig,
    | 'SESSION_TTL_MINUTES'
    | 'MAX_SESSIONS'
    | 'MAX_SESSIONS_PER_TENANT'
    | 'SESSION_MAX_MESSAGES'
    | 'SESSION_STORE_MAX_MB'
    | 'SESSION_PACK_IDLE_SECONDS'
  >,
): MemorySessionStoreOptions {
  return {
    ttlMinutes: config.SESSION_TTL_MINUTES,
    maxSessions: config.MAX_SESSIONS,
    maxSessionsPerTenant: config.MAX_SESSIONS_PER_TENANT,
    maxMessages: config.SESSION_MAX_MESSAGES,
    maxBytes: config.SESSION_STORE_MAX_MB * 1024 * 1024,
    packIdleMs: config.SESSION_PACK_IDLE_SECONDS * 1000,
  };
}

/**
 * Times are milliseconds since the store's `epoch` (`offsetMs`): small integers, which V8 keeps
 * inside the entry, where epoch milliseconds would each take a separate 16-byte box.
 */
interface Entry {
  readonly tenantId: string;
  readonly sessionId: string;
  readonly createdAt: number;
  lastActivity: number;
  /** Last read or write (not listing): what tells a session in use from an idle one. */
  usedAt: number;
  /**
   * The messages. As an array: frozen, and replaced rather than changed when messages come or go, so
   * that a snapshot hands it out as it is; exactly as long as it needs to be, so an idle session
   * keeps no spare slots. Held so while the session is in use (`hot`); once it has been idle for
   * `packIdleMs`, one flat JSON string of tuples instead (`packMessages`).
   */
  messages: readonly StoredMessage[] | string;
  /** Sum of `messageBytes` over the messages. */
  bytes: number;
  attributes: SessionAttributes;
}

export function createMemorySessionStore(options: MemorySessionStoreOptions) {
  const ttlMs = positive('ttlMinutes', options.ttlMinutes) * 60_000;
  const maxSessions = positiveInteger('maxSessions', options.maxSessions);
  const maxPerTenant = positiveInteger(
    'maxSessionsPerTenant',
    options.maxSessionsPerTenant ?? options.maxSessions,
  );
  const maxMessages = positiveInteger('maxMessages', options.maxMessages);
  const maxBytes = positive('maxBytes', options.maxBytes ?? DEFAULT_MAX_BYTES);
  // Node turns delays above 2^31-1 ms into 1 ms, which would make the sweeper spin.
  const sweepIntervalMs = Math.min(
    2_147_483_647,
    positive('sweepIntervalMs', options.sweepIntervalMs ?? Math.min(60_000, ttlMs)),
  );
  const packIdleMs = positive('packIdleMs', options.packIdleMs ?? DEFAULT_PACK_IDLE_MS);
  // Read Date.now at call time so that fake timers installed after creation still apply.
  const now = options.now ?? (() => Date.now());
  const onRemove = options.onRemove;
  const epoch = Math.floor(now());

  // Nested maps keep tenant and session ids apart without ever joining them into one string.
  // Each inner map, and `byActivity`, is kept in activity order (oldest first) by re-inserting on
  // activity, which gives LRU eviction, expiry sweeps and "most recent first" listing without sorting.
  const byTenant = new Map<string, Map<string, Entry>>();
  const byActivity = new Set<Entry>();
  // Sum of every held entry's `bytes`; kept exact by changing it only where messages come and go.
  let totalBytes = 0;
  // Sessions used lately, whose messages are held as objects, least recently used first. The sweep
  // packs those idle for `packIdleMs` into one string each (a fraction of the objects' size), decoded
  // when the session is next used; past MAX_UNPACKED, the least recently used is packed at once.
  const hot = new Set<Entry>();

  function messagesOf(entry: Entry, keep = true): readonly StoredMessage[] {
    let messages = entry.messages;
    if (typeof messages === 'string') {
      messages = unpackMessages(messages);
      if (!keep) return messages;
      entry.messages = messages;
    }
    if (keep) {
      entry.usedAt = Math.max(entry.usedAt, offsetMs(now(), epoch));
      hot.delete(entry);
      hot.add(entry);
      for (const coldest of hot) {
        if (hot.size <= MAX_UNPACKED) break;
        hot.delete(coldest);
        pack(coldest);
      }
    }
    return messages;
  }

  /**
   * Packs the sessions idle for `packIdleMs`, oldest use first, a batch at a time: a batch never holds
   * the event loop for long, and the next one follows once other work has had its turn.
   */
  let packing = false;
  function packIdle(): void {
    if (packing || closed) return;
    const before = now() - epoch - packIdleMs;
    let done = 0;
    for (const entry of hot) {
      if (entry.usedAt > before) return;
      if (done === PACK_BATCH) {
        packing = true;
        setImmediate(() => {
          packing = false;
          packIdle();
        });
        return;
      }
      hot.delete(entry);
      pack(entry);
      done += 1;
    }
  }

  function pack(entry: Entry): void {
    const messages = entry.messages;
    if (typeof messages === 'string' || messages.length === 0 || messages.length > PACK_MAX_MESSAGES) return;
    const packed = packMessages(messages);
    if (packed !== undefined) entry.messages = packed;
  }

  // Activity stamps never go backwards, even if the wall clock does, so `byActivity` stays sorted by
  // stamp and a sweep can stop at the first live entry.
  let lastStamp = Number.NEGATIVE_INFINITY;
  function stamp(): number {
    lastStamp = Math.max(lastStamp, now());
    return lastStamp;
  }

  function isExpired(entry: Entry, at: number): boolean {
    return at - epoch - entry.lastActivity >= ttlMs;
  }

  function unlink(entry: Entry): void {
    if (!byActivity.delete(entry)) return;
    hot.delete(entry);
    totalBytes -= entry.bytes;
    const sessions = byTenant.get(entry.tenantId);
    if (!sessions) return;
    sessions.delete(entry.sessionId);
    if (sessions.size === 0) byTenant.delete(entry.tenantId);
  }

  function drop(entry: Entry, reason: SessionRemovalReason): void {
    unlink(entry);
    onRemove?.({ tenantId: entry.tenantId, sessionId: entry.sessionId }, reason);
  }

  function sweepExpired(at: number): void {
    for (const entry of byActivity) {
      if (!isExpired(entry, at)) break;
      drop(entry, 'expired');
    }
  }

  /** The session if it exists and has not expired; an expired one is removed on the way. */
  function findLive(key: SessionKey, at: number): Entry | undefined {
    const entry = byTenant.get(key.tenantId)?.get(key.sessionId);
    if (!entry) return undefined;
    if (isExpired(entry, at)) {
      drop(entry, 'expired');
      return undefined;
    }
    return entry;
  }

  function touch(entry: Entry, at: number): void {
    entry.lastActivity = offsetMs(at, epoch);
    byActivity.delete(entry);
    byActivity.add(entry);
    const sessions = byTenant.get(entry.tenantId);
    sessions?.delete(entry.sessionId);
    sessions?.set(entry.sessionId, entry);
  }

  function create(key: SessionKey, at: number): Entry {
    sweepExpired(at);
    const own = byTenant.get(key.tenantId);
    if (own) {
      for (const oldest of own.values()) {
        if (own.size < maxPerTenant) break;
        drop(oldest, 'evicted');
      }
    }
    for (const oldest of byActivity) {
      if (byActivity.size < maxSessions) break;
      drop(oldest, 'evicted');
    }
    const entry: Entry = {
      tenantId: key.tenantId,
      sessionId: key.sessionId,
      createdAt: offsetMs(at, epoch),
      lastActivity: offsetMs(at, epoch),
      usedAt: offsetMs(at, epoch),
      messages: NO_MESSAGES,
      bytes: 0,
      attributes: EMPTY_ATTRIBUTES,
    };
    let sessions = byTenant.get(key.tenantId);
    if (!sessions) {
      sessions = new Map();
      byTenant.set(key.tenantId, sessions);
    }
    sessions.set(key.sessionId, entry);
    byActivity.add(entry);
    return entry;
  }

  function push(entry: Entry, messages: readonly StoredMessage[], bytes: number): void {
    if (messages.length === 0) return;
    const held = messagesOf(entry);
    entry.messages = Object.freeze(held.length === 0 ? messages : held.concat(messages));
    entry.bytes += bytes;
    totalBytes += bytes;
  }

  /**
   * Drops the `minimum` oldest messages, then any assistant messages left at the front whose user
   * message was dropped, so history never opens with an answer to a question it no longer has.
   */
  function dropOldest(entry: Entry, minimum: number): void {
    const messages = messagesOf(entry);
    const start = trimStart(
      messages.map((m) => m.role),
      minimum,
    );
    if (start === 0) return;
    let dropped = 0;
    for (let i = 0; i < start && i < messages.length; i++) dropped += messageBytes(messages[i]!);
    entry.messages = Object.freeze(messages.slice(start));
    entry.bytes -= dropped;
    totalBytes -= dropped;
  }

  function trimToCount(entry: Entry): void {
    const excess = messagesOf(entry).length - maxMessages;
    if (excess > 0) dropOldest(entry, excess);
  }

  /** A session too big for the whole budget keeps only the newest messages that fit in it. */
  function trimToBudget(entry: Entry): void {
    let over = entry.bytes - maxBytes;
    if (over <= 0) return;
    const messages = messagesOf(entry);
    let count = 0;
    while (over > 0 && count < messages.length) over -= messageBytes(messages[count++]!);
    dropOldest(entry, count);
  }

  /** Frees room by dropping the least recently active sessions other than `keep`. */
  function evictForBudget(keep: Entry, at: number): void {
    if (totalBytes <= maxBytes) return;
    // Expired sessions are the cheapest room, and should be reported as expired rather than evicted.
    sweepExpired(at);
    for (const oldest of byActivity) {
      if (totalBytes <= maxBytes) break;
      if (oldest !== keep) drop(oldest, 'evicted');
    }
  }

  function snapshot(entry: Entry): SessionSnapshot {
    return {
      tenantId: entry.tenantId,
      sessionId: entry.sessionId,
      createdAt: new Date(epoch + entry.createdAt).toISOString(),
      lastActivity: new Date(epoch + entry.lastActivity).toISOString(),
      messages: messagesOf(entry),
      attributes: entry.attributes,
    };
  }

  function summary(entry: Entry): SessionSummary {
    return {
      session_id: entry.sessionId,
      message_count: countConversationMessages(messagesOf(entry, false)),
      created_at: new Date(epoch + entry.createdAt).toISOString(),
      last_activity: new Date(epoch + entry.lastActivity).toISOString(),
      attributes: entry.attributes,
    };
  }

  // One timer for both sweeps, at the finer of their periods: an idle session is packed within a
  // quarter of `packIdleMs` (at least 1 s) after it became idle.
  const tickMs = Math.min(sweepIntervalMs, Math.max(1_000, packIdleMs / 4));
  const sweeper = setInterval(() => {
    sweepExpired(now());
    packIdle();
  }, tickMs);
  // Housekeeping only: it must never be what keeps the process from exiting.
  sweeper.unref();
  let closed = false;

  const store = {
    kind: 'memory' as const,

    async get(key: SessionKey): Promise<SessionSnapshot | undefined> {
      const entry = findLive(key, now());
      return entry ? snapshot(entry) : undefined;
    },

    async append(
      key: SessionKey,
      messages: readonly StoredMessage[],
      attributes?: SessionAttributesPatch,
    ): Promise<SessionSnapshot> {
      const patch = attributes ? checkAttributesPatch(attributes) : [];
      // Copied and frozen so that neither the caller's objects nor any snapshot can change history.
      // Strings are immutable: the copies share them with the caller instead of duplicating them.
      const copies = messages.map(frozenMessage);
      let bytes = 0;
      for (const copy of copies) bytes += messageBytes(copy);
      const at = stamp();
      const existing = findLive(key, at);
      // Computed before anything changes, so a patch that breaks the bounds changes nothing.
      const nextAttributes = applyAttributesPatch(existing?.attributes ?? EMPTY_ATTRIBUTES, patch);
      const entry = existing ?? create(key, at);
      if (existing) touch(existing, at);
      entry.attributes = nextAttributes;
      push(entry, copies, bytes);
      trimToCount(entry);
      trimToBudget(entry);
      evictForBudget(entry, at);
      return snapshot(entry);
    },

    async setAttributes(
      key: SessionKey,
      patch: SessionAttributesPatch,
    ): Promise<SessionSnapshot | undefined> {
      const entries = checkAttributesPatch(patch);
      const entry = findLive(key, now());
      if (!entry) return undefined;
      entry.attributes = applyAttributesPatch(entry.attributes, entries);
      return snapshot(entry);
    },

    async delete(key: SessionKey): Promise<boolean> {
      const entry = findLive(key, now());
      if (!entry) return false;
      unlink(entry);
      return true;
    },

    async list(
      tenantId: string,
      page: { limit: number; offset: number },
    ): Promise<{ total: number; sessions: SessionSummary[] }> {
      const sessions = byTenant.get(tenantId);
      if (!sessions) return { total: 0, sessions: [] };
      const at = now();
      const live: Entry[] = [];
      for (const entry of sessions.values()) {
        if (isExpired(entry, at)) drop(entry, 'expired');
        else live.push(entry);
      }
      const offset = Math.max(0, Math.floor(page.offset));
      const limit = Math.max(0, Math.floor(page.limit));
      const result: SessionSummary[] = [];
      // `live` is oldest first; the page is read from the newest end.
      for (let i = live.length - 1 - offset; i >= 0 && result.length < limit; i--) {
        const entry = live[i];
        if (entry) result.push(summary(entry));
      }
      return { total: live.length, sessions: result };
    },

    /** Approximate bytes of message data held, as counted against `maxBytes`. */
    bytesHeld(): number {
      return totalBytes;
    },

    /** Sessions whose messages are held as objects (in use lately, or too long to pack). */
    unpackedCount(): number {
      let count = 0;
      for (const entry of byActivity)
        if (typeof entry.messages !== 'string' && entry.messages.length > 0) count++;
      return count;
    },

    async count(): Promise<number> {
      sweepExpired(now());
      return byActivity.size;
    },

    /** Stops the sweeper. Idempotent; the store stays usable and still hides expired sessions. */
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
    },
  };

  // Checked against the interface here so the extra (`bytesHeld`) are allowed but
  // nothing can be missing.
  return store satisfies SessionStore;
}

export type MemorySessionStore = ReturnType<typeof createMemorySessionStore>;

const NO_MESSAGES: readonly StoredMessage[] = Object.freeze([]);

/**
 * A chat's turns come seconds to a minute or two apart (the customer reads and types): a minute
 * without use keeps a conversation's messages as objects between most of its turns, while sessions
 * that went quiet are packed soon enough to bound what idle ones hold.
 */
const DEFAULT_PACK_IDLE_MS = 60_000;

/**
 * Most sessions held unpacked at once, however many are in use within `packIdleMs`: past it, the
 * least recently used is packed at once, so memory stays bounded under any load.
 */
const MAX_UNPACKED = 4_096;

/** Idle sessions packed per sweep step before the event loop gets its turn again (~1-2 ms). */
const PACK_BATCH = 256;

/**
 * Longer conversations keep their objects: decoding and re-encoding them on every turn costs more
 * CPU than their per-message overhead is worth next to their text, while the many short ones (most
 * idle sessions) are where packing saves the most.
 */
const PACK_MAX_MESSAGES = 8;

/**
 * A message as a tuple: [role, content, time, turn_id, tool_calls, interrupted] with `null` for an
 * absent optional and trailing absent ones left off. The role is 0 for user and 1 for assistant (any
 * other as it is), a turn id as `packId` gives it. A time is, when that turns back into the same ISO string, epoch milliseconds
 * minus those of the message before (of the first: minus 0). A tool call is [id, name, arguments,
 * status, duration_ms, result?], where a result that is the JSON text of an object or array is held
 * as that value (no escaped quotes) when stringifying it gives back the same text.
 */
type PackedCall = [string, string, unknown, ToolCallRecord['status'], number, unknown?];
type PackedMessage = [
  StoredMessage['role'] | 0 | 1,
  string,
  string | number,
  (string | null)?,
  (PackedCall[] | null)?,
  boolean?,
];

const packRole = (role: StoredMessage['role']) => (role === 'user' ? 0 : role === 'assistant' ? 1 : role);
const unpackRole = (role: PackedMessage[0]): StoredMessage['role'] =>
  role === 0 ? 'user' : role === 1 ? 'assistant' : role;

/** A tool result as the value its JSON text holds, when that text is exactly how it stringifies. */
function packResult(result: string): unknown {
  const first = result.charCodeAt(0);
  // Only `{` or `[`: a string, number or null result would not be told apart from the text itself.
  if (first !== 0x7b && first !== 0x5b) return result;
  try {
    const value: unknown = JSON.parse(result);
    return JSON.stringify(value) === result ? value : result;
  } catch {
    return result;
  }
}

const unpackResult = (result: unknown): string =>
  typeof result === 'string' ? result : JSON.stringify(result);

/**
 * The messages as one flat JSON string, or `undefined` when something in them would not come back
 * from JSON exactly as it is (then the session keeps its objects).
 */
function packMessages(messages: readonly StoredMessage[]): string | undefined {
  const tuples: PackedMessage[] = [];
  let previous = 0;
  for (const m of messages) {
    if (typeof m.content !== 'string' || typeof m.timestamp !== 'string') return undefined;
    let time = packTime(m.timestamp);
    if (typeof time === 'number') {
      const ms = time;
      time -= previous;
      previous = ms;
    }
    const tuple: PackedMessage = [packRole(m.role), m.content, time];
    const { turn_id, interrupted, tool_calls } = m;
    if (turn_id !== undefined && typeof turn_id !== 'string') return undefined;
    if (interrupted !== undefined && typeof interrupted !== 'boolean') return undefined;
    let calls: PackedCall[] | null = null;
    if (tool_calls !== undefined) {
      calls = [];
      for (const c of tool_calls) {
        if (!Number.isFinite(c.duration_ms) || Object.is(c.duration_ms, -0) || !jsonExact(c.arguments))
          return undefined;
        if (c.result !== undefined && typeof c.result !== 'string') return undefined;
        const call: PackedCall = [c.id, c.name, c.arguments, c.status, c.duration_ms];
        if (c.result !== undefined) call.push(packResult(c.result));
        calls.push(call);
      }
    }
    const turn = turn_id === undefined ? null : packId(turn_id);
    if (interrupted !== undefined) tuple.push(turn, calls, interrupted);
    else if (calls !== null) tuple.push(turn, calls);
    else if (turn !== null) tuple.push(turn);
    tuples.push(tuple);
  }
  return flatString(JSON.stringify(tuples));
}

function unpackMessages(packed: string): readonly StoredMessage[] {
  const tuples = JSON.parse(packed) as PackedMessage[];
  const messages: StoredMessage[] = [];
  let previous = 0;
  for (const [role, content, time, turnId, calls, interrupted] of tuples) {
    let timestamp: string;
    if (typeof time === 'number') {
      previous += time;
      timestamp = new Date(previous).toISOString();
    } else timestamp = time;
    const message: StoredMessage = { role: unpackRole(role), content, timestamp };
    if (calls != null) {
      message.tool_calls = Object.freeze(
        calls.map(([id, name, args, status, duration_ms, result]) =>
          Object.freeze(
            result === undefined
              ? { id, name, arguments: deepFreeze(args), status, duration_ms }
              : { id, name, arguments: deepFreeze(args), status, duration_ms, result: unpackResult(result) },
          ),
        ),
      ) as ToolCallRecord[];
    }
    if (interrupted !== undefined) message.interrupted = interrupted;
    if (turnId != null) message.turn_id = unpackId(turnId);
    messages.push(Object.freeze(message));
  }
  return Object.freeze(messages);
}

function packTime(iso: string): string | number {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) && new Date(ms).toISOString() === iso ? ms : iso;
}

/** True when JSON.parse(JSON.stringify(value)) gives back an equal value (plain JSON data). */
function jsonExact(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    // A loop over indices rather than `every`, which skips holes (JSON turns them into null).
    for (let i = 0; i < value.length; i++) if (!jsonExact(value[i])) return false;
    return true;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const inner of Object.values(value)) if (!jsonExact(inner)) return false;
  return true;
}

/**
 * A frozen copy of a message with only the fields a StoredMessage has. The optional ones are added in
 * one fixed order, so messages of one kind share one hidden class.
 */
function frozenMessage(message: StoredMessage): StoredMessage {
  const { role, content, timestamp } = message;
  const copy: StoredMessage = { role, content, timestamp };
  if (message.tool_calls !== undefined)
    copy.tool_calls = Object.freeze(message.tool_calls.map(frozenCall)) as ToolCallRecord[];
  if (message.interrupted !== undefined) copy.interrupted = message.interrupted;
  if (message.turn_id !== undefined) copy.turn_id = message.turn_id;
  return Object.freeze(copy);
}

function frozenCall(call: ToolCallRecord): ToolCallRecord {
  const { id, name, status, duration_ms } = call;
  const args = frozenValue(call.arguments);
  return Object.freeze(
    call.result === undefined
      ? { id, name, arguments: args, status, duration_ms }
      : { id, name, arguments: args, status, duration_ms, result: call.result },
  );
}

/** A deep frozen copy of a JSON-like value (tool arguments); anything else is structured-cloned. */
function frozenValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return Object.freeze(value.map(frozenValue));
  if (Object.getPrototypeOf(value) !== Object.prototype) return deepFreeze(structuredClone(value));
  const copy: Record<string, unknown> = {};
  for (const [name, inner] of Object.entries(value)) {
    // An own `__proto__` (JSON.parse makes one) stays data; assigning it would set the prototype.
    if (name === '__proto__') {
      Object.defineProperty(copy, name, {
        value: frozenValue(inner),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else copy[name] = frozenValue(inner);
  }
  return Object.freeze(copy);
}

/** V8 may store a string in one byte per character; two is the bound a budget must assume. */
function messageBytes(message: StoredMessage): number {
  const toolCalls = message.tool_calls === undefined ? 0 : JSON.stringify(message.tool_calls).length;
  return 2 * (message.content.length + toolCalls);
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number`);
  return value;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}
