import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import { customerRef } from '../../access/session-access.js';
import { auditActorOf } from '../../audit/tool-calls.js';
import type { ChatService } from '../../chat/chat-service.js';
import { AGENT_UNAVAILABLE_MESSAGE } from '../../chat/turn-errors.js';
import type { DisconnectPolicy, StartTurnRequest, TurnService } from '../../chat/turn-service.js';
import { ServiceError, type ServiceErrorCode } from '../../errors.js';
import { AppError } from '../errors.js';
import { idempotencyOf } from '../idempotency-key.js';
import { type InflightTurns, SHUTTING_DOWN_MESSAGE, ShutdownError } from '../inflight.js';
import { principalOf } from '../plugins/auth.js';
import { toAppError } from '../plugins/error-handler.js';
import { chatAwaitingApprovalSchema } from '../schemas/approval.js';
import {
  type ChatRequest,
  chatHeadersSchema,
  chatRequestSchema,
  chatResponseSchema,
  sseDescription,
} from '../schemas/chat.js';
import { COMMON_ERRORS, type DocumentedErrorCode, errorResponses } from '../schemas/error.js';
import { publicToolCalls } from '../schemas/session.js';
import { createEventStream } from '../sse.js';

/** What the chat routes need from the turn service. */
export type ChatTurns = Pick<ChatService, 'runTurn'>;
/** What the chat routes need to start a turn with an id. */
export type TurnStarter = Pick<TurnService, 'start' | 'claim' | 'outcomeOf' | 'eventsOf'>;

export interface ChatRouteOptions {
  /** Undefined while no agent could be initialised: the routes answer 503 AGENT_UNAVAILABLE. */
  turns: TurnStarter | undefined;
  inflight: InflightTurns;
  /** `on_disconnect` when the body does not say (TURN_ON_DISCONNECT). */
  onDisconnect: DisconnectPolicy;
  /** How long a repeated request waits for (or follows) the first turn of its Idempotency-Key. */
  maxWaitMs: number;
  pingIntervalMs?: number;
}

/** A request repeated with its Idempotency-Key gets the first turn's; a key claimed but freed is taken again. */
const MAX_CLAIM_ATTEMPTS = 3;

/**
 * The turn's two signals: `signal` stops it whatever the client asked (shutdown, through the
 * in-flight registry that also waits for it), `clientGone` fires when the client goes away and stops
 * it only with `on_disconnect: cancel`, so the upstream model request and running tools stop at once
 * instead of spending tokens nobody will read.
 */
function turnController(reply: FastifyReply, inflight: InflightTurns) {
  const controller = new AbortController();
  const gone = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) gone.abort(new ClientGoneError());
  };
  reply.raw.on('close', onClose);
  return {
    signal: controller.signal,
    clientGone: gone.signal,
    /** Counts the turn as in flight until it really ended (it may outlive the request). */
    trackUntil(finished: Promise<unknown>) {
      const untrack = inflight.track(controller);
      finished.then(untrack, untrack);
    },
    release() {
      reply.raw.off('close', onClose);
    },
  };
}

class ClientGoneError extends Error {
  constructor() {
    super('The client closed the connection');
    this.name = 'ClientGoneError';
  }
}

function ensureAvailable(turns: TurnStarter | undefined, inflight: InflightTurns): TurnStarter {
  if (inflight.closing) throw new AppError('AGENT_UNAVAILABLE', SHUTTING_DOWN_MESSAGE);
  if (!turns) throw new AppError('AGENT_UNAVAILABLE', AGENT_UNAVAILABLE_MESSAGE);
  return turns;
}

/** What a chat turn can answer with before (or instead of) its reply. */
const CHAT_ERRORS: DocumentedErrorCode[] = [
  ...COMMON_ERRORS,
  'SESSION_BUSY',
  'TURN_CANCELLED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'IDEMPOTENCY_KEY_REUSED',
  'QUOTA_EXCEEDED',
  'LLM_ERROR',
  'AGENT_UNAVAILABLE',
  'TIMEOUT',
];

type ChatReply = z.infer<typeof chatResponseSchema>;

/** The JSON reply of a finished turn, whether it just ran or an Idempotency-Key repeats it. */
function jsonReply(
  outcome: {
    answer: string;
    timestamp: string;
    messageCount: number;
    toolCalls: Parameters<typeof publicToolCalls>[0];
    usage?: ChatReply['usage'];
  },
  ids: { sessionId: string; turnId: string; tenantId: string; requestId: string },
): ChatReply {
  return {
    session_id: ids.sessionId,
    turn_id: ids.turnId,
    message: outcome.answer,
    timestamp: outcome.timestamp,
    message_count: outcome.messageCount,
    tenant_id: ids.tenantId,
    request_id: ids.requestId,
    tool_calls: publicToolCalls(outcome.toolCalls),
    ...(outcome.usage ? { usage: outcome.usage } : {}),
  };
}

