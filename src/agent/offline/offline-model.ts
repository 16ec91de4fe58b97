import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { abortReason } from '../../lib/abort.js';
import type { ChatModel, ModelEvent, ModelRequest, ModelStatus } from '../types.js';
import { helpText } from './capabilities.js';
import { recogniseIntent } from './intents.js';
import { routeUserMessage } from './router.js';
import { wordToolResults } from './wording.js';

export const OFFLINE_PROVIDER = 'offline';
export const OFFLINE_MODEL = 'offline-intent-router';

export interface OfflineModelOptions {
  logger: Logger;
  /**
   * Pause between words when the client reads a stream, so that it sees the answer arrive word by word
   * as it would from an LLM. JSON replies never wait for it. 0 in tests.
   */
  wordDelayMs?: number;
}

/** Splits text into words that keep their following whitespace, so the deltas concatenate back to it. */
function words(text: string): string[] {
  return text.trim().match(/\S+\s*/g) ?? [];
}

/**
 * A deterministic stand-in for an LLM, used when none is configured: it recognises a few intents in
 * the customer's message, calls the real tools, and words their results. It never claims to be an LLM.
 */
export function createOfflineModel(options: OfflineModelOptions): ChatModel {
  const { logger } = options;
  const wordDelayMs = options.wordDelayMs ?? 20;
  let lastCall: ModelStatus['lastCall'];

  async function* stream(request: ModelRequest): AsyncGenerator<ModelEvent> {
    const { signal, messages, tools } = request;
    if (signal.aborted) throw abortReason(signal);
    const last = messages.at(-1);
    let reply: string;
    if (last?.role === 'tool') {
      reply = wordToolResults(messages);
    } else if (last?.role === 'user') {
      const intent = recogniseIntent(last.content);
      const decision = routeUserMessage(intent, tools, messages.slice(0, -1));
      logger.debug({ intent: intent.kind, decision: decision.kind }, 'offline model routed a message');
      if (decision.kind === 'call') {
        lastCall = { outcome: 'ok', at: new Date().toISOString() };
        yield {
          type: 'tool_call',
          call: {
            id: `offline_${randomUUID()}`,
            name: decision.name,
            arguments: JSON.stringify(decision.arguments),
          },
        };
        return;
      }
      reply = decision.text;
    } else {
      reply = helpText(tools);
    }

    const parts = words(reply);
    for (const [i, part] of parts.entries()) {
      if (signal.aborted) throw abortReason(signal);
      yield { type: 'text', delta: part };
      // Paced like typing only for a reader of the stream; a JSON reply should not wait for it.
      if (request.streaming && wordDelayMs > 0 && i < parts.length - 1) {
        try {
          await sleep(wordDelayMs, undefined, { signal });
        } catch {
          throw abortReason(signal);
        }
      }
    }
    lastCall = { outcome: 'ok', at: new Date().toISOString() };
  }

  return {
    provider: OFFLINE_PROVIDER,
    model: OFFLINE_MODEL,
    stream,
    status: (): ModelStatus => ({
      provider: OFFLINE_PROVIDER,
      model: OFFLINE_MODEL,
      ...(lastCall ? { lastCall } : {}),
    }),
  };
}
