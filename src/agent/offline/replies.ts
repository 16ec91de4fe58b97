import type { Lang, Request } from './grammar.js';
import { findTool, TOOL_WORDS, type Tools } from './tools.js';

/**
 * What the offline assistant says on its own. Every text is for the customer: short, with examples
 * of what to ask, and never a word about configuration (that is in the banner, readiness and logs).
 */
const examples = (tools: Tools): string[] =>
  Object.entries(TOOL_WORDS).flatMap(([tool, [, , example]]) =>
    example && findTool(tools, tool) ? [example] : [],
  );
const listed = (items: readonly string[]): string =>
  items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
const TOPICS = {
  get_order: 'orders',
  send_order_confirmation: 'e-mail confirmations',
  create_complaint: 'complaints',
};

/** "orders, e-mail confirmations and complaints", as far as the tools for them are there. */
const topics = (tools: Tools): string =>
  listed(Object.entries(TOPICS).flatMap(([t, topic]) => (findTool(tools, t) ? [topic] : []))) ||
  'very little right now, sorry';

/** "I can help with orders … — for example "…", "…"." with `count` examples, maybe offering a person. */
function canHelp(tools: Tools, count: number, { person = false, lead = 'I can help with' } = {}): string {
  const offer = person && findTool(tools, 'handoff_to_human') ? ', or hand you to a person' : '';
  const some = examples(tools).slice(0, count);
  return `${lead} ${topics(tools)}${offer}${some.length > 0 ? ` — for example ${some.join(', ')}` : ''}.`;
}

/** The answers to requests that call no tool, by intent. */
export const TEXTS = {
  help: (tools) =>
    [
      `I am an automated assistant with a fixed set of requests. I can help with ${topics(tools)}. You can say, for example:`,
      ...examples(tools).map((e) => `- ${e}`),
    ].join('\n'),
  unknown: (tools) => `Sorry, I did not understand that. ${canHelp(tools, 3)}`,
  greeting: (tools) => `Hello! I can help with ${topics(tools)}. What can I do for you?`,
  details: (tools) => `Thank you, I have noted that. What can I do for you? ${canHelp(tools, 2)}`,
  change: (tools) =>
    `I can't change orders here (address, quantity and the like). ${canHelp(tools, 2, { person: true })}`,
  policy: (tools) =>
    `I can't answer policy questions (returns, refunds, warranty and the like) here. ${canHelp(tools, 2, { person: true })}`,
  human: (tools) =>
    `Sorry, a person is not available in this set-up. ${canHelp(tools, 2, { lead: 'I can still help with' })}`,
  goodbye: (_, { thanked, farewell }) =>
    thanked && farewell
      ? "You're welcome. Goodbye!"
      : farewell
        ? 'Goodbye, and thank you for getting in touch!'
        : "You're welcome! Is there anything else I can do for you?",
  yes: () =>
    'There is nothing waiting for your confirmation. What can I do for you? For example, "show order 42".',
  no: () => 'All right. If there is anything else I can do for you, just ask.',
} satisfies Record<string, (tools: Tools, r: Request) => string>;

const which = (example: string) =>
  `Which order do you mean? Please give its number, for example "${example}".`;

/** The question for the one detail a request lacks, by the request's intent. */
export const ASK: Record<string, string> = {
  lookup: which('order 42'),
  status: which('order 42'),
  confirmation_mail: which('send me the confirmation for order 42'),
  status_mail: which('send me a status update for order 42'),
  cancel: 'Which order should I cancel? Please give its number, for example "cancel order 42".',
  list_orders:
    'Whose orders should I list? Please give the customer\'s name or e-mail address, for example "list orders for Jane Doe" or "orders of jane@example.com".',
  complaint_lookup:
    'Which complaint do you mean? Please give its reference, for example "show my complaint CMP-7K2QX9AB". To file a new one, say "I want to file a complaint".',
  complaint_list:
    'Which e-mail address did you give with your complaints? Please tell me, for example "list my complaints (jane@example.com)".',
};

export const unavailableText = (tool: string): string =>
  `${TOOL_WORDS[tool]?.[0] ?? 'That'} is not available right now. Please try again later.`;

export const askComplaintText = (missing: readonly string[], first: boolean): string =>
  `${first ? 'I can file a complaint for you. ' : ''}Please tell me ${listed(missing)}.`;

export const NOT_FILED =
  'All right, I have not filed a complaint. Is there anything else I can help you with?';

export const confirmCancelText = (orderId: number, reason: string | undefined, suggested: boolean): string =>
  `${suggested ? `Do you want me to cancel order #${orderId}?` : `You are asking me to cancel order #${orderId}${reason ? ` (reason: ${reason})` : ''}.`} A cancellation cannot be undone. Reply "yes, cancel order ${orderId}" to confirm.`;

export const keptText = (orderId: number | undefined): string =>
  orderId === undefined
    ? 'All right, I have not cancelled anything. Is there anything else I can help you with?'
    : `All right, I have not cancelled order #${orderId}, and I will not cancel it unless you ask me to.`;

const COURTESY: Record<Exclude<Lang, 'en'>, readonly [hello: string, thanks: string, note: string]> = {
  de: ['Hallo!', 'Gern geschehen!', 'Ich antworte auf Englisch.'],
  fr: ['Bonjour !', 'Avec plaisir !', 'Je réponds en anglais.'],
  es: ['¡Hola!', '¡De nada!', 'Respondo en inglés.'],
};

/**
 * The answer to a message in German, French or Spanish greets or thanks in that language (in place
 * of the English hello or "you're welcome"), and the first answer in it says that it answers in English.
 */
export function inLanguage(text: string, r: Request, firstInLanguage: boolean): string {
  if (r.lang === 'en') return text;
  const [hello, thanks, note] = COURTESY[r.lang];
  const prefix = [r.greeted ? hello : r.thanked ? thanks : '', firstInLanguage ? note : ''].filter(Boolean);
  if (prefix.length === 0) return text;
  return `${prefix.join(' ')} ${text.replace(/^(Hello! |You're welcome[.!] )/, '')}`;
}
