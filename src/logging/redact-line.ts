import { isCardNumber, maskPii, PII_MASKS } from './pii.js';

export const SECRET_MASK = '[REDACTED]';

/** Shapes of credentials that are never legitimate log content, whoever's they are. */
const KEY_SHAPED: Array<[RegExp, string]> = [
  [/\b(?:sk|rk)-[A-Za-z0-9_-]{16,200}/g, SECRET_MASK],
  [/\beyJ[\w-]{5,4000}\.eyJ[\w-]{5,8000}\.[\w-]{0,2000}/g, SECRET_MASK],
  [/\bAKIA[0-9A-Z]{16}\b/g, SECRET_MASK],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/-]{8,4000}=*/gi, `$1 ${SECRET_MASK}`],
];

/** Cheap test for whether any KEY_SHAPED pattern can match at all. */
const MAYBE_KEY_SHAPED = /sk-|rk-|eyJ|AKIA|bearer|basic/i;
/** pino's own timestamps, in every line: never personal data. */
const ISO_TIME_LITERAL = /^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)"$/;

/** A JSON string literal, or a bare number long enough to be a card number. */
const JSON_TOKEN = /"(?:[^"\\]|\\.)*"|(?<![\w."-])\d{13,19}(?![\w."])/g;

export interface LineRedactorOptions {
  /** Mask e-mail addresses, phone numbers, card numbers and IBANs (LOG_REDACT_PII). */
  pii: boolean;
  /** Configured secret values, masked wherever they appear; values shorter than 6 characters are ignored. */
  secrets?: readonly string[];
}

/**
 * Returns pino's `hooks.streamWrite`: it sees each finished JSON line (message, bindings, serialised
 * errors and their stacks, at every level) just before it is written, so nothing logged anywhere can
 * slip past it. Secrets are cut from the whole line; PII is masked inside JSON strings only, so the
 * line stays valid JSON.
 */
export function createLineRedactor(options: LineRedactorOptions): (line: string) => string {
  const secrets = [
    ...new Set(
      (options.secrets ?? [])
        .filter((s) => s.length >= 6)
        .flatMap((s) => [s, JSON.stringify(s).slice(1, -1)])
        // Longest first, so a secret containing another is cut whole.
        .sort((a, b) => b.length - a.length),
    ),
  ];

  function maskString(literal: string): string {
    if (!/[\d@]/.test(literal) || ISO_TIME_LITERAL.test(literal)) return literal;
    if (!literal.includes('\\')) return `"${maskPii(literal.slice(1, -1))}"`;
    // Escapes (\n, \") would glue characters to a match: mask the decoded text and encode it again.
    return JSON.stringify(maskPii(JSON.parse(literal) as string));
  }

  return (line: string): string => {
    let out = line;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(SECRET_MASK);
    if (MAYBE_KEY_SHAPED.test(out)) {
      for (const [pattern, replacement] of KEY_SHAPED) out = out.replace(pattern, replacement);
    }
    if (!options.pii) return out;
    return out.replace(JSON_TOKEN, (token) =>
      token.startsWith('"') ? maskString(token) : isCardNumber(token) ? `"${PII_MASKS.card}"` : token,
    );
  };
}
