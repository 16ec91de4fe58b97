import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineModel } from '../../src/agent/offline/offline-model.js';
import { type OrderDatabase, openOrderDatabase, orderDbReadinessCheck } from '../../src/db/open-database.js';
import type { Order } from '../../src/db/order-types.js';
import { ORDER_DB_UNAVAILABLE } from '../../src/tools/orders/database-call.js';
import { createOrdersRepository } from '../../src/tools/orders/repository.js';
import { createOrderTools } from '../../src/tools/orders/tools.js';
import type { Tool } from '../../src/tools/registry.js';
import { type FullApp, startFullApp } from '../helpers/full-app.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres-server.js';
import { callTool, sampleOrder, silentLogger, toolContext } from './support.js';

/*
 * Postgres goes away while the service runs: order tools answer with a tool error the model can
 * explain, readiness says not_ready, nothing is half-written, the process stays up, and everything
 * works again once Postgres is back, without a restart.
 */

const TENANT = 'tenant-a';
let server: TestPostgres;
let handle: OrderDatabase;
let tools: Map<string, Tool>;

beforeAll(async () => {
  // Its own server: these tests stop it.
  server = await startPostgres();
  handle = await openOrderDatabase({
    url: server.url,
    path: 'unused.db',
    logger: silentLogger,
    timeoutMs: 2000,
  });
  tools = new Map(
    createOrderTools(createOrdersRepository(handle), { access: 'tenant' }).map((tool) => [tool.name, tool]),
  );
});
afterAll(async () => {
  await handle?.close();
  await server?.close();
});

const call = (name: string, args: unknown) => callTool(tools.get(name)!, args, toolContext(TENANT));

async function ok<T>(name: string, args: unknown): Promise<T> {
  const outcome = await call(name, args);
  if (outcome.kind !== 'ok')
    throw new Error(`${name} failed: ${outcome.kind === 'invalid_args' ? outcome.message : outcome.message}`);
  return outcome.result as T;
}

/** Resolves once some connection of the test database waits for a row lock (the tool's SELECT … FOR UPDATE). */
async function lockWaiterAppears(watcher: pg.Client): Promise<void> {
  for (;;) {
    const { rows } = await watcher.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
    );
    if (rows[0]!.n > 0) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('order tools while Postgres is down', () => {
  it('answer "unavailable" instead of failing, change nothing, and recover when Postgres is back', async () => {
    const { order } = await ok<{ order: Order }>('create_order', sampleOrder);
    await ok('update_order_status', { order_id: order.order_id, status: 'CONFIRMED' });
    const check = orderDbReadinessCheck(handle);
    expect(await check.run(new AbortController().signal)).toMatchObject({ status: 'healthy' });

    await server.stop();

    const attempts: Array<[string, Record<string, unknown>]> = [
      ['get_order', { order_id: order.order_id }],
      ['list_orders', {}],
      ['create_order', sampleOrder],
      ['update_order', { order_id: order.order_id, quantity: 9 }],
      ['update_order_status', { order_id: order.order_id, status: 'PROCESSING' }],
      ['cancel_order', { order_id: order.order_id, reason: 'while down' }],
    ];
    for (const [name, args] of attempts) {
      const outcome = await call(name, args);
      expect(outcome, name).toMatchObject({ kind: 'tool_error', message: ORDER_DB_UNAVAILABLE });
    }
    const report = await check.run(new AbortController().signal);
    expect(report).toMatchObject({ status: 'unhealthy' });
    expect(JSON.stringify(report)).not.toContain(String(server.port));

    await server.start();

    expect(await check.run(new AbortController().signal)).toMatchObject({ status: 'healthy' });
    const page = await ok<{ total: number; orders: Order[] }>('list_orders', {});
    expect(page.total).toBe(1);
    expect(page.orders[0]).toEqual({ ...order, status: 'CONFIRMED', updated_at: page.orders[0]!.updated_at });
    const cancelled = await ok<{ order: Order }>('cancel_order', {
      order_id: order.order_id,
      reason: 'after',
    });
    expect(cancelled.order).toMatchObject({ status: 'CANCELLED', remarks: 'Cancellation reason: after' });
  });

  it('rolls back a status change cut off by the outage half-way', async () => {
    const { order } = await ok<{ order: Order }>('create_order', sampleOrder);
    // Another session holds the order's row, so the change is mid-transaction when Postgres goes.
    const holder = new pg.Client({ connectionString: server.url });
    holder.on('error', () => undefined);
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM orders WHERE id = $1 FOR UPDATE', [order.order_id]);

    // Watched from a third session outside any transaction: a transaction sees pg_stat_activity frozen.
    const watcher = new pg.Client({ connectionString: server.url });
    watcher.on('error', () => undefined);
    await watcher.connect();
    const pending = call('cancel_order', { order_id: order.order_id, reason: 'cut off' });
    await lockWaiterAppears(watcher);
    await server.stop();
    expect(await pending).toMatchObject({ kind: 'tool_error', message: ORDER_DB_UNAVAILABLE });
    await Promise.all([holder.end().catch(() => undefined), watcher.end().catch(() => undefined)]);

    await server.start();
    const { order: after } = await ok<{ order: Order }>('get_order', { order_id: order.order_id });
    expect(after).toEqual(order);
  });
});

describe('the service while Postgres is down', () => {
  let service: FullApp;
  beforeAll(async () => {
    const url = await server.createDatabase();
    service = await startFullApp(
      { ORDER_DB_URL: url, ORDER_DB_TIMEOUT_MS: '2000', DEMO_ORDERS: 'true' },
      { model: createOfflineModel({ logger: pino({ level: 'silent' }), wordDelayMs: 0 }) },
    );
  });
  afterAll(() => service?.close());

  const chat = (message: string) =>
    service.app.inject({ method: 'POST', url: '/api/v1/chat', payload: { session_id: 'outage', message } });

  it('is not ready, still answers the customer, and is ready again once Postgres is back', async () => {
    expect((await service.app.inject({ method: 'GET', url: '/health/readiness' })).statusCode).toBe(200);
    await server.stop();

    const readiness = await service.app.inject({ method: 'GET', url: '/health/readiness' });
    expect(readiness.statusCode).toBe(503);
    expect(readiness.json()).toMatchObject({
      status: 'not_ready',
      checks: { order_db: { status: 'unhealthy', critical: true } },
    });
    const during = await chat('Where is order 1? I am ada@example.com');
    expect(during.statusCode).toBe(200);
    expect(during.json().tool_calls).toMatchObject([{ name: 'get_order', status: 'error' }]);
    expect(during.json().message).toMatch(/order database is unavailable right now/i);

    await server.start();

    expect((await service.app.inject({ method: 'GET', url: '/health/readiness' })).statusCode).toBe(200);
    const after = await chat('Where is order 1? I am ada@example.com');
    expect(after.json().tool_calls).toMatchObject([{ name: 'get_order', status: 'ok' }]);
    expect(after.json().message).toMatch(/SHIPPED/);
  });
});
