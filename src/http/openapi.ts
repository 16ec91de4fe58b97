import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

/**
 * The OpenAPI document is generated from the routes' zod schemas (fastify-type-provider-zod) and
 * then finished here, once, for what no route should have to repeat: named component schemas
 * without unused duplicates, an operationId and a security requirement on every operation, and the
 * response headers every response carries.
 */

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const REF_PREFIX = '#/components/schemas/';

/** `{ status: { content: { type: { examples } } } }` of a route's response schema. */
function mediaExamples(response: unknown): Map<string, Map<string, unknown>> {
  const found = new Map<string, Map<string, unknown>>();
  if (!isObject(response)) return found;
  for (const [status, value] of Object.entries(response)) {
    if (!isObject(value) || !isObject(value.content)) continue;
    for (const [type, media] of Object.entries(value.content)) {
      if (!isObject(media) || media.examples === undefined) continue;
      const perType = found.get(status) ?? new Map<string, unknown>();
      perType.set(type, media.examples);
      found.set(status, perType);
    }
  }
  return found;
}

/**
 * zod → JSON Schema per route. The zod transform keeps only `schema` of a response's media types;
 * the named examples of the error responses (one per code) are put back.
 */
export const routeTransform: SwaggerTransform = (input) => {
  const output = jsonSchemaTransform(input as Parameters<typeof jsonSchemaTransform>[0]);
  const examples = mediaExamples(input.schema?.response);
  const response = (output.schema as Json | undefined)?.response;
  if (examples.size === 0 || !isObject(response)) return output;
  for (const [status, perType] of examples) {
    const content = isObject(response[status]) ? response[status].content : undefined;
    if (!isObject(content)) continue;
    for (const [type, value] of perType) {
      if (isObject(content[type])) content[type] = { ...content[type], examples: value };
    }
  }
  return output;
};

function collectRefs(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectRefs(item, into);
    return;
  }
  if (!isObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (key === '$ref' && typeof child === 'string' && child.startsWith(REF_PREFIX)) {
      into.add(child.slice(REF_PREFIX.length));
    } else {
      collectRefs(child, into);
    }
  }
}

function rewriteRefs(value: unknown, renames: Map<string, string>): void {
  if (Array.isArray(value)) {
    for (const item of value) rewriteRefs(item, renames);
    return;
  }
  if (!isObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (key === '$ref' && typeof child === 'string' && child.startsWith(REF_PREFIX)) {
      const renamed = renames.get(child.slice(REF_PREFIX.length));
      if (renamed !== undefined) value[key] = REF_PREFIX + renamed;
    } else {
      rewriteRefs(child, renames);
    }
  }
}

/** zod wraps a referenced schema made optional in a one-element `allOf`; the `$ref` says the same. */
function unwrapSingleAllOf(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) unwrapSingleAllOf(item);
    return;
  }
  if (!isObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (isObject(child) && Object.keys(child).length === 1 && Array.isArray(child.allOf)) {
      const [only, ...rest] = child.allOf;
      if (rest.length === 0 && isObject(only)) value[key] = only;
    }
    unwrapSingleAllOf(value[key]);
  }
}

/**
 * The zod registry yields an input (`FooInput`) and an output (`Foo`) component for every named
 * schema. Keeps the ones the operations reach, and names an input-only schema without the suffix.
 */
