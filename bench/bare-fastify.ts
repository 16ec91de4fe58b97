/**
 * The /health reference: a bare Fastify app of the service's own version with one JSON route, no
 * plugins and no logger, in its own process. Started by bench/run.ts with fork(); it sends
 * `{ port }` once listening and exits when its parent goes away.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const startedAt = Date.now();
// The same body as the service's /health.
app.get('/health', async () => ({
  status: 'healthy',
  timestamp: new Date().toISOString(),
  version: '0.1.0',
  uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
}));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.send?.({ port: Number(new URL(address).port) });
process.on('disconnect', () => process.exit(0));
