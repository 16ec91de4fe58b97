import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAgent } from '../../src/agent/loop.js';
import type { AgentEvent } from '../../src/agent/turn-types.js';
import { ModelError } from '../../src/agent/types.js';
import { createChatService } from '../../src/chat/chat-service.js';
import {
  ClientDisconnectedError,
  INTERRUPT_FAILED_MESSAGE,
  LLM_ERROR_MESSAGE,
  SESSION_BUSY_MESSAGE,
} from '../../src/chat/turn-errors.js';
import { ServiceError } from '../../src/errors.js';
import { fromServiceError } from '../../src/http/errors.js';
import { createMemorySessionStore } from '../../src/sessions/memory-store.js';
import type { SessionStore } from '../../src/sessions/types.js';
import { createToolRegistry, defineTool, type Tool } from '../../src/tools/registry.js';
import { TURN_QUEUE_FULL_MESSAGE } from '../../src/turns/errors.js';
import { createMemoryTurnLock } from '../../src/turns/memory-turn-lock.js';
import { call, createScriptedModel, type ScriptedModel, say } from '../helpers/scripted-model.js';

const silent = pino({ level: 'silent' });
const key = { tenantId: 'tenant-a', sessionId: 'session-1' };
const stores: SessionStore[] = [];

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

function setup(
  script: Parameters<typeof createScriptedModel>[0],
  tools: Tool[] = [],
  turnTimeoutMs = 5_000,
  maxWaitingPerSession?: number,
) {
  const model: ScriptedModel = createScriptedModel(script);
  const registry = createToolRegistry();
  registry.register(...tools);
  const agent = createAgent({
    model,
    tools: registry,
    config: { AGENT_MAX_STEPS: 8, TOOL_TIMEOUT_MS: 2_000, HISTORY_MAX_MESSAGES: 50 },
    logger: silent,
  });
  const sessions = createMemorySessionStore({ ttlMinutes: 60, maxSessions: 100, maxMessages: 1_000 });
  stores.push(sessions);
  const turnLock = createMemoryTurnLock(maxWaitingPerSession === undefined ? {} : { maxWaitingPerSession });
  const chat = createChatService({
    agent,
    sessions,
    turnLock,
    config: { TURN_TIMEOUT_MS: turnTimeoutMs },
    logger: silent,
  });
  return { model, chat, sessions, turnLock };
}

function turn(message: string, signal: AbortSignal = new AbortController().signal) {
  return { ...key, message, requestId: `req-${message}`, signal, logger: silent };
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the turn to fail');
    },
    (e: unknown) => e,
  );
}

const lookup = defineTool({
  name: 'get_order',
  description: 'Get an order',
  parameters: z.object({ order_id: z.number().int() }),
  execute: async ({ order_id }) => ({ order_id, status: 'SHIPPED' }),
});

