export interface SessionKey {
  tenantId: string;
  sessionId: string;
}

/** What the agent did in a turn, kept with the assistant message that followed it. */
export interface ToolCallRecord {
  id: string;
  name: string;
  arguments: unknown;
  status: 'ok' | 'error';
  duration_ms: number;
  /** The result as the model saw it (truncated); replayed to the model with later turns. */
  result?: string;
}

export interface StoredMessage {
  role: 'user' | 'assistant';
  content: string;
  timestamp: string;
  tool_calls?: ToolCallRecord[];
  /** The turn ended before its answer was complete (disconnect, timeout, provider failure). */
  interrupted?: boolean;
}

export interface SessionSnapshot {
  tenantId: string;
  sessionId: string;
  createdAt: string;
  lastActivity: string;
  messages: readonly StoredMessage[];
}

export interface SessionSummary {
  session_id: string;
  message_count: number;
  created_at: string;
  last_activity: string;
}

/**
 * Async so that SQLite or Redis stores can implement it. A store keeps tenants apart: no call with
 * one tenant id ever reads or changes another tenant's sessions.
 */
export interface SessionStore {
  get(key: SessionKey): Promise<SessionSnapshot | undefined>;
  /** Appends to the session, creating it when missing; trims to the configured maximum. */
  append(key: SessionKey, messages: readonly StoredMessage[]): Promise<SessionSnapshot>;
  delete(key: SessionKey): Promise<boolean>;
  /** Most recent activity first. */
  list(
    tenantId: string,
    page: { limit: number; offset: number },
  ): Promise<{ total: number; sessions: SessionSummary[] }>;
  count(): Promise<number>;
  close(): Promise<void>;
}
