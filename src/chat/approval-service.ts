import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CallDecision } from '../agent/turn-types.js';
import { ServiceError } from '../errors.js';
import type { Approval, ApprovalStore, PausedTurn } from '../turns/approvals.js';
import type { TurnKey } from '../turns/replay.js';
import type { StartedTurn, TurnService } from './turn-service.js';

export interface ApprovalServiceDeps {
  store: ApprovalStore;
  turns: Pick<TurnService, 'resume'>;
  logger: Logger;
  now?: () => number;
  /** How often pending approvals past APPROVAL_TTL_MINUTES are declined; 0 = only when called. */
  sweepIntervalMs?: number;
  /** Approvals declined per sweep at most (the rest wait for the next one). */
  sweepBatch?: number;
  /**
   * How old a resume claim must be before the sweep takes the turn over: longer than a resumed turn
   * can run (the turn deadline, with a margin). Default 10 minutes.
   */
  resumeStaleMs?: number;
  /** This instance's name on the resume claims it takes (a random id by default). */
  instanceId?: string;
}

export interface DecisionInput {
  key: TurnKey;
  callId: string;
  decision: 'approve' | 'decline';
  reason?: string;
  /** Who decided, as the audit log names callers. */
  decidedBy: string;
  /** Aborts the resumed turn (shutdown). */
  signal?: AbortSignal;
  logger?: Logger;
}

export type DecisionOutcome =
  /** Other calls of the turn still wait for a decision. */
  | { resumed: false; approval: Approval; pending: Approval[] }
  /** That was the last one: the turn goes on (`finished` settles when it ended or paused again). */
  | { resumed: true; approval: Approval; turn: StartedTurn };

export const APPROVAL_NOT_FOUND_MESSAGE = 'No such approval on this turn';

const EXPIRED: CallDecision & { decidedBy: string } = {
  approved: false,
  expired: true,
  decidedBy: 'expired',
};

/**
 * Human approval of tool calls (DESIGN §10): decisions from any instance, the list of what waits,
 * and the expiry of what nobody decided in time (a bounded periodic sweep, and a check whenever a
 * turn's approvals are looked at). The last decision on a turn resumes it, on the instance that took it.
 */
