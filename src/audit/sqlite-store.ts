import { and, count, desc, eq, gte, lt, type SQL, sql } from 'drizzle-orm';
import type { SqliteOrderDb } from '../db/sqlite/open.js';
import { type AuditRow, auditLog } from '../db/sqlite/schema.js';
import { fromRow, toRow } from './rows.js';
import type { AuditQuery, AuditStore } from './types.js';

export function createSqliteAuditStore(db: SqliteOrderDb): AuditStore {
  const where = (q: AuditQuery): SQL | undefined =>
    and(
      eq(auditLog.tenantId, q.tenantId),
      q.sessionId === undefined ? undefined : eq(auditLog.sessionId, q.sessionId),
      q.tool === undefined ? undefined : eq(auditLog.tool, q.tool),
      q.since === undefined ? undefined : gte(auditLog.createdAt, q.since.toISOString()),
    );
  // One prepared statement run per row inside one transaction: a batch's rows are not turned into a
  // new SQL text (and statement) for every batch. Prepared on first use, after migrations.
  let insertRow: ReturnType<typeof prepareInsert> | undefined;
  const column = (name: string) => sql.placeholder(name);
  const prepareInsert = () =>
    db
      .insert(auditLog)
      .values({
        tenantId: column('tenantId'),
        sessionId: column('sessionId'),
        turnId: column('turnId'),
        requestId: column('requestId'),
        actorRole: column('actorRole'),
        actorVia: column('actorVia'),
        actorId: column('actorId'),
        customerRef: column('customerRef'),
        tool: column('tool'),
        arguments: column('arguments'),
        status: column('status'),
        durationMs: column('durationMs'),
        error: column('error'),
        createdAt: column('createdAt'),
      })
      .prepare();
  return {
    async insert(entries) {
      if (entries.length === 0) return;
      insertRow ??= prepareInsert();
      const statement = insertRow;
      db.transaction(() => {
        for (const entry of entries) statement.run({ ...toRow(entry), createdAt: entry.timestamp });
      });
    },
    async query(q) {
      const filter = where(q);
      const total = db.select({ n: count() }).from(auditLog).where(filter).get()?.n ?? 0;
      const rows: AuditRow[] = db
        .select()
        .from(auditLog)
        .where(filter)
        .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
        .limit(q.limit)
        .offset(q.offset)
        .all();
      return { total, entries: rows.map((row) => fromRow(row, row.createdAt)) };
    },
    async deleteOlderThan(cutoff) {
      return db.delete(auditLog).where(lt(auditLog.createdAt, cutoff.toISOString())).run().changes;
    },
  };
}
