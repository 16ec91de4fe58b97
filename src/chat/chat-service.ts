import type { Logger } from 'pino';
import { createOrderAccessProof } from '../access/order-access.js';
import type { Role, VerifiedCustomer } from '../access/principal.js';
import { bindingFor, mayUseSession } from '../access/session-access.js';
import type { Agent, AgentEventListener } from '../agent/loop.js';
import { type AgentCheckpoint, type CallDecision, TurnInterruptedError } from '../agent/turn-types.js';
import { ModelError, type Usage } from '../agent/types.js';
import type { AuditActor } from '../audit/types.js';
import { ServiceError } from '../errors.js';
import { abortReason, type ChildAbort, childAbort } from '../lib/abort.js';
import { lazyChild } from '../lib/lazy-logger.js';
import { countConversationMessages } from '../sessions/index.js';
import { sessionStatus } from '../sessions/status.js';
import type { SessionKey, SessionStore, StoredMessage, ToolCallRecord } from '../sessions/types.js';
import type { ApprovalStore } from '../turns/approvals.js';
import { NEVER_LOST, type TurnLease, type TurnLock } from '../turns/turn-lock.js';
import {
  ClientDisconnectedError,
  INTERRUPT_FAILED_MESSAGE,
  modelErrorToServiceError,
  SESSION_BUSY_MESSAGE,
  TURN_TIMEOUT_MESSAGE,
} from './turn-errors.js';

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
  /** Where paused turns wait: a session with one takes no new turn until it went on (§10). */
  approvals?: Pick<ApprovalStore, 'waitingIn'>;
}

/** The part of the token quotas a turn needs. */
export interface TurnQuotas {
  check(
    tenantId: string,
  ): Promise<{ ok: true; remaining?: number } | { ok: false; limit: number; retryAfterSeconds: number }>;
  consume(tenantId: string, tokens: number): Promise<number | undefined>;
}

/** What a turn does when another one is running on its session (DESIGN §10 `on_busy`). */
export const BUSY_POLICIES = ['enqueue', 'reject', 'interrupt'] as const;
export type BusyPolicy = (typeof BUSY_POLICIES)[number];

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
  /**
   * Aborts `signal`, when the caller owns it for this turn alone (the turn service does): the turn's
   * deadline, a lost lock and a failing agent then stop the turn through it instead of through child
   * signals of their own. Without it they abort a child of `signal`.
   */
  abort?: (reason: unknown) => void;
  /** The answer goes out as SSE tokens (models that pace their output only do so then). */
  streaming?: boolean;
  /** The request's logger (carries request id etc.); the service's logger otherwise. */
  logger?: Logger;
  /** When another turn runs on the session: wait in arrival order (default), refuse, or stop it. */
  onBusy?: BusyPolicy;
  /**
   * Stops the running turn with this id wherever it runs (`onBusy: 'interrupt'`); it keeps what it
   * stored. Without it an interrupting turn just waits.
   */
  interrupt?: (turnId: string) => Promise<void>;
}

export interface ChatTurnResult {
  answer: string;
  /** User + assistant messages in the session after this turn. */
  messageCount: number;
  toolCalls: ToolCallRecord[];
  usage?: Usage & { quota_remaining?: number };
  /** When the answer was completed (ISO-8601). */
  timestamp: string;
  /**
   * The turn paused before calls that need a person's approval (TOOLS_REQUIRING_APPROVAL): the
   * question is stored, `answer` and `toolCalls` are what happened so far, and this is what it takes
   * to go on (`resumeTurn`).
   */
  paused?: AgentCheckpoint;
}

/** Goes on with a paused turn once its calls are decided. */
export interface ChatResumeRequest extends Omit<ChatTurnRequest, 'streaming'> {
  checkpoint: AgentCheckpoint;
  decisions: Record<string, CallDecision>;
  /**
   * Called once the resume holds the session and read it: from there its outcome is final (the
   * decided calls run, or the conversation's state says they never will). A resume that fails
   * before it (lock wait, queue full, shutdown) ran nothing and can be tried again.
   */
  onCommitted?: () => void;
}

export const SESSION_OF_ANOTHER_CUSTOMER = 'This conversation belongs to another customer';

/** A new message while a turn of the session waits for an operator's decision. */
export const AWAITING_APPROVAL_MESSAGE =
  'A request in this conversation is waiting for approval; send new messages once it has been decided.';

/** Why a paused turn did not go on after its calls were decided. */
export const PAUSED_SESSION_GONE =
  'The conversation was deleted while the request waited for approval; nothing was run.';
