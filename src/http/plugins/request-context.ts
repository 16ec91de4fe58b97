import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';

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

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const path = request.routeOptions.url ?? request.url.split('?')[0] ?? '';
    const quiet =
      path.startsWith('/health') || path.startsWith('/docs') || path === '/' || path.startsWith('/web/');
    const level = status >= 500 ? 'error' : quiet ? 'debug' : 'info';
    // Nothing is built for a line the logger would drop (LOG_LEVEL=warn drops every completion).
    if (!(request.log as Logger).isLevelEnabled(level)) {
      done();
      return;
    }
    const line = {
      method: request.method,
      path,
      url: request.url.split('?')[0],
      status,
      duration_ms: Math.round(reply.elapsedTime * 10) / 10,
      ...(request.tenantId === undefined ? {} : { tenant_id: request.tenantId }),
      ...(request.sessionId === undefined ? {} : { session_id: request.sessionId }),
    };
    if (level === 'error') request.log.error(line, 'request failed');
    else request.log[level](line, 'request completed');
    done();
  });
}

export default fp(requestContext, { name: 'request-context' });
