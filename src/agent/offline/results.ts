import type { ModelMessage, ModelToolCall } from '../types.js';
import { findTool, isRecord, type Json, knownName, TOOL_WORDS, type Tools, valuesOf } from './tools.js';

/** Tool results in words for the customer: orders, mails, complaints, a hand-off, and failures. */

/** Tool results are JSON; MCP tools return text that is often JSON itself (parsed once more). */
export function parseResult(content: string, depth = 2): unknown {
  try {
    const value: unknown = JSON.parse(content);
    return typeof value === 'string' && depth > 1 ? parseResult(value, depth - 1) : value;
  } catch {
    return content;
  }
}

export function parseArgs(call: ModelToolCall): Json {
  const value = parseResult(call.arguments);
  return isRecord(value) ? value : {};
}

const text = (v: unknown): string | undefined =>
  typeof v === 'number' ? String(v) : typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
/** `template` filled with the value, or '' when there is none. */
const fill = (v: unknown, template: (s: string) => string): string => (text(v) ? template(text(v)!) : '');
const sentence = (s: string): string => (/[.!?]$/.test(s) ? s : `${s}.`);
const day = (iso: unknown): string | undefined => text(iso)?.slice(0, 10);
/** "in_progress" reads as "in progress". */
const readable = (status: unknown): string | undefined => text(status)?.replaceAll('_', ' ');
const joined = (parts: ReadonlyArray<unknown>, by = ', '): string =>
  parts.filter((p): p is string => typeof p === 'string' && p !== '').join(by);

/** The message of a failed call (the agent's `{ error, issues }`, or an MCP tool's "Error: …" text). */
function failureOf(value: unknown): string | undefined {
  if (typeof value === 'string')
    return /^error\b/i.test(value) ? value.replace(/^error\b[:\s]*/i, '') : undefined;
  if (!isRecord(value) || typeof value.error !== 'string') return undefined;
  const issues = Array.isArray(value.issues) ? value.issues.filter((i) => typeof i === 'string') : [];
  return value.error + (issues.length > 0 ? ` (${issues.join('; ')})` : '');
}

/** A failed call that asks for an e-mail address, and the argument it names, if any. */
export function emailDemand(value: unknown): { field?: string } | undefined {
  const message = failureOf(value)?.toLowerCase();
  if (message === undefined) return undefined;
  const named = isRecord(value) ? [text(value.needs), text(value.field)] : [];
  const field = named.find((f) => f && /email|^to$/i.test(f));
  const asks = /ask|give|provide|need|requir|verif|confirm|match/.test(message) && /e-?mail/.test(message);
  return field ? { field } : asks ? {} : undefined;
}

/** An order or complaint (`noun`) in a result: the result itself, the value under its noun, or another. */
const isEntity = (v: unknown, noun: string): v is Json =>
  isRecord(v) && (`${noun}_id` in v || 'id' in v) && 'status' in v;
