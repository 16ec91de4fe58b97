import { ServiceError } from '../errors.js';

export const TURN_QUEUE_FULL_MESSAGE =
  'Too many requests are already waiting on this session; retry after the current ones finish.';

/** Too many turns are already queued on one session; the client should retry later. */
export class TurnQueueFullError extends ServiceError {
  constructor(readonly waiting: number) {
    super('RATE_LIMIT_EXCEEDED', TURN_QUEUE_FULL_MESSAGE, { retryAfterSeconds: 1 });
    this.name = 'TurnQueueFullError';
  }
}
