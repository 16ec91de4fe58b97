import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { bannerLines } from '../../src/startup/banner.js';

const facts = {
  url: 'http://127.0.0.1:9080',
  model: { provider: 'offline', model: 'offline' },
  mcp: { state: 'connected' },
  warnings: [],
};

const orderDbLine = (env: Record<string, string>) =>
  bannerLines(loadConfig(env), facts).find(([label]) => label === 'Order DB')?.[1];

describe('the banner names where the orders live', () => {
  it('the SQLite file by default', () => {
    expect(orderDbLine({ ORDER_DB_PATH: './data/orders.db' })).toBe('./data/orders.db');
  });

  it('the Postgres server and database, without the credentials, when ORDER_DB_URL is set', () => {
    const line = orderDbLine({ ORDER_DB_URL: 'postgres://app:s3cret@db.internal:5432/orders' });
    expect(line).toBe('postgres://****@db.internal:5432/orders');
    expect(line).not.toContain('s3cret');
  });
});
