import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { mayUseSession } from '../../access/session-access.js';
import { countConversationMessages } from '../../sessions/count.js';
import { sessionStatus } from '../../sessions/status.js';
import type { SessionStore } from '../../sessions/types.js';
import { runExclusive, type TurnLock } from '../../turns/turn-lock.js';
import { AppError } from '../errors.js';
import { principalOf } from '../plugins/auth.js';
import { COMMON_ERRORS, errorResponses } from '../schemas/error.js';
import {
  deletedSchema,
  historySchema,
  listQuerySchema,
  publicToolCalls,
  sessionListSchema,
  sessionParamsSchema,
  tenantQuerySchema,
} from '../schemas/session.js';

const notFound = (sessionId: string) =>
  new AppError('SESSION_NOT_FOUND', `Session "${sessionId}" was not found`, { session_id: sessionId });

const sessionRoutes: FastifyPluginAsyncZod<{ sessions: SessionStore; turnLock: TurnLock }> = async (
  app,
  { sessions, turnLock },
) => {
  app.get(
    '/api/v1/sessions/:session_id/history',
    {
      schema: {
        tags: ['Sessions'],
        operationId: 'getSessionHistory',
        summary: 'Conversation history',
        description: "The session's messages in order, with the tool calls the agent made for each answer.",
        params: sessionParamsSchema,
        querystring: tenantQuerySchema,
        response: { 200: historySchema, ...errorResponses(...COMMON_ERRORS, 'SESSION_NOT_FOUND') },
      },
    },
    async (request) => {
      const tenantId = request.tenantId!;
      const sessionId = request.params.session_id;
      request.sessionId = sessionId;
      const session = await sessions.get({ tenantId, sessionId });
      // Another customer's conversation does not exist as far as this caller can tell.
      if (!session || !mayUseSession(principalOf(request), tenantId, session.attributes)) {
        throw notFound(sessionId);
      }
      return {
        session_id: sessionId,
        tenant_id: tenantId,
        status: sessionStatus(session.attributes),
        message_count: countConversationMessages(session.messages),
        created_at: session.createdAt,
        last_activity: session.lastActivity,
        messages: session.messages.map((m) => ({
          role: m.role,
          content: m.content,
          timestamp: m.timestamp,
          ...(m.tool_calls ? { tool_calls: publicToolCalls(m.tool_calls) } : {}),
          ...(m.interrupted ? { interrupted: true } : {}),
          ...(m.turn_id ? { turn_id: m.turn_id } : {}),
        })),
      };
    },
  );

  app.delete(
    '/api/v1/sessions/:session_id',
    {
      schema: {
        tags: ['Sessions'],
        operationId: 'deleteSession',
        summary: 'Delete a session',
        description: 'Forgets the conversation. A turn running on it finishes first.',
        params: sessionParamsSchema,
        querystring: tenantQuerySchema,
        response: { 200: deletedSchema, ...errorResponses(...COMMON_ERRORS, 'SESSION_NOT_FOUND') },
      },
    },
    async (request) => {
      const key = { tenantId: request.tenantId!, sessionId: request.params.session_id };
      request.sessionId = key.sessionId;
      const principal = principalOf(request);
      // Behind the session lock, so a running turn cannot write the session back after the delete.
      const deleted = await runExclusive(turnLock, key, async () => {
        const session = await sessions.get(key);
        if (!session || !mayUseSession(principal, key.tenantId, session.attributes)) return false;
        return sessions.delete(key);
      });
      if (!deleted) throw notFound(key.sessionId);
      return { message: 'Session deleted successfully' as const, session_id: key.sessionId };
    },
  );

  app.get(
    '/api/v1/sessions',
    {
      schema: {
        tags: ['Sessions'],
        operationId: 'listSessions',
        summary: "List a tenant's sessions",
        description: 'Paginated, most recent activity first.',
        querystring: listQuerySchema,
        response: { 200: sessionListSchema, ...errorResponses(...COMMON_ERRORS) },
      },
    },
    async (request) => {
      const tenantId = request.tenantId!;
      const { limit, offset } = request.query;
      const page = await sessions.list(tenantId, { limit, offset });
      const summaries = page.sessions.map(({ attributes, ...summary }) => ({
        ...summary,
        status: sessionStatus(attributes),
      }));
      return { tenant_id: tenantId, total: page.total, limit, offset, sessions: summaries };
    },
  );
};

export default sessionRoutes;
