import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Attributes,
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  type SpanKind,
  trace,
} from '@opentelemetry/api';
import type { AppConfig } from '../config/index.js';
import { SERVICE_VERSION } from '../project.js';

/** GenAI semantic-convention attribute names (copied, as the incubating entry point advises). */
export const GEN_AI = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  finishReasons: 'gen_ai.response.finish_reasons',
  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
  agentName: 'gen_ai.agent.name',
  conversationId: 'gen_ai.conversation.id',
} as const;

export type TracingConfig = Pick<
  AppConfig,
  | 'OTEL_EXPORTER_OTLP_ENDPOINT'
  | 'OTEL_EXPORTER_OTLP_HEADERS'
  | 'OTEL_SERVICE_NAME'
  | 'OTEL_TRACES_SAMPLER_ARG'
>;

export interface StartSpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Defaults to the active span of this tracing instance (none: a new trace). */
  parent?: Context;
}

export interface Tracing {
  startSpan(name: string, options?: StartSpanOptions): Span;
  /** Runs `fn` with `span` as the active span (for its whole async continuation). */
  withSpan<T>(span: Span, fn: () => T): T;
  activeSpan(): Span | undefined;
  /** Adds `traceparent` (and `tracestate`) of the active span, if any, to an outgoing call's headers. */
  inject(headers: Record<string, string>, span?: Span): void;
  /** The caller's trace context from incoming request headers (ROOT when there is none). */
  extract(headers: Record<string, string | string[] | undefined>): Context;
  /** Fields for every log line written while a span is active (pino mixin); a new object per call. */
  logFields(): Record<string, string>;
  /** Exports what is buffered. */
  flush(): Promise<void>;
  /** Flushes and stops the exporter. */
  shutdown(): Promise<void>;
}

/** `key=value,key2=value2` as the OTLP exporters read OTEL_EXPORTER_OTLP_HEADERS (values URL-encoded). */
export function parseOtlpHeaders(value: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (value ?? '').split(',')) {
    const sep = pair.indexOf('=');
    if (sep <= 0) continue;
    const key = pair.slice(0, sep).trim();
    const raw = pair.slice(sep + 1).trim();
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      // Not URL-encoded after all: keep it as written.
    }
    if (key) headers[key] = decoded;
  }
  return headers;
}

/**
 * OpenTelemetry traces over OTLP/HTTP (JSON) when OTEL_EXPORTER_OTLP_ENDPOINT is set; undefined
 * otherwise, and then nothing of OpenTelemetry's SDK is even loaded. The provider is this instance's
 * own (never registered globally) and so is the active-span store, so several apps in one process
 * keep their traces apart.
 */
export async function createTracing(config: TracingConfig): Promise<Tracing | undefined> {
  const endpoint = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return undefined;
  const [{ W3CTraceContextPropagator }, { OTLPTraceExporter }, { resourceFromAttributes }, sdk, semconv] =
    await Promise.all([
      import('@opentelemetry/core'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/semantic-conventions'),
    ]);

  const exporter = new OTLPTraceExporter({
    url: `${endpoint.replace(/\/+$/, '')}/v1/traces`,
    headers: parseOtlpHeaders(config.OTEL_EXPORTER_OTLP_HEADERS),
  });
  const provider = new sdk.NodeTracerProvider({
    resource: resourceFromAttributes({
      [semconv.ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME,
      [semconv.ATTR_SERVICE_VERSION]: SERVICE_VERSION,
    }),
    sampler: new sdk.ParentBasedSampler({
      root: new sdk.TraceIdRatioBasedSampler(config.OTEL_TRACES_SAMPLER_ARG),
    }),
    spanProcessors: [new sdk.BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('msev15e2e-ts', SERVICE_VERSION);
  const propagator = new W3CTraceContextPropagator();
  const active = new AsyncLocalStorage<Span>();

  const contextOf = (span: Span | undefined): Context =>
    span ? trace.setSpan(ROOT_CONTEXT, span) : ROOT_CONTEXT;

  return {
    startSpan(name, options = {}) {
      return tracer.startSpan(
        name,
        {
          ...(options.kind === undefined ? {} : { kind: options.kind }),
          ...(options.attributes ? { attributes: options.attributes } : {}),
        },
        options.parent ?? contextOf(active.getStore()),
      );
    },
    withSpan: (span, fn) => active.run(span, fn),
    activeSpan: () => active.getStore(),
    inject(headers, span = active.getStore()) {
      if (span) propagator.inject(contextOf(span), headers, defaultTextMapSetter);
    },
    extract(headers) {
      return propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    },
    logFields(): Record<string, string> {
      const span = active.getStore();
      // A fresh object each time: pino merges the line's own fields into it.
      if (!span) return {};
      const { traceId, spanId } = span.spanContext();
      return { trace_id: traceId, span_id: spanId };
    },
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** A fetch for the MCP client that carries the active span's `traceparent` to the MCP server. */
export function tracedFetch(tracing: Tracing): (url: string | URL, init?: RequestInit) => Promise<Response> {
  return (url, init) => {
    const extra: Record<string, string> = {};
    tracing.inject(extra);
    if (!extra.traceparent) return fetch(url, init);
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(extra)) headers.set(name, value);
    return fetch(url, { ...init, headers });
  };
}
