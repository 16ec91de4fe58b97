import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ReadinessRegistry } from '../../health/readiness.js';
import { SHUTTING_DOWN_MESSAGE } from '../inflight.js';
import { healthSchema, livenessSchema, readinessSchema } from '../schemas/health.js';

export interface HealthRouteOptions {
  version: string;
  readiness: ReadinessRegistry;
  startedAt: number;
  /** True once shutdown has begun: a load balancer should stop sending traffic. */
  isClosing?: () => boolean;
}

const healthRoutes: FastifyPluginAsyncZod<HealthRouteOptions> = async (app, opts) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['Health'],
        security: [],
        operationId: 'getHealth',
        summary: 'Basic health',
        description: 'Answers as long as the process serves HTTP. Cheap; safe to poll.',
        response: { 200: healthSchema },
      },
    },
    async () => ({
      status: 'healthy' as const,
      timestamp: new Date().toISOString(),
      version: opts.version,
      uptime_seconds: Math.round((Date.now() - opts.startedAt) / 1000),
    }),
  );

  app.get(
    '/health/liveness',
    {
      schema: {
        tags: ['Health'],
        security: [],
        operationId: 'getLiveness',
        summary: 'Liveness probe',
        description: 'For orchestrators: restart the container when this stops answering.',
        response: { 200: livenessSchema },
      },
    },
    async () => ({ status: 'alive' as const, timestamp: new Date().toISOString() }),
  );

  app.get(
    '/health/readiness',
    {
      schema: {
        tags: ['Health'],
        security: [],
        operationId: 'getReadiness',
        summary: 'Readiness probe',
        description:
          'Runs every registered dependency check in parallel, each with a short timeout. `degraded` (200) when a ' +
          'non-critical dependency such as the MCP server is down; 503 `not_ready` when a critical one (order ' +
          'database, agent, or MCP when MCP_SERVER_REQUIRED=true) fails. Never spends LLM tokens.',
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (_request, reply) => {
      const report = await opts.readiness.run();
      if (opts.isClosing?.()) {
        report.status = 'not_ready';
        report.warnings.unshift(SHUTTING_DOWN_MESSAGE);
      }
      return reply
        .code(report.status === 'not_ready' ? 503 : 200)
        .send({ ...report, timestamp: new Date().toISOString() });
    },
  );
};

export default healthRoutes;
