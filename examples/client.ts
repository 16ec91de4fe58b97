/**
 * A typed client for the MSEv15E2E-TS API using only the platform's fetch (Node 20+, browsers, Deno,
 * Bun). Copy this file into your project; it has no dependencies.
 *
 *   const api = createCustomerServiceClient({ baseUrl: 'http://localhost:9080' });
 *   const reply = await api.chat({ session_id: 'user-1', message: 'Where is order 1?' });
 *   for await (const event of api.chatStream({ session_id: 'user-1', message: 'Cancel it' })) {
 *     if (event.type === 'token') process.stdout.write(event.content);
 *   }
 *
 * Every chat call carries an Idempotency-Key (one per call unless you pass your own), so a retry
 * after a dropped connection never runs the turn — an order, a mail — twice; a stream that drops is
 * resumed from its last event id.
 *
 * Run it as a tiny CLI:  npx tsx examples/client.ts [--url URL] [--stream] "Where is order 1?"
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';

// ---- API types (DESIGN §3) ----

export interface ChatRequest {
  session_id: string;
  message: string;
  /** Defaults to the client's tenantId, then to the server's "default". */
  tenant_id?: string;
  /** `continue` lets the turn finish when the connection drops (chatStream sends it, to resume). */
  on_disconnect?: 'cancel' | 'continue';
  /**
   * While another turn runs on the session: `enqueue` (default) waits for it, `reject` fails at once
   * with 409 SESSION_BUSY, `interrupt` stops it (it keeps what it stored) and runs this one.
   */
  on_busy?: 'enqueue' | 'reject' | 'interrupt';
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: unknown;
  status: 'ok' | 'error';
  duration_ms: number;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatResponse {
  session_id: string;
  turn_id: string;
  message: string;
  timestamp: string;
  message_count: number;
  tenant_id: string;
  request_id: string;
  tool_calls: ToolCall[];
  usage?: Usage;
}

export type StreamEvent =
  | { type: 'token'; content: string; session_id: string }
  | { type: 'tool_call'; id: string; name: string; arguments: unknown; session_id: string }
  | { type: 'tool_result'; id: string; name: string; status: 'ok' | 'error'; session_id: string }
  | {
      type: 'done';
      turn_id: string;
      session_id: string;
      message_count: number;
      request_id: string;
      usage?: Usage;
    }
  | {
      type: 'error';
      turn_id: string;
      error: string;
      message: string;
      session_id: string;
      request_id: string;
    };

export interface HistoryMessage {
  /** `operator`: written by a person of the support team during a hand-off. */
  role: 'user' | 'assistant' | 'operator';
  content: string;
  timestamp: string;
  tool_calls?: ToolCall[];
  interrupted?: boolean;
}

/** `handoff` while a person of the support team has the session. */
export type SessionStatus = 'active' | 'handoff';

export interface SessionHistory {
  session_id: string;
  tenant_id: string;
  status: SessionStatus;
  message_count: number;
  created_at: string;
  last_activity: string;
  messages: HistoryMessage[];
}

export interface SessionSummary {
  session_id: string;
  status: SessionStatus;
  message_count: number;
  created_at: string;
  last_activity: string;
}

export interface SessionList {
  tenant_id: string;
  total: number;
  limit: number;
  offset: number;
  sessions: SessionSummary[];
}

export interface DeleteResult {
  message: string;
  session_id: string;
}

export interface Health {
  status: 'healthy';
  timestamp: string;
  version: string;
  uptime_seconds: number;
}

export interface Liveness {
  status: 'alive';
  timestamp: string;
}

export interface ReadinessCheckReport {
  status: 'healthy' | 'degraded' | 'unavailable' | 'unhealthy' | 'disabled';
  critical: boolean;
  duration_ms: number;
  message?: string;
  details?: Record<string, unknown>;
}

export interface Readiness {
  status: 'ready' | 'degraded' | 'not_ready';
  timestamp: string;
  checks: Record<string, ReadinessCheckReport>;
  warnings: string[];
}

/** The common error body of every non-2xx response. */
export interface ErrorEnvelope {
  error: string;
  message: string;
  details?: unknown;
  request_id: string;
  timestamp: string;
}

