import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, ToolError } from '../../src/tools/registry.js';
import { type Calls, setup } from './offline-harness.js';

/** Anything that looks like the name of an environment variable (AZURE_OPENAI_ENDPOINT, API_KEYS…). */
const ENV_LIKE = /[A-Z]{3,}_[A-Z_]{3,}/;

/** A hand-off tool as the hand-off feature will add it. */
const handoff = (calls: Calls[]) => [
  defineTool({
    name: 'handoff_to_human',
    description: 'Hand the conversation to a person',
    parameters: z.object({ reason: z.string().min(1) }),
    async execute(args) {
      calls.push({ name: 'handoff_to_human', args });
      return { status: 'handoff', session_status: 'handoff' };
    },
  }),
];

/**
 * get_order as order-access rules make it for a customer who is not verified: the order is shown only
 * with the e-mail address on it, and the tool says so in a way the model (and the offline assistant)
 * can act on.
 */
const guardedGetOrder = (calls: Calls[]) => [
  defineTool({
    name: 'get_order',
    description: 'Get an order by id',
    parameters: z.object({ order_id: z.number().int(), customer_email: z.string().optional() }),
    async execute(args) {
      calls.push({ name: 'get_order', args });
      if (args.customer_email?.toLowerCase() !== 'jane@example.com') {
        throw new ToolError(
          'Ask the customer for the e-mail address on this order and pass it as customer_email.',
          {
            field: 'customer_email',
          },
        );
      }
      return {
        order_id: args.order_id,
        status: 'SHIPPED',
        customer_name: 'Jane Doe',
        updated_at: '2025-03-02',
      };
    },
  }),
];

