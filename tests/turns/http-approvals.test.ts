import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handoffPatch } from '../../src/sessions/status.js';
import { createSqliteApprovalStore } from '../../src/turns/sqlite-approvals.js';
import { DEFAULT_MAX_WAITING_PER_SESSION } from '../../src/turns/turn-lock.js';
import {
  type FakeOpenAI,
  type RecordedRequest,
  startFakeOpenAI,
  step,
} from '../helpers/fake-openai-server.js';
import { type FullApp, startFullApp } from '../helpers/full-app.js';
import { answerOf, readEvents } from '../helpers/sse-client.js';

let fake: FakeOpenAI;
let service: FullApp | undefined;
/** Files that outlive one app (a restart). */
const kept = mkdtempSync(path.join(os.tmpdir(), 'approvals-kept-'));

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
  rmSync(kept, { recursive: true, force: true });
});
afterEach(async () => {
  await service?.close();
  service = undefined;
  fake.reset();
});

const env = (extra: Record<string, string> = {}) => ({
  LLM_PROVIDER: 'openai',
  OPENAI_BASE_URL: fake.baseURL,
  OPENAI_API_KEY: 'sk-test-approvals-000',
  OPENAI_MODEL: 'gpt-test',
  LLM_MAX_RETRIES: '0',
  ORDER_ACCESS: 'tenant',
  DEMO_ORDERS: 'true',
  TOOLS_REQUIRING_APPROVAL: 'cancel_order,update_order_status',
  ...extra,
});

/** Demo order 2 is PENDING, so it can be cancelled. */
const CANCEL = {
  id: 'call_cancel',
  name: 'cancel_order',
  arguments: { order_id: 2, reason: 'changed my mind' },
};

function orderStatus(orderId: number): string {
  const db = new Database(path.join(service!.dir, 'orders.db'), { readonly: true });
  try {
    return (db.prepare('SELECT status FROM orders WHERE id = ?').get(orderId) as { status: string }).status;
  } finally {
    db.close();
  }
}

async function send(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${service!.baseUrl}${url}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { [k: string]: never } };
}

const decide = (sessionId: string, turnId: string, decision: Record<string, unknown>, headers = {}) =>
  send('POST', `/api/v1/sessions/${sessionId}/turns/${turnId}/approvals`, decision, headers);

const history = async (sessionId: string, headers = {}) =>
  (await send('GET', `/api/v1/sessions/${sessionId}/history`, undefined, headers)).body as unknown as {
    messages: Array<{ role: string; content: string; tool_calls?: Array<{ name: string; status: string }> }>;
  };

/** The tool result the model read for a call. */
function toolResultSeen(request: RecordedRequest, callId: string): string | undefined {
  return (
    request.body.messages?.find((m) => m.role === 'tool' && m.tool_call_id === callId)?.content ?? undefined
  );
}

