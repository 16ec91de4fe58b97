import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decide, INITIAL_STATE, readConversation } from '../../src/agent/offline/conversation.js';
import { parseRequest } from '../../src/agent/offline/grammar.js';
import { createOfflineModel } from '../../src/agent/offline/offline-model.js';
import { wordResult } from '../../src/agent/offline/results.js';
import {
  findComplaintId,
  findEmail,
  findOrderId,
  tokenize,
  trimTrailing,
} from '../../src/agent/offline/text.js';
import type { ModelMessage } from '../../src/agent/types.js';
import { createToolRegistry, defineTool } from '../../src/tools/registry.js';

/**
 * Customer text is untrusted: the offline assistant's parsing is run on 10,000-character inputs built
 * to make a backtracking regex explode (long runs of spaces between optional parts, letters without an
 * '@', repeated keywords). A catastrophic pattern would block the event loop for seconds to hours and
 * time these tests out; here each only has to give the right answer.
 */
const N = 10_000;
const spaces = ' '.repeat(N);
const everything = Number.POSITIVE_INFINITY;

function parsed(text: string) {
  const { intent, orderId, reason, description, name, customer, negated, affirmed } = parseRequest(
    text,
    everything,
  );
  return Object.fromEntries(
    Object.entries({
      intent,
      orderId,
      reason,
      description,
      name,
      customer,
      negated: negated || undefined,
      affirmed: affirmed || undefined,
    }).filter(([, v]) => v !== undefined),
  );
}

