import { openSessionsFile } from '../sessions/sqlite/open.js';
import type { ClaimResult, IdempotencyRecord, IdempotencyStore, IdempotentOutcome } from './idempotency.js';

export interface SqliteIdempotencyOptions {
  /** The session store's file (SESSION_DB_PATH): the keys live beside the sessions. */
  path: string;
  ttlSeconds: number;
  now?: () => number;
  migrationsFolder?: string;
}

/**
 * Idempotency-Keys in the `sqlite` session store's file, durable across restarts. The claim is one
 * insert on the (tenant, key) primary key, so two requests (or two processes on the file) never
 * both get it. Expired keys are ignored at once and deleted as they are met and now and then.
 */
export function createSqliteIdempotencyStore(options: SqliteIdempotencyOptions) {
  const now = options.now ?? Date.now;
  const { sqlite } = openSessionsFile(options);

  const q = {
    dropExpired: sqlite.prepare<[string, string, number]>(
      'DELETE FROM idempotency_keys WHERE tenant_id = ? AND key = ? AND expires_at <= ?',
    ),
    insert: sqlite.prepare<[string, string, string, number]>(
      'INSERT INTO idempotency_keys (tenant_id, key, record, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    find: sqlite.prepare<[string, string, number], { record: string }>(
      'SELECT record FROM idempotency_keys WHERE tenant_id = ? AND key = ? AND expires_at > ?',
    ),
    update: sqlite.prepare<[string, number, string, string, number]>(
      'UPDATE idempotency_keys SET record = ?, expires_at = ? WHERE tenant_id = ? AND key = ? AND expires_at > ?',
    ),
    remove: sqlite.prepare<[string, string]>('DELETE FROM idempotency_keys WHERE tenant_id = ? AND key = ?'),
    sweep: sqlite.prepare<[number]>('DELETE FROM idempotency_keys WHERE expires_at <= ?'),
  };
  const claimTx = sqlite.transaction(
    (tenantId: string, key: string, record: IdempotencyRecord, ttlSeconds: number): ClaimResult => {
      const at = now();
      q.dropExpired.run(tenantId, key, at);
      const inserted = q.insert.run(tenantId, key, JSON.stringify(record), at + ttlSeconds * 1000);
      if (inserted.changes === 1) return { claimed: true };
      const row = q.find.get(tenantId, key, at);
      return { claimed: false, record: JSON.parse(row?.record ?? 'null') as IdempotencyRecord };
    },
  );
  const sweeper = setInterval(() => q.sweep.run(now()), 60_000);
  sweeper.unref();

  const get = async (tenantId: string, key: string): Promise<IdempotencyRecord | undefined> => {
    const row = q.find.get(tenantId, key, now());
    return row ? (JSON.parse(row.record) as IdempotencyRecord) : undefined;
  };

  const store = {
    async claim(tenantId: string, key: string, record: IdempotencyRecord, runningTtlSeconds: number) {
      return claimTx.immediate(tenantId, key, record, runningTtlSeconds);
    },
    async complete(tenantId: string, key: string, outcome: IdempotentOutcome) {
      const current = await get(tenantId, key);
      if (!current) return;
      const at = now();
      q.update.run(
        JSON.stringify({ ...current, outcome }),
        at + options.ttlSeconds * 1000,
        tenantId,
        key,
        at,
      );
    },
    async release(tenantId: string, key: string) {
      q.remove.run(tenantId, key);
    },
    get,
    async close() {
      clearInterval(sweeper);
      if (sqlite.open) sqlite.close();
    },
  };
  return store satisfies IdempotencyStore;
}
