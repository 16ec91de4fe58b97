import type { Role } from '../access/principal.js';
import type { AuditActor, AuditEntry, StoredAuditEntry } from './types.js';

/** The engine-independent columns of a row (the timestamp's type differs per engine). */
export function toRow(entry: AuditEntry) {
  return {
    tenantId: entry.tenant_id,
    sessionId: entry.session_id,
    turnId: entry.turn_id,
    requestId: entry.request_id,
    actorRole: entry.actor.role,
    actorVia: entry.actor.via,
    actorId: entry.actor.id ?? null,
    customerRef: entry.actor.customer_ref ?? null,
    tool: entry.tool,
    arguments: JSON.stringify(entry.arguments ?? null),
    status: entry.status,
    durationMs: entry.duration_ms,
    error: entry.error ?? null,
  };
}

interface RowColumns {
  id: number;
  tenantId: string;
  sessionId: string;
  turnId: string;
  requestId: string;
  actorRole: string;
  actorVia: string;
  actorId: string | null;
  customerRef: string | null;
  tool: string;
  arguments: string;
  status: 'ok' | 'error';
  durationMs: number;
  error: string | null;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The actor as a stored row names it (the audit log and the feedback table store it alike). */
export function actorFromRow(row: {
  actorRole: string;
  actorVia: string;
  actorId: string | null;
  customerRef: string | null;
}): AuditActor {
  return {
    role: row.actorRole as Role,
    via: row.actorVia as AuditActor['via'],
    ...(row.actorId ? { id: row.actorId } : {}),
    ...(row.customerRef ? { customer_ref: row.customerRef } : {}),
  };
}

export function fromRow(row: RowColumns, timestamp: string): StoredAuditEntry {
  const actor = actorFromRow(row);
  return {
    id: row.id,
    tenant_id: row.tenantId,
    session_id: row.sessionId,
    turn_id: row.turnId,
    request_id: row.requestId,
    actor,
    tool: row.tool,
    arguments: parse(row.arguments),
    status: row.status,
    duration_ms: row.durationMs,
    ...(row.error ? { error: row.error } : {}),
    timestamp,
  };
}
