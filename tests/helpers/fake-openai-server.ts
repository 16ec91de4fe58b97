/**
 * A scripted fake of the OpenAI Chat Completions API on a real loopback HTTP server, for tests that
 * drive the real `openai` SDK (OpenAI and AzureOpenAI clients) end to end.
 *
 *   const fake = await startFakeOpenAI();
 *   fake.script(
 *     step.toolCalls([{ name: 'get_order', arguments: { order_id: 'ORD-1' } }]),
 *     step.text('Your order has shipped.'),
 *   );
 *   const client = new OpenAI({ apiKey: 'k', baseURL: fake.baseURL, maxRetries: 0 });
 *   // or: new AzureOpenAI({ endpoint: fake.azureEndpoint, deployment: 'dep', apiVersion: '2024-10-21', apiKey: 'k' })
 *   ...
 *   expect(fake.requests).toHaveLength(2);
 *   await fake.close();
 *
 * Routes: POST /v1/chat/completions and Azure's POST /openai/deployments/{deployment}/chat/completions
 * ?api-version=…; every request is recorded (path, headers, parsed body, deployment, api-version, the
 * `api-key` and `authorization` headers). Each request consumes the next scripted step, in order; a
 * step may be a function of the recorded request (e.g. to echo the question). A request with no step
 * left is answered 500 with `x-should-retry: false` and a body naming the mistake, and the mistake is
 * listed in `fake.problems`.
 *
 * Streamed requests (`stream: true`) get SSE chunks shaped like OpenAI's, with a usage chunk when the
 * request asks for `stream_options.include_usage`. Non-streamed requests get one `chat.completion`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
}

/** Sent when a streamed request asks for usage and the step does not say otherwise. */
export const DEFAULT_FAKE_USAGE = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } as const;

export interface FakeToolCall {
  name: string;
  /** An object is JSON-encoded; a string is sent verbatim (use it for invalid JSON). */
  arguments: string | Record<string, unknown>;
  /** Defaults to `call_<random>`. */
  id?: string;
}

/** How a streamed reply ends once its text and tool calls are sent. */
export type FakeEnding =
  /** finish_reason chunk, usage chunk, `data: [DONE]`, end of response. */
  | 'done'
  /** The connection is destroyed without a finish_reason: the stream dies mid-way. */
  | 'die'
  /** Nothing more is sent until the client goes away. */
  | 'hang'
  /** The response ends cleanly but early: no finish_reason, no `[DONE]` (a proxy cutting it short). */
  | 'cut'
  /** A chunk that is not JSON (`data: {not json`), then the response ends. */
  | 'malformed'
  /** An `{"error": …}` chunk, as OpenAI reports a failure after the stream started, then the end. */
  | 'error';

export interface FakeReplyStep {
  kind: 'reply';
  /** Streamed first, in pieces of `chunkSize` characters. */
  text?: string;
  /** Streamed after the text; each call's arguments in pieces of `chunkSize` characters. */
  toolCalls?: FakeToolCall[];
  /** Characters per text piece and per argument piece (default 4). */
  chunkSize?: number;
  /** Pause before each chunk after the first (default 0). */
  delayMs?: number;
  /**
   * Streamed replies: once the text is sent, nothing more (tool calls, ending) until this settles or
   * the client goes away — a model still working, for as long as the test needs.
   */
  holdUntil?: Promise<unknown>;
  /** Several calls: send their pieces round-robin by index (default true) rather than one call after the other. */
  interleave?: boolean;
  /** `null` sends no usage chunk even when asked for one. Default DEFAULT_FAKE_USAGE. */
  usage?: FakeUsage | null;
  /** Default 'tool_calls' when there are tool calls, else 'stop'. */
  finishReason?: 'stop' | 'tool_calls' | 'length' | 'content_filter';
  ending?: FakeEnding;
  /** The message of the error chunk when `ending` is 'error'. */
  errorMessage?: string;
}

