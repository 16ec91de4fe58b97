import type { ModelToolSpec } from '../../tools/registry.js';
import type { Lang, Request } from './grammar.js';
import { findTool } from './schema.js';

/**
 * What the offline assistant says on its own. Every text is for the customer: short, with an example
 * of what to ask, and never a word about configuration (that is in the banner, readiness and logs).
 */

/** What the assistant can do with each tool, as examples a customer can copy. */
const EXAMPLES: ReadonlyArray<readonly [tool: string, example: string]> = [
  ['get_order', '"where is my order 42?"'],
  ['list_orders', '"list the orders of jane@example.com"'],
  ['cancel_order', '"cancel order 42"'],
  ['send_order_confirmation', '"send me the confirmation for order 42"'],
  ['create_complaint', '"I want to file a complaint"'],
  ['get_complaint', '"what is the status of complaint CMP-7K2QX9AB?"'],
  ['list_complaints', '"list my complaints (jane@example.com)"'],
  ['handoff_to_human', '"talk to a person"'],
];

const available = (tools: readonly ModelToolSpec[]) => EXAMPLES.filter(([tool]) => findTool(tools, tool));
const hasHandoff = (tools: readonly ModelToolSpec[]) => findTool(tools, 'handoff_to_human') !== undefined;

/** "orders, e-mail confirmations and complaints", as far as the tools for them are there. */
function topics(tools: readonly ModelToolSpec[]): string {
  const list = [
    findTool(tools, 'get_order') && 'orders',
    findTool(tools, 'send_order_confirmation') && 'e-mail confirmations',
    findTool(tools, 'create_complaint') && 'complaints',
  ].filter((t): t is string => typeof t === 'string');
  if (list.length === 0) return 'very little right now, sorry';
  return list.length === 1 ? list[0]! : `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`;
}

function examples(tools: readonly ModelToolSpec[], count: number): string {
  const picked = available(tools)
    .slice(0, count)
    .map(([, e]) => e);
  return picked.length === 0 ? '' : ` — for example ${picked.join(', ')}`;
}

export function helpText(tools: readonly ModelToolSpec[]): string {
  const lines = available(tools).map(([, e]) => `- ${e}`);
  return [
    `I am an automated assistant with a fixed set of requests. I can help with ${topics(tools)}. You can say, for example:`,
    ...lines,
  ].join('\n');
}

export const unknownText = (tools: readonly ModelToolSpec[]): string =>
  `Sorry, I did not understand that. I can help with ${topics(tools)}${examples(tools, 3)}.`;

export const greetingText = (tools: readonly ModelToolSpec[]): string =>
  `Hello! I can help with ${topics(tools)}. What can I do for you?`;

export function goodbyeText(request: Request): string {
  const bye = request.tokens.some((t) =>
    ['bye', 'goodbye', 'ciao', 'tschuss', 'adios', 'revoir'].includes(t.word),
  );
  if (request.thanked && bye) return "You're welcome. Goodbye!";
  if (bye) return 'Goodbye, and thank you for getting in touch!';
  return "You're welcome! Is there anything else I can do for you?";
}

export function policyText(tools: readonly ModelToolSpec[]): string {
  const person = hasHandoff(tools) ? ', or hand you to a person' : '';
  return `I can't answer policy questions (returns, refunds, warranty and the like) here. I can help with ${topics(tools)}${person}${examples(tools, 2)}.`;
}

export const noPersonText = (tools: readonly ModelToolSpec[]): string =>
  `Sorry, a person is not available in this set-up. I can still help with ${topics(tools)}${examples(tools, 2)}.`;

export const notedText = (tools: readonly ModelToolSpec[]): string =>
  `Thank you, I have noted that. What can I do for you? I can help with ${topics(tools)}${examples(tools, 2)}.`;

const LABELS: Record<string, string> = {
  get_order: 'Looking up orders',
  list_orders: 'Listing orders',
  cancel_order: 'Cancelling orders',
  send_order_confirmation: 'Sending order confirmations',
  send_order_status_update: 'Sending status updates',
  create_complaint: 'Filing complaints',
  get_complaint: 'Looking up complaints',
  list_complaints: 'Listing complaints',
};

export const unavailableText = (tool: string): string =>
  `${LABELS[tool] ?? 'That'} is not available right now. Please try again later.`;

export const confirmCancelText = (orderId: number, reason: string | undefined, suggested: boolean): string =>
  `${suggested ? `Do you want me to cancel order #${orderId}?` : `You are asking me to cancel order #${orderId}${reason ? ` (reason: ${reason})` : ''}.`} A cancellation cannot be undone. Reply "yes, cancel order ${orderId}" to confirm.`;

export const keptText = (orderId: number | undefined): string =>
  orderId === undefined
    ? 'All right, I have not cancelled anything. Is there anything else I can help you with?'
    : `All right, I have not cancelled order #${orderId}, and I will not cancel it unless you ask me to.`;

export const NOTHING_TO_CONFIRM =
  'There is nothing waiting for your confirmation. What can I do for you? For example, "show order 42".';
export const ALL_RIGHT = 'All right. If there is anything else I can do for you, just ask.';

/** A first answer to a message in German, French or Spanish says, in that language, how it answers. */
const COURTESY: Record<Exclude<Lang, 'en'>, { hello: string; thanks: string; note: string }> = {
  de: { hello: 'Hallo!', thanks: 'Gern geschehen!', note: 'Ich antworte auf Englisch.' },
  fr: { hello: 'Bonjour !', thanks: 'Avec plaisir !', note: 'Je réponds en anglais.' },
  es: { hello: '¡Hola!', thanks: '¡De nada!', note: 'Respondo en inglés.' },
};

export function courtesy(request: Request, firstInLanguage: boolean): string {
  if (request.lang === 'en') return '';
  const c = COURTESY[request.lang];
  const parts = [request.greeted ? c.hello : request.thanked ? c.thanks : '', firstInLanguage ? c.note : ''];
  const prefix = parts.filter(Boolean).join(' ');
  return prefix === '' ? '' : `${prefix} `;
}
