import type { AuditActor } from '../audit/types.js';

/** The longest comment kept with a rating. */
export const MAX_FEEDBACK_COMMENT = 2_000;

/** One rating as the caller gave it. `turnId` absent: the rating is for the whole session. */
export interface FeedbackInput {
  tenantId: string;
  sessionId: string;
  turnId?: string;
  rating: number;
  comment?: string;
  requestId: string;
  actor: AuditActor;
  /** When it was given (ISO-8601). */
  timestamp: string;
}

/** A stored rating as the API shows it. */
export interface StoredFeedback {
  id: number;
  tenant_id: string;
  session_id: string;
  /** Null: the rating is for the whole session. */
  turn_id: string | null;
  rating: number;
  comment: string | null;
  request_id: string;
  actor: AuditActor;
  /** When the (latest) rating was given (ISO-8601). */
  timestamp: string;
}

export interface FeedbackQuery {
  tenantId: string;
  sessionId?: string;
  /** Only ratings given at or after this instant. */
  since?: Date;
  limit: number;
  offset: number;
}

export interface FeedbackPage {
  total: number;
  items: StoredFeedback[];
}

/** The feedback table on one engine; one implementation per engine, one contract test suite. */
export interface FeedbackStore {
  /**
   * Stores the rating; an earlier one for the same session and turn (or the same whole session) is
   * replaced, keeping its id. Returns the row as stored.
   */
  upsert(input: FeedbackInput): Promise<StoredFeedback>;
  /** Newest first, always within one tenant. */
  query(query: FeedbackQuery): Promise<FeedbackPage>;
}
