import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AuditStore } from '../../audit/types.js';
import { AppError } from '../errors.js';
import { requireRole } from '../require-role.js';
import { auditPageSchema, auditQuerySchema } from '../schemas/audit.js';
import { COMMON_ERRORS, errorResponses } from '../schemas/error.js';

const auditRoutes: FastifyPluginAsyncZod<{ audit: AuditStore | undefined }> = async (app, { audit }) => {
  app.get(
    '/api/v1/audit',
    {
      preHandler: requireRole('operator'),
      schema: {
        tags: ['Audit'],
        summary: 'Tool calls',
        description:
          "Every tool call of the caller's tenant, newest first: who (role, key or subject, hashed customer), " +
          'which tool with which arguments (PII masked), for which session and turn, and how it went. Operator role.',
        querystring: auditQuerySchema,
        response: { 200: auditPageSchema, ...errorResponses(...COMMON_ERRORS, 'AGENT_UNAVAILABLE') },
      },
    },
    async (request) => {
      if (!audit) throw new AppError('AGENT_UNAVAILABLE', 'The audit log is not available on this server');
      const tenantId = request.tenantId!;
      const { session_id, tool, since, limit, offset } = request.query;
      const page = await audit.query({
        tenantId,
        ...(session_id ? { sessionId: session_id } : {}),
        ...(tool ? { tool } : {}),
        ...(since ? { since: new Date(since) } : {}),
        limit,
        offset,
      });
      return { tenant_id: tenantId, total: page.total, limit, offset, entries: page.entries };
    },
  );
};

export default auditRoutes;
