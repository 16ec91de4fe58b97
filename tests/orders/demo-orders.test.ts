import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createOfflineModel } from '../../src/agent/offline/offline-model.js';
import { type FullApp, startFullApp } from '../helpers/full-app.js';

let service: FullApp | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

const offline = () => ({ model: createOfflineModel({ logger: pino({ level: 'silent' }), wordDelayMs: 0 }) });

function orderCount(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('select count(*) as n from orders').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('demo orders', () => {
  it('a fresh offline install can look up an order on the first try', async () => {
    service = await startFullApp({ DEMO_ORDERS: 'auto' }, offline());
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/v1/chat',
      payload: { session_id: 'first-try', message: 'Where is order 1?' },
    });
    expect(res.json().message).toMatch(/SHIPPED/);
    expect(orderCount(service.config.ORDER_DB_PATH)).toBe(3);
  });

  it('are never added with a real model configured, nor to an existing database', async () => {
    service = await startFullApp({
      DEMO_ORDERS: 'auto',
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
    });
    expect(orderCount(service.config.ORDER_DB_PATH)).toBe(0);
  });

  it('are not added when DEMO_ORDERS=false', async () => {
    service = await startFullApp({ DEMO_ORDERS: 'false' }, offline());
    expect(orderCount(service.config.ORDER_DB_PATH)).toBe(0);
  });
});