export function createApprovalService(deps: ApprovalServiceDeps) {
  const { store, turns } = deps;
  const now = deps.now ?? Date.now;
  const batch = deps.sweepBatch ?? 100;
  const staleMs = deps.resumeStaleMs ?? 600_000;
  const instanceId = deps.instanceId ?? randomUUID();
  const stopping = new AbortController();
  const running = new Set<Promise<unknown>>();
  let sweeping: Promise<unknown> | undefined;

  /** Resumes a turn whose calls are all decided; undefined when it is gone or already ended. */
  async function resumeTurn(key: TurnKey, signal?: AbortSignal, logger?: Logger) {
    const paused = await store.get(key);
    const state = paused?.state;
    if (!paused || !state) return undefined;
    const decisions: Record<string, CallDecision> = {};
    for (const approval of paused.approvals) {
      if (!state.agent.pending.some((p) => p.id === approval.callId)) continue;
      decisions[approval.callId] = {
        approved: approval.status === 'approved',
        ...(approval.reason ? { reason: approval.reason } : {}),
        ...(approval.expired ? { expired: true } : {}),
      };
    }
    const turn = turns.resume({
      key,
      state,
      decisions,
      signal: signal ? AbortSignal.any([signal, stopping.signal]) : stopping.signal,
      ...(logger ? { logger } : {}),
    });
    const done = turn.finished.catch(() => undefined);
    running.add(done);
    void done.finally(() => running.delete(done));
    return turn;
  }

  /** Declines an expired approval; the last decision of its turn resumes the turn in the background. */
  async function expire(approval: Approval): Promise<StartedTurn | undefined> {
    const key = { tenantId: approval.tenantId, sessionId: approval.sessionId, turnId: approval.turnId };
    const result = await store.decide(key, approval.callId, {
      status: 'declined',
      ...EXPIRED,
      resumer: instanceId,
    });
    if (result.outcome !== 'decided') return undefined;
    deps.logger.info(
      { tenant_id: key.tenantId, session_id: key.sessionId, turn_id: key.turnId, tool: approval.name },
      'approval expired, declined',
    );
    return result.remaining === 0 ? resumeTurn(key) : undefined;
  }

  /** The check on access: what expired on this turn is declined before anyone reads it. */
  async function refresh(key: TurnKey): Promise<PausedTurn | undefined> {
    const paused = await store.get(key);
    if (!paused?.state) return paused;
    const expired = paused.approvals.filter((a) => a.status === 'pending' && a.expiresAt <= now());
    if (expired.length === 0) return paused;
    for (const approval of expired) await expire(approval);
    return store.get(key);
  }

  async function decide(input: DecisionInput): Promise<DecisionOutcome> {
    const { key, callId } = input;
    await refresh(key);
    const result = await store.decide(key, callId, {
      status: input.decision === 'approve' ? 'approved' : 'declined',
      decidedBy: input.decidedBy,
      resumer: instanceId,
      ...(input.reason ? { reason: input.reason } : {}),
    });
    if (result.outcome === 'not_found') {
      throw new ServiceError('NOT_FOUND', APPROVAL_NOT_FOUND_MESSAGE, { details: { call_id: callId } });
    }
    if (result.outcome === 'not_pending') {
      const { approval } = result;
      const decidedAs = approval.expired ? 'declined because it expired' : approval.status;
      // Decided, and its turn still waits: it goes on (or the sweep resumes it) with that decision.
      const waiting = approval.status !== 'pending' && (await store.get(key))?.state !== undefined;
      const message =
        approval.status === 'pending'
          ? 'The turn of this call has already ended; nothing was run'
          : waiting
            ? `This call was already ${decidedAs}; the request goes on with that decision`
            : `This call was already ${decidedAs}; nothing was run again`;
      throw new ServiceError('APPROVAL_NOT_PENDING', message, {
        details: {
          call_id: callId,
          status: approval.status,
          ...(approval.decidedAt ? { decided_at: new Date(approval.decidedAt).toISOString() } : {}),
        },
      });
    }
    (input.logger ?? deps.logger).info(
      { turn_id: key.turnId, tool: result.approval.name, decision: input.decision, by: input.decidedBy },
      'approval decided',
    );
    if (result.remaining > 0) {
      const paused = await store.get(key);
      return {
        resumed: false,
        approval: result.approval,
        pending: (paused?.approvals ?? []).filter((a) => a.status === 'pending'),
      };
    }
    const turn = await resumeTurn(key, input.signal, input.logger);
    if (!turn)
      throw new ServiceError('NOT_FOUND', APPROVAL_NOT_FOUND_MESSAGE, { details: { call_id: callId } });
    return { resumed: true, approval: result.approval, turn };
  }

  /**
   * One bounded batch: every pending approval past its expiry is declined, and turns whose calls are
   * all decided but that nobody resumed (their resumer died, or the resume failed before the decided
   * calls ran) are resumed here.
   */
  async function sweep(): Promise<{ declined: number; resumed: Array<StartedTurn['finished']> }> {
    const due = await store.due(batch);
    const resumed: Array<StartedTurn['finished']> = [];
    for (const approval of due) {
      const turn = await expire(approval);
      if (turn) resumed.push(turn.finished);
    }
    const before = now() - staleMs;
    for (const key of await store.stalled(before, batch)) {
      if (!(await store.reclaim(key, instanceId, before))) continue;
      deps.logger.info(
        { tenant_id: key.tenantId, session_id: key.sessionId, turn_id: key.turnId },
        'resuming a decided turn nobody resumed',
      );
      const turn = await resumeTurn(key);
      if (turn) resumed.push(turn.finished);
    }
    return { declined: due.length, resumed };
  }

  const timer =
    deps.sweepIntervalMs && deps.sweepIntervalMs > 0
      ? setInterval(() => {
          if (sweeping) return;
          sweeping = sweep()
            .catch((err: unknown) => deps.logger.warn({ err }, 'approval expiry sweep failed'))
            .finally(() => {
              sweeping = undefined;
            });
        }, deps.sweepIntervalMs)
      : undefined;
  timer?.unref();

  return {
    decide,
    sweep,
    /** The turn's approvals (and its state while it waits), expired ones declined first. */
    get: refresh,
    /** The tenant's pending approvals, soonest to expire first; expired ones are declined, not listed. */
    async listPending(tenantId: string, limit: number): Promise<Approval[]> {
      const pending = await store.listPending(tenantId, limit);
      const live: Approval[] = [];
      for (const approval of pending) {
        if (approval.expiresAt <= now()) await expire(approval);
        else live.push(approval);
      }
      return live;
    },
    /** Stops the sweep and the resumed turns still running here (they are stored as interrupted). */
    async close() {
      if (timer) clearInterval(timer);
      await sweeping;
      stopping.abort(new ServiceError('AGENT_UNAVAILABLE', 'The server is shutting down'));
      await Promise.all(running);
    },
  };
}

export type ApprovalService = ReturnType<typeof createApprovalService>;
