export { countConversationMessages } from './count.js';
export {
  createMemorySessionStore,
  DEFAULT_MAX_BYTES,
  type MemorySessionStore,
  type MemorySessionStoreOptions,
  memorySessionStoreOptions,
  type SessionRemovalReason,
} from './memory-store.js';
export type {
  SessionKey,
  SessionSnapshot,
  SessionStore,
  SessionSummary,
  StoredMessage,
  ToolCallRecord,
} from './types.js';
