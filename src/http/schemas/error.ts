import { z } from 'zod';

export const errorEnvelopeSchema = z
  .object({
    error: z.string().describe('Machine-readable error code, e.g. VALIDATION_ERROR'),
    message: z.string().describe('Human-readable explanation'),
    details: z.unknown().optional().describe('Field-level details for VALIDATION_ERROR'),
    request_id: z.string(),
    timestamp: z.string(),
  })
  .describe('The error envelope every endpoint uses')
  .meta({
    example: {
      error: 'VALIDATION_ERROR',
      message: 'Request validation failed',
      details: [{ field: 'body.message', message: 'Too small: expected string to have >=1 characters' }],
      request_id: '6f1c2a4e-6a0f-4c1e-9d7e-1b2f3c4d5e6f',
      timestamp: '2026-01-01T12:00:00.000Z',
    },
  });

/** The error responses a route can produce, for the OpenAPI document. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, errorEnvelopeSchema])) as Record<
    number,
    typeof errorEnvelopeSchema
  >;
}
