import path from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startMcpHttpServer } from '../../mcp-servers/complaints/http.js';
import { createMcpToolSource, type McpToolSourceOptions } from '../../src/tools/mcp/index.js';
import { ToolError } from '../../src/tools/registry.js';
import {
  findTool,
  freePort,
  makeTempDir,
  runJsonTool,
  runTool,
  silentLogger,
  startReferenceServer,
  toolContext,
  waitFor,
} from './helpers.js';

const signal = () => new AbortController().signal;
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function source(options: Partial<McpToolSourceOptions> & { url: string | undefined }) {
  const created = createMcpToolSource({
    required: false,
    connectTimeoutMs: 3000,
    callTimeoutMs: 3000,
    localToolNames: () => false,
    logger: silentLogger,
    backoff: { initialMs: 20, maxMs: 100 },
    ...options,
  });
  cleanups.push(() => created.close());
  return created;
}

async function referenceServer(port = 0) {
  const temp = makeTempDir();
  const server = await startReferenceServer(path.join(temp.dir, 'complaints.db'), port);
  cleanups.push(() => temp.cleanup());
  cleanups.push(() => server.close());
  return { server, dbDir: temp.dir };
}

/** A server built with the SDK whose one tool answers after the number of milliseconds it is given. */
/** A server whose `wait` tool answers after `ms`; `called()` resolves when the next call reaches it. */
async function slowServer(): Promise<{ url: string; called: () => Promise<void> }> {
  const waiting: Array<() => void> = [];
  const http = await startMcpHttpServer({
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger,
    shutdownGraceMs: 0,
    createMcpServer: () => {
      const server = new McpServer({ name: 'slow', version: '1.0.0' });
      server.registerTool(
        'wait',
        { description: 'Waits, then answers', inputSchema: { ms: z.number().int().min(0) } },
        async ({ ms }) => {
          for (const resolve of waiting.splice(0)) resolve();
          await new Promise((resolve) => setTimeout(resolve, ms).unref());
          return { content: [{ type: 'text', text: `waited ${ms} ms` }] };
        },
      );
      return server;
    },
  });
  cleanups.push(() => http.close());
  return { url: http.url, called: () => new Promise<void>((resolve) => waiting.push(resolve)) };
}

