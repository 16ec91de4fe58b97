import pino from 'pino';
import { z } from 'zod';
import { createAgent } from '../../src/agent/loop.js';
import { createOfflineModel } from '../../src/agent/offline/offline-model.js';
import type { AgentEvent } from '../../src/agent/turn-types.js';
import type { Order } from '../../src/db/order-types.js';
import type { StoredMessage } from '../../src/sessions/types.js';
import { createToolRegistry, defineTool, type Tool, ToolError } from '../../src/tools/registry.js';

/**
 * The offline model in the real agent loop, with tools named and shaped like the real ones over
 * in-memory tables, and a conversation kept as the server's session keeps it.
 */
export const silent = pino({ level: 'silent' });

type TestOrder = Omit<Order, 'status'> & { status: string };

function makeOrders(): Map<number, TestOrder> {
  const base = {
    remarks: null,
    created_at: '2025-03-01T10:00:00.000Z',
    updated_at: '2025-03-02T08:30:00.000Z',
  };
  return new Map([
    [
      42,
      {
        ...base,
        order_id: 42,
        customer_name: 'Jane Doe',
        customer_email: 'jane@example.com',
        billing_address: '1 Main Street, Springfield',
        product_sku: 'WIDGET-1',
        quantity: 2,
        order_amount: 19.9,
        status: 'SHIPPED',
      },
    ],
    [
      43,
      {
        ...base,
        order_id: 43,
        customer_name: 'Jane Doe',
        customer_email: 'jane@example.com',
        billing_address: '1 Main Street, Springfield',
        product_sku: 'GADGET-9',
        quantity: 1,
        order_amount: 5,
        status: 'PENDING',
      },
    ],
    [
      7,
      {
        ...base,
        order_id: 7,
        customer_name: 'John Roe',
        customer_email: null,
        billing_address: '2 Side Road',
        product_sku: 'THING-3',
        quantity: 4,
        order_amount: 12.5,
        status: 'DELIVERED',
      },
    ],
    ...[1, 10].map((id): [number, TestOrder] => [
      id,
      {
        ...base,
        order_id: id,
        customer_name: 'Ada Lovelace',
        customer_email: 'ada@example.com',
        billing_address: '12 Analytical Row',
        product_sku: `ENGINE-${id}`,
        quantity: 1,
        order_amount: 100,
        status: id === 1 ? 'SHIPPED' : 'PROCESSING',
      },
    ]),
  ]);
}

interface TestComplaint {
  complaint_id: string;
  customer_name: string;
  customer_email: string | null;
  order_id: string | null;
  category: string;
  description: string;
  status: string;
  resolution_note: string | null;
  created_at: string;
  updated_at: string;
}

function makeComplaints(): Map<string, TestComplaint> {
  const list: TestComplaint[] = [
    {
      complaint_id: 'CMP-Q4RT8ZXC',
      customer_name: 'Jane Doe',
      customer_email: 'jane@example.com',
      order_id: null,
      category: 'billing',
      description: 'I was charged twice',
      status: 'resolved',
      resolution_note: 'Refunded the second charge.',
      created_at: '2025-03-05T09:00:00.000Z',
      updated_at: '2025-03-06T10:00:00.000Z',
    },
    {
      complaint_id: 'CMP-7K2QX9AB',
      customer_name: 'Jane Doe',
      customer_email: 'jane@example.com',
      order_id: '42',
      category: 'delivery',
      description: 'The parcel arrived damaged.',
      status: 'in_progress',
      resolution_note: null,
      created_at: '2025-03-03T09:00:00.000Z',
      updated_at: '2025-03-04T10:00:00.000Z',
    },
    {
      complaint_id: 'CMP-JJ3WW8RR',
      customer_name: 'John Roe',
      customer_email: 'john@example.com',
      order_id: '7',
      category: 'product',
      description: 'It stopped working.',
      status: 'open',
      resolution_note: null,
      created_at: '2025-03-01T09:00:00.000Z',
      updated_at: '2025-03-01T09:00:00.000Z',
    },
  ];
  return new Map(list.map((c) => [c.complaint_id, c]));
}

export interface Calls {
  name: string;
  args: unknown;
}

