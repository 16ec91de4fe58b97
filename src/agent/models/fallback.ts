import type { Logger } from 'pino';
import type { AppConfig } from '../../config/load-config.js';
import type { ChatModel } from '../types.js';
import { createOpenAIClient } from './create-model.js';
import { createOpenAICompatibleModel } from './openai-compatible.js';

type FallbackConfig = Pick<
  AppConfig,
  'FALLBACK_OPENAI_BASE_URL' | 'FALLBACK_OPENAI_API_KEY' | 'FALLBACK_OPENAI_MODEL'
>;

export function fallbackConfigured(config: FallbackConfig): boolean {
  return config.FALLBACK_OPENAI_BASE_URL !== undefined || config.FALLBACK_OPENAI_API_KEY !== undefined;
}

/**
 * The fallback model (any OpenAI-compatible endpoint) behind the circuit breaker, built like the
 * primary OpenAI client (same timeout and retries); undefined when none is configured.
 */
export function createFallbackModel(config: AppConfig, logger: Logger): ChatModel | undefined {
  if (!fallbackConfigured(config)) return undefined;
  const client = createOpenAIClient(
    {
      ...config,
      OPENAI_API_KEY: config.FALLBACK_OPENAI_API_KEY,
      OPENAI_BASE_URL: config.FALLBACK_OPENAI_BASE_URL,
    },
    logger,
  );
  return createOpenAICompatibleModel({
    client,
    model: config.FALLBACK_OPENAI_MODEL ?? config.OPENAI_MODEL,
    provider: 'openai',
    logger: logger.child({ role: 'fallback' }),
  });
}
