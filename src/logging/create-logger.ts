import path from 'node:path';
import pino, {
  type DestinationStream,
  type Logger,
  type LoggerOptions,
  type TransportTargetOptions,
} from 'pino';
import type { AppConfig } from '../config/index.js';

/** Paths pino blanks out wherever they appear in a logged object. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  '*.password',
  '*.pass',
  '*.apiKey',
  '*.api_key',
  '*.token',
  '*.secret',
  '*.SENDER_PASSWORD',
  '*.AZURE_OPENAI_API_KEY',
  '*.OPENAI_API_KEY',
  '*.API_KEYS',
];

export function baseLoggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: 'msev15e2e-ts' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
  };
}

type LoggingConfig = Pick<
  AppConfig,
  'LOG_LEVEL' | 'LOG_TO_FILE' | 'LOG_FILE_PATH' | 'LOG_MAX_SIZE_MB' | 'LOG_BACKUP_COUNT'
>;

/**
 * Console: pretty and coloured on a TTY, JSON lines otherwise (what log shippers expect).
 * File: JSON through pino-roll, size-rotated, keeping LOG_BACKUP_COUNT old files.
 * Both run in pino's worker thread so formatting and disk writes stay off the event loop.
 */
export function createLogger(
  config: LoggingConfig,
  options: { isTty?: boolean; mixin?: () => Record<string, unknown> } = {},
): Logger {
  const isTty = options.isTty ?? process.stdout.isTTY === true;
  const targets: TransportTargetOptions[] = [
    isTty
      ? {
          target: 'pino-pretty',
          level: config.LOG_LEVEL,
          options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' },
        }
      : { target: 'pino/file', level: config.LOG_LEVEL, options: { destination: 1 } },
  ];
  if (config.LOG_TO_FILE) {
    targets.push({
      target: 'pino-roll',
      level: config.LOG_LEVEL,
      options: {
        file: path.resolve(config.LOG_FILE_PATH),
        size: `${Math.max(1, Math.round(config.LOG_MAX_SIZE_MB * 1024))}k`,
        mkdir: true,
        // pino-roll numbers its files (app.1.log, app.2.log…); current.log always points at the newest.
        symlink: true,
        limit: { count: config.LOG_BACKUP_COUNT },
      },
    });
  }
  return pino(
    { ...baseLoggerOptions(config.LOG_LEVEL), ...(options.mixin ? { mixin: options.mixin } : {}) },
    pino.transport({ targets }) as DestinationStream,
  );
}
