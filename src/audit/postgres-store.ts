import { and, count, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import type { PostgresOrderDb } from '../db/postgres/open.js';
import { auditLog } from '../db/postgres/schema.js';
import { fromRow, toRow } from './rows.js';
import type { AuditQuery, AuditStore } from './types.js';

export function createPostgresAuditStore(db: PostgresOrderDb): AuditStore {
  const where = (q: AuditQuery): SQL | undefined =>
    and(
      eq(auditLog.tenantId, q.tenantId),
      q.sessionId === undefined ? undefined : eq(auditLog.sessionId, q.sessionId),
      q.tool === undefined ? undefined : eq(auditLog.tool, q.tool),
      q.since === undefined ? undefined : gte(auditLog.createdAt, q.since),
    );
  return {
    async insert(entries) {
      if (entries.length === 0) return;
      await db
        .insert(auditLog)
        .values(entries.map((entry) => ({ ...toRow(entry), createdAt: new Date(entry.timestamp) })));
    },
    async query(q) {
      const filter = where(q);
      const [totals, rows] = await Promise.all([
        db.select({ n: count() }).from(auditLog).where(filter),
        db
          .select()
          .from(auditLog)
          .where(filter)
          .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
          .limit(q.limit)
          .offset(q.offset),
      ]);
      return {
        total: Number(totals[0]?.n ?? 0),
        entries: rows.map((row) => fromRow(row, row.createdAt.toISOString())),
      };
    },
    async deleteOlderThan(cutoff) {
      const deleted = await db
        .delete(auditLog)
        .where(lt(auditLog.createdAt, cutoff))
        .returning({ id: auditLog.id });
      return deleted.length;
    },
  };
}
