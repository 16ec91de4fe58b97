import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOpenAICompatibleModel } from '../../src/agent/models/openai-compatible.js';
import type { ModelEvent, ModelMessage } from '../../src/agent/types.js';
import type { ModelToolSpec } from '../../src/tools/registry.js';
import { type FakeOpenAI, startFakeOpenAI, step } from '../helpers/fake-openai-server.js';
import { runStep, silentLogger, textOf, userRequest } from './models-harness.js';

const getOrderTool: ModelToolSpec = {
  name: 'get_order',
  description: 'Look up one order by its id',
  parameters: {
    type: 'object',
    properties: { order_id: { type: 'string' }, include_items: { type: 'boolean' } },
    required: ['order_id'],
  },
};
const listOrdersTool: ModelToolSpec = {
  name: 'list_orders',
  description: 'List the orders of a customer',
  parameters: { type: 'object', properties: { customer_email: { type: 'string' } } },
};

let fake: FakeOpenAI;

beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  await fake.close();
});

function model(options: { idleTimeoutMs?: number } = {}) {
  const client = new OpenAI({ apiKey: 'sk-test-key', baseURL: fake.baseURL, maxRetries: 0, timeout: 5_000 });
  return createOpenAICompatibleModel({
    client,
    model: 'gpt-test',
    provider: 'openai',
    logger: silentLogger,
    ...options,
  });
}

