import OpenAI, { APIError } from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, lastUserMessage, startFakeOpenAI, step } from '../helpers/fake-openai-server.js';

// The shared fake is used by the loop, chat and e2e tests too: its own promises are checked here.
describe('fake OpenAI server', () => {
  let fake: FakeOpenAI;
  let client: OpenAI;

  beforeEach(async () => {
    fake = await startFakeOpenAI();
    client = new OpenAI({ apiKey: 'k', baseURL: fake.baseURL, maxRetries: 2 });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('flags a request with no scripted step left instead of answering it, and is not retried', async () => {
    const failure = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
      .catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(APIError);
    expect((failure as APIError).status).toBe(500);
    expect(fake.requests).toHaveLength(1);
    expect(fake.problems).toEqual([expect.stringContaining('no scripted step left for request #0')]);
  });

  it('answers non-streamed requests with a whole chat.completion', async () => {
    fake.script(
      step.toolCalls([{ id: 'call_1', name: 'get_order', arguments: { order_id: 'A1' } }], {
        text: 'Checking',
      }),
    );

    const completion = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });

    expect(completion.choices[0]?.message).toMatchObject({
      content: 'Checking',
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_order', arguments: '{"order_id":"A1"}' } },
      ],
    });
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(completion.usage?.total_tokens).toBe(15);
  });

  it('lets a step be computed from the request, and a fallback answer once the script is done', async () => {
    await fake.close();
    fake = await startFakeOpenAI({ fallback: (request) => step.text(`echo: ${lastUserMessage(request)}`) });
    client = new OpenAI({ apiKey: 'k', baseURL: fake.baseURL, maxRetries: 0 });
    fake.script((request) => step.text(`first: ${lastUserMessage(request)}`));

    const ask = async (content: string) => {
      const completion = await client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content }],
      });
      return completion.choices[0]?.message.content;
    };

    expect(await ask('one')).toBe('first: one');
    expect(await ask('two')).toBe('echo: two');
    expect(await ask('three')).toBe('echo: three');
    expect(fake.problems).toEqual([]);
  });

  it('streams with a usage chunk only when the request asks for one', async () => {
    fake.script(step.text('abc'), step.text('abc'));
    const usages: Array<unknown> = [];

    for (const includeUsage of [true, false]) {
      const stream = await client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      });
      let usage: unknown = null;
      for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
      usages.push(usage);
    }

    expect(usages).toEqual([{ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }, null]);
  });
});
