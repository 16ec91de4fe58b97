import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RunningComplaintsServer } from '../../mcp-servers/complaints/start-server.js';
import { createMcpToolSource, type McpToolSource } from '../../src/tools/mcp/index.js';
import { createToolRegistry, defineTool, ToolError, toJsonSchema } from '../../src/tools/registry.js';
import {
  findTool,
  makeTempDir,
  runJsonTool,
  runTool,
  silentLogger,
  startReferenceServer,
  toolContext,
} from './helpers.js';

interface ComplaintJson {
  complaint_id: string;
  customer_name: string;
  customer_email: string | null;
  order_id: string | null;
  category: string;
  description: string;
  status: string;
  resolution_note: string | null;
}

describe('complaints MCP server through the MCP client', () => {
  const temp = makeTempDir();
  let server: RunningComplaintsServer;
  let source: McpToolSource;

  beforeAll(async () => {
    server = await startReferenceServer(path.join(temp.dir, 'nested', 'complaints.db'));
    source = createMcpToolSource({
      url: server.url,
      required: true,
      connectTimeoutMs: 2000,
      callTimeoutMs: 2000,
      localToolNames: () => false,
      logger: silentLogger,
    });
    await source.start();
  });

  afterAll(async () => {
    await source?.close();
    await server?.close();
    temp.cleanup();
  });

  it('discovers the four complaint tools with their input schemas', async () => {
    const tools = source.tools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'create_complaint',
      'get_complaint',
      'list_complaints',
      'update_complaint_status',
    ]);
    const create = findTool(tools, 'create_complaint');
    expect(create.description).toMatch(/complaint/i);
    expect(create.jsonSchema).toMatchObject({
      type: 'object',
      required: ['customer_name', 'category', 'description'],
      properties: {
        category: { enum: ['product', 'delivery', 'billing', 'service', 'other'] },
        customer_email: { type: 'string' },
      },
    });
    expect(create.jsonSchema).not.toHaveProperty('$schema');
    expect(findTool(tools, 'update_complaint_status').jsonSchema).toMatchObject({
      required: ['complaint_id', 'status'],
      properties: { status: { enum: ['open', 'in_progress', 'resolved', 'closed'] } },
    });

    const check = await source.readinessCheck().run(new AbortController().signal);
    expect(check).toMatchObject({ status: 'healthy', details: { tools: 4, url: server.url } });
    expect(source.readinessCheck()).toMatchObject({ name: 'mcp_server', critical: true });
    expect(source.status()).toMatchObject({ enabled: true, state: 'connected', toolCount: 4 });
  });

  it('files, reads, lists and resolves a complaint', async () => {
    const tools = source.tools();
    const created = await runJsonTool<{ complaint: ComplaintJson }>(findTool(tools, 'create_complaint'), {
      customer_name: '  Ada Lovelace ',
      customer_email: 'ada@example.com',
      order_id: 42,
      category: 'delivery',
      description: 'The parcel arrived crushed.',
    });
    const id = created.complaint.complaint_id;
    expect(id).toMatch(/^CMP-[A-Z0-9]{8}$/);
    expect(created.complaint).toMatchObject({
      customer_name: 'Ada Lovelace',
      order_id: '42',
      category: 'delivery',
      status: 'open',
    });

    const fetched = await runJsonTool<ComplaintJson>(findTool(tools, 'get_complaint'), {
      complaint_id: id.toLowerCase(),
    });
    expect(fetched).toMatchObject({ complaint_id: id, description: 'The parcel arrived crushed.' });

    await runJsonTool(findTool(tools, 'create_complaint'), {
      customer_name: 'Grace Hopper',
      customer_email: 'grace@example.com',
      category: 'billing',
      description: 'Charged twice.',
    });
    const byEmail = await runJsonTool<{ total: number; complaints: ComplaintJson[] }>(
      findTool(tools, 'list_complaints'),
      { customer_email: 'ADA@example.com' },
    );
    expect(byEmail.total).toBe(1);
    expect(byEmail.complaints[0]?.complaint_id).toBe(id);

    const updated = await runJsonTool<{ complaint: ComplaintJson }>(
      findTool(tools, 'update_complaint_status'),
      {
        complaint_id: id,
        status: 'resolved',
        resolution_note: 'Replacement shipped.',
      },
    );
    expect(updated.complaint).toMatchObject({ status: 'resolved', resolution_note: 'Replacement shipped.' });

    const open = await runJsonTool<{ total: number; complaints: ComplaintJson[] }>(
      findTool(tools, 'list_complaints'),
      { status: 'open' },
    );
    expect(open.complaints.map((c) => c.customer_name)).toEqual(['Grace Hopper']);
    const page = await runJsonTool<{ total: number; limit: number; complaints: ComplaintJson[] }>(
      findTool(tools, 'list_complaints'),
      { limit: 1, offset: 1 },
    );
    expect(page).toMatchObject({ total: 2, limit: 1 });
    expect(page.complaints.map((c) => c.complaint_id)).toEqual([id]);
  });

  it('refuses an invalid status change, naming the allowed ones', async () => {
    const tools = source.tools();
    const { complaint } = await runJsonTool<{ complaint: ComplaintJson }>(
      findTool(tools, 'create_complaint'),
      {
        customer_name: 'Alan Turing',
        category: 'service',
        description: 'Nobody called back.',
      },
    );
    const update = findTool(tools, 'update_complaint_status');
    await runTool(update, { complaint_id: complaint.complaint_id, status: 'closed' });
    const refusal = runTool(update, { complaint_id: complaint.complaint_id, status: 'open' });
    await expect(refusal).rejects.toBeInstanceOf(ToolError);
    await expect(refusal).rejects.toThrow(/cannot move from closed to open \(closed is final\)/);
  });

  it('turns not found and invalid arguments into readable tool errors', async () => {
    const tools = source.tools();
    await expect(runTool(findTool(tools, 'get_complaint'), { complaint_id: 'CMP-NOPE2345' })).rejects.toThrow(
      'Complaint CMP-NOPE2345 was not found.',
    );
    const invalid = runTool(findTool(tools, 'create_complaint'), {
      customer_name: 'Bob',
      category: 'weather',
      description: 'Too much rain.',
    });
    await expect(invalid).rejects.toBeInstanceOf(ToolError);
    await expect(invalid).rejects.toThrow(/Invalid arguments for tool create_complaint.*category/);
    await expect(invalid).rejects.not.toThrow(/^MCP error/);
  });

  it('keeps each tenant to its own complaints', async () => {
    const tools = source.tools();
    const { complaint } = await runJsonTool<{ complaint: ComplaintJson }>(
      findTool(tools, 'create_complaint'),
      { customer_name: 'Tenant A customer', category: 'product', description: 'Broken lid.' },
      toolContext('tenant-a'),
    );
    const getAsB = runTool(
      findTool(tools, 'get_complaint'),
      { complaint_id: complaint.complaint_id },
      toolContext('tenant-b'),
    );
    await expect(getAsB).rejects.toThrow(/was not found/);
    await expect(
      runTool(
        findTool(tools, 'update_complaint_status'),
        { complaint_id: complaint.complaint_id, status: 'closed' },
        toolContext('tenant-b'),
      ),
    ).rejects.toThrow(/was not found/);
    const listAsB = await runJsonTool<{ total: number }>(
      findTool(tools, 'list_complaints'),
      {},
      toolContext('tenant-b'),
    );
    expect(listAsB.total).toBe(0);
    const listAsA = await runJsonTool<{ total: number }>(
      findTool(tools, 'list_complaints'),
      {},
      toolContext('tenant-a'),
    );
    expect(listAsA.total).toBe(1);
  });

  it('answers GET /health', async () => {
    const response = await fetch(new URL('/health', server.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'healthy' });
  });
});