export const PAUSED_SESSION_HANDED_OFF =
  'A person took over the conversation while the request waited for approval; nothing was run.';

/** The answer to a customer's message while a person has the session (the message is kept for them). */
export const HANDOFF_NOTICE =
  'Thank you, your message has been passed on. A person from our team will reply here as soon as they can.';

/** The signal a turn's agent runs under, and what stops it (the agent aborts it when it fails). */
interface TurnScope {
  readonly signal: AbortSignal;
  abort(reason: unknown): void;
}

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
    return guarded(request, true, (key, receivedAt, scope, log) =>
      runLocked(agent, request, key, receivedAt, scope, log, onEvent),
    );
  }

  /** Goes on with a paused turn under the session's lock and the turn deadline (from now). */
  async function resumeTurn(
    request: ChatResumeRequest,
    onEvent: AgentEventListener,
  ): Promise<ChatTurnResult> {
    return guarded(request, false, (key, _receivedAt, scope, log) =>
      resumeLocked(request, key, scope, log, onEvent),
    );
  }

  async function guarded(
    request: Omit<ChatTurnRequest, 'message'> & { message?: string },
    checkQuota: boolean,
    inner: (key: SessionKey, receivedAt: string, scope: TurnScope, log: Logger) => Promise<ChatTurnResult>,
  ): Promise<ChatTurnResult> {
    // The request's logger already carries request_id; only the service's own needs it added.
    const log = request.logger
      ? lazyChild(request.logger, { tenant_id: request.tenantId, session_id: request.sessionId })
      : lazyChild(deps.logger, {
          request_id: request.requestId,
          tenant_id: request.tenantId,
          session_id: request.sessionId,
        });
    if (request.signal.aborted) throw new ClientDisconnectedError(request.signal.reason);
    if (deps.quotas && checkQuota) {
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
    // A signal the caller owns for this turn is aborted directly; otherwise a child of it is.
    const own: ChildAbort | undefined = request.abort ? undefined : childAbort(request.signal);
    const signal = own ? own.signal : request.signal;
    const abortTurn = own ? own.abort : (request.abort as (reason: unknown) => void);
    // Set when the turn stopped itself (its agent failed): not the caller's abort, though it is seen
    // on the caller's signal when that is shared.
    let stoppedInside = false;
    // The reason (an Error, with its stack) is made only if the deadline is reached.
    const timer = setTimeout(
      () => abortTurn(new TurnDeadlineReached(config.TURN_TIMEOUT_MS)),
      config.TURN_TIMEOUT_MS,
    );
    const startedAt = performance.now();
    log.debug({ message: request.message }, 'chat turn received');

    try {
      // While the turn only waits for the lock, an abort ends the wait at once; once it runs, the
      // agent stops promptly by itself and the interrupted turn is stored before we return.
      const lease = await takeSession(request, key, signal, log);
      let result: ChatTurnResult;
      try {
        if (signal.aborted) throw abortReason(signal);
        if (lease.lost.aborted) throw abortReason(lease.lost);
        // A shared lock that can no longer be renewed stops the turn: another may start soon. The
        // in-process lock is never lost, so there is nothing to listen to then.
        const locked = lease.lost === NEVER_LOST ? undefined : childAbort(signal, lease.lost);
        const scope: TurnScope = locked
          ? locked
          : {
              signal,
              abort: (reason: unknown) => {
                if (!signal.aborted) stoppedInside = true;
                abortTurn(reason);
              },
            };
        try {
          result = await inner(key, receivedAt, scope, log);
        } finally {
          locked?.dispose();
        }
      } finally {
        await lease.release();
      }
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
        clientGone: request.signal.aborted && !(stoppedInside && request.signal === signal),
        log,
        durationMs: Math.round(performance.now() - startedAt),
      });
    } finally {
      clearTimeout(timer);
      own?.dispose();
    }
  }

  /**
   * The session's lock for this turn, as its `onBusy` says: queued in arrival order, refused with
   * SESSION_BUSY while another turn holds or waits for it, or taken from the running turn, which is
   * stopped (it stores what it did first) while this one keeps its place in the queue.
   */
  async function takeSession(
    request: Pick<ChatTurnRequest, 'turnId' | 'onBusy' | 'interrupt' | 'role' | 'customer'>,
    key: SessionKey,
    signal: AbortSignal,
    log: Logger,
  ): Promise<TurnLease> {
    const holder = request.turnId;
    const policy = request.onBusy ?? 'enqueue';
    const named = holder === undefined ? {} : { holder };
    if (policy === 'enqueue') return turnLock.acquire(key, { signal, ...named });
    // Only a caller who may use the session may learn that it is busy, let alone stop its turn.
    const session = await sessions.get(key);
    const caller = { role: request.role ?? 'client', customer: request.customer } as const;
    if (session && !mayUseSession(caller, key.tenantId, session.attributes)) {
      throw new ServiceError('FORBIDDEN', SESSION_OF_ANOTHER_CUSTOMER);
    }
    const free = await turnLock.tryAcquire(key, named);
    if (free) return free;
    if (policy === 'reject') {
      log.info('turn refused: another turn is running on the session');
      throw new ServiceError('SESSION_BUSY', SESSION_BUSY_MESSAGE);
    }
    // Queued first, so no turn that arrives meanwhile gets in before this one.
    const gaveUp = new AbortController();
    let placed = () => {};
    const queued = new Promise<'queued'>((resolve) => {
      placed = () => resolve('queued');
    });
    const waiting = turnLock.acquire(key, {
      signal: AbortSignal.any([signal, gaveUp.signal]),
      ...named,
      onQueued: () => placed(),
    });
    // It may reject (the client left) before it is awaited below.
    waiting.catch(() => undefined);
    // Only a turn that has its place in the queue stops the running one: refused (queue full) or
    // given the lock at once, it interrupts nothing.
    const first = await Promise.race([
      queued,
      waiting.then(
        () => 'settled' as const,
        () => 'settled' as const,
      ),
    ]);
    if (first === 'settled') return waiting;
    try {
      const running = await turnLock.holder(key);
      if (running !== undefined && running !== holder && request.interrupt) {
        log.info({ interrupted_turn_id: running }, 'interrupting the running turn on the session');
        await request.interrupt(running);
      }
    } catch (err) {
      gaveUp.abort(err);
      waiting.then(
        (lease) => lease.release(),
        () => undefined,
      );
      if (err instanceof ServiceError) throw err;
      log.warn({ err }, 'could not interrupt the running turn');
      throw new ServiceError('AGENT_UNAVAILABLE', INTERRUPT_FAILED_MESSAGE, {
        cause: err,
        retryAfterSeconds: 1,
      });
    }
    return waiting;
  }

  async function runLocked(
    agent: Agent,
    request: ChatTurnRequest,
    key: SessionKey,
    receivedAt: string,
    scope: TurnScope,
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
    // A paused question of this conversation (not of an earlier one deleted under the same id)
    // waits for a decision: the model would see it unanswered and might ask for the same gated call
    // again. (Once decided it goes on, or the sweep resumes it, so it no longer holds the session.)
    if (session && deps.approvals) {
      const waiting = (await deps.approvals.waitingIn(key.tenantId, key.sessionId)).filter(
        (turn) => turn.pausedAt >= Date.parse(session.createdAt),
      );
      if (waiting.length > 0) {
        log.info({ waiting_turn_id: waiting[0]!.turnId }, 'turn refused: a turn awaits approval');
        throw new ServiceError('SESSION_BUSY', AWAITING_APPROVAL_MESSAGE, {
          details: { turn_id: waiting[0]!.turnId, status: 'awaiting_approval' },
        });
      }
    }
    const ctx = {
      ...toolContext(request, key, orderProof, scope, log),
      streaming: request.streaming === true,
    };
    try {
      const result = await agent.runTurn({ history, message: request.message, ctx }, onEvent);
      const timestamp = new Date().toISOString();
      // Paused for approvals: the question is kept now, the answer once the turn goes on.
      const snapshot = await sessions.append(
        key,
        result.paused
          ? [userMessage]
          : [
              userMessage,
              assistantMessage(result.answer, result.toolCalls, timestamp, false, request.turnId),
            ],
        attributesAfter(),
      );
      const remaining = await countTokens(key.tenantId, result.usage);
      return turnResult(result, snapshot?.messages ?? [], remaining, timestamp);
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
            [
              userMessage,
              assistantMessage(partial.answer, partial.toolCalls, timestamp, true, request.turnId),
            ],
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

  async function resumeLocked(
    request: ChatResumeRequest,
    key: SessionKey,
    scope: TurnScope,
    log: Logger,
    onEvent: AgentEventListener,
  ): Promise<ChatTurnResult> {
    const session = await sessions.get(key);
    request.onCommitted?.();
    // The conversation may have changed hands while the turn waited: deleted (its customer's data is
    // gone and must not come back), now another customer's, or with a person. Nothing runs then.
    if (!session) {
      throw new ServiceError('SESSION_NOT_FOUND', PAUSED_SESSION_GONE, {
        details: { session_id: key.sessionId },
      });
    }
    const caller = { role: request.role ?? 'client', customer: request.customer } as const;
    if (!mayUseSession(caller, key.tenantId, session.attributes)) {
      throw new ServiceError('FORBIDDEN', SESSION_OF_ANOTHER_CUSTOMER);
    }
    if (sessionStatus(session.attributes) === 'handoff') {
      log.info({ status: 'handoff' }, 'paused turn not resumed: a person has the session');
      throw new ServiceError('SESSION_BUSY', PAUSED_SESSION_HANDED_OFF);
    }
    // What the conversation proved when the question came (stored with it), for the order tools.
    const orderProof = request.customer?.email
      ? undefined
      : createOrderAccessProof(key.tenantId, session.attributes, request.message);
    const ctx = toolContext(request, key, orderProof, scope, log);
    // Tokens spent before the pause were counted then.
    const spentBefore = request.checkpoint.usage?.total_tokens ?? 0;
    const countNew = (usage: Usage | undefined) =>
      countTokens(
        key.tenantId,
        usage ? { ...usage, total_tokens: usage.total_tokens - spentBefore } : undefined,
      );
    try {
      const result = await agent.resumeTurn(
        { checkpoint: request.checkpoint, decisions: request.decisions, ctx },
        onEvent,
      );
      const timestamp = new Date().toISOString();
      const proved = orderProof?.patch();
      const snapshot = result.paused
        ? await sessions.get(key)
        : await sessions.append(
            key,
            [assistantMessage(result.answer, result.toolCalls, timestamp, false, request.turnId)],
            proved,
          );
      const remaining = await countNew(result.usage);
      return turnResult(result, snapshot?.messages ?? [], remaining, timestamp);
    } catch (err) {
      if (!(err instanceof TurnInterruptedError)) throw err;
      const { partial } = err;
      await countNew(partial.usage);
      try {
        const timestamp = new Date().toISOString();
        await sessions.append(key, [
          assistantMessage(partial.answer, partial.toolCalls, timestamp, true, request.turnId),
        ]);
        log.info({ tool_calls: partial.toolCalls.length }, 'interrupted resumed turn stored');
      } catch (storeErr) {
        log.error({ err: storeErr }, 'could not store the interrupted resumed turn');
      }
      throw err;
    }
  }

  async function countTokens(tenantId: string, usage: Usage | undefined): Promise<number | undefined> {
    if (!deps.quotas) return undefined;
    return deps.quotas.consume(tenantId, usage?.total_tokens ?? 0);
  }

  return { runTurn, resumeTurn };
}

/** What the agent's tools know of the turn they act in. */
function toolContext(
  request: Omit<ChatTurnRequest, 'streaming'>,
  key: SessionKey,
  orderProof: ReturnType<typeof createOrderAccessProof> | undefined,
  scope: TurnScope,
  logger: Logger,
) {
  return {
    tenantId: key.tenantId,
    sessionId: key.sessionId,
    requestId: request.requestId,
    ...(request.turnId ? { turnId: request.turnId } : {}),
    ...(request.customer ? { customer: request.customer } : {}),
    ...(orderProof ? { orderProof } : {}),
    ...(request.actor ? { actor: request.actor } : {}),
    signal: scope.signal,
    abort: scope.abort,
    logger,
  };
}

/** What a turn that ran (to its end or to a pause) gives back, with the tenant's remaining quota. */
function turnResult(
  result: Awaited<ReturnType<Agent['runTurn']>>,
  messages: readonly StoredMessage[],
  remaining: number | undefined,
  timestamp: string,
): ChatTurnResult {
  return {
    answer: result.answer,
    messageCount: countConversationMessages(messages),
    toolCalls: result.toolCalls,
    ...(result.usage
      ? { usage: remaining === undefined ? result.usage : { ...result.usage, quota_remaining: remaining } }
      : {}),
    timestamp,
    ...(result.paused ? { paused: result.paused } : {}),
  };
}

function assistantMessage(
  content: string,
  toolCalls: ToolCallRecord[],
  timestamp: string,
  interrupted: boolean,
  turnId: string | undefined,
): StoredMessage {
  return {
    role: 'assistant',
    content,
    timestamp,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    ...(interrupted ? { interrupted: true } : {}),
    ...(turnId ? { turn_id: turnId } : {}),
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
