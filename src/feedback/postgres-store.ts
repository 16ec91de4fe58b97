import { and, count, desc, eq, gte, type SQL } from 'drizzle-orm';
import type { PostgresOrderDb } from '../db/postgres/open.js';
import { feedback } from '../db/postgres/schema.js';
import { fromRow, toRow } from './rows.js';
import type { FeedbackQuery, FeedbackStore } from './types.js';

export function createPostgresFeedbackStore(db: PostgresOrderDb): FeedbackStore {
  const where = (q: FeedbackQuery): SQL | undefined =>
    and(
      eq(feedback.tenantId, q.tenantId),
      q.sessionId === undefined ? undefined : eq(feedback.sessionId, q.sessionId),
      q.since === undefined ? undefined : gte(feedback.createdAt, q.since),
    );
  return {
    async upsert(input) {
      const { tenantId, sessionId, turnId, ...latest } = {
        ...toRow(input),
        createdAt: new Date(input.timestamp),
      };
      const [row] = await db
        .insert(feedback)
        .values({ tenantId, sessionId, turnId, ...latest })
        .onConflictDoUpdate({ target: [feedback.tenantId, feedback.sessionId, feedback.turnId], set: latest })
        .returning();
      if (!row) throw new Error('the feedback row was not returned');
      return fromRow(row, row.createdAt.toISOString());
    },
    async query(q) {
      const filter = where(q);
      const [totals, rows] = await Promise.all([
        db.select({ n: count() }).from(feedback).where(filter),
        db
          .select()
          .from(feedback)
          .where(filter)
          .orderBy(desc(feedback.createdAt), desc(feedback.id))
          .limit(q.limit)
          .offset(q.offset),
      ]);
      return {
        total: Number(totals[0]?.n ?? 0),
        items: rows.map((row) => fromRow(row, row.createdAt.toISOString())),
      };
    },
  };
}
