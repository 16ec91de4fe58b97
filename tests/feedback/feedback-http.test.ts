import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, captureLogger } from '../helpers/build-test-app.js';
import { type FullApp, startFullApp } from '../helpers/full-app.js';
import { metricValue, parseMetrics } from '../helpers/prometheus.js';
import { closeEngines, ENGINES, postgresServer } from '../orders/support.js';

afterAll(async () => {
  await closeEngines();
});

interface FeedbackItem {
  id: number;
  tenant_id: string;
  session_id: string;
  turn_id: string | null;
  rating: number;
  comment: string | null;
  request_id: string;
  actor: Record<string, unknown>;
  timestamp: string;
}

interface FeedbackPage {
  tenant_id: string;
  total: number;
  limit: number;
  offset: number;
  items: FeedbackItem[];
}

type Headers = Record<string, string>;

function client(service: FullApp) {
  return {
    async chat(sessionId: string, headers: Headers = {}, extra: Record<string, unknown> = {}) {
      const res = await service.app.inject({
        method: 'POST',
        url: '/api/v1/chat',
        headers,
        payload: { session_id: sessionId, message: 'Hello', ...extra },
      });
      expect(res.statusCode).toBe(200);
      return res.json() as { turn_id: string };
    },
    rate: (sessionId: string, payload: unknown, headers: Headers = {}, query = '') =>
      service.app.inject({
        method: 'POST',
        url: `/api/v1/sessions/${encodeURIComponent(sessionId)}/feedback${query}`,
        headers,
        payload: payload as Record<string, unknown>,
      }),
    list: (query = '', headers: Headers = {}) =>
      service.app.inject({ method: 'GET', url: `/api/v1/feedback${query}`, headers }),
  };
}

