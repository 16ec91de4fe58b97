import type { ModelMessage, ModelToolCall } from '../types.js';
import { CAPABILITIES } from './capabilities.js';
import { describeComplaint, listComplaints } from './complaint-wording.js';
import { recogniseIntent } from './intents.js';
import { day, isRecord, type Json, parseResult, sentence, text } from './result-values.js';

function parseArgs(call: ModelToolCall | undefined): Json {
  if (!call) return {};
  try {
    const value = JSON.parse(call.arguments) as unknown;
    return isRecord(value) ? value : {};
  } catch {
    return {};
  }
}

function isOrder(value: unknown): value is Json {
  return isRecord(value) && ('order_id' in value || 'id' in value) && 'status' in value;
}

function findOrder(value: unknown): Json | undefined {
  if (isOrder(value)) return value;
  if (!isRecord(value)) return undefined;
  if (isOrder(value.order)) return value.order;
  return Object.values(value).find(isOrder);
}

function findOrders(value: unknown): Json[] | undefined {
  if (Array.isArray(value)) return value.filter(isOrder);
  if (!isRecord(value)) return undefined;
  if (Array.isArray(value.orders)) return value.orders.filter(isOrder);
  const list = Object.values(value).find((v) => Array.isArray(v) && v.some(isOrder));
  return Array.isArray(list) ? list.filter(isOrder) : undefined;
}

function money(value: unknown): string | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(2) : text(value);
}

const STATUS_MEANING: Record<string, string> = {
  PENDING: 'it has been received and is waiting to be confirmed',
  CONFIRMED: 'it is confirmed and will be prepared for shipping soon',
  PROCESSING: 'it is being prepared for shipping',
  SHIPPED: 'it is on its way to you',
  DELIVERED: 'it has been delivered',
  CANCELLED: 'it has been cancelled',
};

function orderIdOf(order: Json | undefined, args: Json): string | undefined {
  return (
    text(order?.order_id) ?? text(order?.id) ?? text(args.order_id) ?? text(args.orderId) ?? text(args.id)
  );
}

function statusLine(order: Json): string {
  const status = text(order.status) ?? 'unknown';
  const meaning = STATUS_MEANING[status.toUpperCase()];
  return meaning ? `${status} — ${meaning}` : status;
}

