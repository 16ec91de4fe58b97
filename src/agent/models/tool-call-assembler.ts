import { randomUUID } from 'node:crypto';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ModelToolCall } from '../types.js';
import { MalformedReplyError } from './model-errors.js';

type ToolCallDelta = ChatCompletionChunk.Choice.Delta.ToolCall;

interface PartialCall {
  id: string | undefined;
  name: string;
  arguments: string;
}

/**
 * Rebuilds complete tool calls from streamed deltas. The first delta of a call carries its id and
 * name; its arguments then arrive in pieces, and the pieces of several calls may interleave, so
 * everything is keyed by the delta's `index`. Some OpenAI-compatible servers omit `index`; for
 * those a new id opens a new call and a delta without either continues the latest one.
 */
export function createToolCallAssembler() {
  const calls = new Map<number, PartialCall>();
  let latest = -1;

  function slotFor(delta: ToolCallDelta): number {
    if (typeof delta.index === 'number') return delta.index;
    if (delta.id) {
      for (const [slot, call] of calls) if (call.id === delta.id) return slot;
      return latest + 1;
    }
    return Math.max(latest, 0);
  }

  return {
    add(deltas: readonly ToolCallDelta[]): void {
      for (const delta of deltas) {
        const slot = slotFor(delta);
        let call = calls.get(slot);
        if (!call) {
          call = { id: undefined, name: '', arguments: '' };
          calls.set(slot, call);
        }
        latest = Math.max(latest, slot);
        if (delta.id) call.id = delta.id;
        // Names arrive whole (the SDK's own accumulator replaces rather than appends too).
        if (delta.function?.name) call.name = delta.function.name;
        if (delta.function?.arguments) call.arguments += delta.function.arguments;
      }
    },

    /** Complete calls in index order; the assembler is empty afterwards. */
    drain(): ModelToolCall[] {
      const complete = [...calls.entries()]
        .sort(([a], [b]) => a - b)
        .map(([, call]) => {
          if (call.name === '') throw new MalformedReplyError('a tool call arrived without a function name');
          return {
            id: call.id ?? `call_${randomUUID().replaceAll('-', '')}`,
            name: call.name,
            // Some servers send nothing at all for a tool without parameters.
            arguments: call.arguments.trim() === '' ? '{}' : call.arguments,
          };
        });
      calls.clear();
      latest = -1;
      return complete;
    },
  };
}
