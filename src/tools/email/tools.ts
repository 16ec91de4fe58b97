import { z } from 'zod';
import type { OrderAccessMode } from '../../access/order-access.js';
import type { AppConfig } from '../../config/index.js';
import type { Order, OrderReader } from '../../db/order-types.js';
import { createOrderAccess, verifiedEmail } from '../orders/access.js';
import { orderId } from '../orders/arguments.js';
import { orderDatabaseCall } from '../orders/database-call.js';
import { defineTool, type Tool, type ToolContext, ToolError } from '../registry.js';
import { MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, prepareAttachments } from './attachments.js';
import { MailerError } from './mail-errors.js';
import type { MailAttachment, Mailer } from './mailer.js';
import { renderOrderConfirmation, renderOrderStatusUpdate } from './templates.js';
import {
  MAX_HTML_BODY_LENGTH,
  MAX_SUBJECT_LENGTH,
  MAX_TEXT_BODY_LENGTH,
  type RecipientInput,
  type RecipientPolicy,
  validateHtmlBody,
  validateRecipients,
  validateSubject,
  validateTextBody,
} from './validation.js';

export type EmailToolsConfig = Pick<
  AppConfig,
  'EMAIL_MAX_RECIPIENTS' | 'EMAIL_ALLOWED_DOMAINS' | 'SENDER_NAME'
>;

export interface SentResult {
  status: 'sent';
  message_id: string;
  recipients: string[];
  rejected?: string[];
  order_id?: number;
}

const MAX_NOTE_LENGTH = 2000;

const recipientsHelp =
  'one e-mail address, or several separated by commas (plain addresses, no display names)';
const recipients = (what: string) =>
  z.union([z.string(), z.array(z.string())]).describe(`${what}: ${recipientsHelp}`);
/** Models often send null for an optional field; accept it as "not given". */
const optionalRecipients = (what: string) =>
  z
    .union([z.string(), z.array(z.string()), z.null()])
    .optional()
    .describe(`${what}: ${recipientsHelp}`);

const sendEmailArgs = z.object({
  to: recipients('Recipients'),
  subject: z.string().describe(`Single-line subject, at most ${MAX_SUBJECT_LENGTH} characters`),
  body: z.string().describe(`Plain-text body, at most ${MAX_TEXT_BODY_LENGTH} characters`),
  cc: optionalRecipients('Carbon-copy recipients'),
  bcc: optionalRecipients('Blind-carbon-copy recipients'),
});

const sendHtmlEmailArgs = z.object({
  to: recipients('Recipients'),
  subject: z.string().describe(`Single-line subject, at most ${MAX_SUBJECT_LENGTH} characters`),
  html_body: z.string().describe(`HTML body, at most ${MAX_HTML_BODY_LENGTH} characters`),
  text_body: z.string().nullish().describe('Plain-text alternative for clients that do not show HTML'),
});

const attachmentArg = z.object({
  filename: z.string().describe('File name shown to the recipient, e.g. "invoice.csv" (no folders)'),
  content: z
    .string()
    .describe('The file content itself (never a path): text, or base64 when encoding is base64'),
  content_type: z
    .string()
    .nullish()
    .describe('MIME type such as text/csv or application/pdf; guessed from the name'),
  encoding: z.enum(['utf8', 'base64']).default('utf8').describe('How "content" is encoded'),
});

const sendWithAttachmentArgs = z.object({
  to: recipients('Recipients'),
  subject: z.string().describe(`Single-line subject, at most ${MAX_SUBJECT_LENGTH} characters`),
  body: z.string().describe(`Plain-text body, at most ${MAX_TEXT_BODY_LENGTH} characters`),
  attachments: z
    .array(attachmentArg)
    .describe(`1 to ${MAX_ATTACHMENTS} files given inline, at most ${MAX_ATTACHMENT_BYTES} bytes in total`),
});

const orderConfirmationArgs = z.object({
  order_id: orderId,
  to: optionalRecipients("Recipient; defaults to the order's customer e-mail"),
});