describe('OpenAI-compatible model: streamed replies', () => {
  it('answers with plain text followed by usage, over one streamed request', async () => {
    fake.script(step.text('Hello! How can I help you today?', { chunkSize: 100 }));

    const { events, error } = await runStep(model(), userRequest('Hi'));

    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'text', delta: 'Hello! How can I help you today?' },
      { type: 'usage', usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } },
    ]);
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.authorization).toBe('Bearer sk-test-key');
    expect(request?.body).toMatchObject({
      model: 'gpt-test',
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: 'You are a customer-service agent.' },
        { role: 'user', content: 'Hi' },
      ],
    });
    expect(request?.body).not.toHaveProperty('tools');
  });

  it('yields small text chunks in order and they concatenate to the answer', async () => {
    const answer = 'Your order ORD-1001 shipped yesterday and arrives on Friday.';
    fake.script(step.text(answer, { chunkSize: 3 }));

    const { events } = await runStep(model(), userRequest('Where is my order?'));

    const deltas = events.filter((e) => e.type === 'text');
    expect(deltas).toHaveLength(Math.ceil(answer.length / 3));
    expect(textOf(events)).toBe(answer);
  });

  it('hands each text delta over while the provider is still streaming', async () => {
    fake.script(step.text('one two three', { chunkSize: 4, ending: 'hang' }));
    const controller = new AbortController();
    const received: string[] = [];

    const consume = (async () => {
      for await (const event of model().stream(userRequest('Count', { signal: controller.signal }))) {
        if (event.type === 'text') received.push(event.delta);
        // The provider never finishes this reply: reaching the whole text proves nothing was held back.
        if (received.join('') === 'one two three') controller.abort();
      }
    })();

    await expect(consume).rejects.toMatchObject({ name: 'ModelError', kind: 'aborted' });
    expect(received).toEqual(['one ', 'two ', 'thre', 'e']);
    await fake.waitForClientGone(0);
  });

  it('assembles tool-call arguments split across many chunks', async () => {
    fake.script(
      step.toolCalls(
        [{ id: 'call_1', name: 'get_order', arguments: { order_id: 'ORD-1001', include_items: true } }],
        {
          chunkSize: 3,
        },
      ),
    );

    const { events, error } = await runStep(model(), userRequest('Show ORD-1001', { tools: [getOrderTool] }));

    expect(error).toBeUndefined();
    const calls = events.filter((e) => e.type === 'tool_call');
    expect(calls).toEqual([
      {
        type: 'tool_call',
        call: { id: 'call_1', name: 'get_order', arguments: '{"order_id":"ORD-1001","include_items":true}' },
      },
    ]);
    expect(fake.requests[0]?.body.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_order',
          description: 'Look up one order by its id',
          parameters: getOrderTool.parameters,
        },
      },
    ]);
  });

  it('assembles two interleaved calls of one step, after the text that preceded them', async () => {
    fake.script(
      step.toolCalls(
        [
          { id: 'call_a', name: 'get_order', arguments: { order_id: 'ORD-1001' } },
          { id: 'call_b', name: 'list_orders', arguments: { customer_email: 'ana@example.com' } },
        ],
        { text: 'Let me check both.', chunkSize: 2, interleave: true },
      ),
    );

    const { events } = await runStep(
      model(),
      userRequest('Check ORD-1001 and my other orders', { tools: [getOrderTool, listOrdersTool] }),
    );

    expect(events.map((e) => e.type)).toEqual([
      ...Array<ModelEvent['type']>(Math.ceil('Let me check both.'.length / 2)).fill('text'),
      'tool_call',
      'tool_call',
      'usage',
    ]);
    expect(textOf(events)).toBe('Let me check both.');
    expect(events.filter((e) => e.type === 'tool_call').map((e) => e.call)).toEqual([
      { id: 'call_a', name: 'get_order', arguments: '{"order_id":"ORD-1001"}' },
      { id: 'call_b', name: 'list_orders', arguments: '{"customer_email":"ana@example.com"}' },
    ]);
  });

  it('gives a tool call without parameters an empty JSON object', async () => {
    fake.script(step.toolCalls([{ id: 'call_x', name: 'list_orders', arguments: '' }]));

    const { events } = await runStep(model(), userRequest('List', { tools: [listOrdersTool] }));

    expect(events.find((e) => e.type === 'tool_call')).toEqual({
      type: 'tool_call',
      call: { id: 'call_x', name: 'list_orders', arguments: '{}' },
    });
  });

  it('reports the usage the provider sent, and none when it sent none', async () => {
    fake.script(
      step.text('ok', { usage: { prompt_tokens: 123, completion_tokens: 45 } }),
      step.text('ok again', { usage: null }),
    );

    const first = await runStep(model(), userRequest('a'));
    const second = await runStep(model(), userRequest('b'));

    expect(first.events.at(-1)).toEqual({
      type: 'usage',
      usage: { prompt_tokens: 123, completion_tokens: 45, total_tokens: 168 },
    });
    expect(second.events.some((e) => e.type === 'usage')).toBe(false);
    expect(textOf(second.events)).toBe('ok again');
  });

  it('sends earlier tool calls and their results back in the Chat Completions shape', async () => {
    fake.script(step.text('Order ORD-1001 is shipped.'));
    const history: ModelMessage[] = [
      { role: 'system', content: 'rules' },
      { role: 'user', content: 'Where is ORD-1001?' },
      {
        role: 'assistant',
        content: null,
        toolCalls: [{ id: 'call_1', name: 'get_order', arguments: '{"order_id":"ORD-1001"}' }],
      },
      { role: 'tool', toolCallId: 'call_1', content: '{"status":"SHIPPED"}' },
      { role: 'assistant', content: null },
    ];

    await runStep(model(), userRequest('', { messages: history, tools: [getOrderTool] }));

    expect(fake.requests[0]?.body.messages).toEqual([
      { role: 'system', content: 'rules' },
      { role: 'user', content: 'Where is ORD-1001?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_order', arguments: '{"order_id":"ORD-1001"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"status":"SHIPPED"}' },
      { role: 'assistant', content: '' },
    ]);
  });

  it('releases the upstream request when the consumer stops reading early', async () => {
    fake.script(step.text('a long answer that the consumer abandons', { chunkSize: 2, ending: 'hang' }));

    for await (const event of model().stream(userRequest('Hi'))) {
      expect(event.type).toBe('text');
      break;
    }

    const gone = await fake.waitForClientGone(0);
    expect(gone.clientWentAway).toBe(true);
  });
});

describe('OpenAI-compatible model: status', () => {
  it('reports provider and model, then the outcome of the last call, without calling the provider', async () => {
    const m = model();
    expect(m.status()).toEqual({ provider: 'openai', model: 'gpt-test' });
    expect(fake.requests).toHaveLength(0);

    fake.script(step.text('fine'), step.error(500, { headers: { 'x-should-retry': 'false' } }));
    await runStep(m, userRequest('a'));
    expect(m.status().lastCall).toMatchObject({ outcome: 'ok' });

    await runStep(m, userRequest('b'));
    expect(m.status().lastCall).toMatchObject({
      outcome: 'error',
      error: 'The language model provider failed (HTTP 500)',
    });
    expect(Number.isNaN(Date.parse(m.status().lastCall?.at ?? ''))).toBe(false);
    expect(fake.requests).toHaveLength(2);
  });
});
