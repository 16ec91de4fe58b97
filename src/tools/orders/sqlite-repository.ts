import { and, count, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Order, OrderStatus } from '../../db/order-types.js';
import type { SqliteOrderDb } from '../../db/sqlite/open.js';
import { orders } from '../../db/sqlite/schema.js';
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
 * better-sqlite3 is synchronous, so each method does its work at once and hands back a settled
 * promise. Changes that depend on the current status run in an IMMEDIATE transaction (the write lock
 * is taken before the status is read) and repeat the status condition in the UPDATE, so two
 * concurrent changes, even from two processes, cannot both pass a stale check.
 */
export function createSqliteOrdersRepository(
  db: SqliteOrderDb,
  options: OrdersRepositoryOptions = {},
): OrdersRepository {
  const now = options.now ?? (() => new Date());

  const byId = (tenantId: string, orderId: number): SQL => orderById(orders, tenantId, orderId);

  function currentStatus(
    exec: Pick<SqliteOrderDb, 'select'>,
    tenantId: string,
    orderId: number,
  ): OrderStatus | undefined {
    return exec.select({ status: orders.status }).from(orders).where(byId(tenantId, orderId)).get()?.status;
  }

  // The hot read, prepared once: the agent looks orders up on most turns.
  const getOrderById = db
    .select()
    .from(orders)
    .where(and(eq(orders.id, sql.placeholder('orderId')), eq(orders.tenantId, sql.placeholder('tenantId'))))
    .prepare();

  function getOrder(tenantId: string, orderId: number): Order | undefined {
    const row = getOrderById.get({ orderId, tenantId });
    return row ? orderFromRow(row) : undefined;
  }

  function createOrder(tenantId: string, input: NewOrder): Order {
    const status = initialStatusOf(input);
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
    return orderFromRow(row);
  }

  function listOrders(tenantId: string, filter: OrderFilter = {}): OrderPage {
    const where = orderListWhere(orders, tenantId, filter);

    const total = db.select({ n: count() }).from(orders).where(where).get()?.n ?? 0;
    const rows = db
      .select()
      .from(orders)
      .where(where)
      .orderBy(desc(orders.createdAt), desc(orders.id))
      .limit(filter.limit ?? DEFAULT_LIST_LIMIT)
      .offset(filter.offset ?? 0)
      .all();
    return { total, orders: rows.map(orderFromRow) };
  }

  function updateOrder(tenantId: string, orderId: number, changes: OrderChanges): OrderUpdateResult {
    const values = { ...changedValues(changes), updatedAt: now().toISOString() };
    return db.transaction(
      (tx): OrderUpdateResult => {
        const row = tx
          .update(orders)
          .set(values)
          .where(and(byId(tenantId, orderId), inArray(orders.status, [...EDITABLE_STATUSES])))
          .returning()
          .get();
        if (row) return { ok: true, order: orderFromRow(row) };
        const status = currentStatus(tx, tenantId, orderId);
        return status === undefined
          ? { ok: false, reason: 'not_found' }
          : { ok: false, reason: 'not_editable', status };
      },
      { behavior: 'immediate' },
    );
  }

  function changeStatus(
    tenantId: string,
    orderId: number,
    to: OrderStatus,
    note?: string,
  ): StatusChangeResult {
    const from = statusesLeadingTo(to);
    const remarks =
      note === undefined
        ? undefined
        : sql`CASE WHEN ${orders.remarks} IS NULL OR ${orders.remarks} = '' THEN ${note} ELSE ${orders.remarks} || char(10) || ${note} END`;

    return db.transaction(
      (tx): StatusChangeResult => {
        const previous = currentStatus(tx, tenantId, orderId);
        if (previous === undefined) return { ok: false, reason: 'not_found' };
        if (!from.includes(previous)) return refusedTransition(previous);
        // The status guard repeats the check in the statement itself, so correctness does not rest
        // on the transaction mode alone.
        const row = tx
          .update(orders)
          .set({ status: to, updatedAt: now().toISOString(), ...(remarks ? { remarks } : {}) })
          .where(and(byId(tenantId, orderId), eq(orders.status, previous)))
          .returning()
          .get();
        return row
          ? { ok: true, order: orderFromRow(row), previousStatus: previous }
          : refusedTransition(previous);
      },
      { behavior: 'immediate' },
    );
  }

  // Thrown errors (SQLITE_BUSY after the busy timeout, a closed database) become rejections.
  const settle =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    async (...args: A): Promise<R> =>
      fn(...args);

  return {
    getOrder: settle(getOrder),
    createOrder: settle(createOrder),
    listOrders: settle(listOrders),
    updateOrder: settle(updateOrder),
    changeStatus: settle(changeStatus),
    cancelOrder: settle((tenantId: string, orderId: number, reason?: string) =>
      changeStatus(tenantId, orderId, 'CANCELLED', cancellationNote(reason)),
    ),
  };
}
