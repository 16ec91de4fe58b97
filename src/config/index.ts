export { type AppConfig, ConfigError, type LlmProvider, loadConfig } from './load-config.js';
export { configSecrets, maskSecrets, maskUrlCredentials, maskValue } from './mask-secrets.js';