function find(v: unknown, noun: string): Json | undefined {
  if (isEntity(v, noun) || !isRecord(v)) return isEntity(v, noun) ? v : undefined;
  return isEntity(v[noun], noun) ? v[noun] : Object.values(v).find((x): x is Json => isEntity(x, noun));
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

const idOf = (j: Json, noun: string): string | undefined => text(j[`${noun}_id`]) ?? text(j.id);
const item = (o: Json): string =>
  text(o.quantity) && text(o.product_sku)
    ? `${text(o.quantity)} × ${text(o.product_sku)}`
    : fill(o.product_sku, String);
const money = (v: unknown): string | undefined => (typeof v === 'number' ? v.toFixed(2) : text(v));
const amount = (o: Json): string | undefined => money(o.order_amount ?? o.amount);
const labelled = (label: string, v: unknown): string => fill(v, (s) => `${label}: ${sentence(s)}`);

function describeOrder(o: Json): string {
  const what = joined([item(o), amount(o) && `total ${amount(o)}`]);
  return joined(
    [
      `Order #${idOf(o, 'order')}${fill(o.customer_name, (n) => ` for ${n}`)}${what ? `: ${what}` : ''}.`,
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
  const updated = day(c.updated_at) === day(c.created_at) ? undefined : day(c.updated_at);
  return joined(
    [
      `Complaint ${idOf(c, 'complaint')}${about} is ${statusLine(c.status)}.`,
      filed && `Filed${filed}.`,
      labelled('Description', c.description),
      labelled('Resolution', c.resolution_note),
      fill(updated, (d) => `Last update: ${d}.`),
    ],
    ' ',
  );
}

/** One line of a listing of orders or complaints. */
const LINES: Record<string, (j: Json) => string> = {
  order: (o) =>
    `- #${idOf(o, 'order')}: ${joined([item(o), amount(o), text(o.status), fill(day(o.created_at), (d) => `placed ${d}`)])}`,
  complaint: (c) =>
    `- ${idOf(c, 'complaint')}: ${joined([text(c.category), readable(c.status), fill(day(c.created_at), (d) => `filed ${d}`), fill(c.order_id, (id) => `about order #${id}`)])}`,
};

/** The orders or complaints of a listing (the result itself, or the list under the plural noun). */
function listing(v: unknown, noun: string, who: string | undefined, status?: string): string | undefined {
  const list = Array.isArray(v) ? v : isRecord(v) ? v[`${noun}s`] : undefined;
  if (!Array.isArray(list)) return undefined;
  const items = list.filter((x) => isEntity(x, noun));
  const what = joined([status, noun], ' ');
  const forWhom = who ? ` for ${who}` : '';
  if (items.length === 0) return `I found no ${what}s${forWhom}.`;
  const total = isRecord(v) && typeof v.total === 'number' ? v.total : items.length;
  const more = total > items.length ? `\n(showing the first ${items.length})` : '';
  const head = `I found ${total} ${what}${total === 1 ? '' : 's'}${forWhom}:`;
  return `${[head, ...items.map(LINES[noun]!)].join('\n')}${more}`;
}

/** "look up order #42": what a call of `tool` with these values does. */
const actionOf = (tool: string, values: Json): string =>
  (TOOL_WORDS[tool]?.[1] ?? 'do that')
    .replace(/\{(\w+)\}/g, (_, role: string) => text(values[role]) ?? '')
    .trim();

/** A successful result in words, when it has the shape the tool's wording expects. */
function success(tool: string, values: Json, value: unknown, status: boolean): string | undefined {
  const order = find(value, 'order');
  const complaint = find(value, 'complaint');
  const orderId = text(values.order_id);
  switch (tool) {
    case 'get_order':
      if (order && status) {
        const updated = fill(day(order.updated_at), (d) => ` Last update: ${d}.`);
        return `Your order #${idOf(order, 'order')} is ${statusLine(order.status)}.${updated}`;
      }
      return order && describeOrder(order);
    case 'list_orders':
      return listing(value, 'order', text(values.name) ?? text(values.email));
    case 'cancel_order': {
      const reason = fill(values.reason, (s) => ` Reason noted: ${sentence(s)}`);
      return `Order #${(order && idOf(order, 'order')) ?? orderId} has been cancelled.${reason}`;
    }
    case 'send_order_confirmation':
    case 'send_order_status_update': {
      const sent = isRecord(value) && Array.isArray(value.recipients) ? value.recipients.join(', ') : '';
      const to = sent || text(values.recipient) || "the customer's e-mail address";
      return `I have ${actionOf(tool, values).replace(/^send/, 'sent')} to ${to}.`;
    }
    case 'create_complaint': {
      const reference = fill(complaint && idOf(complaint, 'complaint'), (id) => ` under reference ${id}`);
      return `Your complaint${fill(orderId, (id) => ` about order #${id}`)} has been filed${reference}. Our team will review it.`;
    }
    case 'get_complaint':
      return complaint && describeComplaint(complaint);
    case 'list_complaints':
      return listing(value, 'complaint', text(values.email), readable(values.status));
    case 'handoff_to_human':
      return 'I have asked a person from our team to take over. They will reply here as soon as they can.';
  }
}

/**
 * One result in words. `values` are the call's arguments by role (order_id, email, name, recipient,
 * reason, status, complaint_id); `status` words an order as the answer to "where is my order?".
 */
export function wordResult(tool: string, values: Json, value: unknown, status: boolean): string {
  const demand = emailDemand(value);
  const failed = failureOf(value);
  if (demand?.field === 'to')
    return `To ${actionOf(tool, values)}, I need the e-mail address to send it to. Which one should I use?`;
  if (demand)
    return `To ${actionOf(tool, values)}, I need the e-mail address on the order, so that I know it is yours. What is it?`;
  if (failed) return `Sorry, I could not ${actionOf(tool, values)}: ${sentence(failed)}`;
  return success(tool, values, value, status) ?? 'Done.';
}

/** The results of the tool calls in `messages`, by call id. */
export const toolResults = (messages: readonly ModelMessage[]): Map<string, string> =>
  new Map(messages.flatMap((m) => (m.role === 'tool' ? [[m.toolCallId, m.content] as const] : [])));

/** The answer to the results of the tool step that ends `messages`. */
export function wordStep(messages: readonly ModelMessage[], tools: Tools, status: boolean): string {
  const step = messages.findLast((m) => m.role === 'assistant');
  const calls = step?.role === 'assistant' ? (step.toolCalls ?? []) : [];
  const results = toolResults(messages);
  return calls
    .filter((call) => results.has(call.id))
    .map((call) => {
      const values = valuesOf(findTool(tools, call.name), parseArgs(call));
      return wordResult(knownName(call.name), values, parseResult(results.get(call.id)!), status);
    })
    .join('\n\n');
}
