import type { Logger } from 'pino';
import type { AgentEvent, CallDecision } from '../agent/turn-types.js';
import type { Usage } from '../agent/types.js';
import { ServiceError } from '../errors.js';
import { childAbort, pause } from '../lib/abort.js';
import { lazyChild } from '../lib/lazy-logger.js';
import type { ToolCallRecord } from '../sessions/types.js';
import type { ApprovalStore, PausedTurnState } from '../turns/approvals.js';
import type { TurnCancellation } from '../turns/cancel-signals.js';
import { TurnCancelledError } from '../turns/errors.js';
import type { ClaimResult, IdempotencyStore, IdempotentOutcome } from '../turns/idempotency.js';
import {
  followTurn,
  type ReplayEvent,
  type TurnKey,
  type TurnRecord,
  type TurnReplayStore,
  type TurnStatus,
} from '../turns/replay.js';
import type { ChatService, ChatTurnRequest, ChatTurnResult } from './chat-service.js';

export type DisconnectPolicy = 'cancel' | 'continue';
export const DISCONNECT_POLICIES = ['cancel', 'continue'] as const;

export interface StartTurnRequest extends ChatTurnRequest {
  turnId: string;
  /** Aborts the turn whatever the policy (shutdown). Its reason, when a ServiceError, is what clients see. */
  signal: AbortSignal;
  /** The client's connection: it stops the turn only with `onDisconnect: 'cancel'`. */
  clientGone: AbortSignal;
  onDisconnect: DisconnectPolicy;
  /** The verified customer the turn acts for, as a customer reference (scopes its status and events). */
  owner?: string;
  /** The Idempotency-Key this turn claimed (see `claim`): its outcome is stored under it. */
  idempotencyKey?: string;
}

export interface IdempotentRequest {
  tenantId: string;
  key: string;
  bodyHash: string;
  sessionId: string;
  turnId: string;
}

/** Gets every event of the turn as it is sent, `last` on the final one (`done` or `error`). */
export type TurnEventListener = (event: ReplayEvent, last: boolean) => void;

/** A call the turn waits on a person for, as clients see it. */
export interface PendingApprovalView {
  call_id: string;
  name: string;
  arguments: unknown;
  /** ISO-8601: past it the call counts as declined. */
  expires_at: string;
}

export interface TurnRunResult extends ChatTurnResult {
  /** Set when the turn paused for approvals (status `awaiting_approval`). */
  pendingApprovals?: PendingApprovalView[];
}

export interface StartedTurn {
  turnId: string;
  /** Settles once the turn ended (or paused) and its record and events were written. */
  finished: Promise<TurnRunResult>;
}

/** Goes on with a paused turn whose calls are all decided. */
export interface ResumeTurnRequest {
  key: TurnKey;
  state: PausedTurnState;
  decisions: Record<string, CallDecision>;
  /** Aborts the resumed turn (shutdown). */
  signal: AbortSignal;
  logger?: Logger;
}

export interface TurnApprovalOptions {
  store: ApprovalStore;
  /** APPROVAL_TTL_MINUTES, in milliseconds: how long a call waits for a decision. */
  ttlMs: number;
  now?: () => number;
}

export interface TurnServiceDeps {
  chat: Pick<ChatService, 'runTurn'> & Partial<Pick<ChatService, 'resumeTurn'>>;
  /** Where turns paused for approvals wait (TOOLS_REQUIRING_APPROVAL). */
  approvals?: TurnApprovalOptions;
  replay: TurnReplayStore;
  cancellation: TurnCancellation;
  idempotency: IdempotencyStore;
  /** How long a claimed key waits for its turn before it is free again (the turn deadline, with a margin). */
  runningTtlSeconds: number;
  logger: Logger;
}

export const IDEMPOTENCY_KEY_REUSED_MESSAGE =
  'This Idempotency-Key was already used with another request body; use a new key for a new request.';

/** Waits between looks at a turn that runs elsewhere, growing from the first to the last. */
const POLL_MIN_MS = 20;
const POLL_MAX_MS = 250;

const INTERNAL_MESSAGE = 'An internal error occurred';
const NEVER = new AbortController().signal;

export const pendingView = (p: { callId: string; name: string; arguments: unknown; expiresAt: number }) => ({
  call_id: p.callId,
  name: p.name,
  arguments: p.arguments,
  expires_at: new Date(p.expiresAt).toISOString(),
});
const CLIENT_GONE_MESSAGE = 'The client disconnected before the turn finished.';