function describeOrder(order: Json): string {
  const id = orderIdOf(order, {});
  const customer = text(order.customer_name);
  const quantity = text(order.quantity);
  const product = text(order.product_sku);
  const amount = money(order.order_amount ?? order.amount);
  const parts = [`Order #${id}${customer ? ` for ${customer}` : ''}`];
  const item = [
    quantity && product ? `${quantity} × ${product}` : product,
    amount ? `total ${amount}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const lines = [`${parts[0]}${item ? `: ${item}` : ''}.`, `Status: ${statusLine(order)}.`];
  const placed = day(order.created_at);
  if (placed) lines.push(`Placed on ${placed}.`);
  const address = text(order.billing_address);
  if (address) lines.push(`Billing address: ${sentence(address)}`);
  const remarks = text(order.remarks);
  if (remarks) lines.push(`Remarks: ${sentence(remarks)}`);
  return lines.join(' ');
}

function describeStatus(order: Json): string {
  const id = orderIdOf(order, {});
  const updated = day(order.updated_at);
  return `Your order #${id} is ${statusLine(order)}.${updated ? ` Last update: ${updated}.` : ''}`;
}

function orderListItem(order: Json): string {
  const details = [
    text(order.quantity) && text(order.product_sku)
      ? `${text(order.quantity)} × ${text(order.product_sku)}`
      : text(order.product_sku),
    money(order.order_amount ?? order.amount),
    text(order.status),
    day(order.created_at) ? `placed ${day(order.created_at)}` : undefined,
  ].filter(Boolean);
  return `- #${orderIdOf(order, {})}: ${details.join(', ')}`;
}

function failure(tool: string, args: Json, value: unknown): string | undefined {
  let message: string | undefined;
  let issues: string[] = [];
  if (isRecord(value) && typeof value.error === 'string') {
    message = value.error;
    if (Array.isArray(value.issues)) issues = value.issues.filter((i): i is string => typeof i === 'string');
  } else if (typeof value === 'string' && /^error\b/i.test(value)) {
    message = value.replace(/^error\b[:\s]*/i, '');
  }
  if (message === undefined) return undefined;
  const id = orderIdOf(undefined, args);
  const action: Record<string, string> = {
    get_order: `look up order #${id}`,
    list_orders: 'list those orders',
    cancel_order: `cancel order #${id}`,
    send_order_confirmation: `send the confirmation for order #${id}`,
    create_complaint: 'file your complaint',
    get_complaint: `look up complaint ${text(args.complaint_id) ?? ''}`.trim(),
    list_complaints: 'list those complaints',
  };
  const detail = issues.length > 0 ? ` (${issues.join('; ')})` : '';
  return `Sorry, I could not ${action[tool] ?? `complete that (${tool})`}: ${sentence(`${message}${detail}`)}`;
}

function wordOne(tool: string, args: Json, value: unknown, askedForStatus: boolean): string {
  const failed = failure(tool, args, value);
  if (failed) return failed;
  switch (tool) {
    case 'get_order': {
      const order = findOrder(value);
      if (order) return askedForStatus ? describeStatus(order) : describeOrder(order);
      break;
    }
    case 'list_orders': {
      const orders = findOrders(value);
      if (!orders) break;
      const who =
        text(args.customer_name) ?? text(args.customer_email) ?? text(args.name) ?? text(args.email);
      const forWhom = who ? ` for ${who}` : '';
      if (orders.length === 0) return `I found no orders${forWhom}.`;
      const total = isRecord(value) && typeof value.total === 'number' ? value.total : orders.length;
      const head = `I found ${total} order${total === 1 ? '' : 's'}${forWhom}:`;
      const more = total > orders.length ? `\n(showing the first ${orders.length})` : '';
      return [head, ...orders.map(orderListItem)].join('\n') + more;
    }
    case 'cancel_order': {
      const order = findOrder(value);
      const reason = text(args.reason);
      return `Order #${orderIdOf(order, args)} has been cancelled.${reason ? ` Reason noted: ${sentence(reason)}` : ''}`;
    }
    case 'send_order_confirmation': {
      const recipients = isRecord(value) ? value.recipients : undefined;
      const to = Array.isArray(recipients)
        ? recipients.filter((r): r is string => typeof r === 'string').join(', ')
        : (text(recipients) ?? text(args.to));
      return `I have sent the confirmation for order #${orderIdOf(undefined, args)}${to ? ` to ${to}` : " to the customer's e-mail address"}.`;
    }
    case 'create_complaint': {
      const complaint = isRecord(value) && isRecord(value.complaint) ? value.complaint : value;
      const reference = isRecord(complaint)
        ? (text(complaint.complaint_id) ?? text(complaint.id) ?? text(complaint.reference))
        : undefined;
      const about = text(args.order_id) ? ` about order #${text(args.order_id)}` : '';
      return `Your complaint${about} has been filed${reference ? ` under reference ${reference}` : ''}. Our team will review it.`;
    }
    case 'get_complaint': {
      const described = describeComplaint(value);
      if (described) return described;
      break;
    }
    case 'list_complaints': {
      const listed = listComplaints(value, args);
      if (listed) return listed;
      break;
    }
  }
  const raw = typeof value === 'string' ? value : JSON.stringify(value);
  return `Done. The result was: ${raw.length > 400 ? `${raw.slice(0, 400)}…` : raw}`;
}

/** The canonical name of a tool the router drives, also when MCP gave it a prefix. */
function canonical(name: string): string {
  const known = CAPABILITIES.map((c) => c.tool as string);
  return (
    known.find((tool) => name === tool || name.endsWith(`_${tool}`) || name.endsWith(`-${tool}`)) ?? name
  );
}

/** Words the results of the last tool step as the answer to the customer. */
export function wordToolResults(messages: readonly ModelMessage[]): string {
  let start = messages.length;
  while (start > 0 && messages[start - 1]?.role === 'tool') start--;
  const results = messages.slice(start);
  const step = messages[start - 1];
  const calls = new Map<string, ModelToolCall>();
  if (step?.role === 'assistant') for (const call of step.toolCalls ?? []) calls.set(call.id, call);
  const lastUser = messages.findLast((m) => m.role === 'user');
  const askedForStatus = lastUser?.role === 'user' && recogniseIntent(lastUser.content).kind === 'status';

  return results
    .map((message) => {
      if (message.role !== 'tool') return '';
      const call = calls.get(message.toolCallId);
      return wordOne(
        canonical(call?.name ?? ''),
        parseArgs(call),
        parseResult(message.content),
        askedForStatus,
      );
    })
    .filter((s) => s !== '')
    .join('\n\n');
}
