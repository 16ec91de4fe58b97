import { randomUUID } from 'node:crypto';
import { abortReason } from '../lib/abort.js';
import { claimCallId } from './call-ids.js';
import type { ChatModel, ModelRequest, ModelToolCall, Usage } from './types.js';

export interface StepOutput {
  text: string;
  calls: ModelToolCall[];
  usage?: Usage;
}

/**
 * Runs one model call, handing every text delta to `onText` the moment it arrives. Stops at once
 * when the request's signal aborts, even if the model implementation is slow to notice. `usedIds`
 * holds the tool-call ids already in the conversation (the whole turn and its replayed history); a
 * call whose id is missing or taken gets a fresh one, and the new ids are added to the set.
 */
export async function runModelStep(
  model: ChatModel,
  request: ModelRequest,
  onText: (delta: string) => void,
  usedIds: Set<string> = new Set(),
): Promise<StepOutput> {
  const { signal } = request;
  if (signal.aborted) throw abortReason(signal);
  const iterator = model.stream(request)[Symbol.asyncIterator]();
  const output: StepOutput = { text: '', calls: [] };
  // One listener for the whole call (not one per streamed chunk): every wait for the next event
  // races this promise, which rejects with the abort reason as soon as the signal aborts.
  let onAbort = () => {};
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(abortReason(signal));
  });
  aborted.catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done) break;
      const event = next.value;
      if (event.type === 'text') {
        if (event.delta === '') continue;
        output.text += event.delta;
        onText(event.delta);
      } else if (event.type === 'tool_call') {
        const id = claimCallId(event.call.id || `call_${randomUUID()}`, usedIds);
        output.calls.push({ ...event.call, id });
      } else {
        // A provider reports usage once per call; the last report is the complete one.
        output.usage = event.usage;
      }
    }
  } catch (err) {
    // Let the model release its connection without waiting for it.
    void Promise.resolve()
      .then(() => iterator.return?.())
      .catch(() => undefined);
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return output;
}

export function addUsage(total: Usage | undefined, step: Usage): Usage {
  if (!total) return { ...step };
  return {
    prompt_tokens: total.prompt_tokens + step.prompt_tokens,
    completion_tokens: total.completion_tokens + step.completion_tokens,
    total_tokens: total.total_tokens + step.total_tokens,
  };
}
