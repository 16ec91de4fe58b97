import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable, startRedis, type TestRedis } from '../helpers/redis-server.js';
import { ensureServerBuild, freePort, spawnServer, waitForHttp } from '../helpers/server-process.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'session-restart-'));
let redis: TestRedis | undefined;

beforeAll(async () => {
  // The shared build may take long on a loaded machine; it belongs to set-up, not to a test's time.
  ensureServerBuild();
  if (redisServerAvailable()) redis = await startRedis();
}, 300_000);
afterAll(async () => {
  await redis?.close();
  rmSync(tmp, { recursive: true, force: true });
});

function env(port: number, store: 'sqlite' | 'redis'): Record<string, string> {
  return {
    SERVER_HOST: '127.0.0.1',
    SERVER_PORT: String(port),
    MCP_SERVER_URL: '',
    LLM_PROVIDER: 'offline',
    ORDER_DB_PATH: path.join(tmp, store, 'orders.db'),
    EMAIL_OUTBOX_DIR: path.join(tmp, store, 'outbox'),
    LOG_TO_FILE: 'false',
    SESSION_STORE: store,
    SESSION_DB_PATH: path.join(tmp, store, 'sessions.db'),
    ...(store === 'redis' && redis ? { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'restart:' } : {}),
  };
}

async function start(store: 'sqlite' | 'redis') {
  const proc = spawnServer(env(await freePort(), store));
  await waitForHttp(`${proc.baseUrl}/health`, proc);
  return proc;
}

async function chat(baseUrl: string, message: string): Promise<{ message_count: number }> {
  const res = await fetch(`${baseUrl}/api/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenant_id: 'acme:eu', session_id: 'customer/42', message }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { message_count: number };
}

async function history(baseUrl: string) {
  const res = await fetch(
    `${baseUrl}/api/v1/sessions/${encodeURIComponent('customer/42')}/history?tenant_id=${encodeURIComponent('acme:eu')}`,
  );
  return { status: res.status, body: (await res.json()) as { message_count: number; messages: unknown[] } };
}

describe.each(['sqlite', 'redis'] as const)('the %s session store across a restart', (store) => {
  it('keeps the conversation through SIGTERM and a new start', { timeout: 120_000 }, async () => {
    if (store === 'redis' && !redis) throw new Error('redis-server is not installed (.ci/run installs it)');
    const first = await start(store);
    let second: Awaited<ReturnType<typeof start>> | undefined;
    try {
      const ready = (await (await fetch(`${first.baseUrl}/health/readiness`)).json()) as {
        checks: { sessions: { details: { store: string } } };
      };
      expect(ready.checks.sessions.details.store).toBe(store);
      await chat(first.baseUrl, 'hello');
      expect((await chat(first.baseUrl, 'where is order 1?')).message_count).toBe(4);
      const before = await history(first.baseUrl);
      expect(before.body.message_count).toBe(4);
      expect(await first.stop('SIGTERM')).toBe(0);

      second = await start(store);
      const after = await history(second.baseUrl);
      expect(after.status).toBe(200);
      expect(after.body.message_count).toBe(4);
      expect(after.body.messages).toEqual(before.body.messages);
      const list = (await (await fetch(`${second.baseUrl}/api/v1/sessions?tenant_id=acme%3Aeu`)).json()) as {
        total: number;
      };
      expect(list.total).toBe(1);
      // The conversation goes on where it stopped.
      expect((await chat(second.baseUrl, 'thanks')).message_count).toBe(6);
    } finally {
      await first.stop();
      await second?.stop();
    }
  });
});
