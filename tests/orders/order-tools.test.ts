import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Order } from '../../src/db/order-types.js';
import { toJsonSchema } from '../../src/tools/registry.js';
import {
  callTool,
  closeEngines,
  ENGINES,
  type OrderFixture,
  openFixture,
  sampleOrder,
  toolContext,
} from './support.js';

afterAll(closeEngines);

describe.each(ENGINES)('on %s', (engine) => {
  let fx: OrderFixture;
  beforeEach(async () => {
    fx = await openFixture(engine);
  });
  afterEach(() => fx.cleanup());

  async function create(overrides: Record<string, unknown> = {}): Promise<Order> {
    const { order } = await fx.ok<{ order: Order }>('create_order', { ...sampleOrder, ...overrides });
    return order;
  }

  describe('the order tools as the model sees them', () => {
    it('offers six tools whose JSON schemas name the required fields and the allowed values', () => {
      expect([...fx.tools.keys()].sort()).toEqual([
        'cancel_order',
        'create_order',
        'get_order',
        'list_orders',
        'update_order',
        'update_order_status',
      ]);
      const create = toJsonSchema(fx.tools.get('create_order')!) as {
        required: string[];
        properties: Record<string, { enum?: string[]; description?: string }>;
        additionalProperties: boolean;
      };
      expect(create.required.sort()).toEqual([
        'billing_address',
        'customer_name',
        'order_amount',
        'product_sku',
        'quantity',
      ]);
      expect(create.properties.order_status!.enum).toEqual(['PENDING', 'CONFIRMED']);
      expect(create.additionalProperties).toBe(false);
      for (const tool of fx.tools.values()) {
        expect(tool.description.length).toBeGreaterThan(20);
        const schema = toJsonSchema(tool) as { properties: Record<string, { description?: string }> };
        for (const [name, property] of Object.entries(schema.properties)) {
          expect(property.description, `${tool.name}.${name} needs a description`).toBeTruthy();
        }
      }
    });
  });

  describe('create_order', () => {
    it('creates a PENDING order and returns it with its id, amount and timestamps', async () => {
      const order = await create({ remarks: 'Gift wrap', customer_email: 'jane@example.com' });
      expect(order).toMatchObject({
        order_id: 1,
        customer_name: 'Jane Doe',
        customer_email: 'jane@example.com',
        billing_address: '1 Main Street, Springfield',
        product_sku: 'WIDGET-001',
        quantity: 2,
        order_amount: 19.99,
        remarks: 'Gift wrap',
        status: 'PENDING',
      });
      expect(new Date(order.created_at).toISOString()).toBe(order.created_at);
      expect(order.updated_at).toBe(order.created_at);
      expect(await fx.row(order.order_id)).toMatchObject({ amount_cents: 1999, tenant_id: 'tenant-a' });
      expect(JSON.parse(JSON.stringify(order))).toEqual(order);
    });

    it('keeps 19.99 as 19.99 and stores whole cents', async () => {
      for (const [amount, cents] of [
        [19.99, 1999],
        [0.01, 1],
        [0.1 + 0.2, 30],
        [1_000_000, 100_000_000],
        ['250.5', 25050],
      ] as const) {
        const order = await create({ order_amount: amount });
        expect((await fx.row(order.order_id)).amount_cents).toBe(cents);
        expect((await fx.repo.getOrder('tenant-a', order.order_id))!.order_amount).toBe(cents / 100);
      }
    });

    it('trims text, accepts numbers sent as strings and treats null or "" optional fields as absent', async () => {
      const order = await create({
        customer_name: '  Jane Doe  ',
        product_sku: ' WIDGET-001 ',
        quantity: '3',
        remarks: '',
        customer_email: null,
        order_status: ' confirmed ',
      });
      expect(order).toMatchObject({
        customer_name: 'Jane Doe',
        product_sku: 'WIDGET-001',
        quantity: 3,
        remarks: null,
        customer_email: null,
        status: 'CONFIRMED',
      });
    });

    it.each([
      ['quantity 0', { quantity: 0 }, 'quantity must be a whole number from 1 to 10,000'],
      ['quantity above 10,000', { quantity: 10_001 }, 'quantity must be a whole number from 1 to 10,000'],
      ['fractional quantity', { quantity: 1.5 }, 'quantity must be a whole number from 1 to 10,000'],
      ['amount of 0', { order_amount: 0 }, 'order_amount must be greater than 0'],
      ['negative amount', { order_amount: -5 }, 'order_amount must be greater than 0'],
      ['amount of 0.001', { order_amount: 0.001 }, 'order_amount must have at most 2 decimals'],
      ['amount of 19.999', { order_amount: '19.999' }, 'order_amount must have at most 2 decimals'],
      ['amount above the maximum', { order_amount: 1_000_000.01 }, 'order_amount must be at most 1,000,000'],
      ['amount that is text', { order_amount: 'twenty' }, 'order_amount must be a number'],
      ['blank name', { customer_name: '   ' }, 'customer_name must not be empty'],
      [
        'name of 201 characters',
        { customer_name: 'x'.repeat(201) },
        'customer_name must be at most 200 characters',
      ],
      [
        'name with a control character',
        { customer_name: 'Jane\u0007' },
        'customer_name must not contain control',
      ],
      [
        'address of 501 characters',
        { billing_address: 'a'.repeat(501) },
        'billing_address must be at most 500',
      ],
      ['SKU with spaces', { product_sku: 'WIDGET 001' }, 'product_sku may contain only letters'],
      ['SKU of 65 characters', { product_sku: 'A'.repeat(65) }, 'product_sku must be at most 64 characters'],
      [
        'invalid e-mail',
        { customer_email: 'jane at example' },
        'customer_email must be a valid e-mail address',
      ],
      ['e-mail above 254 characters', { customer_email: `${'a'.repeat(250)}@example.com` }, 'at most 254'],
      [
        'remarks of 1001 characters',
        { remarks: 'r'.repeat(1001) },
        'remarks must be at most 1000 characters',
      ],
      [
        'a later status',
        { order_status: 'SHIPPED' },
        'order_status of a new order must be PENDING or CONFIRMED',
      ],
      ['a tenant in the arguments', { tenant_id: 'tenant-b' }, 'Unrecognized key: "tenant_id"'],
    ])('refuses %s with a readable message', async (_label, overrides, message) => {
      const outcome = await fx.call('create_order', { ...sampleOrder, ...overrides });
      expect(outcome.kind).toBe('invalid_args');
      expect(outcome.kind === 'invalid_args' && outcome.message).toContain(message);
      expect((await fx.repo.listOrders('tenant-a')).total).toBe(0);
    });

    it('names a missing required field', async () => {
      const { customer_name: _omitted, ...rest } = sampleOrder;
      const outcome = await fx.call('create_order', rest);
      expect(outcome).toMatchObject({ kind: 'invalid_args' });
      expect(outcome.kind === 'invalid_args' && outcome.message).toContain('customer_name is required');
    });

    it('creates nothing once the turn has been aborted', async () => {
      const controller = new AbortController();
      controller.abort();
      const tool = fx.tools.get('create_order')!;
      await expect(callTool(tool, sampleOrder, toolContext('tenant-a', controller.signal))).rejects.toThrow();
      expect((await fx.repo.listOrders('tenant-a')).total).toBe(0);
    });
  });

  describe('get_order', () => {
    it('returns the order, whether the id comes as a number or a string', async () => {
      const created = await create();
      expect(await fx.ok('get_order', { order_id: created.order_id })).toEqual({ order: created });
      expect(await fx.ok('get_order', { order_id: String(created.order_id) })).toEqual({ order: created });
    });

    it('reports an unknown order as not found', async () => {
      expect(await fx.call('get_order', { order_id: 42 })).toMatchObject({
        kind: 'tool_error',
        message: 'Order 42 not found',
      });
    });

    it.each([[0], [-1], [1.5], ['abc'], [null]])('refuses order_id %j', async (orderId) => {
      const outcome = await fx.call('get_order', { order_id: orderId });
      expect(outcome.kind).toBe('invalid_args');
      expect(outcome.kind === 'invalid_args' && outcome.message).toContain('order_id');
    });
  });

  describe('list_orders', () => {
    it('lists newest first with the total, and pages with limit and offset', async () => {
      for (let i = 1; i <= 12; i += 1) await create({ product_sku: `SKU-${i}` });
      const first = await fx.ok<{ total: number; limit: number; offset: number; orders: Order[] }>(
        'list_orders',
        {},
      );
      expect(first.total).toBe(12);
      expect(first.limit).toBe(10);
      expect(first.orders.map((o) => o.product_sku)).toEqual(
        [12, 11, 10, 9, 8, 7, 6, 5, 4, 3].map((i) => `SKU-${i}`),
      );
      const second = await fx.ok<{ total: number; orders: Order[] }>('list_orders', { limit: 5, offset: 10 });
      expect(second.total).toBe(12);
      expect(second.orders.map((o) => o.product_sku)).toEqual(['SKU-2', 'SKU-1']);
    });

    it('filters by customer name and e-mail case-insensitively, and by status', async () => {
      const jane = await create({ customer_name: 'Jane Doe', customer_email: 'Jane@Example.com' });
      await create({ customer_name: 'John Roe', customer_email: 'john@example.com' });
      const confirmed = await create({ customer_name: 'Jane Doe', order_status: 'CONFIRMED' });

      const byName = await fx.ok<{ total: number; orders: Order[] }>('list_orders', {
        customer_name: 'jane doe',
      });
      expect(byName.orders.map((o) => o.order_id)).toEqual([confirmed.order_id, jane.order_id]);
      const byEmail = await fx.ok<{ total: number; orders: Order[] }>('list_orders', {
        customer_email: 'jane@example.com',
      });
      expect(byEmail.orders.map((o) => o.order_id)).toEqual([jane.order_id]);
      const byStatus = await fx.ok<{ total: number; orders: Order[] }>('list_orders', {
        status: 'confirmed',
      });
      expect(byStatus).toMatchObject({ total: 1, orders: [{ order_id: confirmed.order_id }] });
      const none = await fx.ok<{ total: number; orders: Order[] }>('list_orders', {
        customer_name: 'Jane Doe',
        status: 'SHIPPED',
      });
      expect(none).toMatchObject({ total: 0, orders: [] });
    });

    it.each([
      [{ limit: 0 }, 'limit must be a whole number from 1 to 50'],
      [{ limit: 51 }, 'limit must be a whole number from 1 to 50'],
      [{ offset: -1 }, 'offset must be a whole number'],
      [
        { status: 'LOST' },
        'status must be one of PENDING, CONFIRMED, PROCESSING, SHIPPED, DELIVERED, CANCELLED',
      ],
    ])('refuses %j', async (args, message) => {
      const outcome = await fx.call('list_orders', args);
      expect(outcome.kind === 'invalid_args' && outcome.message).toContain(message);
    });
  });

  describe('update_order', () => {
    it('changes only the given fields and reports which', async () => {
      const created = await create({ remarks: 'old note' });
      const result = await fx.ok<{ order: Order; updated_fields: string[] }>('update_order', {
        order_id: created.order_id,
        billing_address: '2 High Street',
        order_amount: 45.5,
        customer_email: 'jane@example.com',
      });
      expect(result.updated_fields).toEqual(['billing_address', 'order_amount', 'customer_email']);
      expect(result.order).toMatchObject({
        billing_address: '2 High Street',
        order_amount: 45.5,
        customer_email: 'jane@example.com',
        quantity: 2,
        remarks: 'old note',
        created_at: created.created_at,
      });
      expect(result.order.updated_at >= created.updated_at).toBe(true);
      expect(await fx.repo.getOrder('tenant-a', created.order_id)).toEqual(result.order);
    });

    it('clears the remarks when given an empty string', async () => {
      const created = await create({ remarks: 'old note' });
      const result = await fx.ok<{ order: Order }>('update_order', {
        order_id: created.order_id,
        remarks: '',
      });
      expect(result.order.remarks).toBeNull();
    });

    it('asks for at least one field', async () => {
      const created = await create();
      const outcome = await fx.call('update_order', { order_id: created.order_id, remarks: null });
      expect(outcome.kind === 'invalid_args' && outcome.message).toContain(
        'Give at least one field to change: billing_address, quantity, order_amount, remarks, customer_email',
      );
    });

    it('refuses a status change smuggled into update_order', async () => {
      const created = await create();
      const outcome = await fx.call('update_order', {
        order_id: created.order_id,
        quantity: 3,
        status: 'SHIPPED',
      });
      expect(outcome.kind === 'invalid_args' && outcome.message).toContain('Unrecognized key: "status"');
      expect(await fx.repo.getOrder('tenant-a', created.order_id)).toMatchObject({
        quantity: 2,
        status: 'PENDING',
      });
    });

    it('works while CONFIRMED and refuses once the order is being processed', async () => {
      const created = await create({ order_status: 'CONFIRMED' });
      await fx.ok('update_order', { order_id: created.order_id, quantity: 5 });
      await fx.ok('update_order_status', { order_id: created.order_id, status: 'PROCESSING' });
      const outcome = await fx.call('update_order', { order_id: created.order_id, quantity: 6 });
      expect(outcome).toMatchObject({
        kind: 'tool_error',
        message: `Order ${created.order_id} is PROCESSING; only PENDING or CONFIRMED orders can be changed`,
      });
      expect((await fx.repo.getOrder('tenant-a', created.order_id))!.quantity).toBe(5);
    });

    it('reports an unknown order as not found', async () => {
      expect(await fx.call('update_order', { order_id: 7, quantity: 1 })).toMatchObject({
        kind: 'tool_error',
        message: 'Order 7 not found',
      });
    });
  });

  describe('update_order_status', () => {
    it('walks an order from PENDING to DELIVERED and returns the previous status each time', async () => {
      const created = await create();
      let previous = 'PENDING';
      for (const status of ['CONFIRMED', 'PROCESSING', 'SHIPPED', 'DELIVERED']) {
        const result = await fx.ok<{ order: Order; previous_status: string }>('update_order_status', {
          order_id: created.order_id,
          status,
        });
        expect(result).toMatchObject({ previous_status: previous, order: { status } });
        previous = status;
      }
    });

    it('names the allowed next statuses when a transition is refused', async () => {
      const created = await create();
      const outcome = await fx.call('update_order_status', { order_id: created.order_id, status: 'SHIPPED' });
      expect(outcome).toMatchObject({
        kind: 'tool_error',
        message: `Order ${created.order_id} cannot move from PENDING to SHIPPED; allowed next statuses: CONFIRMED, CANCELLED`,
        details: { current_status: 'PENDING', allowed_next_statuses: ['CONFIRMED', 'CANCELLED'] },
      });
    });

    it('reports an unknown order as not found', async () => {
      expect(await fx.call('update_order_status', { order_id: 3, status: 'CONFIRMED' })).toMatchObject({
        kind: 'tool_error',
        message: 'Order 3 not found',
      });
    });
  });

  describe('cancel_order', () => {
    it('cancels and appends the reason to the existing remarks', async () => {
      const created = await create({ remarks: 'Leave at the door' });
      const result = await fx.ok<{ order: Order; previous_status: string }>('cancel_order', {
        order_id: created.order_id,
        reason: ' Ordered by mistake ',
      });
      expect(result.previous_status).toBe('PENDING');
      expect(result.order.status).toBe('CANCELLED');
      expect(result.order.remarks).toBe('Leave at the door\nCancellation reason: Ordered by mistake');
    });

    it('cancels without a reason and leaves empty remarks empty', async () => {
      const created = await create();
      const result = await fx.ok<{ order: Order }>('cancel_order', { order_id: created.order_id });
      expect(result.order).toMatchObject({ status: 'CANCELLED', remarks: null });
    });

    it('writes the reason as the remarks when there were none', async () => {
      const created = await create();
      const result = await fx.ok<{ order: Order }>('cancel_order', {
        order_id: created.order_id,
        reason: 'Too late',
      });
      expect(result.order.remarks).toBe('Cancellation reason: Too late');
    });

    it('refuses shipped and already cancelled orders, saying why', async () => {
      const shipped = await create({ order_status: 'CONFIRMED' });
      await fx.ok('update_order_status', { order_id: shipped.order_id, status: 'PROCESSING' });
      await fx.ok('update_order_status', { order_id: shipped.order_id, status: 'SHIPPED' });
      expect(await fx.call('cancel_order', { order_id: shipped.order_id, reason: 'late' })).toMatchObject({
        kind: 'tool_error',
        message: `Order ${shipped.order_id} is SHIPPED and can no longer be cancelled (only PENDING, CONFIRMED, PROCESSING orders can); allowed next statuses: DELIVERED`,
      });
      expect(await fx.repo.getOrder('tenant-a', shipped.order_id)).toMatchObject({
        status: 'SHIPPED',
        remarks: null,
      });

      const cancelled = await create();
      await fx.ok('cancel_order', { order_id: cancelled.order_id });
      expect(await fx.call('cancel_order', { order_id: cancelled.order_id })).toMatchObject({
        kind: 'tool_error',
        message: `Order ${cancelled.order_id} is CANCELLED, a final status; its status can no longer change`,
      });
    });

    it('reports an unknown order as not found', async () => {
      expect(await fx.call('cancel_order', { order_id: '99' })).toMatchObject({
        kind: 'tool_error',
        message: 'Order 99 not found',
      });
    });
  });
});
