import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeOpenAI,
  type FakeStep,
  lastUserMessage,
  type RecordedRequest,
  startFakeOpenAI,
  step,
} from '../helpers/fake-openai-server.js';
import { sharedPostgres, type TestPostgres } from '../helpers/postgres-server.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { freePort, type ServerProcess, spawnServer, waitForHttp } from '../helpers/server-process.js';

const INSTANCES = 3;
const RATE_LIMIT = 5;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'multi-instance-'));
let redis: TestRedis;
let postgres: TestPostgres;
let fake: FakeOpenAI;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  [redis, postgres, fake] = await Promise.all([
    startRedis(),
    sharedPostgres(),
    startFakeOpenAI({ fallback: model }),
  ]);
  for (let i = 0; i < INSTANCES; i++) {
    const port = await freePort();
    servers.push(
      spawnServer({
        SERVER_HOST: '127.0.0.1',
        SERVER_PORT: String(port),
        LOG_TO_FILE: 'false',
        LOG_LEVEL: 'warn',
        MCP_SERVER_URL: '',
        DEMO_ORDERS: 'false',
        ORDER_ACCESS: 'tenant',
        LLM_PROVIDER: 'openai',
        OPENAI_BASE_URL: fake.baseURL,
        OPENAI_API_KEY: 'sk-test-multi-instance',
        LLM_MAX_RETRIES: '0',
        ORDER_DB_URL: postgres.url,
        ORDER_DB_PATH: path.join(tmp, `instance-${i}`, 'orders.db'),
        EMAIL_OUTBOX_DIR: path.join(tmp, `instance-${i}`, 'outbox'),
        REDIS_URL: redis.url,
        SESSION_STORE: 'redis',
        ENABLE_RATE_LIMITING: 'true',
        RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
        // The client says which "address" it is, so each test counts against its own limit.
        TRUST_PROXY: 'true',
      }),
    );
  }
  await Promise.all(servers.map((s) => waitForHttp(`${s.baseUrl}/health`, s)));
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all([fake?.close(), redis?.close(), postgres?.close()]);
  rmSync(tmp, { recursive: true, force: true });
});

/**
 * The model: deterministic answers that name their question (so the order of a history can be
 * checked), and two order requests that go through the real order tools.
 */
function model(request: RecordedRequest): FakeStep {
  const last = request.body.messages?.at(-1);
  if (last?.role === 'tool') return step.text(`Tool result: ${last.content ?? ''}`);
  const question = lastUserMessage(request);
  const create = /^create an order for (.+)$/.exec(question);
  if (create) {
    return step.toolCalls([
      {
        name: 'create_order',
        arguments: {
          customer_name: create[1] ?? '',
          billing_address: '1 Main Street, Springfield',
          product_sku: 'SKU-42',
          quantity: 2,
          order_amount: 39.98,
        },
      },
    ]);
  }
  const find = /^find order (\d+)$/.exec(question);
  if (find) return step.toolCalls([{ name: 'get_order', arguments: { order_id: Number(find[1]) } }]);
  return step.text(`Answer to: ${question}`);
}

/** Round-robin across the instances, no affinity, as a plain balancer spreads requests. */
let next = 0;
let client = 0;
function pick(): ServerProcess {
  const server = servers[next % servers.length]!;
  next++;
  return server;
}

/** A fresh client address for requests that should not meet the rate limit. */
function freshClient(): string {
  client++;
  return `10.0.${Math.floor(client / 250)}.${(client % 250) + 1}`;
}

