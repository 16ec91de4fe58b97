import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAgent } from '../../src/agent/loop.js';
import { createOfflineModel } from '../../src/agent/offline/offline-model.js';
import type { AgentEvent } from '../../src/agent/turn-types.js';
import type { Order } from '../../src/db/order-types.js';
import type { StoredMessage } from '../../src/sessions/types.js';
import { createToolRegistry, defineTool, type Tool, ToolError } from '../../src/tools/registry.js';

const silent = pino({ level: 'silent' });

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

interface Calls {
  name: string;
  args: unknown;
}

/** Tools named and shaped like the real ones, over an in-memory table. */
function makeTools(calls: Calls[], orders = makeOrders(), complaints = makeComplaints()) {
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
        if (!to) throw new ToolError('The order has no customer e-mail address; give a recipient');
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

type ToolName = keyof ReturnType<typeof makeTools>;

function setup(options: { without?: ToolName[] } = {}) {
  const calls: Calls[] = [];
  const tools = makeTools(calls);
  const registry = createToolRegistry();
  registry.register(
    ...(Object.entries(tools) as [ToolName, Tool][])
      .filter(([name]) => !options.without?.includes(name))
      .map(([, tool]) => tool),
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
  return { calls, ask, chat, model };
}

describe('offline model', () => {
  it('looks an order up and streams the answer word by word', async () => {
    const { calls, ask } = setup();
    const result = await ask('Can you show me order 42?');
    expect(calls).toEqual([{ name: 'get_order', args: { order_id: 42 } }]);
    expect(result.answer).toContain('Order #42 for Jane Doe: 2 × WIDGET-1, total 19.90.');
    expect(result.answer).toContain('SHIPPED');
    expect(result.answer).toContain('1 Main Street, Springfield');
    const tokens = result.events.filter((e) => e.type === 'token');
    expect(tokens.length).toBeGreaterThan(10);
    expect(tokens.map((e) => e.content).join('')).toBe(result.answer);
    expect(result.events.filter((e) => e.type !== 'token').map((e) => e.type)).toEqual([
      'tool_call',
      'tool_result',
    ]);
    expect(result.toolCalls[0]).toMatchObject({
      name: 'get_order',
      status: 'ok',
      arguments: { order_id: 42 },
    });
  });

  it('understands "#42" as an order look-up', async () => {
    const { calls, ask } = setup();
    await ask('#42');
    expect(calls).toEqual([{ name: 'get_order', args: { order_id: 42 } }]);
  });

  it('answers a status question about the status', async () => {
    const { calls, ask } = setup();
    const result = await ask('Where is my order 42?');
    expect(calls).toEqual([{ name: 'get_order', args: { order_id: 42 } }]);
    expect(result.answer).toBe(
      'Your order #42 is SHIPPED — it is on its way to you. Last update: 2025-03-02.',
    );
  });

  it('lists the orders of a customer by name and by e-mail', async () => {
    const { calls, ask } = setup();
    const byName = await ask('Please list the orders for Jane Doe');
    expect(calls[0]).toEqual({
      name: 'list_orders',
      args: { customer_name: 'Jane Doe', limit: 20, offset: 0 },
    });
    expect(byName.answer).toContain('I found 2 orders for Jane Doe:');
    expect(byName.answer).toContain('#42: 2 × WIDGET-1, 19.90, SHIPPED');
    expect(byName.answer).toContain('#43: 1 × GADGET-9, 5.00, PENDING');

    const byEmail = await ask('what orders does jane@example.com have?');
    expect(calls[1]).toEqual({
      name: 'list_orders',
      args: { customer_email: 'jane@example.com', limit: 20, offset: 0 },
    });
    expect(byEmail.answer).toContain('I found 2 orders for jane@example.com');

    const none = await ask('orders for Nobody Known');
    expect(none.answer).toBe('I found no orders for Nobody Known.');
  });

  it('asks whose orders to list when no customer is named', async () => {
    const { calls, ask } = setup();
    const result = await ask('list all orders');
    expect(calls).toEqual([]);
    expect(result.answer).toContain("customer's name or e-mail address");
  });

  it('cancels an order only once the customer confirms the restated cancellation, keeping the reason', async () => {
    const { calls, chat } = setup();
    const asked = await chat('Please cancel order 43 because I ordered it twice.');
    expect(calls).toEqual([]);
    expect(asked.toolCalls).toEqual([]);
    expect(asked.answer).toBe(
      'You are asking me to cancel order #43 (reason: I ordered it twice). A cancellation cannot be undone. Reply "yes, cancel order 43" to confirm.',
    );

    const done = await chat('Yes, cancel order 43');
    expect(calls).toEqual([{ name: 'cancel_order', args: { order_id: 43, reason: 'I ordered it twice' } }]);
    expect(done.answer).toBe('Order #43 has been cancelled. Reason noted: I ordered it twice.');
  });

  it('takes a plain "yes" as the confirmation of the cancellation just asked about', async () => {
    const { calls, chat } = setup();
    await chat('cancel order 43');
    const done = await chat('Yes please!');
    expect(calls).toEqual([{ name: 'cancel_order', args: { order_id: 43 } }]);
    expect(done.answer).toBe('Order #43 has been cancelled.');
  });

  it('never cancels on a negation, a question or a "no"', async () => {
    const { calls, chat } = setup();
    const negated = await chat('Please do NOT cancel order 43');
    expect(negated.answer).toBe(
      'All right, I have not cancelled order #43, and I will not cancel it unless you ask me to.',
    );
    // Even when it is the phrase the router asked for.
    await chat('cancel order 43');
    expect((await chat("yes, don't cancel order 43")).answer).toContain('I have not cancelled order #43');
    await chat('cancel order 43');
    const question = await chat('yes, cancel order 43?');
    expect(question.answer).toContain('Reply "yes, cancel order 43" to confirm.');
    const declined = await chat('No.');
    expect(declined.answer).toBe(
      'All right, I have not cancelled order #43, and I will not cancel it unless you ask me to.',
    );
    expect(calls).toEqual([]);

    const check = await chat('where is order 43?');
    expect(check.answer).toContain('PENDING');
  });

  it('cancels only the order it just asked about, right after asking', async () => {
    const { calls, ask, chat } = setup();
    // A confirmation with no question before it is a new request.
    const unasked = await ask('yes, cancel order 43');
    expect(unasked.answer).toBe(
      'You are asking me to cancel order #43. A cancellation cannot be undone. Reply "yes, cancel order 43" to confirm.',
    );

    await chat('cancel order 43');
    const other = await chat('yes, cancel order 42');
    expect(other.answer).toContain('Reply "yes, cancel order 42" to confirm.');

    await chat('cancel order 43');
    await chat('show order 42');
    const late = await chat('yes');
    expect(late.answer).toBe(
      'There is nothing waiting for your confirmation. What can I do for you? For example, "show order 42".',
    );
    expect(calls.map((c) => c.name)).toEqual(['get_order']);
  });

  it("explains a refused cancellation with the tool's message", async () => {
    const { chat } = setup();
    await chat('cancel order 7');
    const result = await chat('yes, cancel order 7');
    expect(result.answer).toBe(
      'Sorry, I could not cancel order #7: Order 7 is DELIVERED and can no longer be cancelled.',
    );
    expect(result.toolCalls[0]!.status).toBe('error');
  });

  it('suggests the order mentioned before for "cancel it", and cancels it once confirmed', async () => {
    const { calls, ask } = setup();
    const history: StoredMessage[] = [
      { role: 'user', content: 'show order 43', timestamp: 't0' },
      { role: 'assistant', content: 'Order #43 …', timestamp: 't1' },
    ];
    const result = await ask('ok, cancel it', history);
    expect(calls).toEqual([]);
    expect(result.answer).toBe(
      'Do you want me to cancel order #43? A cancellation cannot be undone. Reply "yes, cancel order 43" to confirm.',
    );
    history.push(
      { role: 'user', content: 'ok, cancel it', timestamp: 't2' },
      { role: 'assistant', content: result.answer, timestamp: 't3' },
    );
    await ask('yes', history);
    expect(calls).toEqual([{ name: 'cancel_order', args: { order_id: 43 } }]);
  });

  it('sends the confirmation mail to the address given, or to the customer', async () => {
    const { calls, ask } = setup();
    const toGiven = await ask('Send me the confirmation for order 42 to jane.work@example.org');
    expect(calls[0]).toEqual({
      name: 'send_order_confirmation',
      args: { order_id: 42, to: 'jane.work@example.org' },
    });
    expect(toGiven.answer).toBe('I have sent the confirmation for order #42 to jane.work@example.org.');

    const toCustomer = await ask('please email the order confirmation for order #43');
    expect(calls[1]).toEqual({ name: 'send_order_confirmation', args: { order_id: 43 } });
    expect(toCustomer.answer).toBe('I have sent the confirmation for order #43 to jane@example.com.');
  });

  it('files a complaint with the customer details and a fitting category', async () => {
    const { calls, ask } = setup();
    const result = await ask(
      'I want to file a complaint about order 42: the parcel arrived damaged. My name is Jane Doe, jane@example.com',
    );
    expect(calls).toEqual([
      {
        name: 'create_complaint',
        args: {
          customer_name: 'Jane Doe',
          customer_email: 'jane@example.com',
          order_id: 42,
          category: 'product',
          description: 'the parcel arrived damaged.',
        },
      },
    ]);
    expect(result.answer).toBe(
      'Your complaint about order #42 has been filed under reference CMP-7K2QX9AB. Our team will review it.',
    );
  });

  it('looks a complaint up by its reference instead of filing a new one', async () => {
    const { calls, ask } = setup();
    const shown = await ask('show my complaint CMP-7K2QX9AB');
    expect(calls).toEqual([{ name: 'get_complaint', args: { complaint_id: 'CMP-7K2QX9AB' } }]);
    expect(shown.answer).toBe(
      'Complaint CMP-7K2QX9AB about order #42 (delivery) is in progress — our team is working on it. Filed on 2025-03-03 by Jane Doe. Description: The parcel arrived damaged. Last update: 2025-03-04.',
    );

    const status = await ask('What is the status of complaint cmp-q4rt8zxc?');
    expect(calls[1]).toEqual({ name: 'get_complaint', args: { complaint_id: 'CMP-Q4RT8ZXC' } });
    expect(status.answer).toBe(
      'Complaint CMP-Q4RT8ZXC (billing) is resolved — it has been resolved. Filed on 2025-03-05 by Jane Doe. Description: I was charged twice. Resolution: Refunded the second charge. Last update: 2025-03-06.',
    );

    const missing = await ask('show complaint CMP-ZZZZ2222');
    expect(missing.answer).toBe(
      'Sorry, I could not look up complaint CMP-ZZZZ2222: Complaint CMP-ZZZZ2222 was not found.',
    );

    const vague = await ask('any news on my complaint?');
    expect(vague.answer).toContain('Please give its reference');
    expect(calls.map((c) => c.name)).toEqual(['get_complaint', 'get_complaint', 'get_complaint']);
  });

  it("lists a customer's complaints by e-mail address, or all of them with a status", async () => {
    const { calls, ask } = setup();
    const mine = await ask('list my complaints (jane@example.com)');
    expect(calls).toEqual([
      { name: 'list_complaints', args: { customer_email: 'jane@example.com', limit: 20, offset: 0 } },
    ]);
    expect(mine.answer).toBe(
      [
        'I found 2 complaints for jane@example.com:',
        '- CMP-Q4RT8ZXC: billing, resolved, filed 2025-03-05',
        '- CMP-7K2QX9AB: delivery, in progress, filed 2025-03-03, about order #42',
      ].join('\n'),
    );

    const open = await ask('list all open complaints');
    expect(calls[1]).toEqual({ name: 'list_complaints', args: { status: 'open', limit: 20, offset: 0 } });
    expect(open.answer).toBe(
      'I found 1 open complaint:\n- CMP-JJ3WW8RR: product, open, filed 2025-03-01, about order #7',
    );

    // Without an address, "my complaints" would show other customers' complaints.
    const unknown = await ask('show my complaints');
    expect(unknown.answer).toContain('Which e-mail address');
    expect(calls).toHaveLength(2);

    const none = await ask('list complaints of nobody@example.com');
    expect(none.answer).toBe('I found no complaints for nobody@example.com.');
  });

  it('asks for the missing details of a complaint instead of filing it', async () => {
    const { calls, ask } = setup();
    const result = await ask('I want to complain: my delivery was three weeks late');
    expect(calls).toEqual([]);
    expect(result.answer).toContain('your name');
  });

  it('says plainly when a capability is not available right now', async () => {
    const { calls, ask } = setup({ without: ['create_complaint'] });
    const result = await ask('I want to file a complaint: late delivery. My name is Jane Doe');
    expect(calls).toEqual([]);
    expect(result.answer).toContain('Filing complaints is not available right now');

    const help = await ask('hello');
    expect(help.answer).toContain('Not available right now: filing complaints.');
    expect(help.answer).not.toContain('file a complaint:');
  });

  it('answers anything else with a help text that says it is not an LLM and how to configure one', async () => {
    const { calls, ask } = setup();
    const result = await ask('What is the meaning of life?');
    expect(calls).toEqual([]);
    expect(result.toolCalls).toEqual([]);
    expect(result.answer).toContain('offline');
    expect(result.answer).toContain('not an AI language model');
    for (const example of [
      'show order 42',
      'where is my order 42?',
      'cancel order 42',
      'confirmation for order 42',
    ]) {
      expect(result.answer).toContain(example);
    }
    expect(result.answer).toContain('file a complaint');
    expect(result.answer).toContain('yes, cancel order 42');
    expect(result.answer).toContain('status of complaint CMP-7K2QX9AB');
    expect(result.answer).toContain('list my complaints (jane@example.com)');
    expect(result.answer).toContain('AZURE_OPENAI_ENDPOINT');
    expect(result.answer).toContain('AZURE_OPENAI_RESPONSES_DEPLOYMENT_NAME');
    expect(result.answer).toContain('OPENAI_API_KEY');
    expect(result.answer).toContain('OPENAI_BASE_URL');
  });

  it('words a not-found error', async () => {
    const { ask } = setup();
    const result = await ask('show order 999');
    expect(result.answer).toBe('Sorry, I could not look up order #999: Order 999 not found.');
  });

  it('reports itself as the offline provider', () => {
    const model = createOfflineModel({ logger: silent });
    expect(model.provider).toBe('offline');
    expect(model.model).toBe('offline-intent-router');
    expect(model.status()).toMatchObject({ provider: 'offline', model: 'offline-intent-router' });
  });

  it('stops streaming when aborted', async () => {
    const model = createOfflineModel({ logger: silent, wordDelayMs: 5 });
    const controller = new AbortController();
    const received: string[] = [];
    const consume = async () => {
      for await (const event of model.stream({
        messages: [{ role: 'user', content: 'hello' }],
        tools: [],
        signal: controller.signal,
      })) {
        if (event.type === 'text') received.push(event.delta);
        if (received.length === 3) controller.abort(new Error('client left'));
      }
    };
    await expect(consume()).rejects.toThrow('client left');
    expect(received).toHaveLength(3);
  });
});
