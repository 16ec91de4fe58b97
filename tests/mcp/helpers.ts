import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import {
  type RunningComplaintsServer,
  startComplaintsServer,
} from '../../mcp-servers/complaints/start-server.js';
import type { Tool, ToolContext } from '../../src/tools/registry.js';

export const silentLogger = pino({ level: 'silent' });

export function makeTempDir(): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-test-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function startReferenceServer(dbPath: string, port = 0): Promise<RunningComplaintsServer> {
  return startComplaintsServer({
    port,
    host: '127.0.0.1',
    dbPath,
    logger: silentLogger,
    shutdownGraceMs: 100,
  });
}

export function toolContext(
  tenantId = 'default',
  signal: AbortSignal = new AbortController().signal,
): ToolContext {
  return { tenantId, sessionId: 'session-1', requestId: 'request-1', signal, logger: silentLogger };
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls until `condition` holds; fails with `what` if it never does. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function findTool(tools: readonly Tool[], name: string): Tool {
  const tool = tools.find((t) => t.name === name);
  if (!tool) throw new Error(`tool ${name} not found among ${tools.map((t) => t.name).join(', ')}`);
  return tool;
}

/** Runs a tool as the agent does: arguments through the tool's zod schema, then execute. */
export async function runTool(tool: Tool, args: unknown, ctx: ToolContext = toolContext()): Promise<unknown> {
  return tool.execute(tool.parameters.parse(args), ctx);
}

/** Runs a tool whose result is JSON text (the reference server's tools) and parses it. */
export async function runJsonTool<T = Record<string, unknown>>(
  tool: Tool,
  args: unknown,
  ctx?: ToolContext,
): Promise<T> {
  const output = await runTool(tool, args, ctx);
  if (typeof output !== 'string') throw new Error(`expected text output, got ${typeof output}`);
  return JSON.parse(output) as T;
}
