import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI, step } from '../helpers/fake-openai-server.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { freePort, type ServerProcess, spawnServer, waitForHttp } from '../helpers/server-process.js';
import { answerOf, openEvents, readEvents } from '../helpers/sse-client.js';
import { deferred } from '../turns/turn-lock-contract.js';

const ANSWER = 'Your parcel left the warehouse this morning and arrives on Friday before noon.';

let tmp: string;
let redis: TestRedis;
let fake: FakeOpenAI;
let a: ServerProcess;
let b: ServerProcess;

async function instance(name: string): Promise<ServerProcess> {
  const port = await freePort();
  const proc = spawnServer({
    SERVER_HOST: '127.0.0.1',
    SERVER_PORT: String(port),
    MCP_SERVER_URL: '',
    LLM_PROVIDER: 'openai',
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_API_KEY: 'sk-test-turns-process-0000',
    // Staff-facing: the tools may create and mail any order of the tenant.
    ORDER_ACCESS: 'tenant',
    OPENAI_MODEL: 'gpt-test',
    LLM_MAX_RETRIES: '0',
    REDIS_URL: redis.url,
    ORDER_DB_PATH: path.join(tmp, name, 'orders.db'),
    EMAIL_OUTBOX_DIR: path.join(tmp, name, 'outbox'),
    LOG_TO_FILE: 'false',
    LOG_LEVEL: 'warn',
  });
  await waitForHttp(`${proc.baseUrl}/health`, proc);
  return proc;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'turns-redis-'));
  [redis, fake] = await Promise.all([startRedis(), startFakeOpenAI()]);
  [a, b] = await Promise.all([instance('a'), instance('b')]);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await fake?.close();
  await redis?.close();
  rmSync(tmp, { recursive: true, force: true });
});

