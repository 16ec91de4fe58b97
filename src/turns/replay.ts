import type { Usage } from '../agent/types.js';
import type { SessionKey, ToolCallRecord } from '../sessions/types.js';

export type TurnStatus =
  | 'running'
  | 'awaiting_approval'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'interrupted';

/** Names one turn; tenant and session are part of it, so a turn id alone reaches nothing. */
export interface TurnKey extends SessionKey {
  turnId: string;
}

/** The small record that lets any instance tell how a turn is doing or how it ended. */
export interface TurnRecord {
  turnId: string;
  tenantId: string;
  sessionId: string;
  status: TurnStatus;
  requestId: string;
  /** The verified customer the turn acted for (a customer reference, never the address). */
  owner?: string;
  startedAt: string;
  endedAt?: string;
  /** The answer, once there is one (partial when the turn was interrupted). */
  message?: string;
  toolCalls: ToolCallRecord[];
  usage?: Usage;
}

export type TurnOutcome = Pick<TurnRecord, 'status' | 'message' | 'toolCalls' | 'usage'>;

/** One SSE event of a turn as it was sent: `seq` counts from 1 within the turn. */
export interface ReplayEvent {
  seq: number;
  data: Record<string, unknown>;
}

export interface ReadOptions {
  /** How long to wait for a new event when there is none yet (0: answer at once). */
  waitMs: number;
  signal?: AbortSignal;
}

export interface ReadResult {
  events: ReplayEvent[];
  /** The turn's last event has been returned (or the turn is gone): nothing more will come. */
  ended: boolean;
}

/**
 * Keeps the events of recent turns so that a client whose stream dropped can re-attach, and a small
 * record of each turn for its status. Bounded per turn and in total; kept for a while after the end.
 */
export interface TurnReplayStore {
  /** Records a new running turn. */
  begin(record: TurnRecord): Promise<void>;
  /** Appends the turn's next event; `last` marks the final one (`done` or `error`). */
  append(key: TurnKey, event: ReplayEvent, last: boolean): Promise<void>;
  /**
   * A turn that paused (awaiting approval) runs again: its record is replaced, its events are kept
   * and new ones follow them. Like `begin` when the store no longer has the turn.
   */
  reopen(record: TurnRecord): Promise<void>;
  /** Stores how the turn ended; the record and its events expire TURN_REPLAY_TTL_SECONDS later. */
  finish(key: TurnKey, outcome: TurnOutcome): Promise<void>;
  get(key: TurnKey): Promise<TurnRecord | undefined>;
  /** The events after `afterSeq` in order, waiting up to `waitMs` for the first when none is there. */
  read(key: TurnKey, afterSeq: number, options: ReadOptions): Promise<ReadResult>;
  close(): Promise<void>;
}

/** Events kept per turn: far more than a long answer needs, few enough to bound a runaway turn. */
export const MAX_EVENTS_PER_TURN = 5_000;

/**
 * Yields the events after `afterSeq`, then follows the turn live until its last event, the signal,
 * or `maxFollowMs` (a turn whose instance died never sends its last event).
 */
export async function* followTurn(
  store: TurnReplayStore,
  key: TurnKey,
  afterSeq: number,
  options: { signal?: AbortSignal; maxFollowMs: number; waitMs?: number },
): AsyncGenerator<ReplayEvent> {
  const deadline = Date.now() + options.maxFollowMs;
  let cursor = afterSeq;
  while (!options.signal?.aborted && Date.now() < deadline) {
    const { events, ended } = await store.read(key, cursor, {
      waitMs: Math.max(0, Math.min(options.waitMs ?? 5_000, deadline - Date.now())),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for (const event of events) {
      cursor = event.seq;
      yield event;
    }
    if (ended) return;
  }
}
