import { type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Agent, ToolCallWrapper } from '../agent/loop.js';
import { type ChatModel, ModelError, type ModelEvent, type ModelRequest } from '../agent/types.js';
import type { LlmCallStatus, Metrics, TurnStatus } from './metrics.js';
import { GEN_AI, type Tracing } from './tracing.js';

export interface Instruments {
  metrics?: Metrics | undefined;
  tracing?: Tracing | undefined;
}

/** The agent's name in `invoke_agent` spans. */
export const AGENT_NAME = 'customer-service-agent';
/** Span names carry tool names the model chose: keep them short. */
const MAX_NAME_CHARS = 64;

function llmStatusOf(err: unknown, signal: AbortSignal): LlmCallStatus {
  if (signal.aborted) return 'cancelled';
  if (err instanceof ModelError && err.kind === 'timeout') return 'timeout';
  return 'error';
}

function errorType(err: unknown): string {
  if (err instanceof ModelError) return err.kind;
  return err instanceof Error ? err.name : 'error';
}

function failSpan(span: Span, type: string, message?: string): void {
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, ...(message ? { message } : {}) });
}

/**
 * A ChatModel that measures and traces every call of the model it wraps: outcome and duration, time
 * to the first text delta or tool call and the reported tokens as metrics; a `chat {model}` client
 * span with the GenAI attributes, whose `traceparent` goes to the provider with the request. A call
 * the consumer stops early (the client went away) counts as cancelled.
 */
export function instrumentModel(model: ChatModel, instruments: Instruments): ChatModel {
  const { metrics, tracing } = instruments;
  if (!metrics && !tracing) return model;
  const { provider } = model;
  const name = model.model;

  async function* stream(request: ModelRequest): AsyncGenerator<ModelEvent, void, undefined> {
    const started = performance.now();
    let status: LlmCallStatus | undefined;
    let first = true;
    let toolCalls = false;
    let outgoing = request;
    const span = tracing?.startSpan(`chat ${name}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        [GEN_AI.operationName]: 'chat',
        [GEN_AI.providerName]: provider,
        [GEN_AI.requestModel]: name,
      },
    });
    if (span && tracing) {
      const headers: Record<string, string> = { ...request.headers };
      tracing.inject(headers, span);
      outgoing = { ...request, headers };
    }
    try {
      for await (const event of model.stream(outgoing)) {
        if (event.type === 'usage') {
          metrics?.recordTokens(event.usage.prompt_tokens, event.usage.completion_tokens);
          span?.setAttribute(GEN_AI.usageInputTokens, event.usage.prompt_tokens);
          span?.setAttribute(GEN_AI.usageOutputTokens, event.usage.completion_tokens);
        } else {
          if (event.type === 'tool_call') toolCalls = true;
          if (first) {
            first = false;
            metrics?.recordFirstToken(provider, name, (performance.now() - started) / 1000);
          }
        }
        yield event;
      }
      status = 'ok';
      span?.setAttribute(GEN_AI.finishReasons, [toolCalls ? 'tool_calls' : 'stop']);
    } catch (err) {
      status = llmStatusOf(err, request.signal);
      if (span) failSpan(span, errorType(err), err instanceof Error ? err.message : undefined);
      throw err;
    } finally {
      if (span && status === undefined) failSpan(span, 'cancelled');
      span?.end();
      metrics?.recordLlmCall(provider, name, status ?? 'cancelled', (performance.now() - started) / 1000);
    }
  }

  return { provider, model: name, stream, status: () => model.status() };
}

/**
 * The agent's tool-call hook: outcome and duration per tool as metrics (calls cut off by the turn's
 * end are not counted), and an `execute_tool {name}` span that is active while the tool runs, so an
 * MCP call carries its `traceparent`.
 */
export function toolCallInstrumentation({ metrics, tracing }: Instruments): ToolCallWrapper | undefined {
  if (!metrics && !tracing) return undefined;
  return async (info, run) => {
    const started = performance.now();
    const toolName = info.name.slice(0, MAX_NAME_CHARS);
    const span = tracing?.startSpan(`execute_tool ${toolName}`, {
      kind: SpanKind.INTERNAL,
      attributes: {
        [GEN_AI.operationName]: 'execute_tool',
        [GEN_AI.toolName]: toolName,
        [GEN_AI.toolCallId]: info.id,
      },
    });
    try {
      const outcome = await (span && tracing ? tracing.withSpan(span, run) : run());
      metrics?.recordToolCall(info.name, info.known, outcome.status, (performance.now() - started) / 1000);
      if (span && outcome.status === 'error') failSpan(span, info.known ? 'tool_error' : 'unknown_tool');
      return outcome;
    } catch (err) {
      if (span) failSpan(span, 'cancelled');
      throw err;
    } finally {
      span?.end();
    }
  };
}

/** Wraps each turn of the agent in an `invoke_agent` span, active for the turn's model and tool calls. */
export function instrumentAgent(agent: Agent, { tracing }: Instruments): Agent {
  if (!tracing) return agent;
  return {
    ...agent,
    runTurn(input, onEvent) {
      const span = tracing.startSpan('invoke_agent', {
        kind: SpanKind.INTERNAL,
        attributes: {
          [GEN_AI.operationName]: 'invoke_agent',
          [GEN_AI.agentName]: AGENT_NAME,
          [GEN_AI.providerName]: agent.model.provider,
          [GEN_AI.requestModel]: agent.model.model,
          [GEN_AI.conversationId]: input.ctx.sessionId,
        },
      });
      return tracing.withSpan(span, async () => {
        try {
          const result = await agent.runTurn(input, onEvent);
          if (result.usage) {
            span.setAttribute(GEN_AI.usageInputTokens, result.usage.prompt_tokens);
            span.setAttribute(GEN_AI.usageOutputTokens, result.usage.completion_tokens);
          }
          return result;
        } catch (err) {
          failSpan(
            span,
            input.ctx.signal.aborted ? 'cancelled' : errorType((err as { cause?: unknown }).cause ?? err),
          );
          throw err;
        } finally {
          span.end();
        }
      });
    },
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
