import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningComplaintsServer } from '../../mcp-servers/complaints/start-server.js';
import { createOfflineModel } from '../../src/agent/offline/offline-model.js';
import { openOrderDatabase } from '../../src/db/open-database.js';
import { createOrdersRepository } from '../../src/tools/orders/repository.js';
import { type FullApp, parseSse, startFullApp } from '../helpers/full-app.js';
import { makeTempDir, startReferenceServer } from '../mcp/helpers.js';

/**
 * The offline intent router with the real tools behind it: what a fresh clone without any LLM account
 * does for each intent it claims.
 */
let complaints: RunningComplaintsServer;
let service: FullApp;
const temp = makeTempDir();

beforeAll(async () => {
  complaints = await startReferenceServer(path.join(temp.dir, 'complaints.db'));
  const ordersPath = path.join(temp.dir, 'orders.db');
  const seed = await openOrderDatabase({ path: ordersPath, logger: pino({ level: 'silent' }) });
  const repo = createOrdersRepository(seed);
  for (const [name, email, sku] of [
    ['Ada Lovelace', 'ada@example.com', 'SKU-ENGINE'],
    ['Ada Lovelace', 'ada@example.com', 'SKU-NOTES'],
    ['Alan Turing', 'alan@example.com', 'SKU-BOMBE'],
  ] as const) {
    await repo.createOrder('default', {
      customerName: name,
      customerEmail: email,
      billingAddress: '1 Example Street',
      productSku: sku,
      quantity: 1,
      amountCents: 1000,
    });
  }
  await repo.createOrder('other-tenant', {
    customerName: 'Mallory',
    billingAddress: 'Elsewhere',
    productSku: 'SKU-X',
    quantity: 1,
    amountCents: 100,
  });
  await seed.close();
  service = await startFullApp(
    // Staff-facing: any order of the tenant (customer mode has its own tests).
    { ORDER_DB_PATH: ordersPath, MCP_SERVER_URL: complaints.url, ORDER_ACCESS: 'tenant' },
    { model: createOfflineModel({ logger: pino({ level: 'silent' }), wordDelayMs: 0 }) },
  );
});

afterAll(async () => {
  await service?.close();
  await complaints?.close();
  temp.cleanup();
});

async function ask(message: string, sessionId = 'offline') {
  const res = await service.app.inject({
    method: 'POST',
    url: '/api/v1/chat',
    payload: { session_id: sessionId, message },
  });
  expect(res.statusCode).toBe(200);
  return res.json() as { message: string; tool_calls: Array<{ name: string; status: string }> };
}

