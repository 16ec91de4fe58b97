import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler as zodValidatorCompiler } from 'fastify-type-provider-zod';
import type { z } from 'zod';

/**
 * A hand-written check for the common case of a schema on a hot route: `{ value }` when `data` is
 * certainly valid (with what the zod schema would output for it), or undefined to let zod decide —
 * so every refusal, and every detail of its error envelope, still comes from zod.
 */
export type QuickCheck = (data: unknown) => { value: unknown } | undefined;

const quickChecks = new WeakMap<z.ZodType, QuickCheck>();

/** Registers `check` for `schema`; it must never accept what the schema refuses. */
export function withQuickCheck<S extends z.ZodType>(schema: S, check: QuickCheck): S {
  quickChecks.set(schema, check);
  return schema;
}

/**
 * Fastify's validator compiler: zod (through fastify-type-provider-zod), preceded by the schema's
 * quick check when it has one. A zod parse copies and walks the whole value on every request; the
 * quick check answers a valid chat request with a few type tests.
 */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = (route) => {
  const slow = zodValidatorCompiler(route as Parameters<typeof zodValidatorCompiler>[0]);
  const quick = quickChecks.get(route.schema as z.ZodType);
  if (!quick) return slow;
  return (data) => quick(data) ?? slow(data);
};
