import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp, captureLogger } from '../helpers/build-test-app.js';

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('probes', () => {
  it('GET /health answers healthy with version and uptime', async () => {
    ({ app } = await buildTestApp());
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('healthy');
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof body.uptime_seconds).toBe('number');
    expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
  });

  it('GET /health/liveness answers alive', async () => {
    ({ app } = await buildTestApp());
    const res = await app.inject({ method: 'GET', url: '/health/liveness' });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('alive');
  });

  it('readiness lists every check and is ready when all pass', async () => {
    ({ app } = await buildTestApp());
    const res = await app.inject({ method: 'GET', url: '/health/readiness' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ready');
    expect(Object.keys(body.checks).sort()).toEqual(['api', 'sessions']);
    expect(body.warnings).toEqual([]);
  });

  it('readiness is degraded (200) when a non-critical check fails and not_ready (503) when a critical one does', async () => {
    let dbUp = true;
    const built = await buildTestApp();
    app = built.app;
    built.readiness.register({
      name: 'mcp_server',
      critical: false,
      run: () => ({ status: 'unavailable', message: 'MCP server not reachable at http://localhost:1/mcp' }),
    });
    built.readiness.register({
      name: 'order_db',
      critical: true,
      run: () => (dbUp ? { status: 'healthy' } : { status: 'unhealthy', message: 'order database closed' }),
    });
    let res = await app.inject({ method: 'GET', url: '/health/readiness' });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('degraded');
    expect(res.json().warnings).toEqual(['MCP server not reachable at http://localhost:1/mcp']);

    dbUp = false;
    res = await app.inject({ method: 'GET', url: '/health/readiness' });
    expect(res.statusCode).toBe(503);
    expect(res.json().status).toBe('not_ready');
    expect(res.json().checks.order_db.status).toBe('unhealthy');
  });

  it('a hung check is reported unavailable instead of hanging the probe', async () => {
    const built = await buildTestApp();
    app = built.app;
    built.readiness.register({ name: 'email', critical: false, run: () => new Promise(() => {}) });
    const res = await app.inject({ method: 'GET', url: '/health/readiness' });
    expect(res.statusCode).toBe(200);
    expect(res.json().checks.email.status).toBe('unavailable');
    expect(res.json().warnings[0]).toMatch(/timed out/);
  });
});

describe('request ids and the error envelope', () => {
  it('echoes a valid incoming X-Request-ID and uses it in error bodies', async () => {
    ({ app } = await buildTestApp());
    const res = await app.inject({
      method: 'GET',
      url: '/nope',
      headers: { 'x-request-id': 'abc.DEF_123-x' },
    });
    expect(res.statusCode).toBe(404);
    expect(res.headers['x-request-id']).toBe('abc.DEF_123-x');
    const body = res.json();
    expect(body).toMatchObject({ error: 'NOT_FOUND', request_id: 'abc.DEF_123-x' });
    expect(typeof body.message).toBe('string');
    expect(typeof body.timestamp).toBe('string');
  });

  it('replaces an unsafe or overlong X-Request-ID with a UUID', async () => {
    ({ app } = await buildTestApp());
    for (const bad of ['has space', 'x'.repeat(129), 'semi;colon', '']) {
      const res = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': bad } });
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('malformed JSON is a 400 VALIDATION_ERROR in the envelope', async () => {
    ({ app } = await buildTestApp());
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/chat',
      headers: { 'content-type': 'application/json' },
      payload: '{"session_id": "s1", "message": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'VALIDATION_ERROR', message: 'The body is not valid JSON' });
  });

  it('field-level details name each invalid field', async () => {
    ({ app } = await buildTestApp());
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/chat',
      payload: { session_id: '', message: 'x'.repeat(10_001) },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error).toBe('VALIDATION_ERROR');
    const fields = (body.details as Array<{ field: string }>).map((d) => d.field).sort();
    expect(fields).toEqual(['body.message', 'body.session_id']);
  });

  it('malformed URLs and overlong parameters still get the envelope and a request id', async () => {
    ({ app } = await buildTestApp());
    for (const url of ['/api/v1/sessions/%ff/history', `/api/v1/sessions/${'x'.repeat(600)}/history`]) {
      const res = await app.inject({ method: 'GET', url, headers: { 'x-request-id': 'bad-url' } });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['x-request-id']).toBe('bad-url');
      expect(res.json()).toMatchObject({ error: 'VALIDATION_ERROR', request_id: 'bad-url' });
    }
  });

  it('a blank message is refused', async () => {
    ({ app } = await buildTestApp());
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/chat',
      payload: { session_id: 's', message: '  \n ' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().details).toEqual([{ field: 'body.message', message: 'must not be blank' }]);
  });

  it('a body over BODY_LIMIT_BYTES is 413 PAYLOAD_TOO_LARGE', async () => {
    ({ app } = await buildTestApp({ BODY_LIMIT_BYTES: '2048' }));
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/chat',
      payload: { session_id: 's', message: 'x'.repeat(4000) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toBe('PAYLOAD_TOO_LARGE');
  });

  it('a 500 carries no stack, no internal message and no host name', async () => {
    ({ app } = await buildTestApp({}, {}, (a) => {
      a.get('/api/v1/boom', async () => {
        throw new Error('connect ECONNREFUSED db-host-1.internal:5432 password=hunter2');
      });
    }));
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/boom',
      headers: { 'x-request-id': 'req-500' },
    });
    expect(res.statusCode).toBe(500);
    const body = res.json();
    expect(body).toMatchObject({ error: 'INTERNAL_ERROR', request_id: 'req-500' });
    expect(res.body).not.toMatch(/db-host-1|hunter2|ECONNREFUSED|at .*\.ts/);
    expect(body.stack).toBeUndefined();
  });

  it('logs each request once on completion with request id, method, path, status and duration', async () => {
    const capture = captureLogger('info');
    ({ app } = await buildTestApp({}, { logger: capture.logger }));
    await app.inject({
      method: 'GET',
      url: '/api/v1/sessions?tenant_id=t1',
      headers: { 'x-request-id': 'log-1' },
    });
    const lines = capture.lines().filter((l) => l.msg === 'request completed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      request_id: 'log-1',
      method: 'GET',
      path: '/api/v1/sessions',
      status: 200,
      tenant_id: 't1',
    });
    expect(typeof lines[0]!.duration_ms).toBe('number');
  });
});

describe('chat routes without an agent', () => {
  it('answer 503 AGENT_UNAVAILABLE in the envelope', async () => {
    ({ app } = await buildTestApp());
    for (const url of ['/api/v1/chat', '/api/v1/chat/stream']) {
      const res = await app.inject({ method: 'POST', url, payload: { session_id: 's1', message: 'hello' } });
      expect(res.statusCode).toBe(503);
      expect(res.json().error).toBe('AGENT_UNAVAILABLE');
    }
  });
});
