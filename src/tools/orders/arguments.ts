import { z } from 'zod';
import { ORDER_STATUSES } from '../../db/order-types.js';
import { hasAtMostTwoDecimals, MAX_ORDER_AMOUNT } from './money.js';
import { EDITABLE_STATUSES, INITIAL_STATUSES } from './status-transitions.js';

/*
 * Argument schemas of the order tools. They are parsed by the agent loop before a tool runs, so
 * every message here is written for the model to read and correct its call. Models send optional
 * fields as null or "" and numbers as strings, so those forms are accepted and normalised.
 */

export const MAX_QUANTITY = 10_000;
export const MAX_LIST_LIMIT = 50;

const requiredOr = (field: string, message: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `${field} is required` : message;

/** Line breaks and tabs are fine in addresses and remarks; other control characters never are. */
function hasControlCharacters(value: string, allowLineBreaks: boolean): boolean {
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (allowLineBreaks && (char === '\n' || char === '\r' || char === '\t')) continue;
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function text(field: string, maxLength: number, allowLineBreaks = false) {
  return z
    .string({ error: requiredOr(field, `${field} must be a string`) })
    .trim()
    .min(1, `${field} must not be empty`)
    .max(maxLength, `${field} must be at most ${maxLength} characters`)
    .refine(
      (value) => !hasControlCharacters(value, allowLineBreaks),
      `${field} must not contain control characters`,
    );
}

function wholeNumber(field: string, min: number, max: number, message: string) {
  return z
    .union([z.number(), z.string().trim().regex(/^\d+$/).transform(Number)], {
      error: requiredOr(field, message),
    })
    .pipe(z.number().int(message).min(min, message).max(max, message));
}

const blankToUndefined = (value: unknown): unknown =>
  value === null || (typeof value === 'string' && value.trim() === '') ? undefined : value;

/** An optional argument for which null and "" mean "not given". */
function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess(blankToUndefined, schema.optional());
}

const upperCased = (value: unknown): unknown =>
  value === null ? undefined : typeof value === 'string' ? value.trim().toUpperCase() : value;

export const orderId = wholeNumber(
  'order_id',
  1,
  Number.MAX_SAFE_INTEGER,
  'order_id must be a positive whole number such as 42',
).describe('The order number, e.g. 42.');

export const customerName = text('customer_name', 200).describe("The customer's full name.");

export const customerEmail = z
  .string({ error: requiredOr('customer_email', 'customer_email must be a string') })
  .trim()
  .max(254, 'customer_email must be at most 254 characters')
  .check(z.email('customer_email must be a valid e-mail address such as jane@example.com'));

export const billingAddress = text('billing_address', 500, true).describe('The full billing address.');

export const productSku = text('product_sku', 64)
  .regex(/^[A-Za-z0-9._-]+$/, 'product_sku may contain only letters, digits, ".", "_" and "-"')
  .describe('The product SKU (letters, digits, ".", "_", "-"; up to 64 characters), e.g. "WIDGET-001".');

export const quantity = wholeNumber(
  'quantity',
  1,
  MAX_QUANTITY,
  `quantity must be a whole number from 1 to ${MAX_QUANTITY.toLocaleString('en-US')}`,
).describe(`Number of units, a whole number from 1 to ${MAX_QUANTITY.toLocaleString('en-US')}.`);

const amountMessage = 'order_amount must be a number such as 19.99';
export const orderAmount = z
  .union(
    [
      z.number(),
      z
        .string()
        .trim()
        .regex(/^\d+(\.\d+)?$/)
        .transform(Number),
    ],
    {
      error: requiredOr('order_amount', amountMessage),
    },
  )
  .pipe(
    z
      .number(amountMessage)
      .positive('order_amount must be greater than 0')
      .max(MAX_ORDER_AMOUNT, `order_amount must be at most ${MAX_ORDER_AMOUNT.toLocaleString('en-US')}`)
      .refine(hasAtMostTwoDecimals, 'order_amount must have at most 2 decimals, e.g. 19.99'),
  )
  .describe(
    `Total amount of the order in currency units (not cents), greater than 0, at most ${MAX_ORDER_AMOUNT.toLocaleString('en-US')}, with at most 2 decimals, e.g. 19.99.`,
  );

export const remarks = text('remarks', 1000, true);

export const orderStatus = z.preprocess(
  upperCased,
  z.enum(ORDER_STATUSES, {
    error: requiredOr('status', `status must be one of ${ORDER_STATUSES.join(', ')}`),
  }),
);

export const initialStatus = z
  .preprocess(
    upperCased,
    z
      .enum(INITIAL_STATUSES, {
        error: `order_status of a new order must be ${INITIAL_STATUSES.join(' or ')}`,
      })
      .default('PENDING'),
  )
  .describe(
    `Starting status: ${INITIAL_STATUSES.join(' or ')} (default PENDING). Later statuses are reached with update_order_status.`,
  );

export const createOrderArgs = z.strictObject({
  customer_name: customerName,
  billing_address: billingAddress,
  product_sku: productSku,
  quantity,
  order_amount: orderAmount,
  remarks: optional(remarks).describe('Optional notes about the order (up to 1000 characters).'),
  order_status: initialStatus,
  customer_email: optional(customerEmail).describe(
    'Optional customer e-mail address; needed later to e-mail the customer about this order.',
  ),
});

export const getOrderArgs = z.strictObject({ order_id: orderId });

/** `{ order_id: <positive whole number> }`, as models usually send it, without a zod parse. */
export function quickOrderIdArgs(args: unknown): { success: true; data: { order_id: number } } | undefined {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return undefined;
  const keys = Object.keys(args);
  if (keys.length !== 1 || keys[0] !== 'order_id') return undefined;
  const id = (args as { order_id: unknown }).order_id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) return undefined;
  return { success: true, data: { order_id: id } };
}

