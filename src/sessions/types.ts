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
  /** `operator`: a person of the support team wrote it (hand-off, DESIGN §13). */
  role: 'user' | 'assistant' | 'operator';
  content: string;
  timestamp: string;
  tool_calls?: ToolCallRecord[];
  /** The turn ended before its answer was complete (disconnect, timeout, provider failure). */
  interrupted?: boolean;
  /** On an assistant message: the turn that wrote it (what feedback on the answer names). */
  turn_id?: string;
}

export interface SessionSnapshot {
  tenantId: string;
  sessionId: string;
  createdAt: string;
  lastActivity: string;
  messages: readonly StoredMessage[];
  /** Small named facts about the session (e.g. its verified customer, a hand-off `status`). */
  attributes: SessionAttributes;
}

/** Attribute names and values are plain strings; bounds in `attributes.ts`. */
export type SessionAttributes = Readonly<Record<string, string>>;

/** A change to a session's attributes: a string sets the name, `null` removes it. */
export type SessionAttributesPatch = Readonly<Record<string, string | null>>;

export interface SessionSummary {
  session_id: string;
  message_count: number;
  created_at: string;
  last_activity: string;
  attributes: SessionAttributes;
}

/**
 * Async so that SQLite or Redis stores can implement it. A store keeps tenants apart: no call with
 * one tenant id ever reads or changes another tenant's sessions.
 */
export type SessionStoreKind = 'memory' | 'sqlite' | 'redis';

export interface SessionStore {
  /** The engine, as readiness reports it. */
  readonly kind: SessionStoreKind;
  get(key: SessionKey): Promise<SessionSnapshot | undefined>;
  /**
   * Appends to the session, creating it when missing; trims to the configured maximum. `attributes`,
   * when given, is applied in the same step, so a turn stores what it learned with its messages.
   */
  append(
    key: SessionKey,
    messages: readonly StoredMessage[],
    attributes?: SessionAttributesPatch,
  ): Promise<SessionSnapshot>;
  /**
   * Changes an existing session's attributes; `undefined` (and nothing created) when the session does
   * not exist. Not activity: it neither refreshes the idle TTL nor moves the session up the list.
   */
  setAttributes(key: SessionKey, patch: SessionAttributesPatch): Promise<SessionSnapshot | undefined>;
  delete(key: SessionKey): Promise<boolean>;
  /** Most recent activity first. */
  list(
    tenantId: string,
    page: { limit: number; offset: number },
  ): Promise<{ total: number; sessions: SessionSummary[] }>;
  count(): Promise<number>;
  close(): Promise<void>;
}
