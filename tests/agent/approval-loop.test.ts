import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAgent, STEP_LIMIT_ANSWER } from '../../src/agent/loop.js';
import { type AgentEvent, type TurnContext, TurnInterruptedError } from '../../src/agent/turn-types.js';
import { createToolRegistry, defineTool } from '../../src/tools/registry.js';
import { call, createScriptedModel, type ScriptStep, say } from '../helpers/scripted-model.js';

const silent = pino({ level: 'silent' });

function setup(script: readonly ScriptStep[], maxSteps = 8) {
  const cancelled: number[] = [];
  const registry = createToolRegistry();
  registry.register(
    defineTool({
      name: 'cancel_order',
      description: 'Cancel an order',
      parameters: z.object({ order_id: z.number().int().positive() }),
      async execute({ order_id }) {
        cancelled.push(order_id);
        return { order_id, status: 'CANCELLED' };
      },
    }),
    defineTool({
      name: 'get_order',
      description: 'Get an order',
      parameters: z.object({ order_id: z.number().int().positive() }),
      async execute({ order_id }) {
        return { order_id, status: 'PENDING' };
      },
    }),
  );
  const model = createScriptedModel(script);
  const agent = createAgent({
    model,
    tools: registry,
    config: { AGENT_MAX_STEPS: maxSteps, TOOL_TIMEOUT_MS: 2_000, HISTORY_MAX_MESSAGES: 50 },
    logger: silent,
    requiresApproval: (name) => name === 'cancel_order',
  });
  return { agent, model, cancelled };
}

const ctx = (signal = new AbortController().signal): TurnContext => ({
  tenantId: 't',
  sessionId: 's',
  requestId: 'r',
  signal,
  logger: silent,
});

const usage = { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 };

describe('agent loop with approvals', () => {
  it('pauses before a gated call, and resumes from a JSON copy of the checkpoint with the tool run once', async () => {
    const { agent, model, cancelled } = setup([
      [...say('One moment.'), call('cancel_order', { order_id: 5 }, 'c1'), { usage }],
      [...say('Cancelled.'), { usage }],
    ]);
    const events: AgentEvent[] = [];
    const paused = await agent.runTurn({ history: [], message: 'cancel 5', ctx: ctx() }, (e) =>
      events.push(e),
    );
    expect(paused.paused?.pending).toEqual([{ id: 'c1', name: 'cancel_order', arguments: { order_id: 5 } }]);
    expect(events.filter((e) => e.type !== 'token')).toEqual([
      { type: 'approval_required', id: 'c1', name: 'cancel_order', arguments: { order_id: 5 } },
    ]);
    expect(cancelled).toEqual([]);

    // As stored and read back by another process.
    const checkpoint = JSON.parse(JSON.stringify(paused.paused));
    const resumedEvents: AgentEvent[] = [];
    const result = await agent.resumeTurn(
      { checkpoint, decisions: { c1: { approved: true } }, ctx: ctx() },
      (e) => resumedEvents.push(e),
    );
    expect(cancelled).toEqual([5]);
    expect(result.answer).toBe('One moment.\n\nCancelled.');
    expect(result.usage?.total_tokens).toBe(24);
    expect(result.steps).toBe(2);
    expect(result.toolCalls).toMatchObject([{ id: 'c1', name: 'cancel_order', status: 'ok' }]);
    expect(resumedEvents.map((e) => e.type).filter((t, i, all) => t !== all[i - 1])).toEqual([
      'approval_decided',
      'tool_call',
      'tool_result',
      'token',
    ]);
    // The model saw its own call and the tool's result, the system instructions first.
    const seen = model.requests[1]!.messages;
    expect(seen[0]!.role).toBe('system');
    expect(seen.at(-1)).toMatchObject({ role: 'tool', toolCallId: 'c1' });
  });

  it('a gated call with arguments the tool refuses runs at once as an error, without asking anybody', async () => {
    const { agent, cancelled } = setup([
      [call('cancel_order', { order_id: 'five' }, 'c1')],
      say('Which order?'),
    ]);
    const result = await agent.runTurn({ history: [], message: 'cancel it', ctx: ctx() }, () => {});
    expect(result.paused).toBeUndefined();
    expect(result.toolCalls).toMatchObject([{ name: 'cancel_order', status: 'error' }]);
    expect(cancelled).toEqual([]);
  });

  it('a gated call asked for in the last allowed step is neither run nor paused', async () => {
    const { agent } = setup([[call('cancel_order', { order_id: 5 }, 'c1')]], 1);
    const result = await agent.runTurn({ history: [], message: 'cancel 5', ctx: ctx() }, () => {});
    expect(result.paused).toBeUndefined();
    expect(result.answer).toBe(STEP_LIMIT_ANSWER);
  });

  it('a call left without a decision counts as declined; an abort while resuming keeps what happened', async () => {
    const { agent, cancelled } = setup([
      [call('cancel_order', { order_id: 5 }, 'c1'), call('get_order', { order_id: 5 }, 'c2')],
      [{ hang: true }],
    ]);
    const paused = await agent.runTurn({ history: [], message: 'cancel 5', ctx: ctx() }, () => {});
    expect(paused.toolCalls).toMatchObject([{ id: 'c2', status: 'ok' }]);
    const stop = new AbortController();
    const resumed = agent.resumeTurn(
      { checkpoint: paused.paused!, decisions: {}, ctx: ctx(stop.signal) },
      (e) => {
        if (e.type === 'approval_decided') queueMicrotask(() => stop.abort(new Error('shutdown')));
      },
    );
    const err = await resumed.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TurnInterruptedError);
    expect((err as TurnInterruptedError).partial.toolCalls).toMatchObject([
      { id: 'c2', status: 'ok' },
      { id: 'c1', status: 'error', result: expect.stringContaining('declined by an operator') },
    ]);
    expect(cancelled).toEqual([]);
  });
});
