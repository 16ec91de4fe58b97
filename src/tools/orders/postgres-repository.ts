import { and, count, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Order, OrderStatus } from '../../db/order-types.js';
import type { PostgresOrderDb } from '../../db/postgres/open.js';
import { orders } from '../../db/postgres/schema.js';
import { orderById, orderListWhere } from './conditions.js';
import {
  cancellationNote,
  changedValues,
  DEFAULT_LIST_LIMIT,
  initialStatusOf,
  type NewOrder,
  type OrderChanges,
  type OrderFilter,
  type OrderPage,
  type OrdersRepository,
  type OrdersRepositoryOptions,
  type OrderUpdateResult,
  orderFromRow,
  refusedTransition,
  type StatusChangeResult,
} from './repository-contract.js';
import { EDITABLE_STATUSES, statusesLeadingTo } from './status-transitions.js';

/**
 * Orders in Postgres, shared by every instance. A status change locks the order's row
 * (SELECT … FOR UPDATE) inside a transaction, checks the transition, and updates with the status
 * it read repeated in the WHERE clause: a second instance changing the same order waits for the
 * lock, then reads the status the first one wrote, so two instances can never both pass a stale
 * check. Detail edits are one conditional UPDATE (atomic by itself). A connection lost mid-way
 * rolls the transaction back on the server: nothing is half-written.
 */
export function createPostgresOrdersRepository(
  db: PostgresOrderDb,
  options: OrdersRepositoryOptions = {},
): OrdersRepository {
  const now = options.now ?? (() => new Date());

  const byId = (tenantId: string, orderId: number): SQL => orderById(orders, tenantId, orderId);

  async function currentStatus(tenantId: string, orderId: number): Promise<OrderStatus | undefined> {
    const [row] = await db.select({ status: orders.status }).from(orders).where(byId(tenantId, orderId));
    return row?.status;
  }

  async function getOrder(tenantId: string, orderId: number): Promise<Order | undefined> {
    const [row] = await db.select().from(orders).where(byId(tenantId, orderId));
    return row ? orderFromRow(row) : undefined;
  }

  async function createOrder(tenantId: string, input: NewOrder): Promise<Order> {
    const status = initialStatusOf(input);
    const timestamp = now();
    const [row] = await db
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
      .returning();
    return orderFromRow(row!);
  }

  async function listOrders(tenantId: string, filter: OrderFilter = {}): Promise<OrderPage> {
    const where = orderListWhere(orders, tenantId, filter);

    const [totals, rows] = await Promise.all([
      db.select({ n: count() }).from(orders).where(where),
      db
        .select()
        .from(orders)
        .where(where)
        .orderBy(desc(orders.createdAt), desc(orders.id))
        .limit(filter.limit ?? DEFAULT_LIST_LIMIT)
        .offset(filter.offset ?? 0),
    ]);
    return { total: totals[0]?.n ?? 0, orders: rows.map(orderFromRow) };
  }

  async function updateOrder(
    tenantId: string,
    orderId: number,
    changes: OrderChanges,
  ): Promise<OrderUpdateResult> {
    const values = { ...changedValues(changes), updatedAt: now() };
    const [row] = await db
      .update(orders)
      .set(values)
      .where(and(byId(tenantId, orderId), inArray(orders.status, [...EDITABLE_STATUSES])))
      .returning();
    if (row) return { ok: true, order: orderFromRow(row) };
    // Nothing matched: say why, with the status as it is now.
    const status = await currentStatus(tenantId, orderId);
    return status === undefined
      ? { ok: false, reason: 'not_found' }
      : { ok: false, reason: 'not_editable', status };
  }

  async function changeStatus(
    tenantId: string,
    orderId: number,
    to: OrderStatus,
    note?: string,
  ): Promise<StatusChangeResult> {
    const from = statusesLeadingTo(to);
    const remarks =
      note === undefined
        ? undefined
        : sql`CASE WHEN ${orders.remarks} IS NULL OR ${orders.remarks} = '' THEN ${note}::text ELSE ${orders.remarks} || chr(10) || ${note}::text END`;

    return db.transaction(async (tx): Promise<StatusChangeResult> => {
      const [locked] = await tx
        .select({ status: orders.status })
        .from(orders)
        .where(byId(tenantId, orderId))
        .for('update');
      if (!locked) return { ok: false, reason: 'not_found' };
      const previous = locked.status;
      if (!from.includes(previous)) return refusedTransition(previous);
      const [row] = await tx
        .update(orders)
        .set({ status: to, updatedAt: now(), ...(remarks ? { remarks } : {}) })
        .where(and(byId(tenantId, orderId), eq(orders.status, previous)))
        .returning();
      return row
        ? { ok: true, order: orderFromRow(row), previousStatus: previous }
        : refusedTransition(previous);
    });
  }

  return {
    getOrder,
    createOrder,
    listOrders,
    updateOrder,
    changeStatus,
    cancelOrder: (tenantId, orderId, reason) =>
      changeStatus(tenantId, orderId, 'CANCELLED', cancellationNote(reason)),
  };
}
