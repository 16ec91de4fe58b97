import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI, step } from '../helpers/fake-openai-server.js';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { metricValue, parseMetrics } from '../helpers/prometheus.js';
import { freePort, spawnServer, useServerBuild, waitForHttp } from '../helpers/server-process.js';

useServerBuild();

const tmp = mkdtempSync(path.join(os.tmpdir(), 'telemetry-process-'));
let receiver: OtlpReceiver;
let fake: FakeOpenAI;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  fake = await startFakeOpenAI();
});

afterAll(async () => {
  await fake?.close();
  await receiver?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('metrics and traces of the real server process', { timeout: 60_000 }, () => {
  it('serves /metrics, puts trace_id in its log lines and flushes its spans on SIGTERM', async () => {
    const port = await freePort();
    const proc = spawnServer({
      SERVER_HOST: '127.0.0.1',
      SERVER_PORT: String(port),
      MCP_SERVER_URL: '',
      ORDER_DB_PATH: path.join(tmp, 'orders.db'),
      EMAIL_OUTBOX_DIR: path.join(tmp, 'outbox'),
      LOG_TO_FILE: 'false',
      LOG_LEVEL: 'info',
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'sk-process-telemetry',
      LLM_MAX_RETRIES: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_SERVICE_NAME: 'cs-agent-process',
    });
    await waitForHttp(`${proc.baseUrl}/health`, proc);
    fake.script(step.text('Hello from the model.'));
    const res = await fetch(`${proc.baseUrl}/api/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'process-trace', message: 'hello' }),
    });
    expect(res.status).toBe(200);

    const samples = parseMetrics(await (await fetch(`${proc.baseUrl}/metrics`)).text());
    expect(metricValue(samples, 'chat_turns_total', { status: 'ok' })).toBe(1);
    expect(metricValue(samples, 'llm_requests_total', { provider: 'openai', status: 'ok' })).toBe(1);

    expect(await proc.stop('SIGTERM')).toBe(0);
    const request = await receiver.waitForSpan('POST /api/v1/chat');
    expect(request.resource['service.name']).toBe('cs-agent-process');
    expect(receiver.spans.filter((s) => s.traceId === request.traceId).map((s) => s.name)).toEqual(
      expect.arrayContaining(['invoke_agent', 'chat gpt-4o-mini']),
    );

    const lines = proc
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const turnLine = lines.find((l) => l.msg === 'chat turn completed');
    expect(turnLine?.trace_id).toBe(request.traceId);
    expect(lines.find((l) => l.msg === 'service started')?.trace_id).toBeUndefined();
  });
});
