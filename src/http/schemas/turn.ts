import { z } from 'zod';
import { usageSchema } from './chat.js';
import { sessionIdSchema, tenantIdSchema, toolCallRecordSchema } from './session.js';

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
    status: z.enum(['running', 'completed', 'failed', 'cancelled', 'interrupted']),
    message: z.string().optional().describe('The answer so far (partial unless completed)'),
    tool_calls: z.array(toolCallRecordSchema),
    usage: usageSchema.optional(),
    started_at: z.string(),
    ended_at: z.string().optional(),
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
