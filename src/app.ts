import Fastify, { LogController } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { ChildLoggerOptions, Logger } from 'pino';
import { createApiKeyVerifier } from './access/api-keys.js';
import type { AuditStore } from './audit/types.js';
import { type ApprovalService, createApprovalService } from './chat/approval-service.js';
import { createTurnService, type TurnService } from './chat/turn-service.js';
import type { AppConfig } from './config/index.js';
import { createFeedbackService, type FeedbackStore } from './feedback/index.js';
import type { ReadinessRegistry } from './health/readiness.js';
import { createInflightTurns, type InflightTurns } from './http/inflight.js';
import auth from './http/plugins/auth.js';
import cors from './http/plugins/cors.js';
import errorHandler, { clientErrorHandler, frameworkErrorHandler } from './http/plugins/error-handler.js';
import metricsPlugin from './http/plugins/metrics.js';
import rateLimit from './http/plugins/rate-limit.js';
import requestContext from './http/plugins/request-context.js';
import swagger from './http/plugins/swagger.js';
import tracingPlugin from './http/plugins/tracing.js';
import webChat from './http/plugins/web-chat.js';
import { requestIdFor } from './http/request-id.js';
import approvalRoutes from './http/routes/approvals.js';
import auditRoutes from './http/routes/audit.js';
import chatRoutes, { type ChatTurns } from './http/routes/chat.js';
import feedbackRoutes from './http/routes/feedback.js';
import handoffRoutes from './http/routes/handoff.js';
import healthRoutes from './http/routes/health.js';
import sessionEventRoutes from './http/routes/session-events.js';
import sessionRoutes from './http/routes/sessions.js';
import turnRoutes from './http/routes/turns.js';
import { responseSerializerCompiler } from './http/serializer.js';
import { validatorCompiler } from './http/validator.js';
import { lazyRequestLogger } from './lib/lazy-logger.js';
import { SERVICE_VERSION } from './project.js';
import type { SessionEventBus } from './sessions/events.js';
import type { SessionStore } from './sessions/types.js';
import type { Metrics } from './telemetry/metrics.js';
import type { Tracing } from './telemetry/tracing.js';
import { createHandoffService, type HandoffService } from './tools/handoff/service.js';
import { createMemoryApprovalStore } from './turns/approvals.js';
import { createMemoryTurnCancellation } from './turns/cancel-signals.js';
import { createMemoryIdempotencyStore } from './turns/idempotency.js';
import { createMemoryReplayStore } from './turns/memory-replay.js';
import type { TurnLock } from './turns/turn-lock.js';

export interface AppDeps {
  config: AppConfig;
  logger: Logger;
  sessions: SessionStore;
  /** Serialises turns (and deletes) on one session; shared through Redis across instances. */
  turnLock: TurnLock;
  readiness: ReadinessRegistry;
  /** The audit log's read side (GET /api/v1/audit); absent: the route answers 503. */
  audit?: AuditStore;
  /** Customers' ratings (POST …/feedback, GET /api/v1/feedback); absent: those routes answer 503. */
  feedback?: FeedbackStore;
  /** The shared Redis client when REDIS_URL is set (rate-limit counters across instances). */
  redis?: Redis;
  /** The turn service; undefined when no agent could be initialised (chat answers 503). */
  chat?: ChatTurns;
  /**
   * Turns with ids, replay and cancel (§10) around `chat`; shared through Redis by the runtime. When
   * omitted, the app keeps them in the process.
   */
  turns?: TurnService;
  /** Decisions on turns paused for approval (the runtime's, beside `turns`); made with them when omitted. */
  approvals?: ApprovalService;
  inflight?: InflightTurns;
  /** The runtime's metrics (model, tool and turn instruments); the app makes its own when omitted. */
  metrics?: Metrics;
  /** OpenTelemetry traces; undefined when OTEL_EXPORTER_OTLP_ENDPOINT is not set. */
  tracing?: Tracing;
  /** Hand-off to a person; the runtime's (shared with the tool and the webhook), else one of the app's. */
  handoff?: HandoffService;
  /**
   * Publishes what `sessions` stores (the runtime wraps the store with `withSessionEvents`); the
   * session live feed route exists only with it.
   */
  sessionEvents?: SessionEventBus;
  /** Tests shorten the SSE keep-alive comment interval. */
  pingIntervalMs?: number;
}

/** Trusts the first `hops` proxies counted from this server, as proxy-addr does for a number. */
function trustHops(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}

/**
 * Node reads these only when the server is created (Fastify sets requestTimeout afterwards, too
 * late for the connection checker): a request must arrive whole within REQUEST_TIMEOUT_MS, its
 * headers no later, and stalled connections are checked often enough for that to hold.
 */
export function serverTimeouts(config: Pick<AppConfig, 'REQUEST_TIMEOUT_MS' | 'KEEP_ALIVE_TIMEOUT_MS'>) {
  return {
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    headersTimeout: config.REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(config.REQUEST_TIMEOUT_MS / 4))),
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
  };
}