describe.each(ENGINES)('feedback on %s', (engine) => {
  let service: FullApp;
  let api: ReturnType<typeof client>;
  const log = captureLogger('debug');

  beforeAll(async () => {
    const env: Record<string, string> =
      engine === 'postgres' ? { ORDER_DB_URL: await (await postgresServer()).createDatabase() } : {};
    service = await startFullApp(env, { logger: log.logger });
    api = client(service);
  }, 60_000);
  afterAll(async () => {
    await service?.close();
  });

  it('stores a rating of an answer and of the session, and a second rating of the same replaces the first', async () => {
    const { turn_id: first } = await api.chat('rated');
    const { turn_id: second } = await api.chat('rated');
    // The history names the turn of each answer, so a client can rate answers after a reload.
    const history = await service.app.inject({ method: 'GET', url: '/api/v1/sessions/rated/history' });
    const answers = (history.json() as { messages: Array<{ role: string; turn_id?: string }> }).messages
      .filter((m) => m.role === 'assistant')
      .map((m) => m.turn_id);
    expect(answers).toEqual([first, second]);

    const res = await api.rate('rated', { turn_id: first, rating: 2, comment: 'Too vague.' });
    expect(res.statusCode).toBe(201);
    const stored = res.json() as FeedbackItem;
    expect(stored).toMatchObject({
      tenant_id: 'default',
      session_id: 'rated',
      turn_id: first,
      rating: 2,
      comment: 'Too vague.',
      request_id: res.headers['x-request-id'],
      // In open mode every caller counts as an operator.
      actor: { role: 'operator', via: 'open' },
    });
    expect(Number.isNaN(Date.parse(stored.timestamp))).toBe(false);

    // Latest wins: same row (id), new rating, the earlier comment gone with it.
    const again = await api.rate('rated', { turn_id: first, rating: 4 });
    expect(again.statusCode).toBe(201);
    expect(again.json()).toMatchObject({ id: stored.id, turn_id: first, rating: 4, comment: null });

    expect((await api.rate('rated', { turn_id: second, rating: 5 })).statusCode).toBe(201);
    const whole = await api.rate('rated', { rating: 3, comment: 'Fine overall.' });
    expect(whole.statusCode).toBe(201);
    expect(whole.json()).toMatchObject({ turn_id: null, rating: 3 });

    const page = (await api.list('?session_id=rated')).json() as FeedbackPage;
    expect(page).toMatchObject({ tenant_id: 'default', total: 3, limit: 50, offset: 0 });
    // Most recently given first.
    expect(page.items.map((item) => [item.turn_id, item.rating])).toEqual([
      [null, 3],
      [second, 5],
      [first, 4],
    ]);
    const paged = (await api.list('?session_id=rated&limit=1&offset=1')).json() as FeedbackPage;
    expect(paged.items.map((item) => item.turn_id)).toEqual([second]);
    expect(((await api.list('?since=2999-01-01T00:00:00Z')).json() as FeedbackPage).total).toBe(0);
    expect(
      ((await api.list('?session_id=rated&since=2000-01-01T00:00:00Z')).json() as FeedbackPage).total,
    ).toBe(3);
  });

  it('answers an unknown session and a turn of another session with 404 in the envelope, storing nothing', async () => {
    const { turn_id: elsewhere } = await api.chat('other-session');
    await api.chat('own-session');

    const unknown = await api.rate('never-seen', { rating: 5 });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({
      error: 'SESSION_NOT_FOUND',
      details: { session_id: 'never-seen' },
    });

    const foreignTurn = await api.rate('own-session', { turn_id: elsewhere, rating: 5 });
    expect(foreignTurn.statusCode).toBe(404);
    expect(foreignTurn.json()).toMatchObject({ error: 'NOT_FOUND', details: { turn_id: elsewhere } });
    expect(foreignTurn.json().message).toContain('no answer in this session');

    for (const sessionId of ['never-seen', 'own-session']) {
      expect(((await api.list(`?session_id=${sessionId}`)).json() as FeedbackPage).total).toBe(0);
    }
  });

  it('refuses a rating outside 1..5, a non-integer one and an over-long comment, storing nothing', async () => {
    const { turn_id } = await api.chat('strict');
    for (const payload of [
      { rating: 0 },
      { rating: 6 },
      { rating: 4.5 },
      { rating: '5' },
      {},
      { turn_id, rating: 5, comment: 'x'.repeat(2_001) },
      { turn_id: '', rating: 5 },
    ]) {
      const res = await api.rate('strict', payload);
      expect(res.statusCode, JSON.stringify(payload).slice(0, 60)).toBe(400);
      expect(res.json()).toMatchObject({ error: 'VALIDATION_ERROR' });
    }
    expect(((await api.list('?session_id=strict')).json() as FeedbackPage).total).toBe(0);
    // The longest comment allowed is kept whole.
    const longest = await api.rate('strict', { turn_id, rating: 1, comment: 'y'.repeat(2_000) });
    expect(longest.statusCode).toBe(201);
    expect((longest.json() as FeedbackItem).comment).toHaveLength(2_000);
  });

  it('keeps the comment as written but never logs it, and counts feedback_total by rating', async () => {
    const before = parseMetrics((await service.app.inject({ method: 'GET', url: '/metrics' })).body);
    const { turn_id } = await api.chat('private');
    const comment = 'Call me on +44 20 7946 0958 or mail grace.hopper@example.com';
    const res = await api.rate('private', { turn_id, rating: 4, comment });
    expect(res.statusCode).toBe(201);
    expect((res.json() as FeedbackItem).comment).toBe(comment);
    const listed = (await api.list('?session_id=private')).json() as FeedbackPage;
    expect(listed.items[0]?.comment).toBe(comment);

    const lines = log.lines().filter((line) => line.msg === 'feedback stored');
    expect(lines.at(-1)).toMatchObject({
      session_id: 'private',
      turn_id,
      rating: 4,
      comment_chars: comment.length,
    });
    for (const secret of ['7946 0958', 'grace.hopper', 'Call me on'])
      expect(log.text()).not.toContain(secret);

    const after = parseMetrics((await service.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(metricValue(after, 'feedback_total', { rating: '4' })).toBe(
      metricValue(before, 'feedback_total', { rating: '4' }) + 1,
    );
    // Refused ratings are not counted.
    await api.rate('private', { turn_id, rating: 9 });
    const refused = parseMetrics((await service.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(metricValue(refused, 'feedback_total')).toBe(metricValue(after, 'feedback_total'));
  });
});

describe('who may give and read feedback', () => {
  const KEYS = {
    client: 'client-key-0001',
    service: 'service-key-0001',
    operator: 'operator-key-001',
    otherOperator: 'other-op-key-001',
  };
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  let service: FullApp;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    service = await startFullApp({
      API_KEYS: `${KEYS.client}:shop,${KEYS.service}:shop:service,${KEYS.operator}:shop:operator,${KEYS.otherOperator}:other:operator`,
    });
    api = client(service);
  });
  afterAll(async () => {
    await service?.close();
  });

  it("a customer's session is rated only by callers that may read it", async () => {
    const { turn_id } = await api.chat('bound', bearer(KEYS.service), {
      customer: { email: 'ada@example.com' },
    });
    // An anonymous client on the same tenant cannot tell the session exists.
    const anonymous = await api.rate('bound', { turn_id, rating: 1 }, bearer(KEYS.client));
    expect(anonymous.statusCode).toBe(404);
    expect(anonymous.json()).toMatchObject({ error: 'SESSION_NOT_FOUND' });
    // Another tenant's operator neither.
    expect((await api.rate('bound', { rating: 1 }, bearer(KEYS.otherOperator))).statusCode).toBe(404);
    const staff = await api.rate('bound', { turn_id, rating: 5 }, bearer(KEYS.service));
    expect(staff.statusCode).toBe(201);
    expect(staff.json()).toMatchObject({
      tenant_id: 'shop',
      actor: { role: 'service', via: 'api_key', id: 'key-2' },
    });
    expect((await api.rate('bound', { rating: 5 }, {})).statusCode).toBe(401);
  });

  it('lists ratings for operators of the tenant only', async () => {
    await api.chat('open-to-tenant', bearer(KEYS.client));
    expect((await api.rate('open-to-tenant', { rating: 4 }, bearer(KEYS.client))).statusCode).toBe(201);

    const operator = await api.list('?session_id=open-to-tenant', bearer(KEYS.operator));
    expect(operator.statusCode).toBe(200);
    expect(operator.json()).toMatchObject({ tenant_id: 'shop', total: 1, items: [{ rating: 4 }] });
    for (const key of [KEYS.client, KEYS.service]) {
      const res = await api.list('', bearer(key));
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'FORBIDDEN' });
    }
    expect((await api.list('', {})).statusCode).toBe(401);
    expect((await api.list('?tenant_id=other', bearer(KEYS.operator))).statusCode).toBe(403);
    const other = await api.list('', bearer(KEYS.otherOperator));
    expect(other.json()).toMatchObject({ tenant_id: 'other', total: 0, items: [] });
  });

  it('documents both routes in the OpenAPI document', async () => {
    const doc = (await service.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { tags?: string[]; operationId?: string; responses?: object }>>;
    };
    const post = doc.paths['/api/v1/sessions/{session_id}/feedback']?.post;
    expect(post).toMatchObject({ tags: ['Feedback'], operationId: 'postFeedback' });
    expect(Object.keys(post?.responses ?? {})).toEqual(expect.arrayContaining(['201', '400', '404']));
    expect(doc.paths['/api/v1/feedback']?.get).toMatchObject({
      tags: ['Feedback'],
      operationId: 'listFeedback',
    });
  });
});

describe('a server without the orders database', () => {
  it('answers both routes with 503 in the envelope', async () => {
    const { app } = await buildTestApp();
    try {
      await app.inject({ method: 'POST', url: '/api/v1/chat', payload: { session_id: 's', message: 'Hi' } });
      for (const res of [
        await app.inject({ method: 'POST', url: '/api/v1/sessions/s/feedback', payload: { rating: 5 } }),
        await app.inject({ method: 'GET', url: '/api/v1/feedback' }),
      ]) {
        expect(res.statusCode).toBe(503);
        expect(res.json()).toMatchObject({ error: 'AGENT_UNAVAILABLE' });
      }
    } finally {
      await app.close();
    }
  });
});
