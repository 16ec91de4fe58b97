import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { z } from 'zod';
import { type OrderDatabase, openOrderDatabase } from '../../src/db/open-database.js';
import { createOrdersRepository, type OrdersRepository } from '../../src/tools/orders/repository.js';
import { createOrderTools } from '../../src/tools/orders/tools.js';
import { type Tool, type ToolContext, ToolError } from '../../src/tools/registry.js';

export const silentLogger = pino({ level: 'silent' });

export function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'orders-test-'));
}

export function toolContext(
  tenantId: string,
  signal: AbortSignal = new AbortController().signal,
): ToolContext {
  return { tenantId, sessionId: 'session-1', requestId: 'request-1', signal, logger: silentLogger };
}

export type CallOutcome =
  | { kind: 'ok'; result: Record<string, unknown> }
  | { kind: 'invalid_args'; message: string }
  | { kind: 'tool_error'; message: string; details: Record<string, unknown> | undefined };

/** Calls a tool the way the agent loop does: zod-parse the model's arguments, then execute. */
export async function callTool(tool: Tool, args: unknown, ctx: ToolContext): Promise<CallOutcome> {
  const parsed = tool.parameters.safeParse(args);
  if (!parsed.success) return { kind: 'invalid_args', message: z.prettifyError(parsed.error) };
  try {
    return { kind: 'ok', result: (await tool.execute(parsed.data, ctx)) as Record<string, unknown> };
  } catch (err) {
    if (err instanceof ToolError) return { kind: 'tool_error', message: err.message, details: err.details };
    throw err;
  }
}

export interface OrderFixture {
  dir: string;
  dbPath: string;
  handle: OrderDatabase;
  repo: OrdersRepository;
  tools: Map<string, Tool>;
  /** Runs a tool by name for a tenant and returns the outcome. */
  call(name: string, args: unknown, tenantId?: string): Promise<CallOutcome>;
  /** Runs a tool that must succeed and returns its result. */
  ok<T = Record<string, unknown>>(name: string, args: unknown, tenantId?: string): Promise<T>;
  cleanup(): void;
}

export function openFixture(): OrderFixture {
  const dir = makeTempDir();
  const dbPath = path.join(dir, 'orders.db');
  const handle = openOrderDatabase({ path: dbPath, logger: silentLogger });
  const repo = createOrdersRepository(handle.db);
  const tools = new Map(createOrderTools(repo).map((tool) => [tool.name, tool]));
  const call = (name: string, args: unknown, tenantId = 'tenant-a') => {
    const tool = tools.get(name);
    if (!tool) throw new Error(`no tool ${name}`);
    return callTool(tool, args, toolContext(tenantId));
  };
  return {
    dir,
    dbPath,
    handle,
    repo,
    tools,
    call,
    async ok<T>(name: string, args: unknown, tenantId?: string): Promise<T> {
      const outcome = await call(name, args, tenantId);
      if (outcome.kind !== 'ok') throw new Error(`${name} failed: ${outcome.message}`);
      return outcome.result as T;
    },
    cleanup() {
      handle.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const sampleOrder = {
  customer_name: 'Jane Doe',
  billing_address: '1 Main Street, Springfield',
  product_sku: 'WIDGET-001',
  quantity: 2,
  order_amount: 19.99,
};
