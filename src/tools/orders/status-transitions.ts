import { ORDER_STATUSES, type OrderStatus } from '../../db/order-types.js';

/** DESIGN §5: PENDING→CONFIRMED→PROCESSING→SHIPPED→DELIVERED; CANCELLED from the first three. */
export const NEXT_STATUSES: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ['CONFIRMED', 'CANCELLED'],
  CONFIRMED: ['PROCESSING', 'CANCELLED'],
  PROCESSING: ['SHIPPED', 'CANCELLED'],
  SHIPPED: ['DELIVERED'],
  DELIVERED: [],
  CANCELLED: [],
};

/** Details (address, quantity, amount…) may change only before the order is being processed. */
export const EDITABLE_STATUSES = ['PENDING', 'CONFIRMED'] as const satisfies readonly OrderStatus[];

/** A new order has not been processed yet, so it can only start in one of these. */
export const INITIAL_STATUSES = ['PENDING', 'CONFIRMED'] as const satisfies readonly OrderStatus[];
export type InitialStatus = (typeof INITIAL_STATUSES)[number];

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return NEXT_STATUSES[from].includes(to);
}

/** The statuses an order must be in for a move to `to` to be valid (the guard of the UPDATE). */
export function statusesLeadingTo(to: OrderStatus): OrderStatus[] {
  return ORDER_STATUSES.filter((from) => canTransition(from, to));
}
