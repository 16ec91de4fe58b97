import type { ReadinessCheck } from '../health/readiness.js';
import type { ChatModel } from './types.js';

/** Critical: without an agent no chat can be answered. */
export function agentReadinessCheck(
  source: () => { toolCount(): number } | undefined,
  reason?: string,
): ReadinessCheck {
  return {
    name: 'agent',
    critical: true,
    run: () => {
      const agent = source();
      if (!agent) return { status: 'unhealthy', message: reason ?? 'The agent is not initialised' };
      return { status: 'healthy', details: { initialised: true, tools: agent.toolCount() } };
    },
  };
}

const OFFLINE_NOTE = 'deterministic intent router, not an LLM';
/** Operator advice; the offline assistant itself never gives it to a customer. */
export const LLM_SETUP_HINT =
  'To use a language model, set AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_RESPONSES_DEPLOYMENT_NAME (Azure OpenAI), or OPENAI_API_KEY and/or OPENAI_BASE_URL (OpenAI or a compatible server), and restart.';

/**
 * Reports what is known without calling the provider (a probe must never spend tokens): the provider,
 * the model or deployment, and how the last real call went.
 */
export function llmReadinessCheck(model: ChatModel | undefined): ReadinessCheck {
  return {
    name: 'llm',
    critical: false,
    run: () => {
      if (!model) return { status: 'unavailable', message: 'No language model could be initialised' };
      const status = model.status();
      const details: Record<string, unknown> = { provider: status.provider, model: status.model };
      if (status.provider === 'offline') {
        return {
          status: 'healthy',
          details: { ...details, mode: 'offline', note: OFFLINE_NOTE, configure: LLM_SETUP_HINT },
        };
      }
      if (status.lastCall) details.last_call = status.lastCall;
      if (status.fallback) {
        details.fallback = {
          provider: status.fallback.provider,
          model: status.fallback.model,
          ...(status.fallback.lastCall ? { last_call: status.fallback.lastCall } : {}),
        };
      }
      const breaker = status.breaker;
      if (breaker) {
        details.breaker = {
          state: breaker.state,
          consecutive_failures: breaker.consecutiveFailures,
          ...(breaker.retryAfterMs === undefined ? {} : { retry_after_ms: breaker.retryAfterMs }),
        };
      }
      if (breaker && breaker.state !== 'closed') {
        const seconds = Math.ceil((breaker.retryAfterMs ?? 0) / 1000);
        return {
          status: 'degraded',
          message:
            breaker.state === 'open'
              ? `The ${status.provider} circuit breaker is open after repeated failures; ${status.fallback ? 'the fallback model answers' : 'chat answers 503'} for ${seconds} s more`
              : `The ${status.provider} circuit breaker is half-open: a trial call decides whether it closes`,
          details,
        };
      }
      if (status.lastCall?.outcome === 'error') {
        return {
          status: 'degraded',
          message: `The last ${status.provider} call failed${status.lastCall.error ? `: ${status.lastCall.error}` : ''}`,
          details,
        };
      }
      return { status: 'healthy', details };
    },
  };
}
