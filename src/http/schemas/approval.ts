import { z } from 'zod';
import { chatResponseSchema } from './chat.js';
import { countSchema } from './common.js';
import { tenantIdSchema } from './session.js';

export const pendingApprovalSchema = z
  .object({
    call_id: z.string().describe('The tool call waiting for a decision'),
    name: z.string().describe('The tool (one of TOOLS_REQUIRING_APPROVAL)'),
    arguments: z.unknown().describe('The arguments the model gave it'),
    expires_at: z.string().describe('Past it, the call counts as declined (APPROVAL_TTL_MINUTES)'),
  })
  .meta({ id: 'PendingApproval' });

export const chatAwaitingApprovalSchema = chatResponseSchema
  .extend({
    status: z.literal('awaiting_approval'),
    message: z.string().describe('What the agent said before it paused (often empty)'),
    pending_approvals: z.array(pendingApprovalSchema),
  })
  .meta({
    id: 'ChatAwaitingApproval',
    description:
      'The turn paused before calls of tools in TOOLS_REQUIRING_APPROVAL; an operator decides with POST /api/v1/sessions/{session_id}/turns/{turn_id}/approvals',
  });

export const approvalDecisionSchema = z
  .object({
    call_id: z
      .string()
      .min(1)
      .max(255)
      .describe('The pending call (from `approval_required` or `pending_approvals`)'),
    decision: z.enum(['approve', 'decline']),
    reason: z
      .string()
      .max(1000)
      .optional()
      .describe('For a decline: told to the model, which explains it to the customer'),
  })
  .meta({
    id: 'ApprovalDecision',
    example: { call_id: 'call_1', decision: 'decline', reason: 'order already packed' },
  });

export const approvalListQuerySchema = z.object({
  tenant_id: tenantIdSchema.optional(),
  status: z.enum(['pending']).default('pending').describe('Only pending approvals are listed'),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const approvalListSchema = z
  .object({
    tenant_id: z.string(),
    status: z.literal('pending'),
    count: countSchema(),
    approvals: z.array(
      pendingApprovalSchema.extend({
        session_id: z.string(),
        turn_id: z.string(),
        created_at: z.string(),
      }),
    ),
  })
  .meta({ id: 'ApprovalList' });