// ---- errors ----

/**
 * What every method throws when the API reports a failure: an HTTP error (status > 0) or an `error`
 * event ending a stream (status 0). `code` is the envelope's code, e.g. SESSION_NOT_FOUND.
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly requestId: string | undefined,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function isEnvelope(value: unknown): value is ErrorEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.error === 'string' && typeof v.message === 'string';
}

async function errorFromResponse(response: Response): Promise<ApiError> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (isEnvelope(body)) {
    return new ApiError(body.error, body.message, response.status, body.request_id, body.details);
  }
  return new ApiError(
    `HTTP_${response.status}`,
    `HTTP ${response.status}: ${text.slice(0, 200) || response.statusText}`,
    response.status,
    response.headers.get('x-request-id') ?? undefined,
  );
}

// ---- SSE parsing ----

/** One event of a stream with its SSE `id:` (`<turn_id>:<seq>`), which resumes the stream after it. */
export interface IdentifiedEvent {
  id: string | undefined;
  event: StreamEvent;
}

/**
 * Splits a text/event-stream body into its events and their ids. Handles events split across
 * chunks, CRLF line ends, multi-line data fields and `: ping` comments.
 */
export async function* parseIdentifiedEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<IdentifiedEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let id: string | undefined;

  function* flush(): Generator<IdentifiedEvent> {
    if (data.length > 0) yield { id, event: JSON.parse(data.join('\n')) as StreamEvent };
    data = [];
    id = undefined;
  }

  function* drain(final: boolean): Generator<IdentifiedEvent> {
    let newline = buffer.indexOf('\n');
    while (newline !== -1 || (final && buffer.length > 0)) {
      const end = newline === -1 ? buffer.length : newline;
      const line = buffer.slice(0, end).replace(/\r$/, '');
      buffer = newline === -1 ? '' : buffer.slice(newline + 1);
      if (line === '') {
        yield* flush();
      } else if (line.startsWith('data:')) {
        data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      } else if (line.startsWith('id:')) {
        id = line.slice(3).trim();
      }
      newline = buffer.indexOf('\n');
    }
    if (final) yield* flush();
  }

  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      yield* drain(false);
    }
    buffer += decoder.decode();
    yield* drain(true);
  } finally {
    // Stops the download when the consumer breaks out of the loop early.
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** The JSON payloads of a text/event-stream body, without their ids. */
export async function* parseEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  for await (const { event } of parseIdentifiedEvents(body)) yield event;
}

// ---- the client ----

export interface ClientOptions {
  /** e.g. http://localhost:9080 */
  baseUrl: string;
  /** Sent as X-API-Key; needed only when the server has API_KEYS. */
  apiKey?: string;
  /** Tenant used when a call does not name one; the server defaults to "default". */
  tenantId?: string;
  /** Injected fetch (tests, proxies); the global one by default. */
  fetch?: typeof fetch;
  /** Retries of a chat call whose connection failed or dropped (default 2). */
  retries?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Idempotency-Key of a chat call; a new random one per call by default. Reuse it to retry by hand. */
  idempotencyKey?: string;
}

