import type { ModelToolSpec } from '../tools/registry.js';

export interface ModelToolCall {
  id: string;
  name: string;
  /** Raw JSON text exactly as the model produced it. */
  arguments: string;
}

export type ModelMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; toolCalls?: ModelToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** One model step yields these, in order of arrival. Tool calls are yielded complete. */
export type ModelEvent =
  | { type: 'text'; delta: string }
  | { type: 'tool_call'; call: ModelToolCall }
  | { type: 'usage'; usage: Usage };

export interface ModelRequest {
  messages: ModelMessage[];
  tools: ModelToolSpec[];
  signal: AbortSignal;
  /** The client reads the answer as a stream; a model that paces its own output only does so then. */
  streaming?: boolean;
  /** Extra headers for this call's HTTP request (trace context); remote models send them, others ignore them. */
  headers?: Record<string, string>;
}

export interface ModelStatus {
  provider: 'azure' | 'openai' | 'offline' | string;
  model: string;
  lastCall?: { outcome: 'ok' | 'error'; at: string; error?: string };
  /** Set by the circuit breaker around the provider. */
  breaker?: { state: 'closed' | 'half_open' | 'open'; consecutiveFailures: number; retryAfterMs?: number };
  /** The fallback model behind the breaker, and how its last call went. */
  fallback?: Omit<ModelStatus, 'breaker' | 'fallback'>;
}

export interface ChatModel {
  readonly provider: string;
  readonly model: string;
  /** One step. Must stop promptly and reject with an AbortError-like error when `signal` aborts. */
  stream(request: ModelRequest): AsyncIterable<ModelEvent>;
  status(): ModelStatus;
}

export type ModelErrorKind = 'provider' | 'timeout' | 'unavailable' | 'aborted';

/** A model failure with a message that is safe for clients: no provider body, URL or key. */
export class ModelError extends Error {
  constructor(
    readonly kind: ModelErrorKind,
    message: string,
    options?: { cause?: unknown; status?: number; retryAfterMs?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ModelError';
    this.status = options?.status;
    this.retryAfterMs = options?.retryAfterMs;
  }
  readonly status: number | undefined;
  /** When the client may try again (the circuit breaker's remaining cooldown). */
  readonly retryAfterMs: number | undefined;
}
