import type { JsonSchema, ModelToolSpec } from '../../tools/registry.js';

/**
 * The offline router fills arguments from what the tools declare, not from assumptions about their
 * exact parameter names or types, so it keeps working when a tool's schema evolves.
 */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A tool by name; tools discovered over MCP may carry a prefix when their name clashed. */
export function findTool(tools: readonly ModelToolSpec[], name: string): ModelToolSpec | undefined {
  return (
    tools.find((tool) => tool.name === name) ??
    tools.find((tool) => tool.name.endsWith(`_${name}`) || tool.name.endsWith(`-${name}`))
  );
}

function propertiesOf(spec: ModelToolSpec): Record<string, JsonSchema> | undefined {
  const properties = spec.parameters.properties;
  if (!isRecord(properties)) return undefined;
  const result: Record<string, JsonSchema> = {};
  for (const [key, value] of Object.entries(properties)) if (isRecord(value)) result[key] = value;
  return result;
}

export function requiredOf(spec: ModelToolSpec): string[] {
  const required = spec.parameters.required;
  return Array.isArray(required) ? required.filter((k): k is string => typeof k === 'string') : [];
}

/** The first candidate the tool declares; the first candidate when the tool declares nothing. */
function keyFor(spec: ModelToolSpec, candidates: readonly string[]): string | undefined {
  const properties = propertiesOf(spec);
  if (!properties) return candidates[0];
  return candidates.find((candidate) => candidate in properties);
}

function typesOf(schema: JsonSchema | undefined): string[] {
  if (!schema) return [];
  const type = schema.type;
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string');
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants)) return variants.flatMap((v) => (isRecord(v) ? typesOf(v) : []));
  return [];
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
  if (typeof value === 'string' && /^\d+$/.test(value) && !types.includes('string')) {
    if (types.includes('integer') || types.includes('number')) return Number(value);
  }
  return value;
}

export function enumOf(spec: ModelToolSpec, candidates: readonly string[]): string[] | undefined {
  const key = keyFor(spec, candidates);
  const schema = key === undefined ? undefined : propertiesOf(spec)?.[key];
  const values = schema?.enum;
  return Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string') : undefined;
}

export interface BuiltArguments {
  args: Record<string, unknown>;
  /** Required parameters left without a value. */
  missing: string[];
}

/** Each entry: the parameter names a value may go under, best first, and the value (if known). */
export function buildArguments(
  spec: ModelToolSpec,
  values: ReadonlyArray<readonly [readonly string[], string | number | undefined]>,
): BuiltArguments {
  const properties = propertiesOf(spec);
  const args: Record<string, unknown> = {};
  for (const [candidates, value] of values) {
    if (value === undefined) continue;
    const key = keyFor(spec, candidates);
    if (key === undefined) continue;
    args[key] = coerce(properties?.[key], value);
  }
  const missing = requiredOf(spec).filter((key) => !(key in args));
  return { args, missing };
}