export interface FakeErrorStep {
  kind: 'error';
  status: number;
  /** An object is sent as JSON; a string verbatim. Default: an OpenAI-style error object. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Sets the `retry-after` header (seconds), which the SDK honours between retries. */
  retryAfter?: number | string;
}

/** Never answers, not even headers, until the client goes away. */
export interface FakeHangStep {
  kind: 'hang';
}

export type FakeStep = FakeReplyStep | FakeErrorStep | FakeHangStep;
export type FakeStepSource = FakeStep | ((request: RecordedRequest) => FakeStep);

type ReplyOptions = Omit<FakeReplyStep, 'kind' | 'text' | 'toolCalls'>;

/** Builders for scripted steps. */
export const step = {
  text: (text: string, options: ReplyOptions = {}): FakeReplyStep => ({ kind: 'reply', text, ...options }),
  toolCalls: (calls: FakeToolCall[], options: ReplyOptions & { text?: string } = {}): FakeReplyStep => ({
    kind: 'reply',
    toolCalls: calls,
    ...options,
  }),
  error: (status: number, options: Omit<FakeErrorStep, 'kind' | 'status'> = {}): FakeErrorStep => ({
    kind: 'error',
    status,
    ...options,
  }),
  hang: (): FakeHangStep => ({ kind: 'hang' }),
  /** Streams `textBefore` (if any), then a chunk that is not JSON. */
  malformed: (textBefore = '', options: ReplyOptions = {}): FakeReplyStep => ({
    kind: 'reply',
    text: textBefore,
    ...options,
    ending: 'malformed',
  }),
  /** Streams `textBefore`, then an `{"error": {message}}` chunk. */
  streamError: (
    textBefore: string,
    message = 'The server had an error',
    options: ReplyOptions = {},
  ): FakeReplyStep => ({
    kind: 'reply',
    text: textBefore,
    ...options,
    ending: 'error',
    errorMessage: message,
  }),
  /** Streams `textBefore`, then the connection drops. */
  dies: (textBefore: string, options: ReplyOptions = {}): FakeReplyStep => ({
    kind: 'reply',
    text: textBefore,
    ...options,
    ending: 'die',
  }),
};

export interface FakeChatMessage {
  role: string;
  content?: string | null;
  tool_call_id?: string;
  tool_calls?: Array<{ id: string; type: string; function: { name: string; arguments: string } }>;
}

export interface FakeChatRequestBody {
  model?: string;
  messages?: FakeChatMessage[];
  tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  [key: string]: unknown;
}

export interface RecordedRequest {
  /** 0-based arrival order. */
  index: number;
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (`{}` when there was none or it was not JSON). */
  body: FakeChatRequestBody;
  /** Azure route only. */
  deployment?: string;
  apiVersion?: string;
  /** The `api-key` header (Azure key auth). */
  apiKey?: string;
  /** The `authorization` header (OpenAI keys, Entra ID bearer tokens). */
  authorization?: string;
  /** Set when the client closed the connection before the reply was complete (abort, timeout). */
  clientWentAway: boolean;
}

export interface FakeOpenAI {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** For `new OpenAI({ baseURL })`: `<origin>/v1`. */
  readonly baseURL: string;
  /** For `new AzureOpenAI({ endpoint })` or AZURE_OPENAI_ENDPOINT: the SDK appends `/openai/deployments/…`. */
  readonly azureEndpoint: string;
  /** Every request received, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Test mistakes seen by the server (a request with no step left, an unknown route). */
  readonly problems: string[];
  /** Appends steps; each request consumes the next one. */
  script(...steps: FakeStepSource[]): void;
  /** Steps not consumed yet. */
  remainingSteps(): number;
  /** Resolves once at least `count` requests have arrived. */
  waitForRequests(count: number): Promise<void>;
  /**
   * Resolves with the request once its client has closed the connection before the reply was complete.
   * `requestIndex` defaults to the latest request received (or the first one if none arrived yet).
   */
  waitForClientGone(requestIndex?: number): Promise<RecordedRequest>;
  /** Forgets the remaining steps, the recorded requests and the problems. */
  reset(): void;
  /** Destroys open connections (hung requests included) and stops listening. */
  close(): Promise<void>;
}

