import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelMessage } from '../../src/agent/types.js';
import { SESSION_BUSY_MESSAGE } from '../../src/chat/turn-errors.js';
import { TURN_INTERRUPTED_MESSAGE } from '../../src/turns/errors.js';
import type { MemoryTurnLock } from '../../src/turns/memory-turn-lock.js';
import { type FullApp, startFullApp } from '../helpers/full-app.js';
import { call, createScriptedModel, type ScriptStep, say } from '../helpers/scripted-model.js';
import { answerOf, openEvents, readEvents } from '../helpers/sse-client.js';
import { deferred } from './turn-lock-contract.js';

/**
 * What the model does for each customer message, one step per model call of that message's turn.
 * Keyed by the message, so a turn's behaviour does not depend on the order the model sees them.
 */
const plans = new Map<string, ScriptStep[]>();
const lastUser = (messages: ModelMessage[]) => messages.findLast((m) => m.role === 'user')?.content ?? '';
const model = createScriptedModel((request) => {
  const message = lastUser(request.messages);
  return plans.get(message)?.shift() ?? [{ throw: new Error(`no scripted step for "${message}"`) }];
});

let full: FullApp;

beforeAll(async () => {
  full = await startFullApp({ TURN_TIMEOUT_MS: '20000' }, { model, listen: true });
}, 30_000);

afterAll(async () => {
  await full?.close();
});

