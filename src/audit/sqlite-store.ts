import { and, count, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
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
  return {
    async insert(entries) {
      if (entries.length === 0) return;
      const rows = entries.map((entry) => ({ ...toRow(entry), createdAt: entry.timestamp }));
      db.transaction((tx) => {
        tx.insert(auditLog).values(rows).run();
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