describe('a tool that needs approval', () => {
  it('SSE: the stream ends awaiting approval; approving runs the tool, the events resume and the answer is stored', async () => {
    service = await startFullApp(env(), { listen: true });
    fake.script(step.toolCalls([CANCEL], { text: 'Let me cancel that for you.' }));
    const res = await fetch(`${service.baseUrl}/api/v1/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'appr-sse', message: 'Please cancel order 2' }),
    });
    const turnId = res.headers.get('x-turn-id')!;
    const events = await readEvents(res);
    const kinds = events.map((e) => e.data.type);
    expect(kinds).not.toContain('tool_call');
    expect(kinds.slice(-2)).toEqual(['approval_required', 'awaiting_approval']);
    expect(events.at(-2)!.data).toMatchObject({
      type: 'approval_required',
      turn_id: turnId,
      call_id: 'call_cancel',
      name: 'cancel_order',
      arguments: CANCEL.arguments,
    });
    expect(events.at(-1)!.data).toMatchObject({
      type: 'awaiting_approval',
      turn_id: turnId,
      session_id: 'appr-sse',
    });
    expect(orderStatus(2)).toBe('PENDING');

    const status = await send('GET', `/api/v1/sessions/appr-sse/turns/${turnId}`);
    expect(status.body).toMatchObject({
      status: 'awaiting_approval',
      message: 'Let me cancel that for you.',
      pending_approvals: [{ call_id: 'call_cancel', name: 'cancel_order', arguments: CANCEL.arguments }],
    });
    const listed = await send('GET', '/api/v1/approvals?status=pending');
    expect(listed.body).toMatchObject({
      tenant_id: 'default',
      count: 1,
      approvals: [{ session_id: 'appr-sse', turn_id: turnId, call_id: 'call_cancel', name: 'cancel_order' }],
    });
    // The question is in the history already; the answer comes with the decision.
    expect((await history('appr-sse')).messages.map((m) => m.role)).toEqual(['user']);

    fake.script(step.text('Done: order 2 is cancelled.'));
    const approved = await decide('appr-sse', turnId, { call_id: 'call_cancel', decision: 'approve' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      turn_id: turnId,
      status: 'completed',
      message: 'Let me cancel that for you.\n\nDone: order 2 is cancelled.',
      tool_calls: [{ id: 'call_cancel', name: 'cancel_order', status: 'ok' }],
    });
    expect(approved.body.pending_approvals).toBeUndefined();
    expect(orderStatus(2)).toBe('CANCELLED');
    expect(toolResultSeen(fake.requests[1]!, 'call_cancel')).toContain('CANCELLED');

    const stored = (await history('appr-sse')).messages;
    expect(stored.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(stored[1]).toMatchObject({
      content: 'Let me cancel that for you.\n\nDone: order 2 is cancelled.',
      tool_calls: [{ name: 'cancel_order', status: 'ok' }],
    });

    // The resume endpoint follows the turn on from where the stream stopped, ids continuing.
    const resumed = await fetch(`${service.baseUrl}/api/v1/sessions/appr-sse/turns/${turnId}/events`, {
      headers: { 'last-event-id': events.at(-1)!.id! },
    });
    const rest = await readEvents(resumed);
    const lastSeq = Number(events.at(-1)!.id!.split(':')[1]);
    expect(rest.map((e) => e.id)).toEqual(rest.map((_, i) => `${turnId}:${lastSeq + 1 + i}`));
    const restKinds = rest.map((e) => e.data.type).filter((kind, i, all) => kind !== all[i - 1]);
    expect(restKinds).toEqual(['approval_decided', 'tool_call', 'tool_result', 'token', 'done']);
    expect(rest[0]!.data).toMatchObject({ call_id: 'call_cancel', decision: 'approve' });
    expect(answerOf(rest)).toBe('\n\nDone: order 2 is cancelled.');
    expect(rest.at(-1)!.data).toMatchObject({ type: 'done', turn_id: turnId, message_count: 2 });

    // A second decision is refused and runs nothing again.
    const again = await decide('appr-sse', turnId, { call_id: 'call_cancel', decision: 'approve' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      error: 'APPROVAL_NOT_PENDING',
      details: { call_id: 'call_cancel', status: 'approved' },
    });
    expect(fake.requests).toHaveLength(2);
    expect((await send('GET', '/api/v1/approvals')).body).toMatchObject({ count: 0, approvals: [] });
  });

  it('JSON: 202 awaiting approval; a decline becomes a result the model explains, and the order is unchanged', async () => {
    service = await startFullApp(env(), { listen: true });
    fake.script(step.toolCalls([CANCEL]));
    const paused = await send('POST', '/api/v1/chat', { session_id: 'appr-json', message: 'Cancel order 2' });
    expect(paused.status).toBe(202);
    expect(paused.body).toMatchObject({
      session_id: 'appr-json',
      status: 'awaiting_approval',
      message: '',
      pending_approvals: [{ call_id: 'call_cancel', name: 'cancel_order', arguments: CANCEL.arguments }],
    });
    const turnId = String(paused.body.turn_id);
    const expiresAt = Date.parse(
      String((paused.body.pending_approvals as unknown as [{ expires_at: string }])[0].expires_at),
    );
    expect(expiresAt).toBeGreaterThan(Date.now() + 59 * 60_000);

    fake.script((request) =>
      step.text(
        `I'm sorry, I could not cancel it: ${JSON.parse(toolResultSeen(request, 'call_cancel') ?? '{}').error}`,
      ),
    );
    const declined = await decide('appr-json', turnId, {
      call_id: 'call_cancel',
      decision: 'decline',
      reason: 'the parcel is already packed',
    });
    expect(declined.status).toBe(200);
    const explanation =
      "I'm sorry, I could not cancel it: declined by an operator: the parcel is already packed. The call was not run.";
    expect(declined.body).toMatchObject({
      status: 'completed',
      message: explanation,
      tool_calls: [{ id: 'call_cancel', name: 'cancel_order', status: 'error' }],
    });
    expect(orderStatus(2)).toBe('PENDING');
    const stored = (await history('appr-json')).messages;
    expect(stored.map((m) => [m.role, m.content])).toEqual([
      ['user', 'Cancel order 2'],
      ['assistant', explanation],
    ]);
  });

  it('a conversation deleted while its request waited: approving runs nothing and does not bring it back', async () => {
    service = await startFullApp(env(), { listen: true });
    fake.script(step.toolCalls([CANCEL]));
    const paused = await send('POST', '/api/v1/chat', { session_id: 'appr-gone', message: 'Cancel order 2' });
    expect(paused.status).toBe(202);
    expect((await send('DELETE', '/api/v1/sessions/appr-gone')).status).toBe(200);
    const calls = fake.requests.length;

    const approved = await decide('appr-gone', String(paused.body.turn_id), {
      call_id: 'call_cancel',
      decision: 'approve',
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'failed' });
    expect(orderStatus(2)).toBe('PENDING');
    expect(fake.requests.length).toBe(calls);
    expect((await send('GET', '/api/v1/sessions/appr-gone/history')).status).toBe(404);
  });

  it('a conversation handed to a person while its request waited: approving runs nothing and the agent stays out', async () => {
    service = await startFullApp(env(), { listen: true });
    fake.script(step.toolCalls([CANCEL]));
    const paused = await send('POST', '/api/v1/chat', {
      session_id: 'appr-handoff',
      message: 'Cancel order 2',
    });
    expect(paused.status).toBe(202);
    // A person takes the conversation over (as the handoff_to_human tool does); the customer's
    // message meanwhile is kept for them.
    await service.runtime.deps.sessions.setAttributes(
      { tenantId: 'default', sessionId: 'appr-handoff' },
      handoffPatch('asks for a person', new Date().toISOString()),
    );
    expect(
      (await send('POST', '/api/v1/chat', { session_id: 'appr-handoff', message: 'A person please' })).status,
    ).toBe(200);
    const calls = fake.requests.length;

    const approved = await decide('appr-handoff', String(paused.body.turn_id), {
      call_id: 'call_cancel',
      decision: 'approve',
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'failed' });
    expect(orderStatus(2)).toBe('PENDING');
    expect(fake.requests.length).toBe(calls);
    const stored = (await history('appr-handoff')).messages;
    expect(stored.map((m) => [m.role, m.content])).toEqual([
      ['user', 'Cancel order 2'],
      ['user', 'A person please'],
    ]);
  });

  it('an Idempotency-Key retry of a paused turn gets the same 202, and after the decision the final reply', async () => {
    service = await startFullApp(env(), { listen: true });
    fake.script(step.toolCalls([CANCEL]));
    const body = { session_id: 'appr-idem', message: 'Cancel order 2' };
    const key = { 'idempotency-key': 'appr-idem-1' };
    const first = await send('POST', '/api/v1/chat', body, key);
    expect(first.status).toBe(202);
    const retry = await send('POST', '/api/v1/chat', body, key);
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({
      turn_id: first.body.turn_id,
      status: 'awaiting_approval',
      pending_approvals: [{ call_id: 'call_cancel' }],
    });
    fake.script(step.text('Cancelled.'));
    const turnId = String(first.body.turn_id);
    expect((await decide('appr-idem', turnId, { call_id: 'call_cancel', decision: 'approve' })).status).toBe(
      200,
    );
    const after = await send('POST', '/api/v1/chat', body, key);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ turn_id: turnId, message: 'Cancelled.', message_count: 2 });
    // Neither retry ran the turn or its tool again.
    expect(fake.requests).toHaveLength(2);
    expect(orderStatus(2)).toBe('CANCELLED');
  });

  it('when the model fails after the approved tool ran, the turn is failed and the history shows the call', async () => {
    service = await startFullApp(env(), { listen: true });
    fake.script(step.toolCalls([CANCEL]));
    const paused = await send('POST', '/api/v1/chat', { session_id: 'appr-fail', message: 'Cancel order 2' });
    const turnId = String(paused.body.turn_id);
    fake.script(step.error(500));
    const approved = await decide('appr-fail', turnId, { call_id: 'call_cancel', decision: 'approve' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      status: 'failed',
      tool_calls: [{ name: 'cancel_order', status: 'ok' }],
    });
    expect(orderStatus(2)).toBe('CANCELLED');
    const stored = (await history('appr-fail')).messages as Array<{ role: string; interrupted?: boolean }>;
    expect(stored.map((m) => [m.role, m.interrupted ?? false])).toEqual([
      ['user', false],
      ['assistant', true],
    ]);
    // The turn is over: its call cannot be decided again.
    expect((await decide('appr-fail', turnId, { call_id: 'call_cancel', decision: 'approve' })).status).toBe(
      409,
    );
  });

  it('with two gated calls in one step, the first decision answers 202 with what is left and the turn waits', async () => {
    service = await startFullApp(env(), { listen: true });
    const confirm = {
      id: 'call_status',
      name: 'update_order_status',
      arguments: { order_id: 3, status: 'PROCESSING' },
    };
    fake.script(
      step.toolCalls([CANCEL, confirm, { id: 'call_get', name: 'get_order', arguments: { order_id: 1 } }]),
    );
    const paused = await send('POST', '/api/v1/chat', {
      session_id: 'appr-two',
      message: 'Cancel 2, progress 3',
    });
    expect(paused.status).toBe(202);
    // The call that needs nobody's approval ran at once.
    expect(paused.body.tool_calls).toMatchObject([{ id: 'call_get', name: 'get_order', status: 'ok' }]);
    const turnId = String(paused.body.turn_id);

    const first = await decide('appr-two', turnId, { call_id: 'call_status', decision: 'decline' });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      status: 'awaiting_approval',
      pending_approvals: [{ call_id: 'call_cancel' }],
    });
    expect(fake.requests).toHaveLength(1);

    fake.script(step.text('Order 2 is cancelled; order 3 stays as it is.'));
    const last = await decide('appr-two', turnId, { call_id: 'call_cancel', decision: 'approve' });
    expect(last.status).toBe(200);
    expect(last.body).toMatchObject({
      status: 'completed',
      message: 'Order 2 is cancelled; order 3 stays as it is.',
    });
    expect(orderStatus(2)).toBe('CANCELLED');
    expect(orderStatus(3)).toBe('CONFIRMED');
    // The model read all three results, in the order it asked for the calls.
    const toolMessages = fake.requests[1]!.body.messages!.filter((m) => m.role === 'tool');
    expect(toolMessages.map((m) => m.tool_call_id)).toEqual(['call_cancel', 'call_status', 'call_get']);
    expect(toolMessages[1]!.content).toContain('declined by an operator');
  });

  it('a call nobody decides within APPROVAL_TTL_MINUTES is declined by the sweep and the turn goes on', async () => {
    let clock = Date.now();
    service = await startFullApp(env({ APPROVAL_TTL_MINUTES: '5' }), { listen: true, now: () => clock });
    fake.script(step.toolCalls([CANCEL]));
    const paused = await send('POST', '/api/v1/chat', { session_id: 'appr-ttl', message: 'Cancel order 2' });
    expect(paused.status).toBe(202);
    const turnId = String(paused.body.turn_id);

    // Not yet expired: the sweep leaves it alone.
    expect((await service.runtime.approvals!.sweep()).declined).toBe(0);
    clock += 5 * 60_000 + 1;
    fake.script((request) => step.text(`Sorry: ${toolResultSeen(request, 'call_cancel')}`));
    const swept = await service.runtime.approvals!.sweep();
    expect(swept.declined).toBe(1);
    await Promise.all(swept.resumed);

    expect(orderStatus(2)).toBe('PENDING');
    const status = await send('GET', `/api/v1/sessions/appr-ttl/turns/${turnId}`);
    expect(status.body).toMatchObject({
      status: 'completed',
      tool_calls: [{ name: 'cancel_order', status: 'error' }],
    });
    expect(String(status.body.message)).toContain('nobody approved this call in time');
    expect((await history('appr-ttl')).messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    // An operator who comes too late is told so, and nothing runs.
    const late = await decide('appr-ttl', turnId, { call_id: 'call_cancel', decision: 'approve' });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({
      error: 'APPROVAL_NOT_PENDING',
      message: expect.stringContaining('expired'),
    });
    expect(orderStatus(2)).toBe('PENDING');
  });
});

