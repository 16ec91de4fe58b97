import type { ModelMessage, ModelToolCall } from '../types.js';

/** Tool results in words for the customer: orders, mails, complaints, a hand-off, and failures. */

export type Json = Record<string, unknown>;

export const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Tool results are JSON; MCP tools return text that is often JSON itself. */
export function parseResult(content: string): unknown {
  let value: unknown = content;
  for (let i = 0; i < 2 && typeof value === 'string'; i++) {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      break;
    }
  }
  return value;
}

const text = (v: unknown): string | undefined =>
  typeof v === 'number' ? String(v) : typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
const sentence = (s: string): string => (/[.!?]$/.test(s) ? s : `${s}.`);
const day = (iso: unknown): string | undefined => text(iso)?.slice(0, 10);
const money = (v: unknown): string | undefined => (typeof v === 'number' ? v.toFixed(2) : text(v));
/** "in_progress" reads as "in progress". */
const readable = (status: unknown): string | undefined => text(status)?.replaceAll('_', ' ');
const joined = (parts: ReadonlyArray<string | false | undefined>, by = ', '): string =>
  parts.filter(Boolean).join(by);

/** The message of a failed call with its validation issues, and the error's details. */
export function failureOf(value: unknown): { message: string; details: Json } | undefined {
  if (isRecord(value) && typeof value.error === 'string') {
    const issues = Array.isArray(value.issues) ? value.issues.filter((i) => typeof i === 'string') : [];
    return { message: value.error + (issues.length > 0 ? ` (${issues.join('; ')})` : ''), details: value };
  }
  if (typeof value === 'string' && /^error\b/i.test(value)) {
    return { message: value.replace(/^error\b[:\s]*/i, ''), details: {} };
  }
  return undefined;
}

/** A failed call that asks for an e-mail address, and the argument it names, if any. */
export function emailDemand(value: unknown): { field?: string } | undefined {
  const failed = failureOf(value);
  if (!failed) return undefined;
  const field = [text(failed.details.needs), text(failed.details.field)].find(
    (f) => f && /email|^to$/i.test(f),
  );
  if (field) return { field };
  const message = failed.message.toLowerCase();
  const asks = ['ask', 'give', 'provide', 'need', 'requir', 'verif', 'confirm', 'match'].some((w) =>
    message.includes(w),
  );
  return asks && /e-?mail/.test(message) ? {} : undefined;
}

const isEntity = (value: unknown, id: string): value is Json =>
  isRecord(value) && (id in value || 'id' in value) && 'status' in value;
/** The order or complaint in a result: the result itself, or under `wrapper` or another key. */
function find(value: unknown, id: string, wrapper: string): Json | undefined {
  if (isEntity(value, id) || !isRecord(value)) return isEntity(value, id) ? value : undefined;
  return isEntity(value[wrapper], id) ? value[wrapper] : Object.values(value).find((v) => isEntity(v, id));
}
function findAll(value: unknown, id: string, wrapper: string): Json[] | undefined {
  const list = Array.isArray(value) ? value : isRecord(value) ? value[wrapper] : undefined;
  return Array.isArray(list) ? list.filter((v) => isEntity(v, id)) : undefined;
}

const MEANINGS: Record<string, string> = {
  PENDING: 'it has been received and is waiting to be confirmed',
  CONFIRMED: 'it is confirmed and will be prepared for shipping soon',
  PROCESSING: 'it is being prepared for shipping',
  SHIPPED: 'it is on its way to you',
  DELIVERED: 'it has been delivered',
  CANCELLED: 'it has been cancelled',
  open: 'it has been received and is waiting to be handled',
  in_progress: 'our team is working on it',
  resolved: 'it has been resolved',
  closed: 'it is closed',
};
const statusLine = (status: unknown): string =>
  joined([readable(status) ?? 'unknown', MEANINGS[text(status) ?? '']], ' — ');

