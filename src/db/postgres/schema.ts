import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { ORDER_STATUSES, type OrderStatus } from '../order-types.js';

const statusList = ORDER_STATUSES.map((status) => `'${status}'`).join(', ');

/** Millisecond precision: exactly what a JavaScript Date (and so the ISO strings the tools show) holds. */
const isoTimestamp = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

/**
 * The Postgres twin of ../sqlite/schema.ts: same columns, checks and tenant-leading indexes, so both
 * engines refuse and find the same things. Differences are only where Postgres has a better type: a
 * 64-bit identity for the id (any whole order number a model sends is a valid lookup, never an
 * out-of-range error) and timestamptz for the timestamps (shown as ISO-8601 strings by the repository).
 */
export const orders = pgTable(
  'orders',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: text('tenant_id').notNull(),
    customerName: text('customer_name').notNull(),
    customerEmail: text('customer_email'),
    billingAddress: text('billing_address').notNull(),
    productSku: text('product_sku').notNull(),
    quantity: integer('quantity').notNull(),
    amountCents: integer('amount_cents').notNull(),
    remarks: text('remarks'),
    status: text('status').$type<OrderStatus>().notNull(),
    createdAt: isoTimestamp('created_at').notNull(),
    updatedAt: isoTimestamp('updated_at').notNull(),
  },
  (table) => [
    // As in SQLite: the tenant leads, lower() for the case-insensitive lookups, (created_at, id) last
    // so a filtered listing comes out newest first straight from the index.
    index('orders_tenant_customer_name_idx').on(
      table.tenantId,
      sql`lower(${table.customerName})`,
      table.createdAt,
      table.id,
    ),
    index('orders_tenant_customer_email_idx').on(
      table.tenantId,
      sql`lower(${table.customerEmail})`,
      table.createdAt,
      table.id,
    ),
    index('orders_tenant_status_idx').on(table.tenantId, table.status, table.createdAt, table.id),
    index('orders_tenant_created_at_idx').on(table.tenantId, table.createdAt, table.id),
    check('orders_status_check', sql.raw(`status IN (${statusList})`)),
    check('orders_quantity_check', sql`quantity > 0`),
    check('orders_amount_check', sql`amount_cents > 0`),
  ],
);

export type OrderRow = typeof orders.$inferSelect;

/** The Postgres twin of the SQLite `audit_log` (see ../sqlite/schema.ts). */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: text('tenant_id').notNull(),
    sessionId: text('session_id').notNull(),
    turnId: text('turn_id').notNull(),
    requestId: text('request_id').notNull(),
    actorRole: text('actor_role').notNull(),
    actorVia: text('actor_via').notNull(),
    actorId: text('actor_id'),
    customerRef: text('customer_ref'),
    tool: text('tool').notNull(),
    arguments: text('arguments').notNull(),
    status: text('status').$type<'ok' | 'error'>().notNull(),
    durationMs: integer('duration_ms').notNull(),
    error: text('error'),
    createdAt: isoTimestamp('created_at').notNull(),
  },
  (table) => [
    index('audit_tenant_created_idx').on(table.tenantId, table.createdAt, table.id),
    index('audit_tenant_session_idx').on(table.tenantId, table.sessionId, table.createdAt),
    index('audit_tenant_tool_idx').on(table.tenantId, table.tool, table.createdAt),
    index('audit_created_idx').on(table.createdAt),
  ],
);

export type AuditRow = typeof auditLog.$inferSelect;

/** The Postgres twin of the SQLite `feedback` table (see ../sqlite/schema.ts). */
export const feedback = pgTable(
  'feedback',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: text('tenant_id').notNull(),
    sessionId: text('session_id').notNull(),
    turnId: text('turn_id').notNull(),
    rating: integer('rating').notNull(),
    comment: text('comment'),
    requestId: text('request_id').notNull(),
    actorRole: text('actor_role').notNull(),
    actorVia: text('actor_via').notNull(),
    actorId: text('actor_id'),
    customerRef: text('customer_ref'),
    createdAt: isoTimestamp('created_at').notNull(),
  },
  (table) => [
    uniqueIndex('feedback_target_idx').on(table.tenantId, table.sessionId, table.turnId),
    index('feedback_tenant_created_idx').on(table.tenantId, table.createdAt, table.id),
    check('feedback_rating_check', sql`rating BETWEEN 1 AND 5`),
  ],
);

export type FeedbackRow = typeof feedback.$inferSelect;
