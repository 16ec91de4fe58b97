import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { SessionStore } from '../../src/sessions/types.js';
import { buildTestApp } from '../helpers/build-test-app.js';

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function seed(sessions: SessionStore, tenantId: string, sessionId: string, text: string) {
  const at = new Date().toISOString();
  await sessions.append({ tenantId, sessionId }, [
    { role: 'user', content: text, timestamp: at },
    {
      role: 'assistant',
      content: `re: ${text}`,
      timestamp: at,
      tool_calls: [
        {
          id: 'c1',
          name: 'get_order',
          arguments: { order_id: 1 },
          status: 'ok',
          duration_ms: 2,
          result: '{"secret":1}',
        },
      ],
    },
  ]);
}

describe('session routes', () => {
  it('never shows session attributes (they may name the verified customer) in history or list', async () => {
    const built = await buildTestApp();
    app = built.app;
    await built.sessions.append(
      { tenantId: 'acme', sessionId: 's-attr' },
      [{ role: 'user', content: 'hi', timestamp: new Date().toISOString() }],
      { customer_email: 'ada@example.com' },
    );
    const history = await app.inject({ url: '/api/v1/sessions/s-attr/history?tenant_id=acme' });
    const list = await app.inject({ url: '/api/v1/sessions?tenant_id=acme' });
    expect(history.statusCode).toBe(200);
    expect(list.json().sessions[0].session_id).toBe('s-attr');
    expect(history.body).not.toContain('ada@example.com');
    expect(list.body).not.toContain('ada@example.com');
  });

  it('history returns the messages with tool calls (without raw results) for the right tenant', async () => {
    const built = await buildTestApp();
    app = built.app;
    await seed(built.sessions, 'acme', 's-1', 'hello');
    const res = await app.inject({ method: 'GET', url: '/api/v1/sessions/s-1/history?tenant_id=acme' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ session_id: 's-1', tenant_id: 'acme', message_count: 2 });
    expect(body.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
    expect(body.messages[1].tool_calls[0]).toEqual({
      id: 'c1',
      name: 'get_order',
      arguments: { order_id: 1 },
      status: 'ok',
      duration_ms: 2,
    });
    const other = await app.inject({ method: 'GET', url: '/api/v1/sessions/s-1/history' });
    expect(other.statusCode).toBe(404);
    expect(other.json().error).toBe('SESSION_NOT_FOUND');
  });

  it('delete removes the session and a second delete is 404', async () => {
    const built = await buildTestApp();
    app = built.app;
    await seed(built.sessions, 'default', 's-2', 'x');
    const res = await app.inject({ method: 'DELETE', url: '/api/v1/sessions/s-2' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ message: 'Session deleted successfully', session_id: 's-2' });
    const again = await app.inject({ method: 'DELETE', url: '/api/v1/sessions/s-2' });
    expect(again.statusCode).toBe(404);
    expect(again.json().error).toBe('SESSION_NOT_FOUND');
  });

  it('list pages through a tenant, most recent activity first', async () => {
    const built = await buildTestApp();
    app = built.app;
    for (const id of ['a', 'b', 'c']) await seed(built.sessions, 't1', id, id);
    await seed(built.sessions, 't2', 'z', 'z');
    await seed(built.sessions, 't1', 'a', 'again');
    const res = await app.inject({ method: 'GET', url: '/api/v1/sessions?tenant_id=t1&limit=2&offset=0' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ tenant_id: 't1', total: 3, limit: 2, offset: 0 });
    expect(body.sessions.map((s: { session_id: string }) => s.session_id)).toEqual(['a', 'c']);
    expect(body.sessions[0].message_count).toBe(4);
    const next = await app.inject({ method: 'GET', url: '/api/v1/sessions?tenant_id=t1&limit=2&offset=2' });
    expect(next.json().sessions.map((s: { session_id: string }) => s.session_id)).toEqual(['b']);
  });

  it('refuses bad pagination values with VALIDATION_ERROR', async () => {
    ({ app } = await buildTestApp());
    for (const q of ['limit=0', 'limit=101', 'offset=-1', 'limit=abc']) {
      const res = await app.inject({ method: 'GET', url: `/api/v1/sessions?${q}` });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('VALIDATION_ERROR');
    }
  });

  it('refuses an overlong session id', async () => {
    ({ app } = await buildTestApp());
    const res = await app.inject({ method: 'GET', url: `/api/v1/sessions/${'x'.repeat(256)}/history` });
    expect(res.statusCode).toBe(400);
  });
});

describe('OpenAPI', () => {
  it('documents every route with tags, request schemas and error responses', async () => {
    ({ app } = await buildTestApp());
    const res = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.info.title).toBeTruthy();
    expect(doc.tags.map((t: { name: string }) => t.name)).toEqual([
      'Health',
      'Chat',
      'Sessions',
      'Turns',
      'Audit',
    ]);
    for (const path of [
      '/health',
      '/health/liveness',
      '/health/readiness',
      '/api/v1/chat',
      '/api/v1/chat/stream',
      '/api/v1/sessions',
      '/api/v1/sessions/{session_id}',
      '/api/v1/sessions/{session_id}/history',
      '/api/v1/sessions/{session_id}/turns/{turn_id}',
      '/api/v1/sessions/{session_id}/turns/{turn_id}/events',
      '/api/v1/sessions/{session_id}/turns/{turn_id}/cancel',
      '/api/v1/audit',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    const chat = doc.paths['/api/v1/chat'].post;
    expect(chat.summary).toBeTruthy();
    expect(chat.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ChatRequest',
    });
    expect(doc.components.schemas.ChatRequest.required).toEqual(['session_id', 'message']);
    expect(Object.keys(chat.responses)).toEqual(
      expect.arrayContaining(['200', '400', '429', '502', '503', '504']),
    );
    expect(doc.paths['/health'].get.security).toEqual([]);
    const ui = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui.css' });
    const csp = String(ui.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(ui.statusCode).toBe(200);
  });
});
