import { recogniseComplaint } from './complaint-intent.js';
import { findCustomerName } from './names.js';
import { findEmail, findOrderId, optional, scanned, trimTrailing } from './text-scan.js';

/** What the offline router understood of one customer message. */
export type Intent =
  | {
      /** File a new complaint. */
      kind: 'complaint';
      orderId?: number;
      description?: string;
      customerName?: string;
      customerEmail?: string;
    }
  | { kind: 'complaint_lookup'; complaintId?: string }
  | { kind: 'complaint_list'; customerEmail?: string; status?: string; own?: true }
  | {
      kind: 'cancel';
      orderId?: number;
      reason?: string;
      /** "don't cancel…", "do not…", "not…": whatever else the message says, it never cancels. */
      negated?: true;
      /** "yes, cancel order 42": the confirmation the router asks for before it cancels. */
      confirmation?: true;
    }
  /** A bare answer to a yes/no question ("yes", "yes please", "no"). */
  | { kind: 'reply'; answer: 'yes' | 'no' }
  | { kind: 'confirmation'; orderId?: number; to?: string }
  | { kind: 'status'; orderId: number }
  | { kind: 'lookup'; orderId: number }
  | { kind: 'list'; customerName?: string; customerEmail?: string }
  | { kind: 'help' };

const CANCEL = /\bcancel(?:l?ed|l?ing|lation)?\b/i;
const CONFIRMATION = /\bconfirmation\b/i;
const SEND = /\b(?:send|resend|re-send|mail|e-?mail)\b/i;
const CONFIRM = /\bconfirm/i;
const STATUS = /\b(?:where|status|when|arriv\w*|ship(?:ped|ping|ment)?|deliver\w*|track\w*)\b/i;
const LIST_WORD = /\b(?:list|show|find)\b/i;
const ORDER_WORD = /\border/i;
const ORDERS_WORD = /\borders\b/i;
/** Where a reason starts; the reason is the rest of that line. */
const REASON_START = /\b(?:because|since|due to|reason(?:\s+is)?(?:\s*:)?)\s+/i;
const NEGATION = /\b(?:not|never|cannot|dont)\b|n['’]t\b|^\s*no\b(?!\.?\s*#?\d)/i;
/** "yes, cancel order 42" (the phrase the router asks for), also "ok - please cancel order #42". */
const CONFIRMING_CANCEL =
  /^\s*(?:yes|yeah|yep|ok|okay|sure|confirm(?:ed)?|i\s+confirm)\b[\s,.!:;-]*(?:please\s+)?(?:do\s+)?cancel\b/i;

/** Whole-message answers, compared after lower-casing and dropping punctuation. */
const YES =
  /^(?:(?:yes|yeah|yep|yup|y|sure|ok|okay)(?: please)?(?: (?:do it|go ahead|do that|i confirm|confirmed|correct))?(?: please)?|(?:i )?confirm(?:ed)?|go ahead|please do|please go ahead|do it)$/;
const NO =
  /^(?:no|nope|nah|n)(?: (?:thanks|thank you|don't|do not|leave it|keep it|don't cancel it|do not cancel it))?$/;
/** Longer messages are never taken as a bare answer. */
const MAX_REPLY_CHARS = 40;

/** "list/show/find … order": checked in two steps, as `list.*order` would rescan the text from every "list". */
function asksForList(text: string): boolean {
  if (ORDERS_WORD.test(text)) return true;
  const word = LIST_WORD.exec(text);
  return word !== null && ORDER_WORD.test(text.slice(word.index + word[0].length));
}

/** The reason given for a cancellation, and the text before it (where a negation counts). */
function splitReason(text: string): { request: string; reason?: string } {
  const start = REASON_START.exec(text);
  if (!start) return { request: text };
  const rest = text.slice(start.index + start[0].length);
  const newline = rest.indexOf('\n');
  const reason = trimTrailing(newline >= 0 ? rest.slice(0, newline) : rest, ') \t\r.').trim();
  return { request: text.slice(0, start.index), ...(reason === '' ? {} : { reason }) };
}

function bareReply(text: string): 'yes' | 'no' | undefined {
  if (text.length > MAX_REPLY_CHARS || text.includes('?')) return undefined;
  const words = text
    .toLowerCase()
    .replace(/[’]/g, "'")
    .replace(/[^a-z'\s]/g, ' ')
    .trim()
    .split(/\s+/)
    .join(' ');
  if (YES.test(words)) return 'yes';
  if (NO.test(words)) return 'no';
  return undefined;
}

function recogniseCancel(text: string, orderId: number | undefined): Intent {
  const { request, reason } = splitReason(text);
  const negated = NEGATION.test(request);
  // A question ("yes, cancel order 4?") is not a confirmation, nor is anything negated.
  const confirmation = !negated && !text.includes('?') && CONFIRMING_CANCEL.test(request);
  return {
    kind: 'cancel',
    ...(orderId === undefined ? {} : { orderId }),
    ...optional('reason', reason),
    ...(negated ? { negated: true } : {}),
    ...(confirmation ? { confirmation: true } : {}),
  };
}

/**
 * Reads at most `maxChars` of the message (the default keeps every message cheap to scan; tests pass
 * more to check that each pattern stays linear on long input).
 */
export function recogniseIntent(message: string, maxChars?: number): Intent {
  const text = scanned(message, maxChars);
  const reply = bareReply(text);
  if (reply) return { kind: 'reply', answer: reply };

  const orderId = findOrderId(text);
  const email = findEmail(text);

  const complaint = recogniseComplaint(text, orderId, email);
  if (complaint) return complaint;
  if (CANCEL.test(text)) return recogniseCancel(text, orderId);
  if (CONFIRMATION.test(text) || (SEND.test(text) && CONFIRM.test(text))) {
    return { kind: 'confirmation', ...(orderId === undefined ? {} : { orderId }), ...optional('to', email) };
  }
  if (orderId !== undefined && STATUS.test(text)) return { kind: 'status', orderId };
  if (asksForList(text)) {
    const customerName = email === undefined ? findCustomerName(text) : undefined;
    if (email !== undefined || customerName !== undefined || orderId === undefined) {
      return { kind: 'list', ...optional('customerEmail', email), ...optional('customerName', customerName) };
    }
  }
  if (orderId !== undefined) return { kind: 'lookup', orderId };
  return { kind: 'help' };
}