function tidySchemas(doc: Json): void {
  const components = isObject(doc.components) ? doc.components : undefined;
  const schemas = components && isObject(components.schemas) ? components.schemas : undefined;
  if (!components || !schemas) return;
  const reached = new Set<string>();
  collectRefs(doc.paths, reached);
  const queue = [...reached];
  while (queue.length > 0) {
    const nested = new Set<string>();
    collectRefs(schemas[queue.pop() as string], nested);
    for (const name of nested) {
      if (!reached.has(name)) {
        reached.add(name);
        queue.push(name);
      }
    }
  }
  for (const name of Object.keys(schemas)) if (!reached.has(name)) delete schemas[name];
  const renames = new Map<string, string>();
  for (const name of Object.keys(schemas)) {
    const base = name.endsWith('Input') ? name.slice(0, -'Input'.length) : '';
    if (base !== '' && !(base in schemas)) renames.set(name, base);
  }
  if (renames.size === 0) return;
  rewriteRefs(doc.paths, renames);
  rewriteRefs(schemas, renames);
  components.schemas = Object.fromEntries(
    Object.entries(schemas)
      .map(([name, schema]): [string, unknown] => [renames.get(name) ?? name, schema])
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** `GET /api/v1/sessions/{session_id}/history` → `getApiV1SessionsBySessionIdHistory`. */
export function fallbackOperationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      const param = /^\{(.+)\}$/.exec(segment);
      const word = (param ? `by_${param[1]}` : segment)
        .split(/[^A-Za-z0-9]+/)
        .filter(Boolean)
        .map((part) => part[0]!.toUpperCase() + part.slice(1))
        .join('');
      return word;
    });
  return method.toLowerCase() + (words.join('') || 'Root');
}

function refersTo(value: unknown, schemaName: string): boolean {
  const refs = new Set<string>();
  collectRefs(value, refs);
  return refs.has(schemaName);
}

const RESPONSE_HEADERS = {
  'X-Request-ID': {
    description: 'The request id: the valid one the client sent, or a UUID generated for the request',
    schema: { type: 'string' },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying (rate limit, token quota, provider circuit open)',
    schema: { type: 'integer', minimum: 0 },
  },
};

export interface FinishOptions {
  /** API keys are configured: /api/* needs one of the security schemes. */
  authEnabled: boolean;
  /** Whether an operation needs the API key, decided on its path as the auth plugin decides it. */
  needsAuth: (path: string) => boolean;
}

/** The transformObject of @fastify/swagger: named components, then the document-wide rules. */
export function createDocumentFinisher(options: FinishOptions): SwaggerTransformObject {
  return (documentObject) => {
    const doc = jsonSchemaTransformObject(documentObject) as Json;
    tidySchemas(doc);
    unwrapSingleAllOf(doc.paths);
    unwrapSingleAllOf(isObject(doc.components) ? doc.components.schemas : undefined);
    const components = isObject(doc.components) ? doc.components : {};
    doc.components = components;
    components.headers = { ...(isObject(components.headers) ? components.headers : {}), ...RESPONSE_HEADERS };
    const usedSchemes = new Set<string>();
    const noteSchemes = (security: unknown) => {
      if (Array.isArray(security))
        for (const item of security) if (isObject(item)) for (const k in item) usedSchemes.add(k);
    };
    noteSchemes(doc.security);
    for (const [path, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
      if (!isObject(item)) continue;
      for (const method of HTTP_METHODS) {
        const operation = item[method];
        if (!isObject(operation)) continue;
        operation.operationId ??= fallbackOperationId(method, path);
        // An explicit empty requirement says "open" instead of leaving it to be guessed.
        if (operation.security === undefined && (!options.authEnabled || !options.needsAuth(path))) {
          operation.security = [];
        }
        noteSchemes(operation.security);
        for (const [status, response] of Object.entries(
          isObject(operation.responses) ? operation.responses : {},
        )) {
          if (!isObject(response)) continue;
          const headers: Json = { 'X-Request-ID': { $ref: '#/components/headers/X-Request-ID' } };
          if (status === '429' || (status === '503' && refersTo(response, 'ErrorEnvelope'))) {
            headers['Retry-After'] = { $ref: '#/components/headers/Retry-After' };
          }
          response.headers = { ...headers, ...(isObject(response.headers) ? response.headers : {}) };
        }
      }
    }
    // An open API has nothing to authorise with: drop the schemes no operation names.
    if (isObject(components.securitySchemes)) {
      for (const name of Object.keys(components.securitySchemes)) {
        if (!usedSchemes.has(name)) delete components.securitySchemes[name];
      }
      if (Object.keys(components.securitySchemes).length === 0) delete components.securitySchemes;
    }
    return doc;
  };
}
