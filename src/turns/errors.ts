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

export const TURN_CANCELLED_MESSAGE = 'The turn was cancelled before it finished.';
export const TURN_INTERRUPTED_MESSAGE = 'The turn was interrupted by a newer message on the session.';

/** A running turn was stopped on request (the cancel endpoint, or a newer turn that interrupts it). */
export class TurnCancelledError extends ServiceError {
  constructor(readonly reason: 'cancelled' | 'interrupted') {
    super('TURN_CANCELLED', reason === 'interrupted' ? TURN_INTERRUPTED_MESSAGE : TURN_CANCELLED_MESSAGE);
    this.name = 'TurnCancelledError';
  }
}
