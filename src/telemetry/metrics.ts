import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Request and turn latencies: from a cached health probe to a long multi-tool turn. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const TURN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 180, 300];
const FIRST_TOKEN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30];

/** Methods Node's parser accepts are already a closed set; anything unusual shares one label. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The route label of a request no route matched (404s, scanners): never the raw URL. */
export const UNMATCHED_ROUTE = 'unmatched';
/** Tool label of a name the model made up (no such tool). */
export const UNKNOWN_TOOL = 'unknown';
/** Tool label of remote (MCP) tools beyond the first MAX_REMOTE_TOOL_LABELS distinct names. */
export const OTHER_TOOL = 'other';
const MAX_REMOTE_TOOL_LABELS = 32;

export type TurnStatus = 'ok' | 'error' | 'timeout' | 'cancelled' | 'unavailable' | 'rejected';
export type LlmCallStatus = 'ok' | 'error' | 'timeout' | 'cancelled';
export type BreakerStateName = 'closed' | 'half_open' | 'open';

const BREAKER_STATE_VALUE: Record<BreakerStateName, number> = { closed: 0, half_open: 1, open: 2 };

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event-loop lag, GC); default true. */
  defaultMetrics?: boolean;
  /** Names of the tools registered locally: always their own label. */
  isLocalTool?: (name: string) => boolean;
}

/**
 * The service's Prometheus metrics in a registry of their own (never prom-client's global one), so
 * that several apps in one process (tests) never share or clash. Every label set is bounded: routes
 * are patterns, statuses and kinds are closed sets, tool names are the known ones plus `other`.
 */
