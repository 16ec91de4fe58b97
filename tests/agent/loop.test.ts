import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { historyToModelMessages } from '../../src/agent/history-window.js';
import { AGENT_INSTRUCTIONS } from '../../src/agent/instructions.js';
import { type AgentConfig, createAgent, EMPTY_ANSWER, STEP_LIMIT_ANSWER } from '../../src/agent/loop.js';
import { type AgentEvent, type TurnInput, TurnInterruptedError } from '../../src/agent/turn-types.js';
import { ModelError, type ModelMessage } from '../../src/agent/types.js';
import type { StoredMessage } from '../../src/sessions/types.js';
import { createToolRegistry, defineTool, type Tool, ToolError } from '../../src/tools/registry.js';
import { call, createScriptedModel, type ScriptStep, say } from '../helpers/scripted-model.js';

const silent = pino({ level: 'silent' });
const baseConfig: AgentConfig = { AGENT_MAX_STEPS: 8, TOOL_TIMEOUT_MS: 2_000, HISTORY_MAX_MESSAGES: 50 };

function setup(script: readonly ScriptStep[], tools: Tool[] = [], config: Partial<AgentConfig> = {}) {
  const model = createScriptedModel(script);
  const registry = createToolRegistry();
  registry.register(...tools);
  const agent = createAgent({ model, tools: registry, config: { ...baseConfig, ...config }, logger: silent });
  return { model, agent, registry };
}

function input(message: string, overrides: Partial<TurnInput> & { signal?: AbortSignal } = {}): TurnInput {
  return {
    history: overrides.history ?? [],
    message,
    ctx: {
      tenantId: 'tenant-a',
      sessionId: 'session-1',
      requestId: 'req-1',
      signal: overrides.signal ?? new AbortController().signal,
      logger: overrides.ctx?.logger ?? silent,
    },
  };
}

function collector() {
  const events: AgentEvent[] = [];
  return {
    events,
    onEvent: (event: AgentEvent) => events.push(event),
    tokens: () =>
      events
        .filter((e) => e.type === 'token')
        .map((e) => e.content)
        .join(''),
  };
}

const orders: Record<number, { order_id: number; status: string; customer_name: string }> = {
  42: { order_id: 42, status: 'SHIPPED', customer_name: 'Jane Doe' },
  7: { order_id: 7, status: 'PENDING', customer_name: 'John Roe' },
};

const getOrder = defineTool({
  name: 'get_order',
  description: 'Get one order',
  parameters: z.object({ order_id: z.number().int().positive() }),
  async execute({ order_id }) {
    const order = orders[order_id];
    if (!order) throw new ToolError(`Order ${order_id} not found`, { order_id });
    return order;
  },
});

const toolMessages = (messages: ModelMessage[]) =>
  messages.filter((m): m is Extract<ModelMessage, { role: 'tool' }> => m.role === 'tool');

