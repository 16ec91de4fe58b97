import type OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import type { Logger } from 'pino';
import { raceAbort } from '../../lib/abort.js';
import type { ChatModel, ModelError, ModelEvent, ModelRequest, ModelStatus, Usage } from '../types.js';
import { MalformedReplyError, toModelError } from './model-errors.js';
import { requestBody, toChatMessages, toChatTools } from './request-body.js';
import { chatCompletionChunks } from './sse.js';
import { createToolCallAssembler } from './tool-call-assembler.js';

export interface OpenAICompatibleModelOptions {
  /** Built with `timeout: LLM_TIMEOUT_MS` and `maxRetries: LLM_MAX_RETRIES`: the only retry layer. */
  client: OpenAI;
  /** Model name, or the deployment name for Azure. */
  model: string;
  provider: 'openai' | 'azure';
  logger: Logger;
  /**
   * Longest silence allowed between two chunks once the reply has started. The SDK's `timeout` stops
   * counting when the response headers arrive, so without this a stalled stream would hang the turn.
   * Defaults to the client's timeout.
   */
  idleTimeoutMs?: number;
}

const STEP_ENDED = new DOMException('The model step has ended', 'AbortError');

function toUsage(usage: NonNullable<ChatCompletionChunk['usage']>): Usage {
  const prompt = Number(usage.prompt_tokens) || 0;
  const completion = Number(usage.completion_tokens) || 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: Number(usage.total_tokens) || prompt + completion,
  };
}

/**
 * A ChatModel over Chat Completions for OpenAI, Azure OpenAI (through `AzureOpenAI`) and
 * OpenAI-compatible servers (Ollama, vLLM, LM Studio…). Every step is streamed: text deltas are
 * yielded as they arrive, tool calls once complete (at `finish_reason`), usage at the end.
 *
 * Retries belong to the SDK alone. It retries only while no response has started (connection
 * failures, 408/409/429/5xx, honouring Retry-After), so nothing is ever retried once a token has been
 * yielded; a stream that breaks later surfaces as a ModelError for the caller to handle.
 */
