import { type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { UNMATCHED_ROUTE } from '../../telemetry/metrics.js';
import type { Tracing } from '../../telemetry/tracing.js';

/** Probes and scrapes arrive every few seconds and say nothing about a customer's request: no span. */
const UNTRACED = /^\/(health|metrics)(\/|$)/;

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span while tracing is on and the span is open. */
    traceSpan: Span | null;
  }
}

/**
 * A server span per request, named after the route pattern (`POST /api/v1/chat`), continuing the
 * caller's trace when it sends a `traceparent`. The span is made active for the request's hooks and
 * handler, so turn, model and tool spans become its children and log lines carry its trace id.
 * Health probes and metric scrapes are not traced. Without tracing this plugin adds no hook at all.
 */
async function tracingPlugin(app: FastifyInstance, opts: { tracing: Tracing | undefined }): Promise<void> {
  const { tracing } = opts;
  if (!tracing) return;
  app.decorateRequest('traceSpan', null);

  const finish = (request: FastifyRequest, status: number) => {
    const span = request.traceSpan;
    if (!span) return;
    request.traceSpan = null;
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };

  // Callback-style hooks: the rest of the request's lifecycle continues inside `withSpan`.
  app.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route && UNTRACED.test(route)) {
      done();
      return;
    }
    const span = tracing.startSpan(`${request.method} ${route ?? UNMATCHED_ROUTE}`, {
      kind: SpanKind.SERVER,
      parent: tracing.extract(request.headers),
      attributes: {
        'http.request.method': request.method,
        ...(route ? { 'http.route': route } : {}),
      },
    });
    request.traceSpan = span;
    const res = reply.raw;
    res.once('close', () => finish(request, res.writableFinished ? res.statusCode : 499));
    tracing.withSpan(span, done);
  });
  // Body parsing runs on the socket's events, outside the span: make it active again for the handler.
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.traceSpan) tracing.withSpan(request.traceSpan, done);
    else done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    finish(request, reply.statusCode);
    done();
  });
}

export default fp(tracingPlugin, { name: 'tracing' });
