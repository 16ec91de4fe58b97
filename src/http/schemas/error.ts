import { z } from 'zod';
import {
  AGENT_UNAVAILABLE_MESSAGE,
  LLM_ERROR_MESSAGE,
  LLM_TIMEOUT_MESSAGE,
  SESSION_BUSY_MESSAGE,
} from '../../chat/turn-errors.js';

export const errorEnvelopeSchema = z
  .object({
    error: z.string().describe('Machine-readable error code, e.g. VALIDATION_ERROR'),
    message: z.string().describe('Human-readable explanation'),
    details: z.unknown().optional().describe('Field-level details for VALIDATION_ERROR'),
    request_id: z.string(),
    timestamp: z.string(),
  })
  .describe('The error envelope every endpoint uses')
  .meta({ id: 'ErrorEnvelope' });

/**
 * Every error code a client may meet (DESIGN §3), with its status and an example of what it looks
 * like. Kept apart from the `ErrorCode` union so that the document can name a code before every
 * branch produces it.
 */
const ERROR_CATALOGUE = {
  VALIDATION_ERROR: {
    status: 400,
    summary: 'Invalid body, query or path parameter (field-level details), or malformed JSON',
    message: 'Request validation failed',
    details: [{ field: 'body.message', message: 'Too small: expected string to have >=1 characters' }],
  },
  UNAUTHORIZED: {
    status: 401,
    summary: 'API keys are configured and no valid key was sent',
    message: 'A valid API key is required (Authorization: Bearer <key> or X-API-Key: <key>)',
  },
  FORBIDDEN: {
    status: 403,
    summary: "The tenant_id is not the API key's tenant",
    message: 'This API key does not give access to the requested tenant',
  },
  SESSION_NOT_FOUND: {
    status: 404,
    summary: 'No such session for this tenant (or it expired)',
    message: 'Session "user-abc-123" was not found',
    details: { session_id: 'user-abc-123' },
  },
  NOT_FOUND: {
    status: 404,
    summary: 'Unknown route, or no such turn for this tenant and session (or it expired)',
    message: 'Route GET /api/v1/unknown not found',
  },
  SESSION_BUSY: {
    status: 409,
    summary: 'on_busy is "reject" and another turn is running on this session (nothing was stored)',
    message: SESSION_BUSY_MESSAGE,
  },
  TURN_CANCELLED: {
    status: 409,
    summary:
      'The turn was cancelled (cancel endpoint) or interrupted (a newer turn sent with on_busy "interrupt") before it finished; what it did is stored, marked interrupted',
    message: 'The turn was cancelled before it finished.',
  },
  APPROVAL_NOT_PENDING: {
    status: 409,
    summary: 'The call was already approved or declined (or expired, or its turn ended); nothing runs twice',
    message: 'This call was already approved; nothing was run again',
    details: { call_id: 'call_1', status: 'approved', decided_at: '2026-01-01T12:01:00.000Z' },
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    summary: 'The body is larger than BODY_LIMIT_BYTES',
    message: 'The request body is too large',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    summary: 'The body is not application/json',
    message: 'Send the body as application/json',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    summary: 'The same Idempotency-Key was sent with another body',
    message: 'This Idempotency-Key was already used with another request body',
  },
  RATE_LIMIT_EXCEEDED: {
    status: 429,
    summary: 'Over RATE_LIMIT_PER_MINUTE, or too many turns waiting on one session; see Retry-After',
    message: 'Rate limit exceeded: 100 requests per minute. Retry in 42 s.',
    details: { limit: 100, retry_after_seconds: 42 },
  },
  QUOTA_EXCEEDED: {
    status: 429,
    summary: "The tenant's token quota is used up until the window resets; see Retry-After",
    message: "The tenant's token quota is used up; retry after the quota window resets",
  },
  INTERNAL_ERROR: {
    status: 500,
    summary: 'An unexpected failure (the body never holds internals)',
    message: 'An internal error occurred',
  },
  LLM_ERROR: {
    status: 502,
    summary: 'The model provider failed after its retries',
    message: LLM_ERROR_MESSAGE,
  },
  AGENT_UNAVAILABLE: {
    status: 503,
    summary: 'No agent, the server is shutting down, or the model provider is unavailable; see Retry-After',
    message: AGENT_UNAVAILABLE_MESSAGE,
  },
  TIMEOUT: {
    status: 504,
    summary: 'The model or the whole turn took too long',
    message: LLM_TIMEOUT_MESSAGE,
  },
} as const satisfies Record<string, { status: number; summary: string; message: string; details?: unknown }>;

export type DocumentedErrorCode = keyof typeof ERROR_CATALOGUE;

/** The codes each kind of route can answer with, so routes stay one line. */
export const COMMON_ERRORS = [
  'VALIDATION_ERROR',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'RATE_LIMIT_EXCEEDED',
  'INTERNAL_ERROR',
] as const satisfies readonly DocumentedErrorCode[];

interface ErrorMediaExample {
  summary: string;
  value: {
    error: string;
    message: string;
    details?: unknown;
    request_id: string;
    timestamp: string;
  };
}

/**
 * OpenAPI response objects for the given codes (or statuses), grouped by status: always `application/json` (also
 * on the streaming route, whose errors are ordinary JSON), the shared envelope schema, and one
 * named example per code so that each status shows its own code.
 */
export function errorResponses(...codesOrStatuses: Array<DocumentedErrorCode | number>) {
  // A bare status stands for every code of that status (the form routes used before codes).
  const codes = codesOrStatuses.flatMap((entry) =>
    typeof entry === 'number'
      ? (Object.keys(ERROR_CATALOGUE) as DocumentedErrorCode[]).filter(
          (code) => ERROR_CATALOGUE[code].status === entry,
        )
      : [entry],
  );
  const byStatus = new Map<number, DocumentedErrorCode[]>();
  // A status the catalogue has no code for is still documented (without examples, which the
  // contract test then asks for).
  for (const entry of codesOrStatuses) if (typeof entry === 'number') byStatus.set(entry, []);
  for (const code of new Set(codes)) {
    const { status } = ERROR_CATALOGUE[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<
    number,
    {
      description: string;
      content: {
        'application/json': {
          schema: typeof errorEnvelopeSchema;
          examples: Record<string, ErrorMediaExample>;
        };
      };
    }
  > = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    const examples: Record<string, ErrorMediaExample> = {};
    for (const code of group) {
      const entry: { summary: string; message: string; details?: unknown } = ERROR_CATALOGUE[code];
      examples[code] = {
        summary: entry.summary,
        value: {
          error: code,
          message: entry.message,
          ...(entry.details === undefined ? {} : { details: entry.details }),
          request_id: '6f1c2a4e-6a0f-4c1e-9d7e-1b2f3c4d5e6f',
          timestamp: '2026-01-01T12:00:00.000Z',
        },
      };
    }
    responses[status] = {
      description:
        group.map((code) => `${code}: ${ERROR_CATALOGUE[code].summary}`).join('; ') ||
        'Error (see the envelope)',
      content: { 'application/json': { schema: errorEnvelopeSchema, examples } },
    };
  }
  return responses;
}
