import { maskPii } from '../logging/pii.js';

const MAX_DEPTH = 8;
const MAX_STRING = 2_000;
/** Keys whose values are never stored, whatever they hold. */
const SECRET_KEY = /pass(word)?|secret|token|api[_-]?key|authorization/i;

/**
 * The arguments of a tool call as the audit keeps them: every string with e-mail addresses, phone
 * numbers, card numbers and IBANs masked (the log redaction's own patterns), secrets dropped, long
 * strings cut, deep structures flattened. Returns a new value; the input is not changed.
 */
export function redactArguments(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    const masked = maskPii(value);
    return masked.length > MAX_STRING ? `${masked.slice(0, MAX_STRING)}… [truncated]` : masked;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[nested]';
  if (Array.isArray(value)) return value.map((item) => redactArguments(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[maskPii(key)] = SECRET_KEY.test(key) ? '[redacted]' : redactArguments(item, depth + 1);
  }
  return out;
}

/** A tool's error message as the audit keeps it: masked and short. */
export function redactError(message: string): string {
  const masked = maskPii(message);
  return masked.length > 500 ? `${masked.slice(0, 500)}…` : masked;
}
