import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI, step } from '../helpers/fake-openai-server.js';
import { type FullApp, startFullApp } from '../helpers/full-app.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { readEvents } from '../helpers/sse-client.js';

let fake: FakeOpenAI;
let redis: TestRedis;
let a: FullApp;
let b: FullApp;
const dir = mkdtempSync(path.join(os.tmpdir(), 'approvals-redis-'));
const ordersDb = path.join(dir, 'orders.db');

beforeAll(async () => {
  fake = await startFakeOpenAI();
  redis = await startRedis();
  const env = {
    LLM_PROVIDER: 'openai',
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_API_KEY: 'sk-test-approvals-redis',
    LLM_MAX_RETRIES: '0',
    ORDER_ACCESS: 'tenant',
    DEMO_ORDERS: 'true',
    // Two instances on one orders file, as two containers on one volume.
    ORDER_DB_PATH: ordersDb,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: 'approvals:',
    TOOLS_REQUIRING_APPROVAL: 'cancel_order',
  };
  a = await startFullApp(env, { listen: true });
  b = await startFullApp(env, { listen: true });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await redis?.close();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

const json = async (res: Response) => ({
  status: res.status,
  body: (await res.json()) as Record<string, unknown>,
});

describe('approvals shared through Redis', () => {
  it('a turn paused on one instance is listed, approved and resumed on another; its events follow from either', async () => {
    fake.script(step.toolCalls([{ id: 'call_r', name: 'cancel_order', arguments: { order_id: 2 } }]));
    const stream = await fetch(`${a.baseUrl}/api/v1/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'shared-1', message: 'Cancel order 2' }),
    });
    const turnId = stream.headers.get('x-turn-id')!;
    const events = await readEvents(stream);
    expect(events.at(-1)!.data.type).toBe('awaiting_approval');

    const listed = await json(await fetch(`${b.baseUrl}/api/v1/approvals`));
    expect(listed.body).toMatchObject({ count: 1, approvals: [{ turn_id: turnId, call_id: 'call_r' }] });

    fake.script(step.text('Cancelled on the other side.'));
    const [approved, again] = await Promise.all([
      json(
        await fetch(`${b.baseUrl}/api/v1/sessions/shared-1/turns/${turnId}/approvals`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ call_id: 'call_r', decision: 'approve' }),
        }),
      ),
      json(
        await fetch(`${a.baseUrl}/api/v1/sessions/shared-1/turns/${turnId}/approvals`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ call_id: 'call_r', decision: 'decline' }),
        }),
      ),
    ]);
    // Two operators at once on two instances: exactly one decision counts.
    const statuses = [approved.status, again.status].sort();
    expect(statuses).toEqual([200, 409]);
    const winner = approved.status === 200 ? approved : again;
    expect(winner.body.status).toBe('completed');
    expect(fake.requests).toHaveLength(2);

    const db = new Database(ordersDb, { readonly: true });
    const { status } = db.prepare('SELECT status FROM orders WHERE id = 2').get() as { status: string };
    db.close();
    expect(status).toBe(approved.status === 200 ? 'CANCELLED' : 'PENDING');

    const rest = await readEvents(
      await fetch(`${a.baseUrl}/api/v1/sessions/shared-1/turns/${turnId}/events`, {
        headers: { 'last-event-id': events.at(-1)!.id! },
      }),
    );
    expect(rest[0]!.data).toMatchObject({ type: 'approval_decided', call_id: 'call_r' });
    expect(rest.at(-1)!.data).toMatchObject({ type: 'done', turn_id: turnId });
    const history = (await (await fetch(`${a.baseUrl}/api/v1/sessions/shared-1/history`)).json()) as {
      messages: Array<{ role: string; content: string }>;
    };
    expect(history.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'Cancel order 2'],
      ['assistant', 'Cancelled on the other side.'],
    ]);
  });
});
