import type { StoredMessage, ToolCallRecord } from '../sessions/types.js';
import { claimCallId } from './call-ids.js';
import type { ModelMessage } from './types.js';

/**
 * How the model reads a message a person of the support team wrote during a hand-off: as
 * assistant-side context (the conversation's other party is still the customer), marked so that the
 * model neither takes it for its own promise nor answers it as the customer's question.
 */
export const OPERATOR_MESSAGE_PREFIX = '[Message from a person of the support team] ';

/** Shown to the model for a replayed call whose result was not kept. */
const MISSING_RESULT = JSON.stringify({ error: 'The result of this call was not kept.' });

/**
 * The last `max` stored messages as model messages. An assistant message that carries tool-call
 * records is replayed as the calls, their results, then its text — so the model still knows the ids
 * and facts it obtained in earlier turns. The window counts stored messages, so it can never start in
 * the middle of such a group.
 */
export function historyToModelMessages(history: readonly StoredMessage[], max: number): ModelMessage[] {
  const window = max > 0 ? history.slice(-max) : [];
  // What has just left the window will not be replayed again: its memo goes (a turn stores a
  // question and an answer, hand-offs a few more).
  const left = history.length - window.length;
  for (let i = Math.max(0, left - LEFT_PER_TURN); i < left; i++) replays.delete(history[i] as StoredMessage);
  const messages: ModelMessage[] = [];
  // Turns stored before ids were made unique per turn may repeat one; a provider rejects that.
  const usedIds = new Set<string>();
  for (const stored of window) {
    const kept = replays.get(stored);
    if (kept && claimAsTheyAre(stored.tool_calls, usedIds)) {
      for (const message of kept) messages.push(message);
      continue;
    }
    const start = messages.length;
    const renamed = replay(stored, usedIds, messages);
    if (!renamed) replays.set(stored, messages.slice(start));
  }
  return messages;
}

/**
 * Each stored message's model messages while the stored message lives (a session in use keeps the
 * same frozen objects from turn to turn), so that a turn reuses them and the model client their
 * encoding: about one more copy of the window's text per session in use (not counted by
 * SESSION_STORE_MAX_MB), let go when a message leaves the window or its session is packed or gone. Only a replay whose call ids needed no renaming is kept: it is the same in any window.
 */
const replays = new WeakMap<StoredMessage, readonly ModelMessage[]>();
const LEFT_PER_TURN = 8;

/** Claims the calls' ids as they are, when none is taken yet and none repeats; else claims nothing. */
function claimAsTheyAre(calls: readonly ToolCallRecord[] | undefined, usedIds: Set<string>): boolean {
  if (!calls || calls.length === 0) return true;
  const ids = calls.map((call) => call.id || 'call');
  if (ids.some((id, i) => usedIds.has(id) || ids.indexOf(id) !== i)) return false;
  for (const id of ids) usedIds.add(id);
  return true;
}

/** Appends `stored` as model messages; whether a call id had to be renamed. */
function replay(stored: StoredMessage, usedIds: Set<string>, messages: ModelMessage[]): boolean {
  if (stored.role === 'user') {
    messages.push({ role: 'user', content: stored.content });
    return false;
  }
  if (stored.role === 'operator') {
    messages.push({ role: 'assistant', content: `${OPERATOR_MESSAGE_PREFIX}${stored.content}` });
    return false;
  }
  const calls = stored.tool_calls ?? [];
  let renamed = false;
  if (calls.length > 0) {
    const replayed = replayToolCalls(calls, usedIds);
    renamed = replayed.renamed;
    messages.push(...replayed.messages);
  }
  // An interrupted turn may have produced tool calls but no text; an empty reply adds nothing.
  if (stored.content !== '' || calls.length === 0)
    messages.push({ role: 'assistant', content: stored.content });
  return renamed;
}

/** The ids of every tool call in `messages`. */
export function toolCallIds(messages: readonly ModelMessage[]): Set<string> {
  const ids = new Set<string>();
  for (const message of messages) {
    if (message.role === 'assistant') for (const call of message.toolCalls ?? []) ids.add(call.id);
  }
  return ids;
}

/** A call and its result keep the same (possibly renamed) id, so each result still answers its call. */
function replayToolCalls(
  calls: readonly ToolCallRecord[],
  usedIds: Set<string>,
): { messages: ModelMessage[]; renamed: boolean } {
  const ids = calls.map((call) => claimCallId(call.id || 'call', usedIds));
  const messages: ModelMessage[] = [
    {
      role: 'assistant',
      content: null,
      toolCalls: calls.map((call, i) => ({
        id: ids[i] ?? call.id,
        name: call.name,
        arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {}),
      })),
    },
  ];
  calls.forEach((call, i) => {
    messages.push({ role: 'tool', toolCallId: ids[i] ?? call.id, content: call.result ?? MISSING_RESULT });
  });
  return { messages, renamed: calls.some((call, i) => ids[i] !== call.id) };
}