/** Builds the HTTP application around already-constructed dependencies. It does not listen. */
export async function buildApp(deps: AppDeps) {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    // One completion line per request is written by the request-context plugin instead.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: requestIdFor,
    // The request's logger (request_id) is built only if the request logs a line.
    childLoggerFactory: (logger, bindings, options) =>
      lazyRequestLogger(logger as Logger, bindings, options as ChildLoggerOptions),
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: typeof config.TRUST_PROXY === 'number' ? trustHops(config.TRUST_PROXY) : config.TRUST_PROXY,
    // Socket inactivity: a JSON chat turn may stay silent until its deadline.
    connectionTimeout: config.TURN_TIMEOUT_MS + 15_000,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    http: serverTimeouts(config),
    // While closing, chat answers AGENT_UNAVAILABLE in the envelope and readiness not_ready (see the routes).
    return503OnClosing: false,
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // Requests are validated by zod; replies are written by fast-json-stringify from the same schemas.
  app.setSerializerCompiler(responseSerializerCompiler);

  const inflight = deps.inflight ?? createInflightTurns();

  await app.register(errorHandler);
  await app.register(requestContext);
  // Before rate limiting and auth, so that the requests they refuse are counted and traced too.
  await app.register(tracingPlugin, { tracing: deps.tracing });
  await app.register(metricsPlugin, {
    config,
    sessions: deps.sessions,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  });
  await app.register(cors, { config });
  const verifier = createApiKeyVerifier(config.API_KEYS);
  await app.register(rateLimit, {
    config,
    verifier,
    ...(deps.redis ? { redis: deps.redis, redisNamespace: `${config.REDIS_KEY_PREFIX}rate-limit:` } : {}),
  });
  await app.register(auth, { config, verifier });
  await app.register(swagger, { version: SERVICE_VERSION, authEnabled: config.authEnabled });
  await app.register(webChat, { enabled: config.WEB_CHAT_ENABLED });

  await app.register(healthRoutes, {
    version: SERVICE_VERSION,
    readiness: deps.readiness,
    startedAt: Date.now(),
    isClosing: () => inflight.closing,
  });
  await app.register(sessionRoutes, { sessions: deps.sessions, turnLock: deps.turnLock });
  await app.register(auditRoutes, { audit: deps.audit });
  await app.register(feedbackRoutes, {
    feedback: deps.feedback
      ? createFeedbackService({ store: deps.feedback, sessions: deps.sessions, logger: deps.logger })
      : undefined,
  });
  const handoff =
    deps.handoff ??
    createHandoffService({ sessions: deps.sessions, turnLock: deps.turnLock, logger: deps.logger });
  await app.register(handoffRoutes, { handoff });
  if (deps.sessionEvents) {
    await app.register(sessionEventRoutes, {
      sessions: deps.sessions,
      events: deps.sessionEvents,
      ...(deps.pingIntervalMs ? { pingIntervalMs: deps.pingIntervalMs } : {}),
    });
  }
  const own = !deps.turns && deps.chat ? inProcessTurns(deps.chat, deps) : undefined;
  const turns = deps.turns ?? own?.turns;
  const approvals = deps.approvals ?? own?.approvals;
  await app.register(chatRoutes, {
    turns,
    inflight,
    onDisconnect: config.TURN_ON_DISCONNECT ?? 'cancel',
    maxWaitMs: config.TURN_TIMEOUT_MS + 30_000,
    pingIntervalMs: deps.pingIntervalMs,
  });
  await app.register(turnRoutes, {
    turns,
    approvals,
    sessions: deps.sessions,
    maxFollowMs: config.TURN_TIMEOUT_MS + 30_000,
    pingIntervalMs: deps.pingIntervalMs,
  });
  await app.register(approvalRoutes, {
    approvals,
    turns,
    sessions: deps.sessions,
    inflight,
  });
  if (own) {
    app.addHook('onClose', async () => {
      await own.approvals.close();
      await own.turns.replay.close();
    });
  }

  return app;
}

/** The turns of one process, for an app built without the runtime's (tests). */
function inProcessTurns(chat: ChatTurns, deps: AppDeps): { turns: TurnService; approvals: ApprovalService } {
  const store = createMemoryApprovalStore();
  const turns = createTurnService({
    chat,
    approvals: { store, ttlMs: deps.config.APPROVAL_TTL_MINUTES * 60_000 },
    replay: createMemoryReplayStore({ ttlSeconds: deps.config.TURN_REPLAY_TTL_SECONDS }),
    cancellation: createMemoryTurnCancellation(),
    idempotency: createMemoryIdempotencyStore({ ttlSeconds: deps.config.IDEMPOTENCY_TTL_HOURS * 3600 }),
    runningTtlSeconds: Math.ceil(deps.config.TURN_TIMEOUT_MS / 1000) + 60,
    logger: deps.logger,
  });
  return { turns, approvals: createApprovalService({ store, turns, logger: deps.logger }) };
}

export type App = Awaited<ReturnType<typeof buildApp>>;
