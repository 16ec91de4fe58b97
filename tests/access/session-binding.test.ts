import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/build-test-app.js';
import { chatWithCustomerProbe } from './support.js';

const SECRET = 'jwt-secret-for-session-binding-0123456789';
const ENV = {
  API_KEYS: 'client-key-0001:shop,service-key-0002:shop:service,operator-key-03:shop:operator',
  AUTH_JWT_SECRET: SECRET,
  AUTH_JWT_ISSUER: 'https://issuer.test',
  AUTH_JWT_AUDIENCE: 'cs-agent',
};

const customerToken = (email: string) =>
  new SignJWT({ tenant_id: 'shop', email, sub: `sub-${email}` })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://issuer.test')
    .setAudience('cs-agent')
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));

let app: App;
let probe: ReturnType<typeof chatWithCustomerProbe>;
const as: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  probe = chatWithCustomerProbe();
  ({ app } = await buildTestApp(ENV, {
    chat: probe.chat,
    sessions: probe.sessions,
    turnLock: probe.turnLock,
  }));
  Object.assign(as, {
    ada: { authorization: `Bearer ${await customerToken('ada@example.com')}` },
    grace: { authorization: `Bearer ${await customerToken('grace@example.com')}` },
    client: { 'x-api-key': 'client-key-0001' },
    service: { 'x-api-key': 'service-key-0002' },
    operator: { 'x-api-key': 'operator-key-03' },
  });
});
afterAll(async () => {
  await app.close();
});

function chat(who: string, sessionId: string, extra: Record<string, unknown> = {}) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/chat',
    headers: as[who],
    payload: { session_id: sessionId, message: 'hello', ...extra },
  });
}
const history = (who: string, sessionId: string) =>
  app.inject({ method: 'GET', url: `/api/v1/sessions/${sessionId}/history`, headers: as[who] });

describe('a session belongs to the verified customer who started it', () => {
  it('another customer can neither continue, read nor delete it; its owner and staff can', async () => {
    expect((await chat('ada', 'ada-1')).statusCode).toBe(200);

    const intruder = await chat('grace', 'ada-1');
    expect(intruder.statusCode).toBe(403);
    expect(intruder.json()).toMatchObject({
      error: 'FORBIDDEN',
      message: 'This conversation belongs to another customer',
    });
    const stream = await app.inject({
      method: 'POST',
      url: '/api/v1/chat/stream',
      headers: as.grace,
      payload: { session_id: 'ada-1', message: 'hello' },
    });
    expect(stream.statusCode).toBe(403);
    expect((await history('grace', 'ada-1')).statusCode).toBe(404);
    const del = await app.inject({ method: 'DELETE', url: '/api/v1/sessions/ada-1', headers: as.grace });
    expect(del.statusCode).toBe(404);

    // An anonymous page on the client key is not the customer either.
    expect((await chat('client', 'ada-1')).statusCode).toBe(403);
    expect((await history('client', 'ada-1')).statusCode).toBe(404);
    // A service speaking for another customer is refused; for Ada it continues.
    expect((await chat('service', 'ada-1', { customer: { email: 'grace@example.com' } })).statusCode).toBe(
      403,
    );
    expect((await chat('service', 'ada-1', { customer: { email: 'ADA@example.com' } })).statusCode).toBe(200);

    expect((await chat('ada', 'ada-1')).statusCode).toBe(200);
    const own = await history('ada', 'ada-1');
    expect(own.statusCode).toBe(200);
    expect(own.json().message_count).toBe(6);
    expect((await history('operator', 'ada-1')).statusCode).toBe(200);
    expect((await history('service', 'ada-1')).statusCode).toBe(200);
    // Nothing the intruders sent was stored.
    expect(own.json().messages).toHaveLength(6);
  });

  it('an anonymous conversation becomes the first verified customer’s, and is then closed to the anonymous key', async () => {
    expect((await chat('client', 'anon-1')).statusCode).toBe(200);
    expect((await history('client', 'anon-1')).statusCode).toBe(200);
    expect((await chat('ada', 'anon-1')).statusCode).toBe(200);
    expect((await history('client', 'anon-1')).statusCode).toBe(404);
    expect((await chat('grace', 'anon-1')).statusCode).toBe(403);
  });

  it('sessions without a verified customer stay open to the tenant, as before', async () => {
    expect((await chat('client', 'open-1')).statusCode).toBe(200);
    expect((await chat('operator', 'open-1')).statusCode).toBe(200);
    expect((await history('client', 'open-1')).statusCode).toBe(200);
  });

  it('the session list never shows whose a session is', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/sessions', headers: as.operator });
    expect(res.statusCode).toBe(200);
    const text = res.body;
    expect(text).not.toContain('ada@example.com');
    expect(text).not.toContain('grace@example.com');
  });
});
