import type { Role, VerifiedCustomer } from '../access/principal.js';
import type { AgentCheckpoint } from '../agent/turn-types.js';
import type { AuditActor } from '../audit/types.js';
import type { TurnKey } from './replay.js';

/** A tool call the turn is waiting on a person for. */
export interface PendingCall {
  callId: string;
  name: string;
  /** The parsed arguments, as the model sent them. */
  arguments: unknown;
}

export type ApprovalStatus = 'pending' | 'approved' | 'declined';

/** One approval of one call of one paused turn. Times are epoch milliseconds. */
export interface Approval extends PendingCall {
  tenantId: string;
  sessionId: string;
  turnId: string;
  status: ApprovalStatus;
  createdAt: number;
  /** Past it, a pending approval counts as declined. */
  expiresAt: number;
  decidedAt?: number;
  /** Who decided (the audit's actor id, e.g. `operator:key-2`), or `expired`. */
  decidedBy?: string;
  reason?: string;
  /** Declined because nobody decided in time. */
  expired?: boolean;
}

export interface Decision {
  status: 'approved' | 'declined';
  reason?: string;
  decidedBy?: string;
  expired?: boolean;
  /**
   * Who resumes the turn if this is its last pending call (an instance id): the claim is stored with
   * the decision, in one step, so a turn whose calls are all decided is never left without one.
   */
  resumer?: string;
}

/** The instance resuming a turn whose calls are all decided, and since when (epoch milliseconds). */
export interface ResumeClaim {
  by: string;
  at: number;
}

/**
 * Everything needed to go on with a paused turn on any instance, after a restart too: who it acts
 * for, the question, and the agent's checkpoint (the messages so far, with the assistant message that
 * asked for the calls, and the results of the calls that did not need an approval).
 */
export interface PausedTurnState {
  requestId: string;
  startedAt: string;
  /** The question, stored in the session when the turn paused. */
  message: string;
  customer?: VerifiedCustomer;
  owner?: string;
  role?: Role;
  actor?: AuditActor;
  idempotencyKey?: string;
  /** The last SSE sequence number sent: the resumed turn's events go on from it. */
  seq: number;
  agent: AgentCheckpoint;
}

export interface PausedTurn {
  /** Absent once the turn resumed and finished (its decisions are kept a while longer). */
  state?: PausedTurnState;
  /** Every approval the turn asked for, in the order asked. */
  approvals: Approval[];
  /** Set by the last decision (and by `reclaim`): someone is resuming the turn. */
  resuming?: ResumeClaim;
}

/** A turn of a session that waits for a decision on some of its calls. */
export interface WaitingTurn {
  turnId: string;
  /** When it paused last (epoch milliseconds). */
  pausedAt: number;
}

export type DecideResult =
  | { outcome: 'decided'; approval: Approval /** Approvals of the turn still pending. */; remaining: number }
  | { outcome: 'not_found' }
  | { outcome: 'not_pending'; approval: Approval };

/**
 * Paused turns and their approvals, where the sessions are (memory, the SQLite file, Redis), so that
 * a decision reaches the turn from any instance and after a restart. `decide` is atomic: of two
 * decisions on one call exactly one wins, and exactly one decision sees `remaining: 0` (its caller
 * resumes the turn).
 */
export interface ApprovalStore {
  /** Stores the paused turn and its new pending calls; a turn that pauses again replaces its state. */
  pause(key: TurnKey, state: PausedTurnState, calls: PendingCall[], expiresAt: number): Promise<void>;
  get(key: TurnKey): Promise<PausedTurn | undefined>;
  decide(key: TurnKey, callId: string, decision: Decision): Promise<DecideResult>;
  /** The tenant's pending approvals, the soonest to expire first. */
  listPending(tenantId: string, limit: number): Promise<Approval[]>;
  /** Pending approvals past their expiry, over all tenants, at most `limit`. */
  due(limit: number): Promise<Approval[]>;
  /** The session's paused turns with calls still waiting for a decision, oldest pause first. */
  waitingIn(tenantId: string, sessionId: string): Promise<WaitingTurn[]>;
  /**
   * Turns still waiting whose calls are all decided but whose resume claim is older than `before`
   * (its resumer died, or its resume failed before the decided calls ran), at most `limit`.
   */
  stalled(before: number, limit: number): Promise<TurnKey[]>;
  /**
   * Takes over the resume of a stalled turn: atomically, only while it still waits, has no pending
   * call and its claim is older than `before`. Of two callers at most one gets `true`.
   */
  reclaim(key: TurnKey, by: string, before: number): Promise<boolean>;
  /**
   * The turn ended (its resume really ran, or never can): its state and claim go, its decisions stay
   * `retainSeconds` (a second decision is told).
   */
  finish(key: TurnKey, retainSeconds: number): Promise<void>;
  close(): Promise<void>;
}

/** JSON of the array keeps the ids apart whatever characters they contain. */
export const turnIdOf = (key: TurnKey) => JSON.stringify([key.tenantId, key.sessionId, key.turnId]);

export function newApprovals(
  key: TurnKey,
  calls: readonly PendingCall[],
  createdAt: number,
  expiresAt: number,
): Approval[] {
  return calls.map((call) => ({
    tenantId: key.tenantId,
    sessionId: key.sessionId,
    turnId: key.turnId,
    callId: call.callId,
    name: call.name,
    arguments: call.arguments,
    status: 'pending',
    createdAt,
    expiresAt,
  }));
}