describe('agent loop', () => {
  it('streams a plain answer as tokens and sends the instructions, history and message to the model', async () => {
    const { model, agent } = setup([[...say('Hello, how can I help?'), { usage: usage(10, 5) }]]);
    const c = collector();
    const result = await agent.runTurn(input('Hi'), c.onEvent);

    expect(result.answer).toBe('Hello, how can I help?');
    expect(c.tokens()).toBe(result.answer);
    expect(c.events.length).toBeGreaterThan(1);
    expect(result.steps).toBe(1);
    expect(result.toolCalls).toEqual([]);
    expect(result.usage).toEqual(usage(10, 5));
    const sent = model.requests[0]!.messages;
    expect(sent[0]).toEqual({ role: 'system', content: AGENT_INSTRUCTIONS });
    expect(sent.at(-1)).toEqual({ role: 'user', content: 'Hi' });
  });

  it('runs sequential tool calls, feeds results back, and records them', async () => {
    const { model, agent } = setup(
      [
        [{ text: 'Let me check.' }, call('get_order', { order_id: 42 }, 'c1'), { usage: usage(20, 3) }],
        [call('get_order', { order_id: 7 }, 'c2'), { usage: usage(30, 4) }],
        [...say('Order 42 has shipped and order 7 is pending.'), { usage: usage(40, 12) }],
      ],
      [getOrder],
    );
    const c = collector();
    const result = await agent.runTurn(input('What about orders 42 and 7?'), c.onEvent);

    expect(result.steps).toBe(3);
    expect(result.answer).toBe('Let me check.\n\nOrder 42 has shipped and order 7 is pending.');
    expect(c.tokens()).toBe(result.answer);
    expect(result.usage).toEqual({ prompt_tokens: 90, completion_tokens: 19, total_tokens: 109 });
    expect(result.toolCalls.map((t) => [t.id, t.name, t.arguments, t.status])).toEqual([
      ['c1', 'get_order', { order_id: 42 }, 'ok'],
      ['c2', 'get_order', { order_id: 7 }, 'ok'],
    ]);
    expect(JSON.parse(result.toolCalls[0]!.result!)).toEqual(orders[42]);
    for (const record of result.toolCalls) expect(record.duration_ms).toBeGreaterThanOrEqual(0);

    // The second model call saw the first call and its result.
    const second = model.requests[1]!.messages;
    expect(second.at(-2)).toMatchObject({
      role: 'assistant',
      content: 'Let me check.',
      toolCalls: [{ id: 'c1', name: 'get_order' }],
    });
    expect(second.at(-1)).toEqual({ role: 'tool', toolCallId: 'c1', content: JSON.stringify(orders[42]) });
    expect(toolMessages(model.requests[2]!.messages).map((m) => m.toolCallId)).toEqual(['c1', 'c2']);

    const kinds = c.events.filter((e) => e.type !== 'token').map((e) => `${e.type}:${e.id}`);
    expect(kinds).toEqual(['tool_call:c1', 'tool_result:c1', 'tool_call:c2', 'tool_result:c2']);
    expect(c.events.find((e) => e.type === 'tool_call')).toEqual({
      type: 'tool_call',
      id: 'c1',
      name: 'get_order',
      arguments: { order_id: 42 },
    });
  });

  it('runs the calls of one step concurrently', async () => {
    // Each tool waits for the other to start: run one after the other, the first would time out.
    const arrivals = { a: deferred(), b: deferred() };
    const rendezvous = (me: 'a' | 'b', other: 'a' | 'b') =>
      defineTool({
        name: `tool_${me}`,
        description: `tool ${me}`,
        parameters: z.object({}),
        async execute() {
          arrivals[me].resolve();
          await arrivals[other].promise;
          return { tool: me };
        },
      });
    const { agent } = setup(
      [[call('tool_a', {}, 'a1'), call('tool_b', {}, 'b1')], say('Both done.')],
      [rendezvous('a', 'b'), rendezvous('b', 'a')],
      { TOOL_TIMEOUT_MS: 3_000 },
    );
    const result = await agent.runTurn(input('do both'), () => {});
    expect(result.toolCalls.map((t) => [t.name, t.status])).toEqual([
      ['tool_a', 'ok'],
      ['tool_b', 'ok'],
    ]);
    expect(result.answer).toBe('Both done.');
  });

  it('answers with an error result for invalid arguments without running the tool', async () => {
    let executed = 0;
    const counted = defineTool({
      name: 'get_order',
      description: 'Get one order',
      parameters: z.object({ order_id: z.number().int().positive() }),
      async execute() {
        executed++;
        return {};
      },
    });
    const { model, agent } = setup(
      [
        [call('get_order', { order_id: 'forty-two' }, 'bad1'), call('get_order', '{"order_id": 4', 'bad2')],
        say('Please give me a numeric order id.'),
      ],
      [counted],
    );
    const c = collector();
    const result = await agent.runTurn(input('order forty-two'), c.onEvent);

    expect(executed).toBe(0);
    expect(result.answer).toBe('Please give me a numeric order id.');
    const [schemaError, jsonError] = toolMessages(model.requests[1]!.messages).map((m) =>
      JSON.parse(m.content),
    );
    expect(schemaError.error).toContain('Invalid arguments for get_order');
    expect(schemaError.issues.join(' ')).toContain('order_id');
    expect(jsonError.error).toContain('not valid JSON');
    expect(result.toolCalls.map((t) => t.status)).toEqual(['error', 'error']);
    // Unparseable arguments are reported as the raw text the model produced.
    expect(c.events.filter((e) => e.type === 'tool_call').map((e) => e.arguments)).toEqual([
      { order_id: 'forty-two' },
      '{"order_id": 4',
    ]);
    expect(c.events.filter((e) => e.type === 'tool_result').map((e) => e.status)).toEqual(['error', 'error']);
  });

  it('tells the model which tools exist when it calls an unknown one', async () => {
    const { model, agent } = setup(
      [[call('delete_everything', {}, 'x1')], say('I cannot do that.')],
      [getOrder],
    );
    const result = await agent.runTurn(input('delete everything'), () => {});
    const [message] = toolMessages(model.requests[1]!.messages);
    const body = JSON.parse(message!.content);
    expect(body.error).toContain('Unknown tool "delete_everything"');
    expect(body.error).toContain('get_order');
    expect(result.answer).toBe('I cannot do that.');
    expect(result.toolCalls[0]).toMatchObject({ name: 'delete_everything', status: 'error' });
  });

  it('turns a ToolError into a readable result and hides the internals of other failures', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const crashing = defineTool({
      name: 'crashing_tool',
      description: 'fails badly',
      parameters: z.object({}),
      async execute() {
        throw new Error('connection to db-internal.example:5432 refused');
      },
    });
    const { model, agent } = setup(
      [
        [call('get_order', { order_id: 99 }, 'nf'), call('crashing_tool', {}, 'cr')],
        say('Sorry about that.'),
      ],
      [getOrder, crashing],
    );
    const turn = input('order 99');
    // In the service the turn's logger is the request's, which already carries the request id.
    turn.ctx.logger = logger.child({ request_id: 'req-crash' });
    turn.ctx.requestId = 'req-crash';
    const result = await agent.runTurn(turn, () => {});

    const [notFound, crashed] = toolMessages(model.requests[1]!.messages).map((m) => JSON.parse(m.content));
    expect(notFound).toEqual({ error: 'Order 99 not found', order_id: 99 });
    expect(crashed.error).toContain('internal error');
    expect(JSON.stringify(crashed)).not.toContain('db-internal');
    expect(result.answer).toBe('Sorry about that.');
    const errorLine = lines.find((l) => l.level === 50);
    expect(errorLine).toMatchObject({ request_id: 'req-crash', tool: 'crashing_tool' });
  });

  it('gives a timed-out tool an error result and aborts its signal', async () => {
    let sawAbort = false;
    const slow = defineTool({
      name: 'slow_tool',
      description: 'never finishes on its own',
      parameters: z.object({}),
      execute: (_args, ctx) =>
        new Promise((_, reject) => {
          ctx.signal.addEventListener('abort', () => {
            sawAbort = true;
            reject(new Error('aborted'));
          });
        }),
    });
    const { model, agent } = setup([[call('slow_tool', {}, 's1')], say('The lookup timed out.')], [slow], {
      TOOL_TIMEOUT_MS: 50,
    });
    const result = await agent.runTurn(input('go'), () => {});
    const [message] = toolMessages(model.requests[1]!.messages);
    expect(JSON.parse(message!.content).error).toContain('timed out after 50 ms');
    expect(sawAbort).toBe(true);
    expect(result.toolCalls[0]!.status).toBe('error');
    expect(result.answer).toBe('The lookup timed out.');
  });

  it("stops at the step limit with a fixed answer, without running the last step's calls", async () => {
    let runs = 0;
    const counter = defineTool({
      name: 'count',
      description: 'counts',
      parameters: z.object({}),
      async execute() {
        runs++;
        return { runs };
      },
    });
    const loopForever: ScriptStep = () => [call('count', {}), { usage: usage(5, 1) }];
    const { model, agent } = setup([loopForever, loopForever, loopForever, loopForever], [counter], {
      AGENT_MAX_STEPS: 3,
    });
    const c = collector();
    const result = await agent.runTurn(input('loop'), c.onEvent);

    expect(model.requests).toHaveLength(3);
    expect(result.steps).toBe(3);
    expect(runs).toBe(2);
    expect(result.toolCalls).toHaveLength(2);
    expect(result.answer).toBe(STEP_LIMIT_ANSWER);
    expect(c.tokens()).toBe(STEP_LIMIT_ANSWER);
    expect(result.usage).toEqual({ prompt_tokens: 15, completion_tokens: 3, total_tokens: 18 });
  });

  it('answers something when the model ends the turn silently', async () => {
    const { agent } = setup([[]]);
    const c = collector();
    const result = await agent.runTurn(input('...'), c.onEvent);
    expect(result.answer).toBe(EMPTY_ANSWER);
    expect(c.tokens()).toBe(EMPTY_ANSWER);
  });

  it('sends only the last HISTORY_MAX_MESSAGES stored messages and replays their tool calls', async () => {
    const history: StoredMessage[] = [
      { role: 'user', content: 'old question', timestamp: 't0' },
      { role: 'assistant', content: 'old answer', timestamp: 't1' },
      { role: 'user', content: 'show order 42', timestamp: 't2' },
      {
        role: 'assistant',
        content: 'Order 42 has shipped.',
        timestamp: 't3',
        tool_calls: [
          {
            id: 'prev1',
            name: 'get_order',
            arguments: { order_id: 42 },
            status: 'ok',
            duration_ms: 3,
            result: '{"order_id":42,"status":"SHIPPED"}',
          },
        ],
      },
      { role: 'user', content: 'thanks', timestamp: 't4' },
      { role: 'assistant', content: 'You are welcome.', timestamp: 't5' },
    ];
    const { model, agent } = setup([say('It is order 42.')], [], { HISTORY_MAX_MESSAGES: 4 });
    await agent.runTurn(input('which order was it?', { history }), () => {});

    expect(model.requests[0]!.messages).toEqual([
      { role: 'system', content: AGENT_INSTRUCTIONS },
      { role: 'user', content: 'show order 42' },
      {
        role: 'assistant',
        content: null,
        toolCalls: [{ id: 'prev1', name: 'get_order', arguments: '{"order_id":42}' }],
      },
      { role: 'tool', toolCallId: 'prev1', content: '{"order_id":42,"status":"SHIPPED"}' },
      { role: 'assistant', content: 'Order 42 has shipped.' },
      { role: 'user', content: 'thanks' },
      { role: 'assistant', content: 'You are welcome.' },
      { role: 'user', content: 'which order was it?' },
    ]);
  });

  it('keeps tool-call ids unique over the whole turn and its replay when a provider reuses them per step', async () => {
    // Some OpenAI-compatible servers number the calls of every response from call_0.
    const { model, agent } = setup(
      [
        [call('get_order', { order_id: 42 }, 'call_0')],
        [call('get_order', { order_id: 7 }, 'call_0'), call('get_order', { order_id: 42 }, 'call_0_2')],
        say('Order 42 has shipped and order 7 is pending.'),
        [call('get_order', { order_id: 7 }, 'call_0')],
        say('Still pending.'),
      ],
      [getOrder],
    );
    const c = collector();
    const first = await agent.runTurn(input('orders 42 and 7?'), c.onEvent);

    const ids = ['call_0', 'call_0_2', 'call_0_2_2'];
    expect(first.toolCalls.map((t) => [t.id, (t.arguments as { order_id: number }).order_id])).toEqual([
      [ids[0], 42],
      [ids[1], 7],
      [ids[2], 42],
    ]);
    expect(c.events.filter((e) => e.type === 'tool_result').map((e) => e.id)).toEqual(ids);
    // Within the turn, each result answers the renamed call.
    const third = model.requests[2]!.messages;
    expect(toolMessages(third).map((m) => [m.toolCallId, JSON.parse(m.content).order_id])).toEqual([
      [ids[0], 42],
      [ids[1], 7],
      [ids[2], 42],
    ]);

    // The next turn replays the stored calls as one assistant message: no id may repeat in it.
    const history: StoredMessage[] = [
      { role: 'user', content: 'orders 42 and 7?', timestamp: 't0' },
      { role: 'assistant', content: first.answer, timestamp: 't1', tool_calls: first.toolCalls },
    ];
    const second = await agent.runTurn(input('and now?', { history }), () => {});
    const replay = model.requests[3]!.messages;
    const replayed = replay.find((m) => m.role === 'assistant' && m.toolCalls);
    expect(replayed?.role === 'assistant' && replayed.toolCalls?.map((t) => t.id)).toEqual(ids);
    expect(toolMessages(replay).map((m) => [m.toolCallId, JSON.parse(m.content).order_id])).toEqual([
      [ids[0], 42],
      [ids[1], 7],
      [ids[2], 42],
    ]);
    // A new call of the next turn does not take an id the replayed history already uses.
    expect(second.toolCalls.map((t) => t.id)).toEqual(['call_0_3']);
  });

  it('renames repeated ids in stored history consistently for the call and its result', async () => {
    const record = (orderId: number) => ({
      id: 'call_0',
      name: 'get_order',
      arguments: { order_id: orderId },
      status: 'ok' as const,
      duration_ms: 1,
      result: JSON.stringify(orders[orderId]),
    });
    const history: StoredMessage[] = [
      { role: 'user', content: 'orders 42 and 7?', timestamp: 't0' },
      { role: 'assistant', content: 'Both found.', timestamp: 't1', tool_calls: [record(42), record(7)] },
    ];
    const { model, agent } = setup([say('ok')]);
    await agent.runTurn(input('thanks', { history }), () => {});
    const sent = model.requests[0]!.messages;
    expect(sent.slice(1, 5)).toEqual([
      { role: 'user', content: 'orders 42 and 7?' },
      {
        role: 'assistant',
        content: null,
        toolCalls: [
          { id: 'call_0', name: 'get_order', arguments: '{"order_id":42}' },
          { id: 'call_0_2', name: 'get_order', arguments: '{"order_id":7}' },
        ],
      },
      { role: 'tool', toolCallId: 'call_0', content: JSON.stringify(orders[42]) },
      { role: 'tool', toolCallId: 'call_0_2', content: JSON.stringify(orders[7]) },
    ]);
  });

  it('renames a repeated id in a later window even when that message was replayed before', () => {
    const stored = (content: string, orderId: number): StoredMessage => ({
      role: 'assistant',
      content,
      timestamp: 't',
      tool_calls: [
        {
          id: 'call_0',
          name: 'get_order',
          arguments: { order_id: orderId },
          status: 'ok',
          duration_ms: 1,
          result: '{}',
        },
      ],
    });
    const earlier = stored('Order 7 shipped.', 7);
    const later = stored('Order 42 shipped.', 42);
    const ids = (messages: ModelMessage[]) =>
      messages.flatMap((m) => (m.role === 'assistant' ? (m.toolCalls ?? []).map((c) => c.id) : []));
    // The same stored objects, first alone, then behind an earlier message with the same call id.
    expect(ids(historyToModelMessages([later], 50))).toEqual(['call_0']);
    expect(ids(historyToModelMessages([earlier, later], 50))).toEqual(['call_0', 'call_0_2']);
    expect(ids(historyToModelMessages([later], 50))).toEqual(['call_0']);
    const again = historyToModelMessages([earlier, later], 50);
    expect(again.filter((m) => m.role === 'tool').map((m) => m.toolCallId)).toEqual(['call_0', 'call_0_2']);
  });

  it('sends no history when HISTORY_MAX_MESSAGES is 0', async () => {
    const history: StoredMessage[] = [{ role: 'user', content: 'earlier', timestamp: 't0' }];
    const { model, agent } = setup([say('ok')], [], { HISTORY_MAX_MESSAGES: 0 });
    await agent.runTurn(input('now', { history }), () => {});
    expect(model.requests[0]!.messages.map((m) => m.role)).toEqual(['system', 'user']);
  });

  it('keeps the tool list of the turn fixed even when a provider changes it mid-turn', async () => {
    let dynamic: Tool[] = [];
    const { model, agent, registry } = setup(
      [[call('get_order', { order_id: 42 })], say('done')],
      [getOrder],
    );
    registry.addProvider(() => dynamic);
    const appearing = defineTool({
      name: 'create_complaint',
      description: 'file a complaint',
      parameters: z.object({}),
      execute: async () => ({}),
    });
    const turn = agent.runTurn(input('order 42'), (e) => {
      if (e.type === 'tool_call') dynamic = [appearing];
    });
    await turn;
    expect(model.requests.map((r) => r.tools.map((t) => t.name))).toEqual([['get_order'], ['get_order']]);
    expect(agent.toolCount()).toBe(2);
  });

  it('truncates very large tool results', async () => {
    const huge = defineTool({
      name: 'huge',
      description: 'returns a lot',
      parameters: z.object({}),
      execute: async () => ({ data: 'x'.repeat(100_000) }),
    });
    const { model, agent } = setup([[call('huge', {})], say('ok')], [huge]);
    const result = await agent.runTurn(input('go'), () => {});
    const [message] = toolMessages(model.requests[1]!.messages);
    expect(message!.content.length).toBeLessThan(17_000);
    expect(message!.content).toContain('[truncated');
    expect(result.toolCalls[0]!.result).toBe(message!.content);
  });
});

