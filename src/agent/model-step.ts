import { randomUUID } from 'node:crypto';
import { abortReason } from '../lib/abort.js';
import { claimCallId } from './call-ids.js';
import type { ChatModel, ModelEvent, ModelRequest, ModelToolCall, Usage } from './types.js';

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
  // One listener for the whole call (not one per streamed chunk); it rejects the wait under way.
  // Nothing is left on a long-lived promise per chunk: each wait is its own promise.
  let rejectWait: ((reason: unknown) => void) | undefined;
  const onAbort = () => rejectWait?.(abortReason(signal));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      if (signal.aborted) throw abortReason(signal);
      const next = await new Promise<IteratorResult<ModelEvent>>((resolve, reject) => {
        rejectWait = reject;
        iterator.next().then(resolve, reject);
      });
      rejectWait = undefined;
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