export function decided(approval: Approval, decision: Decision, at: number): Approval {
  return {
    ...approval,
    status: decision.status,
    decidedAt: at,
    ...(decision.decidedBy ? { decidedBy: decision.decidedBy } : {}),
    ...(decision.reason ? { reason: decision.reason } : {}),
    ...(decision.expired ? { expired: true } : {}),
  };
}

const byExpiry = (a: Approval, b: Approval) => a.expiresAt - b.expiresAt || a.createdAt - b.createdAt;

interface Entry {
  state?: PausedTurnState;
  pausedAt?: number;
  resuming?: ResumeClaim;
  approvals: Map<string, Approval>;
  retainUntil?: number;
}

export interface MemoryApprovalOptions {
  now?: () => number;
}

function isStalled(entry: Entry, before: number): boolean {
  if (!entry.state || entry.retainUntil !== undefined) return false;
  if ([...entry.approvals.values()].some((a) => a.status === 'pending')) return false;
  return (entry.resuming?.at ?? 0) <= before;
}

/** One instance, lost on restart (like the memory session store). */
export function createMemoryApprovalStore(options: MemoryApprovalOptions = {}) {
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();

  function live(key: TurnKey): Entry | undefined {
    const id = turnIdOf(key);
    const entry = entries.get(id);
    if (entry?.retainUntil !== undefined && entry.retainUntil <= now()) {
      entries.delete(id);
      return undefined;
    }
    return entry;
  }

  function pending(): Approval[] {
    const all: Approval[] = [];
    for (const [id, entry] of entries) {
      if (entry.retainUntil !== undefined && entry.retainUntil <= now()) {
        entries.delete(id);
        continue;
      }
      // A turn that ended no longer waits for anything.
      if (!entry.state) continue;
      for (const approval of entry.approvals.values()) if (approval.status === 'pending') all.push(approval);
    }
    return all.sort(byExpiry);
  }

  const store = {
    async pause(key: TurnKey, state: PausedTurnState, calls: PendingCall[], expiresAt: number) {
      const entry = live(key) ?? { approvals: new Map<string, Approval>() };
      entry.state = structuredClone(state);
      entry.pausedAt = now();
      delete entry.retainUntil;
      delete entry.resuming;
      for (const approval of newApprovals(key, calls, now(), expiresAt)) {
        if (!entry.approvals.has(approval.callId)) entry.approvals.set(approval.callId, approval);
      }
      entries.set(turnIdOf(key), entry);
    },
    async get(key: TurnKey): Promise<PausedTurn | undefined> {
      const entry = live(key);
      if (!entry) return undefined;
      return {
        ...(entry.state ? { state: structuredClone(entry.state) } : {}),
        approvals: [...entry.approvals.values()].map((a) => ({ ...a })),
        ...(entry.resuming ? { resuming: { ...entry.resuming } } : {}),
      };
    },
    async decide(key: TurnKey, callId: string, decision: Decision): Promise<DecideResult> {
      const entry = live(key);
      const approval = entry?.approvals.get(callId);
      if (!entry || !approval) return { outcome: 'not_found' };
      if (approval.status !== 'pending' || !entry.state)
        return { outcome: 'not_pending', approval: { ...approval } };
      const next = decided(approval, decision, now());
      entry.approvals.set(callId, next);
      const remaining = [...entry.approvals.values()].filter((a) => a.status === 'pending').length;
      if (remaining === 0) entry.resuming = { by: decision.resumer ?? '', at: now() };
      return { outcome: 'decided', approval: { ...next }, remaining };
    },
    async listPending(tenantId: string, limit: number) {
      return pending()
        .filter((a) => a.tenantId === tenantId)
        .slice(0, limit)
        .map((a) => ({ ...a }));
    },
    async due(limit: number) {
      const at = now();
      return pending()
        .filter((a) => a.expiresAt <= at)
        .slice(0, limit)
        .map((a) => ({ ...a }));
    },
    async waitingIn(tenantId: string, sessionId: string) {
      const found: WaitingTurn[] = [];
      for (const [id, entry] of entries) {
        if (!entry.state || entry.retainUntil !== undefined) continue;
        if (![...entry.approvals.values()].some((a) => a.status === 'pending')) continue;
        const [t, s, turnId] = JSON.parse(id) as [string, string, string];
        if (t === tenantId && s === sessionId) found.push({ turnId, pausedAt: entry.pausedAt ?? 0 });
      }
      return found.sort((a, b) => a.pausedAt - b.pausedAt);
    },
    async stalled(before: number, limit: number) {
      const found: TurnKey[] = [];
      for (const [id, entry] of entries) {
        if (found.length >= limit) break;
        if (!isStalled(entry, before)) continue;
        const [tenantId, sessionId, turnId] = JSON.parse(id) as [string, string, string];
        found.push({ tenantId, sessionId, turnId });
      }
      return found;
    },
    async reclaim(key: TurnKey, by: string, before: number) {
      const entry = live(key);
      if (!entry || !isStalled(entry, before)) return false;
      entry.resuming = { by, at: now() };
      return true;
    },
    async finish(key: TurnKey, retainSeconds: number) {
      const entry = live(key);
      if (!entry) return;
      delete entry.state;
      delete entry.resuming;
      entry.retainUntil = now() + retainSeconds * 1000;
    },
    async close() {
      entries.clear();
    },
  };
  return store satisfies ApprovalStore;
}