function post(path: string, body: Record<string, unknown>) {
  return fetch(`${full.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}
const chat = (body: Record<string, unknown>) => post('/api/v1/chat', body);
const stream = (body: Record<string, unknown>) => post('/api/v1/chat/stream', body);

interface StoredMessage {
  role: string;
  content: string;
  interrupted?: boolean;
  turn_id?: string;
  tool_calls?: Array<{ name: string }>;
}
async function history(sessionId: string): Promise<StoredMessage[]> {
  const res = await fetch(`${full.baseUrl}/api/v1/sessions/${sessionId}/history`);
  return ((await res.json()) as { messages: StoredMessage[] }).messages;
}
async function turnStatus(sessionId: string, turnId: string) {
  const res = await fetch(`${full.baseUrl}/api/v1/sessions/${sessionId}/turns/${turnId}`);
  return (await res.json()) as { status: string; message?: string };
}
const modelCallsFor = (message: string) => model.requests.filter((r) => lastUser(r.messages) === message);

describe('on_busy: reject', () => {
  it('answers 409 SESSION_BUSY on both routes while a turn runs; the running turn completes and only its exchange is stored', async () => {
    const gate = deferred();
    plans.set('Where is order 42?', [
      [...say('Order 42 shipped'), { waitFor: gate.promise }, ...say(' today.')],
    ]);
    const first = await stream({ session_id: 'reject-1', message: 'Where is order 42?' });
    const firstTurn = first.headers.get('x-turn-id')!;
    const reading = openEvents(first);
    await reading.first();

    for (const route of ['/api/v1/chat', '/api/v1/chat/stream']) {
      const refused = await post(route, { session_id: 'reject-1', message: 'Hello?', on_busy: 'reject' });
      expect(refused.status, route).toBe(409);
      expect(refused.headers.get('content-type'), route).toContain('application/json');
      expect(await refused.json()).toMatchObject({
        error: 'SESSION_BUSY',
        message: SESSION_BUSY_MESSAGE,
        request_id: refused.headers.get('x-request-id'),
      });
    }

    gate.resolve();
    const events = await reading.rest();
    expect(answerOf(events)).toBe('Order 42 shipped today.');
    expect(events.at(-1)!.data).toMatchObject({ type: 'done', turn_id: firstTurn, message_count: 2 });
    expect(await turnStatus('reject-1', firstTurn)).toMatchObject({ status: 'completed' });
    expect(await history('reject-1')).toEqual([
      expect.objectContaining({ role: 'user', content: 'Where is order 42?' }),
      expect.objectContaining({ role: 'assistant', content: 'Order 42 shipped today.' }),
    ]);
    expect((await history('reject-1')).some((m) => m.interrupted)).toBe(false);
    // The refused messages never reached the model.
    expect(modelCallsFor('Hello?')).toHaveLength(0);
  });

  it('runs at once on an idle session', async () => {
    plans.set('Hi there', [say('Hello! How can I help?')]);
    const res = await chat({ session_id: 'reject-2', message: 'Hi there', on_busy: 'reject' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ message: 'Hello! How can I help?', message_count: 2 });
  });
});

describe('on_busy: interrupt', () => {
  it('stops the running stream turn (error event, status interrupted, partial answer kept), then runs: history in order', async () => {
    plans.set('Tell me about my order', [[...say('Your order is being'), { hang: true }]]);
    plans.set('Actually, cancel it', [say('Done: the order is cancelled.')]);
    const first = await stream({ session_id: 'interrupt-1', message: 'Tell me about my order' });
    const firstTurn = first.headers.get('x-turn-id')!;
    const reading = openEvents(first);
    await reading.first();

    const second = await chat({
      session_id: 'interrupt-1',
      message: 'Actually, cancel it',
      on_busy: 'interrupt',
    });
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ message: 'Done: the order is cancelled.', message_count: 4 });
    const secondTurn = second.headers.get('x-turn-id');

    const events = await reading.rest();
    const partial = answerOf(events);
    expect('Your order is being'.startsWith(partial) && partial !== '').toBe(true);
    expect(events.at(-1)!.data).toMatchObject({
      type: 'error',
      error: 'TURN_CANCELLED',
      message: TURN_INTERRUPTED_MESSAGE,
      turn_id: firstTurn,
    });
    expect(await turnStatus('interrupt-1', firstTurn)).toMatchObject({
      status: 'interrupted',
      message: partial,
    });
    expect(await history('interrupt-1')).toEqual([
      expect.objectContaining({ role: 'user', content: 'Tell me about my order' }),
      expect.objectContaining({ role: 'assistant', content: partial, interrupted: true, turn_id: firstTurn }),
      expect.objectContaining({ role: 'user', content: 'Actually, cancel it' }),
      expect.objectContaining({
        role: 'assistant',
        content: 'Done: the order is cancelled.',
        turn_id: secondTurn,
      }),
    ]);
    // The new turn's model call saw the interrupted exchange before its own question.
    const seen = modelCallsFor('Actually, cancel it')[0]!.messages.filter((m) => m.role !== 'system');
    expect(seen.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('stops a JSON turn that is running a tool: its tool record is kept, its client gets 409 TURN_CANCELLED, the stream turn runs next', async () => {
    const waiting = deferred();
    plans.set('Look up order 7', [
      [call('get_order', { order_id: 7 }, 'call_lookup')],
      async () => {
        waiting.resolve();
        return [{ hang: true }];
      },
    ]);
    plans.set('Never mind, what are your hours?', [say('We are open 9 to 5.')]);
    const first = chat({ session_id: 'interrupt-2', message: 'Look up order 7' });
    await waiting.promise;

    const second = await stream({
      session_id: 'interrupt-2',
      message: 'Never mind, what are your hours?',
      on_busy: 'interrupt',
    });
    expect(second.status).toBe(200);
    const events = await readEvents(second);
    expect(answerOf(events)).toBe('We are open 9 to 5.');
    expect(events.at(-1)!.data).toMatchObject({ type: 'done', message_count: 4 });

    const interrupted = await first;
    expect(interrupted.status).toBe(409);
    expect(await interrupted.json()).toMatchObject({
      error: 'TURN_CANCELLED',
      message: TURN_INTERRUPTED_MESSAGE,
    });
    expect(await turnStatus('interrupt-2', interrupted.headers.get('x-turn-id')!)).toMatchObject({
      status: 'interrupted',
    });
    const stored = await history('interrupt-2');
    expect(stored.map((m) => [m.role, m.content])).toEqual([
      ['user', 'Look up order 7'],
      ['assistant', ''],
      ['user', 'Never mind, what are your hours?'],
      ['assistant', 'We are open 9 to 5.'],
    ]);
    expect(stored[1]).toMatchObject({ interrupted: true, tool_calls: [{ name: 'get_order' }] });
  });

  it('runs at once on an idle session', async () => {
    plans.set('Good morning', [say('Good morning to you!')]);
    const res = await stream({ session_id: 'interrupt-3', message: 'Good morning', on_busy: 'interrupt' });
    const events = await readEvents(res);
    expect(answerOf(events)).toBe('Good morning to you!');
    expect(events.at(-1)!.data).toMatchObject({ type: 'done', message_count: 2 });
  });
});

describe('on_busy: enqueue', () => {
  it('is the default: turns wait behind the running one and run in arrival order, every answer after its question', async () => {
    const gate = deferred();
    plans.set('First question', [[...say('First'), { waitFor: gate.promise }, ...say(' answer.')]]);
    plans.set('Second question', [say('Second answer.')]);
    plans.set('Third question', [say('Third answer.')]);
    const lock = full.runtime.deps.turnLock as MemoryTurnLock;
    const key = { tenantId: 'default', sessionId: 'enqueue-1' };
    const first = await stream({ session_id: 'enqueue-1', message: 'First question' });
    const reading = openEvents(first);
    await reading.first();
    const second = chat({ session_id: 'enqueue-1', message: 'Second question', on_busy: 'enqueue' });
    await expect.poll(() => lock.waitingOn(key)).toBe(1);
    const third = chat({ session_id: 'enqueue-1', message: 'Third question' });
    await expect.poll(() => lock.waitingOn(key)).toBe(2);
    gate.resolve();

    expect((await reading.rest()).at(-1)!.data).toMatchObject({ type: 'done', message_count: 2 });
    expect(await (await second).json()).toMatchObject({ message: 'Second answer.', message_count: 4 });
    expect(await (await third).json()).toMatchObject({ message: 'Third answer.', message_count: 6 });
    expect((await history('enqueue-1')).map((m) => m.content)).toEqual([
      'First question',
      'First answer.',
      'Second question',
      'Second answer.',
      'Third question',
      'Third answer.',
    ]);
  });

  it('refuses an unknown on_busy with 400 VALIDATION_ERROR naming the field', async () => {
    const res = await chat({ session_id: 'enqueue-2', message: 'hi', on_busy: 'skip' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; details: Array<{ field: string }> };
    expect(body.error).toBe('VALIDATION_ERROR');
    expect(body.details.map((d) => d.field)).toContain('body.on_busy');
  });
});
