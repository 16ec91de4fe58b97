import type { ModelError } from '../agent/types.js';
import { ServiceError } from '../errors.js';

export const LLM_ERROR_MESSAGE = 'The language model provider failed. Please try again.';
export const LLM_UNAVAILABLE_MESSAGE =
  'The language model is not available right now. Please try again later.';
export const AGENT_UNAVAILABLE_MESSAGE = 'The agent is not available right now. Please try again later.';
export const LLM_TIMEOUT_MESSAGE = 'The language model did not answer in time. Please try again.';
export const TURN_TIMEOUT_MESSAGE = 'The request took too long to complete. Please try again.';
export const SESSION_BUSY_MESSAGE =
  'Another turn is running on this session. Retry once it has finished, or send on_busy "enqueue" to wait for it.';
export const INTERRUPT_FAILED_MESSAGE =
  'The running turn on this session could not be interrupted right now. Please try again.';

/**
 * The client went away (closed the connection) before its turn finished. Nobody is left to answer,
 * so the route just ends the request; whatever the turn did is already stored.
 */
export class ClientDisconnectedError extends Error {
  constructor(cause?: unknown) {
    super('The client disconnected before the turn finished', cause === undefined ? undefined : { cause });
    this.name = 'ClientDisconnectedError';
  }
}

/** Why the turn ended before its answer, as an error a client may see. */
export function modelErrorToServiceError(err: ModelError): ServiceError {
  switch (err.kind) {
    case 'unavailable':
      return new ServiceError('AGENT_UNAVAILABLE', LLM_UNAVAILABLE_MESSAGE, {
        cause: err,
        ...(err.retryAfterMs === undefined
          ? {}
          : { retryAfterSeconds: Math.max(1, Math.ceil(err.retryAfterMs / 1000)) }),
      });
    case 'timeout':
      return new ServiceError('TIMEOUT', LLM_TIMEOUT_MESSAGE, { cause: err });
    default:
      // 'aborted' without our signal firing means the provider side dropped the call.
      return new ServiceError('LLM_ERROR', LLM_ERROR_MESSAGE, { cause: err });
  }
}
