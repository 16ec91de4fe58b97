export const ORDER_STATUSES = [
  'PENDING',
  'CONFIRMED',
  'PROCESSING',
  'SHIPPED',
  'DELIVERED',
  'CANCELLED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** An order as tools and templates see it: money as a decimal amount, never the tenant id. */
export interface Order {
  order_id: number;
  customer_name: string;
  customer_email: string | null;
  billing_address: string;
  product_sku: string;
  quantity: number;
  /** Decimal currency amount, converted from the stored integer cents. */
  order_amount: number;
  remarks: string | null;
  status: OrderStatus;
  created_at: string;
  updated_at: string;
}

/** The read side other modules (e-mail templates) need; always scoped by tenant. */
export interface OrderReader {
  getOrder(tenantId: string, orderId: number): Promise<Order | undefined>;
}
