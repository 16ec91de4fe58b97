import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OrderDatabase, openOrderDatabase } from '../../src/db/open-database.js';
import type { OrderStatus } from '../../src/db/order-types.js';
import { createOrdersRepository, type StatusChangeResult } from '../../src/tools/orders/repository.js';
import type { RaceWorkerData, RaceWorkerResult } from './race-worker.js';
import {
  closeEngines,
  ENGINES,
  type OrderFixture,
  openFixture,
  sampleOrder,
  silentLogger,
} from './support.js';

const TENANT = 'tenant-a';

// Worker threads do not inherit vitest's TypeScript loader, so the worker registers tsx itself
// (through its ESM entry: resolving from here yields the CommonJS one).
const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(
  /\.cjs$/,
  '.mjs',
);
const workerUrl = new URL('./race-worker.ts', import.meta.url).href;
const bootstrap = new URL(
  `data:text/javascript,${encodeURIComponent(
    `import { register } from ${JSON.stringify(tsxApi)}; register(); await import(${JSON.stringify(workerUrl)});`,
  )}`,
);

function startWorker(data: Omit<RaceWorkerData, 'barrier'>, barrier: SharedArrayBuffer) {
  const worker = new Worker(bootstrap, { workerData: { ...data, barrier } satisfies RaceWorkerData });
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (message: { type: string }) => {
      if (message.type === 'ready') resolve();
    });
    worker.once('error', reject);
  });
  const done = new Promise<RaceWorkerResult>((resolve, reject) => {
    worker.on('message', (message: { type: string; result?: RaceWorkerResult }) => {
      if (message.type === 'done' && message.result) resolve(message.result);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`race worker exited with code ${code}`));
    });
  });
  return { ready, done, worker };
}

afterAll(closeEngines);

async function processingOrder(fx: OrderFixture): Promise<number> {
  const { order } = await fx.ok<{ order: { order_id: number } }>('create_order', sampleOrder, TENANT);
  await fx.ok('update_order_status', { order_id: order.order_id, status: 'CONFIRMED' }, TENANT);
  await fx.ok('update_order_status', { order_id: order.order_id, status: 'PROCESSING' }, TENANT);
  return order.order_id;
}

describe.each(ENGINES)('concurrent status changes on one order, on %s', (engine) => {
  let fx: OrderFixture;

  beforeEach(async () => {
    fx = await openFixture(engine);
  });
  afterEach(() => fx.cleanup());

  it('lets exactly one of cancel and ship win when both tools are called together', async () => {
    const orderId = await processingOrder(fx);
    const [cancel, ship] = await Promise.all([
      fx.call('cancel_order', { order_id: orderId, reason: 'changed my mind' }, TENANT),
      fx.call('update_order_status', { order_id: orderId, status: 'SHIPPED' }, TENANT),
    ]);
    const kinds = [cancel.kind, ship.kind].sort();
    expect(kinds).toEqual(['ok', 'tool_error']);
    const stored = (await fx.repo.getOrder(TENANT, orderId))!;
    expect(stored.status).toBe(cancel.kind === 'ok' ? 'CANCELLED' : 'SHIPPED');
  });
});

describe('concurrent status changes from two processes on one SQLite file', () => {
  let fx: OrderFixture;

  beforeEach(async () => {
    fx = await openFixture('sqlite');
  });
  afterEach(() => fx.cleanup());

  it('lets exactly one connection win per order when two processes race cancel against ship', async () => {
    const orderIds: number[] = [];
    for (let i = 0; i < 40; i += 1) orderIds.push(await processingOrder(fx));

    const barrier = new SharedArrayBuffer(4);
    const canceller = startWorker(
      { dbPath: fx.dbPath, tenantId: TENANT, orderIds, target: 'CANCELLED' },
      barrier,
    );
    // The shipper walks the orders in reverse so the two meet in the middle and truly contend.
    const shipper = startWorker(
      { dbPath: fx.dbPath, tenantId: TENANT, orderIds: [...orderIds].reverse(), target: 'SHIPPED' },
      barrier,
    );
    await Promise.all([canceller.ready, shipper.ready]);
    const flag = new Int32Array(barrier);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    const [cancelled, shipped] = await Promise.all([canceller.done, shipper.done]);

    for (const orderId of orderIds) {
      const cancelWon = cancelled.wins.includes(orderId);
      const shipWon = shipped.wins.includes(orderId);
      expect(cancelWon !== shipWon, `order ${orderId}: exactly one change must win`).toBe(true);
      expect((await fx.repo.getOrder(TENANT, orderId))!.status).toBe(cancelWon ? 'CANCELLED' : 'SHIPPED');
    }
    expect(cancelled.wins.length + shipped.wins.length).toBe(orderIds.length);
    expect(cancelled.refusals.length + shipped.refusals.length).toBe(orderIds.length);
  });
});

