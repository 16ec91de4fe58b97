import Database from 'better-sqlite3';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createOfflineModel } from '../../src/agent/offline/offline-model.js';
import { type FullApp, startFullApp } from '../helpers/full-app.js';
import { closeEngines, postgresServer } from './support.js';

let service: FullApp | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});
afterAll(closeEngines);

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
    const say = (message: string) =>
      service!.app.inject({
        method: 'POST',
        url: '/api/v1/chat',
        payload: { session_id: 'first-try', message },
      });
    // The default ORDER_ACCESS=customer: the assistant asks for the e-mail on the order first.
    const asked = await say('Where is order 1?');
    expect(asked.json().message).toMatch(/e-mail address on the order/);
    expect(asked.json().message).not.toMatch(/SHIPPED|Ada|Analytical/);
    const res = await say('ada@example.com');
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

describe('demo orders on Postgres', () => {
  async function postgresOrderCount(url: string): Promise<number> {
    const rows = await (await postgresServer()).query<{ n: number }>(
      'SELECT count(*)::int AS n FROM orders',
      [],
      url,
    );
    return rows[0]!.n;
  }

  it('go into a new database once, and a second instance on it adds none', async () => {
    const url = await (await postgresServer()).createDatabase();
    service = await startFullApp({ DEMO_ORDERS: 'auto', ORDER_DB_URL: url }, offline());
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/v1/chat',
      payload: { session_id: 'first-try', message: 'Where is order 1? I am ada@example.com' },
    });
    expect(res.json().message).toMatch(/SHIPPED/);
    expect(await postgresOrderCount(url)).toBe(3);
    await service.close();

    service = await startFullApp({ DEMO_ORDERS: 'auto', ORDER_DB_URL: url }, offline());
    expect(await postgresOrderCount(url)).toBe(3);
  });
});