describe('chat service', () => {
  it('stores the question and the answer and counts the messages', async () => {
    const { chat, sessions, model } = setup(
      [
        [{ text: 'Looking.' }, call('get_order', { order_id: 42 }, 'c1')],
        [
          ...say(' Order 42 has shipped.'),
          { usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } },
        ],
        say('You are welcome.'),
      ],
      [lookup],
    );
    const events: AgentEvent[] = [];
    const first = await chat.runTurn(turn('where is order 42?'), (e) => events.push(e));
    expect(first.answer).toBe('Looking. Order 42 has shipped.');
    expect(first.messageCount).toBe(2);
    expect(first.usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
    expect(first.toolCalls).toHaveLength(1);
    expect(events.map((e) => e.type)).toContain('tool_result');

    const second = await chat.runTurn(turn('thanks'), () => {});
    expect(second.messageCount).toBe(4);
    // The second turn's model call saw the first turn, including its tool call.
    expect(model.requests[2]!.messages.map((m) => m.role)).toEqual([
      'system',
      'user',
      'assistant',
      'tool',
      'assistant',
      'user',
    ]);

    const stored = (await sessions.get(key))!.messages;
    expect(stored.map((m) => [m.role, m.content])).toEqual([
      ['user', 'where is order 42?'],
      ['assistant', 'Looking. Order 42 has shipped.'],
      ['user', 'thanks'],
      ['assistant', 'You are welcome.'],
    ]);
    expect(stored[1]!.tool_calls).toEqual([
      expect.objectContaining({ id: 'c1', name: 'get_order', status: 'ok' }),
    ]);
    expect(stored[1]!.interrupted).toBeUndefined();
    expect(stored[3]!.tool_calls).toBeUndefined();
  });

  it('runs 20 parallel turns on one session one at a time, each answer right after its question', async () => {
    // Answers take a random time, so turns that overlapped would interleave their messages.
    const { chat, sessions } = setup((request) => {
      const question = String(request.messages.at(-1)!.content);
      return [{ waitFor: sleep(Math.floor(Math.random() * 5)) }, ...say(`answer to ${question}`)];
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => chat.runTurn(turn(`question ${i}`), () => {})),
    );

    const stored = (await sessions.get(key))!.messages;
    expect(stored).toHaveLength(40);
    for (let i = 0; i < 20; i++) {
      expect(stored[2 * i]).toMatchObject({ role: 'user', content: `question ${i}` });
      expect(stored[2 * i + 1]).toMatchObject({ role: 'assistant', content: `answer to question ${i}` });
    }
    expect(results.map((r) => r.messageCount)).toEqual(Array.from({ length: 20 }, (_, i) => 2 * (i + 1)));
  });

  it('stores an interrupted turn with its tool records and partial answer after a provider failure', async () => {
    const { chat, sessions } = setup(
      [
        [{ text: 'Checking order 42.' }, call('get_order', { order_id: 42 }, 'c1')],
        [
          { text: 'Your order' },
          { throw: new ModelError('provider', 'The language model provider failed (HTTP 500)') },
        ],
      ],
      [lookup],
    );
    const error = await failureOf(chat.runTurn(turn('where is order 42?'), () => {}));
    expect(error).toBeInstanceOf(ServiceError);
    expect(fromServiceError(error as ServiceError)).toMatchObject({
      code: 'LLM_ERROR',
      statusCode: 502,
      message: LLM_ERROR_MESSAGE,
    });

    const stored = (await sessions.get(key))!.messages;
    expect(stored).toHaveLength(2);
    expect(stored[0]).toMatchObject({ role: 'user', content: 'where is order 42?' });
    expect(stored[1]).toMatchObject({
      role: 'assistant',
      content: 'Checking order 42.\n\nYour order',
      interrupted: true,
      tool_calls: [expect.objectContaining({ id: 'c1', name: 'get_order', status: 'ok' })],
    });
  });

  it('stores the tool records when the client disconnects after a tool ran', async () => {
    const client = new AbortController();
    const { chat, sessions } = setup(
      [[call('get_order', { order_id: 42 }, 'c1')], [{ hang: true }]],
      [lookup],
    );
    const error = await failureOf(
      chat.runTurn(turn('order 42', client.signal), (e) => {
        if (e.type === 'tool_result') setImmediate(() => client.abort());
      }),
    );
    expect(error).toBeInstanceOf(ClientDisconnectedError);
    const stored = (await sessions.get(key))!.messages;
    expect(stored[1]).toMatchObject({ role: 'assistant', content: '', interrupted: true });
    expect(stored[1]!.tool_calls).toHaveLength(1);
  });

  it('stores nothing when the turn fails before anything happened', async () => {
    const { chat, sessions } = setup([
      [{ throw: new ModelError('provider', 'The language model provider failed') }],
    ]);
    const error = await failureOf(chat.runTurn(turn('hello'), () => {}));
    expect(fromServiceError(error as ServiceError)).toMatchObject({ code: 'LLM_ERROR', statusCode: 502 });
    expect(await sessions.get(key)).toBeUndefined();
  });

  it('ends a turn that exceeds the deadline with TIMEOUT', async () => {
    const { chat, sessions, model } = setup([[{ hang: true }]], [], 100);
    const error = await failureOf(chat.runTurn(turn('hello'), () => {}));
    expect(fromServiceError(error as ServiceError)).toMatchObject({ code: 'TIMEOUT', statusCode: 504 });
    expect(model.requests[0]!.signal.aborted).toBe(true);
    expect(await sessions.get(key)).toBeUndefined();
  });

  it.each([
    ['unavailable', 'AGENT_UNAVAILABLE', 503],
    ['timeout', 'TIMEOUT', 504],
    ['provider', 'LLM_ERROR', 502],
  ] as const)('maps a model failure of kind %s to %s', async (kind, code, status) => {
    const { chat } = setup([[{ throw: new ModelError(kind, 'model failure for the test') }]]);
    const error = await failureOf(chat.runTurn(turn('hello'), () => {}));
    expect(fromServiceError(error as ServiceError)).toMatchObject({ code, statusCode: status });
    // The client never sees the model's own message.
    expect((error as Error).message).not.toContain('model failure for the test');
  });

  it('gives up a queued turn at once when its client leaves, and never runs it', async () => {
    let releaseFirst!: () => void;
    const firstMayFinish = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const { chat, sessions, model } = setup([
      [{ waitFor: firstMayFinish }, ...say('first answer')],
      say('third answer'),
    ]);
    const first = chat.runTurn(turn('first'), () => {});
    const client = new AbortController();
    const second = chat.runTurn(turn('second', client.signal), () => {});
    client.abort();
    expect(await failureOf(second)).toBeInstanceOf(ClientDisconnectedError);
    // Turns run in arrival order, so once a later turn has run, the abandoned one would have run before it.
    const third = chat.runTurn(turn('third'), () => {});
    releaseFirst();
    await first;
    await third;
    expect(model.requests).toHaveLength(2);
    expect(model.requests[1]!.messages.map((m) => m.content)).not.toContain('second');
    expect((await sessions.get(key))!.messages.map((m) => m.content)).toEqual([
      'first',
      'first answer',
      'third',
      'third answer',
    ]);
  });

  it('passes unexpected failures through unchanged', async () => {
    const { chat } = setup([[{ throw: new TypeError('bug') }]]);
    const error = await failureOf(chat.runTurn(turn('hello'), () => {}));
    expect(error).toBeInstanceOf(TypeError);
  });
});

