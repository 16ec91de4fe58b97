import { z } from 'zod';
import { pendingView } from '../../chat/turn-service.js';
import type { PausedTurn, PausedTurnState } from '../../turns/approvals.js';
import type { TurnKey, TurnRecord } from '../../turns/replay.js';
import { pendingApprovalSchema } from './approval.js';
import { usageSchema } from './chat.js';
import { publicToolCalls, sessionIdSchema, tenantIdSchema, toolCallRecordSchema } from './session.js';

export const turnParamsSchema = z.object({
  session_id: sessionIdSchema,
  turn_id: z.string().min(1).max(255).describe('The turn id from X-Turn-ID, `done` or `error`'),
});

export const turnEventsQuerySchema = z.object({
  tenant_id: tenantIdSchema.optional(),
  last_event_id: z
    .string()
    .max(300)
    .optional()
    .describe('The last SSE id received (`<turn_id>:<seq>`), for clients that cannot send Last-Event-ID'),
});

export const turnEventsHeadersSchema = z.looseObject({
  'last-event-id': z
    .string()
    .max(300)
    .optional()
    .describe('The last SSE id received (`<turn_id>:<seq>`): only the events after it are sent'),
});

export const turnStatusSchema = z
  .object({
    turn_id: z.string(),
    session_id: z.string(),
    status: z.enum(['running', 'awaiting_approval', 'completed', 'failed', 'cancelled', 'interrupted']),
    message: z.string().optional().describe('The answer so far (partial unless completed)'),
    tool_calls: z.array(toolCallRecordSchema),
    usage: usageSchema.optional(),
    started_at: z.string(),
    ended_at: z.string().optional(),
    pending_approvals: z
      .array(pendingApprovalSchema)
      .optional()
      .describe('While `awaiting_approval`: the calls waiting for an operator'),
  })
  .meta({
    example: {
      turn_id: '0b6d3c1e-2f4a-4e5b-8c7d-9e0f1a2b3c4d',
      session_id: 'user-abc-123',
      status: 'completed',
      message: 'Order 42 is on its way: it shipped yesterday.',
      tool_calls: [
        { id: 'call_1', name: 'get_order', arguments: { order_id: 42 }, status: 'ok', duration_ms: 3 },
      ],
      usage: { prompt_tokens: 812, completion_tokens: 24, total_tokens: 836 },
      started_at: '2026-01-01T12:00:00.000Z',
      ended_at: '2026-01-01T12:00:05.000Z',
    },
  });

export const cancelResponseSchema = z.object({
  turn_id: z.string(),
  session_id: z.string(),
  status: turnStatusSchema.shape.status.describe('The status when the request arrived'),
  cancel_requested: z.boolean().describe('false when the turn had already ended'),
});

/** The turn's status as clients read it; a paused turn lists what it waits for. */
export function turnStatusView(record: TurnRecord, paused?: PausedTurn): z.infer<typeof turnStatusSchema> {
  const pending =
    record.status === 'awaiting_approval' && paused?.state
      ? paused.approvals.filter((a) => a.status === 'pending').map(pendingView)
      : undefined;
  return {
    turn_id: record.turnId,
    session_id: record.sessionId,
    status: record.status,
    ...(record.message !== undefined ? { message: record.message } : {}),
    tool_calls: publicToolCalls(record.toolCalls),
    ...(record.usage ? { usage: record.usage } : {}),
    started_at: record.startedAt,
    ...(record.endedAt ? { ended_at: record.endedAt } : {}),
    ...(pending ? { pending_approvals: pending } : {}),
  };
}

/** A paused turn the replay no longer holds (it expired, or the process restarted), from its stored state. */
export function pausedTurnRecord(key: TurnKey, state: PausedTurnState): TurnRecord {
  return {
    ...key,
    status: 'awaiting_approval',
    requestId: state.requestId,
    ...(state.owner ? { owner: state.owner } : {}),
    startedAt: state.startedAt,
    ...(state.agent.answer !== '' ? { message: state.agent.answer } : {}),
    toolCalls: state.agent.toolCalls,
    ...(state.agent.usage ? { usage: state.agent.usage } : {}),
  };
}
