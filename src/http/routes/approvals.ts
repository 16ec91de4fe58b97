import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { actorOf } from '../../access/principal.js';
import { CUSTOMER_ATTRIBUTE, mayUseSession } from '../../access/session-access.js';
import type { ApprovalService } from '../../chat/approval-service.js';
import { pendingView, type TurnService } from '../../chat/turn-service.js';
import type { SessionStore } from '../../sessions/types.js';
import type { TurnKey } from '../../turns/replay.js';
import { AppError } from '../errors.js';
import type { InflightTurns } from '../inflight.js';
import { principalOf } from '../plugins/auth.js';
import { requireRole } from '../require-role.js';
import { approvalDecisionSchema, approvalListQuerySchema, approvalListSchema } from '../schemas/approval.js';
import { COMMON_ERRORS, errorResponses } from '../schemas/error.js';
import { tenantQuerySchema } from '../schemas/session.js';
import { pausedTurnRecord, turnParamsSchema, turnStatusSchema, turnStatusView } from '../schemas/turn.js';

export interface ApprovalRouteOptions {
  /** Undefined when no agent could be initialised: nothing can be paused. */
  approvals: ApprovalService | undefined;
  turns: Pick<TurnService, 'get'> | undefined;
  sessions: SessionStore;
  /** A resumed turn counts as in flight, so a graceful shutdown waits for it. */
  inflight: InflightTurns;
}

const notFound = (callId: string) =>
  new AppError('NOT_FOUND', 'No such approval on this turn', { call_id: callId });

const approvalRoutes: FastifyPluginAsyncZod<ApprovalRouteOptions> = async (app, opts) => {
  const { sessions, inflight } = opts;

  app.post(
    '/api/v1/sessions/:session_id/turns/:turn_id/approvals',
    {
      preHandler: requireRole('operator'),
      schema: {
        tags: ['Turns'],
        operationId: 'decideApproval',
        summary: 'Approve or decline a paused tool call',
        description:
          'Decides one call of a turn that is `awaiting_approval` (TOOLS_REQUIRING_APPROVAL). Operator role, within its tenant. ' +
          '`approve` runs the tool; `decline` gives the model a tool result saying so (with the reason), which it explains to the customer. ' +
          'Once every call of the turn is decided the turn goes on (its events follow in `GET …/turns/{turn_id}/events`, its answer is stored in the session) ' +
          'and this request answers when it has: 200 with the turn status (`completed`, or `failed`), or 202 if it paused again, ' +
          'or 202 with `status: awaiting_approval` and no `pending_approvals` when it could not run yet (session queue full, shutdown): the decision is kept and the turn goes on later. ' +
          'While other calls of the turn still wait: 202 with `status: awaiting_approval` and the calls left in `pending_approvals`. ' +
          'A call already decided (or expired) is 409 APPROVAL_NOT_PENDING and nothing runs twice; an unknown call or turn is 404.',
        params: turnParamsSchema,
        querystring: tenantQuerySchema,
        body: approvalDecisionSchema,
        response: {
          200: turnStatusSchema,
          202: turnStatusSchema,
          ...errorResponses(...COMMON_ERRORS, 'NOT_FOUND', 'APPROVAL_NOT_PENDING', 'AGENT_UNAVAILABLE'),
        },
      },
    },
    async (request, reply) => {
      const { approvals, turns } = opts;
      const { session_id: sessionId, turn_id: turnId } = request.params;
      const { call_id: callId, decision, reason } = request.body;
      request.sessionId = sessionId;
      if (!approvals || !turns) throw notFound(callId);
      if (inflight.closing) throw new AppError('AGENT_UNAVAILABLE', 'The server is shutting down');
      const tenantId = request.tenantId!;
      const principal = principalOf(request);
      const key: TurnKey = { tenantId, sessionId, turnId };
      const session = await sessions.get({ tenantId, sessionId });
      if (session && !mayUseSession(principal, tenantId, session.attributes)) throw notFound(callId);
      const paused = await approvals.get(key);
      const owner = paused?.state?.owner;
      if (owner && !mayUseSession(principal, tenantId, { [CUSTOMER_ATTRIBUTE]: owner }))
        throw notFound(callId);

      const controller = new AbortController();
      const outcome = await approvals.decide({
        key,
        callId,
        decision,
        ...(reason ? { reason } : {}),
        decidedBy: actorOf(principal),
        signal: controller.signal,
        logger: request.log as Logger,
      });
      if (!outcome.resumed) {
        reply.code(202);
        const record =
          (await turns.get(key)) ?? (paused?.state ? pausedTurnRecord(key, paused.state) : undefined);
        const view = record ? turnStatusView(record) : undefined;
        return {
          ...(view ?? {
            turn_id: turnId,
            session_id: sessionId,
            tool_calls: [],
            started_at: new Date(outcome.approval.createdAt).toISOString(),
          }),
          status: 'awaiting_approval' as const,
          pending_approvals: outcome.pending.map(pendingView),
        };
      }
      const untrack = inflight.track(controller);
      try {
        const result = await outcome.turn.finished;
        if (result.pendingApprovals) reply.code(202);
      } catch {
        // The turn failed after the decision: its status says how.
      } finally {
        untrack();
      }
      const record = await turns.get(key);
      if (!record) throw notFound(callId);
      // The resume could not run (the session's queue was full, its deadline passed waiting, or
      // shutdown): the decision is kept and the turn goes on later (the sweep resumes it).
      if (record.status === 'awaiting_approval') reply.code(202);
      return turnStatusView(record, await approvals.get(key));
    },
  );

  app.get(
    '/api/v1/approvals',
    {
      preHandler: requireRole('operator'),
      schema: {
        tags: ['Turns'],
        operationId: 'listApprovals',
        summary: 'Pending approvals',
        description:
          "The tenant's tool calls waiting for an operator, the soonest to expire first. Approvals past APPROVAL_TTL_MINUTES are declined (their turns go on) instead of listed. Operator role.",
        querystring: approvalListQuerySchema,
        response: { 200: approvalListSchema, ...errorResponses(...COMMON_ERRORS) },
      },
    },
    async (request) => {
      const tenantId = request.tenantId!;
      const pending = opts.approvals ? await opts.approvals.listPending(tenantId, request.query.limit) : [];
      return {
        tenant_id: tenantId,
        status: 'pending' as const,
        count: pending.length,
        approvals: pending.map((a) => ({
          ...pendingView(a),
          session_id: a.sessionId,
          turn_id: a.turnId,
          created_at: new Date(a.createdAt).toISOString(),
        })),
      };
    },
  );
};

export default approvalRoutes;
