import type { Logger } from 'pino';
import { createOrderAccessProof } from '../access/order-access.js';
import type { Role, VerifiedCustomer } from '../access/principal.js';
import { bindingFor, mayUseSession } from '../access/session-access.js';
import type { Agent, AgentEventListener } from '../agent/loop.js';
import { TurnInterruptedError } from '../agent/turn-types.js';
import { ModelError, type Usage } from '../agent/types.js';
import type { AuditActor } from '../audit/types.js';
import { ServiceError } from '../errors.js';
import { abortReason, childAbort } from '../lib/abort.js';
import { countConversationMessages } from '../sessions/index.js';
import { sessionStatus } from '../sessions/status.js';
import type { SessionKey, SessionStore, StoredMessage, ToolCallRecord } from '../sessions/types.js';
import { runExclusive, type TurnLock } from '../turns/turn-lock.js';
import { ClientDisconnectedError, modelErrorToServiceError, TURN_TIMEOUT_MESSAGE } from './turn-errors.js';

export interface ChatServiceConfig {
  TURN_TIMEOUT_MS: number;
}

export interface ChatServiceDeps {
  agent: Agent;
  sessions: SessionStore;
  /** Serialises the turns of one session (arrival order, bounded waiting). */
  turnLock: TurnLock;
  config: ChatServiceConfig;
  logger: Logger;
  /** TENANT_TOKEN_QUOTAS: checked before a turn, fed with its usage after it. */
  quotas?: TurnQuotas;
}

/** The part of the token quotas a turn needs. */
export interface TurnQuotas {
  check(
    tenantId: string,
  ): Promise<{ ok: true; remaining?: number } | { ok: false; limit: number; retryAfterSeconds: number }>;
  consume(tenantId: string, tokens: number): Promise<number | undefined>;
}

export const QUOTA_EXCEEDED_MESSAGE =
  "This tenant's daily token quota is used up; try again after it resets (see Retry-After)";

export interface ChatTurnRequest {
  tenantId: string;
  sessionId: string;
  message: string;
  /** The customer the turn acts for, when the caller vouched for one. */
  customer?: VerifiedCustomer;
  /** The caller's role (`client` when absent): decides who may continue a customer's session. */
  role?: Role;
  /** Who called, as the audit log names it. */
  actor?: AuditActor;
  requestId: string;
  /** The turn's id (X-Turn-ID), for the tools' audit records. */
  turnId?: string;
  /** Aborts when the client disconnects. */
  signal: AbortSignal;
  /** The answer goes out as SSE tokens (models that pace their output only do so then). */
  streaming?: boolean;
  /** The request's logger (carries request id etc.); the service's logger otherwise. */
  logger?: Logger;
}

export interface ChatTurnResult {
  answer: string;
  /** User + assistant messages in the session after this turn. */
  messageCount: number;
  toolCalls: ToolCallRecord[];
  usage?: Usage & { quota_remaining?: number };
  /** When the answer was completed (ISO-8601). */
  timestamp: string;
}

export const SESSION_OF_ANOTHER_CUSTOMER = 'This conversation belongs to another customer';

/** The answer to a customer's message while a person has the session (the message is kept for them). */
export const HANDOFF_NOTICE =
  'Thank you, your message has been passed on. A person from our team will reply here as soon as they can.';

/** The abort reason of the turn deadline, told apart from the client's own abort by identity. */
class TurnDeadlineReached extends Error {
  constructor(ms: number) {
    super(`turn deadline of ${ms} ms reached`);
    this.name = 'TurnDeadlineReached';
  }
}