describe('tool names that clash with local tools', () => {
  const temp = makeTempDir();
  let server: RunningComplaintsServer;
  let source: McpToolSource;

  beforeAll(async () => {
    server = await startReferenceServer(path.join(temp.dir, 'complaints.db'));
  });

  afterAll(async () => {
    await source?.close();
    await server?.close();
    temp.cleanup();
  });

  it('prefixes a clashing remote tool with complaints_ and it still calls the remote tool', async () => {
    const registry = createToolRegistry();
    registry.register(
      defineTool({
        name: 'get_complaint',
        description: 'A local tool that happens to share the name',
        parameters: z.object({}),
        execute: async () => 'local',
      }),
    );
    source = createMcpToolSource({
      url: server.url,
      required: false,
      connectTimeoutMs: 2000,
      callTimeoutMs: 2000,
      localToolNames: registry.has,
      logger: silentLogger,
    });
    await source.start();
    registry.addProvider(source.tools);

    const snapshot = registry.snapshot();
    const names = snapshot.specs().map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'get_complaint',
        'complaints_get_complaint',
        'create_complaint',
        'list_complaints',
      ]),
    );
    expect(snapshot.size).toBe(5);
    const remoteGet = snapshot.get('complaints_get_complaint')!;
    expect(toJsonSchema(remoteGet)).toMatchObject({ required: ['complaint_id'] });

    const { complaint } = await runJsonTool<{ complaint: ComplaintJson }>(snapshot.get('create_complaint')!, {
      customer_name: 'Clash Test',
      category: 'other',
      description: 'Testing names.',
    });
    const fetched = await runJsonTool<ComplaintJson>(remoteGet, { complaint_id: complaint.complaint_id });
    expect(fetched.customer_name).toBe('Clash Test');
    expect(await runTool(snapshot.get('get_complaint')!, {})).toBe('local');
  });
});
