export { countConversationMessages } from './count.js';
export {
  createMemorySessionStore,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_WAITING_PER_SESSION,
  type MemorySessionStore,
  type MemorySessionStoreOptions,
  memorySessionStoreOptions,
  SessionBusyError,
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
