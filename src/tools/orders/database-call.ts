import { databaseProblem, withoutQueryDetails } from '../../db/errors.js';
import type { Order, OrderReader } from '../../db/order-types.js';
import { type ToolContext, ToolError } from '../registry.js';

export const ORDER_DB_UNAVAILABLE = 'The order database is unavailable right now; try again in a moment';
export const ORDER_DB_BUSY = 'The order database is busy; try again in a moment';

/**
 * Runs one repository call for a tool. An engine that is down or busy is a transient condition the
 * model should explain to the customer, so it becomes a ToolError (the change did not happen: a
 * status change is one transaction, rolled back by the server when its connection is lost).
 * Anything else stays an internal error, stripped of the SQL text and parameters drizzle puts in
 * its messages, so no customer data reaches the log.
 */
export async function orderDatabaseCall<T>(
  ctx: ToolContext,
  write: boolean,
  action: () => Promise<T>,
): Promise<T> {
  if (write) ctx.signal.throwIfAborted();
  try {
    return await action();
  } catch (err) {
    const problem = databaseProblem(err);
    if (problem === 'unavailable') {
      ctx.logger.warn({ reason: (withoutQueryDetails(err) as Error).message }, 'order database unavailable');
      throw new ToolError(ORDER_DB_UNAVAILABLE, { retryable: true });
    }
    if (problem === 'busy') throw new ToolError(ORDER_DB_BUSY, { retryable: true });
    throw withoutQueryDetails(err);
  }
}

/** The same message whether the order does not exist or belongs to another tenant. */
export function orderNotFound(orderId: number): ToolError {
  return new ToolError(`Order ${orderId} not found`, { order_id: orderId });
}

/** One order of the turn's tenant, for any tool that needs it (orders, e-mail); not found is a ToolError. */
export async function readOrder(ctx: ToolContext, orders: OrderReader, orderId: number): Promise<Order> {
  const order = await orderDatabaseCall(ctx, false, () => orders.getOrder(ctx.tenantId, orderId));
  if (!order) throw orderNotFound(orderId);
  return order;
}
