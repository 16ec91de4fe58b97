import type { ModelMessage, ModelToolCall } from '../types.js';
import { findTool, isRecord, type Json, knownName, TOOL_WORDS, type Tools, valuesOf } from './tools.js';

/** Tool results in words for the customer: orders, mails, complaints, a hand-off, and failures. */

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

export function parseArgs(call: ModelToolCall): Json {
  const value = parseResult(call.arguments);
  return isRecord(value) ? value : {};
}

const text = (v: unknown): string | undefined =>
  typeof v === 'number' ? String(v) : typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
const sentence = (s: string): string => (/[.!?]$/.test(s) ? s : `${s}.`);
const day = (iso: unknown): string | undefined => text(iso)?.slice(0, 10);
const money = (v: unknown): string | undefined => (typeof v === 'number' ? v.toFixed(2) : text(v));
/** "in_progress" reads as "in progress". */
const readable = (status: unknown): string | undefined => text(status)?.replaceAll('_', ' ');
const joined = (parts: ReadonlyArray<unknown>, by = ', '): string =>
  parts.filter((p): p is string => typeof p === 'string' && p !== '').join(by);

/** The message of a failed call with its validation issues, and the error's details. */
function failureOf(value: unknown): { message: string; details: Json } | undefined {
  if (isRecord(value) && typeof value.error === 'string') {
    const issues = Array.isArray(value.issues) ? value.issues.filter((i) => typeof i === 'string') : [];
    return { message: value.error + (issues.length > 0 ? ` (${issues.join('; ')})` : ''), details: value };
  }
  if (typeof value === 'string' && /^error\b/i.test(value))
    return { message: value.replace(/^error\b[:\s]*/i, ''), details: {} };
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
  return /ask|give|provide|need|requir|verif|confirm|match/.test(message) && /e-?mail/.test(message)
    ? {}
    : undefined;
}

/**
 * The order or complaint in a result (`id` is "order_id" or "complaint_id"): the result itself, the
 * value under its noun ({ order: … }), or another value that is one.
 */
const isEntity = (v: unknown, id: string): v is Json =>
  isRecord(v) && (id in v || 'id' in v) && 'status' in v;
