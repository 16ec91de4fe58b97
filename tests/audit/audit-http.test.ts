import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { useFakeModelApp } from '../helpers/fake-model-app.js';
import { step } from '../helpers/fake-openai-server.js';
import { startFullApp } from '../helpers/full-app.js';

const KEYS = {
  client: 'client-key-0001',
  service: 'service-key-0001',
  operator: 'operator-key-001',
  otherOperator: 'other-op-key-001',
};
const API_KEYS = `${KEYS.client}:shop,${KEYS.service}:shop:service,${KEYS.operator}:shop:operator,${KEYS.otherOperator}:other:operator`;

// What the redaction covers, given to the tools by the model.
const PII = {
  email: 'grace.hopper@example.com',
  phone: '+44 20 7946 0958',
  card: '4111 1111 1111 1111',
  iban: 'DE89 3704 0044 0532 0130 00',
};

const llm = useFakeModelApp({
  apiKey: 'sk-audit-test',
  fileApp: { env: { API_KEYS, ORDER_ACCESS: 'tenant' } },
});

async function chat(sessionId: string, message: string, key = KEYS.client) {
  const res = await llm.service.app.inject({
    method: 'POST',
    url: '/api/v1/chat',
    headers: { authorization: `Bearer ${key}` },
    payload: { session_id: sessionId, message },
  });
  expect(res.statusCode).toBe(200);
  return res;
}

const audit = (query = '', key: string | null = KEYS.operator) =>
  llm.service.app.inject({
    method: 'GET',
    url: `/api/v1/audit${query}`,
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });

interface AuditBody {
  tenant_id: string;
  total: number;
  limit: number;
  offset: number;
  entries: Array<Record<string, unknown> & { tool: string; status: string; session_id: string }>;
}

describe('the audit log of a real turn', () => {
  it('holds every tool call with actor, outcome and redacted arguments, and no PII in clear', async () => {
    llm.fake.script(
      step.toolCalls([
        {
          id: 'c1',
          name: 'create_order',
          arguments: {
            customer_name: 'Grace Hopper',
            billing_address: '1 Compiler Way, Arlington',
            product_sku: 'SKU-COBOL-1',
            quantity: 1,
            order_amount: 10,
            customer_email: PII.email,
            remarks: `Call ${PII.phone}; card ${PII.card}; IBAN ${PII.iban}`,
          },
        },
        { id: 'c2', name: 'get_order', arguments: { order_id: 999 } },
      ]),
      step.toolCalls([{ id: 'c3', name: 'list_orders', arguments: { customer_email: PII.email } }]),
      step.text('Done.'),
    );
    const turn = await chat('audited', 'Order a COBOL kit for me.');
    const requestId = turn.headers['x-request-id'];
    const turnId = turn.headers['x-turn-id'];
    expect(turnId).toBe(turn.json().turn_id);
    await llm.service.runtime.audit.flush();

    const res = await audit('?session_id=audited');
    expect(res.statusCode).toBe(200);
    const body = res.json() as AuditBody;
    expect(body.total).toBe(3);
    // Newest first; the two calls of one step in either order.
    expect(body.entries[0]!.tool).toBe('list_orders');
    expect(body.entries.map((e) => [e.tool, e.status]).sort()).toEqual([
      ['create_order', 'ok'],
      ['get_order', 'error'],
      ['list_orders', 'ok'],
    ]);
    const failed = body.entries.find((e) => e.tool === 'get_order')!;
    expect(failed).toMatchObject({
      tenant_id: 'shop',
      session_id: 'audited',
      request_id: requestId,
      turn_id: turnId,
      actor: { role: 'client', via: 'api_key', id: 'key-1' },
      arguments: { order_id: 999 },
      error: 'Order 999 not found',
    });
    expect(typeof failed.duration_ms).toBe('number');
    expect(Number.isNaN(Date.parse(String(failed.timestamp)))).toBe(false);
    const created = body.entries.find((e) => e.tool === 'create_order')!;
    expect(created.arguments).toMatchObject({ customer_email: '[email]', customer_name: 'Grace Hopper' });

    // Neither the API nor the stored rows hold anything the redaction covers.
    const db = new Database(llm.service.config.ORDER_DB_PATH, { readonly: true });
    const rows = JSON.stringify(db.prepare('select * from audit_log').all());
    db.close();
    for (const text of [res.body, rows]) {
      for (const value of Object.values(PII)) expect(text).not.toContain(value);
      expect(text).toContain('[email]');
      expect(text).toContain('[card]');
      expect(text).toContain('[iban]');
      expect(text).toContain('[phone]');
    }
  });

  it('filters by tool and since, and paginates newest first', async () => {
    for (let i = 0; i < 3; i++) {
      llm.fake.script(
        step.toolCalls([{ id: `p${i}`, name: 'get_order', arguments: { order_id: 100 + i } }]),
        step.text('No.'),
      );
      await chat('paged', `Order ${100 + i}?`);
    }
    await llm.service.runtime.audit.flush();
    const first = (await audit('?session_id=paged&tool=get_order&limit=2')).json() as AuditBody;
    expect(first).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(first.entries.map((e) => (e.arguments as { order_id: number }).order_id)).toEqual([102, 101]);
    const second = (await audit('?session_id=paged&tool=get_order&limit=2&offset=2')).json() as AuditBody;
    expect(second.entries.map((e) => (e.arguments as { order_id: number }).order_id)).toEqual([100]);
    expect(((await audit('?session_id=paged&tool=send_email')).json() as AuditBody).total).toBe(0);
    const future = (
      await audit(`?session_id=paged&since=${encodeURIComponent('2999-01-01T00:00:00Z')}`)
    ).json();
    expect((future as AuditBody).total).toBe(0);
    const past = (await audit('?session_id=paged&since=2000-01-01T00:00:00Z')).json() as AuditBody;
    expect(past.total).toBe(3);
  });

  it('refuses bad filters in the error envelope', async () => {
    for (const query of ['?since=yesterday', '?limit=0', '?limit=1000', '?offset=-1']) {
      const res = await audit(query);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'VALIDATION_ERROR' });
    }
  });
});

describe('who may read the audit log', () => {
  it.each([
    ['an operator of the tenant', KEYS.operator, '', 200],
    ['a client', KEYS.client, '', 403],
    ['a service', KEYS.service, '', 403],
    ['no key', null, '', 401],
    ['a wrong key', 'not-a-valid-key-1', '', 401],
    ['an operator naming another tenant', KEYS.operator, '?tenant_id=other', 403],
  ] as const)('%s → %s', async (_who, key, query, status) => {
    const res = await audit(query, key);
    expect(res.statusCode).toBe(status);
    if (status !== 200) {
      expect(res.json()).toMatchObject({ error: status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN' });
    }
  });

  it("another tenant's operator sees none of this tenant's calls", async () => {
    const res = await audit('', KEYS.otherOperator);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ tenant_id: 'other', total: 0, entries: [] });
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await llm.service.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { tags?: string[] }>>;
    };
    expect(doc.paths['/api/v1/audit']?.get?.tags).toEqual(['Audit']);
  });
});

describe('open mode', () => {
  it('anyone may read the audit log', async () => {
    const open = await startFullApp({});
    try {
      const res = await open.app.inject({ method: 'GET', url: '/api/v1/audit' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ tenant_id: 'default', total: 0 });
    } finally {
      await open.close();
    }
  });
});
