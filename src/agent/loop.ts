import type { Logger } from 'pino';
import { abortReason, childAbort, raceAbort } from '../lib/abort.js';
import { lazyChild } from '../lib/lazy-logger.js';
import type { ToolCallRecord } from '../sessions/types.js';
import type { ToolContext, ToolRegistry, ToolSet } from '../tools/registry.js';
import { historyToModelMessages, toolCallIds } from './history-window.js';
import { AGENT_INSTRUCTIONS } from './instructions.js';
import { addUsage, runModelStep } from './model-step.js';
import {
  INTERRUPTED_RESULT,
  MAX_TOOL_RESULT_CHARS,
  parseArguments,
  runToolCall,
  type ToolOutcome,
} from './tool-runner.js';
import {
  type AgentCheckpoint,
  type AgentEvent,
  type CallDecision,
  type PartialTurn,
  type ResumeInput,
  type TurnContext,
  type TurnInput,
  TurnInterruptedError,
  type TurnResult,
} from './turn-types.js';
import type { ChatModel, ModelMessage, ModelToolCall } from './types.js';

/** The answer when the model still wants tools after the last allowed step. */
export const STEP_LIMIT_ANSWER =
  'Sorry, I could not complete your request within the allowed number of steps. Please try again with a simpler or more specific request.';

/** The answer when the model ends the turn without saying anything. */
export const EMPTY_ANSWER = 'Sorry, I have no answer to that. Could you rephrase your request?';

export interface AgentConfig {
  AGENT_MAX_STEPS: number;
  TOOL_TIMEOUT_MS: number;
  HISTORY_MAX_MESSAGES: number;
}

export interface AgentDeps {
  model: ChatModel;
  tools: ToolRegistry;
  config: AgentConfig;
  logger: Logger;
  /** Replaces the default system instructions (tests, product variants). */
  instructions?: string;
  /** Longest tool result the model reads, in characters. */
  maxToolResultChars?: number;
  /** Runs around every tool call (metrics, traces); it must call `run` once and return its outcome. */
  aroundToolCall?: ToolCallWrapper;
  /** Told about every call once it finished or was cut off (the audit log); must not throw or block. */
  onToolCallDone?: (ctx: TurnContext, record: ToolCallRecord, startedAt: Date) => void;
  /** TOOLS_REQUIRING_APPROVAL: a call of such a tool pauses the turn before it runs. */
  requiresApproval?: (toolName: string) => boolean;
}

/** What the model reads for a call a person declined (or nobody decided in time). */
export function declinedResult(decision: CallDecision | undefined): string {
  if (decision?.expired) {
    return JSON.stringify({ error: 'declined: nobody approved this call in time, so it was not run.' });
  }
  const reason = decision?.reason?.trim();
  return JSON.stringify({
    error: `declined by an operator${reason ? `: ${reason}` : ''}. The call was not run.`,
  });
}

export interface ToolCallInfo {
  id: string;
  /** As the model asked for it: an unknown name is the model's, not one of ours. */
  name: string;
  /** Whether the turn's tool set holds a tool of that name. */
  known: boolean;
}

export type ToolCallWrapper = (info: ToolCallInfo, run: () => Promise<ToolOutcome>) => Promise<ToolOutcome>;

export type AgentEventListener = (event: AgentEvent) => void;

/** Text of consecutive steps is separated so that the concatenated tokens read as one answer. */
function needsSeparator(answer: string): boolean {
  return answer !== '' && !/\s$/.test(answer);
}

