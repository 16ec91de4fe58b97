import type { StoredMessage, ToolCallRecord } from '../sessions/types.js';
import type { ModelMessage } from './types.js';

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
  const messages: ModelMessage[] = [];
  for (const stored of window) {
    if (stored.role === 'user') {
      messages.push({ role: 'user', content: stored.content });
      continue;
    }
    const calls = stored.tool_calls ?? [];
    if (calls.length > 0) messages.push(...replayToolCalls(calls));
    // An interrupted turn may have produced tool calls but no text; an empty reply adds nothing.
    if (stored.content !== '' || calls.length === 0)
      messages.push({ role: 'assistant', content: stored.content });
  }
  return messages;
}

function replayToolCalls(calls: readonly ToolCallRecord[]): ModelMessage[] {
  const replay: ModelMessage[] = [
    {
      role: 'assistant',
      content: null,
      toolCalls: calls.map((call) => ({
        id: call.id,
        name: call.name,
        arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {}),
      })),
    },
  ];
  for (const call of calls) {
    replay.push({ role: 'tool', toolCallId: call.id, content: call.result ?? MISSING_RESULT });
  }
  return replay;
}
