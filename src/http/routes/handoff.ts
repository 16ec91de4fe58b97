import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { HandoffService } from '../../tools/handoff/service.js';
import { requireRole } from '../require-role.js';
import { COMMON_ERRORS, errorResponses } from '../schemas/error.js';
import {
  handoffListSchema,
  operatorMessageBodySchema,
  operatorMessageResponseSchema,
  releaseResponseSchema,
} from '../schemas/handoff.js';
import { listQuerySchema, sessionParamsSchema, tenantQuerySchema } from '../schemas/session.js';

const OPERATOR_ONLY =
  'Needs the `operator` role (an API key `key:tenant:operator`, or a token with `role: operator`); in open mode anyone.';

/** Hand-off to a person (DESIGN §13): what operators do with a handed-off session. */
const handoffRoutes: FastifyPluginAsyncZod<{ handoff: HandoffService }> = async (app, { handoff }) => {
  const operator = requireRole('operator');

  app.post(
    '/api/v1/sessions/:session_id/messages',
    {
      preHandler: operator,
      schema: {
        tags: ['Hand-off'],
        operationId: 'postOperatorMessage',
        summary: 'Write to the customer as a person (operator)',
        description: `Adds an \`operator\` message to the session, after any turn running on it. The customer sees it in the history and on the session's live feed; the model reads it in later turns as a message from the support team. The session's status does not change. ${OPERATOR_ONLY}`,
        params: sessionParamsSchema,
        querystring: tenantQuerySchema,
        body: operatorMessageBodySchema,
        response: {
          200: operatorMessageResponseSchema,
          ...errorResponses(
            ...COMMON_ERRORS,
            'SESSION_NOT_FOUND',
            'PAYLOAD_TOO_LARGE',
            'UNSUPPORTED_MEDIA_TYPE',
          ),
        },
      },
    },
    async (request) => {
      const key = { tenantId: request.tenantId!, sessionId: request.params.session_id };
      request.sessionId = key.sessionId;
      const posted = await handoff.postOperatorMessage(key, request.body.content);
      return {
        session_id: key.sessionId,
        tenant_id: key.tenantId,
        status: posted.status,
        message_count: posted.messageCount,
        message: {
          role: posted.message.role,
          content: posted.message.content,
          timestamp: posted.message.timestamp,
        },
      };
    },
  );

  app.post(
    '/api/v1/sessions/:session_id/handoff/release',
    {
      preHandler: operator,
      schema: {
        tags: ['Hand-off'],
        operationId: 'releaseHandoff',
        summary: 'Give the session back to the agent (operator)',
        description: `The session's status becomes \`active\`: the agent answers the customer's next message, with the operator's messages in its history. Releasing a session that is not handed off changes nothing (\`released: false\`). ${OPERATOR_ONLY}`,
        params: sessionParamsSchema,
        querystring: tenantQuerySchema,
        response: { 200: releaseResponseSchema, ...errorResponses(...COMMON_ERRORS, 'SESSION_NOT_FOUND') },
      },
    },
    async (request) => {
      const key = { tenantId: request.tenantId!, sessionId: request.params.session_id };
      request.sessionId = key.sessionId;
      const { status, wasHandedOff } = await handoff.release(key);
      return { session_id: key.sessionId, tenant_id: key.tenantId, status, released: wasHandedOff };
    },
  );

  app.get(
    '/api/v1/handoffs',
    {
      preHandler: operator,
      schema: {
        tags: ['Hand-off'],
        operationId: 'listHandoffs',
        summary: 'Sessions waiting for a person (operator)',
        description: `The tenant's handed-off sessions, most recent hand-off first, paginated. ${OPERATOR_ONLY}`,
        querystring: listQuerySchema,
        response: { 200: handoffListSchema, ...errorResponses(...COMMON_ERRORS) },
      },
    },
    async (request) => {
      const tenantId = request.tenantId!;
      const { limit, offset } = request.query;
      const page = await handoff.listWaiting(tenantId, { limit, offset });
      return { tenant_id: tenantId, total: page.total, limit, offset, sessions: page.sessions };
    },
  );
};

export default handoffRoutes;
