import OpenAI from 'openai';
import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChatModel } from '../../src/agent/models/create-model.js';
import { createOpenAICompatibleModel } from '../../src/agent/models/openai-compatible.js';
import { loadConfig } from '../../src/config/load-config.js';
import { type FakeOpenAI, startFakeOpenAI, step } from '../helpers/fake-openai-server.js';
import { captureLogger, closedPort, runStep, silentLogger, textOf, userRequest } from './models-harness.js';

const API_KEY = 'sk-live-SECRET-0123456789abcdef';
const PROVIDER_BODY = 'PROVIDER-INTERNAL-DETAIL quota for org-xyz exceeded';

let fake: FakeOpenAI;

beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  await fake.close();
});

/** The model exactly as the server builds it: from configuration, through createChatModel. */
function configuredModel(env: Record<string, string>, logger: Logger = silentLogger) {
  const config = loadConfig({
    LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: API_KEY,
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_MODEL: 'gpt-test',
    LLM_TIMEOUT_MS: '5000',
    LLM_MAX_RETRIES: '0',
    ...env,
  });
  return createChatModel({ config, logger });
}

describe('OpenAI-compatible model: retries (the SDK is the only retry layer)', () => {
  it('retries a 429 after its retry-after and then answers: exactly 2 attempts with LLM_MAX_RETRIES=1', async () => {
    fake.script(step.error(429, { retryAfter: 0 }), step.text('Sorry for the wait, here it is.'));

    const { events, error } = await runStep(configuredModel({ LLM_MAX_RETRIES: '1' }), userRequest('Hi'));

    expect(error).toBeUndefined();
    expect(textOf(events)).toBe('Sorry for the wait, here it is.');
    expect(fake.requests).toHaveLength(2);
  });

  it('gives up on a persistent 500 after LLM_MAX_RETRIES + 1 attempts with a provider error', async () => {
    fake.script(
      step.error(500, { retryAfter: 0, body: PROVIDER_BODY }),
      step.error(500, { retryAfter: 0, body: PROVIDER_BODY }),
      step.error(500, { retryAfter: 0, body: PROVIDER_BODY }),
    );

    const { error } = await runStep(configuredModel({ LLM_MAX_RETRIES: '2' }), userRequest('Hi'));

    expect(fake.requests).toHaveLength(3);
    expect(error).toMatchObject({ kind: 'provider', status: 500 });
    expect(error?.message).toBe('The language model provider failed (HTTP 500)');
    expect(fake.remainingSteps()).toBe(0);
  });

  it('does not retry a stream that died after its first token: one request, the token was delivered', async () => {
    fake.script(
      step.dies('Your order', { chunkSize: 4 }),
      step.text('a second answer that must never be asked for'),
    );

    const { events, error } = await runStep(configuredModel({ LLM_MAX_RETRIES: '2' }), userRequest('Hi'));

    expect(textOf(events)).toBe('Your order');
    expect(error).toMatchObject({ kind: 'provider', message: 'The language model reply was interrupted' });
    expect(fake.requests).toHaveLength(1);
    expect(fake.remainingSteps()).toBe(1);
  });

  it('does not retry a malformed chunk: a provider error after one request', async () => {
    fake.script(step.malformed('Hel'), step.text('never asked for'));

    const { events, error } = await runStep(configuredModel({ LLM_MAX_RETRIES: '2' }), userRequest('Hi'));

    expect(textOf(events)).toBe('Hel');
    expect(error).toMatchObject({ kind: 'provider', message: 'The language model sent a malformed reply' });
    expect(fake.requests).toHaveLength(1);
  });
});

