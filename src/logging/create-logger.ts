import pino, {
  type DestinationStream,
  type Logger,
  type LoggerOptions,
  type TransportTargetOptions,
} from 'pino';
import type { AppConfig } from '../config/index.js';
import { createLineRedactor } from './redact-line.js';
import { createRotatingFile } from './rotating-file.js';

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
 * Console: pretty and coloured on a TTY, JSON lines otherwise (what log shippers expect), formatted
 * in pino's worker thread. File: JSON lines to LOG_FILE_PATH itself, size-rotated with numbered
 * backups beside it (see rotating-file.ts for why not pino-roll), written asynchronously.
 */
export function createLogger(
  config: LoggingConfig,
  options: { isTty?: boolean; secrets?: readonly string[]; mixin?: () => Record<string, unknown> } = {},
): Logger {
  const isTty = options.isTty ?? process.stdout.isTTY === true;
  const target: TransportTargetOptions = isTty
    ? {
        target: 'pino-pretty',
        level: config.LOG_LEVEL,
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' },
      }
    : { target: 'pino/file', level: config.LOG_LEVEL, options: { destination: 1 } };
  const redaction: LineRedaction = {
    redactPii: config.LOG_REDACT_PII,
    ...(options.secrets ? { secrets: options.secrets } : {}),
  };
  const loggerOptions = {
    ...baseLoggerOptions(config.LOG_LEVEL, redaction),
    ...(options.mixin ? { mixin: options.mixin } : {}),
  };
  const consoleStream = pino.transport({ targets: [target] }) as DestinationStream & {
    flush?: (cb: (err?: Error) => void) => void;
    flushSync?: () => void;
  };
  if (!config.LOG_TO_FILE) return pino(loggerOptions, consoleStream);
  // Opened here, synchronously, folder included: start-up never races a missing folder.
  const file = createRotatingFile({
    file: config.LOG_FILE_PATH,
    maxBytes: Math.max(1024, Math.round(config.LOG_MAX_SIZE_MB * 1024 * 1024)),
    backupCount: config.LOG_BACKUP_COUNT,
  });
  // Both sinks get every line the logger's level lets through (already redacted by streamWrite).
  const both = {
    write(line: string): void {
      consoleStream.write(line);
      file.write(line);
    },
    flush(cb?: (err?: Error) => void): void {
      let pending = 2;
      const done = () => {
        if (--pending === 0) cb?.();
      };
      if (consoleStream.flush) consoleStream.flush(done);
      else done();
      file.flush(done);
    },
    flushSync(): void {
      consoleStream.flushSync?.();
      file.flushSync();
    },
  };
  return pino(loggerOptions, both);
}
