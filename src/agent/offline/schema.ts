import type { JsonSchema, ModelToolSpec } from '../../tools/registry.js';

/**
 * Arguments are built from the tool specs the model request carries: each value the assistant
 * collected has a role (an order number, an e-mail address…), and it goes under the property of that
 * tool's own JSON schema that plays the role. Nothing here assumes a tool's parameter names.
 */
const ROLE_KEYS = {
  order_id: /^order_?(id|no|nr|number)$/i,
  complaint_id: /^complaint_?(id|ref|reference)$/i,
  email: /e_?mail/i,
  recipient: /^(to|recipients?)$/i,
  name: /name$/i,
  description: /^(description|details|text|message|complaint|body)$/i,
  reason: /reason/i,
  category: /^(category|type|kind)$/i,
  status: /^status$/i,
};
export type Role = keyof typeof ROLE_KEYS;
export type Values = Partial<Record<Role, string | number>>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A tool by name; tools discovered over MCP may carry a prefix when their name clashed. */
export const findTool = (tools: readonly ModelToolSpec[], name: string): ModelToolSpec | undefined =>
  tools.find((t) => t.name === name) ??
  tools.find((t) => t.name.endsWith(`_${name}`) || t.name.endsWith(`-${name}`));

export function propertiesOf(spec: ModelToolSpec): Record<string, JsonSchema> {
  const properties = isRecord(spec.parameters.properties) ? spec.parameters.properties : {};
  return Object.fromEntries(
    Object.entries(properties).filter((entry): entry is [string, JsonSchema] => isRecord(entry[1])),
  );
}

/** The argument of `spec` that plays `role`, if the tool has one; a plain "id" is the tool's own kind of id. */
export function argumentFor(spec: ModelToolSpec, role: Role): string | undefined {
  const properties = propertiesOf(spec);
  return Object.keys(properties).find((key) => {
    if (key === 'id') return role.endsWith('_id') && spec.name.includes(role.slice(0, -3));
    return ROLE_KEYS[role].test(key) || (role === 'email' && properties[key]!.format === 'email');
  });
}

export function enumOf(spec: ModelToolSpec, role: Role): string[] {
  const key = argumentFor(spec, role);
  const values = key === undefined ? undefined : propertiesOf(spec)[key]?.enum;
  return Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string') : [];
}

function typesOf(schema: JsonSchema | undefined): string[] {
  const variants = schema?.anyOf ?? schema?.oneOf;
  if (Array.isArray(variants)) return variants.flatMap((v) => (isRecord(v) ? typesOf(v) : []));
  return [schema?.type].flat().filter((t): t is string => typeof t === 'string');
}

/** A number as a string (or back) when that is what the tool's schema asks for. */
function coerce(schema: JsonSchema | undefined, value: string | number): string | number {
  const types = typesOf(schema);
  const numeric = types.includes('integer') || types.includes('number');
  if (typeof value === 'number' && types.includes('string') && !numeric) return String(value);
  if (typeof value === 'string' && /^\d{1,15}$/.test(value) && numeric && !types.includes('string'))
    return Number(value);
  return value;
}

/** The arguments for `spec` from the values the assistant has, each under the property of its role. */
export function buildArguments(spec: ModelToolSpec, values: Values): Record<string, unknown> {
  const properties = propertiesOf(spec);
  const args: Record<string, unknown> = {};
  for (const [role, value] of Object.entries(values) as Array<[Role, string | number | undefined]>) {
    const key = value === undefined ? undefined : argumentFor(spec, role);
    if (key !== undefined && !(key in args)) args[key] = coerce(properties[key], value!);
  }
  return args;
}
