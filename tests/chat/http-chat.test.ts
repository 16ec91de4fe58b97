import { describe, expect, it } from 'vitest';
import { captureLogger } from '../helpers/build-test-app.js';
import { useFakeModelApp } from '../helpers/fake-model-app.js';
import { lastUserMessage, step } from '../helpers/fake-openai-server.js';
import { parseSse } from '../helpers/full-app.js';

const API_KEY = 'sk-test-NEVER-LOG-ME-1234567890';
const llm = useFakeModelApp({ apiKey: API_KEY, model: 'gpt-test', env: { ORDER_ACCESS: 'tenant' } });

const ORDER = {
  customer_name: 'Ada Lovelace',
  billing_address: '12 Analytical Row, London',
  product_sku: 'SKU-ENGINE-1',
  quantity: 2,
  order_amount: 199.5,
  customer_email: 'ada@example.com',
};

describe('POST /api/v1/chat (JSON)', () => {
  it('runs a tool-calling turn and returns the answer, tool calls, usage and message_count', async () => {
    const service = await llm.start();
    llm.fake.script(
      step.toolCalls([{ id: 'call_1', name: 'create_order', arguments: ORDER }]),
      step.text('Your order 1 is created.', { chunkSize: 3 }),
    );
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/v1/chat',
      payload: { session_id: 'json-1', message: 'Order two engines for Ada', tenant_id: 'acme' },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      session_id: 'json-1',
      tenant_id: 'acme',
      message: 'Your order 1 is created.',
      message_count: 2,
      request_id: res.headers['x-request-id'],
      usage: { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 },
    });
    expect(body.tool_calls).toHaveLength(1);
    expect(body.tool_calls[0]).toMatchObject({ id: 'call_1', name: 'create_order', status: 'ok' });
    expect(body.tool_calls[0].arguments).toMatchObject({ customer_name: 'Ada Lovelace' });
    // The model saw the tool result and the tools as JSON schemas.
    const second = llm.fake.requests[1]!.body;
    const toolMessage = second.messages?.find((m) => m.role === 'tool');
    expect(String(toolMessage?.content)).toContain('Ada Lovelace');
    expect((llm.fake.requests[0]!.body.tools ?? []).length).toBeGreaterThanOrEqual(11);

    const history = await service.app.inject({
      method: 'GET',
      url: '/api/v1/sessions/json-1/history?tenant_id=acme',
    });
    expect(history.json().messages.map((m: { content: string }) => m.content)).toEqual([
      'Order two engines for Ada',
      'Your order 1 is created.',
    ]);
  });

  it('maps a provider that keeps failing to 502 LLM_ERROR without leaking its body, after LLM_MAX_RETRIES', async () => {
    const service = await llm.start({ LLM_MAX_RETRIES: '1' });
    const body = { error: { message: 'upstream exploded at internal-gpu-7.corp' } };
    llm.fake.script(step.error(500, { body, retryAfter: 0 }), step.error(500, { body, retryAfter: 0 }));
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/v1/chat',
      payload: { session_id: 'fail-1', message: 'hello' },
    });
    expect(res.statusCode).toBe(502);
    expect(res.json().error).toBe('LLM_ERROR');
    expect(res.body).not.toContain('internal-gpu-7');
    expect(res.body).not.toContain(llm.fake.baseURL);
    expect(llm.fake.requests).toHaveLength(2);
    // Nothing happened, so nothing was stored.
    const history = await service.app.inject({ method: 'GET', url: '/api/v1/sessions/fail-1/history' });
    expect(history.statusCode).toBe(404);
  });

  it('answers 504 TIMEOUT when the turn deadline passes', async () => {
    const service = await llm.start({ TURN_TIMEOUT_MS: '600', LLM_TIMEOUT_MS: '30000' });
    llm.fake.script(step.hang());
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/v1/chat',
      payload: { session_id: 'slow-1', message: 'hello' },
    });
    expect(res.statusCode).toBe(504);
    expect(res.json().error).toBe('TIMEOUT');
    await llm.fake.waitForClientGone(0);
  });

  it('20 parallel turns on one session leave 40 messages, each answer right after its question', async () => {
    const service = await llm.start();
    llm.fake.script(
      ...Array.from(
        { length: 20 },
        () => (req: Parameters<typeof lastUserMessage>[0]) => step.text(`echo: ${lastUserMessage(req)}`),
      ),
    );
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        service.app.inject({
          method: 'POST',
          url: '/api/v1/chat',
          payload: { session_id: 'busy', message: `q${i}` },
        }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
    expect(results.map((r) => r.json().message_count).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => 2 * (i + 1)),
    );
    const history = await service.app.inject({ method: 'GET', url: '/api/v1/sessions/busy/history' });
    const messages = history.json().messages as Array<{ role: string; content: string }>;
    expect(messages).toHaveLength(40);
    for (let i = 0; i < 40; i += 2) {
      expect(messages[i]!.role).toBe('user');
      expect(messages[i + 1]).toMatchObject({ role: 'assistant', content: `echo: ${messages[i]!.content}` });
    }
  });

  it('never writes the provider API key into the logs', async () => {
    const capture = captureLogger('info');
    const service = await llm.start({}, { logger: capture.logger });
    llm.fake.script(step.error(401, { body: { error: { message: `bad key ${API_KEY}` } } }));
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/v1/chat',
      payload: { session_id: 'k', message: 'hello' },
    });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toBe('AGENT_UNAVAILABLE');
    expect(llm.fake.requests[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(capture.text().length).toBeGreaterThan(0);
    expect(capture.text()).not.toContain(API_KEY);
    expect(res.body).not.toContain(API_KEY);
  });
});

