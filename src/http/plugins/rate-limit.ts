import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKeyVerifier } from '../../access/api-keys.js';
import type { AppConfig } from '../../config/index.js';
import { AppError } from '../errors.js';

const EXEMPT = /^\/(health|docs|metrics)(\/|\?|$)/;

/**
 * Fixed one-minute windows per client. With API keys on, a valid key is the client (many users behind
 * one NAT share nothing); anything else is keyed by IP, which honours X-Forwarded-For only when
 * TRUST_PROXY is set (Fastify's trustProxy decides request.ip).
 */
async function rateLimitPlugin(
  app: FastifyInstance,
  opts: { config: AppConfig; verifier: ApiKeyVerifier },
): Promise<void> {
  const { config, verifier } = opts;
  if (!config.ENABLE_RATE_LIMITING) return;
  await app.register(rateLimit, {
    // Applied below as an app-wide onRequest hook instead of per route, so that it runs before the
    // API-key check: requests with a wrong key must be limited too, or guessing keys is free.
    global: false,
    max: config.RATE_LIMIT_PER_MINUTE,
    timeWindow: 60_000,
    cache: 50_000,
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
  app.addHook('onRequest', app.rateLimit());
}

export default fp(rateLimitPlugin, { name: 'rate-limit' });
