import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import { auditActorOf } from '../../audit/tool-calls.js';
import type { ChatService, ChatTurnRequest } from '../../chat/chat-service.js';
import { AGENT_UNAVAILABLE_MESSAGE } from '../../chat/turn-errors.js';
import { AppError } from '../errors.js';
import { type InflightTurns, SHUTTING_DOWN_MESSAGE, ShutdownError } from '../inflight.js';
import { principalOf } from '../plugins/auth.js';
import { toAppError } from '../plugins/error-handler.js';
import { type ChatRequest, chatRequestSchema, chatResponseSchema, sseDescription } from '../schemas/chat.js';
import { COMMON_ERRORS, type DocumentedErrorCode, errorResponses } from '../schemas/error.js';
import { publicToolCalls } from '../schemas/session.js';
import { createEventStream } from '../sse.js';

/** What the chat routes need from the turn service. */
export type ChatTurns = Pick<ChatService, 'runTurn'>;

export interface ChatRouteOptions {
  /** Undefined while no agent could be initialised: the routes answer 503 AGENT_UNAVAILABLE. */
  chat: ChatTurns | undefined;
  inflight: InflightTurns;
  pingIntervalMs?: number;
}

/**
 * Aborts the turn when the client goes away, so the upstream model request and running tools stop
 * at once instead of spending tokens nobody will read.
 */
function turnController(reply: FastifyReply, inflight: InflightTurns) {
  const controller = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort(new ClientGoneError());
  };
  reply.raw.on('close', onClose);
  const untrack = inflight.track(controller);
  return {
    signal: controller.signal,
    release() {
      reply.raw.off('close', onClose);
      untrack();
    },
  };
}

class ClientGoneError extends Error {
  constructor() {
    super('The client closed the connection');
    this.name = 'ClientGoneError';
  }
}

function ensureAvailable(chat: ChatTurns | undefined, inflight: InflightTurns): ChatTurns {
  if (inflight.closing) throw new AppError('AGENT_UNAVAILABLE', SHUTTING_DOWN_MESSAGE);
  if (!chat) throw new AppError('AGENT_UNAVAILABLE', AGENT_UNAVAILABLE_MESSAGE);
  return chat;
}

/** What a chat turn can answer with before (or instead of) its reply. */
const CHAT_ERRORS: DocumentedErrorCode[] = [
  ...COMMON_ERRORS,
  'SESSION_BUSY',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'IDEMPOTENCY_KEY_REUSED',
  'QUOTA_EXCEEDED',
  'LLM_ERROR',
  'AGENT_UNAVAILABLE',
  'TIMEOUT',
];

const chatRoutes: FastifyPluginAsyncZod<ChatRouteOptions> = async (app, opts) => {
  const { inflight } = opts;

  /** What both routes do before a turn: admission, the tenant and session, and the abort wiring. */
  function beginTurn(request: FastifyRequest, body: ChatRequest, reply: FastifyReply, streaming: boolean) {
    const chat = ensureAvailable(opts.chat, inflight);
    const principal = principalOf(request);
    const tenantId = principal.tenantId;
    const sessionId = body.session_id;
    request.sessionId = sessionId;
    const turn = turnController(reply, inflight);
    const input: ChatTurnRequest = {
      tenantId,
      sessionId,
      message: body.message,
      ...(principal.customer ? { customer: principal.customer } : {}),
      role: principal.role,
      actor: auditActorOf(principal),
      requestId: request.id,
      signal: turn.signal,
      logger: request.log as Logger,
      streaming,
    };
    return { chat, tenantId, sessionId, turn, input };
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
          'with the tool calls the agent made and the token usage. Turns on one session run one at a time.',
        body: chatRequestSchema,
        response: { 200: chatResponseSchema, ...errorResponses(...CHAT_ERRORS) },
      },
    },
    async (request, reply) => {
      const { chat, tenantId, sessionId, turn, input } = beginTurn(request, request.body, reply, false);
      try {
        const outcome = await chat.runTurn(input, () => {});
        return {
          session_id: sessionId,
          message: outcome.answer,
          timestamp: outcome.timestamp,
          message_count: outcome.messageCount,
          tenant_id: tenantId,
          request_id: request.id,
          tool_calls: publicToolCalls(outcome.toolCalls),
          ...(outcome.usage ? { usage: outcome.usage } : {}),
        };
      } catch (err) {
        const reason: unknown = turn.signal.reason;
        if (reason instanceof ShutdownError) {
          throw new AppError('AGENT_UNAVAILABLE', SHUTTING_DOWN_MESSAGE);
        }
        if (reason instanceof ClientGoneError) {
          // Nobody is left to read an error: drop the response instead of logging a failure.
          reply.hijack();
          reply.raw.destroy();
          request.log.info({ session_id: sessionId, status: 499 }, 'client closed the request');
          return reply;
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
      const { chat, sessionId, turn, input } = beginTurn(request, request.body, reply, true);
      const stream = createEventStream(reply, { pingIntervalMs: opts.pingIntervalMs });
      try {
        const outcome = await chat.runTurn(input, (event) =>
          stream.send({ ...event, session_id: sessionId }),
        );
        stream.send({
          type: 'done',
          session_id: sessionId,
          message_count: outcome.messageCount,
          request_id: request.id,
          ...(outcome.usage ? { usage: outcome.usage } : {}),
        });
      } catch (err) {
        const reason: unknown = turn.signal.reason;
        if (reason instanceof ClientGoneError) {
          if (!stream.started) {
            reply.hijack();
            reply.raw.destroy();
          }
          // A dropped connection fires neither 'finish' nor 'error', so onResponse never logs it.
          request.log.info({ session_id: sessionId, status: 499, stream: true }, 'client closed the request');
          return reply;
        }
        const appError =
          reason instanceof ShutdownError
            ? new AppError('AGENT_UNAVAILABLE', SHUTTING_DOWN_MESSAGE)
            : toAppError(err as Error);
        // Nothing sent yet: an ordinary JSON error with its real status is more useful than a 200 stream.
        if (!stream.started) throw appError;
        if (appError.code === 'INTERNAL_ERROR') request.log.error({ err }, 'stream turn failed');
        stream.send({
          type: 'error',
          error: appError.code,
          message: appError.message,
          session_id: sessionId,
          request_id: request.id,
        });
      } finally {
        turn.release();
        stream.end();
      }
    },
  );
};

export default chatRoutes;