describe('expiry on access and durable state', () => {
  it('an expired call is declined when the list is read; the turn goes on and its events can be followed', async () => {
    let clock = Date.now();
    service = await startFullApp(env({ APPROVAL_TTL_MINUTES: '1' }), { listen: true, now: () => clock });
    fake.script(step.toolCalls([CANCEL]));
    const res = await fetch(`${service.baseUrl}/api/v1/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'appr-access', message: 'Cancel order 2' }),
    });
    const turnId = res.headers.get('x-turn-id')!;
    const events = await readEvents(res);
    expect((await send('GET', '/api/v1/approvals')).body).toMatchObject({ count: 1 });

    clock += 60_001;
    fake.script(step.text('Nobody confirmed the cancellation in time, so order 2 stays as it is.'));
    expect((await send('GET', '/api/v1/approvals')).body).toMatchObject({ count: 0, approvals: [] });
    const rest = await readEvents(
      await fetch(`${service.baseUrl}/api/v1/sessions/appr-access/turns/${turnId}/events`, {
        headers: { 'last-event-id': events.at(-1)!.id! },
      }),
    );
    expect(rest[0]!.data).toMatchObject({
      type: 'approval_decided',
      call_id: 'call_cancel',
      decision: 'decline',
    });
    expect(rest.at(-1)!.data.type).toBe('done');
    expect(toolResultSeen(fake.requests[1]!, 'call_cancel')).toContain('nobody approved this call in time');
    expect(orderStatus(2)).toBe('PENDING');
  });

  it('with the sqlite session store a new app on the same files still knows the paused turn and resumes it', async () => {
    const shared = {
      SESSION_STORE: 'sqlite',
      SESSION_DB_PATH: path.join(kept, 'sessions.db'),
      ORDER_DB_PATH: path.join(kept, 'orders.db'),
    };
    const first = await startFullApp(env(shared), { listen: true });
    service = first;
    fake.script(step.toolCalls([CANCEL]));
    const paused = await send('POST', '/api/v1/chat', { session_id: 'appr-file', message: 'Cancel order 2' });
    expect(paused.status).toBe(202);
    const turnId = String(paused.body.turn_id);
    await first.close();

    service = await startFullApp(env(shared), { listen: true });
    const status = await send('GET', `/api/v1/sessions/appr-file/turns/${turnId}`);
    expect(status.body).toMatchObject({
      turn_id: turnId,
      status: 'awaiting_approval',
      pending_approvals: [{ call_id: 'call_cancel' }],
    });
    fake.script(step.text('Cancelled now.'));
    const partial = await decide('appr-file', turnId, { call_id: 'call_cancel', decision: 'approve' });
    expect(partial.body).toMatchObject({ status: 'completed', message: 'Cancelled now.' });
    const db = new Database(shared.ORDER_DB_PATH, { readonly: true });
    const { status: orderState } = db.prepare('SELECT status FROM orders WHERE id = 2').get() as {
      status: string;
    };
    db.close();
    expect(orderState).toBe('CANCELLED');
  });
});

describe('a decided turn nobody resumed', () => {
  it('a process that decided the last call and died before resuming: the sweep resumes the turn once the claim is stale', async () => {
    let clock = Date.now();
    const files = mkdtempSync(path.join(os.tmpdir(), 'approvals-stalled-'));
    const shared = {
      SESSION_STORE: 'sqlite',
      SESSION_DB_PATH: path.join(files, 'sessions.db'),
      TURN_TIMEOUT_MS: '30000',
    };
    try {
      service = await startFullApp(env(shared), { listen: true, now: () => clock });
      fake.script(step.toolCalls([CANCEL]));
      const paused = await send('POST', '/api/v1/chat', {
        session_id: 'appr-stall',
        message: 'Cancel order 2',
      });
      expect(paused.status).toBe(202);
      const turnId = String(paused.body.turn_id);
      const key = { tenantId: 'default', sessionId: 'appr-stall', turnId };

      // The other process on the file: its decision (and its resume claim) is stored, then it dies.
      const other = createSqliteApprovalStore({ path: shared.SESSION_DB_PATH, now: () => clock });
      expect(
        await other.decide(key, 'call_cancel', {
          status: 'approved',
          decidedBy: 'operator:x',
          resumer: 'dead',
        }),
      ).toMatchObject({ outcome: 'decided', remaining: 0 });
      await other.close();

      // Its claim is fresh: the sweep leaves the turn to it, and nothing runs.
      expect((await service.runtime.approvals!.sweep()).resumed).toEqual([]);
      expect(orderStatus(2)).toBe('PENDING');
      // A second decision is told it was approved already (and runs nothing itself).
      const again = await decide('appr-stall', turnId, { call_id: 'call_cancel', decision: 'approve' });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({
        error: 'APPROVAL_NOT_PENDING',
        message: 'This call was already approved; the request goes on with that decision',
      });

      // Past the turn deadline and its margin the claim is stale: the sweep resumes the turn.
      clock += 30_000 + 60_000 + 1;
      fake.script(step.text('Done: order 2 is cancelled.'));
      const swept = await service.runtime.approvals!.sweep();
      expect(swept.resumed).toHaveLength(1);
      await Promise.all(swept.resumed);
      expect(orderStatus(2)).toBe('CANCELLED');
      const status = await send('GET', `/api/v1/sessions/appr-stall/turns/${turnId}`);
      expect(status.body).toMatchObject({
        status: 'completed',
        message: 'Done: order 2 is cancelled.',
        tool_calls: [{ id: 'call_cancel', name: 'cancel_order', status: 'ok' }],
      });
      expect((await history('appr-stall')).messages.map((m) => m.role)).toEqual(['user', 'assistant']);
      // Finished: a later sweep runs it no second time.
      clock += 30_000 + 60_000 + 1;
      expect((await service.runtime.approvals!.sweep()).resumed).toEqual([]);
      expect(fake.requests).toHaveLength(2);
    } finally {
      await service?.close();
      service = undefined;
      rmSync(files, { recursive: true, force: true });
    }
  });
});

describe('a resume that could not run', () => {
  it('refused a place in the session queue: nothing ran, the turn still waits, and the sweep resumes it later', async () => {
    let clock = Date.now();
    service = await startFullApp(env({ TURN_TIMEOUT_MS: '30000' }), { listen: true, now: () => clock });
    fake.script(step.toolCalls([CANCEL]));
    const paused = await send('POST', '/api/v1/chat', { session_id: 'appr-full', message: 'Cancel order 2' });
    const turnId = String(paused.body.turn_id);

    // The session is busy and its queue full.
    const { turnLock } = service.runtime.deps;
    const session = { tenantId: 'default', sessionId: 'appr-full' };
    const held = await turnLock.acquire(session);
    const gaveUp = new AbortController();
    const queued = Array.from({ length: DEFAULT_MAX_WAITING_PER_SESSION }, () =>
      turnLock.acquire(session, { signal: gaveUp.signal }).catch(() => undefined),
    );
    const refused = await decide('appr-full', turnId, { call_id: 'call_cancel', decision: 'approve' });
    // The decision is kept; the request goes on later.
    expect(refused.status).toBe(202);
    expect(refused.body).toMatchObject({ status: 'awaiting_approval', pending_approvals: [] });
    expect(orderStatus(2)).toBe('PENDING');
    expect((await send('GET', `/api/v1/sessions/appr-full/turns/${turnId}`)).body).toMatchObject({
      status: 'awaiting_approval',
    });
    gaveUp.abort();
    await Promise.all(queued);
    await held.release();

    clock += 30_000 + 60_000 + 1;
    fake.script(step.text('Done: order 2 is cancelled.'));
    const swept = await service.runtime.approvals!.sweep();
    expect(swept.resumed).toHaveLength(1);
    await Promise.all(swept.resumed);
    expect(orderStatus(2)).toBe('CANCELLED');
    expect((await send('GET', `/api/v1/sessions/appr-full/turns/${turnId}`)).body).toMatchObject({
      status: 'completed',
      message: 'Done: order 2 is cancelled.',
    });
  });
});

describe('a conversation whose request waits for approval', () => {
  it('takes no new message until the call is decided (409 SESSION_BUSY), then goes on as usual', async () => {
    service = await startFullApp(env(), { listen: true });
    fake.script(step.toolCalls([CANCEL]));
    const paused = await send('POST', '/api/v1/chat', { session_id: 'appr-hold', message: 'Cancel order 2' });
    expect(paused.status).toBe(202);
    const turnId = String(paused.body.turn_id);

    const meanwhile = await send('POST', '/api/v1/chat', { session_id: 'appr-hold', message: 'Hello?' });
    expect(meanwhile.status).toBe(409);
    expect(meanwhile.body).toMatchObject({
      error: 'SESSION_BUSY',
      message: expect.stringContaining('waiting for approval'),
      details: { turn_id: turnId, status: 'awaiting_approval' },
    });
    const stream = await fetch(`${service.baseUrl}/api/v1/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'appr-hold', message: 'Hello?', on_busy: 'interrupt' }),
    });
    expect(stream.status).toBe(409);
    expect(await stream.json()).toMatchObject({ error: 'SESSION_BUSY', details: { turn_id: turnId } });
    // Neither reached the model nor the history; another conversation is not held.
    expect(fake.requests).toHaveLength(1);
    expect((await history('appr-hold')).messages.map((m) => m.content)).toEqual(['Cancel order 2']);
    fake.script(step.text('Hi there.'));
    expect((await send('POST', '/api/v1/chat', { session_id: 'appr-free', message: 'Hi' })).status).toBe(200);

    fake.script(step.text('Done: order 2 is cancelled.'));
    expect((await decide('appr-hold', turnId, { call_id: 'call_cancel', decision: 'approve' })).status).toBe(
      200,
    );
    fake.script(step.text('You are welcome.'));
    const after = await send('POST', '/api/v1/chat', { session_id: 'appr-hold', message: 'Thanks' });
    expect(after.status).toBe(200);
    expect((await history('appr-hold')).messages.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
    ]);
  });
});