describe('OpenAI-compatible model: failures map to safe ModelErrors', () => {
  it('turns rejected credentials into "unavailable" without retrying', async () => {
    fake.script(step.error(401, { body: PROVIDER_BODY }));

    const { error } = await runStep(configuredModel({ LLM_MAX_RETRIES: '2' }), userRequest('Hi'));

    expect(error).toMatchObject({
      kind: 'unavailable',
      status: 401,
      message: 'The language model rejected the credentials',
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('turns a provider that never answers into "timeout" and hangs up on it', async () => {
    fake.script(step.hang());

    const { error } = await runStep(
      configuredModel({ LLM_TIMEOUT_MS: '200', LLM_MAX_RETRIES: '0' }),
      userRequest('Hi'),
    );

    expect(error).toMatchObject({ kind: 'timeout', message: 'The language model did not answer in time' });
    const gone = await fake.waitForClientGone(0);
    expect(gone.clientWentAway).toBe(true);
  });

  it('turns a reply that stalls half-way into "timeout" once the idle limit passes', async () => {
    fake.script(step.text('Let me', { ending: 'hang' }));
    const client = new OpenAI({ apiKey: API_KEY, baseURL: fake.baseURL, maxRetries: 0, timeout: 5_000 });
    const model = createOpenAICompatibleModel({
      client,
      model: 'gpt-test',
      provider: 'openai',
      logger: silentLogger,
      idleTimeoutMs: 300,
    });

    const { events, error } = await runStep(model, userRequest('Hi'));

    expect(textOf(events)).toBe('Let me');
    expect(error).toMatchObject({ kind: 'timeout' });
    await fake.waitForClientGone(0);
  });

  it('aborts at once when the caller signal fires, and the provider sees its socket closed', async () => {
    fake.script(step.hang());
    const controller = new AbortController();

    const outcome = runStep(
      configuredModel({ LLM_MAX_RETRIES: '2' }),
      userRequest('Hi', { signal: controller.signal }),
    );
    await fake.waitForRequests(1);
    controller.abort();

    const { error } = await outcome;
    expect(error).toMatchObject({ kind: 'aborted' });
    const gone = await fake.waitForClientGone(0);
    expect(gone.clientWentAway).toBe(true);
    expect(fake.requests).toHaveLength(1);
  });

  it('aborts at once while the SDK waits out a long Retry-After before retrying', async () => {
    fake.script(step.error(429, { retryAfter: 600 }), step.text('never asked for'));
    let retryScheduled!: () => void;
    const sleepingBeforeRetry = new Promise<void>((resolve) => {
      retryScheduled = resolve;
    });
    const ignore = () => undefined;
    const client = new OpenAI({
      apiKey: API_KEY,
      baseURL: fake.baseURL,
      maxRetries: 1,
      // The SDK logs "retrying" at info right before it starts sleeping for the Retry-After.
      logLevel: 'info',
      logger: {
        error: ignore,
        warn: ignore,
        debug: ignore,
        info: (message: string) => {
          if (message.includes('retrying')) retryScheduled();
        },
      },
    });
    const model = createOpenAICompatibleModel({
      client,
      model: 'gpt-test',
      provider: 'openai',
      logger: silentLogger,
    });
    const controller = new AbortController();

    const outcome = runStep(model, userRequest('Hi', { signal: controller.signal }));
    await sleepingBeforeRetry;
    controller.abort();

    const { error } = await outcome;
    expect(error).toMatchObject({ kind: 'aborted' });
    expect(fake.requests).toHaveLength(1);
  });

  it('does not call the provider at all when the signal has already fired', async () => {
    const controller = new AbortController();
    controller.abort();

    const { error } = await runStep(configuredModel({}), userRequest('Hi', { signal: controller.signal }));

    expect(error).toMatchObject({ kind: 'aborted' });
    expect(fake.requests).toHaveLength(0);
  });

  it('turns an unreachable endpoint into "unavailable"', async () => {
    const port = await closedPort();

    const { error } = await runStep(
      configuredModel({ OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` }),
      userRequest('Hi'),
    );

    expect(error).toMatchObject({
      kind: 'unavailable',
      message: 'The language model endpoint is unreachable',
    });
    expect(error?.message).not.toContain(String(port));
  });

  it('does not take a reply that ended early without a finish_reason for a complete one', async () => {
    fake.script(step.text('Your refund of', { ending: 'cut' }));

    const { events, error } = await runStep(configuredModel({}), userRequest('Hi'));

    expect(textOf(events)).toBe('Your refund of');
    expect(error).toMatchObject({ kind: 'provider', message: 'The language model sent a malformed reply' });
  });

  it('turns an error reported inside the stream into a provider error, after the text already sent', async () => {
    fake.script(step.streamError('Let me see', PROVIDER_BODY), step.text('never asked for'));

    const { events, error } = await runStep(configuredModel({ LLM_MAX_RETRIES: '2' }), userRequest('Hi'));

    expect(textOf(events)).toBe('Let me see');
    expect(error).toMatchObject({
      kind: 'provider',
      message: 'The language model provider reported an error',
    });
    expect(fake.requests).toHaveLength(1);
  });
});

describe('OpenAI-compatible model: secrets stay out of logs and messages', () => {
  it('never logs the API key, the provider body or its URL at info, whatever goes wrong', async () => {
    const capture = captureLogger('info');
    fake.script(
      step.text('fine'),
      step.error(500, { body: PROVIDER_BODY, headers: { 'x-should-retry': 'false' } }),
      step.error(403, { body: PROVIDER_BODY }),
      step.malformed(PROVIDER_BODY),
      step.dies(PROVIDER_BODY),
      step.streamError('', PROVIDER_BODY),
    );
    const model = configuredModel({}, capture.logger);

    const errors = [];
    for (let i = 0; i < 6; i += 1) errors.push((await runStep(model, userRequest(`question ${i}`))).error);
    const unreachable = configuredModel(
      { OPENAI_BASE_URL: `http://127.0.0.1:${await closedPort()}/v1` },
      capture.logger,
    );
    errors.push((await runStep(unreachable, userRequest('Hi'))).error);

    const logs = capture.text();
    expect(logs).toContain('language model call failed');
    for (const secretish of [API_KEY, 'PROVIDER-INTERNAL', '127.0.0.1']) {
      expect(logs).not.toContain(secretish);
      for (const error of errors) expect(error?.message ?? '').not.toContain(secretish);
    }
    expect(errors.slice(1).every((e) => e !== undefined)).toBe(true);
  });

  it('keeps the API key out of the logs even at debug, where request details are logged', async () => {
    const capture = captureLogger('debug');
    fake.script(step.text('fine'), step.error(400, { body: PROVIDER_BODY }));
    const model = configuredModel({}, capture.logger);

    await runStep(model, userRequest('a'));
    await runStep(model, userRequest('b'));

    const logs = capture.text();
    expect(logs).toContain('openai-sdk');
    expect(logs).not.toContain(API_KEY);
  });
});
