import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { abortReason } from '../../lib/abort.js';
import type { ChatModel, ModelEvent, ModelRequest, ModelStatus } from '../types.js';
import { decide, readConversation } from './conversation.js';
import { inLanguage, TEXTS } from './replies.js';
import { wordStep } from './results.js';

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

/**
 * A deterministic stand-in for an LLM, used when none is configured: it understands a small grammar
 * of customer requests, calls the real tools with arguments named as their schemas name them, and
 * words their results.
 */
export function createOfflineModel(options: OfflineModelOptions): ChatModel {
  const { logger } = options;
  const wordDelayMs = options.wordDelayMs ?? 20;
  let lastCall: ModelStatus['lastCall'];

  /** The answer to the last message: a tool call, or words for the customer. */
  function reply({ messages, tools }: ModelRequest): ModelEvent | string {
    const { before, current } = readConversation(messages, tools);
    if (!current) return TEXTS.help(tools);
    const say = (text: string) => inLanguage(text, current, !before.langs.has(current.lang));
    if (messages.at(-1)?.role === 'tool') return say(wordStep(messages, tools, current.intent === 'status'));
    const { action, state } = decide(before, current, tools);
    logger.debug(
      { intent: current.intent, task: state.task?.kind, action: action.kind },
      'offline model decided',
    );
    if (action.kind === 'say') return say(action.text);
    const call = { id: `offline_${randomUUID()}`, name: action.name, arguments: JSON.stringify(action.args) };
    return { type: 'tool_call', call };
  }

  async function* stream(request: ModelRequest): AsyncGenerator<ModelEvent> {
    const { signal } = request;
    if (signal.aborted) throw abortReason(signal);
    const answer = reply(request);
    lastCall = { outcome: 'ok', at: new Date().toISOString() };
    if (typeof answer !== 'string') {
      yield answer;
      return;
    }
    // Words that keep their following whitespace, so the deltas concatenate back to the answer.
    const parts = answer.trim().match(/\S+\s*/g) ?? [];
    for (const [i, part] of parts.entries()) {
      if (signal.aborted) throw abortReason(signal);
      yield { type: 'text', delta: part };
      // Paced like typing only for a reader of the stream; a JSON reply should not wait for it.
      if (request.streaming && wordDelayMs > 0 && i < parts.length - 1)
        await sleep(wordDelayMs, undefined, { signal }).catch(() => Promise.reject(abortReason(signal)));
    }
  }

  return {
    provider: OFFLINE_PROVIDER,
    model: OFFLINE_MODEL,
    stream,
    status: (): ModelStatus => ({ provider: OFFLINE_PROVIDER, model: OFFLINE_MODEL, lastCall }),
  };
}
