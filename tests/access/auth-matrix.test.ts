import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { requireRole } from '../../src/http/require-role.js';
import { buildTestApp } from '../helpers/build-test-app.js';
import { chatWithCustomerProbe } from './support.js';

const SECRET = 'jwt-secret-for-tests-0123456789abcdef';
const ISSUER = 'https://issuer.test';
const AUDIENCE = 'cs-agent';
const ENV = {
  API_KEYS:
    'client-key-0001:tenant-a,service-key-0002:tenant-a:service,operator-key-03:tenant-a:operator,other-key-0004:tenant-b',
  AUTH_JWT_SECRET: SECRET,
  AUTH_JWT_ISSUER: ISSUER,
  AUTH_JWT_AUDIENCE: AUDIENCE,
};

const now = () => Math.floor(Date.now() / 1000);

async function token(
  claims: Record<string, unknown>,
  options: { secret?: string; iss?: string; aud?: string; exp?: number; nbf?: number } = {},
): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setExpirationTime(options.exp ?? now() + 600);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

/** An unsigned token (`alg: none`), which must never be accepted. */
function unsignedToken(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ ...claims, iss: ISSUER, aud: AUDIENCE, exp: now() + 600 })}.`;
}

let app: App;
let probe: ReturnType<typeof chatWithCustomerProbe>;
const headers: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  probe = chatWithCustomerProbe();
  ({ app } = await buildTestApp(ENV, { chat: probe.chat, sessions: probe.sessions }, (built) => {
    built.get('/api/v1/test/operator-only', { preHandler: requireRole('operator') }, async () => ({
      ok: true,
    }));
  }));
  await probe.sessions.append({ tenantId: 'tenant-a', sessionId: 'seeded' }, [
    { role: 'user', content: 'hello', timestamp: new Date().toISOString() },
  ]);
  const customer = { tenant_id: 'tenant-a', sub: 'cust-42', email: 'Ada@Example.com' };
  Object.assign(headers, {
    client: { 'x-api-key': 'client-key-0001' },
    service: { authorization: 'Bearer service-key-0002' },
    operator: { 'x-api-key': 'operator-key-03' },
    'other tenant': { 'x-api-key': 'other-key-0004' },
    'no key': {},
    'wrong key': { 'x-api-key': 'client-key-9999' },
    'JWT client': { authorization: `Bearer ${await token(customer)}` },
    'JWT operator': { authorization: `Bearer ${await token({ tenant_id: 'tenant-a', role: 'operator' })}` },
    'JWT expired': { authorization: `Bearer ${await token(customer, { exp: now() - 3600 })}` },
    'JWT not yet valid': { authorization: `Bearer ${await token(customer, { nbf: now() + 3600 })}` },
    'JWT wrong audience': { authorization: `Bearer ${await token(customer, { aud: 'another-api' })}` },
    'JWT wrong issuer': { authorization: `Bearer ${await token(customer, { iss: 'https://evil.test' })}` },
    'JWT alg none': { authorization: `Bearer ${unsignedToken(customer)}` },
    'JWT wrong signature': {
      authorization: `Bearer ${await token(customer, { secret: 'another-secret-0123456789abcdefghij' })}`,
    },
    'JWT without tenant': { authorization: `Bearer ${await token({ sub: 'cust-42' })}` },
    'JWT unknown role': { authorization: `Bearer ${await token({ tenant_id: 'tenant-a', role: 'root' })}` },
  });
});
afterAll(async () => {
  await app.close();
});

const chatBody = (extra: Record<string, unknown> = {}) => ({
  session_id: `s-${Math.random().toString(36).slice(2)}`,
  message: 'who am I?',
  tenant_id: 'tenant-a',
  ...extra,
});

const ENDPOINTS = {
  chat: { method: 'POST', url: '/api/v1/chat', body: () => chatBody() },
  stream: { method: 'POST', url: '/api/v1/chat/stream', body: () => chatBody() },
  'chat asserting a customer': {
    method: 'POST',
    url: '/api/v1/chat',
    body: () => chatBody({ customer: { id: 'c-7', email: 'Grace@Example.com' } }),
  },
  'list sessions': { method: 'GET', url: '/api/v1/sessions?tenant_id=tenant-a' },
  history: { method: 'GET', url: '/api/v1/sessions/seeded/history?tenant_id=tenant-a' },
  'delete unknown session': { method: 'DELETE', url: '/api/v1/sessions/nope?tenant_id=tenant-a' },
  'operator-only route': { method: 'GET', url: '/api/v1/test/operator-only' },
} as const;
type Endpoint = keyof typeof ENDPOINTS;

const row = (...statuses: number[]) =>
  Object.fromEntries(Object.keys(ENDPOINTS).map((name, i) => [name, statuses[i]])) as Record<
    Endpoint,
    number
  >;
const ALL_401 = row(401, 401, 401, 401, 401, 401, 401);

const EXPECTED: Record<string, Record<Endpoint, number>> = {
  //                chat stream assert list history delete operator
  client: row(200, 200, 403, 200, 200, 404, 403),
  service: row(200, 200, 200, 200, 200, 404, 403),
  operator: row(200, 200, 403, 200, 200, 404, 200),
  'other tenant': row(403, 403, 403, 403, 403, 403, 403),
  'no key': ALL_401,
  'wrong key': ALL_401,
  'JWT client': row(200, 200, 403, 200, 200, 404, 403),
  'JWT operator': row(200, 200, 403, 200, 200, 404, 200),
  'JWT expired': ALL_401,
  'JWT not yet valid': ALL_401,
  'JWT wrong audience': ALL_401,
  'JWT wrong issuer': ALL_401,
  'JWT alg none': ALL_401,
  'JWT wrong signature': ALL_401,
  'JWT without tenant': ALL_401,
  'JWT unknown role': ALL_401,
};

async function send(caller: string, endpoint: Endpoint) {
  const spec = ENDPOINTS[endpoint];
  return app.inject({
    method: spec.method,
    url: spec.url,
    headers: headers[caller],
    ...('body' in spec ? { payload: spec.body() } : {}),
  });
}

describe('roles × endpoints', () => {
  for (const caller of Object.keys(EXPECTED)) {
    it(`${caller}`, async () => {
      const actual: Record<string, number> = {};
      for (const endpoint of Object.keys(ENDPOINTS) as Endpoint[]) {
        const res = await send(caller, endpoint);
        actual[endpoint] = res.statusCode;
        if (res.statusCode >= 400) {
          // Every refusal is the common envelope with the request id.
          expect(res.json(), `${caller} ${endpoint}`).toMatchObject({
            request_id: res.headers['x-request-id'],
          });
        }
        if (res.statusCode === 401) {
          expect(res.json().error).toBe('UNAUTHORIZED');
          expect(res.headers['www-authenticate']).toBe('Bearer');
        }
        if (res.statusCode === 403) expect(res.json().error).toBe('FORBIDDEN');
      }
      expect(actual).toEqual(EXPECTED[caller]);
    });
  }
});

describe('the customer of a turn', () => {
  async function customerSeen(caller: string, extra: Record<string, unknown> = {}) {
    const before = probe.seen.length;
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/chat',
      headers: headers[caller],
      payload: chatBody(extra),
    });
    expect(res.statusCode).toBe(200);
    expect(probe.seen.length).toBe(before + 1);
    return probe.seen.at(-1);
  }

  it("reaches the tools as the service asserted it (e-mail lower-cased), never from the model's arguments", async () => {
    expect(await customerSeen('service', { customer: { id: 'c-7', email: 'Grace@Example.com' } })).toEqual({
      id: 'c-7',
      email: 'grace@example.com',
    });
    expect(await customerSeen('service')).toBeUndefined();
  });

  it("is a client token's subject and e-mail", async () => {
    expect(await customerSeen('JWT client')).toEqual({ id: 'cust-42', email: 'ada@example.com' });
  });

  it('is nobody for a plain client key or an operator token', async () => {
    expect(await customerSeen('client')).toBeUndefined();
    expect(await customerSeen('JWT operator')).toBeUndefined();
  });

  it('tells why a token was refused', async () => {
    const res = await send('JWT expired', 'list sessions');
    expect(res.json().message).toMatch(/expired/);
    const audience = await send('JWT wrong audience', 'list sessions');
    expect(audience.json().message).toMatch(/audience/);
  });
});

describe('open mode (no API_KEYS, no JWT)', () => {
  it('trusts the caller: any tenant, and a customer assertion reaches the tools', async () => {
    const open = chatWithCustomerProbe();
    const built = await buildTestApp({}, { chat: open.chat, sessions: open.sessions });
    try {
      const res = await built.app.inject({
        method: 'POST',
        url: '/api/v1/chat',
        payload: chatBody({ customer: { email: 'ada@example.com' } }),
      });
      expect(res.statusCode).toBe(200);
      expect(open.seen).toEqual([{ email: 'ada@example.com' }]);
    } finally {
      await built.app.close();
    }
  });
});
