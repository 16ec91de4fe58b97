import type { z } from 'zod';
import type { OrderAccessMode } from '../../access/order-access.js';
import type { OrderStatus } from '../../db/order-types.js';
import { defineTool, type Tool, type ToolContext, ToolError } from '../registry.js';
import { createOrderAccess } from './access.js';
import {
  cancelOrderArgs,
  createOrderArgs,
  EDITABLE_STATUS_TEXT,
  getOrderArgs,
  listOrdersArgs,
  MAX_LIST_LIMIT,
  quickOrderIdArgs,
  UPDATABLE_FIELDS,
  updateOrderArgs,
  updateOrderStatusArgs,
} from './arguments.js';
import { orderNotFound, orderDatabaseCall as run } from './database-call.js';
import { toCents } from './money.js';
import type { NewOrder, OrderChanges, OrdersRepository, StatusChangeResult } from './repository.js';
import { NEXT_STATUSES, statusesLeadingTo } from './status-transitions.js';

const TRANSITIONS_TEXT =
  'PENDING → CONFIRMED → PROCESSING → SHIPPED → DELIVERED; an order can be CANCELLED while PENDING, CONFIRMED or PROCESSING; DELIVERED and CANCELLED are final.';

function invalidTransition(orderId: number, current: OrderStatus, requested: OrderStatus): ToolError {
  const allowed = NEXT_STATUSES[current];
  const details = {
    order_id: orderId,
    current_status: current,
    requested_status: requested,
    allowed_next_statuses: [...allowed],
  };
  if (allowed.length === 0) {
    return new ToolError(
      `Order ${orderId} is ${current}, a final status; its status can no longer change`,
      details,
    );
  }
  const problem =
    current === requested
      ? `Order ${orderId} is already ${current}`
      : requested === 'CANCELLED'
        ? `Order ${orderId} is ${current} and can no longer be cancelled (only ${statusesLeadingTo('CANCELLED').join(', ')} orders can)`
        : `Order ${orderId} cannot move from ${current} to ${requested}`;
  return new ToolError(`${problem}; allowed next statuses: ${allowed.join(', ')}`, details);
}

type DetailArgs = Pick<z.infer<typeof updateOrderArgs>, (typeof UPDATABLE_FIELDS)[number]>;
/** What create_order's required fields guarantee on top of the optional changes. */
type NewOrderDetails = OrderChanges & Pick<NewOrder, 'billingAddress' | 'quantity' | 'amountCents'>;

/** The tools' snake_case order fields in the repository's camelCase, written once for create and update. */
function orderDetails(args: z.infer<typeof createOrderArgs>): NewOrderDetails;
function orderDetails(args: DetailArgs): OrderChanges;
function orderDetails(args: DetailArgs): OrderChanges {
  return {
    billingAddress: args.billing_address,
    quantity: args.quantity,
    amountCents: args.order_amount === undefined ? undefined : toCents(args.order_amount),
    remarks: args.remarks,
    customerEmail: args.customer_email,
  };
}

function statusChangeOutcome(orderId: number, requested: OrderStatus, result: StatusChangeResult) {
  if (result.ok) return { order: result.order, previous_status: result.previousStatus };
  if (result.reason === 'not_found') throw orderNotFound(orderId);
  throw invalidTransition(orderId, result.status, requested);
}

export interface OrderToolsOptions {
  /** Whose orders the tools may touch (ORDER_ACCESS); `customer` unless said otherwise. */
  access?: OrderAccessMode;
}

