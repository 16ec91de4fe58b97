import type { SessionAttributes, SessionAttributesPatch } from './types.js';

/**
 * A session's `status` (DESIGN §13): `active` while the agent answers, `handoff` while a person of
 * the support team has it. Kept as session attributes, so every store holds it without a schema
 * change; an absent attribute means `active`.
 */
export type SessionStatus = 'active' | 'handoff';

export const STATUS_ATTRIBUTE = 'status';
export const HANDOFF_REASON_ATTRIBUTE = 'handoff_reason';
export const HANDOFF_AT_ATTRIBUTE = 'handoff_at';

export function sessionStatus(attributes: SessionAttributes | undefined): SessionStatus {
  return attributes?.[STATUS_ATTRIBUTE] === 'handoff' ? 'handoff' : 'active';
}

/** The attributes that hand a session to a person. */
export function handoffPatch(reason: string, at: string): SessionAttributesPatch {
  return { [STATUS_ATTRIBUTE]: 'handoff', [HANDOFF_REASON_ATTRIBUTE]: reason, [HANDOFF_AT_ATTRIBUTE]: at };
}

/** The attributes that give a session back to the agent. */
export const RELEASE_PATCH: SessionAttributesPatch = Object.freeze({
  [STATUS_ATTRIBUTE]: null,
  [HANDOFF_REASON_ATTRIBUTE]: null,
  [HANDOFF_AT_ATTRIBUTE]: null,
});
