import type { CallToolResult, Tool as McpToolDefinition } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { z } from 'zod';
import { defineTool, type JsonSchema, type Tool, type ToolContext } from '../registry.js';

/** Given to a remote tool whose name is already used by a local tool. */
export const CLASH_PREFIX = 'complaints_';

const MAX_NAME_LENGTH = 64;

// The server validates arguments against its own schema and answers with a readable error result,
// so the agent only checks that the model sent an object and passes every field through.
const passThroughArguments = z.looseObject({});

export type RemoteToolCall = (
  remoteName: string,
  localName: string,
  args: Record<string, unknown>,
  ctx: ToolContext,
) => Promise<unknown>;

export interface AdaptOptions {
  isLocalName: (name: string) => boolean;
  call: RemoteToolCall;
  logger: Logger;
}

/** Model APIs accept only [a-zA-Z0-9_-]{1,64} as function names; MCP also allows dots and slashes. */
function sanitiseName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, MAX_NAME_LENGTH);
}

function toJsonSchema(inputSchema: McpToolDefinition['inputSchema']): JsonSchema {
  const { $schema: _dialect, ...schema } = inputSchema as JsonSchema;
  return { ...schema, type: 'object', properties: schema.properties ?? {} };
}

/** Turns the server's tool list into registry tools; a name taken by a local tool gets CLASH_PREFIX. */
export function adaptRemoteTools(definitions: readonly McpToolDefinition[], options: AdaptOptions): Tool[] {
  const taken = new Set<string>();
  const tools: Tool[] = [];
  for (const definition of definitions) {
    const base = sanitiseName(definition.name);
    let name: string | undefined = base || undefined;
    if (name && (options.isLocalName(name) || taken.has(name))) {
      const prefixed = `${CLASH_PREFIX}${base}`.slice(0, MAX_NAME_LENGTH);
      name = options.isLocalName(prefixed) || taken.has(prefixed) ? undefined : prefixed;
    }
    if (!name) {
      options.logger.warn({ tool: definition.name }, 'MCP tool skipped: its name clashes with another tool');
      continue;
    }
    if (name !== definition.name) {
      options.logger.info({ tool: definition.name, as: name }, 'MCP tool registered under another name');
    }
    taken.add(name);
    const localName = name;
    tools.push(
      defineTool({
        name: localName,
        description: definition.description ?? definition.title ?? `${definition.name} (MCP tool)`,
        parameters: passThroughArguments,
        jsonSchema: toJsonSchema(definition.inputSchema),
        execute: (args, ctx) => options.call(definition.name, localName, args, ctx),
      }),
    );
  }
  return tools;
}

/** Text content joined by blank lines; other content kinds are named rather than dropped silently. */
export function resultText(result: CallToolResult): string {
  const parts: string[] = [];
  for (const item of result.content ?? []) {
    if (item.type === 'text') parts.push(item.text);
    else if (item.type === 'resource' && 'text' in item.resource) parts.push(item.resource.text);
    else if (item.type === 'resource_link') parts.push(`[resource ${item.uri}]`);
    else parts.push(`[${item.type} content not shown]`);
  }
  return parts.join('\n\n');
}

/** The value a remote tool call returns to the agent: its text, else its structured content. */
export function resultOutput(result: CallToolResult): unknown {
  const text = resultText(result);
  if (text === '' && result.structuredContent !== undefined) return result.structuredContent;
  return text;
}
