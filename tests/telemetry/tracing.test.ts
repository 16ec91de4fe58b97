import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningComplaintsServer } from '../../mcp-servers/complaints/start-server.js';
import { createTracing } from '../../src/telemetry/tracing.js';
import { type FakeOpenAI, startFakeOpenAI, step } from '../helpers/fake-openai-server.js';
import { startFullApp } from '../helpers/full-app.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { makeTempDir, startReferenceServer } from '../mcp/helpers.js';

interface ProxiedCall {
  headers: IncomingHttpHeaders;
  method?: string;
}

/** Forwards to the MCP server and records each request's headers and JSON-RPC method. */
async function startRecordingProxy(target: string) {
  const upstream = new URL(target);
  const calls: ProxiedCall[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let method: string | undefined;
      try {
        method = (JSON.parse(body.toString('utf8')) as { method?: string }).method;
      } catch {
        method = undefined;
      }
      calls.push({ headers: req.headers, ...(method ? { method } : {}) });
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: upstream.host },
        },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function logSink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines };
}

/** `00-<trace id>-<parent span id>-<flags>` */
function parseTraceparent(value: unknown): { traceId: string; parentId: string } {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(String(value));
  if (!match) throw new Error(`not a traceparent: ${String(value)}`);
  return { traceId: match[1]!, parentId: match[2]! };
}

let receiver: OtlpReceiver;
let fake: FakeOpenAI;
let complaints: RunningComplaintsServer;
let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
const temp = makeTempDir();

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  fake = await startFakeOpenAI();
  complaints = await startReferenceServer(path.join(temp.dir, 'complaints.db'));
  proxy = await startRecordingProxy(complaints.url);
});

afterAll(async () => {
  await proxy?.close();
  await complaints?.close();
  await fake?.close();
  await receiver?.close();
  temp.cleanup();
});