const idOf = (j: Json, key: string): string | undefined => text(j[key]) ?? text(j.id);
const item = (o: Json): string | undefined =>
  text(o.quantity) && text(o.product_sku)
    ? `${text(o.quantity)} × ${text(o.product_sku)}`
    : text(o.product_sku);

function describeOrder(o: Json): string {
  const what = joined([
    item(o),
    money(o.order_amount ?? o.amount) && `total ${money(o.order_amount ?? o.amount)}`,
  ]);
  const customer = text(o.customer_name) ? ` for ${text(o.customer_name)}` : '';
  return joined(
    [
      `Order #${idOf(o, 'order_id')}${customer}${what ? `: ${what}` : ''}.`,
      `Status: ${statusLine(o.status)}.`,
      day(o.created_at) && `Placed on ${day(o.created_at)}.`,
      text(o.billing_address) && `Billing address: ${sentence(text(o.billing_address)!)}`,
      text(o.remarks) && `Remarks: ${sentence(text(o.remarks)!)}`,
    ],
    ' ',
  );
}

function describeComplaint(c: Json): string {
  const about = `${text(c.order_id) ? ` about order #${text(c.order_id)}` : ''}${text(c.category) ? ` (${text(c.category)})` : ''}`;
  const filed = day(c.created_at);
  const by = text(c.customer_name);
  return joined(
    [
      `Complaint ${idOf(c, 'complaint_id')}${about} is ${statusLine(c.status)}.`,
      (filed || by) && `Filed${filed ? ` on ${filed}` : ''}${by ? ` by ${by}` : ''}.`,
      text(c.description) && `Description: ${sentence(text(c.description)!)}`,
      text(c.resolution_note) && `Resolution: ${sentence(text(c.resolution_note)!)}`,
      day(c.updated_at) !== filed && day(c.updated_at) && `Last update: ${day(c.updated_at)}.`,
    ],
    ' ',
  );
}

function listOf(v: unknown, items: Json[], noun: string, who: string | undefined, line: (j: Json) => string) {
  const forWhom = who ? ` for ${who}` : '';
  if (items.length === 0) return `I found no ${noun}s${forWhom}.`;
  const total = isRecord(v) && typeof v.total === 'number' ? v.total : items.length;
  const more = total > items.length ? `\n(showing the first ${items.length})` : '';
  return `${[`I found ${total} ${noun}${total === 1 ? '' : 's'}${forWhom}:`, ...items.map(line)].join('\n')}${more}`;
}

const orderLine = (o: Json): string =>
  `- #${idOf(o, 'order_id')}: ${joined([item(o), money(o.order_amount ?? o.amount), text(o.status), day(o.created_at) && `placed ${day(o.created_at)}`])}`;
const complaintLine = (c: Json): string =>
  `- ${idOf(c, 'complaint_id')}: ${joined([text(c.category), readable(c.status), day(c.created_at) && `filed ${day(c.created_at)}`, text(c.order_id) && `about order #${text(c.order_id)}`])}`;

/** The tools the assistant drives; MCP may give them a prefix when their names clash. */
const ACTIONS: Record<string, (order: string, args: Json) => string> = {
  get_order: (order) => `look up ${order}`,
  list_orders: () => 'list those orders',
  cancel_order: (order) => `cancel ${order}`,
  send_order_confirmation: (order) => `send the confirmation for ${order}`,
  send_order_status_update: (order) => `send the status update for ${order}`,
  create_complaint: () => 'file your complaint',
  get_complaint: (_, args) => `look up complaint ${text(args.complaint_id) ?? ''}`.trim(),
  list_complaints: () => 'list those complaints',
  handoff_to_human: () => 'reach a person',
};
const canonical = (name: string): string =>
  Object.keys(ACTIONS).find(
    (tool) => name === tool || name.endsWith(`_${tool}`) || name.endsWith(`-${tool}`),
  ) ?? name;
