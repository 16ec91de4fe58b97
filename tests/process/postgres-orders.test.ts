import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPostgres, type TestPostgres } from '../helpers/postgres-server.js';
import {
  freePort,
  type ServerProcess,
  spawnServer,
  useServerBuild,
  waitForHttp,
} from '../helpers/server-process.js';

useServerBuild();

/* Real server processes sharing one Postgres for their orders (ORDER_DB_URL). */

const tmp = mkdtempSync(path.join(os.tmpdir(), 'postgres-orders-'));
let postgres: TestPostgres;
let url: string;

beforeAll(async () => {
  postgres = await sharedPostgres();
  url = await postgres.createDatabase('orders');
});
afterAll(async () => {
  await postgres?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function startInstance(name: string, env: Record<string, string> = {}) {
  const proc = spawnServer({
    SERVER_HOST: '127.0.0.1',
    SERVER_PORT: String(await freePort()),
    MCP_SERVER_URL: '',
    LLM_PROVIDER: 'offline',
    ORDER_DB_URL: url,
    ORDER_DB_PATH: path.join(tmp, name, 'unused-orders.db'),
    EMAIL_OUTBOX_DIR: path.join(tmp, name, 'outbox'),
    LOG_TO_FILE: 'false',
    ORDER_ACCESS: 'tenant',
    ...env,
  });
  await waitForHttp(`${proc.baseUrl}/health/readiness`, proc);
  return proc;
}

async function chat(proc: ServerProcess, sessionId: string, message: string) {
  const res = await fetch(`${proc.baseUrl}/api/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session_id: sessionId, message }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { message: string; tool_calls: Array<{ name: string; status: string }> };
}

describe('two server processes on one Postgres order database', { timeout: 90_000 }, () => {
  it('share their orders, and each closes its connections on SIGTERM', async () => {
    const first = await startInstance('first', { DEMO_ORDERS: 'true' });
    const second = await startInstance('second', { DEMO_ORDERS: 'true' });
    try {
      // Only the instance that created the schema added the demo orders.
      expect(await postgres.query('SELECT count(*)::int AS n FROM orders', [], url)).toEqual([{ n: 3 }]);
      expect((await chat(second, 'lookup', 'Where is order 1?')).message).toMatch(/SHIPPED/);

      await chat(second, 'cancel', 'Please cancel order 2');
      const cancelled = await chat(second, 'cancel', 'yes, cancel order 2');
      expect(cancelled.tool_calls[0]).toMatchObject({ name: 'cancel_order', status: 'ok' });
      expect((await chat(first, 'lookup', 'Where is order 2?')).message).toMatch(/CANCELLED/);
    } finally {
      expect(await first.stop('SIGTERM')).toBe(0);
      expect(await second.stop('SIGTERM')).toBe(0);
    }
    // The server is the run's: only connections to this file's database are the instances'.
    const left = await postgres.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'msev15e2e' AND datname = current_database()",
      [],
      url,
    );
    expect(left).toEqual([{ n: 0 }]);
  });

  it('exits 1 at start-up naming the database, never its password, when Postgres is unreachable', async () => {
    const dead = `postgres://app:s3cret-pw@127.0.0.1:${await freePort()}/orders`;
    const proc = spawnServer({
      SERVER_HOST: '127.0.0.1',
      SERVER_PORT: String(await freePort()),
      MCP_SERVER_URL: '',
      LLM_PROVIDER: 'offline',
      ORDER_DB_URL: dead,
      ORDER_DB_TIMEOUT_MS: '1000',
      EMAIL_OUTBOX_DIR: path.join(tmp, 'dead', 'outbox'),
      LOG_TO_FILE: 'false',
    });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/cannot open the order database at postgres:\/\/\*\*\*\*@127\.0\.0\.1/);
    expect(proc.output()).not.toContain('s3cret-pw');
  });
});
