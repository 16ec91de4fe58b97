/** Words tool results for the customer: orders, mails, complaints, a hand-off, and failures. */

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

export const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== ''
    ? value.trim()
    : typeof value === 'number'
      ? String(value)
      : undefined;

const sentence = (s: string): string => (/[.!?]$/.test(s) ? s : `${s}.`);
const day = (iso: unknown): string | undefined => text(iso)?.slice(0, 10);
const money = (value: unknown): string | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value.toFixed(2) : text(value);
/** "in_progress" reads as "in progress". */
const readable = (status: string): string => status.replaceAll('_', ' ');

/** The error message of a failed call, with its validation issues; undefined when the call succeeded. */
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

const hasKeys = (value: unknown, id: string): value is Json =>
  isRecord(value) && (id in value || 'id' in value) && 'status' in value;

function find(value: unknown, id: string, wrapper: string): Json | undefined {
  if (hasKeys(value, id)) return value;
  if (!isRecord(value)) return undefined;
  if (hasKeys(value[wrapper], id)) return value[wrapper];
  return Object.values(value).find((v): v is Json => hasKeys(v, id));
}

function findAll(value: unknown, id: string, wrapper: string): Json[] | undefined {
  const list = Array.isArray(value) ? value : isRecord(value) ? value[wrapper] : undefined;
  return Array.isArray(list) ? list.filter((v): v is Json => hasKeys(v, id)) : undefined;
}

const ORDER_STATUS: Record<string, string> = {
  PENDING: 'it has been received and is waiting to be confirmed',
  CONFIRMED: 'it is confirmed and will be prepared for shipping soon',
  PROCESSING: 'it is being prepared for shipping',
  SHIPPED: 'it is on its way to you',
  DELIVERED: 'it has been delivered',
  CANCELLED: 'it has been cancelled',
};
const COMPLAINT_STATUS: Record<string, string> = {
  open: 'it has been received and is waiting to be handled',
  in_progress: 'our team is working on it',
  resolved: 'it has been resolved',
  closed: 'it is closed',
};

function statusLine(status: string | undefined, meanings: Record<string, string>): string {
  const s = status ?? 'unknown';
  const meaning = meanings[s] ?? meanings[s.toUpperCase()] ?? meanings[s.toLowerCase()];
  return meaning ? `${readable(s)} — ${meaning}` : readable(s);
}

const orderIdOf = (order: Json): string | undefined => text(order.order_id) ?? text(order.id);
const item = (o: Json): string | undefined =>
  text(o.quantity) && text(o.product_sku)
    ? `${text(o.quantity)} × ${text(o.product_sku)}`
    : text(o.product_sku);

function describeOrder(order: Json): string {
  const customer = text(order.customer_name);
  const amount = money(order.order_amount ?? order.amount);
  const what = [item(order), amount ? `total ${amount}` : undefined].filter(Boolean).join(', ');
  const lines = [
    `Order #${orderIdOf(order)}${customer ? ` for ${customer}` : ''}${what ? `: ${what}` : ''}.`,
    `Status: ${statusLine(text(order.status), ORDER_STATUS)}.`,
  ];
  if (day(order.created_at)) lines.push(`Placed on ${day(order.created_at)}.`);
  if (text(order.billing_address)) lines.push(`Billing address: ${sentence(text(order.billing_address)!)}`);
  if (text(order.remarks)) lines.push(`Remarks: ${sentence(text(order.remarks)!)}`);
  return lines.join(' ');
}

function describeOrderStatus(order: Json): string {
  const updated = day(order.updated_at);
  return `Your order #${orderIdOf(order)} is ${statusLine(text(order.status), ORDER_STATUS)}.${updated ? ` Last update: ${updated}.` : ''}`;
}

function describeComplaint(c: Json): string {
  const order = text(c.order_id);
  const category = text(c.category);
  const about = `${order ? ` about order #${order}` : ''}${category ? ` (${category})` : ''}`;
  const lines = [
    `Complaint ${text(c.complaint_id) ?? text(c.id)}${about} is ${statusLine(text(c.status), COMPLAINT_STATUS)}.`,
  ];
  const filed = day(c.created_at);
  const by = text(c.customer_name);
  if (filed || by) lines.push(`Filed${filed ? ` on ${filed}` : ''}${by ? ` by ${by}` : ''}.`);
  if (text(c.description)) lines.push(`Description: ${sentence(text(c.description)!)}`);
  if (text(c.resolution_note)) lines.push(`Resolution: ${sentence(text(c.resolution_note)!)}`);
  const updated = day(c.updated_at);
  if (updated && updated !== filed) lines.push(`Last update: ${updated}.`);
  return lines.join(' ');
}

function listOf(
  value: unknown,
  items: Json[],
  noun: string,
  forWhom: string,
  line: (j: Json) => string,
): string {
  if (items.length === 0) return `I found no ${noun}s${forWhom}.`;
  const total = isRecord(value) && typeof value.total === 'number' ? value.total : items.length;
  const head = `I found ${total} ${noun}${total === 1 ? '' : 's'}${forWhom}:`;
  const more = total > items.length ? `\n(showing the first ${items.length})` : '';
  return [head, ...items.map(line)].join('\n') + more;
}

