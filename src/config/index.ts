export { type AppConfig, ConfigError, type LlmProvider, loadConfig } from './load-config.js';
export { maskSecrets, maskUrlCredentials, maskValue } from './mask-secrets.js';
