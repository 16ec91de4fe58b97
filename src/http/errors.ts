import type { ServiceError } from '../errors.js';

export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'SESSION_NOT_FOUND'
  | 'SESSION_BUSY'
  | 'TURN_CANCELLED'
  | 'APPROVAL_NOT_PENDING'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMIT_EXCEEDED'
  | 'QUOTA_EXCEEDED'
  | 'INTERNAL_ERROR'
  | 'LLM_ERROR'
  | 'AGENT_UNAVAILABLE'
  | 'TIMEOUT';

export const STATUS_OF: Record<ErrorCode, number> = {
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  SESSION_BUSY: 409,
  TURN_CANCELLED: 409,
  APPROVAL_NOT_PENDING: 409,
  PAYLOAD_TOO_LARGE: 413,
  IDEMPOTENCY_KEY_REUSED: 422,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMIT_EXCEEDED: 429,
  QUOTA_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  LLM_ERROR: 502,
  AGENT_UNAVAILABLE: 503,
  TIMEOUT: 504,
};

/**
 * An error whose message is safe to show a client. Anything else that reaches the root error handler
 * becomes a generic INTERNAL_ERROR.
 */
export class AppError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.statusCode = STATUS_OF[code];
    this.headers = options?.headers;
  }
  readonly headers: Record<string, string> | undefined;
}

/** The HTTP side of a lower layer's error: its status from the code, its retry hint as Retry-After. */
export function fromServiceError(err: ServiceError): AppError {
  const headers =
    err.retryAfterSeconds === undefined ? undefined : { 'Retry-After': String(err.retryAfterSeconds) };
  return new AppError(err.code, err.message, err.details, {
    cause: err,
    ...(headers ? { headers } : {}),
  });
}

export interface ErrorEnvelope {
  error: ErrorCode;
  message: string;
  details?: unknown;
  request_id: string;
  timestamp: string;
}

export function envelope(err: AppError, requestId: string): ErrorEnvelope {
  return {
    error: err.code,
    message: err.message,
    ...(err.details === undefined ? {} : { details: err.details }),
    request_id: requestId,
    timestamp: new Date().toISOString(),
  };
}
