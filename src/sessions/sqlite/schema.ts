import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { StoredMessage } from '../types.js';

/** One row per conversation. Times are epoch milliseconds. */
export const sessions = sqliteTable(
  'sessions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: text('tenant_id').notNull(),
    sessionId: text('session_id').notNull(),
    createdAt: integer('created_at').notNull(),
    lastActivity: integer('last_activity').notNull(),
    // Strictly increasing over the file: orders activity even when two appends share a millisecond.
    activitySeq: integer('activity_seq').notNull(),
    messageCount: integer('message_count').notNull().default(0),
    attributes: text('attributes').notNull().default('{}'),
  },
  (table) => [
    uniqueIndex('sessions_tenant_session_idx').on(table.tenantId, table.sessionId),
    // A tenant's list (and its own eviction) reads straight from this index, newest first.
    index('sessions_tenant_activity_idx').on(table.tenantId, table.activitySeq),
    index('sessions_activity_idx').on(table.activitySeq),
    index('sessions_last_activity_idx').on(table.lastActivity),
  ],
);

/** A session's messages in order of `id`; each row holds the whole stored message as JSON. */
export const sessionMessages = sqliteTable(
  'session_messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sessionRef: integer('session_ref')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    role: text('role').$type<StoredMessage['role']>().notNull(),
    body: text('body').notNull(),
  },
  (table) => [index('session_messages_session_idx').on(table.sessionRef, table.id)],
);

/**
 * Idempotency-Keys of chat requests (DESIGN §10), kept beside the sessions they belong to. The
 * primary key makes the claim one atomic insert; `expires_at` is epoch milliseconds.
 */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    tenantId: text('tenant_id').notNull(),
    key: text('key').notNull(),
    record: text('record').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.tenantId, table.key] }),
    index('idempotency_keys_expires_idx').on(table.expiresAt),
  ],
);

/**
 * Turns paused for a person's approval (DESIGN §10): the state to resume them with (JSON, null once
 * the turn ended) and how many of their approvals are still pending. Times are epoch milliseconds.
 */
export const pausedTurns = sqliteTable(
  'paused_turns',
  {
    tenantId: text('tenant_id').notNull(),
    sessionId: text('session_id').notNull(),
    turnId: text('turn_id').notNull(),
    state: text('state'),
    // Set when the turn ended: the row and its approvals go then.
    retainUntil: integer('retain_until'),
    // Set by the last decision: who resumes the turn, since when (a stale claim is taken over).
    resumingBy: text('resuming_by'),
    resumingAt: integer('resuming_at'),
  },
  (table) => [
    primaryKey({ columns: [table.tenantId, table.sessionId, table.turnId] }),
    index('paused_turns_retain_idx').on(table.retainUntil),
    index('paused_turns_resuming_idx').on(table.resumingAt),
  ],
);

/** One row per call waiting for (or given) a decision; `body` is the whole approval as JSON. */
export const turnApprovals = sqliteTable(
  'turn_approvals',
  {
    tenantId: text('tenant_id').notNull(),
    sessionId: text('session_id').notNull(),
    turnId: text('turn_id').notNull(),
    callId: text('call_id').notNull(),
    status: text('status').notNull(),
    expiresAt: integer('expires_at').notNull(),
    body: text('body').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.tenantId, table.sessionId, table.turnId, table.callId] }),
    index('turn_approvals_tenant_status_idx').on(table.tenantId, table.status, table.expiresAt),
    index('turn_approvals_status_idx').on(table.status, table.expiresAt),
  ],
);