describe('who may decide', () => {
  const CLIENT = 'client-key-approvals-1';
  const OPERATOR = 'operator-key-approvals-1';
  const OTHER_OPERATOR = 'operator-key-globex-001';
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });

  it('only an operator of the turn’s tenant decides or lists; unknown calls are 404', async () => {
    service = await startFullApp(
      env({
        API_KEYS: `${CLIENT}:default,${OPERATOR}:default:operator,${OTHER_OPERATOR}:globex:operator`,
      }),
      { listen: true },
    );
    fake.script(step.toolCalls([CANCEL]));
    const paused = await send(
      'POST',
      '/api/v1/chat',
      { session_id: 'appr-roles', message: 'Cancel 2' },
      auth(CLIENT),
    );
    expect(paused.status).toBe(202);
    const turnId = String(paused.body.turn_id);
    // The customer's own client sees its turn waiting.
    const own = await send('GET', `/api/v1/sessions/appr-roles/turns/${turnId}`, undefined, auth(CLIENT));
    expect(own.body).toMatchObject({
      status: 'awaiting_approval',
      pending_approvals: [{ call_id: 'call_cancel' }],
    });

    const byClient = await decide(
      'appr-roles',
      turnId,
      { call_id: 'call_cancel', decision: 'approve' },
      auth(CLIENT),
    );
    expect(byClient.status).toBe(403);
    expect(byClient.body.error).toBe('FORBIDDEN');
    expect((await send('GET', '/api/v1/approvals', undefined, auth(CLIENT))).status).toBe(403);

    const otherTenant = await decide(
      'appr-roles',
      turnId,
      { call_id: 'call_cancel', decision: 'approve' },
      auth(OTHER_OPERATOR),
    );
    expect(otherTenant.status).toBe(404);
    expect((await send('GET', '/api/v1/approvals', undefined, auth(OTHER_OPERATOR))).body).toMatchObject({
      tenant_id: 'globex',
      count: 0,
    });
    const unknown = await decide(
      'appr-roles',
      turnId,
      { call_id: 'call_nope', decision: 'approve' },
      auth(OPERATOR),
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: 'NOT_FOUND', details: { call_id: 'call_nope' } });
    const invalid = await decide(
      'appr-roles',
      turnId,
      { call_id: 'call_cancel', decision: 'maybe' },
      auth(OPERATOR),
    );
    expect(invalid.status).toBe(400);
    expect(orderStatus(2)).toBe('PENDING');

    expect((await send('GET', '/api/v1/approvals', undefined, auth(OPERATOR))).body).toMatchObject({
      count: 1,
    });
    fake.script(step.text('Cancelled.'));
    const ok = await decide(
      'appr-roles',
      turnId,
      { call_id: 'call_cancel', decision: 'approve' },
      auth(OPERATOR),
    );
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('completed');
    expect(orderStatus(2)).toBe('CANCELLED');
  });
});
