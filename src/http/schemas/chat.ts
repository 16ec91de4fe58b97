import { z } from 'zod';
import { BUSY_POLICIES } from '../../chat/chat-service.js';
import { withQuickCheck } from '../validator.js';
import { countSchema } from './common.js';
import { sessionIdSchema, tenantIdSchema, toolCallRecordSchema } from './session.js';

export const chatRequestSchema = z
  .object({
    session_id: sessionIdSchema,
    message: z
      .string()
      .min(1)
      .max(10_000)
      .refine((text) => text.trim().length > 0, 'must not be blank')
      .describe("The customer's message"),
    tenant_id: tenantIdSchema.optional(),
    customer: z
      .object({
        id: z.string().min(1).max(255).optional().describe("The customer's id in the calling system"),
        email: z.email().max(254).describe("The customer's verified e-mail address"),
      })
      .optional()
      .describe(
        'The customer this turn acts for, as verified by the caller. Only a `service` key or token may send it (403 otherwise).',
      ),
    on_disconnect: z
      .enum(['cancel', 'continue'])
      .optional()
      .describe(
        'What happens when the client disconnects before the end: `cancel` stops the model call and tools at once; `continue` lets the turn finish and be stored, and its events stay resumable. Default: TURN_ON_DISCONNECT (cancel).',
      ),
    on_busy: z
      .enum(BUSY_POLICIES)
      .optional()
      .describe(
        'What happens when another turn is running on the session: `enqueue` (default) waits for it, in arrival order; `reject` answers 409 SESSION_BUSY at once and stores nothing; `interrupt` stops the running turn (on whichever instance runs it: it keeps what it stored, marked interrupted, its status becomes `interrupted` and its stream ends with an `error` event TURN_CANCELLED), then this one runs.',
      ),
  })
  .meta({
    id: 'ChatRequest',
    example: { session_id: 'user-abc-123', message: 'I need help with my order', tenant_id: 'company-001' },
  });

export type ChatRequest = z.infer<typeof chatRequestSchema>;

const MAX_ID_LENGTH = 255;
const MAX_MESSAGE_LENGTH = 10_000;
const DISCONNECT_VALUES: readonly unknown[] = ['cancel', 'continue'];
const BUSY_VALUES: readonly unknown[] = BUSY_POLICIES;
const isId = (value: unknown) =>
  typeof value === 'string' && value.length >= 1 && value.length <= MAX_ID_LENGTH;

// The usual chat request (no `customer`), accepted without a zod parse; anything else goes to zod.
// tests/http/validator.test.ts holds it to the schema's answers.
withQuickCheck(chatRequestSchema, (data) => {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const body = data as Record<string, unknown>;
  const { session_id, message, tenant_id, on_disconnect, on_busy } = body;
  if (!isId(session_id)) return undefined;
  if (
    typeof message !== 'string' ||
    message.length < 1 ||
    message.length > MAX_MESSAGE_LENGTH ||
    message.trim().length === 0
  ) {
    return undefined;
  }
  if (tenant_id !== undefined && !isId(tenant_id)) return undefined;
  if (body.customer !== undefined) return undefined;
  if (on_disconnect !== undefined && !DISCONNECT_VALUES.includes(on_disconnect)) return undefined;
  if (on_busy !== undefined && !BUSY_VALUES.includes(on_busy)) return undefined;
  // What zod outputs: the known keys only.
  const value: Record<string, unknown> = { session_id, message };
  if (tenant_id !== undefined) value.tenant_id = tenant_id;
  if (on_disconnect !== undefined) value.on_disconnect = on_disconnect;
  if (on_busy !== undefined) value.on_busy = on_busy;
  return { value };
});

