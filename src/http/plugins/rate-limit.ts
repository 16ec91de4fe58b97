import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { ApiKeyVerifier } from '../../access/api-keys.js';
import type { AppConfig } from '../../config/index.js';
import { AppError } from '../errors.js';

// The probes, the API docs, metrics and the web chat page (`/` and its assets under /web/).
const EXEMPT = /^\/((health|docs|metrics|web)(\/|\?|$)|\?|$)/;

export interface RateLimitOptions {
  config: AppConfig;
  verifier: ApiKeyVerifier;
  /** The shared Redis client: counters are then counted once across every instance. */
  redis?: Redis;
  /** Namespace of the counters in Redis (under REDIS_KEY_PREFIX). */
  redisNamespace?: string;
}

/**
 * Fixed one-minute windows per client. With API keys on, a valid key is the client (many users behind
 * one NAT share nothing); anything else is keyed by IP, which honours X-Forwarded-For only when
 * TRUST_PROXY is set (Fastify's trustProxy decides request.ip).
 */
async function rateLimitPlugin(app: FastifyInstance, opts: RateLimitOptions): Promise<void> {
  const { config, verifier, redis } = opts;
  if (!config.ENABLE_RATE_LIMITING) return;
  await app.register(rateLimit, {
    // Applied below as an app-wide onRequest hook instead of per route, so that it runs before the
    // API-key check: requests with a wrong key must be limited too, or guessing keys is free.
    global: false,
    max: config.RATE_LIMIT_PER_MINUTE,
    timeWindow: 60_000,
    cache: 50_000,
    // With Redis, every instance counts in the same place. While Redis is unreachable requests are
    // let through (fail open, logged once per outage): the limiter protects capacity, and refusing
    // every request would turn a cache outage into a full outage.
    ...(redis ? { redis, nameSpace: opts.redisNamespace ?? 'rate-limit:', skipOnError: true } : {}),
    allowList: (request) => EXEMPT.test(request.routeOptions.url ?? request.url),
    keyGenerator: (request) => {
      if (config.authEnabled) {
        const match = verifier.verifyRequest(request.raw);
        if (match) return `key:${match.keyId}`;
      }
      return `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) =>
      new AppError(
        'RATE_LIMIT_EXCEEDED',
        `Rate limit exceeded: ${context.max} requests per minute. Retry in ${Math.ceil(context.ttl / 1000)} s.`,
        {
          limit: context.max,
          retry_after_seconds: Math.ceil(context.ttl / 1000),
        },
      ),
  });
  const limit = app.rateLimit();
  if (!redis) {
    app.addHook('onRequest', limit);
    return;
  }
  let warned = false;
  const onReady = () => {
    warned = false;
  };
  redis.on('ready', onReady);
  app.addHook('onClose', async () => {
    redis.off('ready', onReady);
  });
  app.addHook('onRequest', async function failOpenAware(request, reply) {
    if (redis.status !== 'ready' && !warned) {
      warned = true;
      request.log.warn('Redis unreachable: rate limits are not enforced until it is back');
    }
    return limit.call(this, request, reply);
  });
}

export default fp(rateLimitPlugin, { name: 'rate-limit' });