export interface FakeOpenAIOptions {
  /** Answers requests once the script is exhausted, instead of the 500 that flags a test mistake. */
  fallback?: FakeStepSource;
}

/** The text of the last user message of a recorded request, handy for steps that echo the question. */
export function lastUserMessage(request: RecordedRequest): string {
  const messages = request.body.messages ?? [];
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const message = messages[i];
    if (message?.role === 'user') return message.content ?? '';
  }
  return '';
}

const AZURE_ROUTE = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/;
const MAX_BODY_BYTES = 10 * 1024 * 1024;

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function splitIntoPieces(text: string, size: number): string[] {
  const chars = Array.from(text);
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(''));
  return pieces;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(raw: string): FakeChatRequestBody {
  if (raw.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' && parsed !== null ? (parsed as FakeChatRequestBody) : {};
  } catch {
    return {};
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

function openAIError(message: string, type: string): { error: Record<string, unknown> } {
  return { error: { message, type, param: null, code: null } };
}

interface Exchange {
  request: RecordedRequest;
  res: ServerResponse;
  /** Aborted when the connection closes, so pending delays stop at once. */
  signal: AbortSignal;
  isOpen(): boolean;
  /** Marks the coming close as ours, not the client's. */
  destroyByServer(): void;
  azure: boolean;
}

function toolCallId(call: FakeToolCall): string {
  return call.id ?? `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
}

function argumentsText(call: FakeToolCall): string {
  return typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
}

/** Every `delta` of a streamed reply, in sending order. */
function replyDeltas(reply: FakeReplyStep): Array<Record<string, unknown>> {
  const size = Math.max(1, reply.chunkSize ?? 4);
  const deltas: Array<Record<string, unknown>> = [{ role: 'assistant', content: '' }];
  for (const piece of splitIntoPieces(reply.text ?? '', size)) deltas.push({ content: piece });

  const calls = (reply.toolCalls ?? []).map((call, index) => {
    const header = {
      index,
      id: toolCallId(call),
      type: 'function',
      function: { name: call.name, arguments: '' },
    };
    const pieces = splitIntoPieces(argumentsText(call), size).map((piece) => ({
      index,
      function: { arguments: piece },
    }));
    return [header, ...pieces];
  });
  const toolCallDeltas: Array<Record<string, unknown>> = [];
  if (reply.interleave ?? true) {
    const rounds = Math.max(0, ...calls.map((c) => c.length));
    for (let round = 0; round < rounds; round += 1) {
      for (const call of calls) {
        const delta = call[round];
        if (delta) toolCallDeltas.push(delta);
      }
    }
  } else {
    for (const call of calls) toolCallDeltas.push(...call);
  }
  for (const delta of toolCallDeltas) deltas.push({ tool_calls: [delta] });
  return deltas;
}

function untilSettledOrAborted(promise: Promise<unknown>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
    promise.then(
      () => resolve(),
      () => resolve(),
    );
  });
}

function finishReasonOf(reply: FakeReplyStep): string {
  return reply.finishReason ?? ((reply.toolCalls?.length ?? 0) > 0 ? 'tool_calls' : 'stop');
}

function usageOf(reply: FakeReplyStep): Required<FakeUsage> | null {
  const usage = reply.usage === undefined ? DEFAULT_FAKE_USAGE : reply.usage;
  if (usage === null) return null;
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.total_tokens ?? usage.prompt_tokens + usage.completion_tokens,
  };
}

async function streamReply(exchange: Exchange, reply: FakeReplyStep): Promise<void> {
  const { res, request, signal } = exchange;
  const base = {
    id: `chatcmpl-fake-${request.index}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: request.body.model ?? 'fake-model',
    system_fingerprint: 'fp_fake',
  };
  const delayMs = reply.delayMs ?? 0;
  let sent = 0;
  const send = async (payload: string): Promise<boolean> => {
    if (sent > 0 && delayMs > 0) await sleep(delayMs, undefined, { signal }).catch(() => undefined);
    if (!exchange.isOpen()) return false;
    sent += 1;
    // Waiting for each write to be flushed keeps 'die' from dropping chunks still in the buffer.
    await new Promise<void>((resolve) => res.write(`data: ${payload}\n\n`, () => resolve()));
    return true;
  };

  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.flushHeaders();
  if (exchange.azure) {
    // Azure opens with a content-filter chunk that has no choices.
    await send(JSON.stringify({ ...base, choices: [], prompt_filter_results: [{ prompt_index: 0 }] }));
  }
  const deltas = replyDeltas(reply);
  // The role delta, then one per text piece.
  const textEnd = 1 + splitIntoPieces(reply.text ?? '', Math.max(1, reply.chunkSize ?? 4)).length;
  for (const [index, delta] of deltas.entries()) {
    if (index === textEnd && reply.holdUntil) await untilSettledOrAborted(reply.holdUntil, signal);
    const chunk = { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] };
    if (!(await send(JSON.stringify(chunk)))) return;
  }
  if (textEnd >= deltas.length && reply.holdUntil) await untilSettledOrAborted(reply.holdUntil, signal);

  switch (reply.ending ?? 'done') {
    case 'die':
      exchange.destroyByServer();
      return;
    case 'hang':
      return;
    case 'cut':
      res.end();
      return;
    case 'malformed':
      if (await send('{not json')) res.end();
      return;
    case 'error': {
      const message = reply.errorMessage ?? 'The server had an error';
      if (await send(JSON.stringify(openAIError(message, 'server_error')))) res.end();
      return;
    }
    case 'done': {
      const finish = {
        ...base,
        choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: finishReasonOf(reply) }],
      };
      if (!(await send(JSON.stringify(finish)))) return;
      const usage = usageOf(reply);
      if (usage && request.body.stream_options?.include_usage) {
        if (!(await send(JSON.stringify({ ...base, choices: [], usage })))) return;
      }
      if (await send('[DONE]')) res.end();
    }
  }
}

