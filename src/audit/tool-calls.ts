import type { Principal } from '../access/principal.js';
import { customerRef } from '../access/session-access.js';
import type { TurnContext } from '../agent/turn-types.js';
import { maskPii } from '../logging/pii.js';
import type { ToolCallRecord } from '../sessions/types.js';
import type { AuditRecorder } from './recorder.js';
import { redactArguments, redactError } from './redact.js';
import type { AuditActor } from './types.js';

/** The caller as the audit names it: role, how it proved it, key id or subject, hashed customer. */
export function auditActorOf(principal: Principal): AuditActor {
  const id = principal.keyId ?? (principal.subject ? maskPii(principal.subject).slice(0, 255) : undefined);
  return {
    role: principal.role,
    via: principal.via,
    ...(id ? { id } : {}),
    ...(principal.customer ? { customer_ref: customerRef(principal.tenantId, principal.customer) } : {}),
  };
}

function errorOf(record: ToolCallRecord): string | undefined {
  if (record.status === 'ok') return undefined;
  try {
    const value = JSON.parse(record.result ?? '') as { error?: unknown };
    if (typeof value?.error === 'string') return redactError(value.error);
  } catch {
    // Not JSON: the text itself.
  }
  return redactError(record.result ?? 'interrupted');
}

/** The agent's `onToolCallDone` hook: one audit entry per finished (or interrupted) call. */
export function auditToolCalls(recorder: Pick<AuditRecorder, 'record'>) {
  return (ctx: TurnContext, record: ToolCallRecord, startedAt: Date): void => {
    const error = errorOf(record);
    recorder.record({
      tenant_id: ctx.tenantId,
      session_id: ctx.sessionId,
      // A turn is one request until turns get their own ids.
      turn_id: ctx.turnId ?? ctx.requestId,
      request_id: ctx.requestId,
      actor: ctx.actor ?? { role: 'client', via: 'open' },
      tool: record.name,
      arguments: redactArguments(record.arguments),
      status: record.status,
      duration_ms: record.duration_ms,
      ...(error ? { error } : {}),
      timestamp: startedAt.toISOString(),
    });
  };
}
