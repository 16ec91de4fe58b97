import type { Logger } from 'pino';
import type { Usage } from '../agent/types.js';
import { ServiceError } from '../errors.js';
import type { ToolCallRecord } from '../sessions/types.js';
import type { TurnCancellation } from '../turns/cancel-signals.js';
import { TurnCancelledError } from '../turns/errors.js';
import type { ReplayEvent, TurnKey, TurnRecord, TurnReplayStore, TurnStatus } from '../turns/replay.js';
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
}

/** Gets every event of the turn as it is sent, `last` on the final one (`done` or `error`). */
export type TurnEventListener = (event: ReplayEvent, last: boolean) => void;

export interface StartedTurn {
  turnId: string;
  /** Settles once the turn ended and its record and events were written. */
  finished: Promise<ChatTurnResult>;
}

export interface TurnServiceDeps {
  chat: Pick<ChatService, 'runTurn'>;
  replay: TurnReplayStore;
  cancellation: TurnCancellation;
  logger: Logger;
}

const INTERNAL_MESSAGE = 'An internal error occurred';
const CLIENT_GONE_MESSAGE = 'The client disconnected before the turn finished.';

/**
 * A turn as an object with an id: its events numbered and written to the replay store as they are
 * sent, its record kept for status, and its life independent of the client's connection when the
 * client asked for that (`on_disconnect: continue`). Cancel requests reach it from any instance.
 */
export function createTurnService(deps: TurnServiceDeps) {
  const { chat, replay, cancellation } = deps;

  function start(request: StartTurnRequest, listener: TurnEventListener = () => {}): StartedTurn {
    const key: TurnKey = { tenantId: request.tenantId, sessionId: request.sessionId, turnId: request.turnId };
    const log = (request.logger ?? deps.logger).child({ turn_id: request.turnId });
    const stopper = new AbortController();
    const unregister = cancellation.register(key, (reason) => stopper.abort(new TurnCancelledError(reason)));
    const signals = [request.signal, stopper.signal];
    if (request.onDisconnect === 'cancel') signals.push(request.clientGone);
    const signal = AbortSignal.any(signals);

    const record: TurnRecord = {
      turnId: request.turnId,
      tenantId: request.tenantId,
      sessionId: request.sessionId,
      status: 'running',
      requestId: request.requestId,
      ...(request.owner ? { owner: request.owner } : {}),
      startedAt: new Date().toISOString(),
      toolCalls: [],
    };
    let warned = false;
    const onWriteError = (err: unknown) => {
      // The live stream goes on; only a later resume or status from elsewhere misses what failed.
      if (!warned) log.warn({ err }, 'could not write the turn to the replay store');
      warned = true;
    };
    // Writes are chained so the store sees the events in order; none of them holds the live stream.
    let writes: Promise<void> = replay.begin(record).catch(onWriteError);
    let seq = 0;
    const emit = (data: Record<string, unknown>, last: boolean) => {
      seq += 1;
      const event: ReplayEvent = { seq, data };
      try {
        listener(event, last);
      } catch (err) {
        log.warn({ err }, 'turn event listener failed');
      }
      writes = writes.then(() => replay.append(key, event, last).catch(onWriteError));
    };

    // What the turn did so far, for the record of a turn that does not complete.
    let partialAnswer = '';
    const partialCalls = new Map<string, { call: ToolCallRecord; startedAt: number }>();

    const finished = (async (): Promise<ChatTurnResult> => {
      try {
        const result = await chat.runTurn({ ...request, signal }, (event) => {
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
          } else {
            const entry = partialCalls.get(event.id);
            if (entry) {
              entry.call.status = event.status;
              entry.call.duration_ms = Math.round(performance.now() - entry.startedAt);
            }
          }
          emit({ ...event, session_id: request.sessionId }, false);
        });
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
        return result;
      } catch (err) {
        const { status, error } = describeFailure(err);
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
        await settle(
          status,
          partialAnswer,
          [...partialCalls.values()].map((entry) => entry.call),
        );
        throw error instanceof TurnCancelledError ? error : err;
      } finally {
        unregister();
      }
    })();

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

    /** Why the turn ended early: its status, and the error its `error` event shows. */
    function describeFailure(err: unknown): { status: TurnStatus; error: ServiceError } {
      const stopped: unknown = stopper.signal.reason;
      if (stopped instanceof TurnCancelledError) return { status: stopped.reason, error: stopped };
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

  return {
    start,
    /** The turn's record, or undefined when unknown here (or expired). */
    get: (key: TurnKey) => replay.get(key),
    /** Asks the instance running the turn to stop it; the turn keeps what it stored. */
    cancel: (key: TurnKey) => cancellation.cancel(key, 'cancelled'),
    replay,
  };
}

export type TurnService = ReturnType<typeof createTurnService>;
