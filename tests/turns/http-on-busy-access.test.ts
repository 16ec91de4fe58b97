import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ModelMessage } from '../../src/agent/types.js';
import { type FullApp, startFullApp } from '../helpers/full-app.js';
import { createScriptedModel, type ScriptStep, say } from '../helpers/scripted-model.js';
import { openEvents } from '../helpers/sse-client.js';

/** One step per model call of each customer message's turn, keyed by the message. */
const plans = new Map<string, ScriptStep[]>();
const lastUser = (messages: ModelMessage[]) => messages.findLast((m) => m.role === 'user')?.content ?? '';
const model = createScriptedModel(
  (request) => plans.get(lastUser(request.messages))?.shift() ?? [{ throw: new Error('no scripted step') }],
);

const SERVICE = 'service-key-on-busy-0001';
const CLIENT = 'client-key-on-busy-00001';
let full: FullApp;

beforeAll(async () => {
  full = await startFullApp(
    { TURN_TIMEOUT_MS: '20000', API_KEYS: `${SERVICE}:default:service,${CLIENT}:default` },
    { model, listen: true },
  );
}, 30_000);

afterAll(async () => {
  await full?.close();
});

const post = (path: string, key: string, body: unknown) =>
  fetch(`${full.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
const alice = { email: 'alice@example.com' };

it("a caller who may not use a customer's session can neither interrupt its turn nor learn that it is busy", async () => {
  plans.set('hello', [say('Hi Alice')]);
  const opened = await post('/api/v1/chat', SERVICE, {
    session_id: 's-alice',
    message: 'hello',
    customer: alice,
  });
  expect(opened.status).toBe(200);

  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  plans.set('Where is my order?', [[...say('Your order '), { waitFor: released }, ...say('ships today.')]]);
  const running = await post('/api/v1/chat/stream', SERVICE, {
    session_id: 's-alice',
    message: 'Where is my order?',
    customer: alice,
  });
  const turnId = running.headers.get('x-turn-id');
  const events = openEvents(running);
  await events.first();

  for (const on_busy of ['interrupt', 'reject']) {
    const other = await post('/api/v1/chat', CLIENT, { session_id: 's-alice', message: 'stop it', on_busy });
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: string }).error).toBe('FORBIDDEN');
  }

  release();
  const rest = await events.rest();
  expect(rest.at(-1)?.data).toMatchObject({ type: 'done', turn_id: turnId });
  const status = await fetch(`${full.baseUrl}/api/v1/sessions/s-alice/turns/${turnId}`, {
    headers: { authorization: `Bearer ${SERVICE}` },
  });
  expect(((await status.json()) as { status: string }).status).toBe('completed');
});
