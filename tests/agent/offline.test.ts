import { describe, expect, it } from 'vitest';
import { createOfflineModel } from '../../src/agent/offline/offline-model.js';
import type { StoredMessage } from '../../src/sessions/types.js';
import { setup, silent } from './offline-harness.js';

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

    const help = await ask('What can you do?');
    expect(help.answer).toContain('"where is my order 42?"');
    expect(help.answer).not.toContain('file a complaint');
  });

  it('answers a request for help with what it can do, for the customer, without any configuration advice', async () => {
    const { calls, ask } = setup();
    const result = await ask('What can you help me with?');
    expect(calls).toEqual([]);
    expect(result.toolCalls).toEqual([]);
    expect(result.answer).toContain('automated assistant');
    for (const example of [
      'where is my order 42?',
      'cancel order 42',
      'send me the confirmation for order 42',
      'I want to file a complaint',
      'status of complaint CMP-7K2QX9AB',
      'list my complaints (jane@example.com)',
    ]) {
      expect(result.answer).toContain(example);
    }
    // No hand-off tool here, so it does not offer one.
    expect(result.answer).not.toContain('person');
    expect(result.answer).not.toMatch(/[A-Z]{3,}_[A-Z_]{3,}|configur|LLM/);
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
