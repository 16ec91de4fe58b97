import { z } from 'zod';
import { MAX_FEEDBACK_COMMENT } from '../../feedback/types.js';
import { countSchema } from './common.js';
import { sessionIdSchema, tenantIdSchema } from './session.js';

export const feedbackBodySchema = z
  .object({
    turn_id: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('The turn whose answer is rated (X-Turn-ID, `done.turn_id`); omitted: the whole session'),
    rating: z.number().int().min(1).max(5).describe('1 (poor) to 5 (excellent)'),
    comment: z
      .string()
      .max(MAX_FEEDBACK_COMMENT)
      .optional()
      .describe('What the customer wants to add; kept as written, never logged'),
    tenant_id: tenantIdSchema.optional().describe('As in the query; both must agree when both are given'),
  })
  .meta({
    id: 'FeedbackRequest',
    example: { turn_id: '0b6d3c1e-2f4a-4e5b-8c7d-9e0f1a2b3c4d', rating: 5, comment: 'Quick and clear.' },
  });

export const feedbackSchema = z
  .object({
    id: countSchema(),
    tenant_id: z.string(),
    session_id: z.string(),
    turn_id: z.string().nullable().describe('The rated turn; null for a rating of the whole session'),
    rating: z.number().int().min(1).max(5),
    comment: z.string().nullable(),
    request_id: z.string().describe('The request that gave the (latest) rating'),
    actor: z.object({
      role: z.enum(['client', 'service', 'operator']),
      via: z.enum(['api_key', 'jwt', 'open']),
      id: z.string().optional().describe('The API key as key-N, or the JWT subject'),
      customer_ref: z.string().optional().describe('The verified customer, hashed'),
    }),
    timestamp: z.string().describe('When the (latest) rating was given (ISO-8601)'),
  })
  .meta({
    id: 'Feedback',
    description:
      'One rating. There is one per answer (turn) and one for the whole session: a later rating of the same replaces the earlier one.',
  });

export const feedbackQuerySchema = z.object({
  tenant_id: tenantIdSchema.optional(),
  session_id: sessionIdSchema.optional().describe('Only ratings of this session'),
  since: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Only ratings given at or after this instant (ISO-8601, e.g. 2026-01-01T00:00:00Z)'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
});

export const feedbackPageSchema = z
  .object({
    tenant_id: z.string(),
    total: countSchema(),
    limit: countSchema(),
    offset: countSchema(),
    items: z.array(feedbackSchema),
  })
  .meta({ id: 'FeedbackPage' });
