import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/build-test-app.js';
import { useFakeModelApp } from '../helpers/fake-model-app.js';
import { step } from '../helpers/fake-openai-server.js';
import { parseSse } from '../helpers/full-app.js';
import { labelValues, metricValue, parseMetrics, type Sample } from '../helpers/prometheus.js';
import { waitFor } from '../mcp/helpers.js';

const llm = useFakeModelApp({
  apiKey: 'sk-metrics-test',
  model: 'gpt-test',
  fileApp: {
    // The breaker is tested on its own; here every provider failure reaches the client.
    env: { LLM_BREAKER_FAILURES: '0' },
    options: { listen: true },
  },
});

async function scrape(): Promise<Sample[]> {
  const res = await fetch(`${llm.service.baseUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}

async function chat(path: '/api/v1/chat' | '/api/v1/chat/stream', body: Record<string, unknown>) {
  return fetch(`${llm.service.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('GET /metrics after real turns', () => {
  it('counts a JSON turn with a failing tool call: turn, model calls, tokens, tool outcome, request', async () => {
    const before = await scrape();
    llm.fake.script(
      step.toolCalls([{ id: 'c1', name: 'get_order', arguments: { order_id: 'ORD-404' } }]),
      step.text('I could not find that order.'),
    );
    const res = await chat('/api/v1/chat', { session_id: 'metrics-json', message: 'Where is ORD-404?' });
    expect(res.status).toBe(200);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      metricValue(after, name, labels) - metricValue(before, name, labels);

    expect(delta('chat_turns_total', { status: 'ok' })).toBe(1);
    expect(delta('chat_turn_duration_seconds_count', { status: 'ok' })).toBe(1);
    expect(delta('llm_requests_total', { provider: 'openai', model: 'gpt-test', status: 'ok' })).toBe(2);
    expect(delta('llm_request_duration_seconds_count', { provider: 'openai', status: 'ok' })).toBe(2);
    expect(delta('llm_time_to_first_token_seconds_count', { model: 'gpt-test' })).toBe(2);
    // The fake reports 10 prompt and 5 completion tokens per call.
    expect(delta('llm_tokens_total', { type: 'prompt' })).toBe(20);
    expect(delta('llm_tokens_total', { type: 'completion' })).toBe(10);
    expect(delta('tool_calls_total', { tool: 'get_order', status: 'error' })).toBe(1);
    expect(delta('tool_call_duration_seconds_count', { tool: 'get_order', status: 'error' })).toBe(1);
    expect(delta('http_requests_total', { method: 'POST', route: '/api/v1/chat', status: '200' })).toBe(1);
    expect(delta('http_request_duration_seconds_count', { route: '/api/v1/chat', status: '200' })).toBe(1);
    // A histogram's +Inf bucket holds every observation.
    expect(delta('http_request_duration_seconds_bucket', { route: '/api/v1/chat', le: '+Inf' })).toBe(1);
    expect(metricValue(after, 'sessions_active')).toBeGreaterThanOrEqual(1);
  });

  it('counts an SSE turn and shows the stream as open only while it is', async () => {
    const before = await scrape();
    llm.fake.script(step.text('Hello there', { ending: 'hang' }));
    const res = await chat('/api/v1/chat/stream', { session_id: 'metrics-sse-open', message: 'hi' });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read(); // the first token event
    const open = await scrape();
    expect(metricValue(open, 'sse_streams_open')).toBe(1);
    await reader.cancel();
    await waitFor('the stream to close', async () => metricValue(await scrape(), 'sse_streams_open') === 0);
    const after = await scrape();
    expect(metricValue(after, 'chat_turns_total', { status: 'cancelled' })).toBe(
      metricValue(before, 'chat_turns_total', { status: 'cancelled' }) + 1,
    );
    expect(
      metricValue(after, 'llm_requests_total', { status: 'cancelled' }) -
        metricValue(before, 'llm_requests_total', { status: 'cancelled' }),
    ).toBe(1);

    llm.fake.script(step.text('All good.'));
    const done = await chat('/api/v1/chat/stream', { session_id: 'metrics-sse', message: 'hello' });
    expect(parseSse(await done.text()).events.at(-1)?.type).toBe('done');
    const finished = await scrape();
    expect(metricValue(finished, 'chat_turns_total', { status: 'ok' })).toBe(
      metricValue(after, 'chat_turns_total', { status: 'ok' }) + 1,
    );
    expect(
      metricValue(finished, 'http_requests_total', { route: '/api/v1/chat/stream', status: '200' }) -
        metricValue(after, 'http_requests_total', { route: '/api/v1/chat/stream', status: '200' }),
    ).toBe(1);
    expect(metricValue(finished, 'sse_streams_open')).toBe(0);
  });

  it('counts a provider 500 as a failed model call, a failed turn and a 502', async () => {
    const before = await scrape();
    llm.fake.script(step.error(500));
    const res = await chat('/api/v1/chat', { session_id: 'metrics-500', message: 'hello' });
    expect(res.status).toBe(502);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) =>
      metricValue(after, name, labels) - metricValue(before, name, labels);
    expect(delta('llm_requests_total', { provider: 'openai', model: 'gpt-test', status: 'error' })).toBe(1);
    expect(delta('chat_turns_total', { status: 'error' })).toBe(1);
    expect(delta('http_requests_total', { route: '/api/v1/chat', status: '502' })).toBe(1);
    expect(delta('llm_time_to_first_token_seconds_count', {})).toBe(0);
  });

  it('labels a tool name the model made up as unknown, never with the made-up name', async () => {
    llm.fake.script(step.toolCalls([{ name: 'drop_all_tables', arguments: {} }]), step.text('Sorry.'));
    expect((await chat('/api/v1/chat', { session_id: 'metrics-unknown', message: 'x' })).status).toBe(200);
    const after = await scrape();
    expect(labelValues(after, 'tool_calls_total', 'tool')).not.toContain('drop_all_tables');
    expect(metricValue(after, 'tool_calls_total', { tool: 'unknown', status: 'error' })).toBe(1);
  });

  it('labels requests by route pattern, never by the raw URL', async () => {
    await fetch(`${llm.service.baseUrl}/api/v1/sessions/secret-session-42/history`);
    await fetch(`${llm.service.baseUrl}/no/such/page-7`);
    const text = await (await fetch(`${llm.service.baseUrl}/metrics`)).text();
    expect(text).not.toContain('secret-session-42');
    expect(text).not.toContain('page-7');
    const samples = parseMetrics(text);
    expect(
      metricValue(samples, 'http_requests_total', {
        route: '/api/v1/sessions/:session_id/history',
        status: '404',
      }),
    ).toBe(1);
    expect(metricValue(samples, 'http_requests_total', { route: 'unmatched', status: '404' })).toBe(1);
  });

  it('includes the process metrics and the dependency gauges', async () => {
    const samples = await scrape();
    expect(metricValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
    // MCP is disabled in this app: no series, so the MCP alert cannot fire.
    expect(samples.some((s) => s.name === 'mcp_connected')).toBe(false);
    expect(samples.find((s) => s.name === 'llm_breaker_open')?.value).toBe(0);
  });
});

describe('access to /metrics', () => {
  it('asks for the bearer token when METRICS_TOKEN is set, in the error envelope', async () => {
    const { app } = await buildTestApp({ METRICS_TOKEN: 'scrape-token-123' });
    try {
      const denied = await app.inject({ method: 'GET', url: '/metrics' });
      expect(denied.statusCode).toBe(401);
      expect(denied.headers['www-authenticate']).toBe('Bearer');
      expect(denied.json()).toMatchObject({ error: 'UNAUTHORIZED', request_id: expect.any(String) });
      const wrong = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: 'Bearer scrape-token-124' },
      });
      expect(wrong.statusCode).toBe(401);
      const ok = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: 'Bearer scrape-token-123' },
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toContain('http_requests_total');
    } finally {
      await app.close();
    }
  });

  it('needs no API key and is never rate limited, like /health', async () => {
    const { app } = await buildTestApp({
      API_KEYS: 'client-key-123456:acme',
      ENABLE_RATE_LIMITING: 'true',
      RATE_LIMIT_PER_MINUTE: '1',
    });
    try {
      for (let i = 0; i < 3; i++) {
        expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
      }
      // The limiter itself still counts what it refuses.
      await app.inject({ method: 'GET', url: '/api/v1/sessions' });
      const refused = await app.inject({ method: 'GET', url: '/api/v1/sessions' });
      expect(refused.statusCode).toBe(429);
      const samples = parseMetrics((await app.inject({ method: 'GET', url: '/metrics' })).body);
      expect(metricValue(samples, 'http_requests_total', { route: '/api/v1/sessions', status: '429' })).toBe(
        1,
      );
    } finally {
      await app.close();
    }
  });

  it('keeps the metrics of two apps in one process apart', async () => {
    const first = await buildTestApp();
    const second = await buildTestApp();
    try {
      await first.app.inject({ method: 'GET', url: '/health' });
      await first.app.inject({ method: 'GET', url: '/health' });
      const count = async (app: typeof first.app) =>
        metricValue(
          parseMetrics((await app.inject({ method: 'GET', url: '/metrics' })).body),
          'http_requests_total',
          {
            route: '/health',
          },
        );
      expect(await count(first.app)).toBe(2);
      expect(await count(second.app)).toBe(0);
    } finally {
      await first.app.close();
      await second.app.close();
    }
  });

  it('is absent with METRICS_ENABLED=false', async () => {
    const { app } = await buildTestApp({ METRICS_ENABLED: 'false' });
    try {
      expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });
});
