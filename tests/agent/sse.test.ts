import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAICompatibleModel } from '../../src/agent/models/openai-compatible.js';
import { requestBody } from '../../src/agent/models/request-body.js';
import { chatCompletionChunks, MAX_EVENT_CHARS } from '../../src/agent/models/sse.js';
import { ModelError, type ModelMessage } from '../../src/agent/types.js';
import type { ModelToolSpec } from '../../src/tools/registry.js';
import { runStep, silentLogger, textOf, userRequest } from './models-harness.js';

const chunk = (content: string, finish: string | null = null) =>
  JSON.stringify({
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: { content }, finish_reason: finish }],
  });

async function* pieces(parts: Array<string | Uint8Array>): AsyncGenerator<string | Uint8Array> {
  for (const part of parts) yield part;
}

async function contents(parts: Array<string | Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const c of chatCompletionChunks(pieces(parts), new Headers())) {
    out.push(c.choices[0]?.delta.content ?? '');
  }
  return out;
}

describe('reading a streamed reply', () => {
  it('reads events split anywhere, even inside a character, with LF, CRLF or CR line ends', async () => {
    const text = `data: ${chunk('Grüße ')}\r\n\r\ndata: ${chunk('aus')}\r\rdata: ${chunk(' Köln', 'stop')}\n\ndata: [DONE]\n\n`;
    const bytes = Buffer.from(text, 'utf8');
    // Every split point, including between the two bytes of "ü" and between CR and LF.
    for (let at = 1; at < bytes.length; at += 7) {
      expect(await contents([bytes.subarray(0, at), bytes.subarray(at)])).toEqual(['Grüße ', 'aus', ' Köln']);
    }
  });

  it('reads a reply that arrives one character at a time, and a long event in many pieces', async () => {
    const text = `data: ${chunk('one')}\r\rdata: ${chunk('two')}\r\n\r\ndata: ${chunk('three')}\n\n`;
    expect(await contents([...text])).toEqual(['one', 'two', 'three']);
    const long = 'x'.repeat(200_000);
    const event = `data: ${chunk(long)}\n\n`;
    const pieces16k = Array.from({ length: Math.ceil(event.length / 16_384) }, (_, i) =>
      event.slice(i * 16_384, (i + 1) * 16_384),
    );
    expect(await contents(pieces16k)).toEqual([long]);
  });

  it('joins multi-line data, skips comments and unknown fields, and reads a last event without a blank line', async () => {
    const multi = chunk('two lines').replace('"choices"', '\n"choices"');
    const lines = multi.split('\n');
    expect(
      await contents([
        ': keep-alive\n\nid: 7\nretry: 100\n',
        `data: ${lines[0]}\ndata:${lines[1]}\n\n`,
        `data: ${chunk('last', 'stop')}`,
      ]),
    ).toEqual(['two lines', 'last']);
  });

  it('ignores whatever follows [DONE]', async () => {
    expect(await contents([`data: ${chunk('a')}\n\ndata: [DONE]\n\ndata: not json\n\n`])).toEqual(['a']);
  });

  it('rejects an event larger than the limit instead of buffering without end', async () => {
    const huge = `data: ${'x'.repeat(MAX_EVENT_CHARS)}`;
    await expect(contents([huge.slice(0, 10), huge.slice(10), 'more'])).rejects.toThrow(/more than/);
  });
});

