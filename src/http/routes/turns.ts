import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CUSTOMER_ATTRIBUTE, mayUseSession } from '../../access/session-access.js';
import type { ApprovalService } from '../../chat/approval-service.js';
import type { TurnService } from '../../chat/turn-service.js';
import type { SessionStore } from '../../sessions/types.js';
import type { PausedTurn } from '../../turns/approvals.js';
import { followTurn, type TurnKey } from '../../turns/replay.js';
import { AppError } from '../errors.js';
import { principalOf } from '../plugins/auth.js';
import { COMMON_ERRORS, errorResponses } from '../schemas/error.js';
import { tenantQuerySchema } from '../schemas/session.js';
import {
  cancelResponseSchema,
  pausedTurnRecord,
  turnEventsHeadersSchema,
  turnEventsQuerySchema,
  turnParamsSchema,
  turnStatusSchema,
  turnStatusView,
} from '../schemas/turn.js';
import { createEventStream } from '../sse.js';

export interface TurnRouteOptions {
  /** Undefined when no agent could be initialised: no turn exists. */
  turns: Pick<TurnService, 'get' | 'cancel' | 'replay'> | undefined;
  sessions: SessionStore;
  /** Turns paused for approval: their pending calls, and their state when the replay lost them. */
  approvals?: Pick<ApprovalService, 'get'> | undefined;
  /** How long a resumed stream follows a turn at most (its deadline, with a margin). */
  maxFollowMs: number;
  pingIntervalMs?: number;
}

const notFound = (turnId: string) =>
  new AppError('NOT_FOUND', `Turn "${turnId}" was not found`, { turn_id: turnId });

/** `<turn_id>:<seq>` as sent in the `id:` lines; a bare sequence number is accepted as well. */
function afterSeqOf(lastEventId: string | undefined, turnId: string): number {
  if (lastEventId === undefined || lastEventId.trim() === '') return 0;
  const value = lastEventId.trim();
  const colon = value.lastIndexOf(':');
  const seqText = colon < 0 ? value : value.slice(colon + 1);
  const idPart = colon < 0 ? turnId : value.slice(0, colon);
  if (idPart !== turnId || !/^\d{1,9}$/.test(seqText)) {
    throw new AppError('VALIDATION_ERROR', 'Last-Event-ID is not an event id of this turn', [
      { field: 'Last-Event-ID', message: `expected "${turnId}:<seq>"` },
    ]);
  }
  return Number(seqText);
}

