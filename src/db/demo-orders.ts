import type { OrderStatus } from './order-types.js';

interface DemoOrder {
  customerName: string;
  customerEmail: string;
  billingAddress: string;
  productSku: string;
  quantity: number;
  amountCents: number;
  /** Reached through the real transitions, so the data is exactly what the tools would produce. */
  path: OrderStatus[];
}

const DEMO_ORDERS: DemoOrder[] = [
  {
    customerName: 'Ada Lovelace',
    customerEmail: 'ada@example.com',
    billingAddress: '12 Analytical Row, London',
    productSku: 'SKU-ENGINE-01',
    quantity: 1,
    amountCents: 129_900,
    path: ['CONFIRMED', 'PROCESSING', 'SHIPPED'],
  },
  {
    customerName: 'Ada Lovelace',
    customerEmail: 'ada@example.com',
    billingAddress: '12 Analytical Row, London',
    productSku: 'SKU-NOTES-02',
    quantity: 2,
    amountCents: 2_450,
    path: [],
  },
  {
    customerName: 'Alan Turing',
    customerEmail: 'alan@example.com',
    billingAddress: '3 Hut Lane, Bletchley',
    productSku: 'SKU-BOMBE-03',
    quantity: 1,
    amountCents: 49_999,
    path: ['CONFIRMED'],
  },
];

export interface DemoOrderWriter {
  createOrder(tenantId: string, input: Omit<DemoOrder, 'path'>): Promise<{ order_id: number }>;
  changeStatus(tenantId: string, orderId: number, to: OrderStatus): Promise<unknown>;
}

/**
 * A few orders for the default tenant, so that a fresh clone in offline mode can look up, list, mail and
 * cancel something on the first try. Returns how many were written.
 */
export async function seedDemoOrders(repo: DemoOrderWriter, tenantId = 'default'): Promise<number> {
  for (const { path, ...order } of DEMO_ORDERS) {
    const created = await repo.createOrder(tenantId, order);
    for (const status of path) await repo.changeStatus(tenantId, created.order_id, status);
  }
  return DEMO_ORDERS.length;
}