export function createChatService(deps: ChatServiceDeps) {
  const { agent, sessions, turnLock, config } = deps;

  /**
   * Runs one turn: waits for the session's earlier turns, runs the agent on the stored history, and
   * stores the user message with the answer. Rejects with a ServiceError for the client, with
   * ClientDisconnectedError when the client left, or with an unexpected error (→ INTERNAL_ERROR).
   */
  async function runTurn(request: ChatTurnRequest, onEvent: AgentEventListener): Promise<ChatTurnResult> {
    // The request's logger already carries request_id; only the service's own needs it added.
    const log = request.logger
      ? request.logger.child({ tenant_id: request.tenantId, session_id: request.sessionId })
      : deps.logger.child({
          request_id: request.requestId,
          tenant_id: request.tenantId,
          session_id: request.sessionId,
        });
    if (request.signal.aborted) throw new ClientDisconnectedError(request.signal.reason);
    if (deps.quotas) {
      const quota = await deps.quotas.check(request.tenantId);
      if (!quota.ok) {
        log.warn({ limit: quota.limit, retry_after_s: quota.retryAfterSeconds }, 'token quota exceeded');
        throw new ServiceError('QUOTA_EXCEEDED', QUOTA_EXCEEDED_MESSAGE, {
          retryAfterSeconds: quota.retryAfterSeconds,
          details: { limit: quota.limit, window: 'day' },
        });
      }
    }

    const key: SessionKey = { tenantId: request.tenantId, sessionId: request.sessionId };
    const receivedAt = new Date().toISOString();
    // The deadline starts on arrival: time spent waiting behind earlier turns counts for the client.
    const turn = childAbort(request.signal);
    // The reason (an Error, with its stack) is made only if the deadline is reached.
    const timer = setTimeout(
      () => turn.abort(new TurnDeadlineReached(config.TURN_TIMEOUT_MS)),
      config.TURN_TIMEOUT_MS,
    );
    const { signal } = turn;
    const startedAt = performance.now();
    log.debug({ message: request.message }, 'chat turn received');

    try {
      // While the turn only waits for the lock, an abort ends the wait at once; once it runs, the
      // agent stops promptly by itself and the interrupted turn is stored before we return.
      const result = await runExclusive(
        turnLock,
        key,
        async (lost) => {
          if (signal.aborted) throw abortReason(signal);
          if (lost.aborted) throw abortReason(lost);
          // A shared lock that can no longer be renewed stops the turn: another may start soon.
          const locked = childAbort(signal, lost);
          try {
            return await runLocked(agent, request, key, receivedAt, locked.signal, log, onEvent);
          } finally {
            locked.dispose();
          }
        },
        { signal },
      );
      log.info(
        {
          duration_ms: Math.round(performance.now() - startedAt),
          tool_calls: result.toolCalls.length,
          message_count: result.messageCount,
          usage: result.usage,
        },
        'chat turn completed',
      );
      return result;
    } catch (err) {
      throw classify(err, {
        timedOut: signal.aborted && signal.reason instanceof TurnDeadlineReached,
        clientGone: request.signal.aborted,
        log,
        durationMs: Math.round(performance.now() - startedAt),
      });
    } finally {
      clearTimeout(timer);
      turn.dispose();
    }
  }

  async function runLocked(
    agent: Agent,
    request: ChatTurnRequest,
    key: SessionKey,
    receivedAt: string,
    signal: AbortSignal,
    log: Logger,
    onEvent: AgentEventListener,
  ): Promise<ChatTurnResult> {
    const session = await sessions.get(key);
    const caller = { role: request.role ?? 'client', customer: request.customer } as const;
    if (session && !mayUseSession(caller, key.tenantId, session.attributes)) {
      throw new ServiceError('FORBIDDEN', SESSION_OF_ANOTHER_CUSTOMER);
    }
    // The first verified customer to speak in a session binds it to themselves.
    const binding = bindingFor(caller, key.tenantId, session?.attributes);
    // Without a verified address the order tools accept the e-mail addresses typed in the session.
    const orderProof = request.customer?.email
      ? undefined
      : createOrderAccessProof(key.tenantId, session?.attributes, request.message);
    const attributesAfter = () => {
      const proved = orderProof?.patch();
      return proved || binding ? { ...binding, ...proved } : undefined;
    };
    const history = session?.messages ?? [];
    const userMessage: StoredMessage = { role: 'user', content: request.message, timestamp: receivedAt };
    // With a person (DESIGN §13): the message is kept for them; no agent, model call or tool runs.
    if (sessionStatus(session?.attributes) === 'handoff') {
      const snapshot = await sessions.append(key, [userMessage], binding);
      onEvent({ type: 'token', content: HANDOFF_NOTICE });
      log.info({ status: 'handoff' }, 'message kept for the person who has the session');
      return {
        answer: HANDOFF_NOTICE,
        messageCount: countConversationMessages(snapshot.messages),
        toolCalls: [],
        timestamp: new Date().toISOString(),
      };
    }
    const ctx = {
      tenantId: key.tenantId,
      sessionId: key.sessionId,
      requestId: request.requestId,
      ...(request.turnId ? { turnId: request.turnId } : {}),
      ...(request.customer ? { customer: request.customer } : {}),
      ...(orderProof ? { orderProof } : {}),
      ...(request.actor ? { actor: request.actor } : {}),
      signal,
      logger: log,
      streaming: request.streaming === true,
    };
    try {
      const result = await agent.runTurn({ history, message: request.message, ctx }, onEvent);
      const timestamp = new Date().toISOString();
      const snapshot = await sessions.append(
        key,
        [userMessage, assistantMessage(result.answer, result.toolCalls, timestamp, false)],
        attributesAfter(),
      );
      const remaining = await countTokens(key.tenantId, result.usage);
      return {
        answer: result.answer,
        messageCount: countConversationMessages(snapshot.messages),
        toolCalls: result.toolCalls,
        ...(result.usage
          ? {
              usage: remaining === undefined ? result.usage : { ...result.usage, quota_remaining: remaining },
            }
          : {}),
        timestamp,
      };
    } catch (err) {
      if (!(err instanceof TurnInterruptedError)) throw err;
      const { partial } = err;
      // Tokens spent on an interrupted turn count too.
      await countTokens(key.tenantId, partial.usage);
      // A tool may have had side effects, or the client saw text: the conversation must show it.
      if (partial.toolCalls.length > 0 || partial.answer !== '') {
        const timestamp = new Date().toISOString();
        try {
          await sessions.append(
            key,
            [userMessage, assistantMessage(partial.answer, partial.toolCalls, timestamp, true)],
            attributesAfter(),
          );
          log.info(
            { tool_calls: partial.toolCalls.length, steps: partial.steps },
            'interrupted chat turn stored',
          );
        } catch (storeErr) {
          log.error({ err: storeErr }, 'could not store the interrupted chat turn');
        }
      }
      throw err;
    }
  }

  async function countTokens(tenantId: string, usage: Usage | undefined): Promise<number | undefined> {
    if (!deps.quotas) return undefined;
    return deps.quotas.consume(tenantId, usage?.total_tokens ?? 0);
  }

  return { runTurn };
}

