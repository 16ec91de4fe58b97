import type { ClientOptions } from 'openai';
import type { Logger } from 'pino';

type SdkLogger = NonNullable<ClientOptions['logger']>;
type SdkLogLevel = NonNullable<ClientOptions['logLevel']>;

const SECRET_HEADERS = new Set([
  'api-key',
  'authorization',
  'ocp-apim-subscription-key',
  'cookie',
  'set-cookie',
]);

/** The SDK masks `authorization` in its request details but not Azure's `api-key` header. */
function redactHeaders(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('headers' in value)) return value;
  const { headers } = value as { headers: unknown };
  if (typeof headers !== 'object' || headers === null) return value;
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers);
  const masked = Object.fromEntries(
    entries.map(([name, v]) => [name, SECRET_HEADERS.has(name.toLowerCase()) ? '***' : v]),
  );
  return { ...value, headers: masked };
}

/**
 * Routes the SDK's own log lines into pino at debug: they carry request URLs and, on a malformed
 * stream, the provider's raw data, which must never reach a log line above debug. Without this the
 * SDK would print to the console.
 */
export function sdkLogOptions(logger: Logger): { logger: SdkLogger; logLevel: SdkLogLevel } {
  const sdk = logger.child({ component: 'openai-sdk' });
  const forward =
    (level: string) =>
    (message: string, ...rest: unknown[]): void => {
      sdk.debug({ sdkLevel: level, details: rest.map(redactHeaders) }, message);
    };
  return {
    logger: {
      error: forward('error'),
      warn: forward('warn'),
      info: forward('info'),
      debug: forward('debug'),
    },
    // The SDK formats request details eagerly for enabled levels; only ask for them when they are kept.
    logLevel: logger.isLevelEnabled('debug') ? 'debug' : 'off',
  };
}