const actionOf = (tool: string, args: Json): string =>
  ACTIONS[tool]?.(`order #${text(args.order_id) ?? ''}`, args) ?? 'do that';

/** One result in words. `status` words an order as the answer to "where is my order?". */
export function wordResult(tool: string, args: Json, value: unknown, status: boolean): string {
  const failed = failureOf(value);
  const demand = emailDemand(value);
  if (demand?.field === 'to')
    return `To ${actionOf(tool, args)}, I need the e-mail address to send it to. Which one should I use?`;
  if (demand)
    return `To ${actionOf(tool, args)}, I need the e-mail address on the order, so that I know it is yours. What is it?`;
  if (failed) return `Sorry, I could not ${actionOf(tool, args)}: ${sentence(failed.message)}`;
  const order = find(value, 'order_id', 'order');
  const complaint = find(value, 'complaint_id', 'complaint');
  const who = text(args.customer_name) ?? text(args.customer_email);
  switch (tool) {
    case 'get_order':
      if (order && status) {
        const updated = day(order.updated_at) ? ` Last update: ${day(order.updated_at)}.` : '';
        return `Your order #${idOf(order, 'order_id')} is ${statusLine(order.status)}.${updated}`;
      }
      return order ? describeOrder(order) : 'Done.';
    case 'list_orders': {
      const orders = findAll(value, 'order_id', 'orders');
      return orders ? listOf(value, orders, 'order', who, orderLine) : 'Done.';
    }
    case 'cancel_order': {
      const reason = text(args.reason) ? ` Reason noted: ${sentence(text(args.reason)!)}` : '';
      return `Order #${(order && idOf(order, 'order_id')) ?? text(args.order_id)} has been cancelled.${reason}`;
    }
    case 'send_order_confirmation':
    case 'send_order_status_update': {
      const sent =
        isRecord(value) && Array.isArray(value.recipients) ? value.recipients.join(', ') : text(args.to);
      const what = tool === 'send_order_confirmation' ? 'confirmation' : 'status update';
      return `I have sent the ${what} for order #${text(args.order_id)} to ${sent || "the customer's e-mail address"}.`;
    }
    case 'create_complaint': {
      const reference = complaint ? ` under reference ${idOf(complaint, 'complaint_id')}` : '';
      const about = text(args.order_id) ? ` about order #${text(args.order_id)}` : '';
      return `Your complaint${about} has been filed${reference}. Our team will review it.`;
    }
    case 'get_complaint':
      return complaint ? describeComplaint(complaint) : 'Done.';
    case 'list_complaints': {
      const complaints = findAll(value, 'complaint_id', 'complaints');
      const noun = joined([readable(args.status), 'complaint'], ' ');
      return complaints ? listOf(value, complaints, noun, text(args.customer_email), complaintLine) : 'Done.';
    }
    case 'handoff_to_human':
      return 'I have asked a person from our team to take over. They will reply here as soon as they can.';
  }
  return 'Done.';
}

/** The answer to the results of the tool step that ends `messages`. */
export function wordStep(messages: readonly ModelMessage[], status: boolean): string {
  let start = messages.length;
  while (start > 0 && messages[start - 1]?.role === 'tool') start--;
  const step = messages[start - 1];
  const calls = new Map<string, ModelToolCall>();
  if (step?.role === 'assistant') for (const c of step.toolCalls ?? []) calls.set(c.id, c);
  return messages
    .slice(start)
    .map((m) => {
      const call = m.role === 'tool' ? calls.get(m.toolCallId) : undefined;
      if (m.role !== 'tool' || !call) return '';
      return wordResult(canonical(call.name), parseArgs(call), parseResult(m.content), status);
    })
    .filter(Boolean)
    .join('\n\n');
}

export function parseArgs(call: ModelToolCall): Json {
  try {
    const value = JSON.parse(call.arguments) as unknown;
    return isRecord(value) ? value : {};
  } catch {
    return {};
  }
}
