import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CircuitOpenError, createCircuitBreakerModel } from '../../src/agent/models/breaker.js';
import { createOpenAICompatibleModel } from '../../src/agent/models/openai-compatible.js';
import type { ChatModel } from '../../src/agent/types.js';
import { type FakeOpenAI, startFakeOpenAI, step } from '../helpers/fake-openai-server.js';
import { type FullApp, parseSse, startFullApp } from '../helpers/full-app.js';
import { metricValue, parseMetrics } from '../helpers/prometheus.js';
import { runStep, silentLogger, textOf, userRequest } from './models-harness.js';

let primaryServer: FakeOpenAI;
let fallbackServer: FakeOpenAI;

beforeAll(async () => {
  primaryServer = await startFakeOpenAI();
  fallbackServer = await startFakeOpenAI();
});

afterAll(async () => {
  await primaryServer?.close();
  await fallbackServer?.close();
});

beforeEach(() => {
  primaryServer.reset();
  fallbackServer.reset();
});

function sdkModel(server: FakeOpenAI, model: string): ChatModel {
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: server.baseURL, maxRetries: 0, timeout: 10_000 });
  return createOpenAICompatibleModel({ client, model, provider: 'openai', logger: silentLogger });
}

describe('circuit breaker around the real SDK', () => {
  let clock = 0;
  const COOLDOWN = 30_000;
  const breaker = (fallback?: ChatModel) =>
    createCircuitBreakerModel({
      primary: sdkModel(primaryServer, 'primary-model'),
      fallback,
      failureThreshold: 3,
      cooldownMs: COOLDOWN,
      logger: silentLogger,
      now: () => clock,
    });

  beforeEach(() => {
    clock = 1_000_000;
  });

  it('opens after the configured failures, then fails fast without calling the provider', async () => {
    const model = breaker();
    primaryServer.script(step.error(500), step.error(503), step.error(500));
    for (let i = 0; i < 3; i++) {
      const { error } = await runStep(model, userRequest('hello'));
      expect(error?.kind).toBe('provider');
    }
    expect(model.status().breaker).toMatchObject({ state: 'open', consecutiveFailures: 3 });

    clock += 10_000;
    const { error } = await runStep(model, userRequest('hello'));
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error?.kind).toBe('unavailable');
    expect(error?.retryAfterMs).toBe(20_000);
    expect(primaryServer.requests).toHaveLength(3);
  });

  it('half-opens after the cooldown with one trial call, and closes when it succeeds', async () => {
    const model = breaker();
    primaryServer.script(step.error(500), step.error(500), step.error(500));
    for (let i = 0; i < 3; i++) await runStep(model, userRequest('hello'));
    clock += COOLDOWN;
    expect(model.status().breaker?.state).toBe('half_open');

    // The trial is slow; a call arriving meanwhile is not let through.
    primaryServer.script(step.text('Back again', { delayMs: 200, chunkSize: 2 }));
    const trial = runStep(model, userRequest('trial'));
    await primaryServer.waitForRequests(4);
    const meanwhile = await runStep(model, userRequest('meanwhile'));
    expect(meanwhile.error).toBeInstanceOf(CircuitOpenError);
    const outcome = await trial;
    expect(textOf(outcome.events)).toBe('Back again');
    expect(model.status().breaker).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    expect(primaryServer.requests).toHaveLength(4);

    primaryServer.script(step.text('Normal service'));
    expect(textOf((await runStep(model, userRequest('again'))).events)).toBe('Normal service');
  });

  it('opens again for a whole cooldown when the trial call fails', async () => {
    const model = breaker();
    primaryServer.script(step.error(500), step.error(500), step.error(500), step.error(500));
    for (let i = 0; i < 3; i++) await runStep(model, userRequest('hello'));
    clock += COOLDOWN;
    const trial = await runStep(model, userRequest('trial'));
    expect(trial.error?.kind).toBe('provider');
    expect(model.status().breaker).toMatchObject({ state: 'open', retryAfterMs: COOLDOWN });
  });

  it('does not count client aborts or request mistakes (400) as provider failures', async () => {
    const model = breaker();
    for (let i = 0; i < 3; i++) {
      primaryServer.script(step.hang());
      const controller = new AbortController();
      const run = runStep(model, userRequest('hello', { signal: controller.signal }));
      await primaryServer.waitForRequests(i + 1);
      controller.abort();
      expect((await run).error?.kind).toBe('aborted');
    }
    primaryServer.script(step.error(400), step.error(400), step.error(400));
    for (let i = 0; i < 3; i++) await runStep(model, userRequest('too long'));
    expect(model.status().breaker).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('asks the fallback when the primary fails before its first token, never after', async () => {
    const model = breaker(sdkModel(fallbackServer, 'fallback-model'));
    primaryServer.script(step.error(500));
    fallbackServer.script(step.text('From the fallback'));
    const rescued = await runStep(model, userRequest('hello'));
    expect(rescued.error).toBeUndefined();
    expect(textOf(rescued.events)).toBe('From the fallback');
    expect(fallbackServer.requests[0]?.body.model).toBe('fallback-model');

    primaryServer.script(step.dies('Half an ans'));
    const broken = await runStep(model, userRequest('hello'));
    expect(textOf(broken.events)).toBe('Half an ans');
    expect(broken.error?.kind).toBe('provider');
    expect(fallbackServer.requests).toHaveLength(1);
  });

  it('answers from the fallback while open, without calling the primary', async () => {
    const model = breaker(sdkModel(fallbackServer, 'fallback-model'));
    primaryServer.script(step.error(500), step.error(500), step.error(500));
    fallbackServer.script(step.text('a'), step.text('b'), step.text('c'), step.text('While open'));
    for (let i = 0; i < 3; i++) await runStep(model, userRequest('hello'));
    expect(model.status().breaker?.state).toBe('open');
    const answer = await runStep(model, userRequest('hello'));
    expect(textOf(answer.events)).toBe('While open');
    expect(primaryServer.requests).toHaveLength(3);
    expect(model.status().fallback).toMatchObject({ model: 'fallback-model', lastCall: { outcome: 'ok' } });
  });
});

describe('circuit breaker through HTTP', () => {
  let service: FullApp;

  afterAll(async () => {
    await service?.close();
  });

  it('answers 503 AGENT_UNAVAILABLE with Retry-After at once while open, and says so in readiness and metrics', async () => {
    service = await startFullApp(
      {
        LLM_PROVIDER: 'openai',
        OPENAI_BASE_URL: primaryServer.baseURL,
        OPENAI_API_KEY: 'sk-breaker-test',
        LLM_MAX_RETRIES: '0',
        LLM_BREAKER_FAILURES: '2',
        LLM_BREAKER_COOLDOWN_MS: '60000',
      },
      { listen: true },
    );
    const post = (path: string, message: string) =>
      fetch(`${service.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ session_id: 'breaker-http', message }),
      });
    primaryServer.script(step.error(500), step.error(500));
    expect((await post('/api/v1/chat', 'one')).status).toBe(502);
    expect((await post('/api/v1/chat', 'two')).status).toBe(502);

    const fast = await post('/api/v1/chat', 'three');
    expect(fast.status).toBe(503);
    const retryAfter = Number(fast.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await fast.json()).toMatchObject({ error: 'AGENT_UNAVAILABLE' });

    // The stream route answers the same way before any event: a JSON error with its real status.
    const stream = await post('/api/v1/chat/stream', 'four');
    expect(stream.status).toBe(503);
    expect(stream.headers.get('content-type')).toMatch(/application\/json/);
    expect(stream.headers.get('retry-after')).not.toBeNull();
    expect(primaryServer.requests).toHaveLength(2);

    const readiness = (await (await fetch(`${service.baseUrl}/health/readiness`)).json()) as {
      status: string;
      checks: {
        llm: { status: string; details: { breaker: { state: string; consecutive_failures: number } } };
      };
    };
    expect(readiness.checks.llm.status).toBe('degraded');
    expect(readiness.checks.llm.details.breaker).toMatchObject({ state: 'open', consecutive_failures: 2 });

    const samples = parseMetrics(await (await fetch(`${service.baseUrl}/metrics`)).text());
    expect(metricValue(samples, 'llm_breaker_open')).toBe(1);
    expect(metricValue(samples, 'llm_breaker_state')).toBe(2);
    expect(metricValue(samples, 'chat_turns_total', { status: 'unavailable' })).toBe(2);
  });

  it('lets the fallback model answer when the primary fails, and while the breaker is open', async () => {
    await service?.close();
    service = await startFullApp(
      {
        LLM_PROVIDER: 'openai',
        OPENAI_BASE_URL: primaryServer.baseURL,
        OPENAI_API_KEY: 'sk-breaker-test',
        OPENAI_MODEL: 'primary-model',
        LLM_MAX_RETRIES: '0',
        LLM_BREAKER_FAILURES: '1',
        FALLBACK_OPENAI_BASE_URL: fallbackServer.baseURL,
        FALLBACK_OPENAI_MODEL: 'fallback-model',
        FALLBACK_OPENAI_API_KEY: 'sk-fallback-key',
      },
      { listen: true },
    );
    primaryServer.script(step.error(500));
    fallbackServer.script(step.text('The fallback speaks.'), step.text('Still the fallback.'));
    const first = await fetch(`${service.baseUrl}/api/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'fallback-http', message: 'hello' }),
    });
    expect(first.status).toBe(200);
    expect(((await first.json()) as { message: string }).message).toBe('The fallback speaks.');
    expect(fallbackServer.requests[0]?.authorization).toBe('Bearer sk-fallback-key');

    const second = await fetch(`${service.baseUrl}/api/v1/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'fallback-http', message: 'again' }),
    });
    const events = parseSse(await second.text()).events;
    expect(
      events
        .filter((e) => e.type === 'token')
        .map((e) => e.content)
        .join(''),
    ).toBe('Still the fallback.');
    expect(events.at(-1)?.type).toBe('done');
    expect(primaryServer.requests).toHaveLength(1);

    const readiness = (await (await fetch(`${service.baseUrl}/health/readiness`)).json()) as {
      checks: { llm: { details: Record<string, unknown> } };
    };
    expect(readiness.checks.llm.details).toMatchObject({
      breaker: { state: 'open' },
      fallback: { model: 'fallback-model' },
    });
    const samples = parseMetrics(await (await fetch(`${service.baseUrl}/metrics`)).text());
    expect(metricValue(samples, 'llm_requests_total', { model: 'fallback-model', status: 'ok' })).toBe(2);
    expect(metricValue(samples, 'llm_requests_total', { model: 'primary-model', status: 'error' })).toBe(1);
    expect(JSON.stringify(readiness)).not.toContain('sk-fallback-key');
  });
});
