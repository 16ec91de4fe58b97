import { createHash } from 'node:crypto';
import type { SessionAttributes, SessionAttributesPatch } from '../sessions/types.js';

/** `customer`: the tools act for the turn's customer only; `tenant`: for the whole tenant (staff). */
export type OrderAccessMode = 'customer' | 'tenant';

/** The session attribute holding the (hashed) e-mail addresses the customer typed in the session. */
export const ORDER_EMAILS_ATTRIBUTE = 'order_emails';
/** The session attribute counting wrong e-mail proofs: `misses:lockedUntilEpochMs`. */
export const ORDER_MISSES_ATTRIBUTE = 'order_access_misses';

/** Wrong e-mail proofs a session may make before order look-ups without a verified customer stop. */
export const MAX_ORDER_ACCESS_MISSES = 5;
/** How long they stop for. */
export const ORDER_ACCESS_LOCK_MS = 15 * 60_000;
/** Addresses remembered per session; the oldest is forgotten first. */
export const MAX_REMEMBERED_EMAILS = 8;

const EMAIL = /[A-Za-z0-9._%+'-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;

/** The e-mail addresses in a customer's message, lower-cased, in order, without repeats. */
export function emailsIn(text: string): string[] {
  if (!text.includes('@')) return [];
  return [...new Set((text.match(EMAIL) ?? []).map((address) => address.toLowerCase()))];
}

/** What a session stores instead of an address: a tenant-scoped digest, so attributes hold no PII. */
export function emailDigest(tenantId: string, email: string): string {
  return createHash('sha256')
    .update(tenantId)
    .update('\0')
    .update(email.trim().toLowerCase())
    .digest('base64url')
    .slice(0, 16);
}

/**
 * What the order and e-mail tools know about the person chatting when no verified customer is
 * there: which addresses the conversation gave (as digests), and how many wrong proofs were made.
 * One object per turn; the chat service stores `patch()` with the turn.
 */
export interface OrderAccessProof {
  /** Whether the conversation gave `email` (compared case-insensitively). */
  gave(email: string | null | undefined): boolean;
  /** Whether the conversation gave any address at all. */
  readonly anyGiven: boolean;
  /** Epoch ms until which look-ups without a verified customer are refused, if they are. */
  lockedUntil(): number | undefined;
  /** Counts one wrong proof; returns the number of misses so far. */
  recordMiss(): number;
  /** The attribute changes to store with the turn (undefined when nothing changed). */
  patch(): SessionAttributesPatch | undefined;
}

export function createOrderAccessProof(
  tenantId: string,
  attributes: SessionAttributes | undefined,
  message: string,
  now: () => number = Date.now,
): OrderAccessProof {
  const stored = (attributes?.[ORDER_EMAILS_ATTRIBUTE] ?? '').split(',').filter(Boolean);
  const typed = emailsIn(message).map((email) => emailDigest(tenantId, email));
  const digests = [...stored.filter((d) => !typed.includes(d)), ...typed].slice(-MAX_REMEMBERED_EMAILS);
  const emailsChanged = digests.join(',') !== stored.join(',');

  const [missText, untilText] = (attributes?.[ORDER_MISSES_ATTRIBUTE] ?? '').split(':');
  let misses = Number.parseInt(missText ?? '', 10) || 0;
  let until = Number.parseInt(untilText ?? '', 10) || 0;
  let missesChanged = false;
  if (until > 0 && until <= now()) {
    // The lock ran out: a fresh allowance.
    misses = 0;
    until = 0;
    missesChanged = true;
  }
  const set = new Set(digests);

  return {
    gave: (email) => typeof email === 'string' && email !== '' && set.has(emailDigest(tenantId, email)),
    anyGiven: set.size > 0,
    lockedUntil: () => (until > now() ? until : undefined),
    recordMiss() {
      misses++;
      missesChanged = true;
      if (misses >= MAX_ORDER_ACCESS_MISSES && until <= now()) until = now() + ORDER_ACCESS_LOCK_MS;
      return misses;
    },
    patch() {
      const patch: Record<string, string | null> = {};
      if (emailsChanged) patch[ORDER_EMAILS_ATTRIBUTE] = digests.join(',');
      if (missesChanged) patch[ORDER_MISSES_ATTRIBUTE] = misses === 0 ? null : `${misses}:${until}`;
      return Object.keys(patch).length > 0 ? patch : undefined;
    },
  };
}
