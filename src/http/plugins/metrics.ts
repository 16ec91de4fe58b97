import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AppConfig } from '../../config/index.js';
import type { SessionStore } from '../../sessions/types.js';
import { createMetrics, type Metrics } from '../../telemetry/metrics.js';
import { AppError } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's Prometheus metrics; null when METRICS_ENABLED=false. */
    metrics: Metrics | null;
  }
}

export interface MetricsPluginOptions {
  config: Pick<AppConfig, 'METRICS_ENABLED' | 'METRICS_TOKEN'>;
  /** Shared with the runtime's instrumentation; created here when the app is built without one. */
  metrics?: Metrics;
  sessions: Pick<SessionStore, 'count'>;
}

function bearerMatches(request: FastifyRequest, expected: Buffer): boolean {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !/^bearer /i.test(header)) return false;
  const given = Buffer.from(header.slice(7).trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * GET /metrics in Prometheus text format, and the HTTP request metrics. The route label is the
 * matched route pattern (`/api/v1/sessions/:session_id`), never the raw URL, so ids never become
 * label values; requests no route matched share one label. A response the client abandoned before
 * it was complete is counted with status 499, as in the request log.
 */
async function metricsPlugin(app: FastifyInstance, opts: MetricsPluginOptions): Promise<void> {
  if (!opts.config.METRICS_ENABLED) {
    app.decorate('metrics', null);
    return;
  }
  const metrics = opts.metrics ?? createMetrics();
  metrics.observeSessions(() => opts.sessions.count());
  app.decorate('metrics', metrics);

  // A finished response is counted by onResponse; a hijacked (SSE) one or one the client abandoned
  // may fire only 'close'.
  const counted = new WeakSet<FastifyRequest>();
  const record = (request: FastifyRequest, status: number, seconds: number) => {
    if (counted.has(request)) return;
    counted.add(request);
    metrics.recordHttp(request.method, request.routeOptions.url, status, seconds);
  };
  app.addHook('onRequest', (request, reply, done) => {
    const res = reply.raw;
    res.once('close', () =>
      record(request, res.writableFinished ? res.statusCode : 499, reply.elapsedTime / 1000),
    );
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    record(request, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  const token = opts.config.METRICS_TOKEN ? Buffer.from(opts.config.METRICS_TOKEN) : undefined;
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (token && !bearerMatches(request, token)) {
      throw new AppError(
        'UNAUTHORIZED',
        'A valid metrics token is required (Authorization: Bearer <token>)',
        undefined,
        {
          headers: { 'www-authenticate': 'Bearer' },
        },
      );
    }
    const { contentType, body } = await metrics.scrape();
    return reply.header('cache-control', 'no-store').type(contentType).send(body);
  });
}

export default fp(metricsPlugin, { name: 'metrics' });