function answerWhole(exchange: Exchange, reply: FakeReplyStep): void {
  const { request, res } = exchange;
  switch (reply.ending ?? 'done') {
    case 'die':
      exchange.destroyByServer();
      return;
    case 'hang':
      return;
    case 'cut':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"chatcmpl-fake","choices":[');
      return;
    case 'malformed':
      sendJson(res, 200, '{not json');
      return;
    case 'error':
      sendJson(res, 500, openAIError(reply.errorMessage ?? 'The server had an error', 'server_error'));
      return;
    case 'done': {
      const toolCalls = (reply.toolCalls ?? []).map((call) => ({
        id: toolCallId(call),
        type: 'function',
        function: { name: call.name, arguments: argumentsText(call) },
      }));
      const usage = usageOf(reply);
      sendJson(res, 200, {
        id: `chatcmpl-fake-${request.index}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: request.body.model ?? 'fake-model',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: reply.text ?? null,
              refusal: null,
              ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
            },
            logprobs: null,
            finish_reason: finishReasonOf(reply),
          },
        ],
        ...(usage ? { usage } : {}),
      });
    }
  }
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const steps: FakeStepSource[] = [];
  const requests: RecordedRequest[] = [];
  const problems: string[] = [];
  const goneWaiters = new Map<number, Deferred<RecordedRequest>>();
  const requestWaiters: Array<{ count: number; resolve(): void }> = [];
  let closing = false;

  const goneDeferred = (index: number): Deferred<RecordedRequest> => {
    let d = goneWaiters.get(index);
    if (!d) {
      d = deferred<RecordedRequest>();
      goneWaiters.set(index, d);
    }
    return d;
  };

  const record = (req: IncomingMessage, url: URL, body: FakeChatRequestBody): RecordedRequest => {
    const azure = AZURE_ROUTE.exec(url.pathname);
    const header = (name: string): string | undefined => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    };
    const request: RecordedRequest = {
      index: requests.length,
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      ...(azure?.[1] ? { deployment: decodeURIComponent(azure[1]) } : {}),
      ...(url.searchParams.has('api-version')
        ? { apiVersion: url.searchParams.get('api-version') ?? '' }
        : {}),
      ...(header('api-key') !== undefined ? { apiKey: header('api-key') } : {}),
      ...(header('authorization') !== undefined ? { authorization: header('authorization') } : {}),
      clientWentAway: false,
    };
    requests.push(request);
    for (let i = requestWaiters.length - 1; i >= 0; i -= 1) {
      const waiter = requestWaiters[i];
      if (waiter && requests.length >= waiter.count) {
        requestWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
    return request;
  };

  const nextStep = (request: RecordedRequest): FakeStep | undefined => {
    const source = steps.shift() ?? options.fallback;
    if (source === undefined) return undefined;
    return typeof source === 'function' ? source(request) : source;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = parseBody(await readBody(req));
    const request = record(req, url, body);

    const controller = new AbortController();
    let destroyedByServer = false;
    res.on('close', () => {
      controller.abort();
      if (!res.writableFinished && !destroyedByServer && !closing) {
        request.clientWentAway = true;
        goneDeferred(request.index).resolve(request);
      }
    });
    const exchange: Exchange = {
      request,
      res,
      signal: controller.signal,
      isOpen: () => !res.destroyed && !res.writableEnded,
      destroyByServer: () => {
        destroyedByServer = true;
        res.destroy();
      },
      azure: AZURE_ROUTE.test(url.pathname),
    };

    const isChatRoute = url.pathname === '/v1/chat/completions' || exchange.azure;
    if (req.method !== 'POST' || !isChatRoute) {
      const problem = `fake-openai: no route for ${req.method} ${url.pathname} (request #${request.index})`;
      problems.push(problem);
      sendJson(res, 404, openAIError(problem, 'invalid_request_error'), { 'x-should-retry': 'false' });
      return;
    }
    if (exchange.azure && !url.searchParams.get('api-version')) {
      sendJson(res, 400, openAIError('api-version query parameter is required', 'invalid_request_error'));
      return;
    }

    const current = nextStep(request);
    if (current === undefined) {
      const problem = `fake-openai: no scripted step left for request #${request.index} (${req.method} ${url.pathname})`;
      problems.push(problem);
      sendJson(res, 500, openAIError(problem, 'fake_openai_script_exhausted'), { 'x-should-retry': 'false' });
      return;
    }

    switch (current.kind) {
      case 'hang':
        return;
      case 'error': {
        const headers: Record<string, string> = { ...current.headers };
        if (current.retryAfter !== undefined) headers['retry-after'] = String(current.retryAfter);
        const errorBody =
          current.body ?? openAIError(`fake-openai: scripted HTTP ${current.status}`, 'fake_error');
        sendJson(res, current.status, errorBody, headers);
        return;
      }
      case 'reply':
        if (body.stream) await streamReply(exchange, current);
        else answerWhole(exchange, current);
        return;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      problems.push(`fake-openai: handler failed: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent)
        sendJson(res, 500, openAIError('fake-openai: handler failed', 'fake_openai_error'));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    baseURL: `${origin}/v1`,
    azureEndpoint: origin,
    requests,
    problems,
    script(...more: FakeStepSource[]): void {
      steps.push(...more);
    },
    remainingSteps: () => steps.length,
    waitForRequests(count: number): Promise<void> {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve) => requestWaiters.push({ count, resolve }));
    },
    waitForClientGone(requestIndex?: number): Promise<RecordedRequest> {
      const index = requestIndex ?? Math.max(0, requests.length - 1);
      const request = requests[index];
      if (request?.clientWentAway) return Promise.resolve(request);
      return goneDeferred(index).promise;
    },
    reset(): void {
      steps.length = 0;
      requests.length = 0;
      problems.length = 0;
      goneWaiters.clear();
    },
    async close(): Promise<void> {
      closing = true;
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