function stream(proc: ServerProcess, body: Record<string, unknown>, signal?: AbortSignal) {
  return fetch(`${proc.baseUrl}/api/v1/chat/stream`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

describe('turns shared through Redis by two server processes', { timeout: 60_000 }, () => {
  it('a stream cut after 3 events on one instance resumes on the other with exactly the rest, ending with done', async () => {
    fake.script(step.text(ANSWER, { chunkSize: 3, delayMs: 40 }));
    const cut = new AbortController();
    const res = await stream(
      a,
      { session_id: 'shared-1', message: 'Where is my parcel?', on_disconnect: 'continue' },
      cut.signal,
    );
    const turnId = res.headers.get('x-turn-id')!;
    const first = await readEvents(res, { stopAfter: 3, abort: cut });
    expect(first.map((e) => e.id)).toEqual([1, 2, 3].map((n) => `${turnId}:${n}`));

    const resumed = await fetch(`${b.baseUrl}/api/v1/sessions/shared-1/turns/${turnId}/events`, {
      headers: { 'last-event-id': first.at(-1)!.id! },
    });
    expect(resumed.status).toBe(200);
    const rest = await readEvents(resumed);
    const seqs = rest.map((e) => Number(e.id!.split(':')[1]));
    expect(seqs).toEqual(seqs.map((_, i) => 4 + i));
    expect(rest.filter((e) => e.data.type === 'done')).toHaveLength(1);
    expect(rest.at(-1)!.data).toMatchObject({ type: 'done', turn_id: turnId, message_count: 2 });
    expect(answerOf(first) + answerOf(rest)).toBe(ANSWER);

    const status = await fetch(`${b.baseUrl}/api/v1/sessions/shared-1/turns/${turnId}`);
    expect(await status.json()).toMatchObject({ turn_id: turnId, status: 'completed', message: ANSWER });
  });

  it('a turn running on one instance is cancelled through the other', async () => {
    fake.script(step.text(ANSWER, { chunkSize: 3, delayMs: 100 }));
    const res = await stream(a, { session_id: 'shared-2', message: 'Where is my parcel?' });
    const turnId = res.headers.get('x-turn-id')!;
    const reading = readEvents(res);
    const cancel = await fetch(`${b.baseUrl}/api/v1/sessions/shared-2/turns/${turnId}/cancel`, {
      method: 'POST',
    });
    expect(cancel.status).toBe(202);
    const events = await reading;
    expect(events.at(-1)!.data).toMatchObject({ type: 'error', error: 'TURN_CANCELLED', turn_id: turnId });
    await fake.waitForClientGone(fake.requests.length - 1);
    const status = await fetch(`${b.baseUrl}/api/v1/sessions/shared-2/turns/${turnId}`);
    expect(await status.json()).toMatchObject({ status: 'cancelled', message: answerOf(events) });
    const history = await fetch(`${a.baseUrl}/api/v1/sessions/shared-2/history`);
    const stored = (await history.json()) as { messages: Array<{ content: string; interrupted?: boolean }> };
    expect(stored.messages.at(-1)).toMatchObject({ content: answerOf(events), interrupted: true });
  });

  it('one Idempotency-Key sent to both instances at once, then again in sequence: one order and one mail', async () => {
    fake.script(
      step.toolCalls([{ id: 'call_order', name: 'create_order', arguments: ORDER }]),
      step.toolCalls([
        {
          id: 'call_mail',
          name: 'send_email',
          arguments: { to: 'ada@example.com', subject: 'Your order', body: 'Thank you for your order.' },
        },
      ]),
      step.text('Done: order placed and mailed.', { chunkSize: 5, delayMs: 20 }),
    );
    const before = fake.requests.length;
    const send = (proc: ServerProcess) =>
      fetch(`${proc.baseUrl}/api/v1/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'order-ada-shared' },
        body: JSON.stringify({ session_id: 'shared-3', message: 'Order two engines for Ada and mail her' }),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { turn_id: string; message: string },
      }));
    const [fromA, fromB] = await Promise.all([send(a), send(b)]);
    const again = await send(b);
    for (const reply of [fromA, fromB, again]) {
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({
        turn_id: fromA.body.turn_id,
        message: 'Done: order placed and mailed.',
      });
    }
    expect(orders('a') + orders('b')).toBe(1);
    expect(mails('a') + mails('b')).toBe(1);
    expect(fake.requests.length - before).toBe(3);
  });
});

describe('on_busy across two server processes sharing Redis', { timeout: 60_000 }, () => {
  function post(proc: ServerProcess, route: string, body: Record<string, unknown>) {
    return fetch(`${proc.baseUrl}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }
  async function history(proc: ServerProcess, sessionId: string) {
    const res = await fetch(`${proc.baseUrl}/api/v1/sessions/${sessionId}/history`);
    return (
      (await res.json()) as { messages: Array<{ role: string; content: string; interrupted?: boolean }> }
    ).messages;
  }

  it('reject: a turn running on one instance makes the other answer 409 SESSION_BUSY; it completes and only its exchange is stored', async () => {
    const gate = deferred();
    fake.script(step.text('Order 42 shipped today.', { chunkSize: 6, holdUntil: gate.promise }));
    const first = await stream(a, { session_id: 'busy-reject', message: 'Where is order 42?' });
    const firstTurn = first.headers.get('x-turn-id')!;
    const reading = openEvents(first);
    await reading.first();
    const modelCalls = fake.requests.length;

    for (const route of ['/api/v1/chat', '/api/v1/chat/stream']) {
      const refused = await post(b, route, {
        session_id: 'busy-reject',
        message: 'Hello?',
        on_busy: 'reject',
      });
      expect(refused.status, route).toBe(409);
      expect(await refused.json()).toMatchObject({ error: 'SESSION_BUSY' });
    }
    expect(fake.requests.length).toBe(modelCalls);

    gate.resolve();
    const events = await reading.rest();
    expect(events.at(-1)!.data).toMatchObject({ type: 'done', turn_id: firstTurn, message_count: 2 });
    const status = await fetch(`${b.baseUrl}/api/v1/sessions/busy-reject/turns/${firstTurn}`);
    expect(await status.json()).toMatchObject({ status: 'completed', message: 'Order 42 shipped today.' });
    expect((await history(b, 'busy-reject')).map((m) => [m.role, m.content, m.interrupted])).toEqual([
      ['user', 'Where is order 42?', undefined],
      ['assistant', 'Order 42 shipped today.', undefined],
    ]);
  });

  it('interrupt: a turn sent to one instance stops the one running on the other, which keeps its partial answer, then runs', async () => {
    fake.script(
      step.text('Your order is being', { chunkSize: 4, ending: 'hang' }),
      step.text('Done: the order is cancelled.'),
    );
    const first = await stream(a, { session_id: 'busy-interrupt', message: 'Tell me about my order' });
    const firstTurn = first.headers.get('x-turn-id')!;
    const firstCall = fake.requests.length - 1;
    const reading = openEvents(first);
    await reading.first();

    const second = await post(b, '/api/v1/chat', {
      session_id: 'busy-interrupt',
      message: 'Actually, cancel it',
      on_busy: 'interrupt',
    });
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ message: 'Done: the order is cancelled.', message_count: 4 });

    const events = await reading.rest();
    const partial = answerOf(events);
    expect(partial).not.toBe('');
    expect(events.at(-1)!.data).toMatchObject({ type: 'error', error: 'TURN_CANCELLED', turn_id: firstTurn });
    expect((await fake.waitForClientGone(firstCall)).clientWentAway).toBe(true);
    const status = await fetch(`${b.baseUrl}/api/v1/sessions/busy-interrupt/turns/${firstTurn}`);
    expect(await status.json()).toMatchObject({ status: 'interrupted', message: partial });
    expect((await history(a, 'busy-interrupt')).map((m) => [m.role, m.content, m.interrupted])).toEqual([
      ['user', 'Tell me about my order', undefined],
      ['assistant', partial, true],
      ['user', 'Actually, cancel it', undefined],
      ['assistant', 'Done: the order is cancelled.', undefined],
    ]);
  });
});

const ORDER = {
  customer_name: 'Ada Lovelace',
  billing_address: '12 Analytical Row, London',
  product_sku: 'SKU-ENGINE-1',
  quantity: 2,
  order_amount: 199.5,
  customer_email: 'ada@example.com',
};

function orders(name: string): number {
  const db = new Database(path.join(tmp, name, 'orders.db'), { readonly: true });
  try {
    return (db.prepare('select count(*) as n from orders').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function mails(name: string): number {
  const outbox = path.join(tmp, name, 'outbox');
  return existsSync(outbox) ? readdirSync(outbox).filter((f) => f.endsWith('.eml')).length : 0;
}
