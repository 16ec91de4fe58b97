import type { OrderAccessMode } from '../../access/order-access.js';
import type { Order } from '../../db/order-types.js';
import { type ToolContext, ToolError } from '../registry.js';

/**
 * Whose orders a tool call may see or change (DESIGN §11). In `tenant` mode any order of the
 * tenant; in `customer` mode only the verified customer's, or, without one, an order whose e-mail
 * address the conversation gave. Every refusal reads like "not found", so a guess learns nothing
 * about whether an order exists; wrong guesses are counted per session and stop for a while after
 * a few. The wording of `orderEmailNeeded` is what the offline assistant recognises as a request
 * for the e-mail address (the `needs` detail and the words "ask" and "e-mail").
 */
export interface OrderAccess {
  readonly mode: OrderAccessMode;
  /** The order, when this turn may see it; otherwise throws a ToolError that reveals nothing. */
  visible(ctx: ToolContext, orderId: number, order: Order | undefined, tool: string): Order;
  /** The e-mail a listing must be limited to (undefined: no limit); throws when none may be listed. */
  listingEmail(ctx: ToolContext, requested: string | undefined): string | undefined;
  /** The e-mail a new or changed order may carry; throws when the customer did not give it. */
  ownEmail(ctx: ToolContext, requested: string | undefined, orderId?: number): string | undefined;
}

const sameAddress = (a: string | null | undefined, b: string | null | undefined): boolean =>
  typeof a === 'string' && typeof b === 'string' && a.trim().toLowerCase() === b.trim().toLowerCase();

/** The verified customer's address, when the turn has one. */
export const verifiedEmail = (ctx: ToolContext): string | undefined => ctx.customer?.email || undefined;

export function orderEmailNeeded(orderId: number, tool: string): ToolError {
  return new ToolError(
    `Order ${orderId} is shown only to its customer: ask the customer for the e-mail address on the order, then call ${tool} again.`,
    { order_id: orderId, needs: 'customer_email' },
  );
}

/** The same answer for an order that does not exist and for one whose address was not given. */
export function orderNotFoundForEmail(orderId: number): ToolError {
  return new ToolError(
    `Order ${orderId} not found for the e-mail address given in this conversation; ask the customer to check the order number and the e-mail address on the order.`,
    { order_id: orderId, needs: 'customer_email' },
  );
}

function lockedOut(until: number, now: number): ToolError {
  const minutes = Math.max(1, Math.ceil((until - now) / 60_000));
  return new ToolError(
    `Too many tries with a wrong e-mail address in this conversation; order details stay locked for ${minutes} more minute${minutes === 1 ? '' : 's'}.`,
    { reason: 'locked', retry_after_seconds: Math.ceil((until - now) / 1000) },
  );
}

export function createOrderAccess(mode: OrderAccessMode): OrderAccess {
  return {
    mode,
    visible(ctx, orderId, order, tool) {
      if (mode === 'tenant') {
        if (!order) throw new ToolError(`Order ${orderId} not found`, { order_id: orderId });
        return order;
      }
      const own = verifiedEmail(ctx);
      if (own) {
        // Another customer's order is indistinguishable from one that does not exist.
        if (!order || !sameAddress(order.customer_email, own)) {
          throw new ToolError(`Order ${orderId} not found`, { order_id: orderId });
        }
        return order;
      }
      const proof = ctx.orderProof;
      const now = Date.now();
      const until = proof?.lockedUntil();
      if (until !== undefined) throw lockedOut(until, now);
      if (!proof?.anyGiven) throw orderEmailNeeded(orderId, tool);
      if (order && proof.gave(order.customer_email)) return order;
      const misses = proof.recordMiss();
      // Never the address: only that a proof failed, and how often in this session.
      ctx.logger.warn(
        { order_id: orderId, tool, misses, locked: proof.lockedUntil() !== undefined },
        'order access refused: the e-mail address given does not match',
      );
      throw orderNotFoundForEmail(orderId);
    },
    listingEmail(ctx, requested) {
      if (mode === 'tenant') return requested;
      const own = verifiedEmail(ctx);
      if (own) return own;
      const proof = ctx.orderProof;
      const until = proof?.lockedUntil();
      if (until !== undefined) throw lockedOut(until, Date.now());
      if (requested && proof?.gave(requested)) return requested;
      throw new ToolError(
        "Orders are listed only for the customer's own e-mail address: ask the customer for it and pass it as customer_email.",
        { needs: 'customer_email' },
      );
    },
    ownEmail(ctx, requested, orderId) {
      if (mode === 'tenant') return requested;
      const own = verifiedEmail(ctx);
      if (own) {
        if (requested !== undefined && !sameAddress(requested, own)) {
          throw new ToolError("An order can only carry the signed-in customer's own e-mail address.", {
            reason: 'not_own_email',
            ...(orderId === undefined ? {} : { order_id: orderId }),
          });
        }
        return own;
      }
      if (requested && ctx.orderProof?.gave(requested)) return requested;
      throw new ToolError(
        "The order needs the customer's own e-mail address: ask the customer for it and pass it as customer_email.",
        { needs: 'customer_email', ...(orderId === undefined ? {} : { order_id: orderId }) },
      );
    },
  };
}
