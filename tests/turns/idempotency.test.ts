import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { useFakeModelApp } from '../helpers/fake-model-app.js';
import { step } from '../helpers/fake-openai-server.js';
import type { FullApp } from '../helpers/full-app.js';
import { answerOf, readEvents } from '../helpers/sse-client.js';

const llm = useFakeModelApp({
  apiKey: 'sk-test-idem-000000',
  model: 'gpt-test',
  // Staff-facing: the tools may create and mail any order of the tenant.
  env: { ORDER_ACCESS: 'tenant' },
});

const ORDER = {
  customer_name: 'Ada Lovelace',
  billing_address: '12 Analytical Row, London',
  product_sku: 'SKU-ENGINE-1',
  quantity: 2,
  order_amount: 199.5,
  customer_email: 'ada@example.com',
};
const ANSWER = 'Your order is placed and the confirmation is on its way.';

/** One turn that creates an order and sends a mail: scripted once, so a second run would fail loudly. */
function scriptOrderAndMail(delayMs = 0) {
  llm.fake.script(
    step.toolCalls([{ id: 'call_order', name: 'create_order', arguments: ORDER }]),
    step.toolCalls([
      {
        id: 'call_mail',
        name: 'send_email',
        arguments: { to: 'ada@example.com', subject: 'Your order', body: 'Thank you for your order.' },
      },
    ]),
    step.text(ANSWER, { chunkSize: 6, delayMs }),
  );
}

