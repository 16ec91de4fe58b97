import { createRequire } from 'node:module';
import { z } from 'zod';

type Stringify = (data: unknown) => string;

// Fastify's own serializer (a dependency of fastify, the version it uses itself).
const fastJson = createRequire(import.meta.url)('fast-json-stringify') as (
  schema: object,
  options?: { mode?: string },
) => Stringify;

/**
 * Response serialisation compiled once per route and status from the JSON Schema that the route's
 * zod response schema produces (the same conversion the OpenAPI document uses), with Fastify's
 * fast-json-stringify, instead of re-validating every reply with zod. Only the properties the schema
 * lists are written, as zod's stripping did; a reply missing a required property still fails (500).
 * Schemas without a JSON Schema form fall back to JSON.stringify.
 */
export function responseSerializerCompiler({ schema }: { schema: unknown }): Stringify {
  if (!(schema instanceof z.ZodType)) return (data) => JSON.stringify(data);
  let json: object;
  try {
    json = z.toJSONSchema(schema, { io: 'output', target: 'draft-7', unrepresentable: 'any' });
  } catch {
    return (data) => JSON.stringify(data);
  }
  return fastJson(json);
}
