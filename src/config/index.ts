export { type AppConfig, ConfigError, type LlmProvider, loadConfig } from './load-config.js';
export { configSecrets, maskUrlCredentials } from './mask-secrets.js';