export function createCustomerServiceClient(options: ClientOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const retries = options.retries ?? 2;

  function headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      accept: 'application/json',
      ...(options.apiKey ? { 'x-api-key': options.apiKey } : {}),
      ...extra,
    };
  }

  function url(path: string, query: Record<string, string | number | undefined> = {}): string {
    const target = new URL(baseUrl + path);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) target.searchParams.set(name, String(value));
    }
    return target.toString();
  }

  async function request<T>(method: string, target: string, body: unknown, call: CallOptions): Promise<T> {
    const init: RequestInit = {
      method,
      headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (call.signal) init.signal = call.signal;
    const response = await doFetch(target, init);
    if (!response.ok) throw await errorFromResponse(response);
    return (await response.json()) as T;
  }

  function chatBody(input: ChatRequest): ChatRequest {
    const tenant = input.tenant_id ?? options.tenantId;
    return tenant === undefined ? { ...input } : { ...input, tenant_id: tenant };
  }

  return {
    /**
     * One chat turn; resolves with the whole answer. A connection that fails is retried with the same
     * Idempotency-Key, which returns the first attempt's turn instead of running it again.
     */
    async chat(input: ChatRequest, call: CallOptions = {}): Promise<ChatResponse> {
      const key = call.idempotencyKey ?? randomUUID();
      for (let attempt = 0; ; attempt += 1) {
        const init: RequestInit = {
          method: 'POST',
          headers: headers({ 'content-type': 'application/json', 'idempotency-key': key }),
          body: JSON.stringify(chatBody(input)),
          ...(call.signal ? { signal: call.signal } : {}),
        };
        let response: Response;
        try {
          response = await doFetch(url('/api/v1/chat'), init);
        } catch (err) {
          if (call.signal?.aborted || attempt >= retries) throw err;
          continue;
        }
        if (!response.ok) throw await errorFromResponse(response);
        return (await response.json()) as ChatResponse;
      }
    },

    /**
     * One chat turn as a stream of events, ending with `done`. An `error` event is yielded and then
     * thrown as an ApiError (status 0), so a plain `for await` loop fails like `chat()` would.
     * A connection that drops is resumed from the last event received (the turn goes on meanwhile:
     * the request says `on_disconnect: continue`); each event is yielded once. Breaking out of the
     * loop, or aborting `signal`, cancels the turn on the server.
     */
    async *chatStream(input: ChatRequest, call: CallOptions = {}): AsyncGenerator<StreamEvent> {
      const key = call.idempotencyKey ?? randomUUID();
      const tenant = input.tenant_id ?? options.tenantId;
      let turnId: string | undefined;
      let lastId: string | undefined;
      let finished = false;
      try {
        for (let attempt = 0; ; attempt += 1) {
          const init: RequestInit = turnId
            ? {
                headers: headers({
                  accept: 'text/event-stream',
                  ...(lastId ? { 'last-event-id': lastId } : {}),
                }),
              }
            : {
                method: 'POST',
                headers: headers({
                  'content-type': 'application/json',
                  accept: 'text/event-stream',
                  'idempotency-key': key,
                }),
                body: JSON.stringify({ on_disconnect: 'continue', ...chatBody(input) }),
              };
          if (call.signal) init.signal = call.signal;
          const target = turnId
            ? url(`/api/v1/sessions/${encodeURIComponent(input.session_id)}/turns/${turnId}/events`, {
                tenant_id: tenant,
              })
            : url('/api/v1/chat/stream');
          let response: Response;
          try {
            response = await doFetch(target, init);
          } catch (err) {
            if (call.signal?.aborted || attempt >= retries) throw err;
            continue;
          }
          if (!response.ok) throw await errorFromResponse(response);
          if (!response.body)
            throw new ApiError('EMPTY_STREAM', 'The response has no body', response.status, undefined);
          turnId ??= response.headers.get('x-turn-id') ?? undefined;
          try {
            for await (const { id, event } of parseIdentifiedEvents(response.body)) {
              if (id) lastId = id;
              if (event.type === 'error' || event.type === 'done') finished = true;
              yield event;
              if (event.type === 'error') throw new ApiError(event.error, event.message, 0, event.request_id);
              if (event.type === 'done') return;
            }
          } catch (err) {
            // A dropped connection (not the turn's own error, nor our caller's abort) is resumed.
            if (err instanceof ApiError || call.signal?.aborted || attempt >= retries) throw err;
            continue;
          }
          if (attempt >= retries) {
            throw new ApiError(
              'STREAM_INCOMPLETE',
              'The stream ended before the turn was complete',
              0,
              undefined,
            );
          }
        }
      } finally {
        // The caller stopped listening (or gave up): the turn, set to continue, must not run on.
        if (!finished && turnId) {
          const cancelUrl = url(
            `/api/v1/sessions/${encodeURIComponent(input.session_id)}/turns/${turnId}/cancel`,
            { tenant_id: tenant },
          );
          await doFetch(cancelUrl, { method: 'POST', headers: headers() }).catch(() => undefined);
        }
      }
    },

    history(
      sessionId: string,
      query: { tenant_id?: string } = {},
      call: CallOptions = {},
    ): Promise<SessionHistory> {
      const tenant = query.tenant_id ?? options.tenantId;
      return request(
        'GET',
        url(`/api/v1/sessions/${encodeURIComponent(sessionId)}/history`, { tenant_id: tenant }),
        undefined,
        call,
      );
    },

    listSessions(
      query: { tenant_id?: string; limit?: number; offset?: number } = {},
      call: CallOptions = {},
    ): Promise<SessionList> {
      const tenant = query.tenant_id ?? options.tenantId;
      return request(
        'GET',
        url('/api/v1/sessions', { tenant_id: tenant, limit: query.limit, offset: query.offset }),
        undefined,
        call,
      );
    },

    deleteSession(
      sessionId: string,
      query: { tenant_id?: string } = {},
      call: CallOptions = {},
    ): Promise<DeleteResult> {
      const tenant = query.tenant_id ?? options.tenantId;
      return request(
        'DELETE',
        url(`/api/v1/sessions/${encodeURIComponent(sessionId)}`, { tenant_id: tenant }),
        undefined,
        call,
      );
    },

    health(call: CallOptions = {}): Promise<Health> {
      return request('GET', url('/health'), undefined, call);
    },

    liveness(call: CallOptions = {}): Promise<Liveness> {
      return request('GET', url('/health/liveness'), undefined, call);
    },

    /** Resolves with the report for `ready`, `degraded` and also `not_ready`, which the server sends as a 503. */
    async readiness(call: CallOptions = {}): Promise<Readiness> {
      const response = await doFetch(url('/health/readiness'), {
        headers: headers(),
        ...(call.signal ? { signal: call.signal } : {}),
      });
      if (response.ok || response.status === 503) return (await response.json()) as Readiness;
      throw await errorFromResponse(response);
    },
  };
}

