/**
 * Errors the session stores raise. They carry no HTTP status: the HTTP layer decides how a client
 * sees them (an unreachable store is a 503, a bad attribute a programming error).
 */

/** The store's engine (Redis, the SQLite file) could not be reached or did not answer. */
export class SessionStoreUnavailableError extends Error {
  constructor(
    readonly store: string,
    options?: { cause?: unknown },
  ) {
    super(`the ${store} session store is unavailable`, options);
    this.name = 'SessionStoreUnavailableError';
  }
}

/** An attribute patch broke the bounds in `attributes.ts`; nothing was changed. */
export class SessionAttributesError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'SessionAttributesError';
  }
}