describe('POST /api/v1/chat/stream (SSE)', () => {
  it('streams tool_call, tool_result, tokens and done with the exact message_count', async () => {
    const service = await llm.start({ CORS_ORIGINS: 'https://shop.example' }, { listen: true });
    llm.fake.script(
      step.toolCalls([{ id: 'call_9', name: 'get_order', arguments: { order_id: 999 } }]),
      step.text('Sorry, order 999 does not exist.', { chunkSize: 2 }),
    );
    const res = await fetch(`${service.baseUrl}/api/v1/chat/stream`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: 'https://shop.example',
        'x-request-id': 'sse-1',
      },
      body: JSON.stringify({ session_id: 'sse-1', message: 'Where is order 999?' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('cache-control')).toContain('no-cache');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('x-request-id')).toBe('sse-1');
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const { events } = parseSse(await res.text());
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('tool_call');
    expect(types[1]).toBe('tool_result');
    expect(types.at(-1)).toBe('done');
    expect(types.slice(2, -1).every((t) => t === 'token')).toBe(true);
    expect(types.filter((t) => t === 'token').length).toBeGreaterThan(5);
    expect(events[0]).toMatchObject({
      id: 'call_9',
      name: 'get_order',
      arguments: { order_id: 999 },
      session_id: 'sse-1',
    });
    expect(events[1]).toMatchObject({ id: 'call_9', name: 'get_order', status: 'error' });
    const answer = events
      .filter((e) => e.type === 'token')
      .map((e) => e.content)
      .join('');
    expect(answer).toBe('Sorry, order 999 does not exist.');
    expect(events.at(-1)).toMatchObject({
      type: 'done',
      session_id: 'sse-1',
      message_count: 2,
      request_id: 'sse-1',
    });
    expect(events.at(-1)!.usage).toEqual({ prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 });

    const history = await fetch(`${service.baseUrl}/api/v1/sessions/sse-1/history`);
    const stored = (await history.json()) as { messages: Array<{ content: string }> };
    expect(stored.messages[1]!.content).toBe(answer);
  });

  it('logs a streamed request once, on completion', async () => {
    const capture = captureLogger('info');
    const service = await llm.start({}, { listen: true, logger: capture.logger });
    llm.fake.script(
      step.toolCalls([{ name: 'get_order', arguments: { order_id: 5 } }]),
      step.text('short answer'),
    );
    const res = await fetch(`${service.baseUrl}/api/v1/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'sse-log' },
      body: JSON.stringify({ session_id: 'logged', message: 'a secret question' }),
    });
    await res.text();
    const lines = capture.lines().filter((l) => l.request_id === 'sse-log' && l.msg === 'request completed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ status: 200, session_id: 'logged', path: '/api/v1/chat/stream' });
    expect(capture.text()).not.toContain('a secret question');
    // Every line is JSON without repeated keys (strict log pipelines reject those).
    for (const line of capture.text().split('\n').filter(Boolean)) {
      expect(line.match(/"request_id":/g)?.length ?? 0, line).toBeLessThanOrEqual(1);
      expect(line.match(/"session_id":/g)?.length ?? 0, line).toBeLessThanOrEqual(1);
    }
  });

  it("names the request, turn, tenant and session on every line a turn's tool call writes", async () => {
    const capture = captureLogger('info');
    const service = await llm.start({}, { logger: capture.logger });
    llm.fake.script(
      step.toolCalls([{ name: 'get_order', arguments: { order_id: 5 } }]),
      step.text('short answer'),
    );
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/v1/chat',
      headers: { 'x-request-id': 'bound-ids' },
      payload: { session_id: 'bound', message: 'where is order 5', tenant_id: 'acme' },
    });
    expect(res.statusCode).toBe(200);
    const ids = {
      request_id: 'bound-ids',
      turn_id: res.headers['x-turn-id'],
      tenant_id: 'acme',
      session_id: 'bound',
    };
    const lines = capture.lines();
    expect(lines.find((l) => l.msg === 'tool call finished')).toMatchObject({ ...ids, tool: 'get_order' });
    expect(lines.find((l) => l.msg === 'chat turn completed')).toMatchObject(ids);
    expect(lines.find((l) => l.msg === 'request completed')).toMatchObject({ request_id: 'bound-ids' });
  });

  it('forwards each token before the model has finished', async () => {
    const service = await llm.start({}, { listen: true });
    llm.fake.script(step.text('one two three four', { chunkSize: 4, delayMs: 150 }));
    const res = await fetch(`${service.baseUrl}/api/v1/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'live', message: 'count' }),
    });
    const reader = res.body!.getReader();
    const first = await reader.read();
    // The first token is in hand while the fake is still sending the rest.
    expect(new TextDecoder().decode(first.value)).toContain('"type":"token"');
    expect(llm.fake.requests[0]!.clientWentAway).toBe(false);
    let rest = '';
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      rest += new TextDecoder().decode(chunk.value);
    }
    expect(rest).toContain('"type":"done"');
  });

  it('a failure after the stream started is an error event, and the partial answer is kept as interrupted', async () => {
    const service = await llm.start({}, { listen: true });
    llm.fake.script(step.dies('Let me check tha'));
    const res = await fetch(`${service.baseUrl}/api/v1/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'broken', message: 'hello' }),
    });
    expect(res.status).toBe(200);
    const { events } = parseSse(await res.text());
    expect(events.at(-1)).toMatchObject({ type: 'error', error: 'LLM_ERROR', session_id: 'broken' });
    expect(typeof events.at(-1)!.request_id).toBe('string');
    expect(llm.fake.requests).toHaveLength(1);
    const history = await fetch(`${service.baseUrl}/api/v1/sessions/broken/history`);
    const stored = (await history.json()) as {
      messages: Array<{ role: string; content: string; interrupted?: boolean }>;
    };
    expect(stored.messages.at(-1)).toMatchObject({ role: 'assistant', interrupted: true });
  });

  it('aborts the upstream model request at once when the client disconnects', async () => {
    const service = await llm.start({}, { listen: true });
    llm.fake.script(step.hang());
    const controller = new AbortController();
    const pending = fetch(`${service.baseUrl}/api/v1/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'gone', message: 'hello' }),
      signal: controller.signal,
    }).then(
      async (r) => {
        await r.text();
      },
      () => undefined,
    );
    await llm.fake.waitForRequests(1);
    controller.abort();
    await pending.catch(() => undefined);
    const request = await llm.fake.waitForClientGone(0);
    expect(request.clientWentAway).toBe(true);
  });

  it('a provider failure before the first event is an ordinary JSON 502, not a 200 stream', async () => {
    const service = await llm.start({}, { listen: true });
    llm.fake.script(step.error(500));
    const res = await fetch(`${service.baseUrl}/api/v1/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'early-fail', message: 'hello' }),
    });
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = (await res.json()) as { error: string; request_id: string };
    expect(body.error).toBe('LLM_ERROR');
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('validation and unavailability stay ordinary JSON errors', async () => {
    const service = await llm.start({}, { listen: true });
    const res = await fetch(`${service.baseUrl}/api/v1/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'x' }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(((await res.json()) as { error: string }).error).toBe('VALIDATION_ERROR');
  });

  it('sends a ": ping" comment while the model is silent', async () => {
    const service = await llm.start({}, { listen: true, pingIntervalMs: 100 });
    llm.fake.script(step.text('late answer', { delayMs: 350, chunkSize: 100 }));
    const res = await fetch(`${service.baseUrl}/api/v1/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'quiet', message: 'hello' }),
    });
    const { comments, events } = parseSse(await res.text());
    expect(comments).toContain(': ping');
    expect(events.at(-1)!.type).toBe('done');
  });
});
