import type { Logger } from 'pino';
import {
  applyAttributesPatch,
  checkAttributesPatch,
  EMPTY_ATTRIBUTES,
  parseAttributes,
} from '../attributes.js';
import { SessionAttributesError, SessionStoreUnavailableError } from '../errors.js';
import { checkLimits, deepFreeze, type SessionLimits, trimStart } from '../store-support.js';
import type {
  SessionAttributes,
  SessionAttributesPatch,
  SessionKey,
  SessionSnapshot,
  SessionStore,
  SessionSummary,
  StoredMessage,
} from '../types.js';
import { openSessionsFile } from './open.js';

export interface SqliteSessionStoreOptions extends SessionLimits {
  /** File path (relative paths resolve against the working directory) or `:memory:` (SESSION_DB_PATH). */
  path: string;
  logger?: Logger;
  /** Epoch milliseconds; injectable so tests control time. */
  now?: () => number;
  /** How often expired sessions are deleted from the file; defaults to min(60 s, TTL). */
  sweepIntervalMs?: number;
  /** Defaults to `drizzle/sessions/` shipped with the project. */
  migrationsFolder?: string;
  busyTimeoutMs?: number;
}

// Its own name, so that even a SESSION_DB_PATH pointed at the orders file cannot mix the two histories.
export { MIGRATIONS_TABLE } from './open.js';

interface SessionRow {
  id: number;
  tenant_id: string;
  session_id: string;
  created_at: number;
  last_activity: number;
  message_count: number;
  attributes: string;
}

const SESSION_COLUMNS = 'id, tenant_id, session_id, created_at, last_activity, message_count, attributes';

/**
 * Sessions in their own SQLite file: durable across restarts for one instance. better-sqlite3 is
 * synchronous and each call is a few indexed statements in one transaction, so the methods are
 * async only to fit the interface. Expired sessions are invisible at once (every read filters by
 * last activity) and deleted from the file by an unref'd sweeper.
 */
