/*
 * Runs in a worker thread with its own SQLite connection (Postgres races use several pools instead), so two of them really race: each waits at
 * a shared barrier, then applies one status change to every given order as fast as it can.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import type { OrderStatus } from '../../src/db/order-types.js';
import { openSqliteOrderDatabase } from '../../src/db/sqlite/open.js';
import { createSqliteOrdersRepository } from '../../src/tools/orders/sqlite-repository.js';

export interface RaceWorkerData {
  dbPath: string;
  tenantId: string;
  orderIds: number[];
  target: OrderStatus;
  /** Int32Array[0] flips from 0 to 1 to start both workers at once. */
  barrier: SharedArrayBuffer;
}

export interface RaceWorkerResult {
  wins: number[];
  refusals: number[];
}

const data = workerData as RaceWorkerData;
const handle = openSqliteOrderDatabase({ path: data.dbPath, logger: pino({ level: 'silent' }) });
const repo = createSqliteOrdersRepository(handle.db);
const flag = new Int32Array(data.barrier);

parentPort!.postMessage({ type: 'ready' });
Atomics.wait(flag, 0, 0);

const result: RaceWorkerResult = { wins: [], refusals: [] };
for (const orderId of data.orderIds) {
  const outcome = await repo.changeStatus(data.tenantId, orderId, data.target);
  if (outcome.ok) result.wins.push(orderId);
  else if (outcome.reason === 'invalid_transition') result.refusals.push(orderId);
  else throw new Error(`order ${orderId}: unexpected ${outcome.reason}`);
}
handle.close();
parentPort!.postMessage({ type: 'done', result });
