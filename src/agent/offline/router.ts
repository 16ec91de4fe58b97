import type { ModelToolSpec } from '../../tools/registry.js';
import type { ModelMessage } from '../types.js';
import { cancellationStep, recentOrderId } from './cancellation.js';
import { CAPABILITIES, type CapabilityTool, helpText, unavailableText } from './capabilities.js';
import type { Intent } from './intents.js';
import { buildArguments, enumOf, findTool } from './tool-args.js';

export type Decision =
  | { kind: 'call'; name: string; arguments: Record<string, unknown> }
  | { kind: 'say'; text: string };

export const ORDER_ID_KEYS = ['order_id', 'orderId', 'id'] as const;
const say = (text: string): Decision => ({ kind: 'say', text });

type Values = ReadonlyArray<readonly [readonly string[], string | number | undefined]>;

/** Words that ask for a parameter the router could not fill from the message. */
const ASK_FOR: Record<string, string> = {
  customer_name: 'your name (for example "My name is Jane Doe")',
  customer_email: 'your e-mail address',
  description: 'what went wrong',
  order_id: 'the order number',
  category: 'what kind of problem it is',
};

function callTool(tool: CapabilityTool, tools: readonly ModelToolSpec[], values: Values): Decision {
  const spec = findTool(tools, tool);
  if (!spec) return say(unavailableText(tool));
  const { args, missing } = buildArguments(spec, values);
  if (missing.length > 0) {
    const wanted = missing.map((key) => ASK_FOR[key] ?? key.replaceAll('_', ' '));
    const example = CAPABILITIES.find((c) => c.tool === tool)?.example;
    return say(
      `I need a few more details for that: ${wanted.join(' and ')}. Please send everything in one message${example ? ` — for example, to ${example}` : ''}.`,
    );
  }
  return { kind: 'call', name: spec.name, arguments: args };
}

const CATEGORY_HINTS: ReadonlyArray<readonly [RegExp, readonly string[]]> = [
  [/damag|broken|defect|faulty|quality|wrong item|not work|missing part/i, ['product', 'quality', 'damage']],
  [/deliver|late|delay|arriv|ship|parcel|package|lost|courier|track/i, ['delivery', 'shipping']],
  [/charg|bill|refund|invoice|price|payment|money|paid/i, ['billing', 'payment', 'refund']],
  [/rude|service|staff|support|unhelpful|wait/i, ['service', 'support']],
];

/** A category the tool accepts that fits the description best ("other" when nothing fits). */
function pickCategory(description: string | undefined, allowed: string[] | undefined): string | undefined {
  const wanted = CATEGORY_HINTS.filter(([pattern]) => description && pattern.test(description)).flatMap(
    ([, words]) => words,
  );
  if (!allowed || allowed.length === 0) return wanted[0] ?? 'other';
  for (const word of wanted) {
    const match = allowed.find((value) => value.toLowerCase().includes(word));
    if (match) return match;
  }
  return allowed.find((value) => /other|general/i.test(value)) ?? allowed[0];
}

function askForConfirmationOrder(conversation: readonly ModelMessage[]): string {
  const recent = recentOrderId(conversation);
  return recent === undefined
    ? 'For which order should I send the confirmation? Please give its number, for example "send me the confirmation for order 42".'
    : `Should I send the confirmation for order #${recent}? If so, please say "send the confirmation for order ${recent}".`;
}

function cancel(
  intent: Extract<Intent, { kind: 'cancel' | 'reply' }>,
  tools: readonly ModelToolSpec[],
  conversation: readonly ModelMessage[],
): Decision {
  // Asking to confirm a cancellation that cannot happen would only waste the customer's time.
  if (intent.kind === 'cancel' && !intent.negated && !findTool(tools, 'cancel_order')) {
    return say(unavailableText('cancel_order'));
  }
  const step = cancellationStep(intent, conversation);
  switch (step.kind) {
    case 'say':
      return say(step.text);
    case 'ask-for-order':
      return say('Which order should I cancel? Please give its number, for example "cancel order 42".');
    case 'cancel':
      return callTool('cancel_order', tools, [
        [ORDER_ID_KEYS, step.orderId],
        [['reason', 'cancellation_reason', 'remarks'], step.reason],
      ]);
  }
}

function listComplaints(
  intent: Extract<Intent, { kind: 'complaint_list' }>,
  tools: readonly ModelToolSpec[],
): Decision {
  // Without an address, "my complaints" would list every customer's.
  if (intent.own && intent.customerEmail === undefined) {
    return say(
      'Which e-mail address did you give with your complaints? Please include it, for example "list my complaints (jane@example.com)".',
    );
  }
  return callTool('list_complaints', tools, [
    [['customer_email', 'email'], intent.customerEmail],
    [['status'], intent.status],
  ]);
}

/**
 * Turns one customer message into a tool call or a direct answer. `conversation` holds the messages
 * before it: what was asked just before decides what a "yes" confirms.
 */
export function routeUserMessage(
  intent: Intent,
  tools: readonly ModelToolSpec[],
  conversation: readonly ModelMessage[],
): Decision {
  switch (intent.kind) {
    case 'help':
      return say(helpText(tools));
    case 'lookup':
    case 'status':
      return callTool('get_order', tools, [[ORDER_ID_KEYS, intent.orderId]]);
    case 'list':
      if (intent.customerName === undefined && intent.customerEmail === undefined) {
        return say(
          'Whose orders should I list? Please give the customer\'s name or e-mail address, for example "list orders for Jane Doe" or "orders of jane@example.com".',
        );
      }
      return callTool('list_orders', tools, [
        [['customer_email', 'email'], intent.customerEmail],
        [['customer_name', 'name'], intent.customerName],
      ]);
    case 'cancel':
    case 'reply':
      return cancel(intent, tools, conversation);
    case 'confirmation':
      if (intent.orderId === undefined) return say(askForConfirmationOrder(conversation));
      return callTool('send_order_confirmation', tools, [
        [ORDER_ID_KEYS, intent.orderId],
        [['to', 'recipient', 'recipients', 'email'], intent.to],
      ]);
    case 'complaint': {
      const spec = findTool(tools, 'create_complaint');
      const category = spec ? pickCategory(intent.description, enumOf(spec, ['category'])) : undefined;
      return callTool('create_complaint', tools, [
        [['customer_name', 'name'], intent.customerName],
        [['customer_email', 'email'], intent.customerEmail],
        [['order_id', 'orderId'], intent.orderId],
        [['category', 'type'], category],
        [['description', 'details', 'complaint', 'text', 'message'], intent.description],
      ]);
    }
    case 'complaint_lookup':
      if (intent.complaintId === undefined) {
        return say(
          'Which complaint do you mean? Please give its reference, for example "show my complaint CMP-7K2QX9AB". To file a new one, say for example "I want to file a complaint about order 42: …".',
        );
      }
      return callTool('get_complaint', tools, [[['complaint_id', 'id', 'complaintId'], intent.complaintId]]);
    case 'complaint_list':
      return listComplaints(intent, tools);
  }
}
