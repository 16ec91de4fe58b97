import type { Order, OrderReader, OrderStatus } from '../../db/order-types.js';
import { fromCents } from './money.js';
import { INITIAL_STATUSES, type InitialStatus, NEXT_STATUSES } from './status-transitions.js';

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

/**
 * The orders as the tools use them, on any engine. Every method takes the tenant first and every
 * statement filters by it, so an order of another tenant is indistinguishable from one that does not
 * exist. A status change is atomic in the database itself: of two concurrent changes (two tools, two
 * connections, two instances) exactly one can pass a given status check, and a refusal names the
 * status that really caused it. Failures of the engine itself reject the promise (see db/errors.ts).
 */
export interface OrdersRepository extends OrderReader {
  getOrder(tenantId: string, orderId: number): Promise<Order | undefined>;
  createOrder(tenantId: string, input: NewOrder): Promise<Order>;
  listOrders(tenantId: string, filter?: OrderFilter): Promise<OrderPage>;
  updateOrder(tenantId: string, orderId: number, changes: OrderChanges): Promise<OrderUpdateResult>;
  /** `note`, when given, is appended to the remarks on its own line in the same statement. */
  changeStatus(
    tenantId: string,
    orderId: number,
    to: OrderStatus,
    note?: string,
  ): Promise<StatusChangeResult>;
  cancelOrder(tenantId: string, orderId: number, reason?: string): Promise<StatusChangeResult>;
}

export interface OrdersRepositoryOptions {
  /** Clock for created_at/updated_at; tests pass a fixed one. */
  now?: () => Date;
}

/** An orders row as both engines select it; only the timestamps' type differs (timestamptz vs ISO text). */
export interface OrderRowLike {
  id: number;
  customerName: string;
  customerEmail: string | null;
  billingAddress: string;
  productSku: string;
  quantity: number;
  amountCents: number;
  remarks: string | null;
  status: OrderStatus;
  createdAt: Date | string;
  updatedAt: Date | string;
}

const isoText = (value: Date | string): string => (typeof value === 'string' ? value : value.toISOString());

/** A row in the tools' (snake_case) terms, with the amount in currency units and ISO-8601 timestamps. */
export function orderFromRow(row: OrderRowLike): Order {
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
    created_at: isoText(row.createdAt),
    updated_at: isoText(row.updatedAt),
  };
}

export function initialStatusOf(input: NewOrder): InitialStatus {
  const status = input.status ?? 'PENDING';
  if (!INITIAL_STATUSES.includes(status)) throw new Error(`a new order cannot start as ${status}`);
  return status;
}

/** The column values an update sets, in the repositories' (camelCase) terms. */
export function changedValues(changes: OrderChanges): OrderChanges {
  const values: OrderChanges = {};
  if (changes.billingAddress !== undefined) values.billingAddress = changes.billingAddress;
  if (changes.quantity !== undefined) values.quantity = changes.quantity;
  if (changes.amountCents !== undefined) values.amountCents = changes.amountCents;
  if (changes.remarks !== undefined) values.remarks = changes.remarks;
  if (changes.customerEmail !== undefined) values.customerEmail = changes.customerEmail;
  if (Object.keys(values).length === 0) throw new Error('updateOrder needs at least one change');
  return values;
}

export function refusedTransition(status: OrderStatus): StatusChangeResult {
  return { ok: false, reason: 'invalid_transition', status, allowed: NEXT_STATUSES[status] };
}

export function cancellationNote(reason: string | undefined): string | undefined {
  return reason ? `Cancellation reason: ${reason}` : undefined;
}

export const DEFAULT_LIST_LIMIT = 10;