describe('agent loop interruptions', () => {
  it('stops running tools at once when the turn is aborted and reports what had happened', async () => {
    const controller = new AbortController();
    let toolSawAbort = false;
    const waiting = defineTool({
      name: 'wait_for_abort',
      description: 'waits',
      parameters: z.object({}),
      execute: (_args, ctx) =>
        new Promise(() => {
          ctx.signal.addEventListener('abort', () => {
            toolSawAbort = true;
          });
          // The client leaves a moment later, after the quick lookup has finished.
          setImmediate(() => controller.abort(new Error('client went away')));
        }),
    });
    const { model, agent } = setup(
      [
        [
          { text: 'Working on it.' },
          call('get_order', { order_id: 42 }, 'g1'),
          call('wait_for_abort', {}, 'w1'),
        ],
      ],
      [getOrder, waiting],
      { TOOL_TIMEOUT_MS: 10_000 },
    );
    const error = await agent
      .runTurn(input('go', { signal: controller.signal }), () => {})
      .then(
        () => undefined,
        (e: unknown) => e,
      );

    expect(error).toBeInstanceOf(TurnInterruptedError);
    const interrupted = error as TurnInterruptedError;
    expect((interrupted.cause as Error).message).toBe('client went away');
    expect(toolSawAbort).toBe(true);
    expect(interrupted.partial.answer).toBe('Working on it.');
    expect(interrupted.partial.toolCalls.map((t) => [t.name, t.status])).toEqual([
      ['get_order', 'ok'],
      ['wait_for_abort', 'error'],
    ]);
    expect(interrupted.partial.toolCalls[1]!.result).toContain('interrupted');
    expect(model.requests).toHaveLength(1);
  });

  it('stops at once when aborted while the model ignores its signal', async () => {
    const controller = new AbortController();
    const { agent } = setup([[{ text: 'Part' }, { hangIgnoringAbort: true }]]);
    const turn = agent.runTurn(input('go', { signal: controller.signal }), (e) => {
      if (e.type === 'token') controller.abort(new Error('stop'));
    });
    const error = await turn.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TurnInterruptedError);
    expect((error as TurnInterruptedError).partial.answer).toBe('Part');
  });

  it('passes the abort to the model call', async () => {
    const controller = new AbortController();
    const { model, agent } = setup([[{ hang: true }]]);
    const turn = agent.runTurn(input('go', { signal: controller.signal }), () => {});
    setImmediate(() => controller.abort(new Error('bye')));
    await expect(turn).rejects.toBeInstanceOf(TurnInterruptedError);
    expect(model.requests[0]!.signal.aborted).toBe(true);
  });

  it('propagates a model failure with the tool records and text so far', async () => {
    const { agent } = setup(
      [
        [{ text: 'Checking order 42.' }, call('get_order', { order_id: 42 }, 'g1')],
        [
          { text: 'It has' },
          { throw: new ModelError('provider', 'The language model provider failed (HTTP 500)') },
        ],
      ],
      [getOrder],
    );
    const error = await agent
      .runTurn(input('order 42?'), () => {})
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(TurnInterruptedError);
    const { cause, partial } = error as TurnInterruptedError;
    expect(cause).toBeInstanceOf(ModelError);
    expect((cause as ModelError).kind).toBe('provider');
    expect(partial.answer).toBe('Checking order 42.\n\nIt has');
    expect(partial.toolCalls).toHaveLength(1);
    expect(partial.toolCalls[0]).toMatchObject({ id: 'g1', status: 'ok' });
    expect(partial.steps).toBe(2);
  });
});

function usage(prompt: number, completion: number) {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
