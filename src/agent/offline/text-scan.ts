/**
 * Finders for the values the offline router reads out of free text. Customer text is untrusted and
 * can be long, so every pattern here runs in time linear in its input: no two adjacent quantifiers may
 * match the same characters, and anything that would need backtracking is done by hand instead.
 */

/** The router reads at most this much of any one message; a request is never longer in practice. */
export const MAX_SCANNED_CHARS = 2_000;

export function scanned(text: string, maxChars = MAX_SCANNED_CHARS): string {
  return text.length > maxChars ? text.slice(0, maxChars) : text;
}

/**
 * "order 42", "order #42", "order no. 42", "order nr 42", "order number 42", "order id: 42", or a bare
 * "#42". Each optional part starts with its own `\s*`, so a run of spaces is tried once per part, never
 * once per combination of parts.
 */
const ORDER_ID = /(?:\border(?:\s*(?:number|no\.?|nr\.?|id))?(?:\s*[:#])?\s*|#\s?)(\d{1,12})\b/i;

/** Complaint references as the complaints service issues them ("CMP-7K2QX9AB"). */
const COMPLAINT_ID = /\bCMP-([A-Z0-9]{4,16})\b/i;

const LOCAL_PART_CHAR = /[A-Z0-9._%+-]/i;
const DOMAIN_CHAR = /[A-Z0-9.-]/i;
/** Anchored and applied to one run of domain characters only; labels are separated by dots, so unambiguous. */
const DOMAIN = /^[A-Z0-9-]+(?:\.[A-Z0-9-]+)*\.[A-Z]{2,}/i;

export function findOrderId(text: string): number | undefined {
  const match = ORDER_ID.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

export function findComplaintId(text: string): string | undefined {
  const match = COMPLAINT_ID.exec(text);
  return match?.[1] === undefined ? undefined : `CMP-${match[1].toUpperCase()}`;
}

/**
 * The first e-mail address in the text. Found from each '@' outwards rather than with one regex: a
 * regex tried at every start of a long run of letters costs quadratic time. Neither part can contain an
 * '@', so each character is looked at a bounded number of times.
 */
export function findEmail(text: string): string | undefined {
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > 0 && LOCAL_PART_CHAR.test(text.charAt(start - 1))) start--;
    if (start === at) continue;
    let end = at + 1;
    while (end < text.length && DOMAIN_CHAR.test(text.charAt(end))) end++;
    const domain = DOMAIN.exec(text.slice(at + 1, end))?.[0];
    if (domain !== undefined) return `${text.slice(start, at)}@${domain}`;
  }
  return undefined;
}

/** `text` without the trailing characters in `chars` (a hand-written loop: `/[…]+$/` is quadratic). */
export function trimTrailing(text: string, chars: string): string {
  let end = text.length;
  while (end > 0 && chars.includes(text.charAt(end - 1))) end--;
  return text.slice(0, end);
}

/** `{ [key]: value }` when a value was found, else `{}` — for spreading found values into an intent. */
export function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
