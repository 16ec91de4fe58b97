import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { z } from 'zod';
import { COMPLAINT_CATEGORIES, COMPLAINT_STATUSES, ComplaintError, type ComplaintsStore } from './store.js';

/**
 * The agent API sends the tenant of the turn in the request's `_meta` under this key (its MCP client
 * defines the same string). Callers that send none — MCP Inspector, other generic clients — share the
 * `default` tenant, which is also the API's default tenant.
 */
export const TENANT_META_KEY = 'cs-agent/tenant_id';
const DEFAULT_TENANT = 'default';
const tenantSchema = z.string().trim().min(1).max(255);

function tenantOf(meta: Record<string, unknown> | undefined): string {
  const parsed = tenantSchema.safeParse(meta?.[TENANT_META_KEY]);
  return parsed.success ? parsed.data : DEFAULT_TENANT;
}

function jsonResult(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }] };
}

function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

const text = (max: number) => z.string().trim().min(1).max(max);
const complaintId = text(32).describe('Complaint id as returned by create_complaint, e.g. "CMP-7K2QX9AB"');

// Built once: zod schemas are costly to construct, and a stateless server registers the tools per request.
const createComplaintInput = {
  customer_name: text(200).describe('Full name of the customer'),
  customer_email: z.email().max(254).optional().describe('Customer e-mail address for follow-up'),
  order_id: z
    .union([text(64), z.number().int().nonnegative()])
    .optional()
    .describe('Id of the order the complaint is about, if any'),
  category: z.enum(COMPLAINT_CATEGORIES).describe('What the complaint is about'),
  description: text(5000).describe("The customer's complaint in their own words"),
};

const getComplaintInput = { complaint_id: complaintId };

const listComplaintsInput = {
  status: z.enum(COMPLAINT_STATUSES).optional().describe('Only complaints with this status'),
  customer_email: text(254).optional().describe('Only complaints of this customer e-mail address'),
  limit: z.number().int().min(1).max(50).default(20).describe('Page size (1-50)'),
  offset: z.number().int().min(0).max(1_000_000).default(0).describe('Number of complaints to skip'),
};

const updateComplaintStatusInput = {
  complaint_id: complaintId,
  status: z.enum(COMPLAINT_STATUSES).describe('The new status'),
  resolution_note: text(2000).optional().describe('What was done for the customer'),
};

/** Registers the four complaint tools on `server`; every call is scoped by the caller's tenant. */
export function registerComplaintTools(server: McpServer, store: ComplaintsStore, logger: Logger): void {
  // Refusals become readable error results; anything else is logged here and reported without internals.
  async function run(
    tool: string,
    meta: Record<string, unknown> | undefined,
    action: (tenantId: string) => unknown,
  ): Promise<CallToolResult> {
    const tenantId = tenantOf(meta);
    try {
      return jsonResult(action(tenantId));
    } catch (err) {
      if (err instanceof ComplaintError) return errorResult(err.message);
      logger.error({ err, tool, tenantId }, 'complaint tool failed');
      return errorResult(`${tool} failed because of an internal error in the complaints service.`);
    }
  }

  server.registerTool(
    'create_complaint',
    {
      title: 'File a customer complaint',
      description:
        'Records a new customer complaint (status "open") and returns it with its complaint_id. ' +
        'Link it to an order with order_id when the complaint is about one.',
      inputSchema: createComplaintInput,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    (args, extra) =>
      run('create_complaint', extra._meta, (tenantId) => ({
        message: 'Complaint filed.',
        complaint: store.create(tenantId, {
          ...args,
          order_id: args.order_id === undefined ? undefined : String(args.order_id),
        }),
      })),
  );

  server.registerTool(
    'get_complaint',
    {
      title: 'Look up a complaint',
      description: 'Returns one complaint with its status and resolution note.',
      inputSchema: getComplaintInput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args, extra) => run('get_complaint', extra._meta, (tenantId) => store.get(tenantId, args.complaint_id)),
  );

  server.registerTool(
    'list_complaints',
    {
      title: 'List complaints',
      description: 'Lists complaints, newest first, optionally filtered by status and customer e-mail.',
      inputSchema: listComplaintsInput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args, extra) =>
      run('list_complaints', extra._meta, (tenantId) => {
        const page = store.list(tenantId, args);
        return { total: page.total, limit: args.limit, offset: args.offset, complaints: page.complaints };
      }),
  );

  server.registerTool(
    'update_complaint_status',
    {
      title: 'Change the status of a complaint',
      description:
        'Moves a complaint to open, in_progress, resolved or closed (closed is final). ' +
        'Add a resolution_note when resolving or closing it.',
      inputSchema: updateComplaintStatusInput,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    (args, extra) =>
      run('update_complaint_status', extra._meta, (tenantId) => {
        const { complaint, previous_status } = store.updateStatus(
          tenantId,
          args.complaint_id,
          args.status,
          args.resolution_note,
        );
        return { message: `Complaint moved from ${previous_status} to ${complaint.status}.`, complaint };
      }),
  );
}
