import type { Server } from 'node:http';
import closeWithGrace from 'close-with-grace';
import type { Logger } from 'pino';
import { buildApp } from '../app.js';
import { type AppConfig, configSecrets } from '../config/index.js';
import { createInflightTurns } from '../http/inflight.js';
import { createLogger } from '../logging/create-logger.js';
import { SERVICE_NAME, SERVICE_VERSION } from '../project.js';
import { createTracing, type Tracing } from '../telemetry/tracing.js';
import { bannerLines, renderBanner } from './banner.js';
import { createRuntime, type Runtime } from './runtime.js';
import { startupWarnings } from './warnings.js';

/**
 * server.close() only sweeps idle keep-alive sockets once, when it starts; responses that finish
 * later (turns ended by the drain) leave their sockets idle but open. Keep sweeping until closed.
 */
async function closeLingeringConnections(server: Server, closed: Promise<unknown>): Promise<void> {
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
  }
}

/** Builds the real dependencies, serves HTTP, prints the banner and installs graceful shutdown. */
export function startService(config: AppConfig): void {
  // With tracing on, every line written while a span is active carries its trace_id; off, no mixin runs.
  let tracing: Tracing | undefined;
  const logger = createLogger(config, {
    secrets: configSecrets(config),
    ...(config.OTEL_EXPORTER_OTLP_ENDPOINT ? { mixin: () => tracing?.logFields() ?? {} } : {}),
  });
  let runtime: Runtime | undefined;

  createTracing(config)
    .then((created) => {
      tracing = created;
      return start(config, logger, tracing, (r) => {
        runtime = r;
      });
    })
    .catch(async (err: unknown) => {
      logger.fatal({ err }, 'start-up failed');
      process.stderr.write(`Start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
      await runtime?.close();
      logger.flush();
      // A failed start is a failure for systemd, compose and scripts alike: exit 1, once the logging
      // worker has had a moment to write the fatal line.
      setTimeout(() => process.exit(1), 200);
    });
}

async function start(
  config: AppConfig,
  logger: Logger,
  tracing: Tracing | undefined,
  onRuntime: (runtime: Runtime) => void,
): Promise<void> {
  const runtime = await createRuntime(config, logger, tracing ? { tracing } : {});
  onRuntime(runtime);
  const inflight = createInflightTurns();
  const app = await buildApp({ ...runtime.deps, inflight });
  const address = await app.listen({ host: config.SERVER_HOST, port: config.SERVER_PORT });

  // Installed only once serving, so that a failed start exits 1 instead of "shutting down" cleanly.
  closeWithGrace(
    {
      delay: config.SHUTDOWN_GRACE_MS + 10_000,
      logger: {
        error: (message: unknown) =>
          message instanceof Error
            ? logger.error({ err: message }, 'shutdown failed')
            : logger.error(String(message)),
      },
    },
    async ({ signal, err }) => {
      if (err) logger.fatal({ err }, 'uncaught error, shutting down');
      else logger.info({ signal, inflight_turns: inflight.size }, 'shutting down');
      // New turns are refused at once; running ones get the grace period, then streams end with an error event.
      const closed = app.close();
      const drained = await inflight.drain(config.SHUTDOWN_GRACE_MS);
      if (drained.aborted > 0) {
        logger.warn({ aborted: drained.aborted }, 'turns aborted at the end of the grace period');
      }
      await closeLingeringConnections(app.server, closed);
      await runtime.close();
      logger.info(`${SERVICE_NAME} stopped. Goodbye.`);
      logger.flush();
    },
  );

  const mcp = runtime.mcp.status();
  const facts = {
    url: address,
    model: { provider: runtime.model?.provider ?? 'none', model: runtime.model?.model ?? '-' },
    mcp: { state: mcp.state, tools: mcp.toolCount },
    warnings: startupWarnings(config),
  };
  if (process.stdout.isTTY) process.stdout.write(`${renderBanner(config, facts)}\n`);
  // The same facts as one structured line, for the log file and for consoles that are not terminals.
  logger.info(
    {
      name: SERVICE_NAME,
      version: SERVICE_VERSION,
      ...Object.fromEntries(
        bannerLines(config, facts).map(([k, v]) => [k.toLowerCase().replace(/ /g, '_'), v]),
      ),
      warnings: facts.warnings,
    },
    'service started',
  );
}