export function createAgent(deps: AgentDeps) {
  const { model, tools, config } = deps;
  const instructions = deps.instructions ?? AGENT_INSTRUCTIONS;
  const maxResultChars = deps.maxToolResultChars ?? MAX_TOOL_RESULT_CHARS;
  deps.logger.debug(
    { provider: model.provider, model: model.model, max_steps: config.AGENT_MAX_STEPS },
    'agent created',
  );

  function notifyDone(ctx: TurnContext, record: ToolCallRecord, startedAt: Date): void {
    if (!deps.onToolCallDone) return;
    try {
      deps.onToolCallDone(ctx, record, startedAt);
    } catch (err) {
      ctx.logger.error({ err, tool: record.name }, 'tool call hook failed');
    }
  }

  interface Drive {
    ctx: TurnContext;
    toolSet: ToolSet;
    messages: ModelMessage[];
    state: PartialTurn;
    /** A resumed turn: the paused step whose calls are settled first. */
    resume?: { checkpoint: AgentCheckpoint; decisions: ResumeInput['decisions'] };
  }

  async function runTurn(input: TurnInput, onEvent: AgentEventListener): Promise<TurnResult> {
    // One snapshot per turn: the model never sees a tool vanish between two steps.
    const toolSet = tools.snapshot();
    const messages: ModelMessage[] = [
      { role: 'system', content: instructions },
      ...historyToModelMessages(input.history, config.HISTORY_MAX_MESSAGES),
      { role: 'user', content: input.message },
    ];
    return drive(
      { ctx: input.ctx, toolSet, messages, state: { answer: '', toolCalls: [], steps: 0 } },
      onEvent,
    );
  }

  /**
   * Goes on with a turn that paused for approvals: the approved calls run, the declined ones get a
   * result saying so, and the loop continues from there as if it had never stopped.
   */
  async function resumeTurn(input: ResumeInput, onEvent: AgentEventListener): Promise<TurnResult> {
    const { checkpoint } = input;
    const messages: ModelMessage[] = [
      { role: 'system', content: instructions },
      ...structuredClone(checkpoint.messages),
    ];
    const state: PartialTurn = {
      answer: checkpoint.answer,
      toolCalls: structuredClone(checkpoint.toolCalls),
      steps: checkpoint.steps,
      ...(checkpoint.usage ? { usage: { ...checkpoint.usage } } : {}),
    };
    return drive(
      {
        ctx: input.ctx,
        toolSet: tools.snapshot(),
        messages,
        state,
        resume: { checkpoint, decisions: input.decisions },
      },
      onEvent,
    );
  }

  /** Whether the call waits for a person: a gated tool asked for with arguments it accepts. */
  function needsApproval(call: ModelToolCall, toolSet: ToolSet): boolean {
    if (!deps.requiresApproval?.(call.name)) return false;
    const tool = toolSet.get(call.name);
    const args = parseArguments(call.arguments);
    // A call that would fail anyway runs at once: its error result needs nobody's approval.
    return tool !== undefined && args.ok && tool.parameters.safeParse(args.value).success;
  }

  async function drive(run: Drive, onEvent: AgentEventListener): Promise<TurnResult> {
    const { ctx, toolSet, messages, state } = run;
    const specs = toolSet.specs();
    // The turn's calls are stored together and replayed as one group later, so their ids must be
    // unique over the whole turn (and distinct from the replayed ones), not only within one step.
    const usedIds = toolCallIds(messages);
    // Aborted by the caller, or by the loop itself when it fails so that nothing keeps running: the
    // turn's own signal when the caller lets the loop abort it, else a child of the caller's.
    const stop = ctx.abort ? undefined : childAbort(ctx.signal);
    const signal = stop ? stop.signal : ctx.signal;
    const stopAll = stop ? stop.abort : (ctx.abort as (reason: unknown) => void);
    const inFlight = new Map<ToolCallRecord, number>();
    const emitText = (text: string) => {
      state.answer += text;
      onEvent({ type: 'token', content: text });
    };

    try {
      if (run.resume) {
        const { checkpoint, decisions } = run.resume;
        const approved = checkpoint.calls.filter(
          (call) => checkpoint.results[call.id] === undefined && decisions[call.id]?.approved === true,
        );
        for (const pending of checkpoint.pending) {
          const decision = decisions[pending.id];
          onEvent({
            type: 'approval_decided',
            id: pending.id,
            name: pending.name,
            decision: decision?.approved ? 'approve' : 'decline',
            ...(decision?.reason ? { reason: decision.reason } : {}),
          });
          if (decision?.approved) continue;
          const record: ToolCallRecord = {
            id: pending.id,
            name: pending.name,
            arguments: pending.arguments,
            status: 'error',
            duration_ms: 0,
            result: declinedResult(decision),
          };
          state.toolCalls.push(record);
          notifyDone(ctx, record, new Date());
        }
        const ran = await runCalls(approved, toolSet, { ...ctx, signal }, state, inFlight, onEvent);
        const results = new Map(approved.map((call, i) => [call.id, ran[i]]));
        for (const call of checkpoint.calls) {
          const content =
            checkpoint.results[call.id] ?? results.get(call.id) ?? declinedResult(decisions[call.id]);
          messages.push({ role: 'tool', toolCallId: call.id, content });
        }
      }
      for (;;) {
        if (signal.aborted) throw abortReason(signal);
        state.steps++;
        let stepStarted = false;
        const step = await runModelStep(
          model,
          { messages, tools: specs, signal, streaming: ctx.streaming === true },
          (delta) => {
            if (!stepStarted && needsSeparator(state.answer) && !/^\s/.test(delta)) emitText('\n\n');
            stepStarted = true;
            emitText(delta);
          },
          usedIds,
        );
        if (step.usage) state.usage = addUsage(state.usage, step.usage);

        if (step.calls.length === 0) {
          if (state.answer === '') emitText(EMPTY_ANSWER);
          break;
        }
        if (state.steps >= config.AGENT_MAX_STEPS) {
          // Calls asked for in the last step are not run: nobody would read their results, and a
          // side effect the answer cannot mention is worse than none.
          ctx.logger.warn(
            { steps: state.steps, skipped_tools: step.calls.map((c) => c.name) },
            'agent step limit reached',
          );
          if (needsSeparator(state.answer)) emitText('\n\n');
          emitText(STEP_LIMIT_ANSWER);
          break;
        }

        messages.push({
          role: 'assistant',
          content: step.text === '' ? null : step.text,
          toolCalls: step.calls,
        });
        const gated = step.calls.filter((call) => needsApproval(call, toolSet));
        const free = gated.length === 0 ? step.calls : step.calls.filter((call) => !gated.includes(call));
        const results = await runCalls(free, toolSet, { ...ctx, signal }, state, inFlight, onEvent);
        if (gated.length > 0) {
          const pending = gated.map((call) => {
            const args = parseArguments(call.arguments);
            return { id: call.id, name: call.name, arguments: args.ok ? args.value : call.arguments };
          });
          for (const p of pending) onEvent({ type: 'approval_required', ...p });
          ctx.logger.info(
            { tools: pending.map((p) => p.name), steps: state.steps },
            'turn paused for approval',
          );
          const checkpoint: AgentCheckpoint = {
            messages: structuredClone(messages.slice(1)),
            answer: state.answer,
            toolCalls: structuredClone(state.toolCalls),
            ...(state.usage ? { usage: { ...state.usage } } : {}),
            steps: state.steps,
            calls: step.calls,
            results: Object.fromEntries(free.map((call, i) => [call.id, results[i] ?? INTERRUPTED_RESULT])),
            pending,
          };
          return { ...finalResult(state), paused: checkpoint };
        }
        step.calls.forEach((call, i) => {
          messages.push({ role: 'tool', toolCallId: call.id, content: results[i] ?? INTERRUPTED_RESULT });
        });
      }
    } catch (err) {
      const now = performance.now();
      for (const [record, started] of inFlight) {
        record.duration_ms = Math.round(now - started);
        notifyDone(ctx, record, new Date(Date.now() - record.duration_ms));
      }
      const cause = ctx.signal.aborted ? abortReason(ctx.signal) : err;
      stopAll(cause);
      throw new TurnInterruptedError(cause, { ...state, toolCalls: [...state.toolCalls] });
    } finally {
      stop?.dispose();
    }

    return finalResult(state);
  }

  function finalResult(state: PartialTurn): TurnResult {
    return {
      answer: state.answer,
      toolCalls: state.toolCalls,
      ...(state.usage ? { usage: state.usage } : {}),
      steps: state.steps,
    };
  }

  /** Runs all calls of one step concurrently; resolves with the result texts in call order. */
  function runCalls(
    calls: readonly ModelToolCall[],
    toolSet: ToolSet,
    ctx: TurnContext,
    state: PartialTurn,
    inFlight: Map<ToolCallRecord, number>,
    onEvent: AgentEventListener,
  ): Promise<string[]> {
    const prepared = calls.map((call) => {
      const args = parseArguments(call.arguments);
      const record: ToolCallRecord = {
        id: call.id,
        name: call.name,
        arguments: args.ok ? args.value : args.raw,
        status: 'error',
        duration_ms: 0,
        result: INTERRUPTED_RESULT,
      };
      state.toolCalls.push(record);
      onEvent({ type: 'tool_call', id: call.id, name: call.name, arguments: record.arguments });
      return { call, args, record };
    });

    const runs = prepared.map(async ({ call, args, record }) => {
      const started = performance.now();
      const startedAt = new Date();
      inFlight.set(record, started);
      const toolCtx: ToolContext = {
        tenantId: ctx.tenantId,
        sessionId: ctx.sessionId,
        requestId: ctx.requestId,
        ...(ctx.customer ? { customer: ctx.customer } : {}),
        ...(ctx.orderProof ? { orderProof: ctx.orderProof } : {}),
        signal: ctx.signal,
        logger: lazyChild(ctx.logger, { tool: call.name }),
      };
      const run = () =>
        runToolCall(call, args, toolSet, toolCtx, { timeoutMs: config.TOOL_TIMEOUT_MS, maxResultChars });
      const outcome = await (deps.aroundToolCall
        ? deps.aroundToolCall(
            { id: call.id, name: call.name, known: toolSet.get(call.name) !== undefined },
            run,
          )
        : run());
      inFlight.delete(record);
      record.status = outcome.status;
      record.result = outcome.content;
      record.duration_ms = Math.round(performance.now() - started);
      notifyDone(ctx, record, startedAt);
      ctx.logger.info(
        {
          tool: call.name,
          status: outcome.status,
          duration_ms: record.duration_ms,
        },
        'tool call finished',
      );
      ctx.logger.debug({ tool: call.name, arguments: record.arguments }, 'tool arguments');
      onEvent({ type: 'tool_result', id: call.id, name: call.name, status: outcome.status });
      return outcome.content;
    });
    return raceAbort(Promise.all(runs), ctx.signal);
  }

  return {
    runTurn,
    resumeTurn,
    /** Tools the next turn would see (local ones plus those of connected providers). */
    toolCount: (): number => tools.snapshot().size,
    model,
  };
}

export type Agent = ReturnType<typeof createAgent>;
