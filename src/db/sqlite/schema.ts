import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { ORDER_STATUSES, type OrderStatus } from '../order-types.js';

const statusList = ORDER_STATUSES.map((status) => `'${status}'`).join(', ');

export const orders = sqliteTable(
  'orders',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: text('tenant_id').notNull(),
    customerName: text('customer_name').notNull(),
    customerEmail: text('customer_email'),
    billingAddress: text('billing_address').notNull(),
    productSku: text('product_sku').notNull(),
    quantity: integer('quantity').notNull(),
    amountCents: integer('amount_cents').notNull(),
    remarks: text('remarks'),
    status: text('status').$type<OrderStatus>().notNull(),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (table) => [
    // The tenant leads every index because every query filters by it. Lookups by id use the rowid
    // (then check the tenant), so they need none. Names and e-mails are matched case-insensitively,
    // hence lower(); each filter index ends with (created_at, id) so that a filtered listing comes
    // out newest first straight from the index, without a sort.
    index('orders_tenant_customer_name_idx').on(
      table.tenantId,
      sql`lower(customer_name)`,
      table.createdAt,
      table.id,
    ),
    index('orders_tenant_customer_email_idx').on(
      table.tenantId,
      sql`lower(customer_email)`,
      table.createdAt,
      table.id,
    ),
    index('orders_tenant_status_idx').on(table.tenantId, table.status, table.createdAt, table.id),
    index('orders_tenant_created_at_idx').on(table.tenantId, table.createdAt, table.id),
    // The database refuses what the tools would refuse, so a bug elsewhere cannot store nonsense.
    check('orders_status_check', sql.raw(`status IN (${statusList})`)),
    check('orders_quantity_check', sql`quantity > 0`),
    check('orders_amount_check', sql`amount_cents > 0`),
  ],
);

export type OrderRow = typeof orders.$inferSelect;
export type NewOrderRow = typeof orders.$inferInsert;

/**
 * One row per tool call (DESIGN §11): who (actor), what (tool, redacted arguments), for which tenant,
 * session and turn, and how it went. Written off the hot path by src/audit/recorder.ts.
 */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
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
    createdAt: text('created_at').notNull(),
  },
  (table) => [
    // Every read filters by tenant and lists newest first; retention deletes by age alone.
    index('audit_tenant_created_idx').on(table.tenantId, table.createdAt, table.id),
    index('audit_tenant_session_idx').on(table.tenantId, table.sessionId, table.createdAt),
    index('audit_tenant_tool_idx').on(table.tenantId, table.tool, table.createdAt),
    index('audit_created_idx').on(table.createdAt),
  ],
);

export type AuditRow = typeof auditLog.$inferSelect;

/**
 * Customers' ratings (DESIGN §13): one row per rated answer (`turn_id`) or per whole session
 * (`turn_id` empty), so a second rating of the same thing replaces the first. The comment is kept as
 * the customer wrote it; it is never logged.
 */
export const feedback = sqliteTable(
  'feedback',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
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
    createdAt: text('created_at').notNull(),
  },
  (table) => [
    uniqueIndex('feedback_target_idx').on(table.tenantId, table.sessionId, table.turnId),
    index('feedback_tenant_created_idx').on(table.tenantId, table.createdAt, table.id),
    check('feedback_rating_check', sql`rating BETWEEN 1 AND 5`),
  ],
);

export type FeedbackRow = typeof feedback.$inferSelect;
