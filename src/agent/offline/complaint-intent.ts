import type { Intent } from './intents.js';
import { findOwnName } from './names.js';
import { findComplaintId, findEmail, optional } from './text-scan.js';

const COMPLAINT_WORD = /\bcomplain(?:t|ts|ing|ed)?\b/i;
/** Only these file a new complaint; any other mention looks one up or lists them. */
const FILE_COMPLAINT =
  /\b(?:file|make|lodge|submit|raise|register|open)\s+(?:(?:a|an|another|my|this)\s+)?(?:(?:new|formal)\s+)?complaint\b|\b(?:have|got)\s+(?:a|another)\s+complaint\b|\bcomplain(?:ing)?\b/i;
const PLURAL = /\bcomplaints\b/i;
const MY = /\bmy\b/i;
const STATUS_FILTER = /\b(open|in[\s_-]progress|resolved|closed)\s+complaints\b/i;

/**
 * The opening words of a complaint ("Hi, I'd like to file a complaint about order 42,"), removed to
 * leave what went wrong. Every optional part starts with a word, so a run of spaces is matched by one
 * quantifier only and the pattern stays linear.
 */
const COMPLAINT_INTRO =
  /^\s*(?:(?:hi|hello|hey)\b[\s,!.]*)?(?:i(?:'d|’d|\s+would)?\s+(?:like|want|need|wish)\s+to\s+)?(?:(?:file|make|lodge|submit|raise|open|register)\s+)?(?:a\s+)?complain(?:t|ts)?\b(?:\s+(?:about|regarding|concerning|for|on)\s+(?:my\s+)?order(?:\s*(?:number|no\.?))?(?:\s*#)?\s*\d+)?[\s,.:-]*/i;

/** What went wrong, without the sentences that only give the customer's name or e-mail. */
function complaintDescription(text: string): string | undefined {
  const colon = text.indexOf(':');
  const body = colon >= 0 ? text.slice(colon + 1) : text.replace(COMPLAINT_INTRO, '');
  const sentences = body
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !/\bmy name is\b/i.test(s) && findEmail(s) === undefined);
  const description = sentences.join(' ').trim();
  return description.split(/\s+/).length >= 2 ? description : undefined;
}

/**
 * A message about complaints: filing one ("I want to file a complaint…", "I want to complain…"),
 * looking one up by its reference, or listing them. Undefined when the message is not about complaints.
 */
export function recogniseComplaint(
  text: string,
  orderId: number | undefined,
  email: string | undefined,
): Intent | undefined {
  if (!COMPLAINT_WORD.test(text)) return undefined;
  if (FILE_COMPLAINT.test(text)) {
    return {
      kind: 'complaint',
      ...(orderId === undefined ? {} : { orderId }),
      ...optional('description', complaintDescription(text)),
      ...optional('customerName', findOwnName(text)),
      ...optional('customerEmail', email),
    };
  }
  const complaintId = findComplaintId(text);
  if (complaintId !== undefined) return { kind: 'complaint_lookup', complaintId };
  // "my complaint" with an address: the customer's complaints are found by that address.
  if (PLURAL.test(text) || email !== undefined) {
    const status = STATUS_FILTER.exec(text)?.[1]?.toLowerCase().replace(/[\s-]/, '_');
    return {
      kind: 'complaint_list',
      ...optional('customerEmail', email),
      ...optional('status', status),
      ...(MY.test(text) ? { own: true } : {}),
    };
  }
  return { kind: 'complaint_lookup' };
}
