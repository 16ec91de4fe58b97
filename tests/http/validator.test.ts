import { validatorCompiler as zodValidatorCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { chatHeadersSchema, chatRequestSchema } from '../../src/http/schemas/chat.js';
import { validatorCompiler } from '../../src/http/validator.js';

type Validate = (data: unknown) => { value?: unknown; error?: unknown };

function both(schema: z.ZodType, httpPart: string): { ours: Validate; zods: Validate } {
  const route = { schema, method: 'POST', url: '/api/v1/chat', httpPart };
  return {
    ours: validatorCompiler(route as never) as Validate,
    zods: zodValidatorCompiler(route as never) as Validate,
  };
}

/** What a client sees of a validation: the value the route gets, or the issues it is told. */
function outcome(result: { value?: unknown; error?: unknown }) {
  if (result.error) {
    const issues = (result.error as { validation?: Array<{ instancePath: string; message?: string }> })
      .validation;
    return { refused: issues?.map((i) => [i.instancePath, i.message]) };
  }
  return { accepted: result.value };
}

const long = (n: number) => 'x'.repeat(n);

describe('chat request validation (quick check before zod)', () => {
  const bodies: unknown[] = [
    { session_id: 's1', message: 'hello' },
    { session_id: 's1', message: 'hello', tenant_id: 'acme', on_busy: 'reject', on_disconnect: 'continue' },
    { session_id: 's1', message: 'hello', extra: 'dropped', on_busy: 'interrupt' },
    { session_id: long(255), message: long(10_000), tenant_id: long(255) },
    { session_id: long(256), message: 'hello' },
    { session_id: '', message: 'hello' },
    { session_id: 's1', message: long(10_001) },
    { session_id: 's1', message: '' },
    { session_id: 's1', message: '   \n\t ' },
    { session_id: 's1', message: 42 },
    { session_id: 7, message: 'hello' },
    { message: 'hello' },
    { session_id: 's1' },
    { session_id: 's1', message: 'hello', tenant_id: '' },
    { session_id: 's1', message: 'hello', tenant_id: null },
    { session_id: 's1', message: 'hello', on_busy: 'wait' },
    { session_id: 's1', message: 'hello', on_disconnect: 'CANCEL' },
    { session_id: 's1', message: 'hello', customer: { email: 'ann@example.com' } },
    { session_id: 's1', message: 'hello', customer: { email: 'not an address' } },
    { session_id: 's1', message: 'hello', customer: null },
    [],
    null,
    'hello',
  ];

  it('accepts and refuses every body as the zod schema does, with the same value or issues', () => {
    const { ours, zods } = both(chatRequestSchema, 'body');
    for (const body of bodies) {
      expect(outcome(ours(body)), JSON.stringify(body)).toEqual(outcome(zods(body)));
    }
  });

  it('accepts and refuses Idempotency-Key headers as the zod schema does', () => {
    const { ours, zods } = both(chatHeadersSchema, 'headers');
    const headers: unknown[] = [
      { 'content-type': 'application/json' },
      { 'content-type': 'application/json', 'idempotency-key': 'order-42-retry' },
      { 'idempotency-key': long(255) },
      { 'idempotency-key': long(256) },
      { 'idempotency-key': '' },
      { 'idempotency-key': 'caf\u00e9' },
    ];
    for (const h of headers) {
      expect(outcome(ours(h)), JSON.stringify(h)).toEqual(outcome(zods(h)));
    }
  });
});
