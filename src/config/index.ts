export { type AppConfig, ConfigError, type LlmProvider, loadConfig } from './load-config.js';
export { maskUrlCredentials } from './mask-secrets.js';