export function createOpenAICompatibleModel(options: OpenAICompatibleModelOptions): ChatModel {
  const { client, model, provider } = options;
  const logger = options.logger.child({ component: 'llm', provider, model });
  const idleTimeoutMs = options.idleTimeoutMs ?? client.timeout;
  /** How the last call went; `atMs` is formatted only when the status is read. */
  let lastCall: { outcome: 'ok' | 'error'; atMs: number; error?: string } | undefined;

  function fail(err: unknown, circumstances: { callerAborted: boolean; idleTimedOut: boolean }): ModelError {
    const error = toModelError(err, circumstances);
    if (error.kind === 'aborted') {
      logger.debug('language model request cancelled by the caller');
      return error;
    }
    lastCall = { outcome: 'error', atMs: Date.now(), error: error.message };
    logger.warn({ kind: error.kind, status: error.status }, 'language model call failed');
    // The original error may carry the provider's body and URL: debug only.
    logger.debug({ err }, 'language model call failed: original error');
    return error;
  }

  async function* stream(request: ModelRequest): AsyncGenerator<ModelEvent, void, undefined> {
    const { signal } = request;
    if (signal.aborted) throw fail(signal.reason, { callerAborted: true, idleTimedOut: false });

    // One controller per step, so the SDK never piles listeners onto the turn-long caller signal
    // and our inactivity timer can cancel the request too.
    const controller = new AbortController();
    const onCallerAbort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', onCallerAbort, { once: true });
    let idleTimedOut = false;
    // One timer per step, restarted for each chunk; it counts only while a chunk is awaited.
    let awaitingChunk = false;
    let idleTimer: NodeJS.Timeout | undefined;
    const armIdleTimer = () => {
      awaitingChunk = true;
      if (idleTimer) {
        idleTimer.refresh();
        return;
      }
      idleTimer = setTimeout(() => {
        if (!awaitingChunk) return;
        idleTimedOut = true;
        controller.abort();
      }, idleTimeoutMs);
    };

    const assembler = createToolCallAssembler();
    let chunks: AsyncIterator<ChatCompletionChunk> | undefined;
    let usage: Usage | undefined;
    let finishReason: string | undefined;
    let toolCallCount = 0;
    /** The reply's events ended by themselves: the response was read to its end. */
    let drained = false;

    try {
      // Azure's client needs the body as an object to route the call to its deployment; any other
      // provider gets it already written (`requestBody`), so the SDK sends it as it is and reads
      // only `stream` from the parameters.
      const encoded = provider !== 'azure';
      const params: ChatCompletionCreateParamsStreaming = {
        model,
        messages: encoded ? [] : toChatMessages(request.messages),
        stream: true,
        stream_options: { include_usage: true },
      };
      if (!encoded && request.tools.length > 0) params.tools = toChatTools(request.tools);
      const response = await raceAbort(
        client.chat.completions
          .create(params, {
            signal: controller.signal,
            ...(encoded
              ? {
                  body: requestBody(model, request.messages, request.tools),
                  headers: { 'content-type': 'application/json', ...request.headers },
                }
              : request.headers
                ? { headers: request.headers }
                : {}),
          })
          .asResponse(),
        controller.signal,
      );
      if (!response.body) throw new MalformedReplyError('the reply has no body');
      const body = response.body as unknown as AsyncIterable<Uint8Array>;
      chunks = chatCompletionChunks(body, response.headers);

      for (;;) {
        // The timer measures the provider's silence only, not the time our consumer spends on an event.
        armIdleTimer();
        const next = await chunks.next();
        awaitingChunk = false;
        if (next.done) {
          drained = true;
          break;
        }
        const chunk = next.value;
        if (chunk.usage) usage = toUsage(chunk.usage);
        for (const choice of chunk.choices ?? []) {
          if (choice.index !== 0) continue;
          const delta = choice.delta;
          if (delta?.content) yield { type: 'text', delta: delta.content };
          // A refusal is the model's answer to the user; dropping it would leave them with nothing.
          if (delta?.refusal) yield { type: 'text', delta: delta.refusal };
          if (delta?.tool_calls) assembler.add(delta.tool_calls);
          if (choice.finish_reason) {
            finishReason = choice.finish_reason;
            for (const call of assembler.drain()) {
              toolCallCount += 1;
              yield { type: 'tool_call', call };
            }
          }
        }
      }

      // A body that ends because its request was aborted is not a finished reply.
      if (controller.signal.aborted) throw controller.signal.reason;
      if (finishReason === undefined)
        throw new MalformedReplyError('the reply ended without a finish_reason');
      // Calls whose deltas came after the finish_reason chunk (seen from some compatible servers).
      for (const call of assembler.drain()) {
        toolCallCount += 1;
        yield { type: 'tool_call', call };
      }
      if (usage) yield { type: 'usage', usage };

      lastCall = { outcome: 'ok', atMs: Date.now() };
      if (finishReason !== 'stop' && finishReason !== 'tool_calls') {
        logger.info({ finishReason }, 'language model stopped early');
      }
      logger.debug({ finishReason, toolCalls: toolCallCount, usage }, 'language model step finished');
    } catch (err) {
      throw fail(err, { callerAborted: signal.aborted, idleTimedOut });
    } finally {
      clearTimeout(idleTimer);
      signal.removeEventListener('abort', onCallerAbort);
      // Releases the HTTP request when the consumer stops early or the step failed half-way (with
      // a shared reason: a fresh DOMException per step costs a stack trace nobody reads). A response
      // read to its end has nothing to release: aborting it anyway made the SDK and fetch build and
      // dispatch an abort (with a DOMException of their own) on every step.
      if (!drained || controller.signal.aborted) {
        controller.abort(STEP_ENDED);
        await chunks?.return?.().catch(() => undefined);
      }
    }
  }

  return {
    provider,
    model,
    stream,
    status(): ModelStatus {
      if (!lastCall) return { provider, model };
      const { atMs, ...call } = lastCall;
      return { provider, model, lastCall: { ...call, at: new Date(atMs).toISOString() } };
    },
  };
}
