/**
 * Errors the lower layers (sessions, turns, chat) raise for a client to see. They carry the public
 * error code and a message that is safe to show; only `src/http` decides the status and headers.
 */
export type ServiceErrorCode =
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'SESSION_NOT_FOUND'
  | 'SESSION_BUSY'
  | 'TURN_CANCELLED'
  | 'APPROVAL_NOT_PENDING'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'RATE_LIMIT_EXCEEDED'
  | 'QUOTA_EXCEEDED'
  | 'LLM_ERROR'
  | 'AGENT_UNAVAILABLE'
  | 'TIMEOUT'
  | 'INTERNAL_ERROR';

export interface ServiceErrorOptions {
  details?: unknown;
  cause?: unknown;
  /** How long the client should wait before trying again, when that is known. */
  retryAfterSeconds?: number;
}

export class ServiceError extends Error {
  readonly details: unknown;
  readonly retryAfterSeconds: number | undefined;
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    options: ServiceErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServiceError';
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
