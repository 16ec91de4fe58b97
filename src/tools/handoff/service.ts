import type { Logger } from 'pino';
import { ServiceError } from '../../errors.js';
import { countConversationMessages } from '../../sessions/count.js';
import {
  HANDOFF_AT_ATTRIBUTE,
  HANDOFF_REASON_ATTRIBUTE,
  handoffPatch,
  RELEASE_PATCH,
  type SessionStatus,
  sessionStatus,
} from '../../sessions/status.js';
import type { SessionKey, SessionStore, StoredMessage } from '../../sessions/types.js';
import { runExclusive, type TurnLock } from '../../turns/turn-lock.js';

/** What is known of a hand-off when it happens; what the webhook is told. */
export interface HandoffEvent {
  tenantId: string;
  sessionId: string;
  reason: string;
  /** ISO-8601. */
  at: string;
}

export interface WaitingSession {
  session_id: string;
  reason: string;
  handed_off_at: string;
  last_activity: string;
  message_count: number;
}

export interface HandoffServiceDeps {
  sessions: SessionStore;
  turnLock: TurnLock;
  logger: Logger;
  /** Told of every hand-off after it is stored (the webhook); must not throw or block. */
  onHandoff?: (event: HandoffEvent) => void;
  /**
   * Most sessions of one tenant the waiting list looks at (MAX_SESSIONS_PER_TENANT): the list is a
   * filtered scan of the tenant's sessions, so its cost is bounded by what one tenant may hold.
   */
  maxScan?: number;
}

/** Sessions read per page while scanning for hand-offs. */
const SCAN_PAGE = 100;

export const sessionNotFound = (sessionId: string) =>
  new ServiceError('SESSION_NOT_FOUND', `Session "${sessionId}" was not found`, {
    details: { session_id: sessionId },
  });

/**
 * Hand-off to a person (DESIGN §13): the tool hands a session over, operators write into it and give
 * it back. The session's status lives in its attributes, so every store keeps it.
 */
export function createHandoffService(deps: HandoffServiceDeps) {
  const { sessions, turnLock } = deps;
  const maxScan = deps.maxScan ?? 10_000;

  return {
    /**
     * Hands the session to a person. Called from inside a turn (which holds the session's lock), so
     * it takes no lock itself; it creates the session when this is its first turn.
     */
    async handOff(key: SessionKey, reason: string): Promise<HandoffEvent> {
      const at = new Date().toISOString();
      await sessions.append(key, [], handoffPatch(reason, at));
      const event: HandoffEvent = { tenantId: key.tenantId, sessionId: key.sessionId, reason, at };
      deps.logger.info(
        { tenant_id: key.tenantId, session_id: key.sessionId, event: 'handoff' },
        'session handed off to a person',
      );
      try {
        deps.onHandoff?.(event);
      } catch (err) {
        deps.logger.warn({ err }, 'hand-off notification failed');
      }
      return event;
    },

    /** An operator's message, stored after any running turn; the session keeps its status. */
    async postOperatorMessage(
      key: SessionKey,
      content: string,
    ): Promise<{ message: StoredMessage; messageCount: number; status: SessionStatus }> {
      return runExclusive(turnLock, key, async () => {
        if (!(await sessions.get(key))) throw sessionNotFound(key.sessionId);
        const message: StoredMessage = { role: 'operator', content, timestamp: new Date().toISOString() };
        const snapshot = await sessions.append(key, [message]);
        return {
          message,
          messageCount: countConversationMessages(snapshot.messages),
          status: sessionStatus(snapshot.attributes),
        };
      });
    },

    /** Gives the session back to the agent; a session that was not handed off stays as it is. */
    async release(key: SessionKey): Promise<{ status: 'active'; wasHandedOff: boolean }> {
      return runExclusive(turnLock, key, async () => {
        const session = await sessions.get(key);
        if (!session) throw sessionNotFound(key.sessionId);
        const wasHandedOff = sessionStatus(session.attributes) === 'handoff';
        if (wasHandedOff) {
          if (!(await sessions.setAttributes(key, RELEASE_PATCH))) throw sessionNotFound(key.sessionId);
          deps.logger.info(
            { tenant_id: key.tenantId, session_id: key.sessionId, event: 'handoff_release' },
            'session given back to the agent',
          );
        }
        return { status: 'active' as const, wasHandedOff };
      });
    },

    /**
     * The tenant's sessions waiting for a person, most recent hand-off first. A filtered scan of the
     * tenant's session list (at most `maxScan` sessions), which every store already answers; the
     * per-tenant session cap keeps it bounded without a second index to keep consistent.
     */
    async listWaiting(
      tenantId: string,
      page: { limit: number; offset: number },
    ): Promise<{ total: number; sessions: WaitingSession[] }> {
      const waiting: WaitingSession[] = [];
      for (let offset = 0; offset < maxScan; offset += SCAN_PAGE) {
        const chunk = await sessions.list(tenantId, { limit: Math.min(SCAN_PAGE, maxScan - offset), offset });
        for (const s of chunk.sessions) {
          if (sessionStatus(s.attributes) !== 'handoff') continue;
          waiting.push({
            session_id: s.session_id,
            reason: s.attributes[HANDOFF_REASON_ATTRIBUTE] ?? '',
            handed_off_at: s.attributes[HANDOFF_AT_ATTRIBUTE] ?? s.last_activity,
            last_activity: s.last_activity,
            message_count: s.message_count,
          });
        }
        if (chunk.sessions.length < SCAN_PAGE || offset + SCAN_PAGE >= chunk.total) break;
      }
      waiting.sort((a, b) =>
        a.handed_off_at < b.handed_off_at ? 1 : a.handed_off_at > b.handed_off_at ? -1 : 0,
      );
      return { total: waiting.length, sessions: waiting.slice(page.offset, page.offset + page.limit) };
    },
  };
}

export type HandoffService = ReturnType<typeof createHandoffService>;
