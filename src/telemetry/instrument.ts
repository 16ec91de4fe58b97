import type { ToolCallWrapper } from '../agent/loop.js';
import { type ChatModel, ModelError, type ModelEvent, type ModelRequest } from '../agent/types.js';
import type { LlmCallStatus, Metrics, TurnStatus } from './metrics.js';

export interface Instruments {
  metrics?: Metrics | undefined;
}

function llmStatusOf(err: unknown, signal: AbortSignal): LlmCallStatus {
  if (signal.aborted) return 'cancelled';
  if (err instanceof ModelError && err.kind === 'timeout') return 'timeout';
  return 'error';
}

/**
 * A ChatModel that measures every call of the model it wraps: outcome and duration, time to the
 * first text delta or tool call, and the reported tokens. A call the consumer stops early (the
 * client went away) counts as cancelled.
 */
export function instrumentModel(model: ChatModel, instruments: Instruments): ChatModel {
  const metrics = instruments.metrics;
  if (!metrics) return model;
  const m: Metrics = metrics;
  const { provider } = model;
  const name = model.model;

  async function* stream(request: ModelRequest): AsyncGenerator<ModelEvent, void, undefined> {
    const started = performance.now();
    let status: LlmCallStatus | undefined;
    let first = true;
    try {
      for await (const event of model.stream(request)) {
        if (event.type === 'usage') {
          m.recordTokens(event.usage.prompt_tokens, event.usage.completion_tokens);
        } else if (first) {
          first = false;
          m.recordFirstToken(provider, name, (performance.now() - started) / 1000);
        }
        yield event;
      }
      status = 'ok';
    } catch (err) {
      status = llmStatusOf(err, request.signal);
      throw err;
    } finally {
      m.recordLlmCall(provider, name, status ?? 'cancelled', (performance.now() - started) / 1000);
    }
  }

  return {
    provider,
    model: name,
    stream,
    status: () => model.status(),
  };
}

/** The agent's tool-call hook: outcome and duration per tool; calls cut off by the turn's end are not counted. */
export function toolCallInstrumentation({ metrics }: Instruments): ToolCallWrapper | undefined {
  if (!metrics) return undefined;
  return async (info, run) => {
    const started = performance.now();
    const outcome = await run();
    metrics.recordToolCall(info.name, info.known, outcome.status, (performance.now() - started) / 1000);
    return outcome;
  };
}

/** The failure's outcome label, read from its shape so that this layer needs neither http/ nor chat/. */
export function turnStatusOf(err: unknown): TurnStatus {
  if (err instanceof Error && err.name === 'ClientDisconnectedError') return 'cancelled';
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'TIMEOUT':
      return 'timeout';
    case 'AGENT_UNAVAILABLE':
      return 'unavailable';
    case 'LLM_ERROR':
    case 'INTERNAL_ERROR':
    case undefined:
      return 'error';
    default:
      // Refused before running: session busy, quota, idempotency conflicts.
      return typeof code === 'string' ? 'rejected' : 'error';
  }
}

type TurnRunner = { runTurn(...args: never[]): Promise<unknown> };

/** Counts and times the turns of a turn service, whatever their outcome. */
export function instrumentTurns<T extends TurnRunner>(service: T, { metrics }: Instruments): T {
  if (!metrics) return service;
  const runTurn = async (...args: Parameters<T['runTurn']>): Promise<unknown> => {
    const started = performance.now();
    try {
      const result = await service.runTurn(...args);
      metrics.recordTurn('ok', (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      metrics.recordTurn(turnStatusOf(err), (performance.now() - started) / 1000);
      throw err;
    }
  };
  return { ...service, runTurn: runTurn as T['runTurn'] };
}
