import { ToolError } from '../registry.js';

export const MAX_ADDRESS_LENGTH = 254;
export const MAX_SUBJECT_LENGTH = 200;
export const MAX_TEXT_BODY_LENGTH = 50_000;
export const MAX_HTML_BODY_LENGTH = 100_000;

export type RecipientField = 'to' | 'cc' | 'bcc';
export type RecipientInput = string | readonly string[] | null | undefined;

export interface RecipientPolicy {
  maxRecipients: number;
  /** Lower-case domains; empty means any domain. */
  allowedDomains: readonly string[];
}

export interface ValidatedRecipients {
  to: string[];
  cc: string[];
  bcc: string[];
  /** Every distinct address across to/cc/bcc, in order, with the domain in lower case. */
  all: string[];
}

// RFC 5321 dot-atom characters; quoted local parts are legal but never needed by real customers.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const LINE_BREAKS = /[\r\n\u2028\u2029]/;

function isControlChar(code: number): boolean {
  return code < 0x20 || code === 0x7f;
}

/** True when the text holds an ASCII control character (CR, LF, NUL, ESC…); tabs count unless allowed. */
export function hasControlChars(text: string, allowTab = false): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isControlChar(code) && !(allowTab && code === 0x09)) return true;
  }
  return false;
}

/** Replaces every run of control characters with one space. */
export function replaceControlChars(text: string): string {
  let out = '';
  let inRun = false;
  for (const ch of text) {
    const control = isControlChar(ch.charCodeAt(0));
    if (control && !inRun) out += ' ';
    else if (!control) out += ch;
    inRun = control;
  }
  return out;
}

/** Echoes user input inside an error without letting it break the message or run on for pages. */
function quote(value: string): string {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(shown);
}

/** Why an address is unusable, or undefined when it is a plain, deliverable-looking address. */
export function addressProblem(address: string): string | undefined {
  if (address.length === 0) return 'it is empty';
  if (address.length > MAX_ADDRESS_LENGTH) return `it is longer than ${MAX_ADDRESS_LENGTH} characters`;
  if (hasControlChars(address) || LINE_BREAKS.test(address)) return 'it contains control characters';
  if (/[<>"]/.test(address) || /\s/.test(address)) {
    return 'give the bare address (name@example.com) without a display name, quotes or spaces';
  }
  const at = address.indexOf('@');
  if (at === -1 || at !== address.lastIndexOf('@')) return 'it must contain exactly one @';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length === 0 || local.length > 64 || !LOCAL_PART.test(local))
    return 'the part before @ is not valid';
  if (domain.length === 0 || domain.length > 253) return 'the domain is not valid';
  const labels = domain.split('.');
  if (labels.length < 2) return 'the domain must have a dot, like example.com';
  if (!labels.every((label) => DOMAIN_LABEL.test(label))) return 'the domain is not valid';
  if (/^\d+$/.test(labels[labels.length - 1]!)) return 'the domain must be a name, not an IP address';
  return undefined;
}

export function isValidEmailAddress(address: string): boolean {
  return addressProblem(address) === undefined;
}

/** Splits "a@x.com, b@y.com; c@z.com" (or an array of such strings) into trimmed, non-empty entries. */
export function splitRecipients(input: RecipientInput): string[] {
  if (input === null || input === undefined) return [];
  const parts = typeof input === 'string' ? [input] : input;
  return parts
    .flatMap((part) => part.split(/[,;]/))
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

/**
 * Parses and checks to/cc/bcc together: each address valid, deduplicated case-insensitively across
 * all three fields (the first occurrence wins), the total capped and, when an allow-list is set,
 * every domain on it.
 */
export function validateRecipients(
  input: { to: RecipientInput; cc?: RecipientInput; bcc?: RecipientInput },
  policy: RecipientPolicy,
): ValidatedRecipients {
  const seen = new Set<string>();
  const result: ValidatedRecipients = { to: [], cc: [], bcc: [], all: [] };
  const fields: RecipientField[] = ['to', 'cc', 'bcc'];
  for (const field of fields) {
    for (const address of splitRecipients(input[field])) {
      const problem = addressProblem(address);
      if (problem) {
        throw new ToolError(`Invalid e-mail address ${quote(address)} in "${field}": ${problem}.`, {
          field,
          address: address.slice(0, MAX_ADDRESS_LENGTH),
        });
      }
      const key = address.toLowerCase();
      if (seen.has(key)) continue;
      const domain = key.slice(key.indexOf('@') + 1);
      if (policy.allowedDomains.length > 0 && !policy.allowedDomains.includes(domain)) {
        throw new ToolError(
          `Sending to ${quote(address)} is not allowed: only these domains may receive e-mail: ${policy.allowedDomains.join(', ')}.`,
          { field, address, allowed_domains: [...policy.allowedDomains] },
        );
      }
      seen.add(key);
      // Domains are case-insensitive and nodemailer lower-cases them on the wire; report what is sent.
      const normalised = `${address.slice(0, address.indexOf('@'))}@${domain}`;
      result[field].push(normalised);
      result.all.push(normalised);
    }
  }
  if (result.to.length === 0) {
    throw new ToolError('At least one recipient address is required in "to".', { field: 'to' });
  }
  if (result.all.length > policy.maxRecipients) {
    throw new ToolError(
      `Too many recipients: ${result.all.length} given across to/cc/bcc, at most ${policy.maxRecipients} allowed.`,
      { field: 'to', count: result.all.length, max: policy.maxRecipients },
    );
  }
  return result;
}

export function validateSubject(subject: string): string {
  if (LINE_BREAKS.test(subject) || hasControlChars(subject, true)) {
    throw new ToolError(
      'The subject must be a single line: line breaks and control characters are not allowed.',
      {
        field: 'subject',
      },
    );
  }
  const trimmed = subject.trim();
  if (trimmed.length === 0) throw new ToolError('The subject must not be empty.', { field: 'subject' });
  if (trimmed.length > MAX_SUBJECT_LENGTH) {
    throw new ToolError(
      `The subject is ${trimmed.length} characters long; at most ${MAX_SUBJECT_LENGTH} are allowed.`,
      {
        field: 'subject',
        length: trimmed.length,
        max: MAX_SUBJECT_LENGTH,
      },
    );
  }
  return trimmed;
}

function validateBody(body: string, field: string, max: number): string {
  if (body.trim().length === 0) throw new ToolError(`"${field}" must not be empty.`, { field });
  if (body.length > max) {
    throw new ToolError(`"${field}" is ${body.length} characters long; at most ${max} are allowed.`, {
      field,
      length: body.length,
      max,
    });
  }
  return body;
}

export function validateTextBody(body: string, field = 'body'): string {
  return validateBody(body, field, MAX_TEXT_BODY_LENGTH);
}

export function validateHtmlBody(body: string, field = 'html_body'): string {
  return validateBody(body, field, MAX_HTML_BODY_LENGTH);
}
