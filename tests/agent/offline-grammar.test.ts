import { describe, expect, it } from 'vitest';
import { parseRequest } from '../../src/agent/offline/grammar.js';

/** The slots a test looks at; the rest of a parsed request (tokens, flags) is left out. */
function slots(text: string) {
  const {
    intent,
    orderId,
    email,
    name,
    customer,
    complaintId,
    reason,
    description,
    status,
    negated,
    affirmed,
  } = parseRequest(text);
  return Object.fromEntries(
    Object.entries({
      intent,
      orderId,
      email,
      name,
      customer,
      complaintId,
      reason,
      description,
      status,
      negated: negated || undefined,
      affirmed: affirmed || undefined,
    }).filter(([, v]) => v !== undefined),
  );
}

describe('offline grammar', () => {
  it.each([
    ['show order 42', { intent: 'lookup', orderId: 42 }],
    ['order #42', { intent: 'lookup', orderId: 42 }],
    ['#42', { intent: 'lookup', orderId: 42 }],
    ['what is in order no. 8?', { intent: 'lookup', orderId: 8 }],
    ['order nr 9', { intent: 'lookup', orderId: 9 }],
    ['order id: 10', { intent: 'lookup', orderId: 10 }],
    ['order number #11', { intent: 'lookup', orderId: 11 }],
    ['# 12', { intent: 'lookup', orderId: 12 }],
    ['Where is my order 42?', { intent: 'status', orderId: 42 }],
    ['When will order number 77 arrive', { intent: 'status', orderId: 77 }],
    ['has order 5 shipped yet', { intent: 'status', orderId: 5 }],
    ['where is my ordr #1O', { intent: 'status', orderId: 10 }],
    ['status of odrer l2', { intent: 'status', orderId: 12 }],
    ['where is my order?', { intent: 'status' }],
    ['Hallo, wo ist meine Bestellung 1?', { intent: 'status', orderId: 1 }],
    ['Où est ma commande 3 ?', { intent: 'status', orderId: 3 }],
    ['¿Dónde está mi pedido 2?', { intent: 'status', orderId: 2 }],
    ['list orders for Jane Doe', { intent: 'list_orders', customer: 'Jane Doe' }],
    ['orders from customer Bob Smith please', { intent: 'list_orders', customer: 'Bob Smith' }],
    ['my orders? My name is Ann Lee', { intent: 'list_orders', name: 'Ann Lee' }],
    ['show the orders of jane@example.com', { intent: 'list_orders', email: 'jane@example.com' }],
    ['list all orders', { intent: 'list_orders' }],
    ['cancel order 42', { intent: 'cancel', orderId: 42 }],
    [
      'Please cancel order 42 (because it is too late).',
      { intent: 'cancel', orderId: 42, reason: 'it is too late' },
    ],
    ['cancel it', { intent: 'cancel' }],
    ['Bestellung 5 stornieren', { intent: 'cancel', orderId: 5 }],
    ['send me the confirmation for order 42', { intent: 'confirmation_mail', orderId: 42 }],
    [
      'send the confirmation for order 42 to a.b@example.com',
      { intent: 'confirmation_mail', orderId: 42, email: 'a.b@example.com' },
    ],
    ['can you email me to confirm order 3', { intent: 'confirmation_mail', orderId: 3 }],
    ['email me a status update for order 3', { intent: 'status_mail', orderId: 3 }],
    // "e-mail" as a noun gives an address; it is no request to send anything.
    [
      'Where is order 1? My e-mail is ada@example.com',
      { intent: 'status', orderId: 1, email: 'ada@example.com' },
    ],
    [
      'what is the status of order 2, the e-mail address is ada@example.com',
      { intent: 'status', orderId: 2, email: 'ada@example.com' },
    ],
    [
      'I want to file a complaint about order 42: the parcel arrived damaged. My name is Jane Doe, jane@example.com',
      {
        intent: 'complaint',
        orderId: 42,
        description: 'the parcel arrived damaged.',
        name: 'Jane Doe',
        email: 'jane@example.com',
      },
    ],
    [
      "I'd like to make a complaint regarding order no. 12, the courier was rude",
      { intent: 'complaint', orderId: 12, description: 'the courier was rude' },
    ],
    ['I want to complain', { intent: 'complaint' }],
    ["I'd like to lodge a complaint", { intent: 'complaint' }],
    ['show my complaint CMP-7K2QX9AB', { intent: 'complaint_lookup', complaintId: 'CMP-7K2QX9AB' }],
    [
      'What is the status of complaint cmp-abc123?',
      { intent: 'complaint_lookup', complaintId: 'CMP-ABC123' },
    ],
    ['any news on my complaint?', { intent: 'complaint_lookup' }],
    ['list my complaints (ada@example.com)', { intent: 'complaint_list', email: 'ada@example.com' }],
    ['show my complaints', { intent: 'complaint_list' }],
    ['list all open complaints', { intent: 'complaint_list', status: 'open' }],
    ['list in progress complaints', { intent: 'complaint_list', status: 'in_progress' }],
    ['Please do NOT cancel order 1', { intent: 'cancel', orderId: 1, negated: true }],
    ["don't cancel it", { intent: 'cancel', negated: true }],
    ['no, don’t cancel', { intent: 'cancel', negated: true }],
    ['I never asked to cancel order 3', { intent: 'cancel', orderId: 3, negated: true }],
    [
      'cancel order 43 because I do not need it',
      { intent: 'cancel', orderId: 43, reason: 'I do not need it' },
    ],
    ['cancel order no. 8', { intent: 'cancel', orderId: 8 }],
    ['yes, cancel order 42', { intent: 'cancel', orderId: 42, affirmed: true }],
    ['ok, cancel it', { intent: 'cancel', affirmed: true }],
    ["yes, don't cancel order 42", { intent: 'cancel', orderId: 42, negated: true, affirmed: true }],
    ['Yes please!', { intent: 'yes', affirmed: true }],
    ['yes, go ahead', { intent: 'yes', affirmed: true }],
    ['ja', { intent: 'yes', affirmed: true }],
    ['No.', { intent: 'no', negated: true }],
    ['no thanks', { intent: 'no', negated: true }],
    ['Can you change the address of order 42?', { intent: 'change', orderId: 42 }],
    ['update the delivery address of my order', { intent: 'change' }],
    ["what's the status update on order 42?", { intent: 'status', orderId: 42 }],
    ['talk to a person', { intent: 'human' }],
    ['Can I speak to a human, please?', { intent: 'human' }],
    ["What's your return policy?", { intent: 'policy' }],
    ['Hi there!', { intent: 'greeting' }],
    ['Bonjour', { intent: 'greeting' }],
    ['thanks, bye', { intent: 'goodbye' }],
    ['Danke!', { intent: 'goodbye' }],
    ['?', { intent: 'help' }],
    ['What can you do?', { intent: 'help' }],
    ['Hello! What can you help me with?', { intent: 'help' }],
    ['jane@example.com', { intent: 'details', email: 'jane@example.com' }],
    ['My name is Jane Doe', { intent: 'details', name: 'Jane Doe' }],
    ['I ordered 42 things', { intent: 'details' }],
    ['What is the weather tomorrow?', { intent: 'unknown' }],
  ])('%s', (text, expected) => {
    expect(slots(text)).toEqual(expected);
  });

  it('knows the language of a German, French or Spanish message', () => {
    expect(parseRequest('Hallo, wo ist meine Bestellung 1?').lang).toBe('de');
    expect(parseRequest('Bonjour, où est ma commande 1 ?').lang).toBe('fr');
    expect(parseRequest('Hola, ¿dónde está mi pedido 1?').lang).toBe('es');
    expect(parseRequest('Where is my order 1?').lang).toBe('en');
  });
});
