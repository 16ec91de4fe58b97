import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/index.js';
import { createKeyspace } from '../redis/keys.js';
import { createMemorySessionStore, memorySessionStoreOptions } from './memory-store.js';
import { createRedisSessionStore } from './redis/redis-store.js';
import { createSqliteSessionStore } from './sqlite/sqlite-store.js';
import { sessionLimits } from './store-support.js';
import type { SessionStore } from './types.js';

export interface CreateSessionStoreDeps {
  config: Pick<
    AppConfig,
    | 'sessionStore'
    | 'SESSION_DB_PATH'
    | 'SESSION_TTL_MINUTES'
    | 'MAX_SESSIONS'
    | 'MAX_SESSIONS_PER_TENANT'
    | 'SESSION_MAX_MESSAGES'
    | 'SESSION_STORE_MAX_MB'
    | 'SESSION_PACK_IDLE_SECONDS'
    | 'REDIS_KEY_PREFIX'
  >;
  logger: Logger;
  /** The shared connection; required for the `redis` store. */
  redis?: Redis;
}

/** The store SESSION_STORE names (auto already resolved by the config). */
export function createSessionStore({ config, logger, redis }: CreateSessionStoreDeps): SessionStore {
  switch (config.sessionStore) {
    case 'sqlite':
      return createSqliteSessionStore({
        ...sessionLimits(config),
        path: config.SESSION_DB_PATH,
        logger: logger.child({ component: 'sessions' }),
      });
    case 'redis':
      if (!redis) throw new Error('the redis session store needs REDIS_URL');
      return createRedisSessionStore({
        ...sessionLimits(config),
        client: redis,
        keyspace: createKeyspace(config.REDIS_KEY_PREFIX),
      });
    default:
      return createMemorySessionStore({
        ...memorySessionStoreOptions(config),
        onRemove: (key, reason) =>
          logger.debug({ tenant_id: key.tenantId, session_id: key.sessionId, reason }, 'session removed'),
      });
  }
}
