import type {
  ChatModel,
  ModelEvent,
  ModelMessage,
  ModelRequest,
  ModelStatus,
  Usage,
} from '../../src/agent/types.js';
import { abortReason } from '../../src/lib/abort.js';
import type { ModelToolSpec } from '../../src/tools/registry.js';

/** One thing a scripted step does, in order. */
export type ScriptAction =
  /** Yields one text delta. */
  | { text: string }
  /** Yields a complete tool call; object arguments are sent as JSON, a string as it is. */
  | { toolCall: { id?: string; name: string; arguments: unknown } }
  | { usage: Usage }
  /** Rejects the step with this error (e.g. a ModelError). */
  | { throw: unknown }
  /** Waits until the request is aborted, then rejects with the abort reason, like a real model. */
  | { hang: true }
  /** Never settles, even when aborted: a model that ignores its signal. */
  | { hangIgnoringAbort: true }
  /** Pauses the stream until the promise settles. */
  | { waitFor: Promise<unknown> };

export interface RecordedRequest {
  messages: ModelMessage[];
  tools: ModelToolSpec[];
  signal: AbortSignal;
}

export type ScriptStep =
  | readonly ScriptAction[]
  | ((request: RecordedRequest, index: number) => readonly ScriptAction[] | Promise<readonly ScriptAction[]>);

export interface ScriptedModel extends ChatModel {
  /** Every request received, with a copy of its messages as they were at call time. */
  readonly requests: RecordedRequest[];
  /** Scripted steps not used yet (always 0 for a function script). */
  remaining(): number;
}

/** Shorthand for a tool-call action; without an id the model numbers its calls (call_1, call_2, …). */
export function call(name: string, args: unknown, id?: string): ScriptAction {
  return { toolCall: { ...(id === undefined ? {} : { id }), name, arguments: args } };
}

/** A text split into small deltas, as a streaming provider would send it. */
export function say(text: string, chunkSize = 4): ScriptAction[] {
  const actions: ScriptAction[] = [];
  for (let i = 0; i < text.length; i += chunkSize) actions.push({ text: text.slice(i, i + chunkSize) });
  return actions;
}

/**
 * A ChatModel for unit tests: each `stream()` call plays the next scripted step (or asks the script
 * function for one). Running out of steps fails the step, so a test notices an unexpected call.
 */
export function createScriptedModel(
  script: readonly ScriptStep[] | ((request: RecordedRequest, index: number) => ScriptStep),
  identity: { provider?: string; model?: string } = {},
): ScriptedModel {
  const requests: RecordedRequest[] = [];
  const steps = Array.isArray(script) ? [...(script as readonly ScriptStep[])] : undefined;
  const provider = identity.provider ?? 'scripted';
  const model = identity.model ?? 'scripted-model';
  let lastCall: ModelStatus['lastCall'];
  // Per model, so a test's ids never depend on what other tests ran before it in the same worker.
  let nextCallId = 1;

  async function* stream(request: ModelRequest): AsyncGenerator<ModelEvent> {
    const recorded: RecordedRequest = {
      messages: structuredClone(request.messages),
      tools: structuredClone(request.tools),
      signal: request.signal,
    };
    const index = requests.length;
    requests.push(recorded);
    let step: ScriptStep | undefined;
    if (steps) {
      step = steps.shift();
      if (step === undefined) throw new Error(`scripted model: no step left for call ${index + 1}`);
    } else {
      step = (script as (request: RecordedRequest, index: number) => ScriptStep)(recorded, index);
    }
    const actions = typeof step === 'function' ? await step(recorded, index) : step;
    const { signal } = request;
    try {
      for (const action of actions) {
        if (signal.aborted) throw abortReason(signal);
        if ('text' in action) yield { type: 'text', delta: action.text };
        else if ('toolCall' in action) {
          const { id, name, arguments: args } = action.toolCall;
          yield {
            type: 'tool_call',
            call: {
              id: id ?? `call_${nextCallId++}`,
              name,
              arguments: typeof args === 'string' ? args : JSON.stringify(args),
            },
          };
        } else if ('usage' in action) yield { type: 'usage', usage: action.usage };
        else if ('throw' in action) throw action.throw;
        else if ('hang' in action) await untilAborted(signal);
        else if ('hangIgnoringAbort' in action) await new Promise<never>(() => {});
        else await action.waitFor;
      }
      lastCall = { outcome: 'ok', at: new Date().toISOString() };
    } catch (err) {
      lastCall = { outcome: 'error', at: new Date().toISOString(), error: String(err) };
      throw err;
    }
  }

  return {
    provider,
    model,
    stream,
    status: () => ({ provider, model, ...(lastCall ? { lastCall } : {}) }),
    requests,
    remaining: () => steps?.length ?? 0,
  };
}

function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) reject(abortReason(signal));
    else signal.addEventListener('abort', () => reject(abortReason(signal)), { once: true });
  });
}
