import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyToModelMessages, OPERATOR_MESSAGE_PREFIX } from '../../src/agent/history-window.js';
import { createOfflineModel } from '../../src/agent/offline/offline-model.js';
import { HANDOFF_NOTICE } from '../../src/chat/chat-service.js';
import { type FullApp, parseSse, startFullApp } from '../helpers/full-app.js';

/**
 * Hand-off to a person (DESIGN §13) through the whole service with the offline assistant: "talk to a
 * person" calls the handoff_to_human tool, later messages are kept for the operator, the operator
 * writes and gives the session back.
 */
const KEYS = {
  client: 'client-key-0001',
  operator: 'operator-key-03',
  otherOperator: 'operator-key-04',
};
let service: FullApp;

beforeAll(async () => {
  service = await startFullApp(
    {
      API_KEYS: `${KEYS.client}:shop,${KEYS.operator}:shop:operator,${KEYS.otherOperator}:elsewhere:operator`,
    },
    { model: createOfflineModel({ logger: pino({ level: 'silent' }), wordDelayMs: 0 }) },
  );
});

afterAll(async () => {
  await service?.close();
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

async function chat(sessionId: string, message: string) {
  const res = await service.app.inject({
    method: 'POST',
    url: '/api/v1/chat',
    headers: auth(KEYS.client),
    payload: { session_id: sessionId, message },
  });
  expect(res.statusCode).toBe(200);
  return res.json() as { message: string; message_count: number; tool_calls: Array<{ name: string }> };
}

async function history(sessionId: string, key = KEYS.client) {
  const res = await service.app.inject({
    method: 'GET',
    url: `/api/v1/sessions/${sessionId}/history`,
    headers: auth(key),
  });
  expect(res.statusCode).toBe(200);
  return res.json() as {
    status: string;
    message_count: number;
    messages: Array<{ role: string; content: string }>;
  };
}

function operatorPost(sessionId: string, content: string, key = KEYS.operator) {
  return service.app.inject({
    method: 'POST',
    url: `/api/v1/sessions/${sessionId}/messages`,
    headers: auth(key),
    payload: { content },
  });
}

function release(sessionId: string, key = KEYS.operator) {
  return service.app.inject({
    method: 'POST',
    url: `/api/v1/sessions/${sessionId}/handoff/release`,
    headers: auth(key),
  });
}

describe('hand-off to a person', () => {
  it('hands off, keeps messages for the operator, takes the operator message and gives the session back', async () => {
    const sid = 'handoff-flow';
    const first = await chat(sid, 'Hello, where is my order 1?');
    expect(first.tool_calls.map((c) => c.name)).not.toContain('handoff_to_human');
    expect((await history(sid)).status).toBe('active');

    const handedOff = await chat(sid, 'I want to talk to a person please');
    expect(handedOff.tool_calls.map((c) => c.name)).toEqual(['handoff_to_human']);
    expect(handedOff.message).toMatch(/person/i);
    expect((await history(sid)).status).toBe('handoff');

    // The session list shows the status; the waiting list has the session with its reason.
    const list = await service.app.inject({
      method: 'GET',
      url: '/api/v1/sessions',
      headers: auth(KEYS.operator),
    });
    const summary = (
      list.json() as { sessions: Array<{ session_id: string; status: string }> }
    ).sessions.find((s) => s.session_id === sid);
    expect(summary?.status).toBe('handoff');
    const waiting = await service.app.inject({
      method: 'GET',
      url: '/api/v1/handoffs',
      headers: auth(KEYS.operator),
    });
    expect(waiting.statusCode).toBe(200);
    const page = waiting.json() as { total: number; sessions: Array<{ session_id: string; reason: string }> };
    expect(page.sessions.map((s) => s.session_id)).toContain(sid);
    expect(page.sessions.find((s) => s.session_id === sid)?.reason).toMatch(/person/);

    // While handed off: stored, answered with the notice, no tools — JSON and SSE alike.
    const kept = await chat(sid, 'Please cancel order 1');
    expect(kept.message).toBe(HANDOFF_NOTICE);
    expect(kept.tool_calls).toEqual([]);
    const stream = await service.app.inject({
      method: 'POST',
      url: '/api/v1/chat/stream',
      headers: auth(KEYS.client),
      payload: { session_id: sid, message: 'Are you there?' },
    });
    expect(stream.statusCode).toBe(200);
    const { events } = parseSse(stream.body);
    expect(events.map((e) => e.type)).toEqual(['token', 'done']);
    expect(events[0]?.content).toBe(HANDOFF_NOTICE);
    let h = await history(sid);
    expect(h.messages.slice(-2).map((m) => [m.role, m.content])).toEqual([
      ['user', 'Please cancel order 1'],
      ['user', 'Are you there?'],
    ]);

    // The operator writes; the customer sees it in the history.
    const posted = await operatorPost(sid, 'Hi, this is Sam from support. Order 1 stays as it is.');
    expect(posted.statusCode).toBe(200);
    expect(posted.json()).toMatchObject({ status: 'handoff', message: { role: 'operator' } });
    h = await history(sid);
    expect(h.messages.at(-1)).toMatchObject({ role: 'operator', content: expect.stringContaining('Sam') });
    expect(h.message_count).toBe(h.messages.length);

    // Released: the agent answers again, and the session leaves the waiting list.
    const released = await release(sid);
    expect(released.statusCode).toBe(200);
    expect(released.json()).toMatchObject({ status: 'active', released: true });
    expect((await history(sid)).status).toBe('active');
    const after = await chat(sid, 'Where is my order 1?');
    expect(after.message).not.toBe(HANDOFF_NOTICE);
    expect(after.tool_calls.length).toBeGreaterThan(0);
    const again = await service.app.inject({
      method: 'GET',
      url: '/api/v1/handoffs',
      headers: auth(KEYS.operator),
    });
    expect(
      (again.json() as { sessions: Array<{ session_id: string }> }).sessions.map((s) => s.session_id),
    ).not.toContain(sid);

    // Releasing again changes nothing.
    expect((await release(sid)).json()).toMatchObject({ status: 'active', released: false });
  });

  it('a first message asking for a person creates the session handed off', async () => {
    await chat('handoff-first', 'talk to a person');
    expect((await history('handoff-first')).status).toBe('handoff');
  });

  it('lists waiting sessions most recent hand-off first, paginated', async () => {
    for (const sid of ['wait-a', 'wait-b', 'wait-c']) await chat(sid, 'talk to a person');
    const res = await service.app.inject({
      method: 'GET',
      url: '/api/v1/handoffs?limit=2&offset=0',
      headers: auth(KEYS.operator),
    });
    const page = res.json() as { total: number; limit: number; sessions: Array<{ session_id: string }> };
    expect(page.limit).toBe(2);
    expect(page.sessions.map((s) => s.session_id)).toEqual(['wait-c', 'wait-b']);
    expect(page.total).toBeGreaterThanOrEqual(3);
  });

  it('only operators of the tenant write, release and list', async () => {
    await chat('handoff-guard', 'talk to a person');
    for (const res of [
      await operatorPost('handoff-guard', 'hi', KEYS.client),
      await release('handoff-guard', KEYS.client),
      await service.app.inject({ method: 'GET', url: '/api/v1/handoffs', headers: auth(KEYS.client) }),
    ]) {
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'FORBIDDEN' });
    }
    // Another tenant's operator does not find the session.
    expect((await operatorPost('handoff-guard', 'hi', KEYS.otherOperator)).statusCode).toBe(404);
    expect((await release('handoff-guard', KEYS.otherOperator)).statusCode).toBe(404);
    expect((await history('handoff-guard')).status).toBe('handoff');
    expect((await history('handoff-guard')).messages.some((m) => m.role === 'operator')).toBe(false);
  });

  it('refuses an empty operator message and an unknown session, changing nothing', async () => {
    const empty = await operatorPost('handoff-guard', '   ');
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ error: 'VALIDATION_ERROR' });
    const missing = await operatorPost('no-such-session', 'hello');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'SESSION_NOT_FOUND' });
    expect((await release('no-such-session')).statusCode).toBe(404);
    const none = await service.app.inject({
      method: 'GET',
      url: '/api/v1/sessions/no-such-session/history',
      headers: auth(KEYS.operator),
    });
    expect(none.statusCode).toBe(404);
  });
});

describe('what the model reads of an operator message', () => {
  it('is assistant-side context, marked as written by the support team', () => {
    const messages = historyToModelMessages(
      [
        { role: 'user', content: 'I want a person', timestamp: 't1' },
        { role: 'operator', content: 'Hi, Sam here.', timestamp: 't2' },
      ],
      50,
    );
    expect(messages).toEqual([
      { role: 'user', content: 'I want a person' },
      { role: 'assistant', content: `${OPERATOR_MESSAGE_PREFIX}Hi, Sam here.` },
    ]);
  });
});
