import { describe, expect, it } from 'vitest';
import { recogniseIntent } from '../../src/agent/offline/intents.js';

describe('offline intent recognition', () => {
  it.each([
    ['show order 42', { kind: 'lookup', orderId: 42 }],
    ['order #42', { kind: 'lookup', orderId: 42 }],
    ['#42', { kind: 'lookup', orderId: 42 }],
    ['what is in order no. 8?', { kind: 'lookup', orderId: 8 }],
    ['Where is my order 42?', { kind: 'status', orderId: 42 }],
    ['When will order number 77 arrive', { kind: 'status', orderId: 77 }],
    ['has order 5 shipped yet', { kind: 'status', orderId: 5 }],
    ['list orders for Jane Doe', { kind: 'list', customerName: 'Jane Doe' }],
    ['orders from customer Bob Smith please', { kind: 'list', customerName: 'Bob Smith' }],
    ['my orders? My name is Ann Lee', { kind: 'list', customerName: 'Ann Lee' }],
    ['show the orders of jane@example.com', { kind: 'list', customerEmail: 'jane@example.com' }],
    ['list all orders', { kind: 'list' }],
    ['cancel order 42', { kind: 'cancel', orderId: 42 }],
    [
      'Please cancel order 42 (because it is too late).',
      { kind: 'cancel', orderId: 42, reason: 'it is too late' },
    ],
    ['cancel it', { kind: 'cancel' }],
    ['send me the confirmation for order 42', { kind: 'confirmation', orderId: 42 }],
    [
      'send the confirmation for order 42 to a.b@example.com',
      { kind: 'confirmation', orderId: 42, to: 'a.b@example.com' },
    ],
    ['can you email me to confirm order 3', { kind: 'confirmation', orderId: 3 }],
    [
      'I want to file a complaint about order 42: the parcel arrived damaged. My name is Jane Doe, jane@example.com',
      {
        kind: 'complaint',
        orderId: 42,
        description: 'the parcel arrived damaged.',
        customerName: 'Jane Doe',
        customerEmail: 'jane@example.com',
      },
    ],
    [
      "I'd like to make a complaint regarding order no. 12, the courier was rude",
      { kind: 'complaint', orderId: 12, description: 'the courier was rude' },
    ],
    ['I want to complain', { kind: 'complaint' }],
    ['hello', { kind: 'help' }],
    ['I ordered 42 things', { kind: 'help' }],
    ['What is the weather tomorrow?', { kind: 'help' }],
  ])('%s', (text, intent) => {
    expect(recogniseIntent(text)).toEqual(intent);
  });
});