describe('OpenTelemetry traces of a real turn', () => {
  it('exports request, invoke_agent, chat and execute_tool spans with GenAI attributes and propagates traceparent', async () => {
    const env = {
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'sk-trace-test',
      OPENAI_MODEL: 'gpt-trace',
      LLM_MAX_RETRIES: '0',
      MCP_SERVER_URL: proxy.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=collector-secret',
      OTEL_SERVICE_NAME: 'cs-agent-under-test',
    };
    const tracing = await createTracing({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=collector-secret',
      OTEL_SERVICE_NAME: 'cs-agent-under-test',
      OTEL_TRACES_SAMPLER_ARG: 1,
    });
    const sink = logSink();
    const logger = pino({ level: 'info', mixin: () => tracing?.logFields() ?? {} }, sink.stream);
    const service = await startFullApp(env, { listen: true, logger, ...(tracing ? { tracing } : {}) });

    fake.script(
      step.toolCalls(
        [
          { id: 'call-orders', name: 'get_order', arguments: { order_id: 'ORD-404' } },
          { id: 'call-complaints', name: 'list_complaints', arguments: {} },
        ],
        { usage: { prompt_tokens: 12, completion_tokens: 7 } },
      ),
      step.text('I found nothing.', { usage: { prompt_tokens: 30, completion_tokens: 4 } }),
    );
    const proxiedBefore = proxy.calls.length;
    const res = await fetch(`${service.baseUrl}/api/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'trace-1', message: 'Where is ORD-404?' }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { tool_calls: Array<{ name: string; status: string }> };
    expect(body.tool_calls.map((c) => c.name).sort()).toEqual(['get_order', 'list_complaints']);
    // Closing flushes the batch of spans to the receiver.
    await service.close();

    const request = await receiver.waitForSpan('POST /api/v1/chat');
    const byName = (name: string): ReceivedSpan[] =>
      receiver.spans.filter((s) => s.name === name && s.traceId === request.traceId);
    const [agent] = byName('invoke_agent');
    const chats = byName('chat gpt-trace');
    const [orderTool] = byName('execute_tool get_order');
    const [complaintTool] = byName('execute_tool list_complaints');

    expect(request.kind).toBe(2); // SERVER
    expect(request.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/api/v1/chat',
      'http.response.status_code': 200,
    });
    expect(request.resource['service.name']).toBe('cs-agent-under-test');
    expect(receiver.requests[0]?.['x-collector-key']).toBe('collector-secret');

    expect(agent?.parentSpanId).toBe(request.spanId);
    expect(agent?.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.conversation.id': 'trace-1',
      'gen_ai.usage.input_tokens': 42,
      'gen_ai.usage.output_tokens': 11,
    });

    expect(chats).toHaveLength(2);
    for (const chat of chats) expect(chat.parentSpanId).toBe(agent?.spanId);
    const [first, second] = [...chats].sort(
      (a, b) =>
        Number(a.attributes['gen_ai.usage.input_tokens']) - Number(b.attributes['gen_ai.usage.input_tokens']),
    );
    expect(first?.kind).toBe(3); // CLIENT
    expect(first?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-trace',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 7,
      'gen_ai.response.finish_reasons': ['tool_calls'],
    });
    expect(second?.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 30,
      'gen_ai.usage.output_tokens': 4,
      'gen_ai.response.finish_reasons': ['stop'],
    });

    expect(orderTool?.parentSpanId).toBe(agent?.spanId);
    expect(orderTool?.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'get_order',
      'gen_ai.tool.call.id': 'call-orders',
      'error.type': 'tool_error',
    });
    expect(orderTool?.status.code).toBe(2); // ERROR: the order does not exist
    expect(complaintTool?.parentSpanId).toBe(agent?.spanId);
    expect(complaintTool?.attributes).toMatchObject({
      'gen_ai.tool.name': 'list_complaints',
      'gen_ai.tool.call.id': 'call-complaints',
    });

    // The provider saw each call's own span as its parent, in the same trace.
    const sent = fake.requests.map((r) => parseTraceparent(r.headers.traceparent));
    expect(sent.map((t) => t.traceId)).toEqual([request.traceId, request.traceId]);
    expect(sent.map((t) => t.parentId).sort()).toEqual(chats.map((c) => c.spanId).sort());

    // So did the MCP server, for the tool call (and not for the background pings outside any turn).
    const toolCall = proxy.calls.slice(proxiedBefore).find((c) => c.method === 'tools/call');
    expect(parseTraceparent(toolCall?.headers.traceparent)).toEqual({
      traceId: request.traceId,
      parentId: complaintTool?.spanId,
    });

    const toolLine = sink.lines().find((l) => l.msg === 'tool call finished' && l.tool === 'get_order');
    expect(toolLine?.trace_id).toBe(request.traceId);
    const modelRequestLine = sink.lines().find((l) => l.msg === 'chat turn completed');
    expect(modelRequestLine?.trace_id).toBe(request.traceId);
  });

  it("continues the caller's trace when the request carries a traceparent; probes are not traced", async () => {
    const service = await startFullApp(
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, LLM_PROVIDER: 'offline' },
      { listen: true },
    );
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    const res = await fetch(`${service.baseUrl}/api/v1/sessions/some-session/history`, {
      headers: { traceparent: `00-${traceId}-${parentId}-01` },
    });
    expect(res.status).toBe(404);
    const probeTrace = '5bf92f3577b34da6a3ce929d0e0e4737';
    await fetch(`${service.baseUrl}/health/readiness`, {
      headers: { traceparent: `00-${probeTrace}-${parentId}-01` },
    });
    await fetch(`${service.baseUrl}/metrics`, {
      headers: { traceparent: `00-${probeTrace}-${parentId}-01` },
    });
    await service.close();
    // Probes and scrapes are not traced.
    expect(receiver.spans.filter((s) => s.traceId === probeTrace)).toEqual([]);
    const span = receiver.spans.find((s) => s.traceId === traceId);
    expect(span).toMatchObject({
      name: 'GET /api/v1/sessions/:session_id/history',
      parentSpanId: parentId,
      attributes: { 'http.response.status_code': 404 },
    });
  });

  it('adds nothing when OTEL_EXPORTER_OTLP_ENDPOINT is not set: no tracer, no hooks, no traceparent', async () => {
    const service = await startFullApp({
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'sk-trace-test',
      LLM_MAX_RETRIES: '0',
    });
    try {
      expect(service.runtime.tracing).toBeUndefined();
      expect(service.app.hasRequestDecorator('traceSpan')).toBe(false);
      fake.reset();
      fake.script(step.text('Hi.'));
      const res = await service.app.inject({
        method: 'POST',
        url: '/api/v1/chat',
        payload: { session_id: 'untraced', message: 'hello' },
      });
      expect(res.statusCode).toBe(200);
      expect(fake.requests[0]?.headers.traceparent).toBeUndefined();
    } finally {
      await service.close();
    }
  });
});