describe('MCP client resilience', () => {
  it('turns a call that exceeds the call timeout into a ToolError and keeps the connection', async () => {
    const mcp = source({ url: (await slowServer()).url, callTimeoutMs: 600 });
    await mcp.start();
    const wait = findTool(mcp.tools(), 'wait');

    const slow = runTool(wait, { ms: 10_000 });
    await expect(slow).rejects.toBeInstanceOf(ToolError);
    await expect(slow).rejects.toThrow('wait did not answer within 600 ms; its outcome is unknown.');

    expect(await runTool(wait, { ms: 0 })).toBe('waited 0 ms');
    expect(mcp.status().state).toBe('connected');
  });

  it('abandons a pending call when the turn is aborted', async () => {
    const slow = await slowServer();
    const mcp = source({ url: slow.url });
    await mcp.start();
    const controller = new AbortController();
    const reached = slow.called();
    const pending = runTool(
      findTool(mcp.tools(), 'wait'),
      { ms: 10_000 },
      toolContext('default', controller.signal),
    );
    // Aborted while the server is working on it, not before the request went out.
    await reached;
    controller.abort();
    await expect(pending).rejects.toThrow('wait was cancelled.');
    expect(mcp.status().state).toBe('connected');
  });

  it('reports a stopped server through call errors and readiness, and brings the tools back when it returns', async () => {
    const { server, dbDir } = await referenceServer();
    const port = server.port;
    const mcp = source({ url: server.url });
    await mcp.start();
    const created = await runJsonTool<{ complaint: { complaint_id: string } }>(
      findTool(mcp.tools(), 'create_complaint'),
      { customer_name: 'Before Outage', category: 'product', description: 'Filed before the restart.' },
    );
    const getComplaint = findTool(mcp.tools(), 'get_complaint');

    await server.close();
    const failed = runTool(getComplaint, { complaint_id: created.complaint.complaint_id });
    await expect(failed).rejects.toBeInstanceOf(ToolError);
    await expect(failed).rejects.toThrow(/MCP server could not be reached/);

    expect(mcp.tools()).toEqual([]);
    const down = await mcp.readinessCheck().run(signal());
    expect(down.status).toBe('unavailable');
    expect(down.message).toBe(`MCP server not reachable at ${server.url}`);
    // A tool object the agent took before the outage fails fast instead of hanging.
    await expect(runTool(getComplaint, { complaint_id: created.complaint.complaint_id })).rejects.toThrow(
      /not reachable right now/,
    );

    const restarted = await startReferenceServer(path.join(dbDir, 'complaints.db'), port);
    cleanups.push(() => restarted.close());
    await waitFor('the tools to come back', () => mcp.tools().length === 4);

    const again = await runJsonTool<{ customer_name: string }>(findTool(mcp.tools(), 'get_complaint'), {
      complaint_id: created.complaint.complaint_id,
    });
    expect(again.customer_name).toBe('Before Outage');
    expect((await mcp.readinessCheck().run(signal())).status).toBe('healthy');
  });

  it('notices a server that went away without any call', async () => {
    const { server } = await referenceServer();
    const mcp = source({ url: server.url, pingIntervalMs: 30, backoff: { initialMs: 5000, maxMs: 5000 } });
    await mcp.start();
    expect(mcp.tools()).toHaveLength(4);
    await server.close();
    await waitFor('the connection to be marked lost', () => mcp.status().state === 'reconnecting');
    expect(mcp.tools()).toEqual([]);
    expect(mcp.status().lastError).toMatch(/ping failed/);
  });

  it('fails start-up when required and unreachable, naming the URL with its credentials masked', async () => {
    const port = await freePort();
    const mcp = source({ url: `http://agent:s3cret-pass@127.0.0.1:${port}/mcp`, required: true });
    const start = mcp.start();
    await expect(start).rejects.toThrow(`MCP server http://****@127.0.0.1:${port}/mcp is unreachable`);
    await expect(start).rejects.not.toThrow(/s3cret/);
    expect(mcp.readinessCheck().critical).toBe(true);
  });

  it('starts without an unreachable optional server and picks its tools up once it is there', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/mcp`;
    const mcp = source({ url });
    await mcp.start();
    expect(mcp.tools()).toEqual([]);
    const check = mcp.readinessCheck();
    expect(check.critical).toBe(false);
    const outcome = await check.run(signal());
    expect(outcome).toMatchObject({ status: 'unavailable', message: `MCP server not reachable at ${url}` });
    expect(mcp.status()).toMatchObject({ enabled: true, state: 'reconnecting', toolCount: 0 });

    await referenceServer(port);
    await waitFor('the late server to be connected', () => mcp.tools().length === 4);
    expect((await check.run(signal())).status).toBe('healthy');
  });

  it('is disabled by an empty URL and never connects', async () => {
    const mcp = source({ url: '' });
    await mcp.start();
    expect(mcp.tools()).toEqual([]);
    expect(await mcp.readinessCheck().run(signal())).toMatchObject({ status: 'disabled' });
    expect(mcp.status()).toMatchObject({ enabled: false, state: 'disabled' });
  });

  it('stops reconnecting once closed', async () => {
    const port = await freePort();
    const mcp = source({ url: `http://127.0.0.1:${port}/mcp` });
    // A witness with the same backoff, left open: once it has reconnected, the closed one had its chance.
    const witness = source({ url: `http://127.0.0.1:${port}/mcp` });
    await Promise.all([mcp.start(), witness.start()]);
    await mcp.close();
    await referenceServer(port);
    await waitFor('the witness to reconnect', () => witness.tools().length === 4);
    expect(mcp.tools()).toEqual([]);
    expect(mcp.status().state).toBe('closed');
  });
});