describe('chat service: on_busy', () => {
  const lastUser = (request: { messages: Array<{ role: string; content: string | null }> }) =>
    request.messages.findLast((m) => m.role === 'user')?.content;

  it('interrupt asks for the running turn by its id, then runs once it has stopped', async () => {
    const { chat, sessions } = setup((request) =>
      lastUser(request) === 'first' ? [{ text: 'Partial' }, { hang: true }] : say('Second answer.'),
    );
    const firstClient = new AbortController();
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const first = chat.runTurn({ ...turn('first', firstClient.signal), turnId: 'turn-1' }, started);
    first.catch(() => undefined);
    await running;
    const asked: string[] = [];
    const second = await chat.runTurn(
      {
        ...turn('second'),
        turnId: 'turn-2',
        onBusy: 'interrupt',
        interrupt: async (turnId) => {
          asked.push(turnId);
          firstClient.abort(new Error('interrupted'));
        },
      },
      () => {},
    );
    expect(asked).toEqual(['turn-1']);
    expect(second.messageCount).toBe(4);
    expect((await sessions.get(key))!.messages.map((m) => [m.content, m.interrupted ?? false])).toEqual([
      ['first', false],
      ['Partial', true],
      ['second', false],
      ['Second answer.', false],
    ]);
  });

  it('interrupt refused a place in a full queue stops nothing: the running turn completes', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { chat, sessions, model } = setup(
      (request) =>
        lastUser(request) === 'first' ? [{ waitFor: gate }, { text: 'First answer.' }] : say('Second.'),
      [],
      5_000,
      0,
    );
    const first = chat.runTurn({ ...turn('first'), turnId: 'turn-1' }, () => {});
    await expect.poll(() => model.requests.length).toBe(1);
    const asked: string[] = [];
    const refused = await failureOf(
      chat.runTurn(
        {
          ...turn('second'),
          turnId: 'turn-2',
          onBusy: 'interrupt',
          interrupt: async (turnId) => {
            asked.push(turnId);
          },
        },
        () => {},
      ),
    );
    expect(refused).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', message: TURN_QUEUE_FULL_MESSAGE });
    expect(asked).toEqual([]);
    release();
    expect((await first).answer).toBe('First answer.');
    expect((await sessions.get(key))!.messages.map((m) => m.content)).toEqual(['first', 'First answer.']);
  });

  it('reject refuses with SESSION_BUSY while a session delete (an unnamed holder) has the session; interrupt waits for it', async () => {
    const { chat, sessions, turnLock } = setup(() => say('Hello.'));
    const deleting = await turnLock.acquire(key);
    const refused = await failureOf(
      chat.runTurn({ ...turn('hi'), turnId: 't-1', onBusy: 'reject' }, () => {}),
    );
    expect(refused).toMatchObject({ code: 'SESSION_BUSY', message: SESSION_BUSY_MESSAGE });
    expect(fromServiceError(refused as ServiceError).statusCode).toBe(409);
    const asked: string[] = [];
    const waiting = chat.runTurn(
      {
        ...turn('hello'),
        turnId: 't-2',
        onBusy: 'interrupt',
        interrupt: async (id) => {
          asked.push(id);
        },
      },
      () => {},
    );
    await expect.poll(() => turnLock.waitingOn(key)).toBe(1);
    expect(await sessions.get(key)).toBeUndefined();
    await deleting.release();
    expect((await waiting).messageCount).toBe(2);
    expect(asked).toEqual([]);
  });

  it('interrupt that cannot reach the running turn answers AGENT_UNAVAILABLE and gives its queue place back', async () => {
    const { chat, sessions, turnLock, model } = setup((request) =>
      lastUser(request) === 'first' ? [{ hang: true }] : say('Third answer.'),
    );
    const firstClient = new AbortController();
    const first = chat.runTurn({ ...turn('first', firstClient.signal), turnId: 'turn-1' }, () => {});
    first.catch(() => undefined);
    await expect.poll(() => model.requests.length).toBe(1);
    const error = await failureOf(
      chat.runTurn(
        {
          ...turn('second'),
          turnId: 'turn-2',
          onBusy: 'interrupt',
          interrupt: async () => {
            throw new Error('cancel channel down');
          },
        },
        () => {},
      ),
    );
    expect(error).toMatchObject({ code: 'AGENT_UNAVAILABLE', message: INTERRUPT_FAILED_MESSAGE });
    expect(turnLock.waitingOn(key)).toBe(0);
    firstClient.abort(new Error('gone'));
    await first.catch(() => undefined);
    const third = await chat.runTurn(turn('third'), () => {});
    expect(third.messageCount).toBe(2);
    expect((await sessions.get(key))!.messages.map((m) => m.content)).toEqual(['third', 'Third answer.']);
  });
});
