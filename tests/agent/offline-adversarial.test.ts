import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { pendingCancellation } from '../../src/agent/offline/cancellation.js';
import { recogniseIntent } from '../../src/agent/offline/intents.js';
import { createOfflineModel } from '../../src/agent/offline/offline-model.js';
import { routeUserMessage } from '../../src/agent/offline/router.js';
import { findComplaintId, findEmail, findOrderId, trimTrailing } from '../../src/agent/offline/text-scan.js';
import { wordToolResults } from '../../src/agent/offline/wording.js';
import type { ModelMessage } from '../../src/agent/types.js';
import { createToolRegistry, defineTool } from '../../src/tools/registry.js';

/**
 * Customer text is untrusted: each pattern of the offline router is run on 10,000-character inputs
 * built to make a backtracking regex explode (long runs of spaces between optional parts, letters
 * without an '@', repeated keywords). A catastrophic pattern would block the event loop for seconds to
 * hours and time these tests out; here each only has to give the right answer.
 */
const N = 10_000;
const spaces = ' '.repeat(N);
const everything = Number.POSITIVE_INFINITY;

describe('offline router on adversarial 10,000-character input', () => {
  it.each([
    ['spaces after "order"', `order${spaces}x`, { kind: 'help' }],
    ['spaces before an order number', `show order${spaces}42`, { kind: 'lookup', orderId: 42 }],
    [
      'spaces between the parts of an order reference',
      `order number${spaces}#${spaces}7`,
      { kind: 'lookup', orderId: 7 },
    ],
    ['many "order" words', 'order no '.repeat(N / 9), { kind: 'help' }],
    ['hash signs', '#'.repeat(N), { kind: 'help' }],
    ['a long run of letters', 'a'.repeat(N), { kind: 'help' }],
    ['"order" glued to a number many times', 'order1 '.repeat(N / 7), { kind: 'lookup', orderId: 1 }],
    ['spaces after "complaint"', `complaint about order${spaces}x`, { kind: 'complaint_lookup' }],
    ['spaces after a filing verb', `file${spaces}x complaint`, { kind: 'complaint_lookup' }],
    [
      'a long greeting before a complaint',
      `hello${' ,'.repeat(N / 2)}I want to file a complaint about order 42, the box was crushed`,
      { kind: 'complaint', orderId: 42, description: 'the box was crushed' },
    ],
    [
      'spaces inside a complaint opening',
      `I want to complain about order${spaces}x`,
      { kind: 'complaint', description: `about order${spaces}x` },
    ],
    [
      'many sentences in a complaint',
      `I want to file a complaint: ${'broken. '.repeat(N / 8)}`,
      { kind: 'complaint', description: 'broken. '.repeat(N / 8).trim() },
    ],
    ['repeated plural complaints', 'complaints '.repeat(N / 11), { kind: 'complaint_list' }],
    [
      'spaces in a reason',
      `cancel order 4 reason${spaces}is${spaces}x`,
      { kind: 'cancel', orderId: 4, reason: 'x' },
    ],
    [
      'trailing punctuation after a reason',
      `cancel order 4 because it broke${' .)'.repeat(N / 3)}`,
      { kind: 'cancel', orderId: 4, reason: 'it broke' },
    ],
    [
      'spaces after a leading "no"',
      `no${spaces}cancel order 4`,
      { kind: 'cancel', orderId: 4, negated: true },
    ],
    [
      'punctuation between "yes" and "cancel"',
      `yes${', '.repeat(N / 2)}cancel order 4`,
      { kind: 'cancel', orderId: 4, confirmation: true },
    ],
    ['a long series of "yes"', 'yes '.repeat(N / 4), { kind: 'help' }],
    ['many list words without an order', `${'list '.repeat(N / 5)}x`, { kind: 'help' }],
    ['many list words before "order"', `${'show '.repeat(N / 5)}order`, { kind: 'list' }],
    [
      'trailing dots after a name',
      `orders for Jane Doe${'.'.repeat(N)}`,
      { kind: 'list', customerName: 'Jane Doe' },
    ],
    [
      'spaces before the colon of "name:"',
      `list orders, name${spaces}: Bob Stone`,
      { kind: 'list', customerName: 'Bob Stone' },
    ],
    [
      'spaces around "customer named"',
      `customer${spaces}named${spaces}Eve orders`,
      { kind: 'list', customerName: 'Eve' },
    ],
    ['glued status words', `order 5 ${'arriv'.repeat(N / 5)}`, { kind: 'status', orderId: 5 }],
    ['repeated send/confirm words', 'send confirm'.repeat(N / 12), { kind: 'confirmation' }],
  ])('%s', (_label, text, intent) => {
    expect(text.length).toBeGreaterThanOrEqual(N - 12);
    expect(recogniseIntent(text, everything)).toEqual(intent);
  });

  it('finds e-mail addresses, order numbers and complaint references, or none, in long text', () => {
    expect(findEmail('a'.repeat(N))).toBeUndefined();
    expect(findEmail(`${'a'.repeat(N)}@`)).toBeUndefined();
    expect(findEmail(`${'a'.repeat(N)}@example.com`)).toBe(`${'a'.repeat(N)}@example.com`);
    expect(findEmail(`x@${'a.'.repeat(N / 2)}`)).toBeUndefined();
    expect(findEmail('a@'.repeat(N / 2))).toBeUndefined();
    expect(findEmail(`${'.'.repeat(N)}@x`)).toBeUndefined();
    expect(findEmail(`${'@ '.repeat(N / 2)}write to jane@example.com.`)).toBe('jane@example.com');
    expect(findOrderId(`order${spaces}id${spaces}:${spaces}9`)).toBe(9);
    expect(findComplaintId(`CMP-${'A'.repeat(N)}`)).toBeUndefined();
    expect(findComplaintId(`${'CMP-'.repeat(N / 4)}CMP-7K2QX9AB`)).toBe('CMP-7K2QX9AB');
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
    const intent = recogniseIntent(
      `I want to file a complaint: ${'the refund never came. '.repeat(N / 23)} My name is Ann Lee`,
      everything,
    );
    const decision = routeUserMessage(intent, registry.snapshot().specs(), []);
    expect(decision).toMatchObject({
      kind: 'call',
      name: 'create_complaint',
      arguments: { customer_name: 'Ann Lee', category: 'billing' },
    });
  });

  it('recognises its own confirmation request only at the end of a long answer', () => {
    const asked = (content: string): ModelMessage[] => [
      { role: 'user', content: 'cancel order 5' },
      { role: 'assistant', content },
    ];
    expect(pendingCancellation(asked(`${'x'.repeat(N)} Reply "yes, cancel order 5" to confirm.`))).toEqual({
      orderId: 5,
    });
    expect(pendingCancellation(asked(`Reply "yes, cancel order 5" to confirm.${spaces}x`))).toBeUndefined();
    expect(pendingCancellation(asked('Reply "yes, cancel order 5" to confirm.'.repeat(N / 40)))).toEqual({
      orderId: 5,
    });
  });

  it('words a long tool error', () => {
    const messages: ModelMessage[] = [
      { role: 'user', content: 'show order 5' },
      {
        role: 'assistant',
        content: null,
        toolCalls: [{ id: 'c1', name: 'get_order', arguments: '{"order_id":5}' }],
      },
      { role: 'tool', toolCallId: 'c1', content: `Error:${spaces}Order 5 not found${'!'.repeat(N)}` },
    ];
    expect(wordToolResults(messages)).toBe(
      `Sorry, I could not look up order #5: Order 5 not found${'!'.repeat(N)}`,
    );
  });

  it('reads only the first 2,000 characters of a message, also of earlier ones', async () => {
    expect(recogniseIntent(`${' '.repeat(1_900)}show order 42`)).toEqual({ kind: 'lookup', orderId: 42 });
    expect(recogniseIntent(`${' '.repeat(2_000)}show order 42`)).toEqual({ kind: 'help' });

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
    const earlier = (content: string): ModelMessage[] => [
      { role: 'user', content },
      { role: 'assistant', content: 'Order #42 …' },
    ];
    expect(
      routeUserMessage(recogniseIntent('cancel it'), tools, earlier(`${'a'.repeat(1_900)} order 42`)),
    ).toEqual({
      kind: 'say',
      text: 'Do you want me to cancel order #42? A cancellation cannot be undone. Reply "yes, cancel order 42" to confirm.',
    });
    expect(
      routeUserMessage(recogniseIntent('cancel it'), tools, earlier(`${'a'.repeat(N)} order 42`)),
    ).toEqual({
      kind: 'say',
      text: 'Which order should I cancel? Please give its number, for example "cancel order 42".',
    });

    // The model itself reads a 10,000-word message and answers it as it would a short one.
    const model = createOfflineModel({ logger: pino({ level: 'silent' }), wordDelayMs: 0 });
    let answer = '';
    for await (const event of model.stream({
      messages: [{ role: 'user', content: 'word '.repeat(N) }],
      tools,
      signal: new AbortController().signal,
    })) {
      if (event.type === 'text') answer += event.delta;
    }
    expect(answer).toContain('not an AI language model');
  });
});