const chatRoutes: FastifyPluginAsyncZod<ChatRouteOptions> = async (app, opts) => {
  const { inflight } = opts;

  /** What both routes do before a turn: admission, the tenant and session, the turn id and its signals. */
  function beginTurn(request: FastifyRequest, body: ChatRequest, reply: FastifyReply, streaming: boolean) {
    const turns = ensureAvailable(opts.turns, inflight);
    const principal = principalOf(request);
    const tenantId = principal.tenantId;
    const sessionId = body.session_id;
    request.sessionId = sessionId;
    const idempotency = idempotencyOf(request);
    const turnId = randomUUID();
    reply.header('x-turn-id', turnId);
    const turn = turnController(reply, inflight);
    const input: StartTurnRequest = {
      turnId,
      tenantId,
      sessionId,
      message: body.message,
      ...(principal.customer
        ? { customer: principal.customer, owner: customerRef(tenantId, principal.customer) }
        : {}),
      role: principal.role,
      actor: auditActorOf(principal),
      requestId: request.id,
      signal: turn.signal,
      clientGone: turn.clientGone,
      onDisconnect: body.on_disconnect ?? opts.onDisconnect,
      onBusy: body.on_busy ?? 'enqueue',
      // The turn service adds turn_id to it.
      logger: request.log as Logger,
      streaming,
    };
    return { turns, tenantId, sessionId, turnId, turn, input, idempotency };
  }

  /**
   * With an Idempotency-Key: takes it for this turn (true), or finds the turn that has it and lets
   * `repeat` answer from that one (false). `repeat` returns false when that turn gave the key up
   * (it failed without doing anything), and the key is tried again.
   */
  async function claimOrRepeat(
    begun: ReturnType<typeof beginTurn>,
    reply: FastifyReply,
    repeat: (claimed: { turnId: string; sessionId: string }) => Promise<boolean>,
  ): Promise<boolean> {
    const { idempotency, turns, tenantId, sessionId, turnId, input } = begun;
    if (!idempotency) return true;
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt += 1) {
      const claim = await turns.claim({ tenantId, sessionId, turnId, ...idempotency });
      if (claim.claimed) {
        input.idempotencyKey = idempotency.key;
        return true;
      }
      reply.header('x-turn-id', claim.record.turnId);
      if (await repeat(claim.record)) return false;
      reply.header('x-turn-id', turnId);
    }
    throw new AppError(
      'AGENT_UNAVAILABLE',
      'The first request with this Idempotency-Key is still unsettled; retry shortly',
    );
  }

  function logClientGone(request: FastifyRequest, sessionId: string, stream: boolean) {
    // A dropped connection fires neither 'finish' nor 'error', so onResponse never logs it.
    request.log.info(
      { session_id: sessionId, status: 499, ...(stream ? { stream } : {}) },
      'client closed the request',
    );
  }

  /** Nobody is left to read a JSON reply (or an error): drop the response instead of answering. */
  function dropResponse(request: FastifyRequest, reply: FastifyReply, sessionId: string): FastifyReply {
    reply.hijack();
    reply.raw.destroy();
    logClientGone(request, sessionId, false);
    return reply;
  }

  app.post(
    '/api/v1/chat',
    {
      schema: {
        tags: ['Chat'],
        operationId: 'chat',
        summary: 'Chat (JSON)',
        description:
          "Sends the customer's message to the agent and returns the whole answer once the turn is complete, " +
          'with the tool calls the agent made and the token usage. Turns on one session run one at a time; ' +
          '`on_busy` says what this one does when another is running (wait for it, 409 SESSION_BUSY, or interrupt it). ' +
          'A turn that calls a tool in TOOLS_REQUIRING_APPROVAL pauses before it and answers 202 `awaiting_approval` with its `pending_approvals`.',
        body: chatRequestSchema,
        headers: chatHeadersSchema,
        response: {
          200: chatResponseSchema,
          202: chatAwaitingApprovalSchema,
          ...errorResponses(...CHAT_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const begun = beginTurn(request, request.body, reply, false);
      const { turns, tenantId, sessionId, turnId, turn, input } = begun;
      let repeated: ChatReply | z.infer<typeof chatAwaitingApprovalSchema> | undefined;
      let fresh: boolean;
      try {
        fresh = await claimOrRepeat(begun, reply, async (claimed) => {
          const outcome = await turns.outcomeOf(tenantId, begun.idempotency!.key, {
            signal: turn.clientGone,
            maxWaitMs: opts.maxWaitMs,
          });
          // Given up by the first request (or still unsettled after the wait): try the key again.
          if (!outcome) return turn.clientGone.aborted;
          if (outcome.kind === 'failed') {
            throw new ServiceError(outcome.code as ServiceErrorCode, outcome.message);
          }
          repeated = jsonReply(outcome, {
            sessionId: claimed.sessionId,
            turnId: claimed.turnId,
            tenantId,
            requestId: request.id,
          });
          if (outcome.kind === 'awaiting_approval') {
            reply.code(202);
            repeated = {
              ...repeated,
              status: 'awaiting_approval' as const,
              pending_approvals: outcome.pendingApprovals,
            };
          }
          return true;
        });
      } catch (err) {
        turn.release();
        throw err;
      }
      if (!fresh) {
        turn.release();
        if (repeated) return repeated;
        return dropResponse(request, reply, sessionId);
      }
      const started = turns.start(input);
      turn.trackUntil(started.finished);
      try {
        const outcome = await started.finished;
        if (turn.clientGone.aborted) {
          // on_disconnect: continue — the turn is stored, but nobody is left to read the reply.
          return dropResponse(request, reply, sessionId);
        }
        const body = jsonReply(outcome, { sessionId, turnId, tenantId, requestId: request.id });
        if (outcome.pendingApprovals) {
          // Paused before a tool in TOOLS_REQUIRING_APPROVAL: an operator decides, the turn goes on then.
          reply.code(202);
          return {
            ...body,
            status: 'awaiting_approval' as const,
            pending_approvals: outcome.pendingApprovals,
          };
        }
        return body;
      } catch (err) {
        if (turn.signal.reason instanceof ShutdownError) {
          throw new AppError('AGENT_UNAVAILABLE', SHUTTING_DOWN_MESSAGE);
        }
        if (turn.clientGone.aborted) {
          // Nobody is left to read an error: drop the response instead of logging a failure.
          return dropResponse(request, reply, sessionId);
        }
        throw err;
      } finally {
        turn.release();
      }
    },
  );

  app.post(
    '/api/v1/chat/stream',
    {
      schema: {
        tags: ['Chat'],
        operationId: 'chatStream',
        summary: 'Chat (Server-Sent Events)',
        description: `Streams the agent's answer as it is produced.\n\n${sseDescription}\n\nValidation, auth and rate-limit failures, and any failure before the first event, are ordinary JSON errors with their real status; once the stream has started (first event, or a \`: ping\` after 15 s of silence), a failure is an \`error\` event.`,
        body: chatRequestSchema,
        headers: chatHeadersSchema,
        response: {
          200: {
            description:
              'The turn as Server-Sent Events: token, tool_call and tool_result events, then done or error',
            content: { 'text/event-stream': { schema: z.string() } },
          },
          // Failures before the first event are JSON, with their real status.
          ...errorResponses(...CHAT_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const begun = beginTurn(request, request.body, reply, true);
      const { turns, tenantId, sessionId, turnId, turn, input } = begun;
      const stream = createEventStream(reply, { pingIntervalMs: opts.pingIntervalMs });
      let fresh: boolean;
      try {
        fresh = await claimOrRepeat(begun, reply, async (claimed) => {
          let sent = 0;
          for await (const event of turns.eventsOf(tenantId, begun.idempotency!.key, claimed, {
            signal: turn.clientGone,
            maxFollowMs: opts.maxWaitMs,
          })) {
            stream.send(event.data, `${claimed.turnId}:${event.seq}`);
            sent += 1;
          }
          return sent > 0 || turn.clientGone.aborted;
        });
      } catch (err) {
        turn.release();
        stream.end();
        throw err;
      }
      if (!fresh) {
        turn.release();
        if (!stream.started) {
          reply.hijack();
          reply.raw.destroy();
        }
        stream.end();
        return reply;
      }
      const started = turns.start(input, (event, last) => {
        // Nothing sent yet: an ordinary JSON error with its real status is more useful than a 200
        // stream (the event is still in the replay for a client that resumes).
        if (last && event.data.type === 'error' && !stream.started) return;
        stream.send(event.data, `${turnId}:${event.seq}`);
      });
      turn.trackUntil(started.finished);
      try {
        await started.finished;
      } catch (err) {
        if (turn.clientGone.aborted) {
          if (!stream.started) {
            reply.hijack();
            reply.raw.destroy();
          }
          logClientGone(request, sessionId, true);
          return reply;
        }
        const appError =
          turn.signal.reason instanceof ShutdownError
            ? new AppError('AGENT_UNAVAILABLE', SHUTTING_DOWN_MESSAGE)
            : toAppError(err as Error);
        if (!stream.started) throw appError;
        // Otherwise the turn's `error` event has gone out already.
        if (appError.code === 'INTERNAL_ERROR') request.log.error({ err }, 'stream turn failed');
      } finally {
        turn.release();
        stream.end();
      }
    },
  );
};

export default chatRoutes;
