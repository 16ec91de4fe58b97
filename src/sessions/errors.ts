import { ServiceError } from '../errors.js';

/**
 * Errors the session stores raise. They carry no HTTP status: the HTTP layer decides how a client
 * sees them (an unreachable store is AGENT_UNAVAILABLE, a bad attribute a programming error).
 */

/**
 * The store's engine (Redis, the SQLite file) could not be reached or did not answer. The message is
 * safe to show; the engine's own error is only the cause (logged, never sent).
 */
export class SessionStoreUnavailableError extends ServiceError {
  constructor(
    readonly store: 'memory' | 'sqlite' | 'redis',
    options: { cause?: unknown } = {},
  ) {
    super('AGENT_UNAVAILABLE', 'Conversation storage is unavailable right now; please retry shortly.', {
      ...options,
      retryAfterSeconds: 1,
    });
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
