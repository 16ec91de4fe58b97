import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AppConfig } from '../../config/index.js';

/** `*` means any origin, and then credentials are never allowed (browsers would reject it anyway). */
async function corsPlugin(app: FastifyInstance, opts: { config: AppConfig }): Promise<void> {
  if (!opts.config.ENABLE_CORS) return;
  const anyOrigin = opts.config.corsOrigins === true;
  await app.register(cors, {
    origin: anyOrigin ? '*' : opts.config.corsOrigins,
    credentials: !anyOrigin,
    methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-API-Key', 'X-Request-ID'],
    exposedHeaders: [
      'X-Request-ID',
      'Retry-After',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
    ],
    maxAge: 600,
  });
}

export default fp(corsPlugin, { name: 'cors' });
