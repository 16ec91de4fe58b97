import { and, count, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { OrderDb } from '../../db/open-database.js';
import type { Order, OrderReader, OrderStatus } from '../../db/order-types.js';
import { type OrderRow, orders } from '../../db/schema.js';
import { fromCents } from './money.js';
import {
  EDITABLE_STATUSES,
  INITIAL_STATUSES,
  type InitialStatus,
  NEXT_STATUSES,
  statusesLeadingTo,
} from './status-transitions.js';

export interface NewOrder {
  customerName: string;
  customerEmail?: string | null;
  billingAddress: string;
  productSku: string;
  quantity: number;
  amountCents: number;
  remarks?: string | null;
  status?: InitialStatus;
}

export interface OrderChanges {
  billingAddress?: string;
  quantity?: number;
  amountCents?: number;
  /** `null` clears the remarks. */
  remarks?: string | null;
  customerEmail?: string;
}

export interface OrderFilter {
  /** Exact name, compared case-insensitively. */
  customerName?: string;
  /** Exact address, compared case-insensitively. */
  customerEmail?: string;
  status?: OrderStatus;
  limit?: number;
  offset?: number;
}

export interface OrderPage {
  total: number;
  orders: Order[];
}

export type OrderUpdateResult =
  | { ok: true; order: Order }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'not_editable'; status: OrderStatus };

export type StatusChangeResult =
  | { ok: true; order: Order; previousStatus: OrderStatus }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'invalid_transition'; status: OrderStatus; allowed: readonly OrderStatus[] };

export interface OrdersRepositoryOptions {
  /** Clock for created_at/updated_at; tests pass a fixed one. */
  now?: () => Date;
}

