/**
 * What went wrong with the order database, in the terms a caller can act on:
 * - `unavailable`: the engine cannot be reached (down, restarting, network gone); nothing this call
 *   asked for happened (an open transaction is rolled back by the server), and trying later works;
 * - `busy`: the engine is there but refused for now (locked, too many connections, statement timeout).
 * Anything else is a bug or a constraint violation and stays an internal error.
 */
export type DatabaseProblem = 'unavailable' | 'busy';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

// SQLSTATE: 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up).
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03']);
// 53300 too_many_connections, 57014 query_canceled (statement timeout), 55P03 lock_not_available,
// 40001 serialization_failure, 40P01 deadlock_detected.
const BUSY_SQLSTATES = new Set(['53300', '57014', '55P03', '40001', '40P01']);

// node-postgres reports a lost or missing connection with these messages and no code.
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'is not queryable',
  'The database connection is not open',
  'Cannot use a pool after calling end',
];

function problemOf(err: unknown): DatabaseProblem | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
    if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')) {
      return 'unavailable';
    }
    if (BUSY_SQLSTATES.has(code)) return 'busy';
  }
  if (UNAVAILABLE_MESSAGES.some((text) => err.message.includes(text))) return 'unavailable';
  return undefined;
}

/** Looks through wrappers (drizzle's DrizzleQueryError keeps the driver's error as `cause`). */
export function databaseProblem(err: unknown): DatabaseProblem | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const problem = problemOf(current);
    if (problem) return problem;
    current = current.cause;
  }
  return undefined;
}

/**
 * drizzle's query errors carry the SQL text and its parameters (names, e-mail addresses…) in their
 * message; logs must never see those. Returns an error with the driver's own message and code only.
 */
export function withoutQueryDetails(err: unknown): unknown {
  if (!(err instanceof Error) || !('params' in err) || !('query' in err)) return err;
  const cause = err.cause instanceof Error ? err.cause : undefined;
  const safe = new Error(`order database query failed: ${cause?.message ?? 'unknown error'}`);
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') Object.assign(safe, { code });
  return safe;
}
