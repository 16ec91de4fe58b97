import { z } from 'zod';
import { countSchema } from './common.js';
import { sessionIdSchema, tenantIdSchema } from './session.js';

export const auditQuerySchema = z.object({
  tenant_id: tenantIdSchema.optional(),
  session_id: sessionIdSchema.optional().describe('Only calls of this session'),
  tool: z.string().min(1).max(64).optional().describe('Only calls of this tool'),
  since: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Only calls at or after this instant (ISO-8601, e.g. 2026-01-01T00:00:00Z)'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
});

export const auditEntrySchema = z
  .object({
    id: countSchema(),
    tenant_id: z.string(),
    session_id: z.string(),
    turn_id: z
      .string()
      .describe('The turn the call belongs to (its request id until turns have their own ids)'),
    request_id: z.string(),
    actor: z.object({
      role: z.enum(['client', 'service', 'operator']),
      via: z.enum(['api_key', 'jwt', 'open']),
      id: z.string().optional().describe('The API key as key-N, or the JWT subject'),
      customer_ref: z.string().optional().describe('The verified customer, hashed'),
    }),
    tool: z.string(),
    arguments: z
      .unknown()
      .describe('As the model sent them, with e-mail addresses, phone, card and IBAN numbers masked'),
    status: z.enum(['ok', 'error']),
    duration_ms: countSchema(),
    error: z.string().optional(),
    timestamp: z.string().describe('When the call started (ISO-8601)'),
  })
  .meta({ id: 'AuditEntry', description: 'One tool call as the audit log keeps it' });

export const auditPageSchema = z
  .object({
    tenant_id: z.string(),
    total: countSchema(),
    limit: countSchema(),
    offset: countSchema(),
    entries: z.array(auditEntrySchema),
  })
  .meta({ id: 'AuditPage' });
