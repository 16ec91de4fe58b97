import type { JsonSchema, ModelToolSpec } from '../../tools/registry.js';

/**
 * Arguments are built from the tool specs the model request carries: each value the assistant
 * collected has a role (an order number, an e-mail address…), and the argument it goes under is the
 * property of that tool's own JSON schema that plays that role. Nothing here assumes a parameter name.
 */
export type Role =
  | 'order_id'
  | 'complaint_id'
  | 'email'
  | 'recipient'
  | 'name'
  | 'description'
  | 'reason'
  | 'category'
  | 'status';

export type Values = Partial<Record<Role, string | number>>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A tool by name; tools discovered over MCP may carry a prefix when their name clashed. */
export function findTool(tools: readonly ModelToolSpec[], name: string): ModelToolSpec | undefined {
  return (
    tools.find((tool) => tool.name === name) ??
    tools.find((tool) => tool.name.endsWith(`_${name}`) || tool.name.endsWith(`-${name}`))
  );
}

export function propertiesOf(spec: ModelToolSpec): Record<string, JsonSchema> {
  const properties = spec.parameters.properties;
  const result: Record<string, JsonSchema> = {};
  if (isRecord(properties))
    for (const [key, value] of Object.entries(properties)) if (isRecord(value)) result[key] = value;
  return result;
}

function typesOf(schema: JsonSchema | undefined): string[] {
  if (!schema) return [];
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type.filter((t): t is string => typeof t === 'string');
  const variants = schema.anyOf ?? schema.oneOf;
  return Array.isArray(variants) ? variants.flatMap((v) => (isRecord(v) ? typesOf(v) : [])) : [];
}

/** Whether property `key` (with `schema`) of tool `tool` plays `role`. */
function plays(role: Role, key: string, schema: JsonSchema, tool: string): boolean {
  const k = key.toLowerCase().replaceAll('-', '_');
  const isId = k === 'id' || k.endsWith('_id') || k.endsWith('id') || k.endsWith('number');
  switch (role) {
    case 'order_id':
      return (k.includes('order') && isId) || (k === 'id' && tool.includes('order'));
    case 'complaint_id':
      return (k.includes('complaint') && isId) || (k === 'id' && tool.includes('complaint'));
    case 'email':
      return schema.format === 'email' || k.includes('email');
    case 'recipient':
      return k === 'to' || k.startsWith('recipient');
    case 'name':
      return k.endsWith('name');
    case 'description':
      return ['description', 'details', 'text', 'message', 'complaint', 'body'].includes(k);
    case 'reason':
      return k.includes('reason');
    case 'category':
      return ['category', 'type', 'kind'].includes(k);
    case 'status':
      return k === 'status';
  }
}

/** The argument of `spec` that plays `role`, if the tool has one. */
export function argumentFor(spec: ModelToolSpec, role: Role): string | undefined {
  const properties = propertiesOf(spec);
  return Object.keys(properties).find((key) => plays(role, key, properties[key]!, spec.name));
}

export function enumOf(spec: ModelToolSpec, role: Role): string[] {
  const key = argumentFor(spec, role);
  const values = key === undefined ? undefined : propertiesOf(spec)[key]?.enum;
  return Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string') : [];
}

/** Converts a number to a string (or back) when that is what the tool's schema asks for. */
function coerce(schema: JsonSchema | undefined, value: string | number): string | number {
  const types = typesOf(schema);
  if (
    typeof value === 'number' &&
    types.length > 0 &&
    !types.some((t) => t === 'number' || t === 'integer')
  ) {
    return types.includes('string') ? String(value) : value;
  }
  if (typeof value === 'string' && /^\d{1,15}$/.test(value) && !types.includes('string')) {
    if (types.includes('integer') || types.includes('number')) return Number(value);
  }
  return value;
}

/** The arguments for `spec` from the values the assistant has, each under the property of its role. */
export function buildArguments(spec: ModelToolSpec, values: Values): Record<string, unknown> {
  const properties = propertiesOf(spec);
  const args: Record<string, unknown> = {};
  for (const [role, value] of Object.entries(values) as Array<[Role, string | number | undefined]>) {
    if (value === undefined) continue;
    const key = argumentFor(spec, role);
    if (key !== undefined && !(key in args)) args[key] = coerce(properties[key], value);
  }
  return args;
}
