import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDER_STATUSES, type Order, type OrderStatus } from '../../src/db/order-types.js';
import { closeEngines, ENGINES, type OrderFixture, openFixture, sampleOrder } from './support.js';

// Written out independently of the implementation: DESIGN §5.
const ALLOWED = new Set([
  'PENDING>CONFIRMED',
  'CONFIRMED>PROCESSING',
  'PROCESSING>SHIPPED',
  'SHIPPED>DELIVERED',
  'PENDING>CANCELLED',
  'CONFIRMED>CANCELLED',
  'PROCESSING>CANCELLED',
]);

const PATH_TO: Record<OrderStatus, OrderStatus[]> = {
  PENDING: [],
  CONFIRMED: ['CONFIRMED'],
  PROCESSING: ['CONFIRMED', 'PROCESSING'],
  SHIPPED: ['CONFIRMED', 'PROCESSING', 'SHIPPED'],
  DELIVERED: ['CONFIRMED', 'PROCESSING', 'SHIPPED', 'DELIVERED'],
  CANCELLED: ['CANCELLED'],
};

const pairs = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as const));

afterAll(closeEngines);

describe.each(ENGINES)('on %s', (engine) => {
  let fx: OrderFixture;
  beforeAll(async () => {
    fx = await openFixture(engine);
  });
  afterAll(() => fx.cleanup());

  async function orderIn(status: OrderStatus): Promise<Order> {
    const { order } = await fx.ok<{ order: Order }>('create_order', sampleOrder);
    for (const next of PATH_TO[status])
      await fx.ok('update_order_status', { order_id: order.order_id, status: next });
    return (await fx.repo.getOrder('tenant-a', order.order_id))!;
  }

  describe('update_order_status over all 36 status pairs', () => {
    it('covers exactly seven allowed transitions', () => {
      expect(pairs).toHaveLength(36);
      expect(pairs.filter(([from, to]) => ALLOWED.has(`${from}>${to}`))).toHaveLength(7);
    });

    it.each(pairs)('%s → %s', async (from, to) => {
      const before = await orderIn(from);
      expect(before.status).toBe(from);
      const outcome = await fx.call('update_order_status', { order_id: before.order_id, status: to });
      const after = (await fx.repo.getOrder('tenant-a', before.order_id))!;

      if (ALLOWED.has(`${from}>${to}`)) {
        expect(outcome).toMatchObject({
          kind: 'ok',
          result: { previous_status: from, order: { status: to } },
        });
        expect(after.status).toBe(to);
        return;
      }
      const allowedNext = ORDER_STATUSES.filter((next) => ALLOWED.has(`${from}>${next}`));
      expect(outcome).toMatchObject({
        kind: 'tool_error',
        details: { current_status: from, requested_status: to, allowed_next_statuses: allowedNext },
      });
      const message = outcome.kind === 'tool_error' ? outcome.message : '';
      if (allowedNext.length > 0)
        expect(message).toContain(`allowed next statuses: ${allowedNext.join(', ')}`);
      else expect(message).toContain('a final status');
      expect(after).toEqual(before);
    });

    it.each(ORDER_STATUSES)('cancel_order from %s follows the same rules', async (from) => {
      const before = await orderIn(from);
      const outcome = await fx.call('cancel_order', { order_id: before.order_id, reason: 'test' });
      const cancellable = ALLOWED.has(`${from}>CANCELLED`);
      expect(outcome.kind).toBe(cancellable ? 'ok' : 'tool_error');
      expect((await fx.repo.getOrder('tenant-a', before.order_id))!.status).toBe(
        cancellable ? 'CANCELLED' : from,
      );
    });

    it.each(ORDER_STATUSES)(
      'update_order on a %s order is allowed only while PENDING or CONFIRMED',
      async (from) => {
        const before = await orderIn(from);
        const outcome = await fx.call('update_order', { order_id: before.order_id, quantity: 7 });
        const editable = from === 'PENDING' || from === 'CONFIRMED';
        expect(outcome.kind).toBe(editable ? 'ok' : 'tool_error');
        expect((await fx.repo.getOrder('tenant-a', before.order_id))!.quantity).toBe(
          editable ? 7 : before.quantity,
        );
      },
    );
  });
});
