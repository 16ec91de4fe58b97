import { z } from 'zod';
import type { ToolCallRecord } from '../../sessions/types.js';
import { countSchema } from './common.js';

export const sessionIdSchema = z.string().min(1).max(255).describe('Conversation id chosen by the client');
export const tenantIdSchema = z
  .string()
  .min(1)
  .max(255)
  .describe('Tenant (organisation) id; defaults to "default"');

export const sessionParamsSchema = z.object({ session_id: sessionIdSchema });
export const tenantQuerySchema = z.object({ tenant_id: tenantIdSchema.optional() });

export const toolCallRecordSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    arguments: z.unknown(),
    status: z.enum(['ok', 'error']),
    duration_ms: countSchema(),
  })
  .meta({ id: 'ToolCall', description: 'A tool call the agent made (never the raw result the model read)' });

/** What clients see of a tool call: never the raw result the model read. */
export function publicToolCalls(
  records: readonly ToolCallRecord[],
): Array<z.infer<typeof toolCallRecordSchema>> {
  return records.map(({ id, name, arguments: args, status, duration_ms }) => ({
    id,
    name,
    arguments: args,
    status,
    duration_ms,
  }));
}

export const historyMessageSchema = z
  .object({
    role: z
      .enum(['user', 'assistant', 'operator'])
      .describe('`operator`: written by a person of the support team while the session was handed off'),
    content: z.string(),
    timestamp: z.string(),
    tool_calls: z.array(toolCallRecordSchema).optional(),
    interrupted: z.boolean().optional(),
    turn_id: z.string().optional().describe('On an answer: the turn that wrote it (what feedback names)'),
  })
  .meta({ id: 'HistoryMessage' });

export const sessionStatusSchema = z
  .enum(['active', 'handoff'])
  .describe('`handoff` while a person of the support team has the session (the agent does not answer)');

export const historySchema = z
  .object({
    session_id: z.string(),
    tenant_id: z.string(),
    status: sessionStatusSchema,
    message_count: countSchema(),
    created_at: z.string(),
    last_activity: z.string(),
    messages: z.array(historyMessageSchema),
  })
  .meta({
    id: 'SessionHistory',
    example: {
      session_id: 'user-abc-123',
      tenant_id: 'company-001',
      status: 'active',
      message_count: 2,
      created_at: '2026-01-01T12:00:00.000Z',
      last_activity: '2026-01-01T12:00:05.000Z',
      messages: [
        { role: 'user', content: 'Where is order 42?', timestamp: '2026-01-01T12:00:00.000Z' },
        {
          role: 'assistant',
          content: 'Order 42 has shipped.',
          timestamp: '2026-01-01T12:00:05.000Z',
          tool_calls: [
            { id: 'call_1', name: 'get_order', arguments: { order_id: 42 }, status: 'ok', duration_ms: 3 },
          ],
        },
      ],
    },
  });

export const deletedSchema = z
  .object({
    message: z.literal('Session deleted successfully'),
    session_id: z.string(),
  })
  .meta({ id: 'SessionDeleted' });

export const listQuerySchema = z.object({
  tenant_id: tenantIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
});

export const sessionSummarySchema = z
  .object({
    session_id: z.string(),
    status: sessionStatusSchema,
    message_count: countSchema(),
    created_at: z.string(),
    last_activity: z.string(),
  })
  .meta({ id: 'SessionSummary' });

export const sessionListSchema = z
  .object({
    tenant_id: z.string(),
    total: countSchema(),
    limit: countSchema(),
    offset: countSchema(),
    sessions: z.array(sessionSummarySchema),
  })
  .meta({ id: 'SessionList' });
