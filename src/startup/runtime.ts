import type { TokenCredential } from '@azure/identity';
import type { Logger } from 'pino';
import { agentInstructions } from '../agent/instructions.js';
import { type Agent, createAgent } from '../agent/loop.js';
import { createCircuitBreakerModel } from '../agent/models/breaker.js';
import { createChatModel } from '../agent/models/create-model.js';
import { createFallbackModel } from '../agent/models/fallback.js';
import { createOfflineModel } from '../agent/offline/offline-model.js';
import { agentReadinessCheck, llmReadinessCheck } from '../agent/readiness.js';
import type { ChatModel } from '../agent/types.js';
import type { AppDeps } from '../app.js';
import { createAuditRecorder, createAuditStore } from '../audit/index.js';
import { auditToolCalls } from '../audit/tool-calls.js';
import { type ApprovalService, createApprovalService } from '../chat/approval-service.js';
import { createChatService } from '../chat/chat-service.js';
import { createTurnService } from '../chat/turn-service.js';
import type { AppConfig } from '../config/index.js';
import { seedDemoOrders } from '../db/demo-orders.js';
import { openOrderDatabase, orderDbReadinessCheck } from '../db/open-database.js';
import { createFeedbackStore } from '../feedback/index.js';
import { createReadinessRegistry } from '../health/readiness.js';
import {
  createMemoryTokenCounter,
  createRedisTokenCounter,
  createTokenQuotas,
} from '../quotas/token-quotas.js';
import { closeRedisClient, createRedisClient, redisReadinessCheck, waitForRedis } from '../redis/client.js';
import { createKeyspace } from '../redis/keys.js';
import { createSessionStore } from '../sessions/create-store.js';
import { createMemorySessionEventBus, type SessionEventBus, withSessionEvents } from '../sessions/events.js';
import { createRedisSessionEventBus } from '../sessions/redis-events.js';
import type { SessionStore } from '../sessions/types.js';
import {
  instrumentAgent,
  instrumentModel,
  instrumentTurns,
  toolCallInstrumentation,
} from '../telemetry/instrument.js';
import { createMetrics } from '../telemetry/metrics.js';
import { createTracing, type Tracing, tracedFetch } from '../telemetry/tracing.js';
import { createEmailTools, createMailer, emailReadinessCheck } from '../tools/email/index.js';
import { createHandoffService, createHandoffTool, createHandoffWebhook } from '../tools/handoff/index.js';
import { createMcpToolSource } from '../tools/mcp/index.js';
import { createOrdersRepository } from '../tools/orders/repository.js';
import { createOrderTools } from '../tools/orders/tools.js';
import { createToolRegistry } from '../tools/registry.js';
import { createMemoryApprovalStore } from '../turns/approvals.js';
import {
  createMemoryTurnCancellation,
  createRedisTurnCancellation,
  type TurnCancellation,
} from '../turns/cancel-signals.js';
import { createMemoryIdempotencyStore } from '../turns/idempotency.js';
import { createMemoryReplayStore } from '../turns/memory-replay.js';
import { createMemoryTurnLock } from '../turns/memory-turn-lock.js';
import { createRedisApprovalStore } from '../turns/redis-approvals.js';
import { createRedisIdempotencyStore } from '../turns/redis-idempotency.js';
import { createRedisReplayStore } from '../turns/redis-replay.js';
import { createRedisTurnLock } from '../turns/redis-turn-lock.js';
import { createSqliteApprovalStore } from '../turns/sqlite-approvals.js';
import { createSqliteIdempotencyStore } from '../turns/sqlite-idempotency.js';
import type { TurnLock } from '../turns/turn-lock.js';
import { registerCoreChecks } from './core-checks.js';

/**
 * auto: only into a database created just now, and only for the offline router, so that a fresh clone
 * has something to look up while a deployment with a real model never gets made-up orders.
 */
function shouldSeedDemoOrders(config: AppConfig, isNewDatabase: boolean): boolean {
  if (config.DEMO_ORDERS === 'true') return isNewDatabase;
  return config.DEMO_ORDERS === 'auto' && isNewDatabase && config.llmProvider === 'offline';
}

/** How long start-up waits for Redis before going on without it (not ready until it answers). */
const REDIS_STARTUP_WAIT_MS = 5_000;

export interface RuntimeOptions {
  /** Entra ID credential for Azure without an API key; DefaultAzureCredential when omitted. */
  credential?: TokenCredential;
  /** Replaces the configured model (tests). */
  model?: ChatModel;
  /** Traces made by the caller (server.ts, so that its logger can carry trace ids); else from the config. */
  tracing?: Tracing;
  /** The clock approvals expire by (tests move it instead of waiting APPROVAL_TTL_MINUTES). */
  now?: () => number;
}

