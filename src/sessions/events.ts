import type { SessionStatus } from './status.js';
import { STATUS_ATTRIBUTE, sessionStatus } from './status.js';
import type { SessionAttributesPatch, SessionKey, SessionStore, StoredMessage } from './types.js';

/** What a session's live feed carries (GET /api/v1/sessions/{id}/events). */
export type SessionFeedEvent =
  | { type: 'message'; message: Pick<StoredMessage, 'role' | 'content' | 'timestamp'> }
  | { type: 'status'; status: SessionStatus };

export type SessionFeedListener = (event: SessionFeedEvent) => void;

/**
 * Fans a session's new messages out to whoever follows it: in-process for one instance, through
 * Redis pub/sub across instances. Delivery is best effort and live only (a feed that was not open
 * reads the history instead).
 */
export interface SessionEventBus {
  publish(key: SessionKey, event: SessionFeedEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(key: SessionKey, listener: SessionFeedListener): () => void;
  close(): Promise<void>;
}

/** A collision-proof map key for a session (ids may contain any character). */
export const feedKey = (key: SessionKey): string => JSON.stringify([key.tenantId, key.sessionId]);

/** Local listeners by session; what both buses deliver into. */
export function createListenerMap() {
  const listeners = new Map<string, Set<SessionFeedListener>>();
  return {
    add(id: string, listener: SessionFeedListener): () => void {
      const set = listeners.get(id) ?? new Set<SessionFeedListener>();
      listeners.set(id, set);
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(id) === set) listeners.delete(id);
      };
    },
    dispatch(id: string, event: SessionFeedEvent): void {
      const set = listeners.get(id);
      if (!set) return;
      for (const listener of [...set]) {
        try {
          listener(event);
        } catch {
          // A listener's failure is its own feed's problem, never the publisher's.
        }
      }
    },
    clear: () => listeners.clear(),
  };
}

export function createMemorySessionEventBus(): SessionEventBus {
  const local = createListenerMap();
  return {
    publish: (key, event) => local.dispatch(feedKey(key), event),
    subscribe: (key, listener) => local.add(feedKey(key), listener),
    close: async () => local.clear(),
  };
}

function statusChange(patch: SessionAttributesPatch | undefined): SessionStatus | undefined {
  if (!patch || !(STATUS_ATTRIBUTE in patch)) return undefined;
  const value = patch[STATUS_ATTRIBUTE];
  return sessionStatus(value === null || value === undefined ? {} : { [STATUS_ATTRIBUTE]: value });
}

/**
 * The store, publishing every message it stores and every status change to the bus once the write
 * succeeded; so chat turns, kept hand-off messages and operator messages all reach the live feed.
 */
export function withSessionEvents(store: SessionStore, bus: SessionEventBus): SessionStore {
  return {
    ...store,
    get: (key) => store.get(key),
    delete: (key) => store.delete(key),
    list: (tenantId, page) => store.list(tenantId, page),
    count: () => store.count(),
    close: () => store.close(),
    async append(key, messages, attributes) {
      const snapshot = await store.append(key, messages, attributes);
      for (const m of messages) {
        bus.publish(key, {
          type: 'message',
          message: { role: m.role, content: m.content, timestamp: m.timestamp },
        });
      }
      const status = statusChange(attributes);
      if (status) bus.publish(key, { type: 'status', status });
      return snapshot;
    },
    async setAttributes(key, patch) {
      const snapshot = await store.setAttributes(key, patch);
      const status = snapshot ? statusChange(patch) : undefined;
      if (status) bus.publish(key, { type: 'status', status });
      return snapshot;
    },
  };
}