describe('offline assistant on adversarial 10,000-character input', () => {
  it.each([
    ['spaces after "order"', `order${spaces}x`, { intent: 'lookup' }],
    ['spaces before an order number', `show order${spaces}42`, { intent: 'lookup', orderId: 42 }],
    [
      'spaces between the parts of an order reference',
      `order number${spaces}#${spaces}7`,
      { intent: 'lookup', orderId: 7 },
    ],
    ['many "order" words', 'order no '.repeat(N / 9), { intent: 'lookup' }],
    ['hash signs', '#'.repeat(N), { intent: 'help' }],
    ['a long run of letters', 'a'.repeat(N), { intent: 'unknown' }],
    ['a long run of letters and digits', 'l0'.repeat(N / 2), { intent: 'unknown' }],
    ['"order" glued to a number many times', 'order1 '.repeat(N / 7), { intent: 'lookup', orderId: 1 }],
    ['misspelt order words', 'ordr odrer oder '.repeat(N / 16), { intent: 'lookup' }],
    ['spaces after "complaint"', `complaint about order${spaces}x`, { intent: 'complaint_lookup' }],
    ['spaces after a filing verb', `file${spaces}x complaint`, { intent: 'complaint_lookup' }],
    [
      'a long greeting before a complaint',
      `hello${' ,'.repeat(N / 2)}I want to file a complaint about order 42, the box was crushed`,
      { intent: 'complaint', orderId: 42, description: 'the box was crushed' },
    ],
    [
      'spaces inside a complaint opening',
      `I want to complain about order${spaces}x`,
      { intent: 'complaint', description: `about order${spaces}x` },
    ],
    [
      'many sentences in a complaint',
      `I want to file a complaint: ${'broken. '.repeat(N / 8)}`,
      { intent: 'complaint', description: 'broken. '.repeat(N / 8).trim() },
    ],
    ['repeated plural complaints', 'complaints '.repeat(N / 11), { intent: 'complaint_list' }],
    [
      'spaces in a reason',
      `cancel order 4 reason${spaces}is${spaces}x`,
      { intent: 'cancel', orderId: 4, reason: 'x' },
    ],
    [
      'trailing punctuation after a reason',
      `cancel order 4 because it broke${' .)'.repeat(N / 3)}`,
      { intent: 'cancel', orderId: 4, reason: 'it broke' },
    ],
    [
      'spaces after a leading "no"',
      `no${spaces}cancel order 4`,
      { intent: 'cancel', orderId: 4, negated: true },
    ],
    [
      'punctuation between "yes" and "cancel"',
      `yes${', '.repeat(N / 2)}cancel order 4`,
      { intent: 'cancel', orderId: 4, affirmed: true },
    ],
    ['a long series of "yes"', 'yes '.repeat(N / 4), { intent: 'unknown', affirmed: true }],
    ['many list words without an order', `${'list '.repeat(N / 5)}x`, { intent: 'unknown' }],
    ['many list words before "order"', `${'list '.repeat(N / 5)}order`, { intent: 'list_orders' }],
    [
      'trailing dots after a name',
      `orders for Jane Doe${'.'.repeat(N)}`,
      { intent: 'list_orders', customer: 'Jane Doe' },
    ],
    [
      'spaces before the colon of "name:"',
      `list orders, name${spaces}: Bob Stone`,
      { intent: 'list_orders', name: 'Bob Stone' },
    ],
    [
      'spaces around "customer named"',
      `customer${spaces}named${spaces}Eve orders`,
      { intent: 'list_orders', customer: 'Eve' },
    ],
    ['glued status words', `order 5 ${'arriv'.repeat(N / 5)}`, { intent: 'lookup', orderId: 5 }],
    ['repeated send/confirm words', 'send confirm '.repeat(N / 13), { intent: 'confirmation_mail' }],
    ['repeated greetings', 'hello '.repeat(N / 6), { intent: 'unknown' }],
    ['many "my name is"', 'my name is '.repeat(N / 11), { intent: 'unknown' }],
  ])('%s', (_label, text, expected) => {
    expect(text.length).toBeGreaterThanOrEqual(N - 16);
    expect(parsed(text)).toEqual(expected);
  });

  it('finds e-mail addresses, order numbers and complaint references, or none, in long text', () => {
    expect(findEmail('a'.repeat(N))).toBeUndefined();
    expect(findEmail(`${'a'.repeat(N)}@`)).toBeUndefined();
    expect(findEmail(`${'a'.repeat(N)}@example.com`)).toBe(`${'a'.repeat(N)}@example.com`);
    expect(findEmail(`x@${'a.'.repeat(N / 2)}`)).toBeUndefined();
    expect(findEmail('a@'.repeat(N / 2))).toBeUndefined();
    expect(findEmail(`${'.'.repeat(N)}@x`)).toBeUndefined();
    expect(findEmail(`${'@ '.repeat(N / 2)}write to jane@example.com.`)).toBe('jane@example.com');
    expect(findOrderId(tokenize(`order${spaces}id${spaces}:${spaces}9`))).toBe(9);
    expect(findOrderId(tokenize(`${'# '.repeat(N / 2)}#1O`))).toBe(10);
    expect(findComplaintId(tokenize(`CMP-${'A'.repeat(N)}`))).toBeUndefined();
    expect(findComplaintId(tokenize(`${'CMP-'.repeat(N / 4)}CMP-7K2QX9AB`))).toBe('CMP-7K2QX9AB');
    expect(trimTrailing(`x${' .)'.repeat(N / 3)}`, ' .)')).toBe('x');
  });

  it('picks a complaint category from a long description', () => {
    const registry = createToolRegistry();
    registry.register(
      defineTool({
        name: 'create_complaint',
        description: 'File a complaint',
        parameters: z.object({
          customer_name: z.string(),
          category: z.enum(['product', 'delivery', 'billing', 'other']),
          description: z.string(),
        }),
        execute: async () => ({}),
      }),
    );
    const request = parseRequest(
      `I want to file a complaint: ${'the refund never came. '.repeat(N / 23)} My name is Ann Lee`,
      everything,
    );
    const { action } = decide(INITIAL_STATE, request, registry.snapshot().specs());
    expect(action).toMatchObject({
      kind: 'call',
      name: 'create_complaint',
      args: { customer_name: 'Ann Lee', category: 'billing' },
    });
  });

  it('rebuilds a long conversation of long messages', () => {
    const registry = createToolRegistry();
    registry.register(
      defineTool({
        name: 'cancel_order',
        description: 'Cancel an order',
        parameters: z.object({ order_id: z.number() }),
        execute: async () => ({}),
      }),
    );
    const tools = registry.snapshot().specs();
    const messages: ModelMessage[] = [];
    for (let i = 0; i < 50; i++) {
      messages.push(
        { role: 'user', content: `${'order no '.repeat(220)}` },
        { role: 'assistant', content: 'x' },
      );
    }
    messages.push({ role: 'user', content: 'cancel order 5' }, { role: 'assistant', content: 'Sure?' });
    messages.push({ role: 'user', content: 'yes' });
    const { before, current } = readConversation(messages, tools);
    expect(before.task).toEqual({ kind: 'confirm_cancel', orderId: 5 });
    expect(decide(before, current!, tools).action).toEqual({
      kind: 'call',
      name: 'cancel_order',
      args: { order_id: 5 },
    });
  });

  it('words a long tool error', () => {
    expect(
      wordResult('get_order', { order_id: 5 }, `Error:${spaces}Order 5 not found${'!'.repeat(N)}`, false),
    ).toBe(`Sorry, I could not look up order #5: Order 5 not found${'!'.repeat(N)}`);
  });

  it('reads only the first 2,000 characters of a message', async () => {
    expect(parseRequest(`${' '.repeat(1_900)}show order 42`)).toMatchObject({
      intent: 'lookup',
      orderId: 42,
    });
    expect(parseRequest(`${' '.repeat(2_000)}show order 42`)).toMatchObject({ intent: 'help' });

    // The model itself reads a 10,000-word message and answers it as it would a short one.
    const model = createOfflineModel({ logger: pino({ level: 'silent' }), wordDelayMs: 0 });
    let answer = '';
    for await (const event of model.stream({
      messages: [{ role: 'user', content: 'word '.repeat(N) }],
      tools: [],
      signal: new AbortController().signal,
    })) {
      if (event.type === 'text') answer += event.delta;
    }
    expect(answer).toContain('Sorry, I did not understand that.');
  });
});
