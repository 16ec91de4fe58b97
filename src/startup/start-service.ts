import closeWithGrace from 'close-with-grace';
import { buildApp } from '../app.js';
import type { AppConfig } from '../config/index.js';
import { createInflightTurns } from '../http/inflight.js';
import { createLogger } from '../logging/create-logger.js';
import { SERVICE_NAME, SERVICE_VERSION } from '../project.js';
import { bannerLines, renderBanner } from './banner.js';
import { createRuntime } from './runtime.js';
import { startupWarnings } from './warnings.js';

/** Builds the real dependencies, serves HTTP, prints the banner and installs graceful shutdown. */
export function startService(config: AppConfig): void {
  const logger = createLogger(config);

  async function main(): Promise<void> {
    const runtime = await createRuntime(config, logger);
    const inflight = createInflightTurns();
    const app = await buildApp({ ...runtime.deps, inflight });

    closeWithGrace(
      {
        delay: config.SHUTDOWN_GRACE_MS + 10_000,
        logger: { error: (msg: unknown) => logger.error({ msg }, 'shutdown') },
      },
      async ({ signal, err }) => {
        if (err) logger.fatal({ err }, 'uncaught error, shutting down');
        else logger.info({ signal, inflight_turns: inflight.size }, 'shutting down');
        // New turns are refused at once; running ones get the grace period, then streams end with an error event.
        const [, drained] = await Promise.all([app.close(), inflight.drain(config.SHUTDOWN_GRACE_MS)]);
        if (drained.aborted > 0)
          logger.warn({ aborted: drained.aborted }, 'turns aborted at the end of the grace period');
        await runtime.close();
        logger.info(`${SERVICE_NAME} stopped. Goodbye.`);
        logger.flush();
      },
    );

    const address = await app.listen({ host: config.SERVER_HOST, port: config.SERVER_PORT });
    const facts = {
      url: address,
      model: { provider: runtime.model?.provider ?? 'none', model: runtime.model?.model ?? '-' },
      mcp: { state: runtime.mcp.status().state, tools: runtime.mcp.status().toolCount },
      warnings: startupWarnings(config),
    };
    if (process.stdout.isTTY) {
      process.stdout.write(`${renderBanner(config, facts)}\n`);
    } else {
      logger.info(
        {
          service: SERVICE_NAME,
          version: SERVICE_VERSION,
          ...Object.fromEntries(bannerLines(config, facts)),
          warnings: facts.warnings,
        },
        'service started',
      );
    }
    for (const warning of facts.warnings) logger.warn(warning);
  }

  main().catch((err: unknown) => {
    logger.fatal({ err }, 'start-up failed');
    process.stderr.write(`Start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
    logger.flush();
    // Give the logging worker a moment to write the line before the process ends.
    setTimeout(() => process.exit(1), 200).unref();
    process.exitCode = 1;
  });
}
