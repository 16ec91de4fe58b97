import type { Logger } from 'pino';
import { mayUseSession, type SessionCaller } from '../access/session-access.js';
import { ServiceError } from '../errors.js';
import type { SessionStore } from '../sessions/types.js';
import type { FeedbackInput, FeedbackStore, StoredFeedback } from './types.js';

export interface FeedbackServiceDeps {
  store: FeedbackStore;
  sessions: Pick<SessionStore, 'get'>;
  logger: Logger;
}

export interface SubmitFeedback extends Omit<FeedbackInput, 'timestamp'> {
  caller: SessionCaller;
  /** The request's logger (carries its request id). */
  logger?: Logger;
}

/**
 * Customers' ratings of answers and sessions (DESIGN §13). A rating needs a session the caller may
 * use (the same rule as the history) and, when it names a turn, an answer of that session from that
 * turn. The comment may hold anything the customer typed, so it is stored but never logged.
 */
export function createFeedbackService(deps: FeedbackServiceDeps) {
  const { store, sessions } = deps;

  return {
    async submit(request: SubmitFeedback): Promise<StoredFeedback> {
      const { caller, logger, ...input } = request;
      const session = await sessions.get({ tenantId: input.tenantId, sessionId: input.sessionId });
      // Another customer's conversation does not exist as far as this caller can tell.
      if (!session || !mayUseSession(caller, input.tenantId, session.attributes)) {
        throw new ServiceError('SESSION_NOT_FOUND', `Session "${input.sessionId}" was not found`, {
          details: { session_id: input.sessionId },
        });
      }
      if (
        input.turnId !== undefined &&
        !session.messages.some((m) => m.role === 'assistant' && m.turn_id === input.turnId)
      ) {
        throw new ServiceError('NOT_FOUND', `Turn "${input.turnId}" has no answer in this session`, {
          details: { turn_id: input.turnId },
        });
      }
      const stored = await store.upsert({ ...input, timestamp: new Date().toISOString() });
      (logger ?? deps.logger).info(
        {
          session_id: stored.session_id,
          turn_id: stored.turn_id,
          rating: stored.rating,
          comment_chars: stored.comment?.length ?? 0,
        },
        'feedback stored',
      );
      return stored;
    },
    query: store.query,
  };
}

export type FeedbackService = ReturnType<typeof createFeedbackService>;
