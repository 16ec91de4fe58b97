import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { maskUrlCredentials } from '../config/mask-secrets.js';
import type { ReadinessCheck } from '../health/readiness.js';

export interface RedisClientOptions {
  url: string;
  logger: Logger;
  /** Names the connection in logs and in `CLIENT LIST` (e.g. "sessions", "subscriber"). */
  name: string;
  /** A command that gets no answer fails after this long instead of waiting for a reconnect. */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/**
 * The one way the project opens a Redis connection (ioredis: maintained, cluster- and sentinel-ready,
 * pipelines, Lua scripts, Streams and pub/sub in one client, and the client @fastify/rate-limit's
 * Redis store documents).
 *
 * Commands fail fast while the server is unreachable (no offline queue, one attempt per command), so
 * a request gets a clear 503 at once instead of hanging; the client keeps reconnecting in the
 * background with a capped backoff and serves again as soon as Redis is back.
 */
export function createRedisClient(options: RedisClientOptions): Redis {
  const { logger, name } = options;
  const log = logger.child({ component: 'redis', connection: name });
  const redisOptions: RedisOptions = {
    connectionName: `msev15e2e:${name}`,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
    commandTimeout: options.commandTimeoutMs ?? 5_000,
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 6), 5_000),
  };
  const client = new Redis(options.url, redisOptions);
  let down = false;
  client.on('error', (err: Error) => {
    // ioredis emits one error per failed reconnection attempt; say it once per outage.
    if (!down) log.warn({ url: maskUrlCredentials(options.url), reason: err.message }, 'Redis unreachable');
    down = true;
  });
  client.on('ready', () => {
    if (down) log.info('Redis reachable again');
    down = false;
  });
  return client;
}

/**
 * Resolves true once the client is connected, false after `timeoutMs` (the service then starts anyway,
 * readiness reports Redis as unhealthy, and the client keeps trying).
 */
export function waitForRedis(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), timeoutMs);
    const onReady = () => finish(true);
    function finish(ready: boolean) {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ready);
    }
    client.on('ready', onReady);
  });
}

/** Closes a client without waiting for a server that is gone. */
export async function closeRedisClient(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  try {
    await Promise.race([client.quit(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  } catch {
    // quit fails when the connection is already down; disconnect below settles it either way.
  }
  client.disconnect();
}

/** Critical when configured: without Redis, instances cannot share sessions, locks or limits. */
export function redisReadinessCheck(client: Redis, url: string): ReadinessCheck {
  const masked = maskUrlCredentials(url);
  return {
    name: 'redis',
    critical: true,
    async run() {
      if (client.status !== 'ready') {
        return {
          status: 'unhealthy',
          message: `Redis not reachable at ${masked}`,
          details: { state: client.status },
        };
      }
      try {
        const started = performance.now();
        await client.ping();
        return {
          status: 'healthy',
          details: { url: masked, ping_ms: Math.round(performance.now() - started) },
        };
      } catch (err) {
        return {
          status: 'unhealthy',
          message: `Redis did not answer at ${masked}: ${err instanceof Error ? err.message : String(err)}`,
        };
      }
    },
  };
}