export type CustomerServiceClient = ReturnType<typeof createCustomerServiceClient>;

// ---- CLI: npx tsx examples/client.ts [--url URL] [--session ID] [--tenant ID] [--stream] "message" ----

async function main(argv: string[]): Promise<number> {
  const flags = new Map<string, string>();
  const words: string[] = [];
  let stream = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--stream') stream = true;
    else if (arg === '--url' || arg === '--session' || arg === '--tenant' || arg === '--api-key') {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      flags.set(arg, value);
    } else words.push(arg);
  }
  const message = words.join(' ');
  if (message === '' || words.includes('--help') || words.includes('-h')) {
    process.stderr.write(
      'usage: client.ts [--url URL] [--session ID] [--tenant ID] [--api-key KEY] [--stream] "message"\n',
    );
    return message === '' ? 2 : 0;
  }
  const apiKey = flags.get('--api-key') ?? process.env.API_KEY;
  const tenantId = flags.get('--tenant');
  const baseUrl = flags.get('--url') ?? process.env.BASE_URL ?? 'http://localhost:9080';
  const api = createCustomerServiceClient({
    baseUrl,
    ...(apiKey ? { apiKey } : {}),
    ...(tenantId ? { tenantId } : {}),
  });
  const input: ChatRequest = {
    session_id: flags.get('--session') ?? `ts-${randomUUID().slice(0, 12)}`,
    message,
  };
  try {
    if (stream) {
      for await (const event of api.chatStream(input)) {
        if (event.type === 'token') process.stdout.write(event.content);
        else if (event.type === 'tool_call')
          process.stderr.write(`[tool] ${event.name} ${JSON.stringify(event.arguments)}\n`);
        else if (event.type === 'done') process.stdout.write('\n');
      }
    } else {
      const reply = await api.chat(input);
      for (const call of reply.tool_calls) process.stderr.write(`[tool] ${call.name} -> ${call.status}\n`);
      process.stdout.write(`${reply.message}\n`);
    }
    process.stderr.write(`[session ${input.session_id}]\n`);
    return 0;
  } catch (err) {
    const text =
      err instanceof ApiError ? `${err.code}: ${err.message}` : `cannot reach ${baseUrl} (${String(err)})`;
    process.stderr.write(`\nerror: ${text}\n`);
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
