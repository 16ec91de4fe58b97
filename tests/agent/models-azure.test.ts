import type { AccessToken, TokenCredential } from '@azure/identity';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AZURE_COGNITIVE_SERVICES_SCOPE } from '../../src/agent/models/azure.js';
import { createChatModel } from '../../src/agent/models/create-model.js';
import type { ChatModel } from '../../src/agent/types.js';
import { loadConfig } from '../../src/config/load-config.js';
import { type FakeOpenAI, startFakeOpenAI, step } from '../helpers/fake-openai-server.js';
import { captureLogger, runStep, silentLogger, textOf, userRequest } from './models-harness.js';

const AZURE_KEY = 'azure-key-SECRET-9f8e7d6c5b4a';

let fake: FakeOpenAI;

beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  await fake.close();
});

function azureEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    LLM_PROVIDER: 'auto',
    AZURE_OPENAI_ENDPOINT: fake.azureEndpoint,
    AZURE_OPENAI_RESPONSES_DEPLOYMENT_NAME: 'gpt-4o-support',
    AZURE_OPENAI_API_VERSION: '2024-10-21',
    LLM_MAX_RETRIES: '0',
    ...extra,
  };
}

/** A stand-in for DefaultAzureCredential that hands out a fixed token and records the scopes asked for. */
function fakeCredential(token: string): TokenCredential & { scopes: Array<string | string[]> } {
  const scopes: Array<string | string[]> = [];
  return {
    scopes,
    async getToken(requested: string | string[]): Promise<AccessToken> {
      scopes.push(requested);
      return { token, expiresOnTimestamp: Date.now() + 60 * 60 * 1000 };
    },
  };
}