describe('the request body', () => {
  it('is byte for byte the JSON the SDK would write, with non-ASCII text, tool calls and results', () => {
    const tool: ModelToolSpec = {
      name: 'get_order',
      description: 'Look up an order — by id',
      parameters: {},
    };
    const messages: ModelMessage[] = [
      { role: 'system', content: 'Be kind — always.' },
      { role: 'user', content: 'Grüße, wo ist Bestellung 42? 📦' },
      {
        role: 'assistant',
        content: null,
        toolCalls: [{ id: 'c1', name: 'get_order', arguments: '{"order_id":42}' }],
      },
      { role: 'tool', toolCallId: 'c1', content: '{"status":"versandt — morgen"}' },
      { role: 'assistant', content: 'Sie kommt morgen.' },
    ];
    const expected = JSON.stringify({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'Be kind — always.' },
        { role: 'user', content: 'Grüße, wo ist Bestellung 42? 📦' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'get_order', arguments: '{"order_id":42}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: '{"status":"versandt — morgen"}' },
        { role: 'assistant', content: 'Sie kommt morgen.' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      tools: [
        { type: 'function', function: { name: tool.name, description: tool.description, parameters: {} } },
      ],
    });
    // Twice: the second call reads every part from what the first encoded.
    expect(requestBody('gpt-test', messages, [tool]).toString('utf8')).toBe(expected);
    expect(requestBody('gpt-test', messages, [tool]).equals(Buffer.from(expected))).toBe(true);
    expect(requestBody('gpt-test', messages.slice(0, 2), []).toString('utf8')).toBe(
      JSON.stringify({
        model: 'gpt-test',
        messages: [
          { role: 'system', content: 'Be kind — always.' },
          { role: 'user', content: 'Grüße, wo ist Bestellung 42? 📦' },
        ],
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
  });
});

describe('the model over a raw server-sent-events server', () => {
  let server: Server | undefined;
  let bodies: string[] = [];

  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    bodies = [];
  });

  async function serve(reply: string): Promise<string> {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => {
        body += d;
      });
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        // Byte by byte for the first event, to make the reads as small as they come.
        const head = reply.slice(0, 40);
        for (const ch of head) res.write(ch);
        res.end(reply.slice(40));
      });
    });
    const listening = server;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(listening.address() as AddressInfo).port}/v1`;
  }

  const model = (baseURL: string) =>
    createOpenAICompatibleModel({
      client: new OpenAI({ apiKey: 'sk-test', baseURL, maxRetries: 0, timeout: 5_000 }),
      model: 'gpt-test',
      provider: 'openai',
      logger: silentLogger,
    });

  it('answers from a CRLF stream, and sends the body the SDK would have written', async () => {
    const tool: ModelToolSpec = {
      name: 'get_order',
      description: 'Look up an order',
      parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
    };
    const url = await serve(
      `data: ${chunk('Hello')}\r\n\r\ndata: ${chunk(' there', 'stop')}\r\n\r\ndata: [DONE]\r\n\r\n`,
    );
    const { events, error } = await runStep(model(url), { ...userRequest('Hi'), tools: [tool] });
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe('Hello there');

    const sent = JSON.parse(bodies[0] ?? '{}') as Record<string, unknown>;
    const expected = {
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'You are a customer-service agent.' },
        { role: 'user', content: 'Hi' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      tools: [
        {
          type: 'function',
          function: { name: tool.name, description: tool.description, parameters: tool.parameters },
        },
      ],
    };
    expect(sent).toEqual(expected);
    expect(bodies[0]).toBe(JSON.stringify(expected));
    expect(
      requestBody(
        'gpt-test',
        [
          { role: 'system', content: 'You are a customer-service agent.' },
          { role: 'user', content: 'Hi' },
        ],
        [tool],
      ).toString('utf8'),
    ).toBe(JSON.stringify(expected));
  });

  it('turns an error event inside the stream into a provider error', async () => {
    const url = await serve(
      `data: ${chunk('Hel')}\n\nevent: error\ndata: {"error":{"message":"overloaded","type":"server_error"}}\n\n`,
    );
    const { events, error } = await runStep(model(url), userRequest('Hi'));
    expect(textOf(events)).toBe('Hel');
    expect(error).toBeInstanceOf(ModelError);
    expect(error?.kind).toBe('provider');
    expect(error?.message).toBe('The language model provider reported an error');
  });

  it('turns data that is not JSON into a malformed-reply error', async () => {
    const url = await serve(`data: ${chunk('Hel')}\n\ndata: {not json\n\n`);
    const { error } = await runStep(model(url), userRequest('Hi'));
    expect(error?.message).toBe('The language model sent a malformed reply');
  });
});