async function call(
  server: ServerProcess,
  method: string,
  url: string,
  body?: unknown,
  clientAddress = freshClient(),
) {
  const response = await fetch(`${server.baseUrl}${url}`, {
    method,
    headers: {
      'x-forwarded-for': clientAddress,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

function chat(server: ServerProcess, sessionId: string, message: string) {
  return call(server, 'POST', '/api/v1/chat', { session_id: sessionId, message });
}

describe('three instances sharing one Redis', { timeout: 120_000 }, () => {
  it('are all ready with Redis as a healthy critical check', async () => {
    for (const server of servers) {
      const readiness = await call(server, 'GET', '/health/readiness');
      expect(readiness.status).toBe(200);
      expect(readiness.json.checks.redis.status).toBe('healthy');
    }
  });

  it('report the shared Postgres order database as healthy', async () => {
    for (const server of servers) {
      const readiness = await call(server, 'GET', '/health/readiness');
      expect(readiness.json.checks.order_db.status).toBe('healthy');
    }
  });

  it('see an order created through one instance from the tools of another', async () => {
    const [a, b, c] = servers as [ServerProcess, ServerProcess, ServerProcess];
    const created = await chat(a, `order-a-${Date.now()}`, 'create an order for Ada Lovelace');
    expect(created.status).toBe(200);
    expect(created.json.tool_calls).toMatchObject([{ name: 'create_order', status: 'ok' }]);
    const orderId = Number(/"order_id":\s*(\d+)/.exec(created.json.message)?.[1]);
    expect(orderId).toBeGreaterThan(0);

    for (const other of [b, c]) {
      const found = await chat(other, `order-b-${Date.now()}`, `find order ${orderId}`);
      expect(found.status).toBe(200);
      expect(found.json.tool_calls).toMatchObject([{ name: 'get_order', status: 'ok' }]);
      expect(found.json.message).toContain('Ada Lovelace');
      expect(found.json.message).toContain('SKU-42');
    }
  });

  it('count the rate limit once across instances', async () => {
    const address = '192.0.2.77';
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT + 2; i++) {
      statuses.push((await call(pick(), 'GET', '/api/v1/sessions', undefined, address)).status);
    }
    expect(statuses).toEqual([...Array(RATE_LIMIT).fill(200), 429, 429]);
  });

  it('serialise turns on one session whichever instance they reach: one model call at a time', async () => {
    const sessionId = `serial-${Date.now()}`;
    const before = fake.requests.length;
    const turns = await Promise.all(
      Array.from({ length: 20 }, (_, i) => chat(pick(), sessionId, `question ${i}`)),
    );
    for (const turn of turns) expect(turn.status).toBe(200);
    // Every answer belongs to its own question.
    for (const [i, turn] of turns.entries()) expect(turn.json.message).toBe(`Answer to: question ${i}`);
    // No lock is left behind in Redis once the turns are over.
    expect(await redis.client().keys('msev:lock:*')).toEqual([]);
    expect(fake.requests.length - before).toBe(20);

    // With one shared history, each model call saw every earlier turn of the session: no two turns
    // ran at the same time, or two calls would have seen the same history.
    const seen = fake.requests
      .slice(before)
      .map((r) => (r.body.messages ?? []).filter((m) => m.role === 'user' || m.role === 'assistant').length)
      .sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i + 1));
    expect(turns.map((t) => t.json.message_count as number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => 2 * (i + 1)),
    );

    for (const server of servers) {
      const history = await call(server, 'GET', `/api/v1/sessions/${sessionId}/history`);
      expect(history.status).toBe(200);
      expect(history.json.message_count).toBe(40);
      const messages = history.json.messages as Array<{ role: string; content: string }>;
      expect(messages).toHaveLength(40);
      for (let i = 0; i < 40; i += 2) {
        expect(messages[i]!.role).toBe('user');
        expect(messages[i + 1]).toMatchObject({
          role: 'assistant',
          content: `Answer to: ${messages[i]!.content}`,
        });
      }
    }
  });

  it('continue a session started on one instance on another', async () => {
    const sessionId = `roaming-${Date.now()}`;
    const [a, b, c] = servers as [ServerProcess, ServerProcess, ServerProcess];
    expect((await chat(a, sessionId, 'my order is late')).json.message_count).toBe(2);
    const second = await chat(b, sessionId, 'can you check it?');
    expect(second.json.message_count).toBe(4);
    const sawHistory = (fake.requests.at(-1)?.body.messages ?? []).map((m) => m.content);
    expect(sawHistory).toContain('my order is late');
    expect(sawHistory).toContain('Answer to: my order is late');
    const history = await call(c, 'GET', `/api/v1/sessions/${sessionId}/history`);
    expect(history.json.messages.map((m: { content: string }) => m.content)).toEqual([
      'my order is late',
      'Answer to: my order is late',
      'can you check it?',
      'Answer to: can you check it?',
    ]);
  });

  it('agree on list and delete on every instance', async () => {
    const tenant = `tenant-${Date.now()}`;
    const ids = ['s-a', 's-b', 's-c'];
    for (const [i, id] of ids.entries()) {
      const turn = await call(servers[i]!, 'POST', '/api/v1/chat', {
        session_id: id,
        tenant_id: tenant,
        message: `hello from ${id}`,
      });
      expect(turn.status).toBe(200);
    }
    for (const server of servers) {
      const list = await call(server, 'GET', `/api/v1/sessions?tenant_id=${tenant}`);
      expect(list.json.total).toBe(3);
      expect(list.json.sessions.map((s: { session_id: string }) => s.session_id)).toEqual([
        's-c',
        's-b',
        's-a',
      ]);
    }
    const deleted = await call(servers[1]!, 'DELETE', `/api/v1/sessions/s-a?tenant_id=${tenant}`);
    expect(deleted.status).toBe(200);
    for (const server of servers) {
      expect((await call(server, 'GET', `/api/v1/sessions/s-a/history?tenant_id=${tenant}`)).status).toBe(
        404,
      );
      expect((await call(server, 'GET', `/api/v1/sessions?tenant_id=${tenant}`)).json.total).toBe(2);
      expect((await call(server, 'DELETE', `/api/v1/sessions/s-a?tenant_id=${tenant}`)).status).toBe(404);
    }
  });

  it('answer 503 while Redis is down, stay up, and serve again once it is back, without a restart', async () => {
    await redis.stop();
    try {
      for (const server of servers) {
        const refused = await chat(server, `outage-${Date.now()}`, 'hello');
        expect(refused.status).toBe(503);
        expect(refused.json).toMatchObject({ error: 'AGENT_UNAVAILABLE' });
        const readiness = await call(server, 'GET', '/health/readiness');
        expect(readiness.status).toBe(503);
        expect(readiness.json).toMatchObject({
          status: 'not_ready',
          checks: { redis: { status: 'unhealthy' } },
        });
      }
    } finally {
      await redis.start();
    }
    for (const server of servers) {
      expect(server.child.exitCode).toBeNull();
      await expect
        .poll(async () => (await call(server, 'GET', '/health/readiness')).status, {
          timeout: 20_000,
          interval: 250,
        })
        .toBe(200);
      const back = await chat(server, `after-outage-${Date.now()}`, 'hello again');
      expect(back.status).toBe(200);
      expect(back.json.message).toBe('Answer to: hello again');
    }
  });
});
