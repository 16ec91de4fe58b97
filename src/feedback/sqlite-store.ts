import { and, count, desc, eq, gte, type SQL } from 'drizzle-orm';
import type { SqliteOrderDb } from '../db/sqlite/open.js';
import { type FeedbackRow, feedback } from '../db/sqlite/schema.js';
import { fromRow, toRow } from './rows.js';
import type { FeedbackQuery, FeedbackStore } from './types.js';

export function createSqliteFeedbackStore(db: SqliteOrderDb): FeedbackStore {
  const where = (q: FeedbackQuery): SQL | undefined =>
    and(
      eq(feedback.tenantId, q.tenantId),
      q.sessionId === undefined ? undefined : eq(feedback.sessionId, q.sessionId),
      q.since === undefined ? undefined : gte(feedback.createdAt, q.since.toISOString()),
    );
  return {
    async upsert(input) {
      const { tenantId, sessionId, turnId, ...latest } = { ...toRow(input), createdAt: input.timestamp };
      const row = db
        .insert(feedback)
        .values({ tenantId, sessionId, turnId, ...latest })
        .onConflictDoUpdate({ target: [feedback.tenantId, feedback.sessionId, feedback.turnId], set: latest })
        .returning()
        .get();
      return fromRow(row, row.createdAt);
    },
    async query(q) {
      const filter = where(q);
      const total = db.select({ n: count() }).from(feedback).where(filter).get()?.n ?? 0;
      const rows: FeedbackRow[] = db
        .select()
        .from(feedback)
        .where(filter)
        .orderBy(desc(feedback.createdAt), desc(feedback.id))
        .limit(q.limit)
        .offset(q.offset)
        .all();
      return { total, items: rows.map((row) => fromRow(row, row.createdAt)) };
    },
  };
}
