import type { Logger } from 'pino';
import { z } from 'zod';
import type { OrderAccessProof } from '../access/order-access.js';
import type { VerifiedCustomer } from '../access/principal.js';

/** What every tool call knows about the turn it runs in. The tenant never comes from the model. */
export interface ToolContext {
  tenantId: string;
  sessionId: string;
  requestId: string;
  /** The verified customer of the turn (JWT subject or a service's assertion); never from the model. */
  customer?: VerifiedCustomer;
  /** Without a verified customer: the e-mail addresses the conversation gave (ORDER_ACCESS=customer). */
  orderProof?: OrderAccessProof;
  signal: AbortSignal;
  logger: Logger;
}

export type JsonSchema = Record<string, unknown>;

export interface Tool<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  parameters: S;
  /** Overrides the schema derived from `parameters` (tools discovered over MCP bring their own). */
  jsonSchema?: JsonSchema;
  /**
   * The usual arguments, accepted without a zod parse: what `parameters` outputs for them, or
   * undefined to let `parameters` decide. It must never accept what `parameters` refuses.
   */
  quickParse?(args: unknown): { success: true; data: z.output<S> } | undefined;
  /** Returns a JSON-serialisable result, or throws ToolError with a message the model may read. */
  execute(args: z.output<S>, ctx: ToolContext): Promise<unknown>;
}

/**
 * A failure the model should see and explain (not found, invalid transition, SMTP down…).
 * `details` must be safe to hand to the model: no secrets, hosts or stack traces.
 *
 * An expected result rather than a fault, so it carries no stack frames (capturing them was most of
 * its cost): `stack` is just `ToolError: <message>`.
 */
export class ToolError extends Error {
  readonly details?: Record<string, unknown>;

  constructor(message: string, details?: Record<string, unknown>) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message);
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.name = 'ToolError';
    this.details = details;
  }
}

/** Keeps the type of each tool's arguments tied to its schema at the definition site. */
export function defineTool<S extends z.ZodType>(tool: Tool<S>): Tool {
  return tool as unknown as Tool;
}

export interface ModelToolSpec {
  name: string;
  description: string;
  parameters: JsonSchema;
}

export function toJsonSchema(tool: Tool): JsonSchema {
  if (tool.jsonSchema) return tool.jsonSchema;
  const schema = z.toJSONSchema(tool.parameters, { target: 'draft-7', io: 'input', unrepresentable: 'any' });
  const { $schema: _ignored, ...rest } = schema as JsonSchema;
  return rest;
}

/** A source of tools that can change while the process runs (the MCP client). */
export type ToolProvider = () => readonly Tool[];

/**
 * Local tools are registered once; providers are asked on every snapshot so that tools of a server
 * that comes back appear in the next turn. A snapshot is taken at the start of a turn and used for
 * the whole turn, so the model never sees a tool vanish between two steps.
 */
export function createToolRegistry() {
  const local = new Map<string, Tool>();
  const providers: ToolProvider[] = [];
  const specCache = new WeakMap<Tool, ModelToolSpec>();

  function specOf(tool: Tool): ModelToolSpec {
    let spec = specCache.get(tool);
    if (!spec) {
      spec = { name: tool.name, description: tool.description, parameters: toJsonSchema(tool) };
      specCache.set(tool, spec);
    }
    return spec;
  }

  return {
    register(...tools: Tool[]): void {
      for (const tool of tools) {
        if (!/^[a-zA-Z0-9_-]{1,64}$/.test(tool.name)) throw new Error(`invalid tool name "${tool.name}"`);
        if (local.has(tool.name)) throw new Error(`tool "${tool.name}" is registered twice`);
        local.set(tool.name, tool);
      }
    },
    addProvider(provider: ToolProvider): void {
      providers.push(provider);
    },
    has(name: string): boolean {
      return local.has(name);
    },
    snapshot(): ToolSet {
      const byName = new Map(local);
      for (const provider of providers) {
        for (const tool of provider()) if (!byName.has(tool.name)) byName.set(tool.name, tool);
      }
      return {
        get: (name) => byName.get(name),
        specs: () => [...byName.values()].map(specOf),
        size: byName.size,
      };
    },
  };
}

export interface ToolSet {
  get(name: string): Tool | undefined;
  specs(): ModelToolSpec[];
  size: number;
}

export type ToolRegistry = ReturnType<typeof createToolRegistry>;
