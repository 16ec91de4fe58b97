import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant the request acts for, once known (auth or validated body/query). */
    tenantId?: string;
    sessionId?: string;
  }
}

/**
 * Echoes the request id on every response and writes the one log line per request, on completion,
 * with what an operator filters by. Message text never goes here.
 */
async function requestContext(app: FastifyInstance): Promise<void> {
  app.decorateRequest('tenantId', undefined);
  app.decorateRequest('sessionId', undefined);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    const path = request.routeOptions.url ?? request.url.split('?')[0] ?? '';
    const line = {
      method: request.method,
      path,
      url: request.url.split('?')[0],
      status,
      duration_ms: Math.round(reply.elapsedTime * 10) / 10,
      ...(request.tenantId === undefined ? {} : { tenant_id: request.tenantId }),
      ...(request.sessionId === undefined ? {} : { session_id: request.sessionId }),
    };
    const quiet =
      path.startsWith('/health') || path.startsWith('/docs') || path === '/' || path.startsWith('/web/');
    if (status >= 500) request.log.error(line, 'request failed');
    else if (quiet) request.log.debug(line, 'request completed');
    else request.log.info(line, 'request completed');
  });
}

export default fp(requestContext, { name: 'request-context' });
