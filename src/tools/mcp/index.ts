export { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
export {
  createMcpToolSource,
  type McpConnectionState,
  type McpSourceStatus,
  type McpToolSource,
  type McpToolSourceOptions,
  REQUEST_META_KEY,
  TENANT_META_KEY,
} from './client.js';
export { CLASH_PREFIX } from './remote-tools.js';