const orderStatusArgs = z.object({
  order_id: orderId,
  to: optionalRecipients("Recipient; defaults to the order's customer e-mail"),
  note: z
    .string()
    .nullish()
    .describe(`Optional note for the customer, at most ${MAX_NOTE_LENGTH} characters`),
});

/**
 * The five e-mail tools. Every address, subject and body is checked before anything is sent, order
 * mails only ever read orders of the turn's tenant, and delivery failures come back as ToolError
 * messages the model can explain (server unreachable, message rejected…).
 */
export function createEmailTools(deps: {
  mailer: Pick<Mailer, 'send'>;
  orders: OrderReader;
  config: EmailToolsConfig;
  /** Whose orders and which recipients (ORDER_ACCESS); `customer` unless said otherwise. */
  access?: OrderAccessMode;
}): Tool[] {
  const { mailer, orders, config } = deps;
  const access = createOrderAccess(deps.access ?? 'customer');
  const restricted = access.mode === 'customer';
  const policy: RecipientPolicy = {
    maxRecipients: config.EMAIL_MAX_RECIPIENTS,
    allowedDomains: config.EMAIL_ALLOWED_DOMAINS,
  };
  // In customer mode the domain list is checked below, beside the customer's own address.
  const freePolicy: RecipientPolicy = restricted ? { ...policy, allowedDomains: [] } : policy;

  /** Free mails in customer mode: only to the verified customer or to EMAIL_ALLOWED_DOMAINS. */
  function freeRecipients(
    ctx: ToolContext,
    input: { to: RecipientInput; cc?: RecipientInput; bcc?: RecipientInput },
  ) {
    const r = validateRecipients(input, freePolicy);
    if (!restricted) return r;
    const own = verifiedEmail(ctx)?.toLowerCase();
    for (const address of r.all) {
      const lower = address.toLowerCase();
      if (lower === own || policy.allowedDomains.includes(lower.slice(lower.indexOf('@') + 1))) continue;
      const domains = policy.allowedDomains.length > 0 ? ` or to ${policy.allowedDomains.join(', ')}` : '';
      throw new ToolError(
        `Sending to ${JSON.stringify(address.slice(0, 80))} is not allowed: e-mail goes only to the signed-in customer's own address${domains}.`,
        { reason: 'recipient_not_allowed' },
      );
    }
    return r;
  }

  async function deliver(
    ctx: ToolContext,
    tool: string,
    mail: {
      to: string[];
      cc?: string[];
      bcc?: string[];
      subject: string;
      text?: string;
      html?: string;
      attachments?: MailAttachment[];
    },
  ): Promise<SentResult> {
    if (ctx.signal.aborted) throw new ToolError('The request was cancelled before the e-mail was sent.');
    try {
      const result = await mailer.send({ ...mail, signal: ctx.signal });
      ctx.logger.debug({ to: result.accepted, rejected: result.rejected }, 'e-mail recipients');
      return {
        status: 'sent',
        message_id: result.messageId,
        recipients: result.accepted,
        ...(result.rejected.length > 0 ? { rejected: result.rejected } : {}),
      };
    } catch (err) {
      if (err instanceof MailerError) throw new ToolError(err.message, { reason: err.kind });
      ctx.logger.error({ tool, err }, 'unexpected e-mail failure');
      throw new ToolError('The e-mail could not be sent.', { reason: 'failed' });
    }
  }

  async function loadOrder(ctx: ToolContext, id: number, tool: string): Promise<Order> {
    const order = await orderDatabaseCall(ctx, false, () => orders.getOrder(ctx.tenantId, id));
    return access.visible(ctx, id, order, tool);
  }

  function orderRecipients(order: Order, to: RecipientInput) {
    const given = typeof to === 'string' ? to.trim() : to;
    if (given !== undefined && given !== null && given.length > 0) {
      const r = validateRecipients({ to: given }, policy);
      // In customer mode an order mail goes to the order's own address and nowhere else.
      const own = order.customer_email?.toLowerCase();
      if (restricted && !r.all.every((address) => address.toLowerCase() === own)) {
        throw new ToolError(
          `Order ${order.order_id} mails go only to the address on the order; another recipient is not allowed.`,
          { order_id: order.order_id, reason: 'recipient_not_allowed' },
        );
      }
      return r;
    }
    if (!order.customer_email) {
      throw new ToolError(
        `Order ${order.order_id} has no customer e-mail address; ask the customer for one and pass it as "to".`,
        { order_id: order.order_id, field: 'to' },
      );
    }
    return validateRecipients({ to: order.customer_email }, policy);
  }

  return [
    defineTool({
      name: 'send_email',
      description:
        'Send a plain-text e-mail. "to", "cc" and "bcc" accept comma-separated addresses; ' +
        `at most ${policy.maxRecipients} recipients in total.`,
      parameters: sendEmailArgs,
      async execute(args, ctx) {
        const r = freeRecipients(ctx, { to: args.to, cc: args.cc, bcc: args.bcc });
        const subject = validateSubject(args.subject);
        const text = validateTextBody(args.body, 'body');
        return deliver(ctx, 'send_email', { to: r.to, cc: r.cc, bcc: r.bcc, subject, text });
      },
    }),

    defineTool({
      name: 'send_html_email',
      description:
        'Send an HTML e-mail, optionally with a plain-text alternative. ' +
        `At most ${policy.maxRecipients} recipients.`,
      parameters: sendHtmlEmailArgs,
      async execute(args, ctx) {
        const r = freeRecipients(ctx, { to: args.to });
        const subject = validateSubject(args.subject);
        const html = validateHtmlBody(args.html_body, 'html_body');
        const text = args.text_body ? validateTextBody(args.text_body, 'text_body') : undefined;
        return deliver(ctx, 'send_html_email', { to: r.to, subject, html, text });
      },
    }),

    defineTool({
      name: 'send_email_with_attachment',
      description:
        `Send a plain-text e-mail with 1 to ${MAX_ATTACHMENTS} attachments whose content is given inline ` +
        '(text, or base64 for binary files) — never a file path. At most 1 MB of attachments in total.',
      parameters: sendWithAttachmentArgs,
      async execute(args, ctx) {
        const r = freeRecipients(ctx, { to: args.to });
        const subject = validateSubject(args.subject);
        const text = validateTextBody(args.body, 'body');
        const attachments = prepareAttachments(args.attachments);
        return deliver(ctx, 'send_email_with_attachment', { to: r.to, subject, text, attachments });
      },
    }),

    defineTool({
      name: 'send_order_confirmation',
      description:
        'Send the order confirmation e-mail for an order, to the order\'s customer e-mail unless "to" is given.',
      parameters: orderConfirmationArgs,
      async execute(args, ctx) {
        const order = await loadOrder(ctx, args.order_id, 'send_order_confirmation');
        if (order.status === 'CANCELLED') {
          throw new ToolError(
            `Order ${order.order_id} is cancelled; send a status update instead of a confirmation.`,
            { order_id: order.order_id, status: order.status },
          );
        }
        const r = orderRecipients(order, args.to);
        const mail = renderOrderConfirmation(order, config.SENDER_NAME);
        const sent = await deliver(ctx, 'send_order_confirmation', { to: r.to, ...mail });
        return { ...sent, order_id: order.order_id };
      },
    }),

    defineTool({
      name: 'send_order_status_update',
      description:
        'E-mail the customer the current status of an order (to the order\'s customer e-mail unless "to" is ' +
        'given), with an optional note.',
      parameters: orderStatusArgs,
      async execute(args, ctx) {
        const order = await loadOrder(ctx, args.order_id, 'send_order_status_update');
        const note = args.note?.trim() ? args.note : undefined;
        if (note && note.length > MAX_NOTE_LENGTH) {
          throw new ToolError(
            `The note is ${note.length} characters long; at most ${MAX_NOTE_LENGTH} are allowed.`,
            {
              field: 'note',
            },
          );
        }
        const r = orderRecipients(order, args.to);
        const mail = renderOrderStatusUpdate(order, config.SENDER_NAME, note);
        const sent = await deliver(ctx, 'send_order_status_update', { to: r.to, ...mail });
        return { ...sent, order_id: order.order_id };
      },
    }),
  ];
}
