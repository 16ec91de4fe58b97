import { actorFromRow } from '../audit/rows.js';
import type { FeedbackInput, StoredFeedback } from './types.js';

/** The turn column of a rating for the whole session (a unique index treats NULLs as all different). */
const WHOLE_SESSION = '';

/** The engine-independent columns of a row (the timestamp's type differs per engine). */
export function toRow(input: FeedbackInput) {
  return {
    tenantId: input.tenantId,
    sessionId: input.sessionId,
    turnId: input.turnId ?? WHOLE_SESSION,
    rating: input.rating,
    comment: input.comment ?? null,
    requestId: input.requestId,
    actorRole: input.actor.role,
    actorVia: input.actor.via,
    actorId: input.actor.id ?? null,
    customerRef: input.actor.customer_ref ?? null,
  };
}

interface RowColumns {
  id: number;
  tenantId: string;
  sessionId: string;
  turnId: string;
  rating: number;
  comment: string | null;
  requestId: string;
  actorRole: string;
  actorVia: string;
  actorId: string | null;
  customerRef: string | null;
}

export function fromRow(row: RowColumns, timestamp: string): StoredFeedback {
  const actor = actorFromRow(row);
  return {
    id: row.id,
    tenant_id: row.tenantId,
    session_id: row.sessionId,
    turn_id: row.turnId === WHOLE_SESSION ? null : row.turnId,
    rating: row.rating,
    comment: row.comment,
    request_id: row.requestId,
    actor,
    timestamp,
  };
}
