import path from 'node:path';
import type { AppConfig } from '../config/index.js';
import { maskUrlCredentials } from '../config/index.js';
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

/** pino-roll inserts a rotation number before the extension and keeps a current.log link. */
function logFileDescription(file: string): string {
  const ext = path.extname(file) || '.log';
  const numbered = `${file.slice(0, file.length - path.extname(file).length)}.N${ext}`;
  return `${numbered} (newest: ${path.join(path.dirname(file), 'current.log')})`;
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
    ['Rate limit', config.ENABLE_RATE_LIMITING ? `${config.RATE_LIMIT_PER_MINUTE}/min` : 'off'],
    [
      'CORS',
      config.ENABLE_CORS
        ? config.corsOrigins === true
          ? 'any origin'
          : config.corsOrigins.join(', ')
        : 'off',
    ],
    ['Auth', auth],
    ['Log file', config.LOG_TO_FILE ? logFileDescription(config.LOG_FILE_PATH) : 'off'],
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
