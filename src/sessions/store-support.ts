import type { StoredMessage } from './types.js';

/** Limits every store takes from the configuration. */
export interface SessionLimits {
  /** Idle time after which a session disappears (SESSION_TTL_MINUTES, in ms here). */
  ttlMs: number;
  /** Most sessions held at once; the least recently active goes first (MAX_SESSIONS). */
  maxSessions: number;
  /** Most sessions one tenant holds; that tenant's least recently active goes first. */
  maxSessionsPerTenant: number;
  /** Most messages kept per session; the oldest go first (SESSION_MAX_MESSAGES). */
  maxMessages: number;
}

export function sessionLimits(config: {
  SESSION_TTL_MINUTES: number;
  MAX_SESSIONS: number;
  MAX_SESSIONS_PER_TENANT: number;
  SESSION_MAX_MESSAGES: number;
}): SessionLimits {
  return {
    ttlMs: config.SESSION_TTL_MINUTES * 60_000,
    maxSessions: config.MAX_SESSIONS,
    maxSessionsPerTenant: config.MAX_SESSIONS_PER_TENANT,
    maxMessages: config.SESSION_MAX_MESSAGES,
  };
}

export function checkLimits(limits: SessionLimits): SessionLimits {
  positive('ttlMs', limits.ttlMs);
  positiveInteger('maxSessions', limits.maxSessions);
  positiveInteger('maxSessionsPerTenant', limits.maxSessionsPerTenant);
  positiveInteger('maxMessages', limits.maxMessages);
  return limits;
}

/**
 * Where a session over its length limit should start: after at least `minimum` of its oldest
 * messages, then past any assistant messages whose question was dropped, so history never opens
 * with an answer. With no user message left at all, the newest messages are kept rather than none.
 */
export function trimStart(roles: readonly StoredMessage['role'][], minimum: number): number {
  let start = minimum;
  while (start < roles.length && roles[start] !== 'user') start++;
  return start === roles.length ? minimum : start;
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

export function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number`);
  return value;
}

export function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}
