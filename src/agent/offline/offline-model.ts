import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { abortReason } from '../../lib/abort.js';
import type { ModelToolSpec } from '../../tools/registry.js';
import type {
  ChatModel,
  ModelEvent,
  ModelMessage,
  ModelRequest,
  ModelStatus,
  ModelToolCall,
} from '../types.js';
import { type Conversation, decide, parseArgs, readConversation } from './conversation.js';
import { courtesy, helpText } from './replies.js';
import { actionOf, emailDemand, KNOWN_TOOLS, parseResult, wordResult } from './results.js';

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

/** The canonical name of a tool the assistant drives, also when MCP gave it a prefix. */
function canonical(name: string): string {
  return (
    KNOWN_TOOLS.find((tool) => name === tool || name.endsWith(`_${tool}`) || name.endsWith(`-${tool}`)) ??
    name
  );
}

/** The answer to the results of the tool step that ends `messages`. */
function wordStep(messages: readonly ModelMessage[], conversation: Conversation): string {
  let start = messages.length;
  while (start > 0 && messages[start - 1]?.role === 'tool') start--;
  const step = messages[start - 1];
  const calls = new Map<string, ModelToolCall>();
  if (step?.role === 'assistant') for (const call of step.toolCalls ?? []) calls.set(call.id, call);
  const status = conversation.current?.intent === 'status';
  const answers: string[] = [];
  for (const message of messages.slice(start)) {
    if (message.role !== 'tool') continue;
    const call = calls.get(message.toolCallId);
    const tool = canonical(call?.name ?? '');
    const args = call ? parseArgs(call) : {};
    const value = parseResult(message.content);
    const demand = emailDemand(value);
    if (demand) {
      answers.push(
        demand.field === 'to'
          ? `To ${actionOf(tool, args)}, I need the e-mail address to send it to. Which one should I use?`
          : `To ${actionOf(tool, args)}, I need the e-mail address on the order, so that I know it is yours. What is it?`,
      );
    } else {
      answers.push(wordResult(tool, args, value, status));
    }
  }
  return answers.join('\n\n');
}

/**
 * A deterministic stand-in for an LLM, used when none is configured: it understands a small grammar
 * of customer requests, calls the real tools with arguments named as their schemas name them, and
 * words their results. What the conversation left open (a cancellation to confirm, a complaint being
 * put together, an e-mail a tool asked for) is rebuilt from the history on every step.
 */
export function createOfflineModel(options: OfflineModelOptions): ChatModel {
  const { logger } = options;
  const wordDelayMs = options.wordDelayMs ?? 20;
  let lastCall: ModelStatus['lastCall'];

  function answer(
    messages: readonly ModelMessage[],
    tools: readonly ModelToolSpec[],
  ): ModelToolCall | string {
    const conversation = readConversation(messages, tools);
    const { current, before } = conversation;
    if (!current) return helpText(tools);
    const prefix = courtesy(current, !before.langs.has(current.lang));
    if (messages.at(-1)?.role === 'tool') return prefix + wordStep(messages, conversation);
    const { action, state } = decide(before, current, tools);
    logger.debug(
      { intent: current.intent, task: state.task?.kind, action: action.kind },
      'offline model decided',
    );
    if (action.kind === 'call') {
      return { id: `offline_${randomUUID()}`, name: action.name, arguments: JSON.stringify(action.args) };
    }
    return prefix + action.text;
  }

  async function* stream(request: ModelRequest): AsyncGenerator<ModelEvent> {
    const { signal } = request;
    if (signal.aborted) throw abortReason(signal);
    const reply = answer(request.messages, request.tools);
    lastCall = { outcome: 'ok', at: new Date().toISOString() };
    if (typeof reply !== 'string') {
      yield { type: 'tool_call', call: reply };
      return;
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