describe('offline assistant: what a customer says first', () => {
  it.each([
    [
      'Hi there!',
      /^Hello! I can help with orders, e-mail confirmations and complaints\. What can I do for you\?$/,
    ],
    ['thanks, bye', /^You're welcome\. Goodbye!$/],
    ['?', /^I am an automated assistant .*\n- "where is my order 42\?"/s],
    [
      "What's your return policy?",
      /^I can't answer policy questions \(returns, refunds, warranty and the like\) here\. I can help with orders/,
    ],
    [
      'Tell me a joke',
      /^Sorry, I did not understand that\. I can help with orders, e-mail confirmations and complaints — for example/,
    ],
  ])('%s', async (message, expected) => {
    const { ask, calls } = setup();
    const result = await ask(message);
    expect(calls).toEqual([]);
    expect(result.answer).toMatch(expected);
    expect(result.answer.length).toBeLessThan(400);
  });

  it('answers "Hallo, wo ist meine Bestellung 1?" with the status, and says once that it answers in English', async () => {
    const { chat, calls } = setup();
    const first = await chat('Hallo, wo ist meine Bestellung 1?');
    expect(calls).toEqual([{ name: 'get_order', args: { order_id: 1 } }]);
    expect(first.answer).toBe(
      'Hallo! Ich antworte auf Englisch. Your order #1 is SHIPPED — it is on its way to you. Last update: 2025-03-02.',
    );
    const second = await chat('Danke!');
    expect(second.answer).toBe('Gern geschehen! Is there anything else I can do for you?');
  });

  it('greets back in French and Spanish', async () => {
    expect((await setup().ask('Merci, au revoir')).answer).toBe(
      'Avec plaisir ! Je réponds en anglais. Goodbye!',
    );
    expect((await setup().ask('Bonjour')).answer).toBe(
      'Bonjour ! Je réponds en anglais. I can help with orders, e-mail confirmations and complaints. What can I do for you?',
    );
    expect((await setup().ask('Hola')).answer).toMatch(/^¡Hola! Respondo en inglés\. I can help with orders/);
  });

  it('reads "where is my ordr #1O" as order 10', async () => {
    const { ask, calls } = setup();
    const result = await ask('where is my ordr #1O');
    expect(calls).toEqual([{ name: 'get_order', args: { order_id: 10 } }]);
    expect(result.answer).toContain('Your order #10 is PROCESSING');
  });

  it('asks which order is meant, and takes a bare number as the answer', async () => {
    const { chat, calls } = setup();
    expect((await chat('where is my order?')).answer).toContain('Which order do you mean?');
    const result = await chat('43');
    expect(calls).toEqual([{ name: 'get_order', args: { order_id: 43 } }]);
    expect(result.answer).toContain('Order #43 for Jane Doe');
    // That number is now the order talked about.
    expect((await chat('cancel it')).answer).toContain('Do you want me to cancel order #43?');
  });
});

describe('offline assistant: details collected over several turns', () => {
  it('files a complaint from a name, then the text, then the e-mail address', async () => {
    const { chat, calls } = setup();
    const start = await chat('I want to complain');
    expect(start.answer).toBe(
      'I can file a complaint for you. Please tell me what went wrong, your name and your e-mail address (so that we can get back to you).',
    );
    const named = await chat('My name is Jane Doe');
    expect(named.answer).toBe(
      'Please tell me what went wrong and your e-mail address (so that we can get back to you).',
    );
    const told = await chat('The parcel for order 42 arrived damaged.');
    expect(told.answer).toBe('Please tell me your e-mail address (so that we can get back to you).');
    expect(calls).toEqual([]);
    const filed = await chat('it is jane@example.com');
    expect(calls).toEqual([
      {
        name: 'create_complaint',
        args: {
          customer_name: 'Jane Doe',
          customer_email: 'jane@example.com',
          order_id: 42,
          category: 'product',
          description: 'The parcel for order 42 arrived damaged.',
        },
      },
    ]);
    expect(filed.answer).toBe(
      'Your complaint about order #42 has been filed under reference CMP-7K2QX9AB. Our team will review it.',
    );
  });

  it('takes a bare name, and files without an e-mail address when the customer declines to give one', async () => {
    const { chat, calls } = setup();
    await chat('I would like to make a complaint: the courier was rude to me');
    await chat('Jane Doe');
    const filed = await chat("no, I'd rather not");
    expect(calls).toEqual([
      {
        name: 'create_complaint',
        args: { customer_name: 'Jane Doe', category: 'delivery', description: 'the courier was rude to me' },
      },
    ]);
    expect(filed.answer).toContain('Your complaint has been filed');
  });

  it('uses an e-mail address given earlier for a later complaint and for "my complaints"', async () => {
    const { chat, calls } = setup();
    await chat('Hello, I am Jane Doe, jane@example.com');
    const asked = await chat('I want to file a complaint');
    expect(asked.answer).toBe('I can file a complaint for you. Please tell me what went wrong.');
    await chat('I was charged twice for my last order');
    expect(calls[0]).toEqual({
      name: 'create_complaint',
      args: {
        customer_name: 'Jane Doe',
        customer_email: 'jane@example.com',
        category: 'billing',
        description: 'I was charged twice for my last order',
      },
    });
    await chat('show my complaints');
    expect(calls[1]).toEqual({
      name: 'list_complaints',
      args: { customer_email: 'jane@example.com', limit: 20, offset: 0 },
    });
  });

  it('stops collecting a complaint when the customer asks for something else', async () => {
    const { chat, calls } = setup();
    await chat('I want to complain');
    expect((await chat('where is order 42?')).answer).toContain('Your order #42 is SHIPPED');
    await chat('I want to complain');
    const other = await chat('please cancel order 43');
    expect(other.answer).toContain('You are asking me to cancel order #43.');
    expect(calls.map((c) => c.name)).toEqual(['get_order']);
  });

  it('asks for the e-mail address on the order when the tool needs it, then shows the order', async () => {
    const { chat, calls } = setup({ extra: guardedGetOrder });
    const asked = await chat('Where is order 42?');
    expect(asked.answer).toBe(
      'To look up order #42, I need the e-mail address on the order, so that I know it is yours. What is it?',
    );
    expect(asked.answer).not.toMatch(/customer_email|pass it/);
    const shown = await chat('Sure, it is jane@example.com');
    expect(calls).toEqual([
      { name: 'get_order', args: { order_id: 42 } },
      { name: 'get_order', args: { order_id: 42, customer_email: 'jane@example.com' } },
    ]);
    expect(shown.answer).toContain('Order #42 for Jane Doe');
    // The address is remembered for the rest of the conversation.
    await chat('and order 43?');
    expect(calls[2]).toEqual({
      name: 'get_order',
      args: { order_id: 43, customer_email: 'jane@example.com' },
    });
  });

  it('sends the confirmation of the order talked about', async () => {
    const { chat, calls } = setup();
    await chat('show order 43');
    const sent = await chat('please send me the confirmation');
    expect(calls.at(-1)).toEqual({ name: 'send_order_confirmation', args: { order_id: 43 } });
    expect(sent.answer).toBe('I have sent the confirmation for order #43 to jane@example.com.');
  });

  it('asks again when the e-mail address does not match, whatever the tool calls its argument', async () => {
    const { chat, calls } = setup({
      extra: (c) => [
        defineTool({
          name: 'get_order',
          description: 'Get an order by id',
          parameters: z.object({ order_id: z.number().int(), verify_email: z.string().optional() }),
          async execute(args) {
            c.push({ name: 'get_order', args });
            if (args.verify_email === 'jane@example.com') return { order_id: 42, status: 'SHIPPED' };
            throw new ToolError(
              args.verify_email
                ? 'That e-mail address does not match the order.'
                : 'An e-mail address is required.',
            );
          },
        }),
      ],
    });
    await chat('show order 42');
    const again = await chat('john@example.com');
    expect(again.answer).toContain('I need the e-mail address on the order');
    const shown = await chat('jane@example.com');
    expect(calls.map((c) => c.args)).toEqual([
      { order_id: 42 },
      { order_id: 42, verify_email: 'john@example.com' },
      { order_id: 42, verify_email: 'jane@example.com' },
    ]);
    expect(shown.answer).toContain('Order #42');
  });

  it('keeps the status of "my open complaints" while it asks for the e-mail address', async () => {
    const { chat, calls } = setup();
    expect((await chat('show my open complaints')).answer).toContain('Which e-mail address');
    const listed = await chat('jane@example.com');
    expect(calls).toEqual([
      {
        name: 'list_complaints',
        args: { customer_email: 'jane@example.com', status: 'open', limit: 20, offset: 0 },
      },
    ]);
    expect(listed.answer).toBe('I found no open complaints for jane@example.com.');
  });

  it("words a result by the roles of the tool's own argument names", async () => {
    const { ask, calls } = setup({
      extra: (c) => [
        defineTool({
          name: 'list_orders',
          description: 'List orders',
          parameters: z.object({ buyer_name: z.string().optional(), buyer_email: z.string().optional() }),
          async execute(args) {
            c.push({ name: 'list_orders', args });
            return { orders: [{ order_id: 42, status: 'SHIPPED', product_sku: 'WIDGET-1', quantity: 2 }] };
          },
        }),
      ],
    });
    const listed = await ask('list the orders of jane@example.com');
    expect(calls).toEqual([{ name: 'list_orders', args: { buyer_email: 'jane@example.com' } }]);
    expect(listed.answer).toBe('I found 1 order for jane@example.com:\n- #42: 2 × WIDGET-1, SHIPPED');
  });

  it('gives the order number as text to a tool whose schema takes it as a string', async () => {
    const { ask, calls } = setup({
      extra: (c) => [
        defineTool({
          name: 'get_order',
          description: 'Get an order by id',
          parameters: z.object({ order_id: z.string() }),
          async execute(args) {
            c.push({ name: 'get_order', args });
            return { order_id: args.order_id, status: 'SHIPPED' };
          },
        }),
      ],
    });
    const shown = await ask('where is order 42?');
    expect(calls).toEqual([{ name: 'get_order', args: { order_id: '42' } }]);
    expect(shown.answer).toBe('Your order #42 is SHIPPED — it is on its way to you.');
  });

  it('asks where to send a confirmation when the order has no e-mail address', async () => {
    const { chat, calls } = setup();
    const asked = await chat('send me the confirmation for order 7');
    expect(asked.answer).toBe(
      'To send the confirmation for order #7, I need the e-mail address to send it to. Which one should I use?',
    );
    const sent = await chat('john@example.com');
    expect(calls.at(-1)).toEqual({
      name: 'send_order_confirmation',
      args: { order_id: 7, to: 'john@example.com' },
    });
    expect(sent.answer).toBe('I have sent the confirmation for order #7 to john@example.com.');
  });
});

describe('offline assistant: cancellation', () => {
  it('cancels after "yes" to its restated question, however the question was worded', async () => {
    const { chat, calls, history } = setup();
    await chat('cancel order 43 because I ordered it twice');
    // The state is read from what the customer asked and that no tool ran, not from the answer's words.
    history[history.length - 1]!.content = 'Are you sure? (reworded by a later version)';
    const done = await chat('yes please');
    expect(calls).toEqual([{ name: 'cancel_order', args: { order_id: 43, reason: 'I ordered it twice' } }]);
    expect(done.answer).toBe('Order #43 has been cancelled. Reason noted: I ordered it twice.');
  });

  it('keeps the order on "no, don\'t cancel"', async () => {
    const { chat, calls } = setup();
    await chat('cancel order 43');
    const kept = await chat("no, don't cancel");
    expect(kept.answer).toBe(
      'All right, I have not cancelled order #43, and I will not cancel it unless you ask me to.',
    );
    expect((await chat('yes')).answer).toContain('There is nothing waiting for your confirmation.');
    expect(calls).toEqual([]);
  });

  it('asks which order to cancel, then asks to confirm before cancelling', async () => {
    const { chat, calls } = setup();
    expect((await chat('I want to cancel my order')).answer).toContain('Which order should I cancel?');
    expect((await chat('43')).answer).toContain('Reply "yes, cancel order 43" to confirm.');
    await chat('yes');
    expect(calls).toEqual([{ name: 'cancel_order', args: { order_id: 43 } }]);
  });
});

describe('offline assistant: talking to a person', () => {
  it('hands off through handoff_to_human when the tool is there', async () => {
    const { ask, calls } = setup({ extra: handoff });
    const result = await ask('I want to talk to a person');
    expect(calls).toEqual([
      { name: 'handoff_to_human', args: { reason: 'The customer asked to talk to a person.' } },
    ]);
    expect(result.answer).toBe(
      'I have asked a person from our team to take over. They will reply here as soon as they can.',
    );
    expect((await ask('What is your refund policy?')).answer).toContain('or hand you to a person');
  });

  it('says a person is not available without the tool', async () => {
    const { ask, calls } = setup();
    const result = await ask('Can I speak to a human?');
    expect(calls).toEqual([]);
    expect(result.answer).toMatch(
      /^Sorry, a person is not available in this set-up\. I can still help with orders/,
    );
  });
});

describe('offline assistant: no answer names an environment variable', () => {
  const corpus = [
    'Hi there!',
    'thanks, bye',
    '?',
    '',
    'help',
    "What's your return policy?",
    'Hallo, wo ist meine Bestellung 1?',
    'where is my ordr #1O',
    'Tell me a joke about databases',
    'What is the meaning of life?',
    'How do I configure the model?',
    'Can you change the address of order 42?',
    'Are you an AI?',
    'show order 42',
    'show order 999',
    'list all orders',
    'orders for Nobody Known',
    'cancel order 7',
    'yes',
    'no',
    'send me the confirmation for order 7',
    'I want to complain',
    'My name is Jane Doe',
    'jane@example.com',
    'list my complaints',
    'show complaint CMP-ZZZZ2222',
    'talk to a person',
    'Bonjour, où est ma commande 10 ?',
    'Hola, ¿dónde está mi pedido 43?',
    '🙂',
    '12345678901234567890',
  ];

  it('across single messages, one conversation, and with every tool gone', async () => {
    const single = setup();
    const conversation = setup({ extra: handoff });
    const bare = setup({
      without: [
        'get_order',
        'list_orders',
        'cancel_order',
        'send_order_confirmation',
        'create_complaint',
        'get_complaint',
        'list_complaints',
      ],
    });
    for (const message of corpus) {
      for (const result of [
        await single.ask(message),
        await conversation.chat(message),
        await bare.ask(message),
      ]) {
        expect(result.answer, message).not.toMatch(ENV_LIKE);
        expect(result.answer, message).not.toMatch(/LLM|configur|environment/i);
      }
    }
  });
});
