import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { auditActorOf } from '../../audit/tool-calls.js';
import type { FeedbackService } from '../../feedback/service.js';
import { AppError } from '../errors.js';
import { principalOf } from '../plugins/auth.js';
import { requireRole } from '../require-role.js';
import { COMMON_ERRORS, errorResponses } from '../schemas/error.js';
import {
  feedbackBodySchema,
  feedbackPageSchema,
  feedbackQuerySchema,
  feedbackSchema,
} from '../schemas/feedback.js';
import { sessionParamsSchema, tenantQuerySchema } from '../schemas/session.js';

const unavailable = () => new AppError('AGENT_UNAVAILABLE', 'Feedback is not available on this server');

/** Customers rate answers and sessions; operators read the ratings (DESIGN §13). */
const feedbackRoutes: FastifyPluginAsyncZod<{ feedback: FeedbackService | undefined }> = async (
  app,
  { feedback },
) => {
  app.post(
    '/api/v1/sessions/:session_id/feedback',
    {
      schema: {
        tags: ['Feedback'],
        operationId: 'postFeedback',
        summary: 'Rate an answer or the session',
        description:
          'Stores a rating from 1 to 5 with an optional comment, for the answer of `turn_id` or, without it, for the whole session. ' +
          'One rating per answer and one per session: a later rating of the same replaces the earlier one (latest wins; the reply is 201 either way). ' +
          'The caller must be allowed to read the session, as for its history; a `turn_id` with no answer in the session is 404 NOT_FOUND.',
        params: sessionParamsSchema,
        querystring: tenantQuerySchema,
        body: feedbackBodySchema,
        response: {
          201: feedbackSchema,
          ...errorResponses(
            ...COMMON_ERRORS,
            'SESSION_NOT_FOUND',
            'NOT_FOUND',
            'PAYLOAD_TOO_LARGE',
            'UNSUPPORTED_MEDIA_TYPE',
            'AGENT_UNAVAILABLE',
          ),
        },
      },
    },
    async (request, reply) => {
      if (!feedback) throw unavailable();
      const sessionId = request.params.session_id;
      request.sessionId = sessionId;
      const principal = principalOf(request);
      const { turn_id, rating, comment } = request.body;
      const stored = await feedback.submit({
        tenantId: request.tenantId!,
        sessionId,
        ...(turn_id ? { turnId: turn_id } : {}),
        rating,
        ...(comment ? { comment } : {}),
        requestId: request.id,
        actor: auditActorOf(principal),
        caller: principal,
        logger: request.log as Logger,
      });
      app.metrics?.recordFeedback(stored.rating);
      return reply.code(201).send(stored);
    },
  );

  app.get(
    '/api/v1/feedback',
    {
      preHandler: requireRole('operator'),
      schema: {
        tags: ['Feedback'],
        operationId: 'listFeedback',
        summary: 'Ratings (operator)',
        description:
          "The ratings of the caller's tenant, most recently given first, optionally for one session or since an instant. Operator role; in open mode anyone.",
        querystring: feedbackQuerySchema,
        response: { 200: feedbackPageSchema, ...errorResponses(...COMMON_ERRORS, 'AGENT_UNAVAILABLE') },
      },
    },
    async (request) => {
      if (!feedback) throw unavailable();
      const tenantId = request.tenantId!;
      const { session_id, since, limit, offset } = request.query;
      const page = await feedback.query({
        tenantId,
        ...(session_id ? { sessionId: session_id } : {}),
        ...(since ? { since: new Date(since) } : {}),
        limit,
        offset,
      });
      return { tenant_id: tenantId, total: page.total, limit, offset, items: page.items };
    },
  );
};

export default feedbackRoutes;
