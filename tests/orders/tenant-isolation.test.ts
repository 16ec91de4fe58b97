import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Order } from '../../src/db/order-types.js';
import { closeEngines, ENGINES, type OrderFixture, openFixture, sampleOrder } from './support.js';

const A = 'tenant-a';
const B = 'tenant-b';

afterAll(closeEngines);

describe.each(ENGINES)('on %s', (engine) => {
  let fx: OrderFixture;
  let theirs: Order;
  beforeEach(async () => {
    fx = await openFixture(engine);
    ({ order: theirs } = await fx.ok<{ order: Order }>(
      'create_order',
      { ...sampleOrder, customer_name: 'Shared Name', customer_email: 'shared@example.com' },
      B,
    ));
  });
  afterEach(() => fx.cleanup());

  describe("tenant A and tenant B's orders", () => {
    it.each([
      ['get_order', () => ({ order_id: theirs.order_id })],
      ['update_order', () => ({ order_id: theirs.order_id, quantity: 9, billing_address: 'Somewhere else' })],
      ['update_order_status', () => ({ order_id: theirs.order_id, status: 'CONFIRMED' })],
      ['cancel_order', () => ({ order_id: theirs.order_id, reason: 'hijack' })],
    ])(
      '%s from A answers "not found" for B\'s order, exactly as for a missing one, and changes nothing',
      async (tool, args) => {
        const outcome = await fx.call(tool, args(), A);
        const missing = await fx.call(tool, { ...args(), order_id: 9999 }, A);
        expect(outcome).toMatchObject({ kind: 'tool_error', message: `Order ${theirs.order_id} not found` });
        expect(missing).toMatchObject({ kind: 'tool_error', message: 'Order 9999 not found' });
        expect(await fx.repo.getOrder(B, theirs.order_id)).toEqual(theirs);
      },
    );

    it("list_orders from A never shows B's orders, whatever the filter", async () => {
      const { order: mine } = await fx.ok<{ order: Order }>(
        'create_order',
        { ...sampleOrder, customer_name: 'Shared Name', customer_email: 'shared@example.com' },
        A,
      );
      for (const filter of [
        {},
        { customer_name: 'Shared Name' },
        { customer_email: 'shared@example.com' },
        { status: 'PENDING' },
      ]) {
        const page = await fx.ok<{ total: number; orders: Order[] }>('list_orders', filter, A);
        expect(page).toEqual({ total: 1, limit: 10, offset: 0, orders: [mine] });
      }
      const theirPage = await fx.ok<{ total: number; orders: Order[] }>('list_orders', {}, B);
      expect(theirPage.orders.map((o) => o.order_id)).toEqual([theirs.order_id]);
    });

    it('takes the tenant from the turn, never from the arguments', async () => {
      const outcome = await fx.call('get_order', { order_id: theirs.order_id, tenant_id: B }, A);
      expect(outcome.kind).toBe('invalid_args');
      const created = await fx.call('create_order', { ...sampleOrder, tenant_id: B }, A);
      expect(created.kind).toBe('invalid_args');
      expect((await fx.repo.listOrders(B)).total).toBe(1);
    });

    it('B still manages its own order normally', async () => {
      await fx.ok('update_order', { order_id: theirs.order_id, quantity: 4 }, B);
      const result = await fx.ok<{ order: Order }>('cancel_order', { order_id: theirs.order_id }, B);
      expect(result.order).toMatchObject({ status: 'CANCELLED', quantity: 4 });
      expect(JSON.stringify(result)).not.toContain(B);
    });
  });
});
