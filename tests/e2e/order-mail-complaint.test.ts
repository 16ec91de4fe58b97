import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningComplaintsServer } from '../../mcp-servers/complaints/start-server.js';
import { parseMime, textOf } from '../email/mime.js';
import { type SmtpHarness, startSmtpServer } from '../email/smtp-harness.js';
import { useFakeModelApp } from '../helpers/fake-model-app.js';
import { step } from '../helpers/fake-openai-server.js';
import { parseSse } from '../helpers/full-app.js';
import { makeTempDir, startReferenceServer } from '../mcp/helpers.js';

let smtp: SmtpHarness;
let complaints: RunningComplaintsServer;
const temp = makeTempDir();
const complaintsDb = path.join(temp.dir, 'complaints.db');

beforeAll(async () => {
  smtp = await startSmtpServer({ plainOnly: true });
  complaints = await startReferenceServer(complaintsDb);
});
afterAll(async () => {
  await complaints?.close();
  await smtp?.close();
  temp.cleanup();
});

// After the hooks above: the app starts once the SMTP and MCP servers run, and stops before them.
const llm = useFakeModelApp({
  apiKey: 'sk-e2e-test-key',
  fileApp: {
    env: () => ({
      ORDER_ACCESS: 'tenant',
      MCP_SERVER_URL: complaints.url,
      EMAIL_TRANSPORT: 'smtp',
      SMTP_SERVER: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SENDER_EMAIL: 'shop@example.com',
      SENDER_NAME: 'Example Shop',
    }),
    options: { listen: true },
  },
});

describe('a chat turn through every kind of tool', () => {
  it('creates an order, mails its confirmation and files a complaint, all for the right tenant', async () => {
    const ready = await fetch(`${llm.service.baseUrl}/health/readiness`);
    const readiness = (await ready.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(readiness.checks.mcp_server?.status).toBe('healthy');
    expect(readiness.checks.order_db?.status).toBe('healthy');

    llm.fake.script(
      step.toolCalls([
        {
          id: 'c1',
          name: 'create_order',
          arguments: {
            customer_name: 'Grace <b>Hopper</b>',
            billing_address: '1 Compiler Way, Arlington',
            product_sku: 'SKU-COBOL-1',
            quantity: 3,
            order_amount: 42.5,
            customer_email: 'grace@example.com',
          },
        },
      ]),
      step.toolCalls([{ id: 'c2', name: 'send_order_confirmation', arguments: { order_id: 1 } }]),
      step.toolCalls([
        {
          id: 'c3',
          name: 'create_complaint',
          arguments: {
            customer_name: 'Grace Hopper',
            customer_email: 'grace@example.com',
            order_id: '1',
            category: 'delivery',
            description: 'The parcel arrived damaged.',
          },
        },
      ]),
      step.text('Done: order 1 is placed, the confirmation is on its way and complaint filed.'),
    );

    const res = await fetch(`${llm.service.baseUrl}/api/v1/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        session_id: 'e2e',
        tenant_id: 'navy',
        message: 'Order 3 COBOL kits, mail me, and complain.',
      }),
    });
    const { events } = parseSse(await res.text());
    const results = events.filter((e) => e.type === 'tool_result');
    expect(results.map((e) => [e.name, e.status])).toEqual([
      ['create_order', 'ok'],
      ['send_order_confirmation', 'ok'],
      ['create_complaint', 'ok'],
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'done', message_count: 2 });

    // The order is in the database, for the turn's tenant, with money in cents.
    const orders = new Database(llm.service.config.ORDER_DB_PATH, { readonly: true });
    const row = orders.prepare('select * from orders').get() as Record<string, unknown>;
    orders.close();
    expect(row).toMatchObject({
      id: 1,
      tenant_id: 'navy',
      quantity: 3,
      amount_cents: 4250,
      status: 'PENDING',
    });

    // The confirmation reached the SMTP server, addressed to the customer, with the name escaped.
    const [mail] = await smtp.waitFor(1);
    expect(mail!.rcptTo).toEqual(['grace@example.com']);
    expect(mail!.raw).toMatch(/Subject: .*1/);
    expect(mail!.raw).toContain('Example Shop');
    const html = textOf(parseMime(mail!.raw), 'text/html') ?? '';
    expect(html).toContain('Grace &lt;b&gt;Hopper&lt;/b&gt;');
    expect(html).not.toContain('<b>Hopper</b>');

    // The complaint is stored by the MCP server.
    const db = new Database(complaintsDb, { readonly: true });
    const complaint = db.prepare('select * from complaints').get() as Record<string, unknown>;
    db.close();
    expect(complaint).toMatchObject({ customer_email: 'grace@example.com', category: 'delivery' });
    expect(String(complaint.description)).toContain('damaged');

    // The model was given each tool's result to word the answer.
    const toolMessages = (llm.fake.requests[3]!.body.messages ?? []).filter((m) => m.role === 'tool');
    expect(toolMessages).toHaveLength(3);
  });
});
