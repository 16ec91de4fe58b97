import type { JsonSchema, ModelToolSpec } from '../../tools/registry.js';

/**
 * The tools the offline assistant drives, read from the specs the model request carries. Each value
 * the assistant collected has a role (an order number, an e-mail address…), and it goes under the
 * property of that tool's own JSON schema that plays the role, typed as that property asks.
 */
export type Json = Record<string, unknown>;
export type Tools = readonly ModelToolSpec[];

export const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Per tool, in the order the help lists them: its name as an offer, what a call does, an example. */
export const TOOL_WORDS: Record<string, readonly [offer: string, action: string, example?: string]> = {
  get_order: ['Looking up orders', 'look up order #{order_id}', '"where is my order 42?"'],
  cancel_order: ['Cancelling orders', 'cancel order #{order_id}', '"cancel order 42"'],
  create_complaint: ['Filing complaints', 'file your complaint', '"I want to file a complaint"'],
  send_order_confirmation: [
    'Sending order confirmations',
    'send the confirmation for order #{order_id}',
    '"send me the confirmation for order 42"',
  ],
  send_order_status_update: ['Sending status updates', 'send the status update for order #{order_id}'],
  list_orders: ['Listing orders', 'list those orders', '"list the orders of jane@example.com"'],
  get_complaint: [
    'Looking up complaints',
    'look up complaint {complaint_id}',
    '"what is the status of complaint CMP-7K2QX9AB?"',
  ],
  list_complaints: ['Listing complaints', 'list those complaints', '"list my complaints (jane@example.com)"'],
  handoff_to_human: ['Talking to a person', 'reach a person', '"talk to a person"'],
};

/** Tools discovered over MCP may carry a prefix when their name clashed: "complaints_get_complaint". */
const isNamed = (actual: string, name: string): boolean =>
  actual === name || actual.endsWith(`_${name}`) || actual.endsWith(`-${name}`);
export const findTool = (tools: Tools, name: string): ModelToolSpec | undefined =>
  tools.find((t) => t.name === name) ?? tools.find((t) => isNamed(t.name, name));
/** The name the assistant knows a called tool by. */
export const knownName = (name: string): string =>
  Object.keys(TOOL_WORDS).find((tool) => isNamed(name, tool)) ?? name;

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
export type Values = Partial<Record<keyof typeof ROLE_KEYS, string | number>>;

export function propertiesOf(spec: ModelToolSpec): Record<string, JsonSchema> {
  const properties = isRecord(spec.parameters.properties) ? spec.parameters.properties : {};
  return Object.fromEntries(
    Object.entries(properties).filter((e): e is [string, JsonSchema] => isRecord(e[1])),
  );
}

/**
 * The property of `spec` that plays `role`: by its name, or for an e-mail address by its format. A
 * plain "id" is the tool's own kind of id ("id" of get_complaint is a complaint_id).
 */
export function argumentFor(spec: ModelToolSpec, role: keyof Values): string | undefined {
  const properties = propertiesOf(spec);
  return Object.keys(properties).find((key) => {
    if (key === 'id') return role.endsWith('_id') && spec.name.includes(role.slice(0, -3));
    return ROLE_KEYS[role].test(key) || (role === 'email' && properties[key]!.format === 'email');
  });
}

/** The values the schema allows for the property of `role` (the complaint categories). */
export function enumOf(spec: ModelToolSpec, role: keyof Values): string[] {
  const values = propertiesOf(spec)[argumentFor(spec, role) ?? '']?.enum;
  return Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string') : [];
}

function typesOf(schema: JsonSchema | undefined): string[] {
  const variants = schema?.anyOf ?? schema?.oneOf;
  if (Array.isArray(variants)) return variants.flatMap((v) => (isRecord(v) ? typesOf(v) : []));
  return [schema?.type].flat().filter((t): t is string => typeof t === 'string');
}

/** An order number as a string when the property's schema takes a string and no number. */
function coerce(schema: JsonSchema | undefined, value: string | number): string | number {
  const types = typesOf(schema);
  const numeric = types.includes('integer') || types.includes('number');
  return typeof value === 'number' && types.includes('string') && !numeric ? String(value) : value;
}

/** The arguments for `spec`: each value given under the property that plays its role. */
export function buildArguments(spec: ModelToolSpec, values: Values): Json {
  const properties = propertiesOf(spec);
  const args: Json = {};
  for (const [role, value] of Object.entries(values) as Array<[keyof Values, string | number | undefined]>) {
    const key = value === undefined ? undefined : argumentFor(spec, role);
    if (key !== undefined && !(key in args)) args[key] = coerce(properties[key], value!);
  }
  return args;
}

/** A call's arguments by role, the other way round: what `buildArguments` put where. */
export function valuesOf(spec: ModelToolSpec | undefined, args: Json): Json {
  const roles = Object.keys(ROLE_KEYS) as Array<keyof Values>;
  return spec ? Object.fromEntries(roles.map((role) => [role, args[argumentFor(spec, role) ?? '']])) : args;
}