function orderCount(app: FullApp): number {
  const db = new Database(path.join(app.dir, 'orders.db'), { readonly: true });
  try {
    return (db.prepare('select count(*) as n from orders').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function mailCount(app: FullApp): number {
  const outbox = path.join(app.dir, 'outbox');
  return existsSync(outbox) ? readdirSync(outbox).filter((f) => f.endsWith('.eml')).length : 0;
}

const body = { session_id: 'idem-1', message: 'Order two engines for Ada and mail her' };

function post(
  route: 'chat' | 'chat/stream',
  payload: unknown,
  key?: string,
  headers: Record<string, string> = {},
) {
  return fetch(`${llm.service.baseUrl}/api/v1/${route}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === undefined ? {} : { 'idempotency-key': key }),
      ...headers,
    },
    body: JSON.stringify(payload),
  });
}

describe('Idempotency-Key', () => {
  it('sent twice in sequence: the second gets the first reply, and the order and mail happen once', async () => {
    const service = await llm.start({}, { listen: true });
    scriptOrderAndMail();
    const first = await post('chat', body, 'order-ada-1');
    const firstBody = (await first.json()) as { turn_id: string; message: string; tool_calls: unknown[] };
    expect(first.status).toBe(200);
    const second = await post('chat', body, 'order-ada-1');
    expect(second.status).toBe(200);
    const secondBody = (await second.json()) as typeof firstBody;
    expect(secondBody).toMatchObject({
      turn_id: firstBody.turn_id,
      message: ANSWER,
      tool_calls: firstBody.tool_calls,
    });
    expect(second.headers.get('x-turn-id')).toBe(firstBody.turn_id);
    expect(orderCount(service)).toBe(1);
    expect(mailCount(service)).toBe(1);
    expect(llm.fake.requests).toHaveLength(3);
    expect(llm.fake.problems).toEqual([]);

    // The same key on the stream route replays that turn's events instead of running it again.
    const replay = await post('chat/stream', body, 'order-ada-1');
    expect(replay.headers.get('x-turn-id')).toBe(firstBody.turn_id);
    const events = await readEvents(replay);
    expect(events.at(-1)!.data).toMatchObject({ type: 'done', turn_id: firstBody.turn_id });
    expect(answerOf(events)).toBe(ANSWER);
    expect(events.map((e) => e.data.type).filter((t) => t === 'tool_call')).toHaveLength(2);

    const history = await fetch(`${service.baseUrl}/api/v1/sessions/idem-1/history`);
    expect(((await history.json()) as { messages: unknown[] }).messages).toHaveLength(2);
  });

  it('sent twice at once (JSON and SSE): the turn runs once and both get its answer', async () => {
    const service = await llm.start({}, { listen: true });
    scriptOrderAndMail(20);
    const [json, sse] = await Promise.all([
      post('chat', body, 'order-ada-2').then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { turn_id: string; message: string },
      })),
      post('chat/stream', body, 'order-ada-2').then(async (r) => ({
        status: r.status,
        turnId: r.headers.get('x-turn-id'),
        events: await readEvents(r),
      })),
    ]);
    expect(json.status).toBe(200);
    expect(sse.status).toBe(200);
    expect(sse.turnId).toBe(json.body.turn_id);
    expect(json.body.message).toBe(ANSWER);
    expect(answerOf(sse.events)).toBe(ANSWER);
    expect(sse.events.at(-1)!.data.type).toBe('done');
    expect(orderCount(service)).toBe(1);
    expect(mailCount(service)).toBe(1);
    expect(llm.fake.requests).toHaveLength(3);
  });

  it('the same key with another body is refused with 422 IDEMPOTENCY_KEY_REUSED and runs nothing', async () => {
    await llm.start({}, { listen: true });
    llm.fake.script(step.text('Hello.'));
    expect((await post('chat', { session_id: 'idem-3', message: 'hi' }, 'k-3')).status).toBe(200);
    const reused = await post('chat', { session_id: 'idem-3', message: 'something else' }, 'k-3');
    expect(reused.status).toBe(422);
    expect(((await reused.json()) as { error: string }).error).toBe('IDEMPOTENCY_KEY_REUSED');
    const reusedStream = await post('chat/stream', { session_id: 'idem-3', message: 'other' }, 'k-3');
    expect(reusedStream.status).toBe(422);
    expect(reusedStream.headers.get('content-type')).toContain('application/json');
    expect(llm.fake.requests).toHaveLength(1);
  });

  it('a malformed key is a 400 VALIDATION_ERROR; keys are per tenant', async () => {
    await llm.start({ API_KEYS: 'key-acme-123456:acme,key-globex-123456:globex' }, { listen: true });
    llm.fake.script(step.text('Hello acme.'), step.text('Hello globex.'));
    const acme = { authorization: 'Bearer key-acme-123456' };
    const globex = { authorization: 'Bearer key-globex-123456' };
    for (const key of ['x'.repeat(256), 'tab\there', '']) {
      const res = await post('chat', { session_id: 's', message: 'hi' }, key, acme);
      expect(res.status, JSON.stringify(key)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('VALIDATION_ERROR');
    }
    const a = (await (await post('chat', { session_id: 's', message: 'hi' }, 'shared', acme)).json()) as {
      message: string;
    };
    const g = (await (await post('chat', { session_id: 's', message: 'hi' }, 'shared', globex)).json()) as {
      message: string;
    };
    expect([a.message, g.message]).toEqual(['Hello acme.', 'Hello globex.']);
  });

  it('a turn that failed before doing anything frees its key, so the retry runs', async () => {
    await llm.start({}, { listen: true });
    llm.fake.script(step.error(500), step.text('Second time lucky.'));
    const failed = await post('chat', { session_id: 'idem-5', message: 'hi' }, 'k-5');
    expect(failed.status).toBe(502);
    const retried = await post('chat', { session_id: 'idem-5', message: 'hi' }, 'k-5');
    expect(retried.status).toBe(200);
    expect(((await retried.json()) as { message: string }).message).toBe('Second time lucky.');
  });

  it('with SESSION_STORE=sqlite the key is kept in the session file and still holds after a restart', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'idem-restart-'));
    const env = { SESSION_STORE: 'sqlite', SESSION_DB_PATH: path.join(dir, 'sessions.db') };
    try {
      const service = await llm.start(env, { listen: true });
      llm.fake.script(step.text('Stored once.'));
      const first = (await (await post('chat', { session_id: 'idem-6', message: 'hi' }, 'k-6')).json()) as {
        turn_id: string;
      };
      await service.close();
      await llm.start(env, { listen: true });
      const again = await post('chat', { session_id: 'idem-6', message: 'hi' }, 'k-6');
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ turn_id: first.turn_id, message: 'Stored once.' });
      expect(llm.fake.requests).toHaveLength(1);
    } finally {
      await llm.service.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