export function createSqliteSessionStore(options: SqliteSessionStoreOptions) {
  const { ttlMs, maxSessions, maxSessionsPerTenant, maxMessages } = checkLimits(options);
  const now = options.now ?? (() => Date.now());
  const logger = options.logger;
  const { sqlite, file } = openSessionsFile(options);
  logger?.info({ path: file }, 'session database opened');

  // Prepared once, reused by every call.
  const q = {
    find: sqlite.prepare<[string, string], SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE tenant_id = ? AND session_id = ?`,
    ),
    messages: sqlite.prepare<[number], { body: string }>(
      'SELECT body FROM session_messages WHERE session_ref = ? ORDER BY id',
    ),
    roles: sqlite.prepare<[number], { id: number; role: StoredMessage['role'] }>(
      'SELECT id, role FROM session_messages WHERE session_ref = ? ORDER BY id',
    ),
    nextSeq: sqlite.prepare<[], { seq: number }>(
      'SELECT coalesce(max(activity_seq), 0) + 1 AS seq FROM sessions',
    ),
    insertSession: sqlite.prepare<[string, string, number, number, number, string], { id: number }>(
      `INSERT INTO sessions (tenant_id, session_id, created_at, last_activity, activity_seq, attributes)
       VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
    ),
    touch: sqlite.prepare<[number, number, number, string, number]>(
      `UPDATE sessions SET last_activity = ?, activity_seq = ?, message_count = ?, attributes = ?
       WHERE id = ?`,
    ),
    setAttributes: sqlite.prepare<[string, number]>('UPDATE sessions SET attributes = ? WHERE id = ?'),
    insertMessage: sqlite.prepare<[number, string, string]>(
      'INSERT INTO session_messages (session_ref, role, body) VALUES (?, ?, ?)',
    ),
    trimMessages: sqlite.prepare<[number, number]>(
      'DELETE FROM session_messages WHERE session_ref = ? AND id < ?',
    ),
    deleteById: sqlite.prepare<[number]>('DELETE FROM sessions WHERE id = ?'),
    deleteKey: sqlite.prepare<[string, string], { last_activity: number }>(
      'DELETE FROM sessions WHERE tenant_id = ? AND session_id = ? RETURNING last_activity',
    ),
    sweep: sqlite.prepare<[number]>('DELETE FROM sessions WHERE last_activity <= ?'),
    countAll: sqlite.prepare<[number], { n: number }>(
      'SELECT count(*) AS n FROM sessions WHERE last_activity > ?',
    ),
    countTenant: sqlite.prepare<[string, number], { n: number }>(
      'SELECT count(*) AS n FROM sessions WHERE tenant_id = ? AND last_activity > ?',
    ),
    evictTenant: sqlite.prepare<[string, number]>(
      `DELETE FROM sessions WHERE id IN (
         SELECT id FROM sessions WHERE tenant_id = ? ORDER BY activity_seq LIMIT ?)`,
    ),
    evictAll: sqlite.prepare<[number]>(
      'DELETE FROM sessions WHERE id IN (SELECT id FROM sessions ORDER BY activity_seq LIMIT ?)',
    ),
    page: sqlite.prepare<[string, number, number, number], SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions
       WHERE tenant_id = ? AND last_activity > ? ORDER BY activity_seq DESC LIMIT ? OFFSET ?`,
    ),
  };

  const cutoff = (at: number) => at - ttlMs;

  function findLive(key: SessionKey, at: number): SessionRow | undefined {
    const row = q.find.get(key.tenantId, key.sessionId);
    return row && row.last_activity > cutoff(at) ? row : undefined;
  }

  function snapshotOf(row: SessionRow, attributes: SessionAttributes = parseAttributes(row.attributes)) {
    const messages = q.messages.all(row.id).map((m) => JSON.parse(m.body) as StoredMessage);
    return deepFreeze<SessionSnapshot>({
      tenantId: row.tenant_id,
      sessionId: row.session_id,
      createdAt: new Date(row.created_at).toISOString(),
      lastActivity: new Date(row.last_activity).toISOString(),
      messages,
      attributes,
    });
  }

  /** Room for one more session: expired ones go first, then the tenant's own oldest, then anyone's. */
  function makeRoom(tenantId: string, at: number): void {
    q.sweep.run(cutoff(at));
    const own = q.countTenant.get(tenantId, cutoff(at))?.n ?? 0;
    if (own >= maxSessionsPerTenant) q.evictTenant.run(tenantId, own - maxSessionsPerTenant + 1);
    const all = q.countAll.get(cutoff(at))?.n ?? 0;
    if (all >= maxSessions) q.evictAll.run(all - maxSessions + 1);
  }

  const appendTx = sqlite.transaction(
    (
      key: SessionKey,
      messages: readonly StoredMessage[],
      patch: ReadonlyArray<readonly [string, string | null]>,
    ): SessionSnapshot => {
      const at = now();
      let row = q.find.get(key.tenantId, key.sessionId);
      if (row && row.last_activity <= cutoff(at)) {
        // Expired but not yet swept: the new message starts a new conversation.
        q.deleteById.run(row.id);
        row = undefined;
      }
      const attributes = applyAttributesPatch(
        row ? parseAttributes(row.attributes) : EMPTY_ATTRIBUTES,
        patch,
      );
      const attributesJson = JSON.stringify(attributes);
      if (!row) {
        makeRoom(key.tenantId, at);
        const seq = q.nextSeq.get()?.seq ?? 1;
        const inserted = q.insertSession.get(key.tenantId, key.sessionId, at, at, seq, attributesJson);
        if (!inserted) throw new Error('session insert returned no row');
        row = {
          id: inserted.id,
          tenant_id: key.tenantId,
          session_id: key.sessionId,
          created_at: at,
          last_activity: at,
          message_count: 0,
          attributes: attributesJson,
        };
      }
      for (const message of messages) q.insertMessage.run(row.id, message.role, JSON.stringify(message));
      let count = row.message_count + messages.length;
      if (count > maxMessages) {
        const stored = q.roles.all(row.id);
        const start = trimStart(
          stored.map((m) => m.role),
          stored.length - maxMessages,
        );
        const first = stored[start];
        if (first) q.trimMessages.run(row.id, first.id);
        count = stored.length - start;
      }
      const seq = q.nextSeq.get()?.seq ?? 1;
      q.touch.run(at, seq, count, attributesJson, row.id);
      return snapshotOf({ ...row, last_activity: at, message_count: count }, attributes);
    },
  );

  const setAttributesTx = sqlite.transaction(
    (key: SessionKey, patch: ReadonlyArray<readonly [string, string | null]>) => {
      const row = findLive(key, now());
      if (!row) return undefined;
      const attributes = applyAttributesPatch(parseAttributes(row.attributes), patch);
      q.setAttributes.run(JSON.stringify(attributes), row.id);
      return snapshotOf(row, attributes);
    },
  );

  function sweepExpired(): number {
    return q.sweep.run(cutoff(now())).changes;
  }

  /** Engine failures (closed file, disk full, locked too long) become one domain error. */
  function guard<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (err) {
      if (err instanceof SessionAttributesError || err instanceof RangeError) return Promise.reject(err);
      return Promise.reject(new SessionStoreUnavailableError('sqlite', { cause: err }));
    }
  }

  const sweepIntervalMs = Math.min(2_147_483_647, options.sweepIntervalMs ?? Math.min(60_000, ttlMs));
  const sweeper = setInterval(() => {
    try {
      const removed = sweepExpired();
      if (removed > 0) logger?.debug({ removed }, 'expired sessions removed');
    } catch (err) {
      logger?.warn({ err }, 'session sweep failed');
    }
  }, sweepIntervalMs);
  // Housekeeping only: it must never be what keeps the process from exiting.
  sweeper.unref();
  let closed = false;

  const store = {
    kind: 'sqlite' as const,
    path: file,

    get(key: SessionKey): Promise<SessionSnapshot | undefined> {
      return guard(() => {
        const row = findLive(key, now());
        return row ? snapshotOf(row) : undefined;
      });
    },

    append(
      key: SessionKey,
      messages: readonly StoredMessage[],
      attributes?: SessionAttributesPatch,
    ): Promise<SessionSnapshot> {
      return guard(() => {
        const patch = attributes ? checkAttributesPatch(attributes) : [];
        return appendTx.immediate(key, messages, patch);
      });
    },

    setAttributes(key: SessionKey, patch: SessionAttributesPatch): Promise<SessionSnapshot | undefined> {
      return guard(() => setAttributesTx.immediate(key, checkAttributesPatch(patch)));
    },

    delete(key: SessionKey): Promise<boolean> {
      return guard(() => {
        const removed = q.deleteKey.get(key.tenantId, key.sessionId);
        return removed !== undefined && removed.last_activity > cutoff(now());
      });
    },

    list(
      tenantId: string,
      page: { limit: number; offset: number },
    ): Promise<{ total: number; sessions: SessionSummary[] }> {
      return guard(() => {
        const since = cutoff(now());
        const total = q.countTenant.get(tenantId, since)?.n ?? 0;
        const limit = Math.max(0, Math.floor(page.limit));
        const offset = Math.max(0, Math.floor(page.offset));
        const rows = limit === 0 || offset >= total ? [] : q.page.all(tenantId, since, limit, offset);
        return {
          total,
          sessions: rows.map((row) => ({
            session_id: row.session_id,
            message_count: row.message_count,
            created_at: new Date(row.created_at).toISOString(),
            last_activity: new Date(row.last_activity).toISOString(),
            attributes: parseAttributes(row.attributes),
          })),
        };
      });
    },

    count(): Promise<number> {
      return guard(() => q.countAll.get(cutoff(now()))?.n ?? 0);
    },

    /** Deletes expired sessions from the file now (the sweeper does this on its own). */
    sweep(): Promise<number> {
      return guard(sweepExpired);
    },

    /** Stops the sweeper and closes the file. Idempotent. */
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      sqlite.close();
      logger?.info({ path: file }, 'session database closed');
    },
  };

  return store satisfies SessionStore;
}

export type SqliteSessionStore = ReturnType<typeof createSqliteSessionStore>;
