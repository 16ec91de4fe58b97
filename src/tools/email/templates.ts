import type { Order, OrderStatus } from '../../db/order-types.js';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Makes any text inert inside HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);
}

const amountFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function formatAmount(amount: number): string {
  return amountFormat.format(amount);
}

/** Keeps multi-line values (addresses, notes) readable in HTML after escaping. */
function escapeMultiline(value: string): string {
  return escapeHtml(value).replace(/\r?\n/g, '<br>');
}

const STATUS_SENTENCES: Record<OrderStatus, string> = {
  PENDING: 'We have received your order and will confirm it shortly.',
  CONFIRMED: 'Your order has been confirmed.',
  PROCESSING: 'Your order is being prepared.',
  SHIPPED: 'Your order has been shipped and is on its way.',
  DELIVERED: 'Your order has been delivered. We hope you enjoy it.',
  CANCELLED: 'Your order has been cancelled.',
};

function orderRows(order: Order): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['Order number', String(order.order_id)],
    ['Product (SKU)', order.product_sku],
    ['Quantity', String(order.quantity)],
    ['Amount', formatAmount(order.order_amount)],
    ['Status', order.status],
    ['Billing address', order.billing_address],
  ];
  if (order.remarks) rows.push(['Remarks', order.remarks]);
  return rows;
}

function textTable(rows: Array<[string, string]>): string {
  return rows.map(([label, value]) => `${label}: ${value}`).join('\n');
}

function htmlTable(rows: Array<[string, string]>): string {
  const cells = rows
    .map(
      ([label, value]) =>
        `<tr><th align="left" style="padding:4px 12px 4px 0">${escapeHtml(label)}</th>` +
        `<td style="padding:4px 0">${escapeMultiline(value)}</td></tr>`,
    )
    .join('\n');
  return `<table cellspacing="0" cellpadding="0" style="border-collapse:collapse">\n${cells}\n</table>`;
}

function htmlDocument(title: string, paragraphs: string[], table: string, signature: string): string {
  return [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title></head>`,
    '<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222">',
    ...paragraphs.map((p) => `<p>${p}</p>`),
    table,
    `<p>${escapeHtml(signature)}</p>`,
    '</body></html>',
  ].join('\n');
}

export function renderOrderConfirmation(order: Order, senderName: string): RenderedMail {
  const subject = `Order #${order.order_id} confirmation`;
  const rows = orderRows(order);
  const greeting = `Dear ${order.customer_name},`;
  const thanks = 'Thank you for your order. Here are its details:';
  const closing = 'If anything is wrong, contact our customer service and quote your order number.';
  const text = [greeting, '', thanks, '', textTable(rows), '', closing, '', senderName, ''].join('\n');
  const html = htmlDocument(
    subject,
    [escapeHtml(greeting), escapeHtml(thanks)],
    `${htmlTable(rows)}\n<p>${escapeHtml(closing)}</p>`,
    senderName,
  );
  return { subject, text, html };
}

export function renderOrderStatusUpdate(order: Order, senderName: string, note?: string): RenderedMail {
  const subject = `Order #${order.order_id} status: ${order.status}`;
  const rows = orderRows(order);
  const greeting = `Dear ${order.customer_name},`;
  const sentence = STATUS_SENTENCES[order.status];
  const noteText = note?.trim();
  const text = [
    greeting,
    '',
    sentence,
    ...(noteText ? ['', `Note: ${noteText}`] : []),
    '',
    textTable(rows),
    '',
    senderName,
    '',
  ].join('\n');
  const paragraphs = [escapeHtml(greeting), escapeHtml(sentence)];
  if (noteText) paragraphs.push(`<strong>Note:</strong> ${escapeMultiline(noteText)}`);
  const html = htmlDocument(subject, paragraphs, htmlTable(rows), senderName);
  return { subject, text, html };
}