export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status (499: the client went away).',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to the end of its response.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const turns = new Counter({
    name: 'chat_turns_total',
    help: 'Chat turns ended, by outcome (ok, error, timeout, cancelled, unavailable, rejected).',
    labelNames: ['status'] as const,
    registers,
  });
  const turnDuration = new Histogram({
    name: 'chat_turn_duration_seconds',
    help: 'Duration of chat turns, waiting behind earlier turns of the session included.',
    labelNames: ['status'] as const,
    buckets: TURN_BUCKETS,
    registers,
  });
  const llmRequests = new Counter({
    name: 'llm_requests_total',
    help: 'Calls to the language model (one per agent step), by provider, model and outcome.',
    labelNames: ['provider', 'model', 'status'] as const,
    registers,
  });
  const llmDuration = new Histogram({
    name: 'llm_request_duration_seconds',
    help: 'Duration of language model calls, to the end of the streamed reply.',
    labelNames: ['provider', 'model', 'status'] as const,
    buckets: TURN_BUCKETS,
    registers,
  });
  const llmFirstToken = new Histogram({
    name: 'llm_time_to_first_token_seconds',
    help: 'Time from sending a model call to its first text delta or tool call.',
    labelNames: ['provider', 'model'] as const,
    buckets: FIRST_TOKEN_BUCKETS,
    registers,
  });
  const llmTokens = new Counter({
    name: 'llm_tokens_total',
    help: 'Tokens reported by the provider, by type (prompt, completion).',
    labelNames: ['type'] as const,
    registers,
  });
  const toolCalls = new Counter({
    name: 'tool_calls_total',
    help: 'Tool calls run by the agent, by tool and outcome (ok, error).',
    labelNames: ['tool', 'status'] as const,
    registers,
  });
  const toolDuration = new Histogram({
    name: 'tool_call_duration_seconds',
    help: 'Duration of tool calls.',
    labelNames: ['tool', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const feedback = new Counter({
    name: 'feedback_total',
    help: 'Ratings customers gave answers and sessions, by rating (1 to 5); a replaced rating counts again.',
    labelNames: ['rating'] as const,
    registers,
  });
  const sseStreams = new Gauge({
    name: 'sse_streams_open',
    help: 'Server-Sent Event streams currently open.',
    registers,
  });

  let sessionCount: (() => number | Promise<number>) | undefined;
  let breakerState: (() => BreakerStateName | undefined) | undefined;

  new Gauge({
    name: 'sessions_active',
    help: 'Sessions held by the session store.',
    registers,
    async collect() {
      if (!sessionCount) return;
      try {
        this.set(await sessionCount());
      } catch {
        // A store that cannot count right now (Redis down) keeps its last value; readiness reports it.
      }
    },
  });
  new Gauge({
    name: 'llm_breaker_state',
    help: "State of the model provider's circuit breaker: 0 closed, 1 half-open, 2 open.",
    registers,
    collect() {
      this.set(BREAKER_STATE_VALUE[breakerState?.() ?? 'closed']);
    },
  });
  new Gauge({
    name: 'llm_breaker_open',
    help: "1 while the model provider's circuit breaker is open (calls fail fast or go to the fallback).",
    registers,
    collect() {
      this.set(breakerState?.() === 'open' ? 1 : 0);
    },
  });

  const isLocalTool = options.isLocalTool ?? (() => false);
  const remoteToolLabels = new Set<string>();

  function toolLabel(name: string, known: boolean): string {
    if (!known) return UNKNOWN_TOOL;
    if (isLocalTool(name) || remoteToolLabels.has(name)) return name;
    // MCP tool names come from another process: only the first few distinct ones get a label.
    if (remoteToolLabels.size < MAX_REMOTE_TOOL_LABELS) {
      remoteToolLabels.add(name);
      return name;
    }
    return OTHER_TOOL;
  }

  return {
    registry,
    recordHttp(method: string, route: string | undefined, status: number, seconds: number): void {
      const labels = {
        method: METHODS.has(method) ? method : 'OTHER',
        route: route ?? UNMATCHED_ROUTE,
        status: String(status),
      };
      httpRequests.inc(labels);
      httpDuration.observe(labels, seconds);
    },
    recordTurn(status: TurnStatus, seconds: number): void {
      turns.inc({ status });
      turnDuration.observe({ status }, seconds);
    },
    recordLlmCall(provider: string, model: string, status: LlmCallStatus, seconds: number): void {
      const labels = { provider, model, status };
      llmRequests.inc(labels);
      llmDuration.observe(labels, seconds);
    },
    recordFirstToken(provider: string, model: string, seconds: number): void {
      llmFirstToken.observe({ provider, model }, seconds);
    },
    recordTokens(prompt: number, completion: number): void {
      if (prompt > 0) llmTokens.inc({ type: 'prompt' }, prompt);
      if (completion > 0) llmTokens.inc({ type: 'completion' }, completion);
    },
    recordToolCall(tool: string, known: boolean, status: 'ok' | 'error', seconds: number): void {
      const labels = { tool: toolLabel(tool, known), status };
      toolCalls.inc(labels);
      toolDuration.observe(labels, seconds);
    },
    recordFeedback(rating: number): void {
      // The API admits 1..5 only; anything else would be a bug, never a new label value.
      if (Number.isInteger(rating) && rating >= 1 && rating <= 5) feedback.inc({ rating: String(rating) });
    },
    /** Counts an open SSE stream until its response closes. */
    trackStream(response: { once(event: 'close', listener: () => void): unknown }): void {
      sseStreams.inc();
      response.once('close', () => sseStreams.dec());
    },
    observeSessions(count: () => number | Promise<number>): void {
      sessionCount = count;
    },
    /**
     * Exports `mcp_connected` (1 connected, 0 not). Called only when MCP is configured: with MCP off
     * there is no such series, so an alert on it cannot fire for a deployment that does not use MCP.
     */
    observeMcp(connected: () => boolean | undefined): void {
      if (registry.getSingleMetric('mcp_connected')) return;
      new Gauge({
        name: 'mcp_connected',
        help: '1 while the MCP complaints server is connected, 0 while it is not.',
        registers,
        collect() {
          this.set(connected() ? 1 : 0);
        },
      });
    },
    observeBreaker(state: () => BreakerStateName | undefined): void {
      breakerState = state;
    },
    /** The exposition text and its content type. */
    async scrape(): Promise<{ contentType: string; body: string }> {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