/**
 * A turn as an object with an id: its events numbered and written to the replay store as they are
 * sent, its record kept for status, and its life independent of the client's connection when the
 * client asked for that (`on_disconnect: continue`). Cancel requests reach it from any instance.
 */
export function createTurnService(deps: TurnServiceDeps) {
  const { chat, replay, cancellation, idempotency } = deps;

  const now = deps.approvals?.now ?? Date.now;

  function start(request: StartTurnRequest, listener: TurnEventListener = () => {}): StartedTurn {
    return run(request, listener);
  }

  /** Goes on with a paused turn: its events follow the earlier ones in its replay. */
  function resume(req: ResumeTurnRequest, listener: TurnEventListener = () => {}): StartedTurn {
    const { state } = req;
    const request: StartTurnRequest = {
      ...req.key,
      message: state.message,
      ...(state.customer ? { customer: state.customer } : {}),
      ...(state.owner ? { owner: state.owner } : {}),
      ...(state.role ? { role: state.role } : {}),
      ...(state.actor ? { actor: state.actor } : {}),
      ...(state.idempotencyKey ? { idempotencyKey: state.idempotencyKey } : {}),
      requestId: state.requestId,
      signal: req.signal,
      clientGone: NEVER,
      onDisconnect: 'continue',
      ...(req.logger ? { logger: req.logger } : {}),
    };
    return run(request, listener, { state, decisions: req.decisions });
  }

  function run(
    request: StartTurnRequest,
    listener: TurnEventListener,
    resumed?: { state: PausedTurnState; decisions: Record<string, CallDecision> },
  ): StartedTurn {
    const key: TurnKey = { tenantId: request.tenantId, sessionId: request.sessionId, turnId: request.turnId };
    // The turn's logger, handed down to the chat service and the agent: one child per turn, built
    // only if something logs.
    const log = request.logger
      ? lazyChild(request.logger, { turn_id: request.turnId })
      : lazyChild(deps.logger, { request_id: request.requestId, turn_id: request.turnId });
    // Why someone else stopped the turn (cancel from any instance), told apart from its signals.
    let stopped: TurnCancelledError | undefined;
    const turn =
      request.onDisconnect === 'cancel'
        ? childAbort(request.signal, request.clientGone)
        : childAbort(request.signal);
    const unregister = cancellation.register(key, (reason) => {
      stopped ??= new TurnCancelledError(reason);
      turn.abort(stopped);
    });
    // The turn's signal is its own: the chat service and the agent abort it (deadline, failure)
    // rather than children of it.
    const { signal, abort } = turn;

    const record: TurnRecord = {
      turnId: request.turnId,
      tenantId: request.tenantId,
      sessionId: request.sessionId,
      status: 'running',
      requestId: request.requestId,
      ...(request.owner ? { owner: request.owner } : {}),
      startedAt: resumed?.state.startedAt ?? new Date().toISOString(),
      toolCalls: resumed ? resumed.state.agent.toolCalls : [],
    };
    let warned = false;
    const onWriteError = (err: unknown) => {
      // The live stream goes on; only a later resume or status from elsewhere misses what failed.
      if (!warned) log.warn({ err }, 'could not write the turn to the replay store');
      warned = true;
    };
    // Writes are chained so the store sees the events in order; none of them holds the live stream.
    let writes: Promise<void> = (resumed ? replay.reopen(record) : replay.begin(record)).catch(onWriteError);
    let seq = resumed?.state.seq ?? 0;
    /** `lastInReplay`: the event also ends the turn's replay (not so for a pause, which goes on later). */
    const emit = (data: Record<string, unknown>, last: boolean, lastInReplay = last) => {
      seq += 1;
      const event: ReplayEvent = { seq, data };
      try {
        listener(event, last);
      } catch (err) {
        log.warn({ err }, 'turn event listener failed');
      }
      writes = writes.then(() => replay.append(key, event, lastInReplay).catch(onWriteError));
    };

    // What the turn did so far, for the record of a turn that does not complete.
    let partialAnswer = resumed?.state.agent.answer ?? '';
    const partialCalls = new Map<string, { call: ToolCallRecord; startedAt: number }>(
      (resumed?.state.agent.toolCalls ?? []).map((call) => [call.id, { call, startedAt: 0 }]),
    );
    const ids = { turn_id: request.turnId, session_id: request.sessionId };
    /** A resumed turn got past the point where its decided calls run (or never will). */
    let committed = false;

    const runChat = (onEvent: Parameters<ChatService['runTurn']>[1]) => {
      if (!resumed) {
        // on_busy: interrupt stops the session's running turn wherever it runs (a resumed turn only queues).
        const interrupt = (turnId: string) =>
          cancellation.cancel(
            { tenantId: request.tenantId, sessionId: request.sessionId, turnId },
            'interrupted',
          );
        return chat.runTurn({ ...request, signal, abort, logger: log, interrupt }, onEvent);
      }
      if (!chat.resumeTurn) throw new ServiceError('AGENT_UNAVAILABLE', INTERNAL_MESSAGE);
      return chat.resumeTurn(
        {
          ...request,
          signal,
          abort,
          logger: log,
          checkpoint: resumed.state.agent,
          decisions: resumed.decisions,
          onCommitted: () => {
            committed = true;
          },
        },
        onEvent,
      );
    };

    const finished = (async (): Promise<TurnRunResult> => {
      try {
        const result = await runChat((event) => {
          if (event.type === 'approval_required' || event.type === 'approval_decided') {
            const { id, type, ...rest } = event;
            emit({ type, ...ids, call_id: id, ...rest }, false);
            return;
          }
          if (event.type === 'token') partialAnswer += event.content;
          else if (event.type === 'tool_call') {
            partialCalls.set(event.id, {
              call: {
                id: event.id,
                name: event.name,
                arguments: event.arguments,
                status: 'error',
                duration_ms: 0,
              },
              startedAt: performance.now(),
            });
          } else if (event.type === 'tool_result') {
            const entry = partialCalls.get(event.id);
            if (entry) {
              entry.call.status = event.status;
              entry.call.duration_ms = Math.round(performance.now() - entry.startedAt);
            }
          }
          emit(eventData(event, request.sessionId), false);
        });
        if (result.paused) return await pauseTurn(result);
        emit(
          {
            type: 'done',
            turn_id: request.turnId,
            session_id: request.sessionId,
            message_count: result.messageCount,
            request_id: request.requestId,
            ...(result.usage ? { usage: result.usage } : {}),
          },
          true,
        );
        await settle('completed', result.answer, result.toolCalls, result.usage);
        if (request.idempotencyKey) {
          await remember(request, {
            kind: 'completed',
            answer: result.answer,
            messageCount: result.messageCount,
            toolCalls: result.toolCalls,
            ...(result.usage ? { usage: result.usage } : {}),
            timestamp: result.timestamp,
          });
        }
        if (resumed) await finishApprovals();
        return result;
      } catch (err) {
        const { status, error } = describeFailure(err);
        // The turn's own client left (and asked for that to cancel it): nobody waits for a last
        // event, and a resume just ends after what was sent.
        const clientLeft = status === 'cancelled' && !(error instanceof TurnCancelledError);
        if (!clientLeft)
          emit(
            {
              type: 'error',
              turn_id: request.turnId,
              error: error.code,
              message: error.message,
              session_id: request.sessionId,
              request_id: request.requestId,
            },
            true,
          );
        const toolCalls = [...partialCalls.values()].map((entry) => entry.call);
        if (resumed && !committed && !stopped) {
          // Nothing of the decided calls ran (the session's lock was not had, or shutdown): the
          // turn still waits, its approvals stay, and a sweep resumes it once the claim is stale.
          await settle('awaiting_approval', partialAnswer, toolCalls);
          log.warn({ err: error.code }, 'resumed turn did not get to run; it stays resumable');
          throw error instanceof TurnCancelledError ? error : err;
        }
        await settle(status, partialAnswer, toolCalls);
        if (request.idempotencyKey) {
          // Nothing a retry could repeat happened: the key is free for the retry to run the turn.
          if (toolCalls.length === 0 && !resumed) await forget(request);
          else await remember(request, { kind: 'failed', code: error.code, message: error.message });
        }
        if (resumed) await finishApprovals();
        throw error instanceof TurnCancelledError ? error : err;
      } finally {
        unregister();
        turn.dispose();
      }
    })();

    /** Stores what the turn needs to go on, then tells the client it waits (the stream ends there). */
    async function pauseTurn(result: ChatTurnResult): Promise<TurnRunResult> {
      const checkpoint = result.paused!;
      const approvals = deps.approvals;
      if (!approvals) throw new Error('a turn paused for approval, but no approval store is configured');
      const expiresAt = now() + approvals.ttlMs;
      const pending = checkpoint.pending.map((p) => ({ callId: p.id, name: p.name, arguments: p.arguments }));
      const state: PausedTurnState = {
        requestId: request.requestId,
        startedAt: record.startedAt,
        message: request.message,
        ...(request.customer ? { customer: request.customer } : {}),
        ...(request.owner ? { owner: request.owner } : {}),
        ...(request.role ? { role: request.role } : {}),
        ...(request.actor ? { actor: request.actor } : {}),
        ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}),
        // The awaiting_approval event below takes the next number.
        seq: seq + 1,
        agent: checkpoint,
      };
      // Stored before the client hears of it, so a decision sent at once finds the turn.
      await approvals.store.pause(key, state, pending, expiresAt);
      const views = pending.map((p) => pendingView({ ...p, expiresAt }));
      emit(
        { type: 'awaiting_approval', ...ids, request_id: request.requestId, pending_approvals: views },
        true,
        false,
      );
      await settle('awaiting_approval', result.answer, result.toolCalls, result.usage);
      if (request.idempotencyKey) {
        await remember(request, {
          kind: 'awaiting_approval',
          answer: result.answer,
          messageCount: result.messageCount,
          toolCalls: result.toolCalls,
          timestamp: result.timestamp,
          pendingApprovals: views,
        });
      }
      log.info({ pending: views.map((v) => v.name) }, 'turn awaiting approval');
      return { ...result, pendingApprovals: views };
    }

    async function finishApprovals() {
      try {
        await deps.approvals?.store.finish(key, Math.ceil((deps.approvals?.ttlMs ?? 0) / 1000));
      } catch (err) {
        log.warn({ err }, 'could not mark the paused turn finished');
      }
    }

    async function settle(status: TurnStatus, message: string, toolCalls: ToolCallRecord[], usage?: Usage) {
      const outcome = {
        status,
        ...(message !== '' ? { message } : {}),
        toolCalls,
        ...(usage ? { usage } : {}),
      };
      writes = writes.then(() => replay.finish(key, outcome).catch(onWriteError));
      await writes;
    }

    async function remember(req: StartTurnRequest, outcome: IdempotentOutcome) {
      try {
        await idempotency.complete(req.tenantId, req.idempotencyKey as string, outcome);
      } catch (err) {
        log.warn({ err }, 'could not store the outcome of an idempotent turn');
      }
    }

    async function forget(req: StartTurnRequest) {
      try {
        await idempotency.release(req.tenantId, req.idempotencyKey as string);
      } catch (err) {
        log.warn({ err }, 'could not release an Idempotency-Key');
      }
    }

    /** Why the turn ended early: its status, and the error its `error` event shows. */
    function describeFailure(err: unknown): { status: TurnStatus; error: ServiceError } {
      if (stopped) return { status: stopped.reason, error: stopped };
      const aborted: unknown = request.signal.reason;
      if (request.signal.aborted) {
        const error =
          aborted instanceof ServiceError ? aborted : new ServiceError('AGENT_UNAVAILABLE', INTERNAL_MESSAGE);
        return { status: 'interrupted', error };
      }
      if (request.onDisconnect === 'cancel' && request.clientGone.aborted) {
        return { status: 'cancelled', error: new ServiceError('TURN_CANCELLED', CLIENT_GONE_MESSAGE) };
      }
      if (err instanceof ServiceError) return { status: 'failed', error: err };
      return { status: 'failed', error: new ServiceError('INTERNAL_ERROR', INTERNAL_MESSAGE) };
    }

    return { turnId: request.turnId, finished };
  }

  /**
   * Takes an Idempotency-Key for a new turn, or returns the turn that has it. Another body with the
   * same key is refused with IDEMPOTENCY_KEY_REUSED.
   */
  async function claim(req: IdempotentRequest): Promise<ClaimResult> {
    const result = await idempotency.claim(
      req.tenantId,
      req.key,
      { bodyHash: req.bodyHash, turnId: req.turnId, sessionId: req.sessionId },
      deps.runningTtlSeconds,
    );
    if (!result.claimed && result.record.bodyHash !== req.bodyHash) {
      throw new ServiceError('IDEMPOTENCY_KEY_REUSED', IDEMPOTENCY_KEY_REUSED_MESSAGE);
    }
    return result;
  }

  /** The outcome of the key's turn, waiting for it while it runs (here or on another instance). */
  async function outcomeOf(
    tenantId: string,
    key: string,
    options: { signal?: AbortSignal; maxWaitMs: number },
  ): Promise<IdempotentOutcome | undefined> {
    const deadline = Date.now() + options.maxWaitMs;
    let wait = POLL_MIN_MS;
    while (!options.signal?.aborted) {
      const record = await idempotency.get(tenantId, key);
      if (!record || record.outcome) return record?.outcome;
      if (Date.now() >= deadline) return undefined;
      await pause(Math.min(wait, deadline - Date.now()), options.signal);
      wait = Math.min(wait * 2, POLL_MAX_MS);
    }
    return undefined;
  }

  /**
   * The events of the key's turn for a repeated stream request: replayed (and followed live while
   * it runs) when the replay still has them, else made up from the stored outcome.
   */
  async function* eventsOf(
    tenantId: string,
    key: string,
    claimed: { turnId: string; sessionId: string },
    options: { signal?: AbortSignal; maxFollowMs: number },
  ): AsyncGenerator<ReplayEvent> {
    const turn: TurnKey = { tenantId, sessionId: claimed.sessionId, turnId: claimed.turnId };
    const deadline = Date.now() + options.maxFollowMs;
    let wait = POLL_MIN_MS;
    // The first request may have claimed the key an instant before its turn was recorded.
    for (;;) {
      if (await replay.get(turn)) {
        yield* followTurn(replay, turn, 0, options);
        return;
      }
      const record = await idempotency.get(tenantId, key);
      if (!record || record.outcome || Date.now() >= deadline || options.signal?.aborted) break;
      await pause(wait, options.signal);
      wait = Math.min(wait * 2, POLL_MAX_MS);
    }
    const outcome = (await idempotency.get(tenantId, key))?.outcome;
    if (!outcome) return;
    const base = { turn_id: claimed.turnId, session_id: claimed.sessionId };
    if (outcome.kind === 'completed') {
      if (outcome.answer !== '') {
        yield { seq: 1, data: { type: 'token', content: outcome.answer, session_id: claimed.sessionId } };
      }
      yield {
        seq: outcome.answer !== '' ? 2 : 1,
        data: {
          type: 'done',
          ...base,
          message_count: outcome.messageCount,
          ...(outcome.usage ? { usage: outcome.usage } : {}),
        },
      };
    } else if (outcome.kind === 'awaiting_approval') {
      let seq = 0;
      if (outcome.answer !== '') {
        yield { seq: ++seq, data: { type: 'token', content: outcome.answer, session_id: claimed.sessionId } };
      }
      yield {
        seq: ++seq,
        data: { type: 'awaiting_approval', ...base, pending_approvals: outcome.pendingApprovals },
      };
    } else {
      yield { seq: 1, data: { type: 'error', ...base, error: outcome.code, message: outcome.message } };
    }
  }

  return {
    start,
    resume,
    claim,
    outcomeOf,
    eventsOf,
    /** The turn's record, or undefined when unknown here (or expired). */
    get: (key: TurnKey) => replay.get(key),
    /** Asks the instance running the turn to stop it; the turn keeps what it stored. */
    cancel: (key: TurnKey) => cancellation.cancel(key, 'cancelled'),
    replay,
  };
}

export type TurnService = ReturnType<typeof createTurnService>;

/**
 * An agent event as the stream and the replay carry it, built with one fixed shape per type (a
 * spread into a new object literal gave every event a hidden class of its own).
 */
function eventData(
  event: Exclude<AgentEvent, { type: 'approval_required' | 'approval_decided' }>,
  sessionId: string,
): Record<string, unknown> {
  switch (event.type) {
    case 'token':
      return { type: 'token', content: event.content, session_id: sessionId };
    case 'tool_call':
      return {
        type: 'tool_call',
        id: event.id,
        name: event.name,
        arguments: event.arguments,
        session_id: sessionId,
      };
    case 'tool_result':
      return {
        type: 'tool_result',
        id: event.id,
        name: event.name,
        status: event.status,
        session_id: sessionId,
      };
  }
}