/** How often pending approvals are checked for expiry: a tenth of the TTL, between 1 s and 1 min. */
export const approvalSweepIntervalMs = (ttlMinutes: number) =>
  Math.min(60_000, Math.max(1_000, Math.round((ttlMinutes * 60_000) / 10)));

/**
 * The composition root: builds every real dependency from the config, registers their readiness
 * checks and tools, and knows how to close them in the right order.
 */
export async function createRuntime(config: AppConfig, logger: Logger, options: RuntimeOptions = {}) {
  const closers: Array<{ name: string; close: () => Promise<void> | void }> = [];
  const readiness = createReadinessRegistry();
  // Closed last, so that the spans of everything closed before it are exported.
  const tracing = options.tracing ?? (await createTracing(config));
  if (tracing) closers.push({ name: 'tracing', close: () => tracing.shutdown() });

  // The one shared Redis connection, opened first so that it closes last. Start-up waits briefly; if
  // Redis is not there yet the service starts anyway, not ready, and the client keeps reconnecting.
  const redis = config.REDIS_URL
    ? createRedisClient({ url: config.REDIS_URL, logger, name: 'main' })
    : undefined;
  if (redis && config.REDIS_URL) {
    closers.push({ name: 'redis', close: () => closeRedisClient(redis) });
    readiness.register(redisReadinessCheck(redis, config.REDIS_URL));
    if (!(await waitForRedis(redis, REDIS_STARTUP_WAIT_MS))) {
      logger.warn('Redis not reachable yet; starting not ready, reconnecting in the background');
    }
  }

  // Session live feeds (DESIGN §13): through Redis pub/sub when instances share Redis.
  let sessionEvents: SessionEventBus = createMemorySessionEventBus();
  if (redis && config.REDIS_URL) {
    const subscriber = createRedisClient({ url: config.REDIS_URL, logger, name: 'session-events' });
    closers.push({ name: 'session events subscriber', close: () => closeRedisClient(subscriber) });
    sessionEvents = createRedisSessionEventBus({
      publisher: redis,
      subscriber,
      channel: createKeyspace(config.REDIS_KEY_PREFIX).key('session-events'),
      logger,
    });
  }
  const events = sessionEvents;
  closers.push({ name: 'session events', close: () => events.close() });
  // SESSION_STORE (auto: redis when REDIS_URL is set, else memory); closed before Redis is. Every
  // message it stores is published to the session's live feed.
  let sessions: SessionStore;
  try {
    sessions = withSessionEvents(createSessionStore({ config, logger, ...(redis ? { redis } : {}) }), events);
  } catch (err) {
    await closeAll(closers, logger);
    throw err;
  }
  closers.push({ name: 'sessions', close: () => sessions.close() });
  registerCoreChecks(readiness, sessions);
  let turnLock: TurnLock = createMemoryTurnLock();
  if (redis && config.REDIS_URL) {
    // Pub/sub needs a connection of its own: a subscribed connection runs no other commands.
    const subscriber = createRedisClient({ url: config.REDIS_URL, logger, name: 'subscriber' });
    closers.push({ name: 'redis subscriber', close: () => closeRedisClient(subscriber) });
    turnLock = createRedisTurnLock({
      redis,
      subscriber,
      keyspace: createKeyspace(config.REDIS_KEY_PREFIX),
      logger,
      ttlMs: config.TURN_LOCK_TTL_MS,
    });
  }
  const lock = turnLock;
  closers.push({ name: 'turn lock', close: () => lock.close() });

  try {
    const orderDb = await openOrderDatabase({
      url: config.ORDER_DB_URL,
      path: config.ORDER_DB_PATH,
      poolMax: config.ORDER_DB_POOL_MAX,
      timeoutMs: config.ORDER_DB_TIMEOUT_MS,
      logger,
    });
    closers.push({ name: 'order database', close: () => orderDb.close() });
    readiness.register(orderDbReadinessCheck(orderDb));
    const orders = createOrdersRepository(orderDb);
    // After the database in the list, so it is flushed before the database closes.
    const auditStore = createAuditStore(orderDb);
    const audit = createAuditRecorder({
      store: auditStore,
      logger,
      retentionDays: config.AUDIT_RETENTION_DAYS,
    });
    closers.push({ name: 'audit log', close: () => audit.close() });
    // With several instances on one Postgres only the one that created the schema seeds.
    if (shouldSeedDemoOrders(config, orderDb.created)) {
      const count = await seedDemoOrders(orders);
      logger.info({ count, tenant_id: 'default' }, 'demo orders added to the new order database');
    }

    const mailer = createMailer({ config, logger });
    closers.push({ name: 'mailer', close: () => mailer.close() });
    readiness.register(emailReadinessCheck(mailer));

    const tools = createToolRegistry();
    const access = config.ORDER_ACCESS ?? 'customer';
    tools.register(
      ...createOrderTools(orders, { access }),
      ...createEmailTools({ mailer, orders, config, access }),
    );
    const webhook =
      config.HANDOFF_WEBHOOK_URL && config.HANDOFF_WEBHOOK_SECRET
        ? createHandoffWebhook({
            url: config.HANDOFF_WEBHOOK_URL,
            secret: config.HANDOFF_WEBHOOK_SECRET,
            logger,
          })
        : undefined;
    if (webhook) closers.push({ name: 'hand-off webhook', close: () => webhook.close() });
    const handoff = createHandoffService({
      sessions,
      turnLock,
      logger,
      maxScan: config.MAX_SESSIONS_PER_TENANT,
      ...(webhook ? { onHandoff: webhook.notify } : {}),
    });
    tools.register(createHandoffTool(handoff));

    const mcp = createMcpToolSource({
      url: config.MCP_SERVER_URL,
      required: config.MCP_SERVER_REQUIRED,
      connectTimeoutMs: config.MCP_CONNECT_TIMEOUT_MS,
      callTimeoutMs: config.MCP_TIMEOUT_MS,
      localToolNames: (name) => tools.has(name),
      logger,
      ...(tracing ? { fetch: tracedFetch(tracing) } : {}),
    });
    closers.push({ name: 'MCP client', close: () => mcp.close() });
    readiness.register(mcp.readinessCheck());
    await mcp.start();
    tools.addProvider(() => mcp.tools());

    const metrics = config.METRICS_ENABLED
      ? createMetrics({ isLocalTool: (name) => tools.has(name) })
      : undefined;
    if (mcp.status().enabled) metrics?.observeMcp(() => mcp.status().state === 'connected');
    const instruments = { metrics, tracing };

    let model: ChatModel | undefined;
    let agent: Agent | undefined;
    let agentProblem: string | undefined;
    try {
      const primary = instrumentModel(
        options.model ??
          createChatModel({
            config,
            logger,
            offlineModel: createOfflineModel({ logger }),
            ...(options.credential ? { credential: options.credential } : {}),
          }),
        instruments,
      );
      const fallback = primary.provider === 'offline' ? undefined : createFallbackModel(config, logger);
      // The offline router never fails like a remote provider does: no breaker in front of it.
      model =
        primary.provider === 'offline'
          ? primary
          : createCircuitBreakerModel({
              primary,
              fallback: fallback && instrumentModel(fallback, instruments),
              failureThreshold: config.LLM_BREAKER_FAILURES,
              cooldownMs: config.LLM_BREAKER_COOLDOWN_MS,
              logger,
            });
      const breakerOf = model;
      metrics?.observeBreaker(() => breakerOf.status().breaker?.state);
      const aroundToolCall = toolCallInstrumentation(instruments);
      agent = createAgent({
        model,
        tools,
        config,
        logger,
        instructions: agentInstructions(config.ORDER_ACCESS ?? 'customer'),
        onToolCallDone: auditToolCalls(audit),
        ...(aroundToolCall ? { aroundToolCall } : {}),
        ...(config.TOOLS_REQUIRING_APPROVAL.length > 0
          ? { requiresApproval: (name: string) => config.TOOLS_REQUIRING_APPROVAL.includes(name) }
          : {}),
      });
    } catch (err) {
      agentProblem = `The agent could not be initialised: ${err instanceof Error ? err.message : String(err)}`;
      logger.error({ err }, 'agent initialisation failed');
    }
    readiness.register(agentReadinessCheck(() => agent, agentProblem));
    readiness.register(llmReadinessCheck(model));

    // Token quotas per tenant and day: in Redis when it is configured (shared by every instance).
    const quotas =
      Object.keys(config.TENANT_TOKEN_QUOTAS).length > 0
        ? createTokenQuotas({
            quotas: config.TENANT_TOKEN_QUOTAS,
            counter: redis
              ? createRedisTokenCounter(redis, createKeyspace(config.REDIS_KEY_PREFIX))
              : createMemoryTokenCounter(),
            logger,
          })
        : undefined;
    if (quotas) readiness.register(quotas.readinessCheck());

    const keys = createKeyspace(config.REDIS_KEY_PREFIX);
    // Turns paused for approvals, likewise where the sessions are: after a restart (SQLite) or on
    // another instance (Redis) a decision still finds its turn.
    const now = options.now ?? Date.now;
    const approvalStore =
      config.sessionStore === 'redis' && redis
        ? createRedisApprovalStore({ client: redis, keys, now })
        : config.sessionStore === 'sqlite'
          ? createSqliteApprovalStore({ path: config.SESSION_DB_PATH, now })
          : createMemoryApprovalStore({ now });
    closers.push({ name: 'approvals', close: () => approvalStore.close() });

    const chat = agent
      ? instrumentTurns(
          createChatService({
            agent: instrumentAgent(agent, instruments),
            sessions,
            turnLock,
            config,
            logger,
            ...(quotas ? { quotas } : {}),
            approvals: approvalStore,
          }),
          instruments,
        )
      : undefined;

    // Turn replay and cancel signals (§10): through Redis, so any instance can resume or cancel a
    // turn, when it is configured; in the process otherwise.
    const replay = redis
      ? createRedisReplayStore({
          client: redis,
          keys,
          ttlSeconds: config.TURN_REPLAY_TTL_SECONDS,
          runningTtlSeconds: Math.ceil(config.TURN_TIMEOUT_MS / 1000) + config.TURN_REPLAY_TTL_SECONDS,
        })
      : createMemoryReplayStore({ ttlSeconds: config.TURN_REPLAY_TTL_SECONDS });
    closers.push({ name: 'turn replay', close: () => replay.close() });
    let cancellation: TurnCancellation = createMemoryTurnCancellation();
    if (redis && config.REDIS_URL) {
      const subscriber = createRedisClient({ url: config.REDIS_URL, logger, name: 'turn-signals' });
      closers.push({ name: 'turn signals', close: () => closeRedisClient(subscriber) });
      cancellation = createRedisTurnCancellation({ client: redis, subscriber, keys, logger });
    }
    // Idempotency keys live where the sessions do (SESSION_STORE): Redis, the SQLite file, or memory.
    const idempotencyTtlSeconds = config.IDEMPOTENCY_TTL_HOURS * 3600;
    const idempotency =
      config.sessionStore === 'redis' && redis
        ? createRedisIdempotencyStore({ client: redis, keys, ttlSeconds: idempotencyTtlSeconds })
        : config.sessionStore === 'sqlite'
          ? createSqliteIdempotencyStore({ path: config.SESSION_DB_PATH, ttlSeconds: idempotencyTtlSeconds })
          : createMemoryIdempotencyStore({ ttlSeconds: idempotencyTtlSeconds });
    closers.push({ name: 'idempotency keys', close: () => idempotency.close() });
    const turns = chat
      ? createTurnService({
          chat,
          replay,
          cancellation,
          idempotency,
          approvals: { store: approvalStore, ttlMs: config.APPROVAL_TTL_MINUTES * 60_000, now },
          runningTtlSeconds: Math.ceil(config.TURN_TIMEOUT_MS / 1000) + 60,
          logger,
        })
      : undefined;
    let approvals: ApprovalService | undefined;
    if (turns) {
      const service = createApprovalService({
        store: approvalStore,
        turns,
        logger,
        now,
        sweepIntervalMs: approvalSweepIntervalMs(config.APPROVAL_TTL_MINUTES),
        // A resumed turn ends within its deadline; a claim older than that (with a margin) is stale.
        resumeStaleMs: config.TURN_TIMEOUT_MS + 60_000,
      });
      closers.push({ name: 'approval sweep', close: () => service.close() });
      approvals = service;
    }

    const deps: AppDeps = {
      config,
      logger,
      sessions,
      turnLock,
      ...(turns ? { turns } : {}),
      ...(approvals ? { approvals } : {}),
      readiness,
      handoff,
      sessionEvents: events,
      audit: auditStore,
      feedback: createFeedbackStore(orderDb),
      ...(redis ? { redis } : {}),
      ...(chat ? { chat } : {}),
      ...(metrics ? { metrics } : {}),
      ...(tracing ? { tracing } : {}),
    };
    return {
      deps,
      model,
      mcp,
      redis,
      tracing,
      audit,
      approvals,
      /** Closes everything this runtime opened, newest first; never throws. */
      close: () => closeAll(closers, logger),
    };
  } catch (err) {
    await closeAll(closers, logger);
    throw err;
  }
}

async function closeAll(closers: Array<{ name: string; close: () => Promise<void> | void }>, logger: Logger) {
  for (const { name, close } of [...closers].reverse()) {
    try {
      await close();
    } catch (err) {
      logger.warn({ err, component: name }, 'error while closing');
    }
  }
  closers.length = 0;
}

export type Runtime = Awaited<ReturnType<typeof createRuntime>>;