function assistantMessage(
  content: string,
  toolCalls: ToolCallRecord[],
  timestamp: string,
  interrupted: boolean,
): StoredMessage {
  return {
    role: 'assistant',
    content,
    timestamp,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    ...(interrupted ? { interrupted: true } : {}),
  };
}

interface FailureCircumstances {
  timedOut: boolean;
  clientGone: boolean;
  log: Logger;
  durationMs: number;
}

/** Maps a failed turn to what the HTTP layer needs, logging it without provider details above debug. */
function classify(err: unknown, c: FailureCircumstances): unknown {
  const cause = err instanceof TurnInterruptedError ? err.cause : err;
  if (c.timedOut) {
    c.log.warn({ duration_ms: c.durationMs }, 'chat turn timed out');
    return new ServiceError('TIMEOUT', TURN_TIMEOUT_MESSAGE);
  }
  if (c.clientGone) {
    // The caller's signal also aborts on shutdown; its reason says which it was.
    const reason = cause instanceof Error ? cause.message : 'aborted';
    c.log.info({ duration_ms: c.durationMs, reason }, 'chat turn aborted by the caller');
    return new ClientDisconnectedError(cause);
  }
  if (cause instanceof ModelError) {
    // The ModelError message is safe; its cause may hold the provider's body, so debug only.
    c.log.warn(
      { kind: cause.kind, status: cause.status, reason: cause.message },
      'chat turn failed: model error',
    );
    c.log.debug({ err: cause.cause }, 'model error cause');
    return modelErrorToServiceError(cause);
  }
  if (cause instanceof ServiceError) return cause;
  c.log.error({ err: cause }, 'chat turn failed');
  return cause;
}

export type ChatService = ReturnType<typeof createChatService>;
