import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino, {
  type DestinationStream,
  type Logger,
  type LoggerOptions,
  type TransportTargetOptions,
} from 'pino';
import type { AppConfig } from '../config/index.js';
import { createLineRedactor } from './redact-line.js';

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

export interface LineRedaction {
  /** LOG_REDACT_PII: mask e-mail addresses, phone numbers, card numbers and IBANs (default true). */
  redactPii?: boolean;
  /** Configured secret values (configSecrets(config)), cut from every line at every level. */
  secrets?: readonly string[];
}

export function baseLoggerOptions(level: string, redaction: LineRedaction = {}): LoggerOptions {
  return {
    level,
    base: { service: 'msev15e2e-ts' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    // Paths only cover fields we know of; the finished line is checked too, whatever produced it.
    hooks: {
      streamWrite: createLineRedactor({
        pii: redaction.redactPii ?? true,
        ...(redaction.secrets ? { secrets: redaction.secrets } : {}),
      }),
    },
  };
}

type LoggingConfig = Pick<
  AppConfig,
  'LOG_LEVEL' | 'LOG_TO_FILE' | 'LOG_FILE_PATH' | 'LOG_MAX_SIZE_MB' | 'LOG_BACKUP_COUNT' | 'LOG_REDACT_PII'
>;

/**
 * Console: pretty and coloured on a TTY, JSON lines otherwise (what log shippers expect).
 * File: JSON through pino-roll, size-rotated, keeping LOG_BACKUP_COUNT old files.
 * Both run in pino's worker thread so formatting and disk writes stay off the event loop.
 */
export function createLogger(
  config: LoggingConfig,
  options: { isTty?: boolean; secrets?: readonly string[]; mixin?: () => Record<string, unknown> } = {},
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
    // Created here, before the worker starts: pino-roll's own mkdir can lose the race with its symlink.
    mkdirSync(path.dirname(path.resolve(config.LOG_FILE_PATH)), { recursive: true });
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
  const redaction: LineRedaction = {
    redactPii: config.LOG_REDACT_PII,
    ...(options.secrets ? { secrets: options.secrets } : {}),
  };
  return pino(
    { ...baseLoggerOptions(config.LOG_LEVEL, redaction), ...(options.mixin ? { mixin: options.mixin } : {}) },
    pino.transport({ targets }) as DestinationStream,
  );
}