function find(v: unknown, id: string): Json | undefined {
  if (isEntity(v, id) || !isRecord(v)) return isEntity(v, id) ? v : undefined;
  const noun = v[id.slice(0, -3)];
  return isEntity(noun, id) ? noun : Object.values(v).find((x): x is Json => isEntity(x, id));
}
/** The orders or complaints of a listing: the result itself, or the list under the plural noun. */
function findAll(v: unknown, id: string): Json[] | undefined {
  const list = Array.isArray(v) ? v : isRecord(v) ? v[`${id.slice(0, -3)}s`] : undefined;
  return Array.isArray(list) ? list.filter((x) => isEntity(x, id)) : undefined;
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
/** `template` filled with the value, or '' when there is none. */
const fill = (v: unknown, template: (s: string) => string): string => (text(v) ? template(text(v)!) : '');
const item = (o: Json): string =>
  text(o.quantity) && text(o.product_sku)
    ? `${text(o.quantity)} × ${text(o.product_sku)}`
    : fill(o.product_sku, String);
const amount = (o: Json): string | undefined => money(o.order_amount ?? o.amount);
const labelled = (label: string, v: unknown): string => fill(v, (s) => `${label}: ${sentence(s)}`);

function describeOrder(o: Json): string {
  const what = joined([item(o), amount(o) && `total ${amount(o)}`]);
  return joined(
    [
      `Order #${idOf(o, 'order_id')}${fill(o.customer_name, (n) => ` for ${n}`)}${what ? `: ${what}` : ''}.`,
      `Status: ${statusLine(o.status)}.`,
      fill(day(o.created_at), (d) => `Placed on ${d}.`),
      labelled('Billing address', o.billing_address),
      labelled('Remarks', o.remarks),
    ],
    ' ',
  );
}

function describeComplaint(c: Json): string {
  const about = fill(c.order_id, (id) => ` about order #${id}`) + fill(c.category, (k) => ` (${k})`);
  const filed = fill(day(c.created_at), (d) => ` on ${d}`) + fill(c.customer_name, (n) => ` by ${n}`);
  const updated =
    day(c.updated_at) === day(c.created_at) ? '' : fill(day(c.updated_at), (d) => `Last update: ${d}.`);
  return joined(
    [
      `Complaint ${idOf(c, 'complaint_id')}${about} is ${statusLine(c.status)}.`,
      filed && `Filed${filed}.`,
      labelled('Description', c.description),
      labelled('Resolution', c.resolution_note),
      updated,
    ],
    ' ',
  );
}

const orderLine = (o: Json): string =>
  `- #${idOf(o, 'order_id')}: ${joined([item(o), amount(o), text(o.status), fill(day(o.created_at), (d) => `placed ${d}`)])}`;
const complaintLine = (c: Json): string =>
  `- ${idOf(c, 'complaint_id')}: ${joined([text(c.category), readable(c.status), fill(day(c.created_at), (d) => `filed ${d}`), fill(c.order_id, (id) => `about order #${id}`)])}`;

function listOf(v: unknown, items: Json[], noun: string, who: string | undefined, line: (j: Json) => string) {
  const forWhom = who ? ` for ${who}` : '';
  if (items.length === 0) return `I found no ${noun}s${forWhom}.`;
  const total = isRecord(v) && typeof v.total === 'number' ? v.total : items.length;
  const more = total > items.length ? `\n(showing the first ${items.length})` : '';
  return `${[`I found ${total} ${noun}${total === 1 ? '' : 's'}${forWhom}:`, ...items.map(line)].join('\n')}${more}`;
}

/** "look up order #42": what a call of `tool` with these values does. */
const actionOf = (tool: string, values: Json): string =>
  (TOOL_WORDS[tool]?.[1] ?? 'do that')
    .replace(/\{(\w+)\}/g, (_, role: string) => text(values[role]) ?? '')
    .trim();

/**
 * One result in words. `values` are the call's arguments by role (order_id, email, name, recipient,
 * reason, status, complaint_id); `status` words an order as the answer to "where is my order?".
 */
export function wordResult(tool: string, values: Json, value: unknown, status: boolean): string {
  const demand = emailDemand(value);
  if (demand?.field === 'to')
    return `To ${actionOf(tool, values)}, I need the e-mail address to send it to. Which one should I use?`;
  if (demand)
    return `To ${actionOf(tool, values)}, I need the e-mail address on the order, so that I know it is yours. What is it?`;
  const failed = failureOf(value);
  if (failed) return `Sorry, I could not ${actionOf(tool, values)}: ${sentence(failed.message)}`;
  const order = find(value, 'order_id');
  const complaint = find(value, 'complaint_id');
  const orderId = text(values.order_id);
  switch (tool) {
    case 'get_order':
      if (order && status) {
        const updated = fill(day(order.updated_at), (d) => ` Last update: ${d}.`);
        return `Your order #${idOf(order, 'order_id')} is ${statusLine(order.status)}.${updated}`;
      }
      return order ? describeOrder(order) : 'Done.';
    case 'list_orders': {
      const orders = findAll(value, 'order_id');
      return orders
        ? listOf(value, orders, 'order', text(values.name) ?? text(values.email), orderLine)
        : 'Done.';
    }
    case 'cancel_order': {
      const reason = fill(values.reason, (s) => ` Reason noted: ${sentence(s)}`);
      return `Order #${(order && idOf(order, 'order_id')) ?? orderId} has been cancelled.${reason}`;
    }
    case 'send_order_confirmation':
    case 'send_order_status_update': {
      const sent =
        isRecord(value) && Array.isArray(value.recipients)
          ? value.recipients.join(', ')
          : text(values.recipient);
      const what = tool === 'send_order_confirmation' ? 'confirmation' : 'status update';
      return `I have sent the ${what} for order #${orderId} to ${sent || "the customer's e-mail address"}.`;
    }
    case 'create_complaint': {
      const reference = complaint ? ` under reference ${idOf(complaint, 'complaint_id')}` : '';
      return `Your complaint${fill(orderId, (id) => ` about order #${id}`)} has been filed${reference}. Our team will review it.`;
    }
    case 'get_complaint':
      return complaint ? describeComplaint(complaint) : 'Done.';
    case 'list_complaints': {
      const complaints = findAll(value, 'complaint_id');
      const noun = joined([readable(values.status), 'complaint'], ' ');
      return complaints ? listOf(value, complaints, noun, text(values.email), complaintLine) : 'Done.';
    }
    case 'handoff_to_human':
      return 'I have asked a person from our team to take over. They will reply here as soon as they can.';
  }
  return 'Done.';
}

/** The answer to the results of the tool step that ends `messages`. */
export function wordStep(messages: readonly ModelMessage[], tools: Tools, status: boolean): string {
  let start = messages.length;
  while (start > 0 && messages[start - 1]?.role === 'tool') start--;
  const step = messages[start - 1];
  const calls = new Map((step?.role === 'assistant' ? (step.toolCalls ?? []) : []).map((c) => [c.id, c]));
  return messages
    .slice(start)
    .map((m) => {
      const call = m.role === 'tool' ? calls.get(m.toolCallId) : undefined;
      if (m.role !== 'tool' || !call) return '';
      const values = valuesOf(findTool(tools, call.name), parseArgs(call));
      return wordResult(knownName(call.name), values, parseResult(m.content), status);
    })
    .filter(Boolean)
    .join('\n\n');
}
