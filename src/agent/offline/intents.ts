/** What the offline router understood of one customer message. */
export type Intent =
  | {
      kind: 'complaint';
      orderId?: number;
      description?: string;
      customerName?: string;
      customerEmail?: string;
    }
  | { kind: 'cancel'; orderId?: number; reason?: string }
  | { kind: 'confirmation'; orderId?: number; to?: string }
  | { kind: 'status'; orderId: number }
  | { kind: 'lookup'; orderId: number }
  | { kind: 'list'; customerName?: string; customerEmail?: string }
  | { kind: 'help' };

/** "order 42", "order #42", "order no. 42", "order number 42", "order id: 42", or a bare "#42". */
const ORDER_ID = /(?:\border\s*(?:number|no\.?|nr\.?|id)?\s*[:#]?\s*|#\s?)(\d{1,12})\b/i;
const EMAIL = /[A-Z0-9._%+-]+@[A-Z0-9-]+(?:\.[A-Z0-9-]+)*\.[A-Z]{2,}/i;

const COMPLAINT = /\bcomplain(?:t|ts|ing|ed)?\b/i;
const CANCEL = /\bcancel(?:l?ed|l?ing|lation)?\b/i;
const CONFIRMATION = /\bconfirmation\b/i;
const SEND = /\b(?:send|resend|re-send|mail|e-?mail)\b/i;
const CONFIRM = /\bconfirm/i;
const STATUS = /\b(?:where|status|when|arriv\w*|ship(?:ped|ping|ment)?|deliver\w*|track\w*)\b/i;
const LIST = /\borders\b|\b(?:list|show|find)\b.*\border/i;
const REASON = /\b(?:because|since|due to|reason(?:\s+is)?\s*:?)\s+(.+)$/i;

/** Words that end a name taken from free text. */
const NAME_STOP = new Set([
  'and',
  'or',
  'but',
  'with',
  'from',
  'email',
  'e-mail',
  'mail',
  'at',
  'my',
  'i',
  'please',
  'for',
  'about',
  'to',
  'because',
  'the',
  'order',
  'orders',
  'who',
  'placed',
  'by',
  'on',
  'in',
  'is',
  'was',
  'have',
  'has',
]);

export function findOrderId(text: string): number | undefined {
  const match = ORDER_ID.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

export function findEmail(text: string): string | undefined {
  return EMAIL.exec(text)?.[0];
}

/** Up to four words of a name, ended by punctuation, an e-mail, a digit or a connecting word. */
function takeName(text: string): string | undefined {
  const name: string[] = [];
  for (const raw of text.trim().split(/\s+/)) {
    const word = raw.replace(/^["'(]+/, '');
    const clean = word.replace(/[.,;:!?)"']+$/, '');
    if (clean === '' || NAME_STOP.has(clean.toLowerCase()) || clean.includes('@') || /\d/.test(clean)) break;
    name.push(clean);
    if (clean !== word || name.length === 4) break;
  }
  return name.length > 0 ? name.join(' ') : undefined;
}

function nameAfter(pattern: RegExp, text: string): string | undefined {
  const match = pattern.exec(text);
  return match?.[1] === undefined ? undefined : takeName(match[1]);
}

/** The customer's own name, when they give it ("my name is Jane Doe", "name: Jane Doe"). */
export function findOwnName(text: string): string | undefined {
  return nameAfter(/\bmy name is\s+(.+)/i, text) ?? nameAfter(/\bname\s*[:=]\s*(.+)/i, text);
}

/** The customer whose orders to list ("orders for Jane Doe", "customer Jane Doe"). */
function findCustomerName(text: string): string | undefined {
  return (
    findOwnName(text) ??
    nameAfter(/\borders?\s+(?:placed\s+)?(?:for|of|by|from)\s+(?:the\s+)?(?:customer\s+)?(.+)/i, text) ??
    nameAfter(/\bcustomer\s+(?:named\s+)?(.+)/i, text)
  );
}

const COMPLAINT_INTRO =
  /^\s*(?:(?:hi|hello|hey)\b[\s,!.]*)?(?:i(?:'d|’d|\s+would)?\s+(?:like|want|need|wish)\s+to\s+)?(?:file|make|lodge|submit|raise|open|register)?\s*(?:a\s+)?complain(?:t|ts)?\b(?:\s+(?:about|regarding|concerning|for|on)\s+(?:my\s+)?order\s*(?:number|no\.?)?\s*#?\s*\d+)?[\s,.:-]*/i;

/** What went wrong, without the sentences that only give the customer's name or e-mail. */
function complaintDescription(text: string): string | undefined {
  const colon = text.indexOf(':');
  const body = colon >= 0 ? text.slice(colon + 1) : text.replace(COMPLAINT_INTRO, '');
  const sentences = body
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !/\bmy name is\b/i.test(s) && !EMAIL.test(s));
  const description = sentences.join(' ').trim();
  return description.split(/\s+/).length >= 2 ? description : undefined;
}

function cleanReason(text: string): string | undefined {
  const reason = text.replace(/[)\s.]+$/, '').trim();
  return reason === '' ? undefined : reason;
}

export function recogniseIntent(text: string): Intent {
  const orderId = findOrderId(text);
  const email = findEmail(text);

  if (COMPLAINT.test(text)) {
    return {
      kind: 'complaint',
      ...(orderId === undefined ? {} : { orderId }),
      ...optional('description', complaintDescription(text)),
      ...optional('customerName', findOwnName(text)),
      ...optional('customerEmail', email),
    };
  }
  if (CANCEL.test(text)) {
    const reason = REASON.exec(text)?.[1];
    return {
      kind: 'cancel',
      ...(orderId === undefined ? {} : { orderId }),
      ...optional('reason', reason === undefined ? undefined : cleanReason(reason)),
    };
  }
  if (CONFIRMATION.test(text) || (SEND.test(text) && CONFIRM.test(text))) {
    return { kind: 'confirmation', ...(orderId === undefined ? {} : { orderId }), ...optional('to', email) };
  }
  if (orderId !== undefined && STATUS.test(text)) return { kind: 'status', orderId };
  if (LIST.test(text)) {
    const customerName = email === undefined ? findCustomerName(text) : undefined;
    if (email !== undefined || customerName !== undefined || orderId === undefined) {
      return { kind: 'list', ...optional('customerEmail', email), ...optional('customerName', customerName) };
    }
  }
  if (orderId !== undefined) return { kind: 'lookup', orderId };
  return { kind: 'help' };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
