import { LLM_SETUP_HINT } from '../agent/readiness.js';
import type { AppConfig } from '../config/index.js';

/** Configuration that works but that an operator should know about. */
export function startupWarnings(config: AppConfig): string[] {
  const warnings: string[] = [];
  if (!config.authEnabled) {
    warnings.push('Neither API_KEYS nor AUTH_JWT_* is set: /api/* is open to anyone who can reach this port');
  }
  if (config.llmProvider === 'offline') {
    warnings.push(
      `No LLM configured: answering with the offline intent router (not an LLM). ${LLM_SETUP_HINT}`,
    );
  }
  if (config.emailTransport === 'file') {
    warnings.push(`No SMTP server: e-mails are written to ${config.EMAIL_OUTBOX_DIR} as .eml files`);
  }
  if (config.ENABLE_CORS && config.corsOrigins === true && config.authEnabled) {
    warnings.push('CORS allows any origin while API keys are on; consider listing CORS_ORIGINS');
  }
  if (config.METRICS_ENABLED && !config.METRICS_TOKEN && config.authEnabled) {
    warnings.push(
      'GET /metrics needs no credentials while /api/* does: set METRICS_TOKEN, or keep /metrics off the public network',
    );
  }
  if (
    config.llmProvider === 'offline' &&
    (config.FALLBACK_OPENAI_BASE_URL || config.FALLBACK_OPENAI_API_KEY)
  ) {
    warnings.push('FALLBACK_OPENAI_* is set but the offline router answers: the fallback model is not used');
  }
  return warnings;
}
