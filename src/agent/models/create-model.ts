import type { TokenCredential } from '@azure/identity';
import OpenAI from 'openai';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config/load-config.js';
import type { ChatModel } from '../types.js';
import { createAzureChatModel } from './azure.js';
import { createHttpFetch } from './http-fetch.js';
import { createOpenAICompatibleModel } from './openai-compatible.js';
import { sdkLogOptions } from './sdk-logger.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export interface CreateChatModelDeps {
  config: AppConfig;
  logger: Logger;
  /** Entra ID credential for Azure without an API key; `DefaultAzureCredential` when omitted. */
  credential?: TokenCredential;
  /** Returned as is when `config.llmProvider` is 'offline'. */
  offlineModel?: ChatModel;
}

export function createOpenAIClient(config: AppConfig, logger: Logger): OpenAI {
  // Every option is explicit so that the SDK never falls back to process.env.
  return new OpenAI({
    // Local servers (Ollama, vLLM, LM Studio…) ignore the key, but the SDK requires one.
    apiKey: config.OPENAI_API_KEY ?? 'not-needed',
    baseURL: config.OPENAI_BASE_URL ?? OPENAI_DEFAULT_BASE_URL,
    timeout: config.LLM_TIMEOUT_MS,
    maxRetries: config.LLM_MAX_RETRIES,
    organization: null,
    project: null,
    // node:http with keep-alive instead of the global fetch: the same pooling, far less per call.
    fetch: createHttpFetch(),
    ...sdkLogOptions(logger),
  });
}

/** The ChatModel for `config.llmProvider` (already resolved from LLM_PROVIDER=auto by loadConfig). */
export function createChatModel({
  config,
  logger,
  credential,
  offlineModel,
}: CreateChatModelDeps): ChatModel {
  switch (config.llmProvider) {
    case 'azure':
      return createAzureChatModel({ config, logger, ...(credential ? { credential } : {}) });
    case 'openai':
      return createOpenAICompatibleModel({
        client: createOpenAIClient(config, logger),
        model: config.OPENAI_MODEL,
        provider: 'openai',
        logger,
      });
    case 'offline':
      if (!offlineModel) throw new Error('LLM provider is offline but no offline model was passed in');
      return offlineModel;
  }
}
