import { describe, expect, it } from 'vitest';
import { useFakeModelApp } from '../helpers/fake-model-app.js';
import { step } from '../helpers/fake-openai-server.js';
import { answerOf, readEvents } from '../helpers/sse-client.js';

const llm = useFakeModelApp({ apiKey: 'sk-test-turns-000000', model: 'gpt-test' });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LONG_ANSWER = 'Your parcel left the warehouse this morning and arrives on Friday.';

function postStream(
  body: Record<string, unknown>,
  signal?: AbortSignal,
  headers: Record<string, string> = {},
) {
  return fetch(`${llm.service.baseUrl}/api/v1/chat/stream`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

async function history(sessionId: string) {
  const res = await fetch(`${llm.service.baseUrl}/api/v1/sessions/${sessionId}/history`);
  return (await res.json()) as { messages: Array<{ role: string; content: string; interrupted?: boolean }> };
}

describe('turn ids', () => {
  it('a JSON turn has a UUID in X-Turn-ID and the body, and its status reads back as completed', async () => {
    const service = await llm.start({}, { listen: true });
    llm.fake.script(
      step.toolCalls([{ id: 'call_1', name: 'get_order', arguments: { order_id: 7 } }]),
      step.text('Order 7 does not exist.'),
    );
    const res = await fetch(`${service.baseUrl}/api/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'ids-1', message: 'Where is order 7?' }),
    });
    const body = (await res.json()) as { turn_id: string };
    expect(res.status).toBe(200);
    expect(body.turn_id).toMatch(UUID);
    expect(res.headers.get('x-turn-id')).toBe(body.turn_id);

    const status = await fetch(`${service.baseUrl}/api/v1/sessions/ids-1/turns/${body.turn_id}`);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({
      turn_id: body.turn_id,
      session_id: 'ids-1',
      status: 'completed',
      message: 'Order 7 does not exist.',
      tool_calls: [{ id: 'call_1', name: 'get_order', status: 'error' }],
      usage: { total_tokens: 30 },
    });
  });

  it('every SSE event carries id <turn_id>:<seq> from 1, and done carries the turn id', async () => {
    const service = await llm.start({}, { listen: true });
    llm.fake.script(step.text('Hello there, how can I help?', { chunkSize: 4 }));
    const res = await postStream({ session_id: 'ids-2', message: 'hi' });
    const turnId = res.headers.get('x-turn-id');
    expect(turnId).toMatch(UUID);
    const events = await readEvents(res);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => `${turnId}:${i + 1}`));
    expect(events.at(-1)!.data).toMatchObject({ type: 'done', turn_id: turnId, session_id: 'ids-2' });

    // The whole turn replays with the same ids and data; after the last id there is nothing left.
    const replay = await fetch(`${service.baseUrl}/api/v1/sessions/ids-2/turns/${turnId}/events`);
    expect(replay.headers.get('content-type')).toContain('text/event-stream');
    expect(await readEvents(replay)).toEqual(events);
    const after = await fetch(`${service.baseUrl}/api/v1/sessions/ids-2/turns/${turnId}/events`, {
      headers: { 'last-event-id': events.at(-1)!.id! },
    });
    expect(await readEvents(after)).toEqual([]);
  });
});

describe('resume after a dropped stream', () => {
  it('on_disconnect=continue: a stream cut after 3 events resumes with Last-Event-ID with exactly the rest, once, ending with done', async () => {
    const service = await llm.start({}, { listen: true });
    llm.fake.script(step.text(LONG_ANSWER, { chunkSize: 3, delayMs: 40 }));
    const cut = new AbortController();
    const res = await postStream(
      { session_id: 'cut-1', message: 'Where is my parcel?', on_disconnect: 'continue' },
      cut.signal,
    );
    const turnId = res.headers.get('x-turn-id')!;
    const first = await readEvents(res, { stopAfter: 3, abort: cut });
    expect(first.map((e) => e.id)).toEqual([1, 2, 3].map((n) => `${turnId}:${n}`));

    const resumed = await fetch(`${service.baseUrl}/api/v1/sessions/cut-1/turns/${turnId}/events`, {
      headers: { 'last-event-id': first.at(-1)!.id! },
    });
    expect(resumed.status).toBe(200);
    const rest = await readEvents(resumed);
    const seqs = rest.map((e) => Number(e.id!.split(':')[1]));
    expect(seqs).toEqual(seqs.map((_, i) => 4 + i));
    expect(rest.at(-1)!.data).toMatchObject({ type: 'done', turn_id: turnId, message_count: 2 });
    expect(rest.filter((e) => e.data.type === 'done')).toHaveLength(1);
    expect(answerOf(first) + answerOf(rest)).toBe(LONG_ANSWER);
    // The upstream call ran to its end, and the whole answer was stored.
    expect(llm.fake.requests[0]!.clientWentAway).toBe(false);
    expect((await history('cut-1')).messages.map((m) => m.content)).toEqual([
      'Where is my parcel?',
      LONG_ANSWER,
    ]);

    // The query parameter works for clients that cannot set the header.
    const byQuery = await fetch(
      `${service.baseUrl}/api/v1/sessions/cut-1/turns/${turnId}/events?last_event_id=${encodeURIComponent(first.at(-1)!.id!)}`,
    );
    expect(await readEvents(byQuery)).toEqual(rest);
  });

  it('on_disconnect=cancel (the default) still aborts the upstream call at once when the client leaves', async () => {
    const service = await llm.start({}, { listen: true });
    llm.fake.script(step.text(LONG_ANSWER, { chunkSize: 3, delayMs: 60 }));
    const cut = new AbortController();
    const res = await postStream({ session_id: 'cut-2', message: 'Where is my parcel?' }, cut.signal);
    const turnId = res.headers.get('x-turn-id')!;
    const first = await readEvents(res, { stopAfter: 3, abort: cut });
    const gone = await llm.fake.waitForClientGone(0);
    expect(gone.clientWentAway).toBe(true);

    // A resume gives what was produced before the abort, then ends: no done, no error, the turn is over.
    const resumed = await fetch(`${service.baseUrl}/api/v1/sessions/cut-2/turns/${turnId}/events`, {
      headers: { 'last-event-id': first.at(-1)!.id! },
    });
    const rest = await readEvents(resumed);
    expect(rest.every((e) => e.data.type === 'token')).toBe(true);
    const status = (await (
      await fetch(`${service.baseUrl}/api/v1/sessions/cut-2/turns/${turnId}`)
    ).json()) as {
      status: string;
    };
    expect(status.status).toBe('cancelled');
    const stored = (await history('cut-2')).messages;
    expect(stored.at(-1)).toMatchObject({ role: 'assistant', interrupted: true });
    expect(LONG_ANSWER.startsWith(stored.at(-1)!.content)).toBe(true);
  });

  it('TURN_ON_DISCONNECT=continue makes continue the default', async () => {
    const service = await llm.start({ TURN_ON_DISCONNECT: 'continue' }, { listen: true });
    llm.fake.script(step.text(LONG_ANSWER, { chunkSize: 3, delayMs: 30 }));
    const cut = new AbortController();
    const res = await postStream({ session_id: 'cut-3', message: 'Where is my parcel?' }, cut.signal);
    const turnId = res.headers.get('x-turn-id')!;
    await readEvents(res, { stopAfter: 2, abort: cut });
    const rest = await readEvents(
      await fetch(`${service.baseUrl}/api/v1/sessions/cut-3/turns/${turnId}/events`, {
        headers: { 'last-event-id': `${turnId}:2` },
      }),
    );
    expect(rest.at(-1)!.data.type).toBe('done');
  });
});

describe('cancel and scoping', () => {
  it('POST …/cancel stops a running turn: its stream ends with TURN_CANCELLED, upstream aborted, the partial answer kept as interrupted', async () => {
    const service = await llm.start({}, { listen: true });
    llm.fake.script(step.text(LONG_ANSWER, { chunkSize: 3, delayMs: 80 }));
    const res = await postStream({ session_id: 'stop-1', message: 'Where is my parcel?' });
    const turnId = res.headers.get('x-turn-id')!;
    const reading = readEvents(res);
    const cancel = await fetch(`${service.baseUrl}/api/v1/sessions/stop-1/turns/${turnId}/cancel`, {
      method: 'POST',
    });
    expect(cancel.status).toBe(202);
    expect(await cancel.json()).toMatchObject({ turn_id: turnId, status: 'running', cancel_requested: true });
    const events = await reading;
    expect(events.at(-1)!.data).toMatchObject({ type: 'error', error: 'TURN_CANCELLED', turn_id: turnId });
    await llm.fake.waitForClientGone(0);
    const status = (await (
      await fetch(`${service.baseUrl}/api/v1/sessions/stop-1/turns/${turnId}`)
    ).json()) as {
      status: string;
      message?: string;
    };
    expect(status.status).toBe('cancelled');
    expect(status.message).toBe(answerOf(events));
    expect((await history('stop-1')).messages.at(-1)).toMatchObject({
      role: 'assistant',
      content: answerOf(events),
      interrupted: true,
    });
    // Cancelling a turn that has ended changes nothing.
    const again = await fetch(`${service.baseUrl}/api/v1/sessions/stop-1/turns/${turnId}/cancel`, {
      method: 'POST',
    });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'cancelled', cancel_requested: false });
  });

  it('another tenant, another session, an unknown turn or a foreign event id get 404 NOT_FOUND / 400', async () => {
    await llm.start({ API_KEYS: 'key-acme-123456:acme,key-globex-123456:globex' }, { listen: true });
    llm.fake.script(step.text('Hello.'));
    const acme = { authorization: 'Bearer key-acme-123456' };
    const globex = { authorization: 'Bearer key-globex-123456' };
    const res = await postStream({ session_id: 'scoped', message: 'hi' }, undefined, acme);
    const turnId = res.headers.get('x-turn-id')!;
    await readEvents(res);
    const get = (path: string, headers: Record<string, string>, init: RequestInit = {}) =>
      fetch(`${llm.service.baseUrl}/api/v1/sessions/${path}`, { ...init, headers });
    expect((await get(`scoped/turns/${turnId}`, acme)).status).toBe(200);
    for (const [path, headers, init] of [
      [`scoped/turns/${turnId}`, globex, {}],
      [`scoped/turns/${turnId}/events`, globex, {}],
      [`scoped/turns/${turnId}/cancel`, globex, { method: 'POST' }],
      [`other-session/turns/${turnId}`, acme, {}],
      ['scoped/turns/00000000-0000-4000-8000-000000000000', acme, {}],
    ] as const) {
      const denied = await get(path, headers, init);
      expect(denied.status, path).toBe(404);
      expect(((await denied.json()) as { error: string }).error).toBe('NOT_FOUND');
    }
    const foreign = await get(`scoped/turns/${turnId}/events`, {
      ...acme,
      'last-event-id': 'another-turn:3',
    });
    expect(foreign.status).toBe(400);
    expect(((await foreign.json()) as { error: string }).error).toBe('VALIDATION_ERROR');
  });
});
