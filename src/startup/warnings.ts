import type { AppConfig } from '../config/index.js';

/** Configuration that works but that an operator should know about. */
export function startupWarnings(config: AppConfig): string[] {
  const warnings: string[] = [];
  if (!config.authEnabled) {
    warnings.push('Neither API_KEYS nor AUTH_JWT_* is set: /api/* is open to anyone who can reach this port');
  }
  if (config.llmProvider === 'offline') {
    warnings.push(
      'No LLM configured: answering with the offline intent router (not an LLM). Set AZURE_OPENAI_ENDPOINT + ' +
        'AZURE_OPENAI_RESPONSES_DEPLOYMENT_NAME, or OPENAI_API_KEY / OPENAI_BASE_URL',
    );
  }
  if (config.emailTransport === 'file') {
    warnings.push(`No SMTP server: e-mails are written to ${config.EMAIL_OUTBOX_DIR} as .eml files`);
  }
  if (config.ENABLE_CORS && config.corsOrigins === true && config.authEnabled) {
    warnings.push('CORS allows any origin while API keys are on; consider listing CORS_ORIGINS');
  }
  return warnings;
}