/** Tools named and shaped like the real ones, over an in-memory table. */
export function makeTools(calls: Calls[], orders = makeOrders(), complaints = makeComplaints()) {
  const orderId = z.number().int().positive();
  const find = (id: number) => {
    const order = orders.get(id);
    if (!order) throw new ToolError(`Order ${id} not found`);
    return order;
  };
  const record = (name: string, args: unknown) => calls.push({ name, args });
  return {
    get_order: defineTool({
      name: 'get_order',
      description: 'Get an order by id',
      parameters: z.object({ order_id: orderId }),
      async execute(args) {
        record('get_order', args);
        return find(args.order_id);
      },
    }),
    list_orders: defineTool({
      name: 'list_orders',
      description: 'List orders',
      parameters: z.object({
        customer_name: z.string().optional(),
        customer_email: z.string().optional(),
        status: z
          .enum(['PENDING', 'CONFIRMED', 'PROCESSING', 'SHIPPED', 'DELIVERED', 'CANCELLED'])
          .optional(),
        limit: z.number().int().min(1).max(50).default(20),
        offset: z.number().int().min(0).default(0),
      }),
      async execute(args) {
        record('list_orders', args);
        const matches = [...orders.values()].filter(
          (o) =>
            (!args.customer_name || o.customer_name.toLowerCase() === args.customer_name.toLowerCase()) &&
            (!args.customer_email || o.customer_email === args.customer_email),
        );
        return { total: matches.length, orders: matches.slice(args.offset, args.offset + args.limit) };
      },
    }),
    cancel_order: defineTool({
      name: 'cancel_order',
      description: 'Cancel an order',
      parameters: z.object({ order_id: orderId, reason: z.string().optional() }),
      async execute(args) {
        record('cancel_order', args);
        const order = find(args.order_id);
        if (!['PENDING', 'CONFIRMED', 'PROCESSING'].includes(order.status)) {
          throw new ToolError(`Order ${order.order_id} is ${order.status} and can no longer be cancelled`);
        }
        order.status = 'CANCELLED';
        return { order };
      },
    }),
    send_order_confirmation: defineTool({
      name: 'send_order_confirmation',
      description: 'Mail the order confirmation',
      parameters: z.object({ order_id: orderId, to: z.string().optional() }),
      async execute(args) {
        record('send_order_confirmation', args);
        const order = find(args.order_id);
        const to = args.to ?? order.customer_email;
        if (!to)
          throw new ToolError(
            'The order has no customer e-mail address; ask the customer for one and pass it as "to".',
            {
              order_id: order.order_id,
              field: 'to',
            },
          );
        return { status: 'sent', message_id: '<m1@test>', recipients: [to] };
      },
    }),
    create_complaint: defineTool({
      name: 'create_complaint',
      description: 'File a complaint',
      parameters: z.object({
        customer_name: z.string().min(1),
        customer_email: z.string().optional(),
        order_id: z.number().int().optional(),
        category: z.enum(['product', 'delivery', 'billing', 'service', 'other']),
        description: z.string().min(1),
      }),
      async execute(args) {
        record('create_complaint', args);
        // MCP tools answer with text content, here JSON text as the reference server sends.
        return JSON.stringify({
          message: 'Complaint filed.',
          complaint: { complaint_id: 'CMP-7K2QX9AB', status: 'open', ...args },
        });
      },
    }),
    // The complaint tools answer with JSON text, as the reference MCP server does.
    get_complaint: defineTool({
      name: 'get_complaint',
      description: 'Look up a complaint',
      parameters: z.object({ complaint_id: z.string().min(1) }),
      async execute(args) {
        record('get_complaint', args);
        const complaint = complaints.get(args.complaint_id);
        if (!complaint) throw new ToolError(`Complaint ${args.complaint_id} was not found.`);
        return JSON.stringify(complaint);
      },
    }),
    list_complaints: defineTool({
      name: 'list_complaints',
      description: 'List complaints',
      parameters: z.object({
        status: z.enum(['open', 'in_progress', 'resolved', 'closed']).optional(),
        customer_email: z.string().optional(),
        limit: z.number().int().min(1).max(50).default(20),
        offset: z.number().int().min(0).default(0),
      }),
      async execute(args) {
        record('list_complaints', args);
        const matches = [...complaints.values()].filter(
          (c) =>
            (!args.status || c.status === args.status) &&
            (!args.customer_email || c.customer_email === args.customer_email),
        );
        return JSON.stringify({
          total: matches.length,
          limit: args.limit,
          offset: args.offset,
          complaints: matches.slice(args.offset, args.offset + args.limit),
        });
      },
    }),
  };
}

export type ToolName = keyof ReturnType<typeof makeTools>;

export interface SetupOptions {
  /** Tools left out, as when the complaints server is down. */
  without?: ToolName[];
  /** Tools added or put in the place of the standard ones of the same name. */
  extra?: (calls: Calls[]) => Tool[];
}

export function setup(options: SetupOptions = {}) {
  const calls: Calls[] = [];
  const tools = makeTools(calls);
  const extra = options.extra?.(calls) ?? [];
  const registry = createToolRegistry();
  registry.register(
    ...(Object.entries(tools) as [ToolName, Tool][])
      .filter(([name]) => !options.without?.includes(name) && !extra.some((t) => t.name === name))
      .map(([, tool]) => tool),
    ...extra,
  );
  const model = createOfflineModel({ logger: silent, wordDelayMs: 0 });
  const agent = createAgent({
    model,
    tools: registry,
    config: { AGENT_MAX_STEPS: 8, TOOL_TIMEOUT_MS: 2_000, HISTORY_MAX_MESSAGES: 50 },
    logger: silent,
  });
  const ask = async (message: string, history: StoredMessage[] = []) => {
    const events: AgentEvent[] = [];
    const result = await agent.runTurn(
      {
        history,
        message,
        ctx: {
          tenantId: 't',
          sessionId: 's',
          requestId: 'r',
          signal: new AbortController().signal,
          logger: silent,
        },
      },
      (e) => events.push(e),
    );
    return { ...result, events };
  };
  /** One conversation: each answer, with its tool calls, is kept as the server's session would. */
  const history: StoredMessage[] = [];
  const chat = async (message: string) => {
    const result = await ask(message, history);
    history.push(
      { role: 'user', content: message, timestamp: 't' },
      { role: 'assistant', content: result.answer, timestamp: 't', tool_calls: result.toolCalls },
    );
    return result;
  };
  return { calls, ask, chat, model, history };
}
