import type { Logger } from 'pino';
import {
  type ChatModel,
  ModelError,
  type ModelEvent,
  type ModelRequest,
  type ModelStatus,
} from '../types.js';

export type BreakerState = 'closed' | 'half_open' | 'open';

export const CIRCUIT_OPEN_MESSAGE =
  'The language model provider is failing; new requests are paused for a moment';

/** Answered at once while the breaker is open and no fallback model is configured. */
export class CircuitOpenError extends ModelError {
  constructor(retryAfterMs: number) {
    super('unavailable', CIRCUIT_OPEN_MESSAGE, { retryAfterMs });
    this.name = 'CircuitOpenError';
  }
}

export interface CircuitBreakerOptions {
  primary: ChatModel;
  /** Used while the breaker is open, and when the primary fails before its first token. */
  fallback?: ChatModel | undefined;
  /** Consecutive failures that open the breaker; 0 never opens it (the fallback still applies). */
  failureThreshold: number;
  cooldownMs: number;
  logger: Logger;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** Statuses that say our request was wrong, not that the provider is failing. */
const CLIENT_MISTAKES = new Set([400, 404, 413, 422]);

function isProviderFailure(err: unknown): boolean {
  if (!(err instanceof ModelError)) return true;
  return err.status === undefined || !CLIENT_MISTAKES.has(err.status);
}

/**
 * A ChatModel in front of the provider: after `failureThreshold` consecutive provider failures (client
 * aborts and our own request mistakes do not count) it opens and, for `cooldownMs`, answers at once
 * (CircuitOpenError, a 503 with Retry-After) or hands the call to the fallback model. After the cooldown
 * it half-opens: one trial call goes to the provider, closing the breaker on success and opening it
 * for another cooldown on failure; meanwhile other calls are treated as if it were open.
 *
 * A primary call that fails before its first text delta or tool call is retried once on the fallback;
 * one that fails after the client saw output is not (the answer cannot be taken back).
 */
export function createCircuitBreakerModel(options: CircuitBreakerOptions): ChatModel {
  const { primary, fallback, failureThreshold, cooldownMs } = options;
  const logger = options.logger.child({ component: 'llm-breaker' });
  const now = options.now ?? Date.now;
  let state: BreakerState = 'closed';
  let consecutiveFailures = 0;
  let openedAt = 0;
  let trialInFlight = false;

  function currentState(): BreakerState {
    if (state === 'open' && now() - openedAt >= cooldownMs) {
      state = 'half_open';
      trialInFlight = false;
      logger.info('circuit breaker half-open: the next call is a trial');
    }
    return state;
  }

  function retryAfterMs(): number {
    return state === 'open' ? Math.max(0, openedAt + cooldownMs - now()) : 1000;
  }

  function open(reason: string): void {
    state = 'open';
    openedAt = now();
    trialInFlight = false;
    logger.warn(
      {
        consecutive_failures: consecutiveFailures,
        cooldown_ms: cooldownMs,
        reason,
        fallback: fallback?.model,
      },
      'circuit breaker opened: the language model provider is failing',
    );
  }

  function succeeded(): void {
    consecutiveFailures = 0;
    if (state !== 'closed') logger.info('circuit breaker closed: the language model provider answers again');
    state = 'closed';
    trialInFlight = false;
  }

  function failed(trial: boolean, err: unknown): void {
    consecutiveFailures++;
    const reason = err instanceof Error ? err.message : String(err);
    if (trial) open(`trial call failed: ${reason}`);
    else if (state === 'closed' && failureThreshold > 0 && consecutiveFailures >= failureThreshold)
      open(reason);
  }

  async function* viaPrimary(
    request: ModelRequest,
    trial: boolean,
  ): AsyncGenerator<ModelEvent, void, undefined> {
    let output = false;
    let settled = false;
    try {
      for await (const event of primary.stream(request)) {
        if (event.type !== 'usage') output = true;
        yield event;
      }
      settled = true;
      succeeded();
    } catch (err) {
      settled = true;
      if (request.signal.aborted || !isProviderFailure(err)) {
        if (trial) trialInFlight = false;
        throw err;
      }
      failed(trial, err);
      if (output || !fallback) throw err;
      logger.warn(
        { reason: err instanceof Error ? err.message : String(err), fallback: fallback.model },
        'language model failed before its first token; asking the fallback model',
      );
      yield* fallback.stream(request);
    } finally {
      // The consumer stopped early (client gone): the trial proved nothing either way.
      if (!settled && trial) trialInFlight = false;
    }
  }

  async function* stream(request: ModelRequest): AsyncGenerator<ModelEvent, void, undefined> {
    const current = currentState();
    if (current === 'closed') {
      yield* viaPrimary(request, false);
      return;
    }
    if (current === 'half_open' && !trialInFlight) {
      trialInFlight = true;
      yield* viaPrimary(request, true);
      return;
    }
    if (fallback) {
      yield* fallback.stream(request);
      return;
    }
    throw new CircuitOpenError(retryAfterMs());
  }

  return {
    provider: primary.provider,
    model: primary.model,
    stream,
    status(): ModelStatus {
      const breakerState = currentState();
      const { breaker: _b, fallback: _f, ...fallbackStatus } = fallback?.status() ?? ({} as ModelStatus);
      return {
        ...primary.status(),
        breaker: {
          state: breakerState,
          consecutiveFailures,
          ...(breakerState === 'closed' ? {} : { retryAfterMs: retryAfterMs() }),
        },
        ...(fallback ? { fallback: fallbackStatus } : {}),
      };
    },
  };
}