export const listOrdersArgs = z.strictObject({
  customer_name: optional(customerName).describe(
    "Only this customer's orders (exact full name, case-insensitive).",
  ),
  customer_email: optional(customerEmail).describe(
    'Only orders with this customer e-mail (case-insensitive).',
  ),
  status: optional(orderStatus).describe(`Only orders in this status: ${ORDER_STATUSES.join(', ')}.`),
  limit: z
    .preprocess(
      blankToUndefined,
      wholeNumber(
        'limit',
        1,
        MAX_LIST_LIMIT,
        `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`,
      ).default(10),
    )
    .describe(`How many orders to return, 1 to ${MAX_LIST_LIMIT} (default 10).`),
  offset: z
    .preprocess(
      blankToUndefined,
      wholeNumber('offset', 0, 1_000_000, 'offset must be a whole number from 0 to 1,000,000').default(0),
    )
    .describe('How many of the newest matching orders to skip, for paging (default 0).'),
});

export const UPDATABLE_FIELDS = [
  'billing_address',
  'quantity',
  'order_amount',
  'remarks',
  'customer_email',
] as const;

/** "" clears the remarks; null or leaving a field out keeps it unchanged. */
const replacedRemarks = z
  .preprocess(
    (value) => (value === null ? undefined : typeof value === 'string' && value.trim() === '' ? null : value),
    remarks.nullable().optional(),
  )
  .describe('New remarks, replacing the current ones (up to 1000 characters); an empty string clears them.');

export const updateOrderArgs = z
  .strictObject({
    order_id: orderId,
    billing_address: optional(billingAddress).describe('New billing address.'),
    quantity: optional(quantity).describe(`New quantity, 1 to ${MAX_QUANTITY.toLocaleString('en-US')}.`),
    order_amount: optional(orderAmount).describe('New total amount, e.g. 19.99 (at most 2 decimals).'),
    remarks: replacedRemarks,
    customer_email: optional(customerEmail).describe('New customer e-mail address.'),
  })
  .refine((args) => UPDATABLE_FIELDS.some((field) => args[field] !== undefined), {
    message: `Give at least one field to change: ${UPDATABLE_FIELDS.join(', ')}`,
  });

export const updateOrderStatusArgs = z.strictObject({
  order_id: orderId,
  status: orderStatus.describe(`The new status: ${ORDER_STATUSES.join(', ')}.`),
});

export const cancelOrderArgs = z.strictObject({
  order_id: orderId,
  reason: optional(text('reason', 500)).describe(
    'Optional reason for the cancellation (up to 500 characters); it is added to the order remarks.',
  ),
});

export const EDITABLE_STATUS_TEXT = EDITABLE_STATUSES.join(' or ');