const turnRoutes: FastifyPluginAsyncZod<TurnRouteOptions> = async (app, opts) => {
  const { sessions } = opts;

  /** The turn, if this caller may see it: its tenant, its session, and the session's customer. */
  async function findTurn(request: FastifyRequest, sessionId: string, turnId: string) {
    const tenantId = request.tenantId!;
    request.sessionId = sessionId;
    const key: TurnKey = { tenantId, sessionId, turnId };
    let record = opts.turns ? await opts.turns.get(key) : undefined;
    let paused: PausedTurn | undefined;
    if (opts.turns && (!record || record.status === 'awaiting_approval')) {
      // Expired approvals are declined here (the turn then goes on), so read the record again.
      paused = await opts.approvals?.get(key);
      record =
        (await opts.turns.get(key)) ?? (paused?.state ? pausedTurnRecord(key, paused.state) : undefined);
    }
    if (!record) throw notFound(turnId);
    const principal = principalOf(request);
    const session = await sessions.get({ tenantId, sessionId });
    // Another customer's turn does not exist as far as this caller can tell.
    if (session && !mayUseSession(principal, tenantId, session.attributes)) throw notFound(turnId);
    if (record.owner && !mayUseSession(principal, tenantId, { [CUSTOMER_ATTRIBUTE]: record.owner })) {
      throw notFound(turnId);
    }
    return { key, record, paused };
  }

  app.get(
    '/api/v1/sessions/:session_id/turns/:turn_id',
    {
      schema: {
        tags: ['Turns'],
        operationId: 'getTurn',
        summary: 'Turn status',
        description:
          'How a turn is doing or how it ended, from any instance, for TURN_REPLAY_TTL_SECONDS after its end. A turn paused for approvals is `awaiting_approval` with its `pending_approvals` for as long as it waits (also after a restart with a durable session store).',
        params: turnParamsSchema,
        querystring: tenantQuerySchema,
        response: { 200: turnStatusSchema, ...errorResponses(...COMMON_ERRORS, 'NOT_FOUND') },
      },
    },
    async (request) => {
      const { record, paused } = await findTurn(request, request.params.session_id, request.params.turn_id);
      return turnStatusView(record, paused);
    },
  );

  app.get(
    '/api/v1/sessions/:session_id/turns/:turn_id/events',
    {
      schema: {
        tags: ['Turns'],
        operationId: 'getTurnEvents',
        summary: "Resume a turn's event stream (SSE)",
        description:
          'Replays the events after `Last-Event-ID` (header, or the `last_event_id` query) with their original ids, then follows the turn live until its last event (`done` or `error`). Without an id, the whole turn is replayed. Events are kept TURN_REPLAY_TTL_SECONDS after the turn ends.',
        params: turnParamsSchema,
        querystring: turnEventsQuerySchema,
        headers: turnEventsHeadersSchema,
        response: {
          200: {
            description: 'The same events, with the same ids, as the original stream',
            content: { 'text/event-stream': { schema: z.string() } },
          },
          ...errorResponses(...COMMON_ERRORS, 'NOT_FOUND'),
        },
      },
    },
    async (request, reply) => {
      const { session_id: sessionId, turn_id: turnId } = request.params;
      const header = request.headers['last-event-id'];
      const lastEventId = (Array.isArray(header) ? header[0] : header) ?? request.query.last_event_id;
      const after = afterSeqOf(lastEventId, turnId);
      const { key } = await findTurn(request, sessionId, turnId);
      const replay = opts.turns?.replay;
      if (!replay) throw notFound(turnId);
      const gone = new AbortController();
      const onClose = () => gone.abort();
      reply.raw.on('close', onClose);
      reply.header('x-turn-id', turnId);
      const stream = createEventStream(reply, { pingIntervalMs: opts.pingIntervalMs });
      stream.open();
      try {
        for await (const event of followTurn(replay, key, after, {
          signal: gone.signal,
          maxFollowMs: opts.maxFollowMs,
        })) {
          stream.send(event.data, `${turnId}:${event.seq}`);
        }
      } catch (err) {
        request.log.warn({ err }, 'resumed stream failed');
      } finally {
        reply.raw.off('close', onClose);
        stream.end();
      }
      return reply;
    },
  );

  app.post(
    '/api/v1/sessions/:session_id/turns/:turn_id/cancel',
    {
      schema: {
        tags: ['Turns'],
        operationId: 'cancelTurn',
        summary: 'Cancel a running turn',
        description:
          'Stops a running turn on whichever instance runs it. The turn keeps what it already stored (its answer marked interrupted) and its stream ends with an `error` event `TURN_CANCELLED`. 200 with `cancel_requested: false` when the turn had already ended.',
        params: turnParamsSchema,
        querystring: tenantQuerySchema,
        response: {
          200: cancelResponseSchema,
          202: cancelResponseSchema,
          ...errorResponses(...COMMON_ERRORS, 'NOT_FOUND', 'AGENT_UNAVAILABLE'),
        },
      },
    },
    async (request, reply) => {
      const { key, record } = await findTurn(request, request.params.session_id, request.params.turn_id);
      const running = record.status === 'running';
      if (running) await opts.turns?.cancel(key);
      reply.code(running ? 202 : 200);
      return {
        turn_id: record.turnId,
        session_id: record.sessionId,
        status: record.status,
        cancel_requested: running,
      };
    },
  );
};

export default turnRoutes;