describe('Azure OpenAI model', () => {
  it('calls the deployment path with the api-version and the api-key header', async () => {
    fake.script(step.text('Hello from Azure.', { chunkSize: 5 }));
    const model = createChatModel({
      config: loadConfig(azureEnv({ AZURE_OPENAI_API_KEY: AZURE_KEY })),
      logger: silentLogger,
    });

    const { events, error } = await runStep(model, userRequest('Hi'));

    expect(error).toBeUndefined();
    expect(textOf(events)).toBe('Hello from Azure.');
    const [request] = fake.requests;
    expect(request?.path).toBe('/openai/deployments/gpt-4o-support/chat/completions');
    expect(request?.deployment).toBe('gpt-4o-support');
    expect(request?.apiVersion).toBe('2024-10-21');
    expect(request?.apiKey).toBe(AZURE_KEY);
    expect(request?.authorization).toBeUndefined();
    expect(request?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(model.status()).toMatchObject({
      provider: 'azure',
      model: 'gpt-4o-support',
      lastCall: { outcome: 'ok' },
    });
  });

  it('accepts an endpoint written with a trailing slash', async () => {
    fake.script(step.text('ok'));
    const model = createChatModel({
      config: loadConfig(
        azureEnv({ AZURE_OPENAI_ENDPOINT: `${fake.azureEndpoint}/`, AZURE_OPENAI_API_KEY: AZURE_KEY }),
      ),
      logger: silentLogger,
    });

    await runStep(model, userRequest('Hi'));

    expect(fake.requests[0]?.path).toBe('/openai/deployments/gpt-4o-support/chat/completions');
  });

  it('uses the origin of AZURE_AI_PROJECT_ENDPOINT when it is the only endpoint set', async () => {
    fake.script(step.text('ok'));
    const env = azureEnv({
      AZURE_OPENAI_API_KEY: AZURE_KEY,
      AZURE_AI_PROJECT_ENDPOINT: `${fake.origin}/api/projects/p1`,
    });
    delete env.AZURE_OPENAI_ENDPOINT;

    const { error } = await runStep(
      createChatModel({ config: loadConfig(env), logger: silentLogger }),
      userRequest('Hi'),
    );

    expect(error).toBeUndefined();
    expect(fake.requests[0]?.deployment).toBe('gpt-4o-support');
  });

  it('authenticates with a Microsoft Entra ID bearer token when no API key is configured', async () => {
    fake.script(step.text('first'), step.text('second'));
    const credential = fakeCredential('entra-token-abc123');
    const model = createChatModel({ config: loadConfig(azureEnv()), logger: silentLogger, credential });

    await runStep(model, userRequest('a'));
    await runStep(model, userRequest('b'));

    expect(fake.requests.map((r) => r.authorization)).toEqual([
      'Bearer entra-token-abc123',
      'Bearer entra-token-abc123',
    ]);
    expect(fake.requests.every((r) => r.apiKey === undefined)).toBe(true);
    expect(credential.scopes.flat()).toContain(AZURE_COGNITIVE_SERVICES_SCOPE);
    // The token is cached until it nears expiry rather than fetched for every call.
    expect(credential.scopes).toHaveLength(1);
  });

  it('reports a credential that cannot produce a token as "unavailable", without calling Azure', async () => {
    const capture = captureLogger('info');
    const credential: TokenCredential = {
      async getToken(): Promise<AccessToken> {
        throw new Error('EnvironmentCredential: AZURE_CLIENT_SECRET=very-secret is invalid');
      },
    };
    const model: ChatModel = createChatModel({
      config: loadConfig(azureEnv()),
      logger: capture.logger,
      credential,
    });

    const { error } = await runStep(model, userRequest('Hi'));

    expect(error).toMatchObject({
      kind: 'unavailable',
      message: 'The language model credentials could not be obtained',
    });
    expect(fake.requests).toHaveLength(0);
    expect(capture.text()).not.toContain('very-secret');
    expect(model.status().lastCall).toMatchObject({ outcome: 'error' });
  });

  it('keeps the Azure api-key out of the logs even at debug', async () => {
    const capture = captureLogger('debug');
    fake.script(step.text('ok'), step.error(403));
    const model = createChatModel({
      config: loadConfig(azureEnv({ AZURE_OPENAI_API_KEY: AZURE_KEY })),
      logger: capture.logger,
    });

    await runStep(model, userRequest('a'));
    const { error } = await runStep(model, userRequest('b'));

    expect(error).toMatchObject({
      kind: 'unavailable',
      message: 'The language model rejected the credentials',
    });
    expect(capture.text()).toContain('api-key');
    expect(capture.text()).not.toContain(AZURE_KEY);
  });
});

describe('createChatModel', () => {
  it('returns the offline model it is given when no LLM is configured', () => {
    const offline: ChatModel = {
      provider: 'offline',
      model: 'intent-router',
      async *stream() {
        yield { type: 'text', delta: 'offline' };
      },
      status: () => ({ provider: 'offline', model: 'intent-router' }),
    };
    const config = loadConfig({});
    expect(config.llmProvider).toBe('offline');

    expect(createChatModel({ config, logger: silentLogger, offlineModel: offline })).toBe(offline);
    expect(() => createChatModel({ config, logger: silentLogger })).toThrow(/offline model/);
  });

  it('talks to a local OpenAI-compatible server with no API key (OPENAI_BASE_URL only)', async () => {
    fake.script(step.text('Hi from a local model'));
    const config = loadConfig({ OPENAI_BASE_URL: fake.baseURL, OPENAI_MODEL: 'llama3.1' });
    expect(config.llmProvider).toBe('openai');

    const model = createChatModel({ config, logger: silentLogger });
    const { events } = await runStep(model, userRequest('Hi'));

    expect(textOf(events)).toBe('Hi from a local model');
    expect(fake.requests[0]?.body.model).toBe('llama3.1');
    expect(fake.requests[0]?.authorization).toBe('Bearer not-needed');
    expect(model.status()).toMatchObject({ provider: 'openai', model: 'llama3.1' });
  });
});
