import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/build-test-app.js';

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const KEYS = { API_KEYS: 'key-alpha-0001:tenant-a,key-bravo-0002:tenant-b' };

describe('CORS', () => {
  it('answers a preflight from any origin with * and without credentials by default', async () => {
    ({ app } = await buildTestApp());
    const res = await app.inject({
      method: 'OPTIONS',
      url: '/api/v1/chat',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(String(res.headers['access-control-allow-methods'])).toContain('POST');
  });

  it('only allows listed origins when CORS_ORIGINS is a list', async () => {
    ({ app } = await buildTestApp({ CORS_ORIGINS: 'https://a.example,https://b.example' }));
    const ok = await app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://b.example' } });
    expect(ok.headers['access-control-allow-origin']).toBe('https://b.example');
    expect(ok.headers['access-control-allow-credentials']).toBe('true');
    const no = await app.inject({
      method: 'GET',
      url: '/health',
      headers: { origin: 'https://evil.example' },
    });
    expect(no.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends no CORS headers when ENABLE_CORS=false', async () => {
    ({ app } = await buildTestApp({ ENABLE_CORS: 'false' }));
    const res = await app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://a.example' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('rate limiting', () => {
  it('answers 429 RATE_LIMIT_EXCEEDED with Retry-After and x-ratelimit headers past the limit', async () => {
    ({ app } = await buildTestApp({ ENABLE_RATE_LIMITING: 'true', RATE_LIMIT_PER_MINUTE: '3' }));
    const statuses: number[] = [];
    let last: Awaited<ReturnType<App['inject']>> | undefined;
    for (let i = 0; i < 4; i++) {
      last = await app.inject({ method: 'GET', url: '/api/v1/sessions' });
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last!.json()).toMatchObject({ error: 'RATE_LIMIT_EXCEEDED' });
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    expect(last!.headers['x-ratelimit-limit']).toBe('3');
    expect(last!.headers['x-ratelimit-remaining']).toBe('0');
    expect(last!.json().request_id).toBe(last!.headers['x-request-id']);
  });

  it('exempts probes and docs', async () => {
    ({ app } = await buildTestApp({ ENABLE_RATE_LIMITING: 'true', RATE_LIMIT_PER_MINUTE: '1' }));
    for (let i = 0; i < 5; i++) {
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/health/readiness' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/docs/json' })).statusCode).toBe(200);
    }
  });

  it('counts X-Forwarded-For clients separately only when TRUST_PROXY is on', async () => {
    const env = { ENABLE_RATE_LIMITING: 'true', RATE_LIMIT_PER_MINUTE: '1' };
    ({ app } = await buildTestApp({ ...env, TRUST_PROXY: 'true' }));
    const a = await app.inject({
      method: 'GET',
      url: '/api/v1/sessions',
      headers: { 'x-forwarded-for': '10.0.0.1' },
    });
    const b = await app.inject({
      method: 'GET',
      url: '/api/v1/sessions',
      headers: { 'x-forwarded-for': '10.0.0.2' },
    });
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    await app.close();

    ({ app } = await buildTestApp({ ...env, TRUST_PROXY: 'false' }));
    const c = await app.inject({
      method: 'GET',
      url: '/api/v1/sessions',
      headers: { 'x-forwarded-for': '10.0.0.1' },
    });
    const d = await app.inject({
      method: 'GET',
      url: '/api/v1/sessions',
      headers: { 'x-forwarded-for': '10.0.0.2' },
    });
    expect([c.statusCode, d.statusCode]).toEqual([200, 429]);
  });

  it('limits requests with a wrong API key too, so keys cannot be guessed at full speed', async () => {
    ({ app } = await buildTestApp({ ...KEYS, ENABLE_RATE_LIMITING: 'true', RATE_LIMIT_PER_MINUTE: '2' }));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await app.inject({
        method: 'GET',
        url: '/api/v1/sessions',
        headers: { 'x-api-key': `guess-${i}-0000` },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 429, 429]);
  });

  it('keys the limit by API key when keys are on', async () => {
    ({ app } = await buildTestApp({ ...KEYS, ENABLE_RATE_LIMITING: 'true', RATE_LIMIT_PER_MINUTE: '1' }));
    const a = await app.inject({
      method: 'GET',
      url: '/api/v1/sessions',
      headers: { 'x-api-key': 'key-alpha-0001' },
    });
    const b = await app.inject({
      method: 'GET',
      url: '/api/v1/sessions',
      headers: { 'x-api-key': 'key-bravo-0002' },
    });
    const a2 = await app.inject({
      method: 'GET',
      url: '/api/v1/sessions',
      headers: { 'x-api-key': 'key-alpha-0001' },
    });
    expect([a.statusCode, b.statusCode, a2.statusCode]).toEqual([200, 200, 429]);
  });
});

describe('API keys', () => {
  it('cannot be bypassed with a percent-encoded path', async () => {
    ({ app } = await buildTestApp(KEYS));
    for (const url of ['/%61pi/v1/sessions', '/api%2Fv1/sessions', '/%61pi/v1/sessions/s1/history']) {
      const res = await app.inject({ method: 'GET', url });
      expect([401, 404], url).toContain(res.statusCode);
      expect(res.json().error, url).not.toBeUndefined();
    }
    const chat = await app.inject({
      method: 'POST',
      url: '/%61pi/v1/chat',
      payload: { session_id: 's', message: 'hi' },
    });
    expect(chat.statusCode).toBe(401);
  });

  it('401 UNAUTHORIZED without a key or with a wrong one; probes and docs stay open', async () => {
    ({ app } = await buildTestApp(KEYS));
    const none = await app.inject({ method: 'GET', url: '/api/v1/sessions' });
    expect(none.statusCode).toBe(401);
    expect(none.json().error).toBe('UNAUTHORIZED');
    const wrong = await app.inject({
      method: 'GET',
      url: '/api/v1/sessions',
      headers: { authorization: 'Bearer key-alpha-0002' },
    });
    expect(wrong.statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/health/readiness' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/docs/json' })).statusCode).toBe(200);
  });

  it('accepts Bearer and X-API-Key and acts for the key tenant', async () => {
    ({ app } = await buildTestApp(KEYS));
    const bearer = await app.inject({
      method: 'GET',
      url: '/api/v1/sessions',
      headers: { authorization: 'Bearer key-alpha-0001' },
    });
    expect(bearer.statusCode).toBe(200);
    expect(bearer.json().tenant_id).toBe('tenant-a');
    const header = await app.inject({
      method: 'GET',
      url: '/api/v1/sessions',
      headers: { 'x-api-key': 'key-bravo-0002' },
    });
    expect(header.json().tenant_id).toBe('tenant-b');
  });

  it('403 FORBIDDEN when tenant_id names another tenant, in the query or the body', async () => {
    ({ app } = await buildTestApp(KEYS));
    const query = await app.inject({
      method: 'GET',
      url: '/api/v1/sessions?tenant_id=tenant-b',
      headers: { 'x-api-key': 'key-alpha-0001' },
    });
    expect(query.statusCode).toBe(403);
    expect(query.json().error).toBe('FORBIDDEN');
    const body = await app.inject({
      method: 'POST',
      url: '/api/v1/chat',
      headers: { 'x-api-key': 'key-alpha-0001' },
      payload: { session_id: 's', message: 'hi', tenant_id: 'tenant-b' },
    });
    expect(body.statusCode).toBe(403);
    const same = await app.inject({
      method: 'GET',
      url: '/api/v1/sessions?tenant_id=tenant-a',
      headers: { 'x-api-key': 'key-alpha-0001' },
    });
    expect(same.statusCode).toBe(200);
  });

  it("a key never reaches another tenant's sessions", async () => {
    const built = await buildTestApp(KEYS);
    app = built.app;
    const at = new Date().toISOString();
    await built.sessions.append({ tenantId: 'tenant-b', sessionId: 's1' }, [
      { role: 'user', content: 'b', timestamp: at },
    ]);
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/sessions/s1/history',
      headers: { 'x-api-key': 'key-alpha-0001' },
    });
    expect(res.statusCode).toBe(404);
    const del = await app.inject({
      method: 'DELETE',
      url: '/api/v1/sessions/s1',
      headers: { 'x-api-key': 'key-alpha-0001' },
    });
    expect(del.statusCode).toBe(404);
    expect(await built.sessions.get({ tenantId: 'tenant-b', sessionId: 's1' })).toBeDefined();
  });
});