const orderLine = (o: Json): string =>
  `- #${orderIdOf(o)}: ${[item(o), money(o.order_amount ?? o.amount), text(o.status), day(o.created_at) ? `placed ${day(o.created_at)}` : undefined].filter(Boolean).join(', ')}`;

const complaintLine = (c: Json): string =>
  `- ${text(c.complaint_id) ?? text(c.id)}: ${[text(c.category), text(c.status) ? readable(text(c.status)!) : undefined, day(c.created_at) ? `filed ${day(c.created_at)}` : undefined, text(c.order_id) ? `about order #${text(c.order_id)}` : undefined].filter(Boolean).join(', ')}`;

export const KNOWN_TOOLS = [
  'get_order',
  'list_orders',
  'cancel_order',
  'send_order_confirmation',
  'send_order_status_update',
  'create_complaint',
  'get_complaint',
  'list_complaints',
  'handoff_to_human',
] as const;

/** What the call was meant to do, for "Sorry, I could not …" and "To …, I need …". */
export function actionOf(tool: string, args: Json): string {
  const order = `order #${text(args.order_id) ?? text(args.orderId) ?? text(args.id) ?? ''}`;
  const actions: Record<string, string> = {
    get_order: `look up ${order}`,
    list_orders: 'list those orders',
    cancel_order: `cancel ${order}`,
    send_order_confirmation: `send the confirmation for ${order}`,
    send_order_status_update: `send the status update for ${order}`,
    create_complaint: 'file your complaint',
    get_complaint: `look up complaint ${text(args.complaint_id) ?? ''}`.trim(),
    list_complaints: 'list those complaints',
    handoff_to_human: 'reach a person',
  };
  return actions[tool] ?? 'do that';
}

/** One result in words. `status` words an order look-up as an answer to "where is my order?". */
export function wordResult(tool: string, args: Json, value: unknown, status: boolean): string {
  const failed = failureOf(value);
  if (failed) return `Sorry, I could not ${actionOf(tool, args)}: ${sentence(failed.message)}`;
  const who = text(args.customer_name) ?? text(args.customer_email) ?? text(args.name) ?? text(args.email);
  const forWhom = who ? ` for ${who}` : '';
  switch (tool) {
    case 'get_order': {
      const order = find(value, 'order_id', 'order');
      if (order) return status ? describeOrderStatus(order) : describeOrder(order);
      break;
    }
    case 'list_orders': {
      const orders = findAll(value, 'order_id', 'orders');
      if (orders) return listOf(value, orders, 'order', forWhom, orderLine);
      break;
    }
    case 'cancel_order': {
      const order = find(value, 'order_id', 'order');
      const reason = text(args.reason);
      return `Order #${(order && orderIdOf(order)) ?? text(args.order_id)} has been cancelled.${reason ? ` Reason noted: ${sentence(reason)}` : ''}`;
    }
    case 'send_order_confirmation':
    case 'send_order_status_update': {
      const sent = isRecord(value) ? value.recipients : undefined;
      const to = Array.isArray(sent) ? sent.filter((r) => typeof r === 'string').join(', ') : text(args.to);
      const what = tool === 'send_order_confirmation' ? 'confirmation' : 'status update';
      return `I have sent the ${what} for order #${text(args.order_id)}${to ? ` to ${to}` : " to the customer's e-mail address"}.`;
    }
    case 'create_complaint': {
      const complaint = isRecord(value) && isRecord(value.complaint) ? value.complaint : value;
      const reference = isRecord(complaint)
        ? (text(complaint.complaint_id) ?? text(complaint.id))
        : undefined;
      const about = text(args.order_id) ? ` about order #${text(args.order_id)}` : '';
      return `Your complaint${about} has been filed${reference ? ` under reference ${reference}` : ''}. Our team will review it.`;
    }
    case 'get_complaint': {
      const complaint = find(value, 'complaint_id', 'complaint');
      if (complaint) return describeComplaint(complaint);
      break;
    }
    case 'list_complaints': {
      const complaints = findAll(value, 'complaint_id', 'complaints');
      const kind = text(args.status) ? `${readable(text(args.status)!)} complaint` : 'complaint';
      const mail = text(args.customer_email) ?? text(args.email);
      if (complaints) return listOf(value, complaints, kind, mail ? ` for ${mail}` : '', complaintLine);
      break;
    }
    case 'handoff_to_human':
      return 'I have asked a person from our team to take over. They will reply here as soon as they can.';
  }
  return 'Done.';
}

/** A failed call that asks for an e-mail address, and the argument it names, if any. */
export function emailDemand(value: unknown): { field?: string } | undefined {
  const failed = failureOf(value);
  if (!failed) return undefined;
  for (const key of ['needs', 'field']) {
    const field = text(failed.details[key]);
    if (field && (field.toLowerCase().includes('email') || field === 'to')) return { field };
  }
  const message = failed.message.toLowerCase();
  const asks = ['ask', 'give', 'provide', 'need', 'verify', 'confirm'].some((w) => message.includes(w));
  return asks && (message.includes('e-mail') || message.includes('email')) ? {} : undefined;
}
