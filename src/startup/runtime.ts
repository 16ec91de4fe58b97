import { existsSync } from 'node:fs';
import type { TokenCredential } from '@azure/identity';
import type { Logger } from 'pino';
import { type Agent, createAgent } from '../agent/loop.js';
import { createChatModel } from '../agent/models/create-model.js';
import { createOfflineModel } from '../agent/offline/offline-model.js';
import { agentReadinessCheck, llmReadinessCheck } from '../agent/readiness.js';
import type { ChatModel } from '../agent/types.js';
import type { AppDeps } from '../app.js';
import { createChatService } from '../chat/chat-service.js';
import type { AppConfig } from '../config/index.js';
import { seedDemoOrders } from '../db/demo-orders.js';
import { openOrderDatabase, orderDbReadinessCheck } from '../db/open-database.js';
import { createReadinessRegistry } from '../health/readiness.js';
import { closeRedisClient, createRedisClient, redisReadinessCheck, waitForRedis } from '../redis/client.js';
import { createSessionStore } from '../sessions/create-store.js';
import type { SessionStore } from '../sessions/types.js';
import { createEmailTools, createMailer, emailReadinessCheck } from '../tools/email/index.js';
import { createMcpToolSource } from '../tools/mcp/index.js';
import { createOrdersRepository } from '../tools/orders/repository.js';
import { createOrderTools } from '../tools/orders/tools.js';
import { createToolRegistry } from '../tools/registry.js';
import { createMemoryTurnLock } from '../turns/memory-turn-lock.js';
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
}

/**
 * The composition root: builds every real dependency from the config, registers their readiness
 * checks and tools, and knows how to close them in the right order.
 */
export async function createRuntime(config: AppConfig, logger: Logger, options: RuntimeOptions = {}) {
  const closers: Array<{ name: string; close: () => Promise<void> | void }> = [];
  const readiness = createReadinessRegistry();

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

  // SESSION_STORE (auto: redis when REDIS_URL is set, else memory); closed before Redis is.
  let sessions: SessionStore;
  try {
    sessions = createSessionStore({ config, logger, ...(redis ? { redis } : {}) });
  } catch (err) {
    await closeAll(closers, logger);
    throw err;
  }
  closers.push({ name: 'sessions', close: () => sessions.close() });
  registerCoreChecks(readiness, sessions);
  const turnLock = createMemoryTurnLock();
  closers.push({ name: 'turn lock', close: () => turnLock.close() });

  try {
    const isNewDatabase = !existsSync(config.ORDER_DB_PATH);
    const orderDb = openOrderDatabase({ path: config.ORDER_DB_PATH, logger });
    closers.push({ name: 'order database', close: () => orderDb.close() });
    readiness.register(orderDbReadinessCheck(orderDb));
    const orders = createOrdersRepository(orderDb.db);
    if (shouldSeedDemoOrders(config, isNewDatabase)) {
      const count = seedDemoOrders(orders);
      logger.info({ count, tenant_id: 'default' }, 'demo orders added to the new order database');
    }

    const mailer = createMailer({ config, logger });
    closers.push({ name: 'mailer', close: () => mailer.close() });
    readiness.register(emailReadinessCheck(mailer));

    const tools = createToolRegistry();
    tools.register(...createOrderTools(orders), ...createEmailTools({ mailer, orders, config }));

    const mcp = createMcpToolSource({
      url: config.MCP_SERVER_URL,
      required: config.MCP_SERVER_REQUIRED,
      connectTimeoutMs: config.MCP_CONNECT_TIMEOUT_MS,
      callTimeoutMs: config.MCP_TIMEOUT_MS,
      localToolNames: (name) => tools.has(name),
      logger,
    });
    closers.push({ name: 'MCP client', close: () => mcp.close() });
    readiness.register(mcp.readinessCheck());
    await mcp.start();
    tools.addProvider(() => mcp.tools());

    let model: ChatModel | undefined;
    let agent: Agent | undefined;
    let agentProblem: string | undefined;
    try {
      model =
        options.model ??
        createChatModel({
          config,
          logger,
          offlineModel: createOfflineModel({ logger }),
          ...(options.credential ? { credential: options.credential } : {}),
        });
      agent = createAgent({ model, tools, config, logger });
    } catch (err) {
      agentProblem = `The agent could not be initialised: ${err instanceof Error ? err.message : String(err)}`;
      logger.error({ err }, 'agent initialisation failed');
    }
    readiness.register(agentReadinessCheck(() => agent, agentProblem));
    readiness.register(llmReadinessCheck(model));

    const chat = agent ? createChatService({ agent, sessions, turnLock, config, logger }) : undefined;

    const deps: AppDeps = { config, logger, sessions, turnLock, readiness, ...(chat ? { chat } : {}) };
    return {
      deps,
      model,
      mcp,
      redis,
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