describe('offline mode end to end', () => {
  it('looks up an order', async () => {
    const reply = await ask('Can you show me order 1?');
    expect(reply.tool_calls.map((c) => [c.name, c.status])).toEqual([['get_order', 'ok']]);
    expect(reply.message).toContain('SKU-ENGINE');
  });

  it('answers a status question', async () => {
    const reply = await ask('Where is my order #3?');
    expect(reply.tool_calls[0]?.name).toBe('get_order');
    expect(reply.message).toMatch(/PENDING/i);
  });

  it("never shows another tenant's order", async () => {
    const reply = await ask('Show me order 4');
    expect(reply.tool_calls[0]).toMatchObject({ name: 'get_order', status: 'error' });
    expect(reply.message).not.toContain('Mallory');
  });

  it('lists orders by customer e-mail', async () => {
    const reply = await ask('List the orders of ada@example.com');
    expect(reply.tool_calls[0]).toMatchObject({ name: 'list_orders', status: 'ok' });
    expect(reply.message).toContain('SKU-ENGINE');
    expect(reply.message).toContain('SKU-NOTES');
    expect(reply.message).not.toContain('SKU-BOMBE');
  });

  it('sends a confirmation mail into the outbox', async () => {
    const reply = await ask('Please send the confirmation for order 1 to ada@example.com');
    expect(reply.tool_calls[0]).toMatchObject({ name: 'send_order_confirmation', status: 'ok' });
    expect(reply.message).toContain('ada@example.com');
  });

  it('cancels an order once the customer confirms, and the change is real', async () => {
    const asked = await ask('Cancel order 2 because I ordered it twice');
    expect(asked.tool_calls).toEqual([]);
    expect(asked.message).toContain('Reply "yes, cancel order 2" to confirm.');
    const reply = await ask('yes, cancel order 2');
    expect(reply.tool_calls[0]).toMatchObject({ name: 'cancel_order', status: 'ok' });
    const check = await ask('What is the status of order 2?');
    expect(check.message).toMatch(/CANCELLED/i);
  });

  it('does not cancel when told not to', async () => {
    const reply = await ask('Please do NOT cancel order 1', 'offline-negation');
    expect(reply.tool_calls).toEqual([]);
    const check = await ask('What is the status of order 1?', 'offline-negation');
    expect(check.message).toMatch(/PENDING/i);
  });

  it('files a complaint through the MCP server', async () => {
    const reply = await ask(
      'I want to file a complaint about order 1: the engine arrived broken. My name is Ada Lovelace, ada@example.com',
    );
    expect(reply.tool_calls[0]).toMatchObject({ name: 'create_complaint', status: 'ok' });
    const reference = /CMP-[A-Z0-9]+/.exec(reply.message)?.[0];
    expect(reference).toBeDefined();

    const shown = await ask(`What is the status of complaint ${reference}?`);
    expect(shown.tool_calls.map((c) => [c.name, c.status])).toEqual([['get_complaint', 'ok']]);
    expect(shown.message).toContain(`Complaint ${reference} about order #1 (product) is open`);

    const listed = await ask('list my complaints (ada@example.com)');
    expect(listed.tool_calls.map((c) => [c.name, c.status])).toEqual([['list_complaints', 'ok']]);
    expect(listed.message).toContain(
      `I found 1 complaint for ada@example.com:\n- ${reference}: product, open`,
    );
  });

  it('collects a complaint over several turns and files it through the MCP server', async () => {
    const session = 'offline-complaint-turns';
    expect((await ask('I want to complain', session)).tool_calls).toEqual([]);
    await ask('My name is Alan Turing', session);
    await ask('The bombe for order 3 was delivered late.', session);
    const filed = await ask('alan@example.com', session);
    expect(filed.tool_calls.map((c) => [c.name, c.status])).toEqual([['create_complaint', 'ok']]);
    expect(filed.message).toMatch(/^Your complaint about order #3 has been filed under reference CMP-/);
    const listed = await ask('show my complaints', session);
    expect(listed.message).toContain('I found 1 complaint for alan@example.com:');
    expect(listed.message).toContain('delivery, open');
  });

  it('answers a German status question and e-mails a status update', async () => {
    const reply = await ask('Hallo, wo ist meine Bestellung 3?', 'offline-german');
    expect(reply.tool_calls.map((c) => [c.name, c.status])).toEqual([['get_order', 'ok']]);
    expect(reply.message).toMatch(/^Hallo! Ich antworte auf Englisch\. Your order #3 is PENDING/);
    const mailed = await ask('email me a status update for order 3', 'offline-german');
    expect(mailed.tool_calls.map((c) => [c.name, c.status])).toEqual([['send_order_status_update', 'ok']]);
    expect(mailed.message).toBe('I have sent the status update for order #3 to alan@example.com.');
  });

  it('hands the customer to a person with the hand-off tool', async () => {
    const reply = await ask('talk to a person', 'offline-person');
    expect(reply.tool_calls.map((c) => [c.name, c.status])).toEqual([['handoff_to_human', 'ok']]);
    expect(reply.message).toMatch(/a person from our team/i);
  });

  it('answers an unknown request briefly, for the customer, with no configuration advice', async () => {
    const reply = await ask('Tell me a joke about databases');
    expect(reply.tool_calls).toEqual([]);
    expect(reply.message).toMatch(/^Sorry, I did not understand that\. I can help with orders/);
    expect(reply.message).not.toMatch(/[A-Z]{3,}_[A-Z_]{3,}/);
  });

  it('streams the answer as several token events', async () => {
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/v1/chat/stream',
      payload: { session_id: 'offline-stream', message: 'Show me order 1' },
    });
    const { events } = parseSse(res.body);
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['tool_call', 'tool_result', 'token', 'done']),
    );
    expect(events.filter((e) => e.type === 'token').length).toBeGreaterThan(3);
  });

  it('readiness says the model is the offline router, not an LLM', async () => {
    const res = await service.app.inject({ method: 'GET', url: '/health/readiness' });
    const llm = res.json().checks.llm;
    expect(llm.details).toMatchObject({ provider: 'offline' });
    expect(JSON.stringify(llm.details)).toMatch(/not an LLM/);
    // The operator advice lives here (and in the banner and logs), never in a customer's answer.
    expect(llm.details.configure).toMatch(/OPENAI_API_KEY/);
  });
});