export function createOrderTools(repo: OrdersRepository, options: OrderToolsOptions = {}): Tool[] {
  const access = createOrderAccess(options.access ?? 'customer');
  /** Loads the order and throws unless this turn may see it (in tenant mode: unless it exists). */
  const visibleOrder = async (ctx: ToolContext, orderId: number, tool: string) => {
    const order = await run(ctx, false, () => repo.getOrder(ctx.tenantId, orderId));
    return access.visible(ctx, orderId, order, tool);
  };
  const restricted = access.mode === 'customer';
  return [
    defineTool({
      name: 'create_order',
      description:
        'Create a new order for a customer. Give the total order_amount in currency units (e.g. 19.99). ' +
        'A new order starts as PENDING (default) or CONFIRMED, never in a later status. ' +
        'Returns the created order with its order_id.',
      parameters: createOrderArgs,
      async execute(args, ctx) {
        const customerEmail = access.ownEmail(ctx, args.customer_email);
        const order = await run(ctx, true, () =>
          repo.createOrder(ctx.tenantId, {
            ...orderDetails(args),
            customerName: args.customer_name,
            customerEmail,
            productSku: args.product_sku,
            status: args.order_status,
          }),
        );
        ctx.logger.info({ order_id: order.order_id, status: order.status }, 'order created');
        return { order };
      },
    }),

    defineTool({
      name: 'get_order',
      description:
        'Look up one order by its order_id: customer, product, quantity, amount, status and timestamps.',
      parameters: getOrderArgs,
      quickParse: quickOrderIdArgs,
      async execute(args, ctx) {
        return { order: await visibleOrder(ctx, args.order_id, 'get_order') };
      },
    }),

    defineTool({
      name: 'list_orders',
      description:
        'List orders, newest first, optionally only those of one customer (exact name or e-mail) or in one status. ' +
        `Paginated with limit (1-${MAX_LIST_LIMIT}, default 10) and offset; "total" is the number of all matching orders.`,
      parameters: listOrdersArgs,
      async execute(args, ctx) {
        const customerEmail = access.listingEmail(ctx, args.customer_email);
        const page = await run(ctx, false, () =>
          repo.listOrders(ctx.tenantId, {
            customerName: args.customer_name,
            customerEmail,
            status: args.status,
            limit: args.limit,
            offset: args.offset,
          }),
        );
        return { total: page.total, limit: args.limit, offset: args.offset, orders: page.orders };
      },
    }),

    defineTool({
      name: 'update_order',
      description:
        `Change an order's details: ${UPDATABLE_FIELDS.join(', ')} (give only the fields to change, at least one). ` +
        `Only ${EDITABLE_STATUS_TEXT} orders can be changed. To change the status use update_order_status; ` +
        'to cancel use cancel_order.',
      parameters: updateOrderArgs,
      async execute(args, ctx) {
        if (restricted) {
          await visibleOrder(ctx, args.order_id, 'update_order');
          if (args.customer_email !== undefined) access.ownEmail(ctx, args.customer_email, args.order_id);
        }
        const changes: OrderChanges = orderDetails(args);
        const result = await run(ctx, true, () => repo.updateOrder(ctx.tenantId, args.order_id, changes));
        if (!result.ok) {
          if (result.reason === 'not_found') throw orderNotFound(args.order_id);
          throw new ToolError(
            `Order ${args.order_id} is ${result.status}; only ${EDITABLE_STATUS_TEXT} orders can be changed`,
            { order_id: args.order_id, current_status: result.status },
          );
        }
        const updatedFields = UPDATABLE_FIELDS.filter((field) => args[field] !== undefined);
        ctx.logger.info({ order_id: args.order_id, fields: updatedFields }, 'order updated');
        return { order: result.order, updated_fields: updatedFields };
      },
    }),

    defineTool({
      name: 'update_order_status',
      description: `Move an order to a new status. Only these transitions are allowed: ${TRANSITIONS_TEXT}`,
      parameters: updateOrderStatusArgs,
      async execute(args, ctx) {
        if (restricted) await visibleOrder(ctx, args.order_id, 'update_order_status');
        const result = await run(ctx, true, () =>
          repo.changeStatus(ctx.tenantId, args.order_id, args.status),
        );
        const outcome = statusChangeOutcome(args.order_id, args.status, result);
        ctx.logger.info(
          { order_id: args.order_id, from: outcome.previous_status, to: args.status },
          'order status changed',
        );
        return outcome;
      },
    }),

    defineTool({
      name: 'cancel_order',
      description:
        'Cancel an order that is PENDING, CONFIRMED or PROCESSING (shipped, delivered or already cancelled orders cannot be cancelled). ' +
        'An optional reason is added to the order remarks.',
      parameters: cancelOrderArgs,
      async execute(args, ctx) {
        if (restricted) await visibleOrder(ctx, args.order_id, 'cancel_order');
        const result = await run(ctx, true, () => repo.cancelOrder(ctx.tenantId, args.order_id, args.reason));
        const outcome = statusChangeOutcome(args.order_id, 'CANCELLED', result);
        ctx.logger.info({ order_id: args.order_id, from: outcome.previous_status }, 'order cancelled');
        return outcome;
      },
    }),
  ];
}