describe('concurrent status changes from several instances on one Postgres database', () => {
  let fx: OrderFixture;
  const instances: OrderDatabase[] = [];

  beforeEach(async () => {
    fx = await openFixture('postgres');
  });
  afterEach(async () => {
    for (const handle of instances.splice(0)) await handle.close();
    await fx.cleanup();
  });

  /** Another instance: its own pool (and so its own connections) on the same database. */
  async function instance() {
    const handle = await openOrderDatabase({ url: fx.url, path: '', poolMax: 5, logger: silentLogger });
    instances.push(handle);
    return createOrdersRepository(handle);
  }

  it('lets exactly one instance win per order when two race cancel against ship over many connections', async () => {
    const orderIds: number[] = [];
    for (let i = 0; i < 40; i += 1) orderIds.push(await processingOrder(fx));
    const [first, second] = await Promise.all([instance(), instance()]);

    const race = (repo: typeof first, ids: number[], target: OrderStatus) =>
      Promise.all(ids.map((id) => repo.changeStatus(TENANT, id, target)));
    // All changes of both instances are in flight at once; the shipper goes in reverse order.
    const [cancels, ships] = await Promise.all([
      race(first, orderIds, 'CANCELLED'),
      race(second, [...orderIds].reverse(), 'SHIPPED'),
    ]);
    const shipsById = new Map([...orderIds].reverse().map((id, i) => [id, ships[i]!]));

    for (const [i, orderId] of orderIds.entries()) {
      const cancel = cancels[i]!;
      const ship = shipsById.get(orderId)!;
      expect(cancel.ok !== ship.ok, `order ${orderId}: exactly one change must win`).toBe(true);
      const loser = cancel.ok ? ship : cancel;
      // The refusal names the status the winner wrote, never the stale PROCESSING.
      expect(loser).toMatchObject({
        ok: false,
        reason: 'invalid_transition',
        status: cancel.ok ? 'CANCELLED' : 'SHIPPED',
      });
      expect((await fx.repo.getOrder(TENANT, orderId))!.status).toBe(cancel.ok ? 'CANCELLED' : 'SHIPPED');
    }
  });

  it('lets exactly one of six instances move an order, the others told its new status', async () => {
    const orderId = await processingOrder(fx);
    const repos = await Promise.all(Array.from({ length: 6 }, () => instance()));
    const targets: OrderStatus[] = ['CANCELLED', 'SHIPPED', 'CANCELLED', 'SHIPPED', 'CANCELLED', 'SHIPPED'];
    const results: StatusChangeResult[] = await Promise.all(
      repos.map((repo, i) => repo.changeStatus(TENANT, orderId, targets[i]!, `note ${i}`)),
    );
    const wins = results.filter((result) => result.ok);
    expect(wins).toHaveLength(1);
    const winner = wins[0]!;
    const final = (await fx.repo.getOrder(TENANT, orderId))!;
    expect(final.status).toBe(winner.ok ? winner.order.status : undefined);
    for (const result of results.filter((r) => !r.ok)) {
      expect(result).toMatchObject({ reason: 'invalid_transition', status: final.status });
    }
    // Only the winner's note was written: no loser touched the row.
    expect(final.remarks === null || !final.remarks.includes('\n')).toBe(true);
  });
});
