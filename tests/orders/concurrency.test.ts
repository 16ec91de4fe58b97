import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RaceWorkerData, RaceWorkerResult } from './race-worker.js';
import { type OrderFixture, openFixture, sampleOrder } from './support.js';

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

describe('concurrent status changes on one order', () => {
  let fx: OrderFixture;

  beforeEach(() => {
    fx = openFixture();
  });
  afterEach(() => fx.cleanup());

  async function processingOrder(): Promise<number> {
    const { order } = await fx.ok<{ order: { order_id: number } }>('create_order', sampleOrder, TENANT);
    await fx.ok('update_order_status', { order_id: order.order_id, status: 'CONFIRMED' }, TENANT);
    await fx.ok('update_order_status', { order_id: order.order_id, status: 'PROCESSING' }, TENANT);
    return order.order_id;
  }

  it('lets exactly one of cancel and ship win when both tools are called together', async () => {
    const orderId = await processingOrder();
    const [cancel, ship] = await Promise.all([
      fx.call('cancel_order', { order_id: orderId, reason: 'changed my mind' }, TENANT),
      fx.call('update_order_status', { order_id: orderId, status: 'SHIPPED' }, TENANT),
    ]);
    const kinds = [cancel.kind, ship.kind].sort();
    expect(kinds).toEqual(['ok', 'tool_error']);
    const stored = fx.repo.getOrder(TENANT, orderId)!;
    expect(stored.status).toBe(cancel.kind === 'ok' ? 'CANCELLED' : 'SHIPPED');
  });

  it('lets exactly one connection win per order when two processes race cancel against ship', async () => {
    const orderIds: number[] = [];
    for (let i = 0; i < 40; i += 1) orderIds.push(await processingOrder());

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
      expect(fx.repo.getOrder(TENANT, orderId)!.status).toBe(cancelWon ? 'CANCELLED' : 'SHIPPED');
    }
    expect(cancelled.wins.length + shipped.wins.length).toBe(orderIds.length);
    expect(cancelled.refusals.length + shipped.refusals.length).toBe(orderIds.length);
  });
});
