import type { AppConfig } from '../config/index.js';
import { maskUrlCredentials } from '../config/index.js';
import { backupName } from '../logging/rotating-file.js';
import { SERVICE_NAME, SERVICE_VERSION } from '../project.js';

export interface BannerFacts {
  url: string;
  model: { provider: string; model: string };
  mcp: { state: string; tools?: number };
  warnings: string[];
}

function publicUrl(config: AppConfig, address: string): string {
  const u = new URL(address);
  // 0.0.0.0 is not an address a browser can open; show localhost instead.
  if (config.SERVER_HOST === '0.0.0.0' || config.SERVER_HOST === '::') u.hostname = 'localhost';
  return u.origin;
}

/** The live file, and where its rotated copies go. */
function logFileDescription(file: string, backups: number): string {
  if (backups === 0) return file;
  const oldest = backups === 1 ? '' : ` … ${backupName(file, backups)}`;
  return `${file} (rotated: ${backupName(file, 1)}${oldest})`;
}

/** The facts an operator checks first after a start, with every secret masked. */
export function bannerLines(config: AppConfig, facts: BannerFacts): Array<[string, string]> {
  const url = publicUrl(config, facts.url);
  const methods = [
    ...(config.API_KEYS.length > 0
      ? [`API keys (${config.API_KEYS.length} key${config.API_KEYS.length === 1 ? '' : 's'})`]
      : []),
    ...(config.AUTH_JWT_SECRET ? ['JWT HS256'] : []),
    ...(config.AUTH_JWT_JWKS_URL ? ['JWT JWKS'] : []),
  ];
  const auth = config.authEnabled ? methods.join(' + ') : 'open (no API_KEYS)';
  const email =
    config.emailTransport === 'smtp'
      ? `smtp ${config.SMTP_SERVER}:${config.SMTP_PORT}${config.SENDER_PASSWORD ? ' (auth)' : ''}`
      : `file outbox ${config.EMAIL_OUTBOX_DIR}`;
  const mcp = config.MCP_SERVER_URL
    ? `${maskUrlCredentials(config.MCP_SERVER_URL)} — ${facts.mcp.state}${facts.mcp.tools === undefined ? '' : ` (${facts.mcp.tools} tools)`}`
    : 'disabled';
  return [
    ['URL', url],
    ['Docs', `${url}/docs`],
    ['Model', `${facts.model.provider} / ${facts.model.model}`],
    ['Order DB', config.ORDER_DB_URL ? maskUrlCredentials(config.ORDER_DB_URL) : config.ORDER_DB_PATH],
    ['Email', email],
    ['MCP', mcp],
    [
      'Redis',
      config.REDIS_URL
        ? `${maskUrlCredentials(config.REDIS_URL)} (shared by every instance, keys under ${config.REDIS_KEY_PREFIX})`
        : 'off (turn order and rate limits kept in this process)',
    ],
    [
      'Rate limit',
      config.ENABLE_RATE_LIMITING
        ? `${config.RATE_LIMIT_PER_MINUTE}/min${config.REDIS_URL ? ' across instances' : ''}`
        : 'off',
    ],
    [
      'CORS',
      config.ENABLE_CORS
        ? config.corsOrigins === true
          ? 'any origin'
          : config.corsOrigins.join(', ')
        : 'off',
    ],
    ['Auth', auth],
    [
      'Log file',
      config.LOG_TO_FILE ? logFileDescription(config.LOG_FILE_PATH, config.LOG_BACKUP_COUNT) : 'off',
    ],
    ['Metrics', config.METRICS_ENABLED ? `${url}/metrics${config.METRICS_TOKEN ? ' (token)' : ''}` : 'off'],
    [
      'Tracing',
      config.OTEL_EXPORTER_OTLP_ENDPOINT
        ? `OTLP ${maskUrlCredentials(config.OTEL_EXPORTER_OTLP_ENDPOINT)}`
        : 'off',
    ],
  ];
}

export function renderBanner(config: AppConfig, facts: BannerFacts): string {
  const title = `${SERVICE_NAME} v${SERVICE_VERSION}`;
  const width = 52;
  const pad = Math.max(0, width - title.length);
  const left = Math.floor(pad / 2);
  const lines = [
    '',
    `╔${'═'.repeat(width)}╗`,
    `║${' '.repeat(left)}${title}${' '.repeat(pad - left)}║`,
    `╚${'═'.repeat(width)}╝`,
    ...bannerLines(config, facts).map(([k, v]) => `  • ${k.padEnd(11)}${v}`),
    ...facts.warnings.map((w) => `  ⚠ ${w}`),
    '',
  ];
  return lines.join('\n');
}