function toOrder(row: OrderRow): Order {
  return {
    order_id: row.id,
    customer_name: row.customerName,
    customer_email: row.customerEmail,
    billing_address: row.billingAddress,
    product_sku: row.productSku,
    quantity: row.quantity,
    order_amount: fromCents(row.amountCents),
    remarks: row.remarks,
    status: row.status,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

/**
 * Every method takes the tenant first and every statement filters by it, so an order of another
 * tenant is indistinguishable from one that does not exist. Changes that depend on the current
 * status run in an IMMEDIATE transaction (the write lock is taken before the status is read) and
 * repeat the status condition in the UPDATE, so two concurrent changes, even from two processes,
 * cannot both pass a stale check, and a refusal names the status that really caused it.
 */
export function createOrdersRepository(db: OrderDb, options: OrdersRepositoryOptions = {}) {
  const now = options.now ?? (() => new Date());

  const byId = (tenantId: string, orderId: number): SQL =>
    and(eq(orders.id, orderId), eq(orders.tenantId, tenantId))!;

  function currentStatus(
    exec: Pick<OrderDb, 'select'>,
    tenantId: string,
    orderId: number,
  ): OrderStatus | undefined {
    return exec.select({ status: orders.status }).from(orders).where(byId(tenantId, orderId)).get()?.status;
  }

  function getOrder(tenantId: string, orderId: number): Order | undefined {
    const row = db.select().from(orders).where(byId(tenantId, orderId)).get();
    return row ? toOrder(row) : undefined;
  }

  function createOrder(tenantId: string, input: NewOrder): Order {
    const status = input.status ?? 'PENDING';
    if (!INITIAL_STATUSES.includes(status)) throw new Error(`a new order cannot start as ${status}`);
    const timestamp = now().toISOString();
    const row = db
      .insert(orders)
      .values({
        tenantId,
        customerName: input.customerName,
        customerEmail: input.customerEmail ?? null,
        billingAddress: input.billingAddress,
        productSku: input.productSku,
        quantity: input.quantity,
        amountCents: input.amountCents,
        remarks: input.remarks ?? null,
        status,
        createdAt: timestamp,
        updatedAt: timestamp,
      })
      .returning()
      .get();
    return toOrder(row);
  }

  function listOrders(tenantId: string, filter: OrderFilter = {}): OrderPage {
    const conditions: SQL[] = [eq(orders.tenantId, tenantId)];
    // Written as lower(column) so that the lower() expression indexes apply.
    if (filter.customerName !== undefined) {
      conditions.push(sql`lower(${orders.customerName}) = lower(${filter.customerName})`);
    }
    if (filter.customerEmail !== undefined) {
      conditions.push(sql`lower(${orders.customerEmail}) = lower(${filter.customerEmail})`);
    }
    if (filter.status !== undefined) conditions.push(eq(orders.status, filter.status));
    const where = and(...conditions);

    const total = db.select({ n: count() }).from(orders).where(where).get()?.n ?? 0;
    const rows = db
      .select()
      .from(orders)
      .where(where)
      .orderBy(desc(orders.createdAt), desc(orders.id))
      .limit(filter.limit ?? 10)
      .offset(filter.offset ?? 0)
      .all();
    return { total, orders: rows.map(toOrder) };
  }

  function updateOrder(tenantId: string, orderId: number, changes: OrderChanges): OrderUpdateResult {
    const values: Partial<typeof orders.$inferInsert> = {};
    if (changes.billingAddress !== undefined) values.billingAddress = changes.billingAddress;
    if (changes.quantity !== undefined) values.quantity = changes.quantity;
    if (changes.amountCents !== undefined) values.amountCents = changes.amountCents;
    if (changes.remarks !== undefined) values.remarks = changes.remarks;
    if (changes.customerEmail !== undefined) values.customerEmail = changes.customerEmail;
    if (Object.keys(values).length === 0) throw new Error('updateOrder needs at least one change');
    values.updatedAt = now().toISOString();

    return db.transaction(
      (tx): OrderUpdateResult => {
        const row = tx
          .update(orders)
          .set(values)
          .where(and(byId(tenantId, orderId), inArray(orders.status, [...EDITABLE_STATUSES])))
          .returning()
          .get();
        if (row) return { ok: true, order: toOrder(row) };
        const status = currentStatus(tx, tenantId, orderId);
        return status === undefined
          ? { ok: false, reason: 'not_found' }
          : { ok: false, reason: 'not_editable', status };
      },
      { behavior: 'immediate' },
    );
  }

  /** `note`, when given, is appended to the remarks on its own line in the same statement. */
  function changeStatus(
    tenantId: string,
    orderId: number,
    to: OrderStatus,
    note?: string,
  ): StatusChangeResult {
    const from = statusesLeadingTo(to);
    const refused = (status: OrderStatus): StatusChangeResult => ({
      ok: false,
      reason: 'invalid_transition',
      status,
      allowed: NEXT_STATUSES[status],
    });
    const remarks =
      note === undefined
        ? undefined
        : sql`CASE WHEN ${orders.remarks} IS NULL OR ${orders.remarks} = '' THEN ${note} ELSE ${orders.remarks} || char(10) || ${note} END`;

    return db.transaction(
      (tx): StatusChangeResult => {
        const previous = currentStatus(tx, tenantId, orderId);
        if (previous === undefined) return { ok: false, reason: 'not_found' };
        if (!from.includes(previous)) return refused(previous);
        // The status guard repeats the check in the statement itself, so correctness does not rest
        // on the transaction mode alone.
        const row = tx
          .update(orders)
          .set({ status: to, updatedAt: now().toISOString(), ...(remarks ? { remarks } : {}) })
          .where(and(byId(tenantId, orderId), eq(orders.status, previous)))
          .returning()
          .get();
        return row ? { ok: true, order: toOrder(row), previousStatus: previous } : refused(previous);
      },
      { behavior: 'immediate' },
    );
  }

  const repository = {
    getOrder,
    createOrder,
    listOrders,
    updateOrder,
    changeStatus,
    cancelOrder(tenantId: string, orderId: number, reason?: string): StatusChangeResult {
      return changeStatus(
        tenantId,
        orderId,
        'CANCELLED',
        reason ? `Cancellation reason: ${reason}` : undefined,
      );
    },
  };
  return repository satisfies OrderReader;
}

export type OrdersRepository = ReturnType<typeof createOrdersRepository>;
