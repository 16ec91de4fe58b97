import { z } from 'zod';
import { countSchema } from './common.js';
import { historyMessageSchema, sessionStatusSchema, tenantIdSchema } from './session.js';

export const operatorMessageBodySchema = z
  .object({
    content: z.string().trim().min(1).max(10_000).describe("The operator's message to the customer"),
    tenant_id: tenantIdSchema.optional(),
  })
  .meta({ id: 'OperatorMessageRequest', example: { content: 'Hello, I am Sam from support. I am on it.' } });

export const operatorMessageResponseSchema = z
  .object({
    session_id: z.string(),
    tenant_id: z.string(),
    status: sessionStatusSchema,
    message_count: countSchema(),
    message: historyMessageSchema,
  })
  .meta({
    id: 'OperatorMessage',
    example: {
      session_id: 'user-abc-123',
      tenant_id: 'company-001',
      status: 'handoff',
      message_count: 5,
      message: {
        role: 'operator',
        content: 'Hello, I am Sam from support. I am on it.',
        timestamp: '2026-01-01T12:03:00.000Z',
      },
    },
  });

export const releaseResponseSchema = z
  .object({
    session_id: z.string(),
    tenant_id: z.string(),
    status: z.literal('active'),
    released: z.boolean().describe('false when the session was not handed off (nothing changed)'),
  })
  .meta({
    id: 'HandoffRelease',
    example: { session_id: 'user-abc-123', tenant_id: 'company-001', status: 'active', released: true },
  });

export const waitingSessionSchema = z
  .object({
    session_id: z.string(),
    reason: z.string().describe('Why the agent handed the session over'),
    handed_off_at: z.string(),
    last_activity: z.string(),
    message_count: countSchema(),
  })
  .meta({ id: 'WaitingSession' });

export const handoffListSchema = z
  .object({
    tenant_id: z.string(),
    total: countSchema(),
    limit: countSchema(),
    offset: countSchema(),
    sessions: z.array(waitingSessionSchema),
  })
  .meta({
    id: 'HandoffList',
    example: {
      tenant_id: 'company-001',
      total: 1,
      limit: 50,
      offset: 0,
      sessions: [
        {
          session_id: 'user-abc-123',
          reason: 'The customer asked to talk to a person.',
          handed_off_at: '2026-01-01T12:02:00.000Z',
          last_activity: '2026-01-01T12:02:30.000Z',
          message_count: 4,
        },
      ],
    },
  });