/** Headers of the chat routes the API reads (others pass through untouched). */
export const chatHeadersSchema = z.looseObject({
  'idempotency-key': z
    .string()
    .regex(/^[\x20-\x7e]{1,255}$/, 'must be 1 to 255 printable ASCII characters')
    .optional()
    .describe(
      'Makes retries safe: the same key with the same body returns the first turn (its reply, or its events replayed) instead of running it again; another body → 422 IDEMPOTENCY_KEY_REUSED. Per tenant, kept IDEMPOTENCY_TTL_HOURS.',
    ),
});

const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

// Headers pass through as they are; only a malformed Idempotency-Key needs zod's answer.
withQuickCheck(chatHeadersSchema, (data) => {
  if (typeof data !== 'object' || data === null) return undefined;
  const key = (data as Record<string, unknown>)['idempotency-key'];
  if (key === undefined || (typeof key === 'string' && IDEMPOTENCY_KEY.test(key))) return { value: data };
  return undefined;
});

export const usageSchema = z
  .object({
    prompt_tokens: countSchema(),
    completion_tokens: countSchema(),
    total_tokens: countSchema(),
    quota_remaining: countSchema()
      .optional()
      .describe("Tokens left of the tenant's daily quota after this turn (TENANT_TOKEN_QUOTAS)"),
  })
  .meta({ id: 'Usage', description: 'Tokens the model reported for the turn' });

export const chatResponseSchema = z
  .object({
    session_id: z.string(),
    turn_id: z.uuid().describe('The id of this turn (also in the X-Turn-ID header)'),
    message: z.string().describe("The agent's answer"),
    timestamp: z.string(),
    message_count: countSchema().describe('User + assistant messages in the session after this turn'),
    tenant_id: z.string(),
    request_id: z.string(),
    tool_calls: z.array(toolCallRecordSchema),
    usage: usageSchema.optional(),
  })
  .meta({
    id: 'ChatResponse',
    example: {
      session_id: 'user-abc-123',
      turn_id: '0b6d3c1e-2f4a-4e5b-8c7d-9e0f1a2b3c4d',
      message: 'Order 42 is on its way: it shipped yesterday.',
      timestamp: '2026-01-01T12:00:05.000Z',
      message_count: 2,
      tenant_id: 'company-001',
      request_id: '6f1c2a4e-6a0f-4c1e-9d7e-1b2f3c4d5e6f',
      tool_calls: [
        { id: 'call_1', name: 'get_order', arguments: { order_id: 42 }, status: 'ok', duration_ms: 3 },
      ],
      usage: { prompt_tokens: 812, completion_tokens: 24, total_tokens: 836 },
    },
  });

export const sseDescription = `Server-Sent Events. Each event is an \`id: <turn_id>:<seq>\` line (\`seq\` counts from 1 within the turn; the turn id is also in the \`X-Turn-ID\` header) and one \`data: <json>\` line whose \`type\` is:
- \`token\` {content, session_id}: a text delta, sent as soon as it arrives
- \`tool_call\` {id, name, arguments, session_id}
- \`tool_result\` {id, name, status: ok|error, session_id}
- \`done\` {turn_id, session_id, message_count, request_id, usage?}: the last event of a successful turn
- \`error\` {turn_id, error, message, session_id, request_id}: the last event of a failed turn (\`TURN_CANCELLED\` when it was cancelled or interrupted)
- \`approval_required\` {turn_id, call_id, name, arguments, session_id}: a call of a tool in TOOLS_REQUIRING_APPROVAL, not run yet
- \`awaiting_approval\` {turn_id, session_id, request_id, pending_approvals}: the last event of a turn paused for approvals; an operator decides with \`POST /api/v1/sessions/{session_id}/turns/{turn_id}/approvals\`, and the resumed turn's events (\`approval_decided\` {turn_id, call_id, name, decision, reason?} first) follow in \`GET …/turns/{turn_id}/events\`
A comment line \`: ping\` is sent every 15 s while idle. A dropped stream is resumed with \`GET /api/v1/sessions/{session_id}/turns/{turn_id}/events\` and the last id received as \`Last-Event-ID\`.`;
